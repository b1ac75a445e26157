"""Confusion matrix with class names, counts and row percentages."""

import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay as _SklearnConfusionMatrixDisplay
from sklearn.utils.multiclass import unique_labels

from ._common import LABEL_SIZE, TICK_SIZE, TITLE_SIZE, class_name, default_target_names

__all__ = ["ConfusionMatrixDisplay"]


def _labels_and_names(y_true, y_pred, labels, target_names):
    if labels is None:
        labels = unique_labels(y_true, y_pred)
        if (
            target_names is not None
            and labels.dtype.kind in "iu"
            and labels.min() >= 0
            and labels.max() < len(target_names)
        ):
            labels = np.arange(len(target_names))  # keep absent classes as rows
    if target_names is None:
        target_names = default_target_names(labels)
    return labels, [class_name(v, target_names) for v in labels]


class ConfusionMatrixDisplay(_SklearnConfusionMatrixDisplay):
    """Scikit-learn's confusion matrix, readable at a glance.

    Differences from :class:`sklearn.metrics.ConfusionMatrixDisplay`: a
    ``target_names`` argument (class names instead of integers; 0/1 labels
    default to "normal"/"disease"), each cell shows the count *and* its share
    of the true class (so the diagonal reads as sensitivity / specificity),
    a title, and a blue colour map. All of scikit-learn's arguments work.

    Parameters
    ----------
    confusion_matrix : ndarray of shape (n_classes, n_classes)
        The confusion matrix.
    display_labels : ndarray of shape (n_classes,), default=None
        Class names shown on the axes.

    Examples
    --------
    >>> from xraynet.plotting import ConfusionMatrixDisplay
    >>> disp = ConfusionMatrixDisplay.from_predictions(
    ...     [0, 0, 1, 1], [0, 1, 1, 1], target_names=["NORMAL", "PNEUMONIA"])
    """

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_pred,
        *,
        target_names=None,
        labels=None,
        cmap="Blues",
        title="Confusion matrix",
        **kwargs,
    ):
        """Plot the confusion matrix of predictions.

        Parameters
        ----------
        y_true, y_pred : array-like of shape (n_samples,)
        target_names : sequence of str or None, default=None
            Class names indexed by label; ignored if ``display_labels`` is given.
        labels : array-like or None, default=None
            Labels to index the matrix (default: every class of
            ``target_names``, else the labels present).
        cmap : str, default="Blues"
        title : str, default="Confusion matrix"
        **kwargs
            Passed to :meth:`sklearn.metrics.ConfusionMatrixDisplay.from_predictions`.

        Returns
        -------
        display : ConfusionMatrixDisplay
        """
        labels, names = _labels_and_names(y_true, y_pred, labels, target_names)
        kwargs.setdefault("display_labels", names)
        disp = super().from_predictions(y_true, y_pred, labels=labels, cmap=cmap, **kwargs)
        disp.ax_.set_title(title, fontsize=TITLE_SIZE)
        return disp

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        target_names=None,
        labels=None,
        cmap="Blues",
        title="Confusion matrix",
        **kwargs,
    ):
        """Predict ``X`` with a fitted classifier and plot the confusion matrix.

        Parameters
        ----------
        estimator : fitted classifier
            Predicts ``X`` (at its own decision threshold).
        X : array-like
            Images, or file paths for a Pipeline that loads them.
        y : array-like of shape (n_samples,)
            True labels.
        target_names, labels, cmap, title, **kwargs
            As in :meth:`from_predictions`.

        Returns
        -------
        display : ConfusionMatrixDisplay
        """
        y_pred = estimator.predict(X)
        return cls.from_predictions(
            y, y_pred, target_names=target_names, labels=labels, cmap=cmap, title=title, **kwargs
        )

    def plot(
        self,
        *,
        include_values=True,
        cmap="Blues",
        xticks_rotation="horizontal",
        values_format=None,
        ax=None,
        colorbar=True,
        im_kw=None,
        text_kw=None,
        show_percent=True,
    ):
        """Plot; see :meth:`sklearn.metrics.ConfusionMatrixDisplay.plot`.

        Parameters
        ----------
        include_values, cmap, xticks_rotation, values_format, ax, colorbar, im_kw, text_kw
            As in :meth:`sklearn.metrics.ConfusionMatrixDisplay.plot`.
        show_percent : bool, default=True
            Add each count's percentage of its true class (row) to the cell.

        Returns
        -------
        self : ConfusionMatrixDisplay
        """
        text_kw = {"fontsize": LABEL_SIZE + 1, **(text_kw or {})}
        super().plot(
            include_values=include_values,
            cmap=cmap,
            xticks_rotation=xticks_rotation,
            values_format=values_format,
            ax=ax,
            colorbar=colorbar,
            im_kw=im_kw,
            text_kw=text_kw,
        )
        cm = self.confusion_matrix
        if include_values and show_percent and cm.dtype.kind in "iu" and self.text_ is not None:
            totals = cm.sum(axis=1)
            for i in range(cm.shape[0]):
                for j in range(cm.shape[1]):
                    share = f"\n{cm[i, j] / totals[i]:.1%} of true" if totals[i] else ""
                    self.text_[i, j].set_text(f"{cm[i, j]}{share}")
        ax = self.ax_
        ax.set_xlabel("Predicted class", fontsize=LABEL_SIZE)
        ax.set_ylabel("True class", fontsize=LABEL_SIZE)
        ax.tick_params(labelsize=TICK_SIZE)
        if not ax.get_title():
            ax.set_title("Confusion matrix", fontsize=TITLE_SIZE)
        return self
