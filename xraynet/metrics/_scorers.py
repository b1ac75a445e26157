"""Scorer objects so that sensitivity and specificity work in GridSearchCV."""

import copy
import warnings

from sklearn.metrics import get_scorer as _sklearn_get_scorer
from sklearn.metrics import make_scorer

from ._classification import sensitivity_score, specificity_score

__all__ = [
    "SCORERS",
    "clinical_scoring",
    "get_scorer",
    "make_clinical_scorer",
    "sensitivity_scorer",
    "specificity_scorer",
]

_CLINICAL = {"sensitivity": sensitivity_score, "specificity": specificity_score}
_DEPRECATED = {"sensitivity_macro": "sensitivity", "specificity_macro": "specificity"}


def make_clinical_scorer(name, *, normal_label=None):
    """The scorer of xraynet's clinical sensitivity or specificity.

    The one definition, for binary and multiclass targets alike
    (``average="clinical"`` of :func:`sensitivity_score`): sensitivity is the
    macro-averaged recall over the disease classes (for two classes, the
    recall of the disease class), specificity the recall of the normal
    class. The normal class is ``normal_label``, else 0 for numeric labels,
    else the label named like a normal class (``"normal"``, ``"No
    Finding"``, ...); string labels work. Undefined scores (no sample of the
    class in a fold) count as 0.

    Parameters
    ----------
    name : {"sensitivity", "specificity"}
    normal_label : int or str, default=None
        The normal class.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y) -> float`` (from :func:`sklearn.metrics.make_scorer`,
        using ``estimator.predict``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from xraynet.metrics import make_clinical_scorer
    >>> X, y = np.zeros((4, 1)), np.array(["covid", "covid", "covid", "control"])
    >>> always_covid = DummyClassifier(strategy="most_frequent").fit(X, y)
    >>> make_clinical_scorer("sensitivity")(always_covid, X, y)
    1.0
    >>> make_clinical_scorer("specificity", normal_label="control")(always_covid, X, y)
    0.0
    """
    if name not in _CLINICAL:
        raise ValueError(f"name must be one of {sorted(_CLINICAL)}; got {name!r}.")
    return make_scorer(
        _CLINICAL[name], average="clinical", normal_label=normal_label, zero_division=0.0
    )


#: Scorer of the clinical sensitivity (:func:`make_clinical_scorer`), any number of classes.
sensitivity_scorer = make_clinical_scorer("sensitivity")
#: Scorer of the clinical specificity (:func:`make_clinical_scorer`), any number of classes.
specificity_scorer = make_clinical_scorer("specificity")

#: xraynet's extra scorers by name; every other name is resolved by
#: :func:`sklearn.metrics.get_scorer`. The former ``"sensitivity_macro"`` and
#: ``"specificity_macro"`` (one-vs-rest averages over every label, the normal
#: one included) are deprecated aliases of these.
SCORERS = {
    "sensitivity": sensitivity_scorer,
    "specificity": specificity_scorer,
}


def get_scorer(scoring):
    """Return a scorer from its name, knowing xraynet's clinical scorers.

    Parameters
    ----------
    scoring : str, callable or None
        ``"sensitivity"``, ``"specificity"`` (the clinical definitions of
        :func:`make_clinical_scorer`, numeric labels or string labels with a
        recognisable normal class), or any name understood by
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
        if scoring in _DEPRECATED:
            warnings.warn(
                f"scoring={scoring!r} is deprecated: xraynet has one clinical definition, "
                f"scoring={_DEPRECATED[scoring]!r} (macro recall over the disease classes / "
                "recall of the normal class), which is returned.",
                FutureWarning,
                stacklevel=2,
            )
            scoring = _DEPRECATED[scoring]
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


def clinical_scoring(*, normal_label=None):
    """A multi-metric ``scoring`` dict for GridSearchCV / cross_validate.

    Parameters
    ----------
    normal_label : int or str, default=None
        The normal class for sensitivity and specificity
        (:func:`make_clinical_scorer`).

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
        "sensitivity": make_clinical_scorer("sensitivity", normal_label=normal_label),
        "specificity": make_clinical_scorer("specificity", normal_label=normal_label),
    }
