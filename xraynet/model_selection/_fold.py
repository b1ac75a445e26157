"""One candidate on one cross-validation fold: fit, score clean and under shift (private)."""

import inspect
import time

import numpy as np
from sklearn.base import clone

from xraynet.metrics import clinical_scores

from ._stress_scoring import stress_rows

__all__ = ["fit_and_score_fold", "takes_groups"]


def takes_groups(estimator):
    """Whether ``estimator.fit`` has a ``groups`` parameter (patient ids)."""
    try:
        return "groups" in inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):  # pragma: no cover - exotic callables
        return False


def _short_error(exc):
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def fit_and_score_fold(estimator, X, y, groups, train, test, scorer, stress, seed):
    """Fit a clone of ``estimator`` on one fold; score it clean and under shift.

    Returns ``(result, exception)``: ``result`` is a dict (``estimator``,
    ``proba``, ``scores``, ``stress``, ``error``, ``fit_time``,
    ``score_time``); a failing candidate gets its error text and the
    exception is returned, not raised, so that the other candidates go on.
    """
    out = {
        "estimator": None,
        "proba": None,
        "scores": {},
        "stress": None,
        "error": "",
        "fit_time": np.nan,
        "score_time": np.nan,
    }
    est = clone(estimator)
    t0 = time.perf_counter()
    try:
        kwargs = {"groups": groups[train]} if groups is not None and takes_groups(est) else {}
        est.fit(X[train], y[train], **kwargs)
        out["fit_time"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        proba = np.asarray(est.predict_proba(X[test]), dtype=np.float64)
        out["scores"] = clinical_scores(y[test], proba, est.classes_)
        if scorer is not None:
            out["scores"].update(scorer(est, X[test], y[test]))
        if stress is not None:
            out["stress"] = stress_rows(est, X[test], y[test], *stress, seed=seed)
        out["score_time"] = time.perf_counter() - t1
    except Exception as exc:  # noqa: BLE001 - a failing candidate is reported, not fatal
        out["error"] = _short_error(exc)
        return out, exc
    out["estimator"], out["proba"] = est, proba
    return out, None
