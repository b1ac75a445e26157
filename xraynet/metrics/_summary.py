"""Clinical summary with bootstrap confidence intervals, and operating points."""

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import roc_curve
from sklearn.utils import check_random_state

from xraynet.utils import disease_scores

from ._labels import binary_roles

__all__ = ["OperatingPoint", "classification_summary", "threshold_for_sensitivity"]

METRIC_NAMES = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "sensitivity": "Sensitivity (recall, TPR)",
    "specificity": "Specificity (TNR)",
    "ppv": "PPV (precision)",
    "npv": "NPV",
    "f1": "F1 score",
    "roc_auc": "ROC AUC",
    "TP": "True positives",
    "FP": "False positives",
    "TN": "True negatives",
    "FN": "False negatives",
}


def _binary_inputs(y_true, y_score, pos_label, normal_label=None):
    """``(is disease, disease score, disease label, normal label)`` of a binary problem.

    A (n_samples, 2) ``y_score`` is ``predict_proba`` output whose columns
    follow the sorted classes (scikit-learn's ``classes_``): the disease
    column is found from the labels, not assumed to be the last one.
    """
    y_true = np.asarray(y_true)
    if y_true.ndim == 2 and y_true.shape[1] == 1:
        y_true = y_true.ravel()
    if y_true.ndim != 1 or y_true.shape[0] == 0:
        raise ValueError(
            f"y_true must be a non-empty 1-D array of labels; got shape {y_true.shape}."
        )
    labels = np.unique(y_true)
    if len(labels) > 2:
        raise ValueError(
            f"y_true has {len(labels)} classes {labels.tolist()}; this summary is for a "
            "binary (normal vs disease) problem. Collapse the disease classes first, e.g. "
            "y_true != 0 with y_score = 1 - proba[:, 0]."
        )
    try:
        pos, normal = binary_roles(labels, pos_label=pos_label, normal_label=normal_label)
    except ValueError as exc:
        raise ValueError(str(exc).replace(" and y_pred", "")) from None
    score = np.asarray(y_score, dtype=float)
    if score.ndim == 2 and score.shape[1] == 2:
        numeric = labels.dtype.kind in "biuf"
        if numeric:
            disease = 1 if pos is None else pos
            column = int(normal is not None and disease > normal)
        elif pos is not None and normal is not None:
            column = sorted([pos, normal]).index(pos)
        else:
            raise ValueError(
                "y_score is (n_samples, 2) predict_proba output, but y_true holds one class "
                f"({labels.tolist()}) so its columns cannot be matched to the disease and "
                "normal classes; pass the disease probability (1-D), or both pos_label "
                "and normal_label."
            )
        score = score[:, column]
    score = disease_scores(score)
    if score.shape[0] != y_true.shape[0]:
        raise ValueError(
            f"y_true and y_score have different lengths: {y_true.shape[0]} and {score.shape[0]}."
        )
    if not np.all(np.isfinite(score)):
        raise ValueError("y_score contains NaN or infinite values.")
    is_pos = y_true == pos if pos is not None else np.zeros(len(y_true), bool)
    return is_pos, score, pos, normal


def _div(num, den):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _metrics(pos, pred, score):
    """Vectorised metrics; every argument is (n_resamples, n_samples)."""
    tp = np.sum(pos & pred, axis=1).astype(float)
    fp = np.sum(~pos & pred, axis=1).astype(float)
    fn = np.sum(pos & ~pred, axis=1).astype(float)
    tn = np.sum(~pos & ~pred, axis=1).astype(float)
    n_pos, n_neg = tp + fn, tn + fp
    sens, spec = _div(tp, n_pos), _div(tn, n_neg)
    ranks = rankdata(score, axis=1)  # average ranks for ties
    rank_sum = np.sum(np.where(pos, ranks, 0.0), axis=1)
    auc = _div(rank_sum - n_pos * (n_pos + 1) / 2, n_pos * n_neg)
    return {
        "accuracy": (tp + tn) / pos.shape[1],
        "balanced_accuracy": (sens + spec) / 2,
        "sensitivity": sens,
        "specificity": spec,
        "ppv": _div(tp, tp + fp),
        "npv": _div(tn, tn + fn),
        "f1": _div(2 * tp, 2 * tp + fp + fn),
        "roc_auc": auc,
        "TP": tp,
        "FP": fp,
        "TN": tn,
        "FN": fn,
    }


