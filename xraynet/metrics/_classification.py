"""Sensitivity and specificity, the two numbers a clinician asks for first.

Sensitivity (recall, true positive rate) = TP / (TP + FN): the share of sick
patients the model flags. Specificity (true negative rate) = TN / (TN + FP):
the share of healthy patients it leaves alone.

Which class is normal (one rule for every metric of :mod:`xraynet.metrics`):
``normal_label`` when given; else ``0`` for numeric labels (xraynet's
convention: 0 = normal, 1.. = disease classes); else, for string labels,
the one label named like a normal class (``"normal"``, ``"healthy"``,
``"No Finding"``, ``"healthy_controls"``..., see
:func:`xraynet.datasets.is_normal_name`). Anything else -- no such label,
or two -- is a ValueError: the metrics never guess the healthy class.

The clinical definition for any number of classes (``average="clinical"``,
used by the ``"sensitivity"`` / ``"specificity"`` scorers and by
:func:`~xraynet.metrics.clinical_scores`):

* sensitivity = the macro average, over the disease classes, of each
  class's recall (a binary problem: the recall of the disease class). A
  bacterial pneumonia called viral counts as missed, so that each disease is
  weighted alike whatever its prevalence. For "any disease vs normal"
  sensitivity, score ``y != normal`` as a binary problem;
* specificity = the recall of the normal class: the share of normal images
  called normal (not any disease).
"""

import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import multilabel_confusion_matrix
from sklearn.utils.multiclass import type_of_target, unique_labels

from ._labels import binary_roles, resolve_normal

__all__ = ["sensitivity_score", "specificity_score", "specificity_at_sensitivity"]

_AVERAGES = ("binary", "clinical", "macro", None)


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


def _rate(y_true, y_pred, *, pos_label, normal_label, average, labels, zero_division, which):
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}; got {average!r}.")
    zero_division = _check_zero_division(zero_division)
    y_true, y_pred = _check_targets(y_true, y_pred)
    present = unique_labels(y_true, y_pred)
    if average == "binary":
        pos, normal = binary_roles(present, pos_label=pos_label, normal_label=normal_label)
        true_pos = y_true == pos if pos is not None else np.zeros(len(y_true), bool)
        pred_pos = y_pred == pos if pos is not None else np.zeros(len(y_pred), bool)
        tp, fn = np.sum(true_pos & pred_pos), np.sum(true_pos & ~pred_pos)
        tn, fp = np.sum(~true_pos & ~pred_pos), np.sum(~true_pos & pred_pos)
        if which == "sensitivity":
            return float(
                _safe_ratio(
                    [tp],
                    [tp + fn],
                    zero_division,
                    "Sensitivity",
                    "true samples of the disease class",
                )[0]
            )
        return float(
            _safe_ratio(
                [tn], [tn + fp], zero_division, "Specificity", "true samples of the normal class"
            )[0]
        )
    if average == "clinical":
        if pos_label is not None:
            raise ValueError(
                "pos_label applies to average='binary'; average='clinical' "
                "takes normal_label (every other class is a disease)."
            )
        classes = list(present) if labels is None else list(labels)
        normal = resolve_normal(
            unique_labels(present, np.asarray(classes)) if labels is not None else present,
            normal_label,
        )
        if which == "specificity":
            is_normal = y_true == normal
            tn = np.sum(is_normal & (y_pred == normal))
            return float(
                _safe_ratio(
                    [tn],
                    [np.sum(is_normal)],
                    zero_division,
                    "Specificity",
                    "true samples of the normal class",
                )[0]
            )
        disease = [c for c in classes if c != normal]
        if not disease:
            return float(_safe_ratio([0], [0], zero_division, "Sensitivity", "disease classes")[0])
        tp = [np.sum((y_true == c) & (y_pred == c)) for c in disease]
        n = [np.sum(y_true == c) for c in disease]
        scores = _safe_ratio(tp, n, zero_division, "Sensitivity", "true samples of a disease class")
        if np.all(np.isnan(scores)):
            return float("nan")
        return float(np.nanmean(scores))
    if labels is None:
        labels = present
    tp, fp, tn, fn = _ovr_counts(y_true, y_pred, labels)
    if which == "sensitivity":
        scores = _safe_ratio(tp, tp + fn, zero_division, "Sensitivity", "true samples of the class")
    else:
        scores = _safe_ratio(
            tn, tn + fp, zero_division, "Specificity", "true samples outside the class"
        )
    if average == "macro":
        if np.all(np.isnan(scores)):
            return float("nan")
        return float(np.nanmean(scores))
    return scores


