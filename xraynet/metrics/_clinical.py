"""The clinical scores of a comparison fold or a test set, from predicted probabilities."""

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score

from ._classification import sensitivity_score, specificity_score
from ._labels import resolve_normal

__all__ = ["clinical_scores"]


def clinical_scores(y_true, proba, classes, threshold=0.5, *, normal_label=None):
    """ROC AUC, accuracy, sensitivity, specificity and balanced accuracy from probabilities.

    The normal class is ``normal_label``, else 0 for numeric classes, else the
    class named like a normal class (``"normal"``, ``"No Finding"``...; see
    :func:`sensitivity_score`); every other class is a disease. Binary: the
    disease class is predicted where its probability reaches ``threshold``.
    More classes: the most probable class; ROC AUC is the macro one-vs-rest
    AUC. Sensitivity and specificity follow xraynet's one clinical
    definition (``average="clinical"`` of :func:`sensitivity_score`):
    sensitivity is the macro-averaged recall over the disease classes (the
    recall of the disease class when binary), specificity the recall of the
    normal class. A rate with nothing to measure is NaN, like the AUC of a
    one-class set: specificity (and balanced accuracy) of a set without
    normal films, sensitivity of one without disease films; a disease class
    absent from the set is left out of the sensitivity's average.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    proba : ndarray of shape (n_samples, n_classes)
        Columns follow ``classes``.
    classes : array-like of shape (n_classes,)
        The model's ``classes_``; they must include the normal class.
    threshold : float, default=0.5
    normal_label : int or str, default=None
        The normal class.

    Returns
    -------
    scores : dict of str -> float

    Examples
    --------
    >>> from xraynet.metrics import clinical_scores
    >>> proba = [[0.9, 0.1], [0.3, 0.7], [0.6, 0.4], [0.2, 0.8]]  # columns: covid, normal
    >>> s = clinical_scores(["covid", "normal", "covid", "normal"], proba, ["covid", "normal"])
    >>> s["sensitivity"], s["specificity"], s["roc_auc"]
    (1.0, 1.0, 1.0)
    """
    y_true = np.asarray(y_true)
    classes = np.asarray(classes)
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or proba.shape[1] != len(classes):
        raise ValueError(
            f"proba must have one column per class of {classes.tolist()}; got shape {proba.shape}."
        )
    normal = resolve_normal(classes, normal_label)
    if normal not in classes.tolist():
        raise ValueError(
            f"The normal class {normal!r} is not one of the classes "
            f"{classes.tolist()}; pass normal_label=<the normal class>."
        )
    if len(classes) == 2:
        k = 1 - classes.tolist().index(normal)  # the disease column
        disease = classes[k]
        pred = np.where(proba[:, k] >= threshold, disease, normal)
        try:
            auc = float(roc_auc_score(y_true == disease, proba[:, k]))
        except ValueError:  # one class only in y_true
            auc = np.nan
    else:
        pred = classes[np.argmax(proba, axis=1)]
        try:
            auc = float(roc_auc_score(y_true, proba, multi_class="ovr", labels=classes))
        except ValueError:
            auc = np.nan
    kw = dict(average="clinical", labels=classes, normal_label=normal, zero_division=np.nan)
    sens = sensitivity_score(y_true, pred, **kw)
    spec = specificity_score(y_true, pred, **kw)
    return {
        "roc_auc": auc,
        "accuracy": float(accuracy_score(y_true, pred)),
        "sensitivity": sens,
        "specificity": spec,
        "balanced_accuracy": (sens + spec) / 2,
    }
