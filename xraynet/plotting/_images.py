"""Image grids: sample images per class, and correct / incorrect predictions."""

import numpy as np
from sklearn.utils import check_random_state

from xraynet.utils import check_image_array

from ._common import (
    CORRECT_COLOR,
    LABEL_SIZE,
    SMALL_SIZE,
    TITLE_SIZE,
    WRONG_COLOR,
    class_name,
    default_target_names,
    final_estimator,
    new_figure,
    show_image,
)

__all__ = ["ImageGridDisplay", "PredictionGridDisplay"]


def _percent(p):
    """Probability as a percentage that never rounds a mistake up to 100%."""
    if p >= 0.9995:
        return ">99.9%"
    return f"{p:.1%}" if p >= 0.99 else f"{p:.0%}"


class ImageGridDisplay:
    """A grid of sample images, one row per class.

    Parameters
    ----------
    images : ndarray of shape (n_classes, n_per_class, h, w, c), object or uint8
        Images per row (rows may be padded with None).
    row_names : list of str
        Class name of each row.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes, shape (n_classes, n_per_class)
    ax_ : same as ``axes_``
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from xraynet.plotting import ImageGridDisplay
    >>> X = np.random.RandomState(0).randint(0, 255, (6, 28, 28, 1), dtype=np.uint8)
    >>> disp = ImageGridDisplay.from_images(X, [0, 0, 0, 1, 1, 1], ["NORMAL", "PNEUMONIA"],
    ...                                     n_per_class=3)
    """

    def __init__(self, images, row_names):
        self.images = images
        self.row_names = row_names

    @classmethod
    def from_images(
        cls,
        X,
        y,
        target_names=None,
        n_per_class=4,
        *,
        random_state=0,
        figure=None,
        title="Sample images per class",
    ):
        """Pick ``n_per_class`` random images of each class and plot them.

        Parameters
        ----------
        X : array-like of shape (n_samples, h, w[, c])
            uint8 images.
        y : array-like of shape (n_samples,)
            Class labels.
        target_names : sequence of str or None, default=None
            Class names indexed by label.
        n_per_class : int, default=4
        random_state : int, RandomState or None, default=0
        figure : matplotlib Figure or None, default=None
        title : str, default="Sample images per class"

        Returns
        -------
        display : ImageGridDisplay
        """
        X = check_image_array(X, name="X")
        y = np.asarray(y).ravel()
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} images but y has {y.shape[0]} labels.")
        rng = check_random_state(random_state)
        labels = np.unique(y)
        if target_names is None:
            target_names = default_target_names(labels)
        rows, names = [], []
        for lab in labels:
            idx = np.flatnonzero(y == lab)
            pick = rng.choice(idx, min(n_per_class, idx.size), replace=False)
            rows.append([X[i] for i in pick])
            names.append(f"{class_name(lab, target_names)}\n(n={idx.size})")
        return cls(rows, names).plot(figure=figure, title=title)

    def plot(self, figure=None, *, title="Sample images per class", cmap="gray"):
        """Draw the grid.

        Parameters
        ----------
        figure : matplotlib Figure, default=None
            Figure to draw on; a new one when None.
        title : str, default="Sample images per class"
            Figure title.
        cmap : str, default="gray"
            Colour map of single-channel images.

        Returns
        -------
        self : ImageGridDisplay
        """
        ncols = max(len(r) for r in self.images)
        fig, axes = new_figure(len(self.images), ncols, tile=1.8, extra_h=0.4, figure=figure)
        for r, (row, name) in enumerate(zip(self.images, self.row_names)):
            for col in range(ncols):
                ax = axes[r, col]
                if col < len(row):
                    show_image(ax, row[col], cmap=cmap)
                else:
                    ax.axis("off")
            axes[r, 0].set_ylabel(
                name, fontsize=LABEL_SIZE, rotation=0, ha="right", va="center", labelpad=10
            )
        if title:
            fig.suptitle(title, fontsize=TITLE_SIZE)
        fig.tight_layout()
        self.axes_ = self.ax_ = axes
        self.figure_ = fig
        return self