def sensitivity_score(
    y_true,
    y_pred,
    *,
    pos_label=None,
    normal_label=None,
    average="binary",
    labels=None,
    zero_division="warn",
):
    """Sensitivity (recall, true positive rate): TP / (TP + FN).

    The share of diseased images that the model calls diseased.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels: numbers (0 = normal, 1.. = disease classes) or
        strings (e.g. ``"normal"``, ``"covid"``).
    y_pred : array-like of shape (n_samples,)
        Predicted class labels, e.g. ``estimator.predict(X)``.
    pos_label : int or str, default=None
        The disease (positive) class for ``average="binary"``, whatever the
        order of the labels. None: the label that is not the normal one. A
        ``pos_label`` in neither ``y_true`` nor ``y_pred`` is a ValueError
        (unless every sample is normal).
    normal_label : int or str, default=None
        The normal class. None: 0 for numeric labels, else the label named
        like a normal class (module docstring); ValueError when there is none
        or several and it is needed.
    average : {"binary", "clinical", "macro"} or None, default="binary"
        ``"binary"``: the score of the disease class of a two-class problem.
        ``"clinical"``: xraynet's clinical sensitivity for any number of
        classes, the macro-averaged recall over the disease classes (for two
        classes, the same as ``"binary"``). ``"macro"``: the unweighted
        mean of the one-vs-rest score of *every* label, the normal one
        included (a per-class summary, not the clinical sensitivity).
        ``None``: the one-vs-rest score of every label, as an array in label
        order.
    labels : array-like or None, default=None
        Labels to score for ``average="clinical"``, ``"macro"`` or ``None``
        (default: all labels present in ``y_true`` or ``y_pred``, sorted);
        e.g. ``estimator.classes_``, so that a class absent from a fold
        still counts.
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
    >>> sensitivity_score(["normal", "covid", "covid"], ["normal", "covid", "normal"])
    0.5
    >>> sensitivity_score([0, 1, 1, 2, 2], [0, 2, 1, 2, 0], average="clinical")  # (1/2 + 1/2) / 2
    0.5
    """
    return _rate(
        y_true,
        y_pred,
        pos_label=pos_label,
        normal_label=normal_label,
        average=average,
        labels=labels,
        zero_division=zero_division,
        which="sensitivity",
    )


def specificity_score(
    y_true,
    y_pred,
    *,
    pos_label=None,
    normal_label=None,
    average="binary",
    labels=None,
    zero_division="warn",
):
    """Specificity (true negative rate): TN / (TN + FP).

    The share of images *without* the disease that the model calls healthy.
    For multiclass targets each label is scored one-vs-rest.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels (0 = normal, 1.. = disease classes, or strings).
    y_pred : array-like of shape (n_samples,)
        Predicted class labels.
    pos_label : int or str, default=None
        The disease (positive) class for ``average="binary"``; None: the
        label that is not the normal one. As in :func:`sensitivity_score`.
    normal_label : int or str, default=None
        The normal class, as in :func:`sensitivity_score`.
    average : {"binary", "clinical", "macro"} or None, default="binary"
        As in :func:`sensitivity_score`; ``"clinical"`` is the recall of the
        normal class (the share of normal images called normal) for any
        number of classes.
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
    >>> specificity_score(["covid", "normal", "normal"], ["covid", "normal", "covid"])
    0.5
    """
    return _rate(
        y_true,
        y_pred,
        pos_label=pos_label,
        normal_label=normal_label,
        average=average,
        labels=labels,
        zero_division=zero_division,
        which="specificity",
    )


def specificity_at_sensitivity(
    y_true, y_pred, *, min_sensitivity=0.95, pos_label=None, normal_label=None
):
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
    pos_label : int or str, default=None
        The disease class (None: the class that is not normal).
    normal_label : int or str, default=None
        The normal class, as in :func:`sensitivity_score`.

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
    kw = dict(pos_label=pos_label, normal_label=normal_label, zero_division=0.0)
    sens = sensitivity_score(y_true, y_pred, **kw)
    if sens < min_sensitivity:
        return -1.0
    return specificity_score(y_true, y_pred, **kw)
