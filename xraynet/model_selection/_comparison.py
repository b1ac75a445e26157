"""ModelComparison: cross-validate candidates clean and under acquisition shift, keep the winner.

The per-fold work lives in ``_fold.py``, the stress-test scoring in
``_stress_scoring.py`` and the threshold choice in ``_threshold.py``.
"""

import time
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.metrics import check_scoring
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

from xraynet.utils import is_path_input
from xraynet.utils._progress import progress_bar, progress_write
from xraynet.utils._validation import N_JOBS_CONSTRAINT, NonBoolInterval

from ._ensemble import ProbabilityEnsemble
from ._fold import fit_and_score_fold, takes_groups
from ._setup import resolve_cv, resolve_models
from ._stress_scoring import (
    STRESS_COLUMNS,
    check_stress_params,
    pooled_shifted_scores,
    stress_columns,
)
from ._threshold import THRESHOLD_RULES, choose_threshold
from ._threshold import youden_threshold as _youden_threshold  # noqa: F401 - benchmarks use it

__all__ = ["ModelComparison"]

#: Metrics computed on every held-out fold, in leaderboard order.
CLEAN_METRICS = ("roc_auc", "accuracy", "sensitivity", "specificity", "balanced_accuracy")


class ModelComparison(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Cross-validate several classifiers on the same folds, clean and under shift; keep the best.

    Every candidate is trained on each training part of the folds and scored
    on the held-out part, as it is and under simulated acquisition shifts
    (:func:`xraynet.robustness.stress_test`: exposure, contrast, gamma, blur,
    noise, JPEG re-compression, resampling, rotation, collimation). The
    candidates are ranked by ``rank_by``; the winner is kept as
    ``best_estimator_`` — by default the probability average of its fold
    models (no extra training) with a decision threshold chosen on its
    out-of-fold predictions — so the fitted comparison is itself a classifier.

    Parameters
    ----------
    models : None, dict, list of str or str, default=None
        ``None``: the default comparison at the training images' size
        (:func:`default_model_names`: the zoo, without ``"mobilenetv2"``
        below 64 px); a dict name ->
        unfitted estimator; a list (or comma-separated string) of zoo names.
    cv : int or cross-validation splitter, default=5
        An int gives ``StratifiedKFold(cv, shuffle=True)``, or
        ``StratifiedGroupKFold`` when ``groups`` is passed to :meth:`fit`
        (no patient in two folds). Every candidate sees the same folds.
    scoring : None, str, callable, list of str or dict, default=None
        Extra metrics, computed by scikit-learn scorers on each held-out fold
        (names: ``sklearn.metrics.get_scorer_names()``). ROC AUC, accuracy,
        sensitivity, specificity and balanced accuracy are always reported.
    rank_by : str or None, default=None
        Leaderboard metric (without ``_mean``) that ranks the candidates,
        higher is better: one of the always-reported metrics, a ``scoring``
        name, or a stress-test column (``shifted_balanced_accuracy``,
        ``shifted_roc_auc``, ``worst_specificity``, ...). ``None`` means
        ``"shifted_balanced_accuracy"`` with ``stress=True`` — the balanced
        accuracy at the threshold 0.5, averaged over every shift and
        severity — else ``"roc_auc"`` (see the user guide for why).
    ensemble : {"folds", None}, default="folds"
        ``"folds"``: the winner is the :class:`ProbabilityEnsemble` of its
        cross-validation fold models. ``None``: the winner is retrained on all
        the data (with ``refit=True``).
    threshold : {"youden", "robust"}, float or None, default=None
        Decision threshold of the winner on P(disease) (binary problems):
        ``"youden"`` maximises sensitivity + specificity on the out-of-fold
        predictions; ``"robust"`` does the same on the out-of-fold predictions
        pooled over the clean and every shifted version of the held-out folds;
        a float is used as given. ``None`` means ``"robust"`` with
        ``stress=True``, else ``"youden"`` (see the user guide for the
        measurement behind it). Stored as ``threshold_`` and in the winner.
    refit : bool, default=True
        Build ``best_estimator_``. False keeps only the scores and fold models.
    stress : bool, default=True
        Score every held-out fold under simulated acquisition shifts.
    stress_shifts : str, list of str or None, default=None
        Shift names (:func:`xraynet.robustness.available_shifts`); None: all.
        Unknown names are refused before any training.
    stress_severities : tuple of int, default=(1, 2, 3)
        Severities (1 to 5) of every shift.
    loader : transformer or None, default=None
        Decodes path input once before cross-validation (default
        ``xraynet.ImageLoader()``); the winner then starts with it.
    n_jobs : int or None, default=None
        Folds trained in parallel (joblib; a Dask backend works).
    error_score : "raise" or float, default=np.nan
        ``"raise"`` re-raises a candidate's failure; otherwise the candidate
        gets NaN scores and its error text, and the others go on.
    random_state : int, default=0
        Seed (>= 0) of the folds, the zoo and the stress test; fold ``k`` of
        the stress test uses ``random_state + k``.
    verbose : int, default=1
        0 silent. 1: on stderr, a progress bar over the (candidate, fold)
        fits (tqdm; its postfix names the candidate and fold being fitted and
        the last fold's ROC AUC) and one summary line per candidate. The bar
        is redrawn at most every 30 s when stderr is not a terminal, so a log
        file stays short. The candidates' own ``verbose`` is left as it is.

    Attributes
    ----------
    leaderboard_ : pandas.DataFrame
        One row per candidate (index ``model``), best first: ``<metric>_mean``
        and ``<metric>_sd`` over folds for every metric and stress column,
        ``fit_time``, ``score_time`` (s per fold), ``error`` and ``rank``.
    cv_results_ : pandas.DataFrame
        One row per candidate and fold with every score and timing.
    stress_results_ : pandas.DataFrame or None
        The per-fold stress-test rows of every candidate (``model``,
        ``fold``, ``shift``, ``severity``, scores).
    fold_estimators_ : dict of str -> list of estimators
        The fitted fold models of every candidate (None for a failed fold).
    oof_proba_ : dict of str -> ndarray of shape (n_samples, n_classes)
        Out-of-fold class probabilities of every candidate.
    best_name_ : str or None
        The winner's name.
    best_estimator_ : estimator or None
        The winner (``refit=True``), a Pipeline starting with the loader for
        path input.
    threshold_ : float
        The winner's decision threshold on P(disease).
    threshold_rule_ : str
        How ``threshold_`` was chosen.
    rank_by_ : str
        The metric the leaderboard is sorted by.
    classes_ : ndarray
        Class labels.
    splits_ : list of (train, test) index arrays
        The folds.

    See Also
    --------
    compare_models : The leaderboard in one call.
    patient_holdout_split : Hold out whole patients before comparing.
    evaluate : Score a fitted model on a test set.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from xraynet.classical import ImageFlattener
    >>> from xraynet.model_selection import ModelComparison
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat([0, 1], 30)
    >>> X = (rng.rand(60, 16, 16, 1) * 100 + y[:, None, None, None] * 80).astype(np.uint8)
    >>> models = {"logreg": make_pipeline(ImageFlattener(), LogisticRegression()),
    ...           "dummy": DummyClassifier()}
    >>> comp = ModelComparison(models, cv=3, verbose=0).fit(X, y)
    >>> comp.best_name_, list(comp.leaderboard_.index)
    ('logreg', ['logreg', 'dummy'])
    >>> comp.predict(X[:2]).tolist()
    [0, 0]
    """

    # Types and ranges; what constraints cannot say (threshold="robust" needs
    # stress, non-empty scoring lists, known shift names and metric names) is
    # checked in _check_params, still before any data are read.
    _parameter_constraints = {
        "models": [None, dict, str, list, tuple],
        "cv": ["cv_object"],
        "scoring": [None, str, callable, list, tuple, dict],
        "rank_by": [None, str],
        "ensemble": [StrOptions({"folds"}), None],
        "threshold": [
            None,
            StrOptions(set(THRESHOLD_RULES)),
            NonBoolInterval(Real, 0, 1, closed="neither"),
        ],
        "refit": ["boolean"],
        "stress": ["boolean"],
        "stress_shifts": [None, str, list, tuple],
        "stress_severities": ["array-like"],
        "loader": [None, HasMethods(["fit", "transform"])],
        "n_jobs": N_JOBS_CONSTRAINT,
        "error_score": [StrOptions({"raise"}), Real],
        "random_state": [NonBoolInterval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        models=None,
        *,
        cv=5,
        scoring=None,
        rank_by=None,
        ensemble="folds",
        threshold=None,
        refit=True,
        stress=True,
        stress_shifts=None,
        stress_severities=(1, 2, 3),
        loader=None,
        n_jobs=None,
        error_score=np.nan,
        random_state=0,
        verbose=1,
    ):
        self.models = models
        self.cv = cv
        self.scoring = scoring
        self.rank_by = rank_by
        self.ensemble = ensemble
        self.threshold = threshold
        self.refit = refit
        self.stress = stress
        self.stress_shifts = stress_shifts
        self.stress_severities = stress_severities
        self.loader = loader
        self.n_jobs = n_jobs
        self.error_score = error_score
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ checks
    def _check_params(self):
        """What ``_parameter_constraints`` cannot say; run by ``fit`` before the data."""
        if self.threshold == "robust" and not self.stress:
            raise ValueError("threshold='robust' needs stress=True.")
        if self.stress:
            check_stress_params(self.stress_shifts, self.stress_severities)
        scorers = self._scorers()
        if self.rank_by is not None:
            choices = [*CLEAN_METRICS, *scorers, *(STRESS_COLUMNS if self.stress else ())]
            if self.rank_by not in choices:
                raise ValueError(
                    f"rank_by {self.rank_by!r} is not a leaderboard metric; choose from "
                    f"{', '.join(sorted(choices))}."
                )
        return scorers

    def _scorers(self):
        """``scoring`` as a dict name -> scorer, without the always-reported metrics."""
        from xraynet.metrics import get_scorer

        s = self.scoring
        if s is None:
            return {}
        if isinstance(s, str):
            s = {s: s}
        elif isinstance(s, dict):
            if not s:
                raise ValueError("scoring must not be an empty dict.")
        elif callable(s):
            s = {"score": s}
        else:
            if not s or not all(isinstance(n, str) for n in s):
                raise ValueError(
                    f"scoring as a list must hold one or more metric names (str); got {s!r}."
                )
            s = {n: n for n in s}
        scorers = {k: (get_scorer(v) if isinstance(v, str) else v) for k, v in s.items()}
        return {k: v for k, v in scorers.items() if k not in CLEAN_METRICS}

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=False)  # the candidates validate their own
    def fit(self, X, y, groups=None):
        """Cross-validate every candidate, rank them and build the winner.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels]) or (n_samples,)
            ``uint8`` images, or image file paths (decoded once by ``loader``).
        y : array-like of shape (n_samples,)
            Labels: 0 = normal, 1.. = disease classes.
        groups : array-like of shape (n_samples,), default=None
            Patient ids: folds (and the networks' validation parts) then hold
            whole patients.

        Returns
        -------
        self : ModelComparison
        """
        from xraynet.utils import check_image_array

        scorers = self._check_params()
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D labels; got shape {y.shape}.")
        if len(X) != len(y):
            raise ValueError(f"X and y have different lengths: {len(X)} and {len(y)}.")
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"y must hold at least 2 classes; got only {classes.tolist()}.")
        if groups is not None:
            groups = np.asarray(groups)
            if len(groups) != len(y):
                raise ValueError(f"groups has length {len(groups)}; expected {len(y)}.")
        fitted_loader = None
        if is_path_input(X):
            from xraynet.io import ImageLoader

            fitted_loader = clone(self.loader if self.loader is not None else ImageLoader())
            t0 = time.perf_counter()
            X = fitted_loader.fit_transform(np.asarray([str(p) for p in X], dtype=object))
            progress_write(
                f"[ModelComparison] loaded {len(X)} images {X.shape[1:]} "
                f"in {time.perf_counter() - t0:.1f} s",
                verbose=self.verbose,
            )
        else:
            X = check_image_array(X, name="X")
        models = resolve_models(self.models, int(X.shape[1]), self.random_state)
        splits = list(resolve_cv(self.cv, groups, self.random_state).split(X, y, groups))
        stress = (self.stress_shifts, tuple(self.stress_severities), 0.5) if self.stress else None

        self.classes_ = classes
        self.splits_ = splits
        self.fold_estimators_, self.oof_proba_ = {}, {}
        rows, fold_rows, stress_frames = self._cross_validate(models, X, y, groups, scorers, stress)
        self.cv_results_ = pd.DataFrame(fold_rows)
        self.stress_results_ = (
            pd.concat(stress_frames, ignore_index=True) if stress_frames else None
        )
        self._rank(rows)
        self.best_estimator_ = None
        self.threshold_, self.threshold_rule_ = 0.5, "default 0.5"
        if self.best_name_ is None:
            warnings.warn(
                "every model failed (in at least one fold); there is no winner.",
                UserWarning,
                stacklevel=3,  # the caller of fit, past _fit_context
            )
            return self
        self._choose_threshold(X, y)
        if self.refit:
            self.best_estimator_ = self._build_winner(
                models[self.best_name_], X, y, groups, fitted_loader
            )
        return self

    def _cross_validate(self, models, X, y, groups, scorers, stress):
        """Fit and score every candidate on every fold, with one progress bar over the fits."""
        n_folds = len(self.splits_)
        rows, fold_rows, stress_frames = {}, [], []
        last = ""
        with progress_bar(
            len(models) * n_folds, "ModelComparison", verbose=self.verbose, unit="fit"
        ) as bar:
            for name, est in models.items():
                t0 = time.perf_counter()
                bar.set_postfix_str(f"{name} fold 1/{n_folds}{last}", refresh=False)
                bar.update(0)  # redraws, at most every mininterval
                scorer = check_scoring(est, scoring=scorers) if scorers else None
                fold_results = Parallel(n_jobs=self.n_jobs, return_as="generator")(
                    delayed(fit_and_score_fold)(
                        est, X, y, groups, tr, te, scorer, stress, self.random_state + k
                    )
                    for k, (tr, te) in enumerate(self.splits_)
                )
                results = []
                for k, (result, exc) in enumerate(fold_results):
                    if exc is not None and self.error_score == "raise":
                        raise exc
                    results.append(result)
                    score = result["scores"].get("roc_auc", np.nan)
                    last = f", last: {name} fold {k + 1} " + (
                        "failed" if result["error"] else f"roc_auc={score:.3f}"
                    )
                    now = f"{name} fold {k + 2}/{n_folds}" if k + 1 < n_folds else name
                    bar.set_postfix_str(now + last, refresh=False)
                    bar.update(1)
                rows[name] = self._summarise(name, results, fold_rows, stress_frames)
                summary = ", ".join(
                    f"{m[:-5]}={rows[name][m]:.4f}"
                    for m in rows[name]
                    if m.endswith("_mean")
                    and m[:-5] in ("roc_auc", "balanced_accuracy", "shifted_balanced_accuracy")
                )
                error = f"  ERROR {rows[name]['error']}" if rows[name]["error"] else ""
                progress_write(
                    f"[ModelComparison] {name}: {summary} ({time.perf_counter() - t0:.0f} s)"
                    + error,
                    verbose=self.verbose,
                )
        return rows, fold_rows, stress_frames

    def _summarise(self, name, results, fold_rows, stress_frames):
        ok = [r for r in results if not r["error"]]
        n = len(results)
        self.fold_estimators_[name] = [r["estimator"] for r in results]
        if len(ok) == n:
            oof = np.zeros((sum(len(te) for _, te in self.splits_), len(self.classes_)))
            for r, (_, te) in zip(results, self.splits_):
                oof[te] = r["proba"]
            self.oof_proba_[name] = oof
        for k, r in enumerate(results):
            fold_rows.append(
                {
                    "model": name,
                    "fold": k,
                    **r["scores"],
                    "fit_time": r["fit_time"],
                    "score_time": r["score_time"],
                    "error": r["error"],
                }
            )
            if r["stress"] is not None:
                stress_frames.append(r["stress"].assign(model=name, fold=k))
        row = {}
        metrics = list(CLEAN_METRICS) + [
            m for m in (ok[0]["scores"] if ok else {}) if m not in CLEAN_METRICS
        ]
        for m in metrics:
            vals = np.array([r["scores"].get(m, np.nan) for r in ok], dtype=float)
            vals = vals[np.isfinite(vals)]
            row[f"{m}_mean"] = float(vals.mean()) if vals.size else np.nan
            row[f"{m}_sd"] = float(vals.std(ddof=0)) if vals.size else np.nan
        if self.stress:
            frames = [r["stress"] for r in ok]
            row.update(stress_columns(frames))
        row["fit_time"] = float(np.nanmean([r["fit_time"] for r in results])) if ok else np.nan
        row["score_time"] = float(np.nanmean([r["score_time"] for r in ok])) if ok else np.nan
        errors = [r["error"] for r in results if r["error"]]
        row["error"] = f"{len(errors)}/{n} folds failed: {errors[0]}" if errors else ""
        return row

    def _rank(self, rows):
        board = pd.DataFrame.from_dict(rows, orient="index")
        board.index.name = "model"
        rank_by = self.rank_by or ("shifted_balanced_accuracy" if self.stress else "roc_auc")
        # rank_by was checked against the metrics before training; a scoring
        # column is missing only when every fold of every candidate failed
        if f"{rank_by}_mean" not in board.columns:
            board[f"{rank_by}_mean"] = np.nan
        board = board.sort_values(
            f"{rank_by}_mean", ascending=False, na_position="last", kind="stable"
        )
        board.insert(0, "rank", np.arange(1, len(board) + 1))
        scores = board[f"{rank_by}_mean"]
        complete = [n for n in board.index if n in self.oof_proba_]
        valid = scores[scores.notna() & board.index.isin(complete)]
        self.best_name_ = valid.index[0] if len(valid) else None
        self.rank_by_ = rank_by
        self.leaderboard_ = board

    def _choose_threshold(self, X, y):
        def shifted_scores(y_bin, score):
            return pooled_shifted_scores(
                self.fold_estimators_[self.best_name_],
                self.splits_,
                X,
                y_bin,
                score,
                self.stress_shifts,
                self.stress_severities,
                self.random_state,
            )

        rule = self.threshold
        if rule is None:
            rule = "robust" if self.stress else "youden"
        self.threshold_, self.threshold_rule_ = choose_threshold(
            rule, self.classes_, y, self.oof_proba_[self.best_name_], shifted_scores
        )

    def _build_winner(self, estimator, X, y, groups, fitted_loader):
        t0 = time.perf_counter()
        if self.ensemble == "folds":
            members = self.fold_estimators_[self.best_name_]
            how = f"average of its {len(members)} fold models"
        else:
            fit_kw = {"groups": groups} if groups is not None and takes_groups(estimator) else {}
            members = [clone(estimator).fit(X, y, **fit_kw)]
            how = f"refit on all {len(y)} images"
        winner = ProbabilityEnsemble(members, threshold=self.threshold_).fit()
        if fitted_loader is not None:
            winner = Pipeline([("load", fitted_loader), ("model", winner)])
        progress_write(
            f"[ModelComparison] winner {self.best_name_}: {how}, threshold "
            f"{self.threshold_:.3f} ({time.perf_counter() - t0:.1f} s)",
            verbose=self.verbose,
        )
        return winner

    # ------------------------------------------------------------------ predict
    def _winner(self):
        check_is_fitted(self, "leaderboard_")
        if self.best_estimator_ is None:
            raise AttributeError(
                "this ModelComparison has no best_estimator_ (refit=False, or every model failed)."
            )
        return self.best_estimator_

    def predict_proba(self, X):
        """Class probabilities of the winner.

        Parameters
        ----------
        X : array-like
            Images (or paths, when the comparison was fitted on paths).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._winner().predict_proba(X)

    def predict(self, X):
        """Winner's labels at ``threshold_`` (binary) or the most probable class.

        Parameters
        ----------
        X : array-like

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._winner().predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags
