"""The acquisition stress test: score a fitted classifier under simulated shifts."""

import zlib
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ._shifts import SHIFTS, apply_shift, check_shift

__all__ = ["robust_score", "stress_summary", "stress_test"]


def _split_loader(estimator, X):
    """(model taking arrays, arrays): decode paths with a Pipeline's leading ImageLoader."""
    from xraynet.utils import is_path_input

    if not is_path_input(X):
        return estimator, X
    from sklearn.pipeline import Pipeline

    from xraynet.io import ImageLoader

    steps = getattr(estimator, "steps", None)
    if not steps or not isinstance(steps[0][1], ImageLoader):
        raise ValueError(
            "X holds file paths, but the estimator does not start with an "
            "xraynet.ImageLoader step; load the images first (ImageLoader) and "
            "pass the arrays."
        )
    images = steps[0][1].transform(np.asarray([str(p) for p in X], dtype=object))
    rest = steps[1:]
    return (rest[0][1] if len(rest) == 1 else Pipeline(rest)), images


def _seed(random_state, name, severity):
    """A seed per (shift, severity), independent of which others are requested."""
    return (int(random_state) * 1_000_003 + zlib.crc32(name.encode()) + severity) % 2**32


def _base_seed(random_state):
    """An int seed: ints as given; None, RandomState and Generator draw one (once per call)."""
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return int(random_state)
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    raise ValueError(
        "random_state must be an int, None, a numpy RandomState or Generator; "
        f"got {random_state!r}."
    )


def _as_list(value, name):
    """A list without repeats (order kept); a lone str or int counts as one item."""
    if isinstance(value, (str, Integral)):
        value = [value]
    try:
        return list(dict.fromkeys(value))
    except TypeError:
        raise ValueError(f"{name} must be a sequence of names / ints; got {value!r}.") from None


def _check_threshold(threshold):
    if (
        not isinstance(threshold, Real)
        or isinstance(threshold, bool)
        or not 0.0 <= float(threshold) <= 1.0
    ):
        raise ValueError(f"threshold must be None or a probability in [0, 1]; got {threshold!r}.")
    return float(threshold)


def _check_n_jobs(n_jobs):
    from joblib import effective_n_jobs

    from xraynet.utils import check_n_jobs

    return max(1, int(effective_n_jobs(check_n_jobs(n_jobs))))


def _batches(images, jobs, random_state, n_jobs):
    """Yield the shifted batch of each (shift, severity) in order.

    With ``n_jobs`` > 1 up to ``n_jobs`` batches are computed ahead in threads
    (OpenCV and NumPy release the GIL) while the caller predicts; the batches
    are the same as with one thread, since each has its own seed.
    """

    def make(job):
        name, sev = job
        return apply_shift(images, name, sev, random_state=_seed(random_state, name, sev))

    if n_jobs == 1 or len(jobs) < 2:
        for job in jobs:
            yield make(job)
        return
    with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="xraynet-stress") as pool:
        pending = [pool.submit(make, job) for job in jobs[:n_jobs]]
        for k in range(len(jobs)):
            batch = pending[k].result()
            pending[k] = None  # drop the reference: at most n_jobs batches held
            if k + n_jobs < len(jobs):
                pending.append(pool.submit(make, jobs[k + n_jobs]))
            yield batch


