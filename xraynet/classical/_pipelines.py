"""Ready-made classical pipelines on uint8 image batches.

Each factory returns a plain :class:`sklearn.pipeline.Pipeline`, so its
hyper-parameters are tunable with the usual ``<step>__<param>`` names.
"""

from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from ._flatten import ImageFlattener
from ._hog import HOGTransformer

__all__ = ["make_hog_svm", "make_random_forest"]

_HOG_KEYS = ("orientations", "pixels_per_cell", "cells_per_block", "block_norm")


def _make_hog(hog_params, n_jobs):
    hog_params = dict(hog_params or {})
    unknown = sorted(set(hog_params) - set(_HOG_KEYS))
    if unknown:
        raise ValueError(
            f"hog_params has unknown key(s) {unknown}; allowed: {list(_HOG_KEYS)} "
            "(n_jobs is set by the factory's own n_jobs)."
        )
    return HOGTransformer(**hog_params, n_jobs=n_jobs)


def make_hog_svm(
    *,
    C=1.0,
    kernel="rbf",
    gamma="scale",
    class_weight="balanced",
    hog_params=None,
    calibration="sigmoid",
    calibration_cv=3,
    random_state=None,
    n_jobs=None,
):
    """HOG features -> standardisation -> support vector machine, with probabilities.

    ``predict_proba`` comes from :class:`~sklearn.calibration.CalibratedClassifierCV`
    (Platt scaling on cross-validated decision values, one final SVC fitted on
    all the data: ``ensemble=False``), not from the deprecated
    ``SVC(probability=True)``.

    Parameters
    ----------
    C : float, default=1.0
        SVM regularisation (``svm__estimator__C`` in a grid search).
    kernel : {"rbf", "linear", "poly", "sigmoid"}, default="rbf"
        SVM kernel (``svm__estimator__kernel``).
    gamma : {"scale", "auto"} or float, default="scale"
        RBF kernel coefficient (``svm__estimator__gamma``).
    class_weight : dict, "balanced" or None, default="balanced"
        Class weights of the SVM (``svm__estimator__class_weight``).
    hog_params : dict or None, default=None
        Keyword arguments of :class:`HOGTransformer` (``orientations``,
        ``pixels_per_cell``, ``cells_per_block``, ``block_norm``); tuned as
        ``hog__pixels_per_cell`` etc.
    calibration : {"sigmoid", "isotonic"} or None, default="sigmoid"
        Probability calibration method (``svm__method``). ``None`` puts a bare
        :class:`~sklearn.svm.SVC` in the ``"svm"`` step: no ``predict_proba``
        (``decision_function`` still serves ROC-AUC), grid names ``svm__C``...
    calibration_cv : int or cross-validation generator, default=3
        Folds used to collect the decision values for calibration (``svm__cv``).
    random_state : int, RandomState instance or None, default=None
        Passed to :class:`~sklearn.svm.SVC` (only used by its internal shuffling).
    n_jobs : int or None, default=None
        Threads of the HOG step and processes of the calibration folds.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``"hog"`` (:class:`HOGTransformer`), ``"scale"``
        (:class:`~sklearn.preprocessing.StandardScaler`) and ``"svm"``
        (:class:`~sklearn.calibration.CalibratedClassifierCV` wrapping an SVC).
        It takes uint8 image batches ``(n, h, w[, c])``.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from xraynet.classical import make_hog_svm
    >>> search = GridSearchCV(
    ...     make_hog_svm(), {"svm__estimator__C": [0.1, 1, 10]}, scoring="roc_auc"
    ... )
    """
    svc = SVC(C=C, kernel=kernel, gamma=gamma, class_weight=class_weight, random_state=random_state)
    if calibration is None:
        final = svc
    elif calibration in ("sigmoid", "isotonic"):
        final = CalibratedClassifierCV(
            svc, method=calibration, cv=calibration_cv, n_jobs=n_jobs, ensemble=False
        )
    else:
        raise ValueError(f"calibration must be 'sigmoid', 'isotonic' or None, got {calibration!r}.")
    return Pipeline(
        [("hog", _make_hog(hog_params, n_jobs)), ("scale", StandardScaler()), ("svm", final)]
    )


def make_random_forest(
    features="hog",
    *,
    n_estimators=300,
    max_depth=None,
    class_weight="balanced",
    hog_params=None,
    random_state=None,
    n_jobs=None,
):
    """Image features -> random forest.

    Parameters
    ----------
    features : {"hog", "pixels"}, default="hog"
        ``"hog"``: a :class:`HOGTransformer` step named ``"hog"``;
        ``"pixels"``: an :class:`ImageFlattener` step named ``"flatten"``
        (raw pixels scaled to [0, 1]).
    n_estimators : int, default=300
        Number of trees (``rf__n_estimators`` in a grid search).
    max_depth : int or None, default=None
        Maximum tree depth (``rf__max_depth``).
    class_weight : dict, "balanced", "balanced_subsample" or None, default="balanced"
        Class weights of the forest (``rf__class_weight``).
    hog_params : dict or None, default=None
        Keyword arguments of :class:`HOGTransformer` (only with ``features="hog"``).
    random_state : int, RandomState instance or None, default=None
        Seed of the forest.
    n_jobs : int or None, default=None
        Parallel jobs of the forest and threads of the HOG step.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``("hog" | "flatten", "rf")``; takes uint8 image batches.

    Examples
    --------
    >>> from xraynet.classical import make_random_forest
    >>> list(make_random_forest("pixels").named_steps)
    ['flatten', 'rf']
    """
    if features == "hog":
        first = ("hog", _make_hog(hog_params, n_jobs))
    elif features == "pixels":
        if hog_params:
            raise ValueError('hog_params only applies to features="hog".')
        first = ("flatten", ImageFlattener())
    else:
        raise ValueError(f"features must be 'hog' or 'pixels', got {features!r}.")
    forest = RandomForestClassifier(
        n_estimators=n_estimators,
        max_depth=max_depth,
        class_weight=class_weight,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    return Pipeline([first, ("rf", forest)])
