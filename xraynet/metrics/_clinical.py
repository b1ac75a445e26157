"""The clinical scores of a comparison fold or a test set, from predicted probabilities."""

import numpy as np
from sklearn.metrics import accuracy_score, recall_score, roc_auc_score

__all__ = ["clinical_scores"]


def clinical_scores(y_true, proba, classes, threshold=0.5):
    """ROC AUC, accuracy, sensitivity, specificity and balanced accuracy from probabilities.

    ``classes[0]`` is the normal class. Binary: the disease class
    ``classes[1]`` is predicted where its probability reaches ``threshold``.
    More classes: the most probable class; ROC AUC is the macro one-vs-rest
    AUC, sensitivity the macro recall over the disease classes and
    specificity the recall of the normal class.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    proba : ndarray of shape (n_samples, n_classes)
        Columns follow ``classes``.
    classes : array-like of shape (n_classes,)
    threshold : float, default=0.5

    Returns
    -------
    scores : dict of str -> float
    """
    y_true = np.asarray(y_true)
    classes = np.asarray(classes)
    proba = np.asarray(proba, dtype=float)
    if len(classes) == 2:
        pred = classes[(proba[:, 1] >= threshold).astype(int)]
        try:
            auc = float(roc_auc_score(y_true == classes[1], proba[:, 1]))
        except ValueError:  # one class only in y_true
            auc = np.nan
    else:
        pred = classes[np.argmax(proba, axis=1)]
        try:
            auc = float(roc_auc_score(y_true, proba, multi_class="ovr", labels=classes))
        except ValueError:
            auc = np.nan
    sens = float(recall_score(y_true, pred, labels=list(classes[1:]), average="macro",
                              zero_division=0.0))
    spec = float(recall_score(y_true, pred, labels=[classes[0]], average="macro",
                              zero_division=0.0))
    return {"roc_auc": auc, "accuracy": float(accuracy_score(y_true, pred)),
            "sensitivity": sens, "specificity": spec,
            "balanced_accuracy": (sens + spec) / 2}
