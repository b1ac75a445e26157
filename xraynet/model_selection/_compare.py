"""``compare_models`` and ``select_model``: one-call conveniences over ModelComparison."""

from ._comparison import ModelComparison

__all__ = ["compare_models", "select_model"]


def compare_models(X, y, *, groups=None, **params):
    """Cross-validate several classifiers on the same folds; return the leaderboard.

    A shortcut for ``ModelComparison(**params).fit(X, y, groups).leaderboard_``;
    use :class:`ModelComparison` itself to keep the winner, the fold models
    and the stress-test results.

    Parameters
    ----------
    X, y, groups :
        As in :meth:`ModelComparison.fit`.
    **params :
        Any :class:`ModelComparison` parameter (``models``, ``cv``,
        ``scoring``, ``rank_by``, ``stress``, ...). ``refit`` defaults to
        False here: no winner is built.

    Returns
    -------
    leaderboard : pandas.DataFrame
        ``ModelComparison.leaderboard_``; ``attrs`` holds ``rank_by``
        and ``best_model_name_``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from xraynet.classical import ImageFlattener
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat([0, 1], 20)
    >>> X = (rng.rand(40, 8, 8, 1) * 100 + y[:, None, None, None] * 100).astype(np.uint8)
    >>> models = {"logreg": make_pipeline(ImageFlattener(), LogisticRegression()),
    ...           "dummy": DummyClassifier()}
    >>> board = compare_models(X, y, models=models, cv=3, verbose=0)
    >>> list(board.index)
    ['logreg', 'dummy']
    """
    params.setdefault("refit", False)
    comparison = ModelComparison(**params).fit(X, y, groups=groups)
    board = comparison.leaderboard_.copy()
    board.attrs.update(rank_by=comparison.rank_by_, best_model_name_=comparison.best_name_)
    return board


def select_model(X, y, *, groups=None, **params):
    """Return the winner of a :class:`ModelComparison`.

    Parameters
    ----------
    X, y, groups :
        As in :meth:`ModelComparison.fit`.
    **params :
        Any :class:`ModelComparison` parameter (``refit`` is forced to True).

    Returns
    -------
    estimator : fitted estimator
        ``ModelComparison.best_estimator_``.

    Raises
    ------
    RuntimeError
        If every model failed.
    """
    params["refit"] = True
    comparison = ModelComparison(**params).fit(X, y, groups=groups)
    if comparison.best_estimator_ is None:
        raise RuntimeError("every model failed:\n" + comparison.leaderboard_["error"].to_string())
    return comparison.best_estimator_
