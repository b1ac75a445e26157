"""Small helpers shared by the plotting, report and explanation code."""

import numpy as np

__all__ = ["class_name", "disease_scores", "final_estimator"]


def final_estimator(estimator):
    """The last step of a Pipeline, else the estimator itself."""
    steps = getattr(estimator, "steps", None)
    if steps:
        return steps[-1][1]
    return estimator


def class_name(label, target_names):
    """Human-readable name of one class label (``target_names[label]`` when it applies)."""
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

    Accepts the probability of the disease class, shape (n_samples,), or the
    (n_samples, 2) output of ``predict_proba`` (its last column is taken).

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
