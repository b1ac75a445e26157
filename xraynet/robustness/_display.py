"""StressTestDisplay: scores against shift severity, one line per shift."""

import numpy as np

from xraynet.plotting._common import LABEL_SIZE, PALETTE, SMALL_SIZE, TICK_SIZE, TITLE_SIZE

__all__ = ["StressTestDisplay"]

_MARKERS = "osD^v<>ph*Xd"


class StressTestDisplay:
    """Scores of a model under simulated acquisition shifts, against severity.

    One line per shift, the clean score as a dashed reference; one panel per
    metric (by default ROC AUC and specificity at the model's threshold, the
    two that part ways when a shift moves the operating point).

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`stress_test`.

    Attributes
    ----------
    axes_ : list of matplotlib Axes
    ax_ : matplotlib Axes
        The first panel.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from xraynet.robustness import StressTestDisplay
    >>> t = pd.DataFrame({"shift": ["none", "blur", "blur"], "severity": [0, 1, 2],
    ...                   "roc_auc": [.95, .93, .9], "specificity": [.9, .85, .7]})
    >>> disp = StressTestDisplay.from_results(t)
    >>> len(disp.axes_)
    2
    """

    def __init__(self, results):
        self.results = results

    @classmethod
    def from_results(cls, results, *, metrics=("roc_auc", "specificity"), axes=None, title=None):
        """Plot a :func:`stress_test` table.

        Parameters
        ----------
        results : pandas.DataFrame
        metrics : sequence of str, default=("roc_auc", "specificity")
            Columns to plot, one panel each.
        axes : sequence of matplotlib Axes or None, default=None
        title : str or None, default=None

        Returns
        -------
        display : StressTestDisplay
        """
        return cls(results).plot(metrics=metrics, axes=axes, title=title)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        metrics=("roc_auc", "specificity"),
        axes=None,
        title=None,
        **stress_kwargs,
    ):
        """Run :func:`stress_test` on a fitted classifier and plot it.

        Parameters
        ----------
        estimator : fitted classifier
        X, y : array-like
            Test images (or paths) and labels.
        metrics : sequence of str, default=("roc_auc", "specificity")
        axes : sequence of matplotlib Axes or None, default=None
        title : str or None, default=None
        **stress_kwargs
            ``shifts``, ``severities``, ``threshold``, ``random_state``.

        Returns
        -------
        display : StressTestDisplay
        """
        from ._stress import stress_test

        return cls.from_results(
            stress_test(estimator, X, y, **stress_kwargs), metrics=metrics, axes=axes, title=title
        )

    def plot(self, *, metrics=("roc_auc", "specificity"), axes=None, title=None):
        """Draw the panels.

        Parameters
        ----------
        metrics : str or sequence of str, default=("roc_auc", "specificity")
            Result columns, one panel each (a single str: one panel).
        axes : matplotlib Axes, sequence of Axes or None, default=None
            One Axes per metric; None makes a new figure.
        title : str or None, default=None

        Returns
        -------
        self : StressTestDisplay
        """
        import matplotlib.pyplot as plt

        df = self.results
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        if not metrics:
            raise ValueError("metrics must name at least one column of the results.")
        missing = [m for m in metrics if m not in df.columns]
        if missing:
            raise ValueError(f"results have no column(s) {missing}; columns: {list(df.columns)}.")
        if axes is None:
            fig, axes = plt.subplots(
                1, len(metrics), figsize=(5.2 * len(metrics), 4.4), squeeze=False
            )
            axes = list(axes[0])
        else:
            axes = list(np.ravel(np.asarray(axes, dtype=object)))
            if len(axes) != len(metrics):
                raise ValueError(
                    f"axes must hold one Axes per metric ({len(metrics)}); got {len(axes)}."
                )
            fig = axes[0].figure
        clean = df[df["severity"] == 0]
        shifted = df[df["severity"] > 0]
        names = list(dict.fromkeys(shifted["shift"]))
        for ax, metric in zip(axes, metrics):
            for i, name in enumerate(names):
                part = shifted[shifted["shift"] == name].sort_values("severity")
                ax.plot(
                    part["severity"],
                    part[metric],
                    marker=_MARKERS[i % len(_MARKERS)],
                    color=PALETTE[i % len(PALETTE)],
                    lw=1.5,
                    ms=5,
                    label=name,
                )
            if len(clean):
                ax.axhline(float(clean[metric].mean()), color="0.3", ls="--", lw=1.2, label="clean")
            ax.set_xlabel("shift severity", fontsize=LABEL_SIZE)
            ax.set_ylabel(metric.replace("_", " "), fontsize=LABEL_SIZE)
            ax.set_xticks(sorted(shifted["severity"].unique()))
            ax.tick_params(labelsize=TICK_SIZE)
            ax.grid(alpha=0.3)
        axes[-1].legend(
            fontsize=SMALL_SIZE, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False
        )
        fig.suptitle(title or "Robustness to simulated acquisition shift", fontsize=TITLE_SIZE)
        fig.tight_layout()
        self.axes_, self.ax_, self.figure_ = axes, axes[0], fig
        return self
