"""Bar chart of class counts per data split."""

import numpy as np
import pandas as pd

from ._common import (
    LABEL_SIZE,
    PALETTE,
    SMALL_SIZE,
    TICK_SIZE,
    TITLE_SIZE,
    class_name,
    default_target_names,
)

__all__ = ["ClassBalanceDisplay"]


class ClassBalanceDisplay:
    """Class counts of one or several data splits as grouped bars.

    Create it with :meth:`from_targets`; every bar is labelled with its
    count and its share of the split.

    Parameters
    ----------
    counts : pandas.DataFrame
        Rows: class names, columns: split names, values: image counts.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    bars_ : dict of split name -> BarContainer

    Examples
    --------
    >>> from xraynet.plotting import ClassBalanceDisplay
    >>> disp = ClassBalanceDisplay.from_targets(
    ...     {"train": [0, 1, 1, 1], "test": [0, 1]}, target_names=["NORMAL", "PNEUMONIA"])
    """

    def __init__(self, counts):
        self.counts = counts

    @classmethod
    def from_targets(cls, targets, target_names=None, *, ax=None, title="Class balance"):
        """Count the classes of each split and plot them.

        Parameters
        ----------
        targets : array-like or dict of str -> array-like
            Labels of one split, or ``{"train": y_train, "val": y_val, ...}``.
        target_names : sequence of str or None, default=None
            Class names indexed by label (0 = normal). Default for 0/1
            labels: "normal (0)", "disease (1)".
        ax : matplotlib Axes or None, default=None
        title : str, default="Class balance"

        Returns
        -------
        display : ClassBalanceDisplay
        """
        if not isinstance(targets, dict):
            targets = {"all": targets}
        if not targets:
            raise ValueError("targets is empty; pass {'train': y_train, ...}.")
        arrays = {str(k): np.asarray(v).ravel() for k, v in targets.items()}
        labels = np.unique(np.concatenate(list(arrays.values())))
        if target_names is None:
            target_names = default_target_names(labels)
        index = [class_name(lab, target_names) for lab in labels]
        data = {k: [int(np.sum(v == lab)) for lab in labels] for k, v in arrays.items()}
        counts = pd.DataFrame(data, index=pd.Index(index, name="class"))
        return cls(counts).plot(ax=ax, title=title)

    def plot(self, ax=None, *, title="Class balance", show_percent=True):
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
        title : str, default="Class balance"
        show_percent : bool, default=True
            Write each class's share of its split above the bar.

        Returns
        -------
        self : ClassBalanceDisplay
        """
        import matplotlib.pyplot as plt

        if ax is None:
            n = self.counts.shape[0] * self.counts.shape[1]
            _, ax = plt.subplots(figsize=(max(5.0, 1.1 * n + 2), 4.2))
        splits = list(self.counts.columns)
        x = np.arange(self.counts.shape[0])
        width = 0.8 / len(splits)
        self.bars_ = {}
        top = self.counts.to_numpy().max()
        for j, split in enumerate(splits):
            values = self.counts[split].to_numpy()
            total = values.sum()
            pos = x - 0.4 + width * (j + 0.5)
            bars = ax.bar(
                pos,
                values,
                width * 0.95,
                label=f"{split} (n={total})",
                color=PALETTE[j % len(PALETTE)],
            )
            self.bars_[split] = bars
            for p, v in zip(pos, values):
                text = f"{v}\n{v / total:.0%}" if show_percent and total else f"{v}"
                ax.text(p, v + top * 0.01, text, ha="center", va="bottom", fontsize=SMALL_SIZE)
        ax.set_xticks(x, list(self.counts.index), fontsize=TICK_SIZE)
        ax.set_xlabel("Class", fontsize=LABEL_SIZE)
        ax.set_ylabel("Number of images", fontsize=LABEL_SIZE)
        ax.set_ylim(0, top * 1.25 + 1)
        ax.tick_params(axis="y", labelsize=TICK_SIZE)
        ax.spines[["top", "right"]].set_visible(False)
        if len(splits) > 1 or splits != ["all"]:
            ax.legend(title="Split", fontsize=SMALL_SIZE, title_fontsize=SMALL_SIZE, frameon=False)
        if title:
            ax.set_title(title, fontsize=TITLE_SIZE)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