def classification_summary(
    y_true,
    y_score,
    *,
    threshold=0.5,
    n_bootstraps=1000,
    confidence=0.95,
    random_state=0,
    target_names=None,
    pos_label=None,
    normal_label=None,
):
    """Clinical metrics of a binary classifier with bootstrap confidence intervals.

    The images are resampled with replacement ``n_bootstraps`` times (all
    resamples computed at once with NumPy); resamples that contain a single
    class are skipped. The interval is the percentile interval of the
    resampled values. Metrics whose denominator is zero (e.g. PPV when
    nothing is predicted positive) are NaN.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels: 0 = normal and 1 = disease, or two strings (e.g.
        ``"normal"``, ``"covid"``).
    y_score : array-like of shape (n_samples,) or (n_samples, 2)
        Probability of the disease class, or ``predict_proba`` output (its
        columns in sorted class order, as ``classes_``).
    threshold : float, default=0.5
        Images with ``y_score >= threshold`` are called diseased (the rule of
        :class:`sklearn.model_selection.FixedThresholdClassifier`).
    n_bootstraps : int, default=1000
        Number of bootstrap resamples; 0 gives no intervals (NaN columns).
    confidence : float, default=0.95
        Confidence level of the intervals.
    random_state : int, RandomState instance or None, default=0
        Seed of the resampling.
    target_names : sequence of str or None, default=None
        Class names indexed by numeric label (normal first); the disease name
        is stored in ``summary.attrs["positive_class"]``.
    pos_label : int or str, default=None
        The disease class in ``y_true``; None: the class that is not normal.
    normal_label : int or str, default=None
        The normal class; None: 0 for numeric labels, else the label named
        like a normal class (see :func:`sensitivity_score`).

    Returns
    -------
    summary : pandas.DataFrame
        Rows ``accuracy, balanced_accuracy, sensitivity, specificity, ppv, npv,
        f1, roc_auc, TP, FP, TN, FN``; columns ``value, ci_low, ci_high``
        (no intervals for the counts). ``summary.attrs`` holds ``threshold``,
        ``confidence``, ``n_bootstraps`` (resamples used), ``n_samples``,
        ``positive_class``, ``normal_class`` and ``labels`` (readable metric
        names).

    Examples
    --------
    >>> from xraynet.metrics import classification_summary
    >>> s = classification_summary([0, 0, 1, 1], [0.1, 0.6, 0.7, 0.9], n_bootstraps=0)
    >>> float(s.loc["sensitivity", "value"]), float(s.loc["specificity", "value"])
    (1.0, 0.5)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    if int(n_bootstraps) < 0:
        raise ValueError(f"n_bootstraps must be >= 0; got {n_bootstraps!r}.")
    pos, score, disease, normal = _binary_inputs(y_true, y_score, pos_label, normal_label)
    pred = score >= threshold
    point = _metrics(pos[None], pred[None], score[None])
    names = list(point)
    n = pos.shape[0]
    intervals, n_valid = _bootstrap_intervals(
        pos,
        pred,
        score,
        n_bootstraps=n_bootstraps,
        confidence=confidence,
        random_state=random_state,
    )
    rows = [(float(point[k][0]), *intervals[k]) for k in names]
    summary = pd.DataFrame(
        rows, index=pd.Index(names, name="metric"), columns=["value", "ci_low", "ci_high"]
    )
    if disease is None and (normal == 0 or target_names is not None):
        disease = 1  # numeric convention (or target_names by number): 1 = disease
    positive = "" if disease is None else str(disease)
    if target_names is not None:
        target_names = list(target_names)
        if len(target_names) < 2:
            raise ValueError(f"target_names must name both classes; got {target_names!r}.")
        if isinstance(disease, (int, np.integer)) and 0 <= disease < len(target_names):
            positive = str(target_names[disease])
    summary.attrs.update(
        normal_class="" if normal is None else str(normal),
        threshold=float(threshold),
        confidence=float(confidence),
        n_bootstraps=int(n_valid),
        n_samples=int(n),
        positive_class=positive,
        labels=dict(METRIC_NAMES),
    )
    return summary


def _bootstrap_intervals(
    pos, pred, score, *, n_bootstraps, confidence, random_state, both_classes=True
):
    """Percentile bootstrap intervals of every metric of :func:`_metrics`.

    ``pos``, ``pred`` (bool) and ``score`` are 1-D. With ``both_classes``,
    resamples holding a single class are skipped (the default of
    :func:`classification_summary`); otherwise they are kept and the metrics
    they leave undefined (NaN) are ignored. Counts get no interval. Returns
    ``({metric: (low, high)}, number of resamples used)``.
    """
    names = list(METRIC_NAMES)
    boot = {k: [] for k in names}
    n = pos.shape[0]
    n_valid = 0
    if n_bootstraps and n:
        rng = check_random_state(random_state)
        chunk = max(1, min(int(n_bootstraps), 4_000_000 // n))
        left = int(n_bootstraps)
        while left > 0:
            m = min(chunk, left)
            left -= m
            idx = rng.randint(0, n, size=(m, n))
            p = pos[idx]
            if both_classes:
                n_p = p.sum(axis=1)
                keep = (n_p > 0) & (n_p < n)
                if not keep.any():
                    continue
                idx, p = idx[keep], p[keep]
            n_valid += idx.shape[0]
            for k, v in _metrics(p, pred[idx], score[idx]).items():
                boot[k].append(v)
    alpha = (1 - confidence) / 2
    out = {}
    for k in names:
        low = high = np.nan
        if n_valid and k not in ("TP", "FP", "TN", "FN"):
            vals = np.concatenate(boot[k])
            vals = vals[~np.isnan(vals)]
            if vals.size:
                low, high = np.quantile(vals, [alpha, 1 - alpha])
        out[k] = (float(low), float(high))
    return out, n_valid


class OperatingPoint(NamedTuple):
    """A decision threshold and the sensitivity / specificity it gives.

    Parameters
    ----------
    threshold : float
        The decision threshold on the disease score.
    sensitivity : float
        Sensitivity at that threshold.
    specificity : float
        Specificity at that threshold.
    """

    threshold: float
    sensitivity: float
    specificity: float


def threshold_for_sensitivity(y_true, y_score, target=0.95, *, pos_label=None, normal_label=None):
    """Highest decision threshold whose sensitivity reaches ``target``.

    Choose the operating point on *validation* data, then deploy it (and
    report its performance on a separate test set)::

        t, sens, spec = threshold_for_sensitivity(y_val, clf.predict_proba(X_val), 0.95)
        from sklearn.model_selection import FixedThresholdClassifier
        deployed = FixedThresholdClassifier(clf, threshold=t)  # predicts score >= t

    The highest such threshold gives the best specificity among the
    thresholds meeting the target. Scikit-learn's
    :class:`~sklearn.model_selection.TunedThresholdClassifierCV` instead
    optimises a scorer by cross-validation; to get a similar constrained
    point use ``scoring=make_scorer(specificity_at_sensitivity,
    min_sensitivity=0.95)`` (see :func:`specificity_at_sensitivity`).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels (0 / 1, or two strings); both classes needed.
    y_score : array-like of shape (n_samples,) or (n_samples, 2)
        Probability of the disease class, or ``predict_proba`` output.
    target : float, default=0.95
        Wanted sensitivity, in (0, 1].
    pos_label : int or str, default=None
        The disease class; None: the class that is not normal.
    normal_label : int or str, default=None
        The normal class (see :func:`sensitivity_score`).

    Returns
    -------
    point : OperatingPoint
        Named tuple ``(threshold, sensitivity, specificity)`` measured on
        the given data with the rule ``y_score >= threshold``.

    Examples
    --------
    >>> from xraynet.metrics import threshold_for_sensitivity
    >>> threshold_for_sensitivity([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], target=1.0)
    OperatingPoint(threshold=0.35, sensitivity=1.0, specificity=0.5)
    """
    if not 0 < target <= 1:
        raise ValueError(f"target sensitivity must be in (0, 1]; got {target!r}.")
    pos, score, _, _ = _binary_inputs(y_true, y_score, pos_label, normal_label)
    if pos.all() or not pos.any():
        raise ValueError(
            "threshold_for_sensitivity needs both classes in y_true (got only "
            f"{'disease' if pos.all() else 'normal'} cases)."
        )
    fpr, tpr, thresholds = roc_curve(pos, score, drop_intermediate=False)
    i = int(np.flatnonzero(tpr >= target - 1e-12)[0])
    i = max(i, 1)  # index 0 is the +inf threshold (nothing positive)
    return OperatingPoint(float(thresholds[i]), float(tpr[i]), float(1 - fpr[i]))
