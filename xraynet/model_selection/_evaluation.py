"""Held-out splits by patient and the evaluation of a fitted model on a test set."""

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from xraynet.metrics import clinical_scores
from xraynet.utils import decision_threshold, is_path_input

__all__ = ["evaluate", "patient_holdout_split"]


def patient_holdout_split(X, y, groups=None, *, test_size=0.2, random_state=0):
    """Hold out a stratified share of the patients (of the images without ``groups``).

    The split a comparison should be evaluated on: no patient has images on
    both sides, so the held-out score is not inflated by near-duplicate
    films of the same child.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Images or paths.
    y : array-like of shape (n_samples,)
    groups : array-like of shape (n_samples,) or None, default=None
        Patient ids.
    test_size : float in (0, 0.5], default=0.2
        Share held out (rounded to ``1 / round(1 / test_size)``: whole folds
        of a ``StratifiedGroupKFold``).
    random_state : int, default=0

    Returns
    -------
    X_train, X_test, y_train, y_test, groups_train, groups_test
        ``groups_*`` are None without ``groups``.

    Examples
    --------
    >>> import numpy as np
    >>> from xraynet.model_selection import patient_holdout_split
    >>> X = np.arange(40); y = np.tile([0, 1], 20); patients = np.arange(40) // 2
    >>> Xtr, Xte, ytr, yte, gtr, gte = patient_holdout_split(X, y, patients)
    >>> len(Xte), bool(set(gtr) & set(gte))
    (8, False)
    """
    if not 0 < test_size <= 0.5:
        raise ValueError(f"test_size must be in (0, 0.5]; got {test_size!r}.")
    y = np.asarray(y)
    X = np.asarray(X, dtype=object) if is_path_input(X) else np.asarray(X)
    n_splits = max(2, round(1 / test_size))
    if groups is not None:
        groups = np.asarray(groups)
        split = StratifiedGroupKFold(n_splits, shuffle=True, random_state=random_state)
    else:
        split = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    try:
        tr, te = next(split.split(X, y, groups))
    except ValueError as exc:
        raise ValueError(f"too few images (or patients) to hold out a test split: {exc}") from exc
    g = (None, None) if groups is None else (groups[tr], groups[te])
    return X[tr], X[te], y[tr], y[te], *g


def evaluate(
    estimator,
    X_test,
    y_test,
    *,
    threshold=None,
    target_names=None,
    n_bootstraps=1000,
    random_state=0,
):
    """Score a fitted classifier on a labelled test set, with bootstrap intervals.

    Parameters
    ----------
    estimator : fitted classifier
        Anything with ``predict_proba`` and ``classes_`` (a
        :class:`ModelComparison`, its ``best_estimator_``, a Pipeline...).
    X_test : array-like
        Test images, or paths for a model that starts with a loader.
    y_test : array-like of shape (n_samples,)
    threshold : float or None, default=None
        Threshold on P(disease); None takes the model's own (``threshold_``
        of the model or of a Pipeline step, else 0.5).
    target_names : sequence of str or None, default=None
        Class names, normal first.
    n_bootstraps : int, default=1000
        Resamples for the 95 % intervals (binary problems).
    random_state : int, default=0

    Returns
    -------
    result : dict
        ``threshold``, the metrics (``roc_auc``, ``accuracy``,
        ``sensitivity``, ``specificity``, ``balanced_accuracy``, ... at that
        threshold), ``ci95`` (metric -> [low, high], binary), ``at_0.5``
        (the metrics at threshold 0.5) and ``proba`` (the predicted
        probabilities, an array).
    """
    from xraynet.metrics import classification_summary

    y_test = np.asarray(y_test).ravel()
    classes = np.asarray(estimator.classes_)
    proba = np.asarray(estimator.predict_proba(X_test), dtype=float)
    if len(proba) != len(y_test):
        raise ValueError(f"X_test gave {len(proba)} predictions for {len(y_test)} labels.")
    t = decision_threshold(estimator) if threshold is None else float(threshold)
    out = {"threshold": t, **clinical_scores(y_test, proba, classes, t)}
    if len(classes) == 2:
        s = classification_summary(
            y_test,
            proba[:, 1],
            threshold=t,
            target_names=target_names,
            pos_label=classes[1],
            n_bootstraps=n_bootstraps,
            random_state=random_state,
        )
        out.update({k: float(s.loc[k, "value"]) for k in s.index if k not in out})
        out["ci95"] = {
            k: [float(s.loc[k, "ci_low"]), float(s.loc[k, "ci_high"])]
            for k in s.index
            if k not in ("TP", "FP", "TN", "FN")
        }
    out["at_0.5"] = clinical_scores(y_test, proba, classes, 0.5)
    out["proba"] = proba
    return out