def stress_test(
    estimator,
    X,
    y,
    *,
    shifts=None,
    severities=(1, 2, 3),
    threshold=None,
    random_state=0,
    n_jobs=None,
):
    """Score a fitted classifier on images under simulated acquisition shifts.

    Validation on one collection of films cannot see what changes between
    hospitals and years — exposure, contrast, processing, sharpness, noise,
    compression, resolution, positioning, collimation. This applies each
    shift of :func:`apply_shift` at every severity to ``X`` and scores the
    model on the result, at its own decision threshold: a model whose
    specificity collapses on slightly darker films will do so on the next
    hospital's films too.

    Parameters
    ----------
    estimator : fitted classifier
        Anything with ``predict_proba`` and ``classes_``: an xraynet
        estimator, a :class:`~xraynet.model_selection.ModelComparison`, a
        Pipeline. For file-path input it must start with an
        :class:`xraynet.ImageLoader` step: the files are decoded by that step
        once and the rest of the pipeline is scored on the shifted images.
    X : array-like of shape (n_samples, height, width[, channels]) or (n_samples,)
        ``uint8`` images, or file paths.
    y : array-like of shape (n_samples,)
        True labels; ``classes_[0]`` is the normal class.
    shifts : str, list of str or None, default=None
        Names from :func:`available_shifts`; None means all. Repeated names
        are scored once.
    severities : int or sequence of int, default=(1, 2, 3)
        Severities (1-5) of every shift.
    threshold : float or None, default=None
        Threshold on P(disease) (binary); None uses the model's own
        (``threshold_`` of the model or of a Pipeline step, else 0.5). With
        more classes the prediction is the most probable class and the
        scores follow :func:`xraynet.metrics.clinical_scores` (macro
        one-vs-rest AUC, macro recall over the disease classes).
    random_state : int, RandomState, Generator or None, default=0
        Seed of the random shifts; the same int gives the same table, and a
        shift's rows do not depend on which other shifts are requested (each
        (shift, severity) gets its own seed derived from it). None, a
        RandomState or a Generator draws one int seed per call.
    n_jobs : int or None, default=None
        Threads that compute shifted batches ahead of the predictions (about
        ``n_jobs`` batches are held at a time). The model itself
        predicts one batch per (shift, severity) in the calling thread, so a
        Keras model is never called concurrently. None means 1 unless in a
        :func:`joblib.parallel_config` context, -1 all cores. The table does
        not depend on ``n_jobs``.

    Returns
    -------
    results : pandas.DataFrame
        One row per (shift, severity), the clean images first as
        ``shift="none", severity=0``; columns ``shift``, ``severity``,
        ``roc_auc``, ``sensitivity``, ``specificity``, ``accuracy``,
        ``balanced_accuracy``, ``n``. ``attrs["threshold"]`` holds the
        threshold used.

    See Also
    --------
    stress_summary : Mean and worst scores of the table.
    robust_score : One number to rank models by.
    StressTestDisplay : The table as a plot.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from xraynet.classical import ImageFlattener
    >>> from xraynet.robustness import stress_test
    >>> rng = np.random.default_rng(0)
    >>> y = np.tile([0, 1], 20)
    >>> X = (rng.integers(0, 120, (40, 16, 16, 1)) + 100 * y[:, None, None, None]).astype(np.uint8)
    >>> clf = make_pipeline(ImageFlattener(), LogisticRegression()).fit(X, y)
    >>> table = stress_test(clf, X, y, shifts=["darker", "noise"], severities=(1, 3))
    >>> table[["shift", "severity"]].values.tolist()
    [['none', 0], ['darker', 1], ['darker', 3], ['noise', 1], ['noise', 3]]
    """
    from xraynet.metrics import clinical_scores
    from xraynet.utils import check_image_array, decision_threshold

    if not hasattr(estimator, "predict_proba"):
        raise ValueError(f"estimator must have predict_proba; got {type(estimator).__name__}.")
    check_is_fitted(estimator)
    names = list(SHIFTS) if shifts is None else _as_list(shifts, "shifts")
    if not names:
        raise ValueError("shifts must name at least one shift (or be None for all).")
    severities = _as_list(severities, "severities")
    if not severities:
        raise ValueError("severities must hold at least one severity from 1 to 5.")
    for name in names:
        for sev in severities:
            check_shift(name, sev)
            if sev == 0:
                raise ValueError(
                    "severities must be from 1 to 5 (the clean row is always "
                    "included as severity 0)."
                )
    t = _check_threshold(decision_threshold(estimator) if threshold is None else threshold)
    seed = _base_seed(random_state)
    workers = _check_n_jobs(n_jobs)
    model, images = _split_loader(estimator, X)
    images = check_image_array(images, name="X")
    y = np.asarray(y).ravel()
    if len(y) != len(images):
        raise ValueError(f"X has {len(images)} images but y has {len(y)} labels.")
    classes = np.asarray(estimator.classes_)
    jobs = [(n, s) for n in names for s in severities]
    rows = []

    def score(name, sev, batch):
        proba = np.asarray(model.predict_proba(batch), dtype=float)
        rows.append(
            {"shift": name, "severity": sev, **clinical_scores(y, proba, classes, t), "n": len(y)}
        )

    score("none", 0, images)
    for (name, sev), batch in zip(jobs, _batches(images, jobs, seed, workers)):
        score(name, sev, batch)
    table = pd.DataFrame(
        rows,
        columns=[
            "shift",
            "severity",
            "roc_auc",
            "accuracy",
            "sensitivity",
            "specificity",
            "balanced_accuracy",
            "n",
        ],
    )
    table.attrs["threshold"] = t
    return table


