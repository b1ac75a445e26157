"""Cross-validated comparison of several image classifiers on the same folds."""

import os
import sys
import time
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import get_scorer, make_scorer, recall_score
from sklearn.model_selection import (
    StratifiedGroupKFold,
    StratifiedKFold,
    check_cv,
    cross_validate,
)
from sklearn.pipeline import Pipeline

from ._leaderboard import Leaderboard

__all__ = ["compare_models", "select_model"]

#: Metrics always reported, in leaderboard order (the primary one goes first).
DEFAULT_METRICS = ("roc_auc", "accuracy", "sensitivity", "specificity", "balanced_accuracy")


def _is_path_input(X):
    """True when ``X`` is a sequence of file paths rather than pixel arrays."""
    if isinstance(X, (str, os.PathLike)):
        return False  # a single path: let the loader / validation complain
    if isinstance(X, np.ndarray):
        return X.ndim == 1 and X.dtype.kind in "OUS"
    if isinstance(X, pd.Series):
        return X.dtype.kind in "OUS"
    try:
        first = X[0]
    except (TypeError, IndexError, KeyError):
        return False
    return isinstance(first, (str, os.PathLike))


def _metrics_module():
    """``xraynet.metrics`` if it provides the clinical scorers, else None."""
    try:
        from xraynet import metrics
    except ImportError:  # pragma: no cover - the package is always there
        return None
    return metrics if hasattr(metrics, "get_scorer") else None


def _clinical_scorer(name, classes):
    """Sensitivity / specificity scorer for the label set ``classes``.

    The first (smallest) class is *normal*; all others are disease classes.
    Sensitivity is the recall of the disease class (binary) or the macro
    recall over the disease classes (multiclass); specificity is the recall
    of the normal class.
    """
    normal, disease = classes[0], list(classes[1:])
    metrics = _metrics_module()
    if metrics is not None and len(classes) == 2 and list(classes) == [0, 1]:
        try:
            return metrics.get_scorer(name)
        except (KeyError, ValueError):
            pass
    if name == "sensitivity":
        if len(disease) == 1:
            return make_scorer(recall_score, pos_label=disease[0], zero_division=0.0)
        return make_scorer(recall_score, labels=disease, average="macro", zero_division=0.0)
    return make_scorer(recall_score, labels=[normal], average="macro", zero_division=0.0)


def _resolve_scoring(scoring, classes):
    """Return (ordered dict name -> scorer, primary metric name)."""
    if scoring is None:
        user = {}
    elif isinstance(scoring, str):
        user = {scoring: scoring}
    elif callable(scoring):
        user = {"score": scoring}
    elif isinstance(scoring, dict):
        if not scoring:
            raise ValueError("scoring must not be an empty dict.")
        user = dict(scoring)
    else:
        try:
            names = list(scoring)
        except TypeError:
            raise ValueError(
                f"scoring must be None, a str, a callable, a list of str or a dict; "
                f"got {scoring!r}."
            ) from None
        if not names or not all(isinstance(n, str) for n in names):
            raise ValueError(f"scoring must be a non-empty list of metric names; got {scoring!r}.")
        user = {n: n for n in names}
    names = list(user) + [m for m in DEFAULT_METRICS if m not in user]
    specs = {**{m: m for m in DEFAULT_METRICS}, **user}
    multiclass = len(classes) > 2
    metrics = _metrics_module()
    scorers = {}
    for name in names:
        spec = specs[name]
        if not isinstance(spec, str):
            scorers[name] = spec
        elif spec in ("sensitivity", "specificity"):
            scorers[name] = _clinical_scorer(spec, classes)
        elif multiclass and spec == "roc_auc":
            scorers[name] = get_scorer("roc_auc_ovr")
        elif metrics is not None:
            try:
                scorers[name] = metrics.get_scorer(spec)
            except (KeyError, ValueError):
                scorers[name] = get_scorer(spec)
        else:
            scorers[name] = get_scorer(spec)
    return scorers, names[0]


def _resolve_models(models, image_size, random_state):
    """Turn the ``models`` argument into an ordered dict name -> estimator."""
    from ._zoo import available_models, default_models

    if models is None:
        return default_models(image_size=image_size, random_state=random_state)
    if isinstance(models, dict):
        if not models:
            raise ValueError("models must not be empty.")
        return dict(models)
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    names = list(models)
    if not names:
        raise ValueError("models must not be empty.")
    choices = available_models()
    unknown = [n for n in names if n not in choices]
    if unknown:
        raise ValueError(
            f"unknown model name(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(choices)}."
        )
    zoo = default_models(image_size=image_size, random_state=random_state)
    return {n: zoo[n] for n in names}


def _resolve_cv(cv, groups, random_state):
    if cv is None:
        cv = 5
    if isinstance(cv, Integral):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 folds; got {cv}.")
        if groups is not None:
            return StratifiedGroupKFold(n_splits=int(cv), shuffle=True, random_state=random_state)
        return StratifiedKFold(n_splits=int(cv), shuffle=True, random_state=random_state)
    return check_cv(cv, classifier=True)


