"""The acquisition stress test: score a fitted classifier under simulated shifts."""

import zlib

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ._shifts import SHIFTS, apply_shift, check_shift

__all__ = ["stress_summary", "stress_test"]


def _split_loader(estimator, X):
    """(model taking arrays, arrays): decode paths with a Pipeline's leading ImageLoader."""
    from xraynet.utils import is_path_input

    if not is_path_input(X):
        return estimator, X
    from sklearn.pipeline import Pipeline

    from xraynet.io import ImageLoader

    steps = getattr(estimator, "steps", None)
    if not steps or not isinstance(steps[0][1], ImageLoader):
        raise ValueError("X holds file paths, but the estimator does not start with an "
                         "xraynet.ImageLoader step; load the images first (ImageLoader) and "
                         "pass the arrays.")
    images = steps[0][1].transform(np.asarray([str(p) for p in X], dtype=object))
    rest = steps[1:]
    return (rest[0][1] if len(rest) == 1 else Pipeline(rest)), images


def _seed(random_state, name, severity):
    """A seed per (shift, severity), independent of which others are requested."""
    return (int(random_state) * 1_000_003 + zlib.crc32(name.encode()) + severity) % 2**32


def stress_test(estimator, X, y, *, shifts=None, severities=(1, 2, 3), threshold=None,
                random_state=0):
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
    shifts : list of str or None, default=None
        Names from :func:`available_shifts`; None means all.
    severities : sequence of int, default=(1, 2, 3)
        Severities (1-5) of every shift.
    threshold : float or None, default=None
        Threshold on P(disease) (binary); None uses the model's own
        (``threshold_`` of the model or of a Pipeline step, else 0.5). With
        more classes, "any disease" is scored against normal by
        1 - P(normal), and the prediction is the most probable class.
    random_state : int, default=0
        Seed of the random shifts; the same seed gives the same table, and a
        shift's rows do not depend on which other shifts are requested.

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
    from xraynet.utils import decision_threshold
    from xraynet.utils import check_image_array

    if not hasattr(estimator, "predict_proba"):
        raise ValueError(f"estimator must have predict_proba; got {type(estimator).__name__}.")
    check_is_fitted(estimator)
    names = list(SHIFTS) if shifts is None else list(shifts)
    if not names:
        raise ValueError("shifts must name at least one shift (or be None for all).")
    severities = list(severities)
    if not severities:
        raise ValueError("severities must hold at least one severity from 1 to 5.")
    for name in names:
        for sev in severities:
            check_shift(name, sev)
            if sev == 0:
                raise ValueError("severities must be from 1 to 5 (the clean row is always "
                                 "included as severity 0).")
    t = decision_threshold(estimator) if threshold is None else float(threshold)
    model, images = _split_loader(estimator, X)
    images = check_image_array(images, name="X")
    y = np.asarray(y).ravel()
    if len(y) != len(images):
        raise ValueError(f"X has {len(images)} images but y has {len(y)} labels.")
    classes = np.asarray(estimator.classes_)
    rows = []
    for name, sev in [("none", 0)] + [(n, s) for n in names for s in severities]:
        batch = images if sev == 0 else apply_shift(
            images, name, sev, random_state=_seed(random_state, name, sev))
        proba = np.asarray(model.predict_proba(batch), dtype=float)
        rows.append({"shift": name, "severity": sev,
                     **clinical_scores(y, proba, classes, t), "n": len(y)})
    table = pd.DataFrame(rows, columns=["shift", "severity", "roc_auc", "accuracy",
                                        "sensitivity", "specificity", "balanced_accuracy", "n"])
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
        ``worst_sensitivity_shift`` (``"name@severity"``), ``threshold``.

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
    required = {"shift", "severity", "roc_auc", "sensitivity", "specificity",
                "balanced_accuracy"}
    if not isinstance(results, pd.DataFrame) or not required <= set(results.columns):
        raise ValueError(f"results must be a stress_test DataFrame with columns "
                         f"{sorted(required)}.")
    clean = results[results["severity"] == 0]
    shifted = results[results["severity"] > 0]
    if shifted.empty:
        raise ValueError("results hold no shifted rows (severity >= 1).")

    def where(col):
        row = shifted.loc[shifted[col].idxmin()]
        return f"{row['shift']}@{int(row['severity'])}"

    clean_auc = float(clean["roc_auc"].mean()) if len(clean) else np.nan
    out = {
        "clean_roc_auc": clean_auc,
        "shifted_roc_auc": float(shifted["roc_auc"].mean()),
        "auc_drop": clean_auc - float(shifted["roc_auc"].mean()),
        "worst_roc_auc": float(shifted["roc_auc"].min()),
        "worst_auc_shift": where("roc_auc"),
        "clean_balanced_accuracy": (float(clean["balanced_accuracy"].mean())
                                    if len(clean) else np.nan),
        "shifted_balanced_accuracy": float(shifted["balanced_accuracy"].mean()),
        "worst_specificity": float(shifted["specificity"].min()),
        "worst_specificity_shift": where("specificity"),
        "worst_sensitivity": float(shifted["sensitivity"].min()),
        "worst_sensitivity_shift": where("sensitivity"),
    }
    if "threshold" in results.attrs:
        out["threshold"] = float(results.attrs["threshold"])
    return out
