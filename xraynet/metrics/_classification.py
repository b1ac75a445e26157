"""Sensitivity and specificity, the two numbers a clinician asks for first.

Sensitivity (recall, true positive rate) = TP / (TP + FN): the share of sick
patients the model flags. Specificity (true negative rate) = TN / (TN + FP):
the share of healthy patients it leaves alone. The positive class is the
disease class, label ``1`` by xraynet convention (``pos_label=1``), whatever
order the labels appear in.
"""

import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import multilabel_confusion_matrix
from sklearn.utils.multiclass import type_of_target, unique_labels

__all__ = ["sensitivity_score", "specificity_score", "specificity_at_sensitivity"]

_AVERAGES = ("binary", "macro", None)


def _check_zero_division(zero_division):
    if isinstance(zero_division, str):
        if zero_division != "warn":
            raise ValueError(
                f"zero_division must be 'warn', 0.0, 1.0 or np.nan; got {zero_division!r}."
            )
        return zero_division
    value = float(zero_division)
    if not (np.isnan(value) or value in (0.0, 1.0)):
        raise ValueError(
            f"zero_division must be 'warn', 0.0, 1.0 or np.nan; got {zero_division!r}."
        )
    return value


def _check_targets(y_true, y_pred):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim == 2 and y_true.shape[1] == 1:
        y_true = y_true.ravel()
    if y_pred.ndim == 2 and y_pred.shape[1] == 1:
        y_pred = y_pred.ravel()
    if y_true.ndim != 1 or y_pred.ndim != 1:
        raise ValueError(
            "y_true and y_pred must be 1-D arrays of class labels; got shapes "
            f"{y_true.shape} and {y_pred.shape} (pass predict() output, not predict_proba())."
        )
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"y_true and y_pred have different lengths: {y_true.shape[0]} and {y_pred.shape[0]}."
        )
    if y_true.shape[0] == 0:
        raise ValueError("y_true and y_pred are empty.")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        kind = type_of_target(y, input_name=name)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"{name} must hold class labels (binary or multiclass); got target type {kind!r}."
            )
    return y_true, y_pred


def _ovr_counts(y_true, y_pred, labels):
    """Per-label one-vs-rest TP, FP, TN, FN (arrays of len(labels))."""
    mcm = multilabel_confusion_matrix(y_true, y_pred, labels=labels)
    tn, fp, fn, tp = mcm[:, 0, 0], mcm[:, 0, 1], mcm[:, 1, 0], mcm[:, 1, 1]
    return tp, fp, tn, fn


def _safe_ratio(num, den, zero_division, metric, what):
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.empty_like(num)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    if np.any(~ok):
        if zero_division == "warn":
            warnings.warn(
                f"{metric} is ill-defined and set to 0.0 because there are no {what}; "
                "use zero_division to control this behaviour.",
                UndefinedMetricWarning,
                stacklevel=4,
            )
            out[~ok] = 0.0
        else:
            out[~ok] = zero_division
    return out


def _rate(y_true, y_pred, *, pos_label, average, labels, zero_division, which):
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}; got {average!r}.")
    zero_division = _check_zero_division(zero_division)
    y_true, y_pred = _check_targets(y_true, y_pred)
    present = unique_labels(y_true, y_pred)
    if average == "binary":
        if len(present) > 2:
            raise ValueError(
                f"average='binary' needs a binary target, but the labels are {present.tolist()}; "
                "choose average='macro' or average=None for one-vs-rest multiclass scores."
            )
        if pos_label not in present.tolist() and len(present) == 2:
            raise ValueError(
                f"pos_label={pos_label!r} is not one of the labels {present.tolist()}; "
                "pass the disease class as pos_label."
            )
        labels = [pos_label]
    elif labels is None:
        labels = present
    tp, fp, tn, fn = _ovr_counts(y_true, y_pred, labels)
    if which == "sensitivity":
        scores = _safe_ratio(tp, tp + fn, zero_division, "Sensitivity", "true samples of the class")
    else:
        scores = _safe_ratio(tn, tn + fp, zero_division, "Specificity", "true samples outside the class")
    if average == "binary":
        return float(scores[0])
    if average == "macro":
        if np.all(np.isnan(scores)):
            return float("nan")
        return float(np.nanmean(scores))
    return scores