def _short_error(text):
    """The ``ExceptionType: message`` line of a traceback / sklearn failure summary."""
    lines = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
    if not lines:
        return "unknown error"
    for line in reversed(lines):
        head = line.split(":", 1)[0]
        if head and " " not in head and (head.endswith("Error") or head.endswith("Exception")):
            return line
    return lines[-1]


def _log(verbose, msg):
    if verbose:
        print(f"[compare_models] {msg}", file=sys.stderr, flush=True)


def _load_images(X, loader, verbose):
    """Decode file paths once; return (loaded array, fitted loader)."""
    if loader is None:
        from xraynet.io import ImageLoader

        loader = ImageLoader()
    loader = clone(loader)
    t0 = time.perf_counter()
    X_img = loader.fit_transform(np.asarray([str(p) for p in X], dtype=object))
    _log(verbose, f"loaded {len(X_img)} images {X_img.shape[1:]} "
                  f"in {time.perf_counter() - t0:.1f} s")
    return X_img, loader


def _cross_validate_one(name, est, X, y, groups, splits, scorers, n_jobs, error_score, verbose):
    """Cross-validate one model; never raises unless ``error_score == 'raise'``."""
    n = len(splits)
    row = {}
    t0 = time.perf_counter()
    error = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = cross_validate(
                clone(est), X, y, groups=groups, cv=splits, scoring=scorers,
                n_jobs=n_jobs, error_score=error_score,
                verbose=max(int(verbose) - 1, 0),
            )
        except Exception as exc:  # model-level failure: report, go on
            if isinstance(error_score, str) and error_score == "raise":
                raise
            text = str(exc)
            if text.lstrip().startswith("All the"):  # sklearn: every fold failed
                error = f"{n}/{n} folds failed: {_short_error(text)}"
            else:
                first = text.strip().splitlines()[0] if text.strip() else ""
                error = f"{type(exc).__name__}: {first}"
            res = None
    for w in caught:
        text = str(w.message)
        if issubclass(w.category, FitFailedWarning) and "fits failed out of" in text:
            n_failed = text.split(" fits failed out of")[0].strip()
            error = f"{n_failed}/{n} folds failed: {_short_error(text)}"
        elif "Scoring failed" in text:
            error = error or f"scoring failed: {_short_error(text)}"
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    for metric in scorers:
        vals = (np.asarray(res[f"test_{metric}"], dtype=float) if res is not None
                else np.full(n, np.nan))
        ok = vals[np.isfinite(vals)]
        row[f"{metric}_mean"] = float(ok.mean()) if ok.size else np.nan
        row[f"{metric}_sd"] = float(ok.std(ddof=0)) if ok.size else np.nan
    row["fit_time"] = float(np.mean(res["fit_time"])) if res is not None else np.nan
    row["score_time"] = float(np.mean(res["score_time"])) if res is not None else np.nan
    row["error"] = error
    primary = next(iter(scorers))
    msg = (f"{name}: {primary}={row[f'{primary}_mean']:.4f} ± {row[f'{primary}_sd']:.4f} "
           f"(fit {row['fit_time']:.1f} s/fold, total {time.perf_counter() - t0:.1f} s)")
    _log(verbose, msg + (f"  ERROR {error}" if error else ""))
    return row


