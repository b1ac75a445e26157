"""ROC curves of several models on one axis."""

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from xraynet.utils import disease_scores

from ._common import LABEL_SIZE, PALETTE, SMALL_SIZE, TICK_SIZE, TITLE_SIZE, positive_scores

__all__ = ["RocCurvesDisplay"]


class RocCurvesDisplay:
    """ROC curves of several models, AUC in the legend, chance diagonal.

    Parameters
    ----------
    curves : dict of str -> (fpr, tpr, auc)
    operating_points : dict of str -> (fpr, tpr) or None, default=None
        Points to mark on the curves.
    operating_threshold : float or None, default=None
        The threshold of those points, for the legend.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    lines_ : dict of str -> Line2D
    aucs_ : dict of str -> float

    Examples
    --------
    >>> from xraynet.plotting import RocCurvesDisplay
    >>> disp = RocCurvesDisplay.from_predictions(
    ...     {"CNN": ([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),
    ...      "HOG+SVM": ([0, 0, 1, 1], [0.2, 0.3, 0.6, 0.7])})
    """

    def __init__(self, curves, operating_points=None, operating_threshold=None):
        self.curves = curves
        self.operating_points = operating_points
        self.operating_threshold = operating_threshold

    @classmethod
    def from_predictions(
        cls, predictions, *, pos_label=1, ax=None, title="ROC curves", operating_threshold=None
    ):
        """Plot from true labels and scores per model.

        Parameters
        ----------
        predictions : dict of str -> (y_true, y_score)
            ``y_score``: disease probability (n,) or predict_proba (n, 2).
        pos_label : int or str, default=1
            The disease class.
        ax : matplotlib Axes or None, default=None
        title : str, default="ROC curves"
        operating_threshold : float or None, default=None
            Mark each curve's point at this threshold (e.g. 0.5).

        Returns
        -------
        display : RocCurvesDisplay
        """
        if not isinstance(predictions, dict) or not predictions:
            raise ValueError("predictions must be a non-empty dict {name: (y_true, y_score)}.")
        curves, points = {}, {}
        for name, pair in predictions.items():
            try:
                y_true, y_score = pair
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"predictions[{name!r}] must be a pair (y_true, y_score)."
                ) from exc
            y = np.asarray(y_true).ravel() == pos_label
            s = disease_scores(y_score, name=f"the scores of {name!r}")
            if y.all() or not y.any():
                raise ValueError(
                    f"predictions[{name!r}]: y_true holds a single class; "
                    "a ROC curve needs normal and disease cases."
                )
            fpr, tpr, thr = roc_curve(y, s)
            curves[name] = (fpr, tpr, roc_auc_score(y, s))
            if operating_threshold is not None:
                pred = s >= operating_threshold
                points[name] = (np.mean(pred[~y]), np.mean(pred[y]))
        disp = cls(curves, points, operating_threshold)
        return disp.plot(ax=ax, title=title)

    @classmethod
    def from_estimator(
        cls, estimators, X, y, *, pos_label=1, ax=None, title="ROC curves", operating_threshold=None
    ):
        """Score ``X`` with each fitted estimator and plot.

        Parameters
        ----------
        estimators : dict of str -> fitted classifier
            Each needs ``predict_proba`` or ``decision_function``.
        X : array-like
        y : array-like of shape (n_samples,)
        pos_label, ax, title, operating_threshold
            As in :meth:`from_predictions`.

        Returns
        -------
        display : RocCurvesDisplay
        """
        if not isinstance(estimators, dict) or not estimators:
            raise ValueError("estimators must be a non-empty dict {name: fitted estimator}.")
        preds = {}
        for name, est in estimators.items():
            classes = list(getattr(est, "classes_", [0, 1]))
            idx = classes.index(pos_label) if pos_label in classes else -1
            preds[name] = (y, positive_scores(est, X, pos_index=idx))
        return cls.from_predictions(
            preds, pos_label=pos_label, ax=ax, title=title, operating_threshold=operating_threshold
        )

    def plot(self, ax=None, *, title="ROC curves", chance=True):
        """Draw the curves, best AUC first in the legend.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        title : str, default="ROC curves"
            Axes title.
        chance : bool, default=True
            Draw the chance diagonal.

        Returns
        -------
        self : RocCurvesDisplay
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.2, 5.8))
        order = sorted(self.curves, key=lambda k: -self.curves[k][2])
        self.lines_, self.aucs_ = {}, {}
        points = self.operating_points or {}
        for i, name in enumerate(order):
            fpr, tpr, auc = self.curves[name]
            color = PALETTE[i % len(PALETTE)]
            (line,) = ax.plot(fpr, tpr, color=color, lw=2.2, label=f"{name} (AUC = {auc:.3f})")
            self.lines_[name], self.aucs_[name] = line, float(auc)
            if name in points:
                ax.plot(*points[name], "o", color=color, markersize=8, markeredgecolor="black")
        if points:
            ax.plot(
                [],
                [],
                "o",
                color="white",
                markeredgecolor="black",
                label=f"threshold {self.operating_threshold:g}",
            )
        if chance:
            ax.plot([0, 1], [0, 1], ls="--", color="0.5", lw=1.2, label="chance (AUC = 0.500)")
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.01)
        ax.set_aspect("equal")
        ax.set_xlabel("False positive rate (1 - specificity)", fontsize=LABEL_SIZE)
        ax.set_ylabel("True positive rate (sensitivity)", fontsize=LABEL_SIZE)
        ax.tick_params(labelsize=TICK_SIZE)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=SMALL_SIZE, frameon=True)
        if title:
            ax.set_title(title, fontsize=TITLE_SIZE)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
