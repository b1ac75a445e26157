"""Scorer objects so that sensitivity and specificity work in GridSearchCV."""

import copy

from sklearn.metrics import get_scorer as _sklearn_get_scorer
from sklearn.metrics import make_scorer

from ._classification import sensitivity_score, specificity_score

__all__ = ["SCORERS", "clinical_scoring", "get_scorer", "sensitivity_scorer", "specificity_scorer"]

#: Scorer for :func:`sensitivity_score` (binary, disease class = 1).
sensitivity_scorer = make_scorer(sensitivity_score, zero_division=0.0)
#: Scorer for :func:`specificity_score` (binary, disease class = 1).
specificity_scorer = make_scorer(specificity_score, zero_division=0.0)

#: xraynet's extra scorers by name; every other name is resolved by
#: :func:`sklearn.metrics.get_scorer`.
SCORERS = {
    "sensitivity": sensitivity_scorer,
    "specificity": specificity_scorer,
    "sensitivity_macro": make_scorer(sensitivity_score, average="macro", zero_division=0.0),
    "specificity_macro": make_scorer(specificity_score, average="macro", zero_division=0.0),
}


def get_scorer(scoring):
    """Return a scorer from its name, knowing xraynet's clinical scorers.

    Parameters
    ----------
    scoring : str, callable or None
        ``"sensitivity"``, ``"specificity"``, ``"sensitivity_macro"``,
        ``"specificity_macro"``, or any name understood by
        :func:`sklearn.metrics.get_scorer` (``"roc_auc"``, ``"accuracy"``, ...).
        Callables and None are returned unchanged.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y) -> float``, greater is better.

    Examples
    --------
    >>> from xraynet.metrics import get_scorer
    >>> get_scorer("sensitivity")  # doctest: +ELLIPSIS
    make_scorer(sensitivity_score, ...)
    """
    if isinstance(scoring, str):
        if scoring in SCORERS:
            return copy.deepcopy(SCORERS[scoring])
        try:
            return _sklearn_get_scorer(scoring)
        except ValueError as exc:
            raise ValueError(
                f"{scoring!r} is not a valid scoring value. xraynet adds "
                f"{sorted(SCORERS)} to scikit-learn's names "
                "(sklearn.metrics.get_scorer_names())."
            ) from exc
    return _sklearn_get_scorer(scoring)


def clinical_scoring():
    """A multi-metric ``scoring`` dict for GridSearchCV / cross_validate.

    Returns
    -------
    scoring : dict
        ``{"roc_auc", "balanced_accuracy", "sensitivity", "specificity"}``
        mapped to scorers (a new dict on each call, safe to modify).

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xraynet.metrics import clinical_scoring
    >>> search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]},
    ...                       scoring=clinical_scoring(), refit="roc_auc")
    """
    return {
        "roc_auc": "roc_auc",
        "balanced_accuracy": "balanced_accuracy",
        "sensitivity": sensitivity_scorer,
        "specificity": specificity_scorer,
    }