def compare_models(X, y, *, models=None, cv=5, groups=None, scoring=None, n_jobs=None,
                   error_score=np.nan, refit=True, loader=None, random_state=0, verbose=1):
    """Cross-validate several classifiers on the same folds and rank them.

    Parameters
    ----------
    X : array-like of shape (n_samples, height, width[, channels]) or (n_samples,)
        ``uint8`` images, or file paths. Paths are decoded **once** with
        ``loader`` before cross-validation, so no candidate decodes them again.
    y : array-like of shape (n_samples,)
        Labels: 0 = normal, 1.. = disease classes (the disease class is positive).
    models : None, dict, list of str or str, default=None
        ``None`` uses the whole :func:`default_models` zoo; a dict maps names
        to (unfitted) estimators; a list (or comma-separated string) picks
        models of the zoo by name (see :func:`available_models`).
    cv : int or cross-validation splitter, default=5
        An int gives ``StratifiedKFold(cv, shuffle=True, random_state=random_state)``,
        or ``StratifiedGroupKFold`` when ``groups`` is given so that no group
        (patient) appears in two folds. Every model sees the same folds.
    groups : array-like of shape (n_samples,), default=None
        Group (patient) ids for grouped cross-validation.
    scoring : str, callable, list of str or dict, default=None
        Metrics to compute. The first one is the *primary* score that ranks the
        models (default ``"roc_auc"``; macro one-vs-rest AUC for multiclass).
        ROC AUC, accuracy, sensitivity, specificity and balanced accuracy are
        always reported.
    n_jobs : int, default=None
        Folds evaluated in parallel (passed to :func:`~sklearn.model_selection.cross_validate`).
    error_score : 'raise' or float, default=np.nan
        Score of a failed fit. Unless ``'raise'``, a model that fails in
        every fold gets NaN scores and its exception text in the ``error``
        column, and the other models still run; when only some folds fail,
        means and sds are over the folds that succeeded and ``error`` says
        how many failed.
    refit : bool, default=True
        Refit the best model (highest primary mean score, NaN ignored) on all
        of ``X, y`` and store it in ``leaderboard.attrs["best_model_"]``
        (a ``Pipeline([loader, model])`` that predicts from paths if ``X``
        held paths).
    loader : transformer, default=None
        Loader for path input; default ``xraynet.ImageLoader()``.
    random_state : int, default=0
        Seed of the folds and of the zoo models.
    verbose : int, default=1
        0 silent; 1 one line per model on stderr; >1 also cross_validate's output.

    Returns
    -------
    leaderboard : pandas.DataFrame
        One row per model (index ``model``), sorted by the primary mean score
        (descending, failures last), with columns ``<metric>_mean`` and
        ``<metric>_sd`` per metric, ``fit_time`` and ``score_time`` (mean
        seconds per fold) and ``error`` (empty when the model ran). ``attrs``
        holds ``primary_metric``, ``best_model_name_`` and, with
        ``refit=True``, ``best_model_`` (None if every model failed). It is a
        DataFrame subclass whose derived objects (columns, ``round()``, ...)
        share ``attrs`` instead of deep-copying the fitted model.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat([0, 1], 20)
    >>> X = (rng.rand(40, 8, 8, 1) * 100 + y[:, None, None, None] * 100).astype(np.uint8)
    >>> flat = FunctionTransformer(lambda X: X.reshape(len(X), -1) / 255.0)
    >>> models = {"logreg": make_pipeline(flat, LogisticRegression()),
    ...           "dummy": DummyClassifier()}
    >>> board = compare_models(X, y, models=models, cv=3, verbose=0)
    >>> list(board.index)
    ['logreg', 'dummy']
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D labels; got shape {y.shape}.")
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(f"y must hold at least 2 classes; got only {classes.tolist()}.")
    if len(X) != len(y):
        raise ValueError(f"X and y have different lengths: {len(X)} and {len(y)}.")
    if groups is not None:
        groups = np.asarray(groups)
        if len(groups) != len(y):
            raise ValueError(f"groups has length {len(groups)}; expected {len(y)}.")

    fitted_loader = None
    if _is_path_input(X):
        X, fitted_loader = _load_images(X, loader, verbose)
    else:
        from xraynet.utils import check_image_array

        X = check_image_array(X, name="X")
    scorers, primary = _resolve_scoring(scoring, classes)
    model_dict = _resolve_models(models, int(X.shape[1]), random_state)
    splitter = _resolve_cv(cv, groups, random_state)
    splits = list(splitter.split(X, y, groups))

    rows = {}
    t_all = time.perf_counter()
    for i, (name, est) in enumerate(model_dict.items(), 1):
        _log(verbose, f"({i}/{len(model_dict)}) {name}: {len(splits)}-fold CV ...")
        rows[name] = _cross_validate_one(
            name, est, X, y, groups, splits, scorers, n_jobs, error_score, verbose)
    board = Leaderboard(pd.DataFrame.from_dict(rows, orient="index"))
    board.index.name = "model"
    board = board.sort_values(f"{primary}_mean", ascending=False, na_position="last",
                              kind="stable")
    _log(verbose, f"cross-validation done in {time.perf_counter() - t_all:.1f} s")

    scores = board[f"{primary}_mean"]
    best_name = scores.idxmax() if scores.notna().any() else None
    board.attrs["primary_metric"] = primary
    board.attrs["best_model_name_"] = best_name
    if refit:
        best = None
        if best_name is None:
            warnings.warn("every model failed; nothing to refit.", UserWarning, stacklevel=2)
        else:
            t0 = time.perf_counter()
            best = clone(model_dict[best_name]).fit(X, y)
            if fitted_loader is not None:
                best = Pipeline([("load", fitted_loader), ("model", best)])
            _log(verbose, f"refit {best_name} on all {len(y)} images in "
                          f"{time.perf_counter() - t0:.1f} s")
        board.attrs["best_model_"] = best
    return board


def select_model(X, y, **kwargs):
    """Return the best model of :func:`compare_models`, refit on all data.

    Parameters
    ----------
    X, y :
        As in :func:`compare_models`.
    **kwargs :
        Any other :func:`compare_models` argument (``refit`` is forced to True).

    Returns
    -------
    estimator : fitted estimator
        The winner, refit on all of ``X, y`` (``leaderboard.attrs["best_model_"]``).

    Raises
    ------
    RuntimeError
        If every model failed.
    """
    kwargs["refit"] = True
    board = compare_models(X, y, **kwargs)
    best = board.attrs.get("best_model_")
    if best is None:
        raise RuntimeError("every model failed:\n" + board["error"].to_string())
    return best
