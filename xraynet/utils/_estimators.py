"""Small helpers shared by the plotting, report and explanation code."""

import os
from numbers import Real

import numpy as np

__all__ = [
    "class_name",
    "decision_threshold",
    "disease_scores",
    "final_estimator",
    "fitted_input_shape",
    "is_keras_estimator",
    "is_path_input",
]


def final_estimator(estimator):
    """The last step of a Pipeline, else the estimator itself.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Any scikit-learn estimator.

    Returns
    -------
    estimator
        ``estimator.steps[-1][1]`` for a Pipeline, else ``estimator``.
    """
    steps = getattr(estimator, "steps", None)
    if steps:
        return steps[-1][1]
    return estimator


def class_name(label, target_names):
    """Human-readable name of one class label.

    Parameters
    ----------
    label : int or str
        A class label as in ``y``.
    target_names : sequence of str or None
        Class names indexed by integer label.

    Returns
    -------
    str
        ``target_names[label]`` for an integer label in range, else ``str(label)``.
    """
    if target_names is not None:
        try:
            i = int(label)
        except (TypeError, ValueError):
            return str(label)
        if i == label and 0 <= i < len(target_names):
            return str(target_names[i])
    return str(label)


def disease_scores(y_score, *, name="y_score"):
    """Disease-class scores as a 1-D float array.

    Parameters
    ----------
    y_score : array-like of shape (n_samples,) or (n_samples, 2)
        The probability of the disease class, or the output of ``predict_proba``
        (its last column is taken).
    name : str, default="y_score"
        The argument name used in the error message.

    Returns
    -------
    ndarray of shape (n_samples,)
        The disease-class scores.

    Raises
    ------
    ValueError
        For any other shape, naming ``name``.
    """
    score = np.asarray(y_score, dtype=float)
    if score.ndim == 2 and score.shape[1] in (1, 2):
        score = score[:, -1]
    if score.ndim != 1:
        raise ValueError(
            f"{name} must hold the probability of the disease class, shape (n_samples,) or "
            f"the (n_samples, 2) output of predict_proba; got shape {np.shape(y_score)}."
        )
    return score


def is_keras_estimator(estimator):
    """True for an xraynet Keras network (a ``BaseImageClassifier``), fitted or not.

    The one definition the report, Grad-CAM and persistence code share. Keras is
    imported only when this is called, so importing ``xraynet.utils`` stays light.

    Parameters
    ----------
    estimator : object
        Any object.

    Returns
    -------
    bool
        Whether ``estimator`` is one of xraynet's Keras classifiers.
    """
    from ..models._base import BaseImageClassifier

    return isinstance(estimator, BaseImageClassifier)


def is_path_input(X):
    """True when ``X`` is a sequence of file paths rather than pixel arrays.

    Parameters
    ----------
    X : object
        Model input: a list, array or Series of paths, or an image array.

    Returns
    -------
    bool
        Whether ``X`` holds file paths.
    """
    if isinstance(X, (str, os.PathLike)):
        return False  # a single path: let the loader / validation complain
    if isinstance(X, np.ndarray):
        return X.ndim == 1 and X.dtype.kind in "OUS"
    if type(X).__name__ == "Series":  # pandas, without importing it
        return X.dtype.kind in "OUS"
    try:
        first = X[0]
    except (TypeError, IndexError, KeyError):
        return False
    return isinstance(first, (str, os.PathLike))


def decision_threshold(estimator):
    """The threshold on P(disease) a fitted model predicts with.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted classifier.

    Returns
    -------
    float
        Its ``threshold_`` (or that of its last Pipeline step that has one), else 0.5.

    Raises
    ------
    ValueError
        If that ``threshold_`` is not a number in [0, 1] (NaN, 2.0, a string:
        a corrupt or hand-edited model, which would otherwise call every
        image normal, or every image diseased, without a word).
    """
    for est in [estimator] + [s for _, s in getattr(estimator, "steps", [])][::-1]:
        t = getattr(est, "threshold_", None)
        if t is not None:
            value = float(t) if isinstance(t, Real) else float("nan")
            if isinstance(t, (bool, np.bool_)) or not 0.0 <= value <= 1.0:  # also refuses NaN
                raise ValueError(
                    f"{type(est).__name__}.threshold_ is {t!r}; a decision threshold on "
                    "P(disease) must be a number in [0, 1] (a corrupt or hand-edited model?)."
                )
            return value
    return 0.5


def fitted_input_shape(estimator):
    """``(height, width, channels)`` of the image arrays a fitted model takes, or None.

    The one place that knows where the fitted input shape lives: the
    ``input_shape_`` of the estimator, of the first Pipeline step that has
    one, or of the first member of an ensemble (``estimators_``).

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted model.

    Returns
    -------
    tuple of int or None
        ``(height, width, channels)``, or None when no step records it.
    """
    shape = getattr(estimator, "input_shape_", None)
    if shape is not None:
        return tuple(int(s) for s in shape)
    for _, step in getattr(estimator, "steps", None) or []:
        shape = fitted_input_shape(step)
        if shape is not None:
            return shape
    members = getattr(estimator, "estimators_", None)
    if members:
        return fitted_input_shape(members[0])
    return None