def stress_summary(results):
    """Summarise a :func:`stress_test` table: clean, mean and worst scores.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`stress_test`.

    Returns
    -------
    summary : dict
        ``clean_roc_auc``, ``shifted_roc_auc`` (mean over every shift and
        severity), ``auc_drop`` (clean minus mean shifted), ``worst_roc_auc``
        and ``worst_auc_shift``, ``clean_balanced_accuracy``,
        ``shifted_balanced_accuracy``, ``worst_specificity`` /
        ``worst_specificity_shift`` and ``worst_sensitivity`` /
        ``worst_sensitivity_shift`` (``"name@severity"``, None where the score is
        undefined, e.g. the AUC of a one-class test set), ``threshold``.

    See Also
    --------
    robust_score : The mean shifted score alone, to rank models by.

    Examples
    --------
    >>> import pandas as pd
    >>> from xraynet.robustness import stress_summary
    >>> t = pd.DataFrame({"shift": ["none", "blur"], "severity": [0, 1], "roc_auc": [.9, .8],
    ...                   "sensitivity": [.9, .8], "specificity": [.9, .7],
    ...                   "balanced_accuracy": [.9, .75]})
    >>> round(stress_summary(t)["auc_drop"], 3), stress_summary(t)["worst_specificity_shift"]
    (0.1, 'blur@1')
    """
    required = {"shift", "severity", "roc_auc", "sensitivity", "specificity", "balanced_accuracy"}
    if not isinstance(results, pd.DataFrame) or not required <= set(results.columns):
        raise ValueError(
            f"results must be a stress_test DataFrame with columns {sorted(required)}."
        )
    clean = results[results["severity"] == 0]
    shifted = results[results["severity"] > 0]
    if shifted.empty:
        raise ValueError("results hold no shifted rows (severity >= 1).")

    def where(col):
        if shifted[col].isna().all():  # undefined, e.g. the AUC of a one-class test set
            return None
        row = shifted.loc[shifted[col].idxmin()]
        return f"{row['shift']}@{int(row['severity'])}"

    clean_auc = float(clean["roc_auc"].mean()) if len(clean) else np.nan
    out = {
        "clean_roc_auc": clean_auc,
        "shifted_roc_auc": float(shifted["roc_auc"].mean()),
        "auc_drop": clean_auc - float(shifted["roc_auc"].mean()),
        "worst_roc_auc": float(shifted["roc_auc"].min()),
        "worst_auc_shift": where("roc_auc"),
        "clean_balanced_accuracy": (
            float(clean["balanced_accuracy"].mean()) if len(clean) else np.nan
        ),
        "shifted_balanced_accuracy": float(shifted["balanced_accuracy"].mean()),
        "worst_specificity": float(shifted["specificity"].min()),
        "worst_specificity_shift": where("specificity"),
        "worst_sensitivity": float(shifted["sensitivity"].min()),
        "worst_sensitivity_shift": where("sensitivity"),
    }
    if "threshold" in results.attrs:
        out["threshold"] = float(results.attrs["threshold"])
    return out


def robust_score(results, metric="roc_auc"):
    """One number to rank models by: the mean of ``metric`` over the shifted rows.

    Every (shift, severity) row of a :func:`stress_test` table counts once;
    the clean row (severity 0) is left out. The score depends on which
    shifts and severities were run, so compare models only on tables made
    with the same ``shifts``, ``severities`` and test images. Higher is
    better for every metric of the table.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`stress_test`.
    metric : str, default="roc_auc"
        A score column: ``"roc_auc"``, ``"balanced_accuracy"``,
        ``"sensitivity"``, ``"specificity"`` or ``"accuracy"``.

    Returns
    -------
    score : float
        NaN only when every shifted value is NaN (e.g. a one-class ``y``).

    See Also
    --------
    stress_summary : Clean, mean and worst scores.

    Examples
    --------
    >>> import pandas as pd
    >>> from xraynet.robustness import robust_score
    >>> t = pd.DataFrame({"shift": ["none", "blur", "noise"], "severity": [0, 1, 1],
    ...                   "roc_auc": [0.95, 0.9, 0.8]})
    >>> round(robust_score(t), 3)
    0.85
    """
    if not isinstance(results, pd.DataFrame) or not {"severity", metric} <= set(results.columns):
        raise ValueError(
            f"results must be a stress_test DataFrame with columns 'severity' and "
            f"{metric!r}; got {type(results).__name__}"
            + (
                f" with columns {list(results.columns)}"
                if isinstance(results, pd.DataFrame)
                else ""
            )
            + "."
        )
    shifted = results.loc[results["severity"] > 0, metric]
    if shifted.empty:
        raise ValueError("results hold no shifted rows (severity >= 1).")
    values = shifted.to_numpy(dtype=float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
