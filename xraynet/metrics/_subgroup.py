"""Performance per subgroup (view, sex, age band, source...) with bootstrap intervals."""

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ._summary import METRIC_NAMES, _binary_inputs, _bootstrap_intervals, _metrics

__all__ = ["subgroup_report"]

OVERALL = "all"
MISSING = "(missing)"
_METRICS = tuple(k for k in METRIC_NAMES if k not in ("TP", "FP", "TN", "FN"))


def _group_columns(groups, n):
    """``groups`` -> DataFrame of one column per attribute, ``n`` rows."""
    if isinstance(groups, dict):
        groups = pd.DataFrame(groups)
    if isinstance(groups, pd.DataFrame):
        frame = groups.reset_index(drop=True)
    elif isinstance(groups, pd.Series):
        frame = groups.reset_index(drop=True).to_frame(
            groups.name if groups.name is not None else "group"
        )
    else:
        arr = np.asarray(groups, dtype=object)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(
                "groups must be a 1-D array of subgroup labels or a DataFrame with one column "
                f"per attribute (e.g. view, sex, age band); got shape {arr.shape}."
            )
        frame = pd.DataFrame({"group": arr})
    if frame.shape[1] == 0:
        raise ValueError("groups has no column.")
    if len(frame) != n:
        raise ValueError(f"groups has {len(frame)} rows but y_true has {n} samples.")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _levels(col):
    """Subgroup labels of one attribute in display order, and the per-sample labels."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = [c for c in col.cat.categories if (col == c).any()]
    else:
        uniq = pd.unique(col[col.notna()])
        try:
            levels = sorted(uniq)
        except TypeError:
            levels = sorted(uniq, key=str)
    values = col.astype(object).to_numpy()
    missing = col.isna().to_numpy()
    if missing.any():
        levels = list(levels) + [MISSING]
    return list(levels), values, missing


def subgroup_report(
    y_true,
    y_score,
    groups,
    *,
    threshold=0.5,
    n_bootstraps=1000,
    confidence=0.95,
    random_state=0,
    min_count=10,
    pos_label=None,
    normal_label=None,
    metrics=("roc_auc", "sensitivity", "specificity"),
):
    """AUC, sensitivity and specificity of a binary classifier per subgroup.

    A model can look good overall while failing one kind of patient or
    image: portable AP films (sicker patients, often taken with the
    scanner's markers), a hospital, children. This table gives each metric
    with a percentile bootstrap interval for every subgroup of every
    attribute, plus an overall row, so such gaps are visible. Images are
    resampled within each subgroup with the bootstrap of
    :func:`classification_summary`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels: 0 = normal and 1 = disease, or two strings.
    y_score : array-like of shape (n_samples,) or (n_samples, 2)
        Probability of the disease class, or ``predict_proba`` output
        (columns in sorted class order).
    groups : array-like of shape (n_samples,), pandas.DataFrame or dict
        Subgroup label of each image. A DataFrame (or dict of arrays) gives
        one block per column, e.g. ``frame[["view", "sex", "age_band",
        "source"]]``; a 1-D array or Series gives one block (named after the
        Series, else ``"group"``). Categorical columns keep their category
        order (use ``pandas.cut`` for age bands); missing values form a
        ``"(missing)"`` subgroup.
    threshold : float, default=0.5
        Images with ``y_score >= threshold`` are called diseased.
    n_bootstraps : int, default=1000
        Bootstrap resamples per subgroup; 0 gives no intervals.
    confidence : float, default=0.95
        Confidence level of the intervals.
    random_state : int, RandomState instance or None, default=0
        Seed of the resampling.
    min_count : int, default=10
        Subgroups with fewer images get counts but NaN metrics (and a note):
        their estimates would be noise.
    pos_label : int or str, default=None
        The disease class in ``y_true``; None: the class that is not normal.
    normal_label : int or str, default=None
        The normal class; None: 0 for numeric labels, else the label named
        like a normal class (see :func:`~xraynet.metrics.sensitivity_score`).
    metrics : sequence of str, default=("roc_auc", "sensitivity", "specificity")
        Metrics to report, among those of :func:`classification_summary`
        (``accuracy, balanced_accuracy, sensitivity, specificity, ppv, npv,
        f1, roc_auc``).

    Returns
    -------
    report : pandas.DataFrame
        Index ``(attribute, subgroup)``, the first row ``("all", "all")``.
        Columns ``n, n_positive``, then for each metric ``<metric>,
        <metric>_low, <metric>_high``, then ``note`` (why a value is NaN: a
        single class -- no AUC, and no specificity without normal images or
        sensitivity without diseased ones -- or too few images; else "").
        ``report.attrs`` holds ``threshold, confidence, n_bootstraps,
        metrics, min_count, positive_class, normal_class`` and ``labels``.

    Examples
    --------
    >>> from xraynet.metrics import subgroup_report
    >>> y = [0, 1, 0, 1, 0, 1, 1, 1]
    >>> s = [0.2, 0.9, 0.3, 0.8, 0.6, 0.7, 0.4, 0.9]
    >>> view = ["PA", "PA", "PA", "PA", "AP", "AP", "AP", "AP"]
    >>> r = subgroup_report(y, s, view, n_bootstraps=0, min_count=1)
    >>> r.index.tolist()
    [('all', 'all'), ('group', 'AP'), ('group', 'PA')]
    >>> r["n_positive"].tolist(), r["roc_auc"].round(3).tolist()
    ([5, 3, 2], [0.933, 0.667, 1.0])
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    if int(n_bootstraps) < 0:
        raise ValueError(f"n_bootstraps must be >= 0; got {n_bootstraps!r}.")
    if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ValueError(f"min_count must be a positive int; got {min_count!r}.")
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in metrics if m not in _METRICS]
    if unknown or not metrics:
        raise ValueError(f"metrics must be a non-empty subset of {list(_METRICS)}; got {metrics}.")
    pos, score, disease, normal = _binary_inputs(y_true, y_score, pos_label, normal_label)
    if disease is None and normal == 0:
        disease = 1
    frame = _group_columns(groups, len(pos))
    pred = score >= threshold
    rng = check_random_state(random_state)

    def row(mask):
        p, s, d = pos[mask], score[mask], pred[mask]
        n, n_pos = int(p.size), int(p.sum())
        seed = rng.randint(np.iinfo(np.int32).max)  # drawn for every row: stable streams
        out = {"n": n, "n_positive": n_pos}
        notes = []
        if n < min_count:
            notes.append(f"fewer than min_count={min_count} images: not estimated")
            values = {m: (np.nan, np.nan, np.nan) for m in metrics}
        else:
            point = _metrics(p[None], d[None], s[None])
            both = 0 < n_pos < n
            if not both:
                only = "disease" if n_pos else "normal"
                undefined = "specificity" if n_pos else "sensitivity"
                notes.append(f"single class (only {only}): no AUC or {undefined}")
            ci, _ = _bootstrap_intervals(
                p,
                d,
                s,
                n_bootstraps=n_bootstraps,
                confidence=confidence,
                random_state=seed,
                both_classes=both,
            )
            values = {m: (float(point[m][0]), *ci[m]) for m in metrics}
        for m in metrics:
            out[m], out[f"{m}_low"], out[f"{m}_high"] = values[m]
        out["note"] = "; ".join(notes)
        return out

    rows, index = [row(np.ones(len(pos), bool))], [(OVERALL, OVERALL)]
    for attribute in frame.columns:
        levels, values, missing = _levels(frame[attribute])
        for level in levels:
            mask = missing if level is MISSING else (~missing & (values == level))
            rows.append(row(mask))
            index.append((attribute, str(level)))
    report = pd.DataFrame(
        rows, index=pd.MultiIndex.from_tuples(index, names=["attribute", "subgroup"])
    )
    report.attrs.update(
        threshold=float(threshold),
        confidence=float(confidence),
        n_bootstraps=int(n_bootstraps),
        metrics=list(metrics),
        min_count=int(min_count),
        positive_class="" if disease is None else str(disease),
        normal_class="" if normal is None else str(normal),
        labels={m: METRIC_NAMES[m] for m in metrics},
    )
    return report
