"""Training curves of the Keras estimators."""

import numpy as np

from ._common import LABEL_SIZE, PALETTE, SMALL_SIZE, TICK_SIZE, TITLE_SIZE, final_estimator

__all__ = ["TrainingHistoryDisplay"]

_ACCURACY_KEYS = (
    "accuracy",
    "acc",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
)
_LR_KEYS = ("learning_rate", "lr")


def _lr_drops(lr):
    """Epoch numbers (1-based) at which the learning rate went down, with the new value."""
    lr = np.asarray(lr, dtype=float)
    return [(i + 1, lr[i]) for i in range(1, len(lr)) if lr[i] < lr[i - 1] * (1 - 1e-6)]


class TrainingHistoryDisplay:
    """Accuracy and loss per epoch, training vs validation.

    Two panels; vertical dotted lines mark the epochs where the learning rate
    dropped, and a star marks the epoch with the lowest validation loss.

    Parameters
    ----------
    history : dict of str -> list of float
        Keras-style history (``"loss"``, ``"val_loss"``, ``"accuracy"``,
        ``"val_accuracy"``, ``"learning_rate"``...), one value per epoch.

    Attributes
    ----------
    axes_ : ndarray of two matplotlib Axes (accuracy, loss)
    ax_ : same as ``axes_``
    figure_ : matplotlib Figure
    lr_drops_ : list of (epoch, new learning rate)
    best_epoch_ : int or None
        Epoch (1-based) of the lowest validation loss.

    Examples
    --------
    >>> from xraynet.plotting import TrainingHistoryDisplay
    >>> disp = TrainingHistoryDisplay.from_history(
    ...     {"loss": [0.7, 0.5, 0.4], "val_loss": [0.72, 0.6, 0.62],
    ...      "accuracy": [0.6, 0.75, 0.8], "val_accuracy": [0.58, 0.7, 0.69]})
    """

    def __init__(self, history):
        self.history = history

    @classmethod
    def from_estimator(cls, estimator, *, axes=None, title=None):
        """Plot ``estimator.history_`` (also the last step of a Pipeline).

        Parameters
        ----------
        estimator : fitted xraynet Keras estimator or Pipeline ending in one
        axes : sequence of two matplotlib Axes or None, default=None
        title : str or None, default=None
            Figure title; default ``"Training history: <class name>"``.

        Returns
        -------
        display : TrainingHistoryDisplay

        Raises
        ------
        ValueError
            If the estimator has no training history (not fitted, or not a
            Keras model).
        """
        est = final_estimator(estimator)
        history = getattr(est, "history_", None)
        if not history:
            raise ValueError(
                f"{type(est).__name__} has no training history (history_): only fitted "
                "Keras estimators (CNNClassifier, ...) record one."
            )
        if title is None:
            title = f"Training history: {type(est).__name__}"
        return cls.from_history(history, axes=axes, title=title)

    @classmethod
    def from_history(cls, history, *, axes=None, title="Training history"):
        """Plot a Keras-style history dict (or a ``keras.callbacks.History``).

        Parameters
        ----------
        history : dict or keras.callbacks.History
            Per-epoch metric lists, with at least ``"loss"``.
        axes : array of matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        title : str, default="Training history"
            Figure title.

        Returns
        -------
        display : TrainingHistoryDisplay
        """
        history = getattr(history, "history", history)
        if not isinstance(history, dict) or "loss" not in history:
            raise ValueError(
                "history must be a dict with at least a 'loss' list (Keras History.history); "
                f"got {type(history).__name__} with keys {list(getattr(history, 'keys', list)())}."
            )
        return cls({k: list(np.ravel(v)) for k, v in history.items()}).plot(axes=axes, title=title)

    def _panel(self, ax, key, label, lower_is_better):
        train = self.history.get(key)
        val = self.history.get(f"val_{key}")
        if train is None and val is None:
            ax.text(
                0.5,
                0.5,
                f"no {label.lower()} recorded",
                ha="center",
                va="center",
                fontsize=LABEL_SIZE,
                transform=ax.transAxes,
            )
            return
        for values, name, color, style in (
            (train, "training", PALETTE[0], "-o"),
            (val, "validation", PALETTE[1], "-s"),
        ):
            if values is not None:
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, style, color=color, label=name, markersize=4, lw=2)
        if val is not None and len(val):
            best = int(np.nanargmin(val) if lower_is_better else np.nanargmax(val))
            ax.plot(
                best + 1,
                val[best],
                "*",
                color=PALETTE[1],
                markersize=15,
                markeredgecolor="black",
                label=f"best validation (epoch {best + 1})",
                zorder=5,
            )
        ax.set_ylabel(label, fontsize=LABEL_SIZE)

    def plot(self, axes=None, *, title="Training history"):
        """Draw the two panels.

        Parameters
        ----------
        axes : sequence of two matplotlib Axes or None, default=None
        title : str, default="Training history"

        Returns
        -------
        self : TrainingHistoryDisplay
        """
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        if axes is None:
            fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        else:
            fig = axes[0].figure
        acc_key = next(
            (k for k in _ACCURACY_KEYS if k in self.history or f"val_{k}" in self.history),
            "accuracy",
        )
        self._panel(axes[0], acc_key, "Accuracy", lower_is_better=False)
        self._panel(axes[1], "loss", "Loss", lower_is_better=True)
        val_loss = self.history.get("val_loss")
        self.best_epoch_ = int(np.nanargmin(val_loss)) + 1 if val_loss else None
        lr = next((self.history[k] for k in _LR_KEYS if k in self.history), None)
        self.lr_drops_ = _lr_drops(lr) if lr is not None else []
        n_epochs = max(len(v) for v in self.history.values()) if self.history else 1
        for ax, name in zip(axes, ("Accuracy", "Loss")):
            for j, (epoch, value) in enumerate(self.lr_drops_):
                ax.axvline(
                    epoch,
                    color="0.4",
                    ls=":",
                    lw=1.5,
                    label="learning rate reduced" if j == 0 else None,
                )
                ax.annotate(
                    f"lr {value:.0e}",
                    xy=(epoch, 1.0),
                    xycoords=ax.get_xaxis_transform(),
                    xytext=(3, -3),
                    textcoords="offset points",
                    fontsize=SMALL_SIZE - 1,
                    color="0.3",
                    va="top",
                    ha="left",
                )
            ax.set_xlabel("Epoch", fontsize=LABEL_SIZE)
            ax.set_title(name, fontsize=LABEL_SIZE + 1)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlim(0.5, n_epochs + 0.5)
            ax.tick_params(labelsize=TICK_SIZE)
            ax.grid(alpha=0.3)
            ax.spines[["top", "right"]].set_visible(False)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=SMALL_SIZE, frameon=False)
        if title:
            fig.suptitle(title, fontsize=TITLE_SIZE)
        fig.tight_layout()
        self.axes_ = self.ax_ = np.asarray(axes)
        self.figure_ = fig
        return self