def sensitivity_score(
    y_true, y_pred, *, pos_label=1, average="binary", labels=None, zero_division="warn"
):
    """Sensitivity (recall, true positive rate): TP / (TP + FN).

    The share of diseased images that the model calls diseased.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels (0 = normal, 1.. = disease classes).
    y_pred : array-like of shape (n_samples,)
        Predicted class labels, e.g. ``estimator.predict(X)``.
    pos_label : int or str, default=1
        The disease (positive) class for ``average="binary"``. It is the
        positive class whatever the order of the labels.
    average : {"binary", "macro"} or None, default="binary"
        ``"binary"``: the score of ``pos_label`` only. ``"macro"``: the
        unweighted mean of the one-vs-rest score of every label. ``None``:
        the one-vs-rest score of every label, as an array in label order.
    labels : array-like or None, default=None
        Labels to score for ``average="macro"`` or ``None`` (default: all
        labels present in ``y_true`` or ``y_pred``, sorted).
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        Value returned when there are no true positive-class samples, so the
        score is undefined. ``"warn"`` returns 0.0 and raises an
        :class:`~sklearn.exceptions.UndefinedMetricWarning` (the behaviour of
        :func:`sklearn.metrics.recall_score`); ``np.nan`` values are left out
        of the macro average.

    Returns
    -------
    score : float or ndarray of shape (n_labels,)

    See Also
    --------
    specificity_score : The true negative rate.
    sklearn.metrics.recall_score : The same number for ``average="binary"``.

    Examples
    --------
    >>> from xraynet.metrics import sensitivity_score
    >>> sensitivity_score([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])  # doctest: +ELLIPSIS
    0.666...
    """
    return _rate(
        y_true, y_pred, pos_label=pos_label, average=average, labels=labels,
        zero_division=zero_division, which="sensitivity",
    )


def specificity_score(
    y_true, y_pred, *, pos_label=1, average="binary", labels=None, zero_division="warn"
):
    """Specificity (true negative rate): TN / (TN + FP).

    The share of images *without* the disease that the model calls healthy.
    For multiclass targets each label is scored one-vs-rest.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels (0 = normal, 1.. = disease classes).
    y_pred : array-like of shape (n_samples,)
        Predicted class labels.
    pos_label : int or str, default=1
        The disease (positive) class for ``average="binary"``.
    average : {"binary", "macro"} or None, default="binary"
        As in :func:`sensitivity_score`.
    labels : array-like or None, default=None
        Labels to score for ``average="macro"`` or ``None``.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        Value returned when there are no negative samples (``TN + FP == 0``);
        ``"warn"`` returns 0.0 with an ``UndefinedMetricWarning``.

    Returns
    -------
    score : float or ndarray of shape (n_labels,)

    See Also
    --------
    sensitivity_score : The true positive rate.

    Examples
    --------
    >>> from xraynet.metrics import specificity_score
    >>> specificity_score([0, 0, 0, 0, 1], [0, 0, 0, 1, 1])
    0.75
    """
    return _rate(
        y_true, y_pred, pos_label=pos_label, average=average, labels=labels,
        zero_division=zero_division, which="specificity",
    )


def specificity_at_sensitivity(y_true, y_pred, *, min_sensitivity=0.95, pos_label=1):
    """Specificity if sensitivity reaches ``min_sensitivity``, else -1.

    A constrained objective for
    :class:`sklearn.model_selection.TunedThresholdClassifierCV`: maximising it
    picks the decision threshold with the best specificity among those that
    keep sensitivity at or above ``min_sensitivity`` (a screening operating
    point). Thresholds that miss the constraint score -1, below any feasible
    one.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted binary labels.
    min_sensitivity : float, default=0.95
        The sensitivity the operating point must reach.
    pos_label : int or str, default=1
        The disease class.

    Returns
    -------
    score : float
        Specificity in [0, 1], or -1.0 when the constraint is not met.

    Examples
    --------
    >>> from sklearn.metrics import make_scorer
    >>> from sklearn.model_selection import TunedThresholdClassifierCV
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xraynet.metrics import specificity_at_sensitivity
    >>> scorer = make_scorer(specificity_at_sensitivity, min_sensitivity=0.95)
    >>> tuned = TunedThresholdClassifierCV(LogisticRegression(), scoring=scorer)
    """
    sens = sensitivity_score(y_true, y_pred, pos_label=pos_label, zero_division=0.0)
    if sens < min_sensitivity:
        return -1.0
    return specificity_score(y_true, y_pred, pos_label=pos_label, zero_division=0.0)