class PredictionGridDisplay:
    """Correct and incorrect predictions side by side, most confident mistakes first.

    Each tile shows the image, its true class, the predicted class and the
    predicted probability; wrong predictions are titled in red.

    Parameters
    ----------
    images : ndarray (n, h, w, c)
        All images; only the selected ones are drawn.
    y_true, y_pred : ndarray of shape (n,)
        Class indices (0 = normal).
    confidence : ndarray of shape (n,)
        Probability of the predicted class.
    target_names : list of str or None

    Attributes
    ----------
    wrong_indices_, correct_indices_ : ndarray of int
        Indices of the drawn images, most confident first.
    axes_, ax_ : ndarray of matplotlib Axes
    figure_ : matplotlib Figure
    """

    def __init__(self, images, y_true, y_pred, confidence, target_names=None):
        self.images = images
        self.y_true = y_true
        self.y_pred = y_pred
        self.confidence = confidence
        self.target_names = target_names

    @classmethod
    def from_estimator(
        cls, estimator, X, y, target_names=None, *, n_wrong=6, n_correct=6, n_cols=6, figure=None
    ):
        """Predict ``X`` and plot the most confident mistakes and correct calls.

        Parameters
        ----------
        estimator : fitted classifier with ``predict_proba``
        X : array-like of shape (n_samples, h, w[, c])
        y : array-like of shape (n_samples,)
            True labels (values of ``estimator.classes_``).
        target_names : sequence of str or None, default=None
        n_wrong, n_correct : int, default=6
            How many incorrect / correct predictions to draw.
        n_cols : int, default=6
        figure : matplotlib Figure or None, default=None

        Returns
        -------
        display : PredictionGridDisplay
        """
        proba = np.asarray(estimator.predict_proba(X))
        classes = getattr(final_estimator(estimator), "classes_", None)
        y = np.asarray(y).ravel()
        if classes is not None:
            lookup = {c: i for i, c in enumerate(np.asarray(classes).tolist())}
            y = np.array([lookup[v] for v in y.tolist()])
        return cls.from_predictions(
            X,
            y,
            proba,
            target_names,
            n_wrong=n_wrong,
            n_correct=n_correct,
            n_cols=n_cols,
            figure=figure,
        )

    @classmethod
    def from_predictions(
        cls, X, y_true, y_proba, target_names=None, *, n_wrong=6, n_correct=6, n_cols=6, figure=None
    ):
        """Plot from predicted probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, h, w[, c])
        y_true : array-like of shape (n_samples,)
            True class indices 0..n_classes-1.
        y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
            Class probabilities, or the disease probability of a binary task.
        target_names, n_wrong, n_correct, n_cols, figure
            As in :meth:`from_estimator`.

        Returns
        -------
        display : PredictionGridDisplay
        """
        X = check_image_array(X, name="X")
        y_true = np.asarray(y_true).ravel().astype(int)
        proba = np.asarray(y_proba, dtype=float)
        if proba.ndim == 1:
            proba = np.c_[1 - proba, proba]
        if proba.shape[0] != X.shape[0] or y_true.shape[0] != X.shape[0]:
            raise ValueError(
                f"X, y_true and y_proba must have the same length; got {X.shape[0]}, "
                f"{y_true.shape[0]} and {proba.shape[0]}."
            )
        y_pred = proba.argmax(axis=1)
        conf = proba.max(axis=1)
        if target_names is None:
            target_names = default_target_names(range(proba.shape[1]))
        disp = cls(X, y_true, y_pred, conf, target_names)
        return disp.plot(n_wrong=n_wrong, n_correct=n_correct, n_cols=n_cols, figure=figure)

    def plot(self, *, n_wrong=6, n_correct=6, n_cols=6, figure=None, cmap="gray"):
        """Draw the two sections (incorrect first).

        Parameters
        ----------
        n_wrong : int, default=6
            Misclassified images shown, most confident first.
        n_correct : int, default=6
            Correctly classified images shown, most confident first.
        n_cols : int, default=6
            Images per row.
        figure : matplotlib Figure, default=None
            Figure to draw on; a new one when None.
        cmap : str, default="gray"
            Colour map of single-channel images.

        Returns
        -------
        self : PredictionGridDisplay
        """
        wrong = np.flatnonzero(self.y_true != self.y_pred)
        right = np.flatnonzero(self.y_true == self.y_pred)
        wrong = wrong[np.argsort(-self.confidence[wrong], kind="stable")][:n_wrong]
        right = right[np.argsort(-self.confidence[right], kind="stable")][:n_correct]
        self.wrong_indices_, self.correct_indices_ = wrong, right
        n_cols = max(1, min(n_cols, max(len(wrong), len(right), 1)))
        rows_w = max(1, -(-len(wrong) // n_cols))
        rows_r = max(1, -(-len(right) // n_cols))
        import matplotlib.pyplot as plt

        if figure is None:
            figure = plt.figure(
                figsize=(max(n_cols * 2.1, 6.0), (rows_w + rows_r) * 2.9 + 1.2),
                layout="constrained",
            )
        fig = figure
        n_total = len(self.y_true)
        n_wrong_total = int(np.sum(self.y_true != self.y_pred))
        sections = [
            (
                wrong,
                rows_w,
                WRONG_COLOR,
                f"Incorrect predictions ({n_wrong_total} of {n_total}), most confident first",
            ),
            (
                right,
                rows_r,
                CORRECT_COLOR,
                f"Correct predictions ({n_total - n_wrong_total} of {n_total}), most confident first",
            ),
        ]
        subfigs = fig.subfigures(2, 1, height_ratios=[rows_w, rows_r], hspace=0.04)
        all_axes = []
        for sub, (idx, nrows, color, heading) in zip(subfigs, sections):
            axes = sub.subplots(nrows, n_cols, squeeze=False)
            all_axes.append(axes)
            for k in range(nrows * n_cols):
                ax = axes[k // n_cols, k % n_cols]
                if k >= len(idx):
                    ax.axis("off")
                    continue
                i = idx[k]
                show_image(ax, self.images[i], cmap=cmap)
                true = class_name(self.y_true[i], self.target_names)
                pred = class_name(self.y_pred[i], self.target_names)
                ax.set_title(
                    f"true: {true}\npred: {pred}\np = {_percent(self.confidence[i])}",
                    fontsize=SMALL_SIZE,
                    color=color,
                )
                for spine in ax.spines.values():
                    spine.set_visible(True)
                    spine.set_color(color)
                    spine.set_linewidth(2)
            if len(idx) == 0:
                axes[0, 0].text(
                    0.0, 0.5, "none", fontsize=LABEL_SIZE, transform=axes[0, 0].transAxes
                )
            sub.suptitle(
                heading, fontsize=LABEL_SIZE, fontweight="bold", color=color, x=0.01, ha="left"
            )
        fig.suptitle(
            "Predictions on test images (probability of the predicted class)", fontsize=TITLE_SIZE
        )
        axes = np.vstack(all_axes)
        self.axes_ = self.ax_ = axes
        self.figure_ = fig
        return self
