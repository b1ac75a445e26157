"""Decision threshold of a comparison's winner, chosen on out-of-fold predictions (private)."""

import numpy as np
from sklearn.metrics import roc_curve

__all__ = ["THRESHOLD_RULES", "choose_threshold", "youden_threshold"]

#: The threshold rules ``ModelComparison(threshold=...)`` takes by name.
THRESHOLD_RULES = ("youden", "robust")


def youden_threshold(y_bin, score):
    """Threshold maximising sensitivity + specificity - 1 (midpoint between scores).

    Parameters
    ----------
    y_bin : ndarray of shape (n_samples,)
        1 for the disease class, 0 for normal.
    score : ndarray of shape (n_samples,)
        P(disease).

    Returns
    -------
    threshold : float
        In ``[1e-6, 1 - 1e-6]``; 0.5 when the ROC curve gives no finite one.
    """
    fpr, tpr, thr = roc_curve(y_bin, score)
    best = int(np.argmax(tpr - fpr))
    t = float(thr[best])
    if not np.isfinite(t):
        return 0.5
    # midpoint to the next lower score, so the rule does not sit on one image
    lower = score[score < t]
    t = (t + lower.max()) / 2 if lower.size else t
    return float(np.clip(t, 1e-6, 1 - 1e-6))


def choose_threshold(rule, classes, y, oof_proba, shifted_scores=None):
    """The winner's threshold on P(disease) and how it was chosen.

    Parameters
    ----------
    rule : {"youden", "robust"} or float
        ``ModelComparison.threshold``.
    classes : ndarray
        Sorted class labels; ``classes[1]`` is the disease class of a binary problem.
    y : ndarray of shape (n_samples,)
        Labels.
    oof_proba : ndarray of shape (n_samples, n_classes)
        The winner's out-of-fold class probabilities.
    shifted_scores : callable or None, default=None
        For ``rule="robust"``: ``(y_bin, score) -> (y_bin, score)`` pooled over
        the clean and every shifted held-out fold.

    Returns
    -------
    threshold : float
        0.5 with more than two classes (the most probable class is predicted).
    description : str
        The rule in words (``threshold_rule_``).
    """
    if len(classes) != 2:
        return 0.5, "most probable class (more than two classes)"
    if not isinstance(rule, str):
        return float(rule), "given"
    y_bin = (y == classes[1]).astype(int)
    score = oof_proba[:, 1]
    if rule == "robust":
        y_bin, score = shifted_scores(y_bin, score)
    return youden_threshold(y_bin, score), (
        "max sensitivity + specificity on out-of-fold predictions"
        + (" pooled over clean and shifted held-out folds" if rule == "robust" else "")
    )
