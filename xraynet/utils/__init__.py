"""Shared validation helpers used by every xraynet estimator."""

from ._estimators import (
    class_name,
    decision_threshold,
    disease_scores,
    final_estimator,
    fitted_input_shape,
    is_keras_estimator,
    is_path_input,
)
from ._validation import (
    check_image_array,
    check_n_jobs,
    check_random_state_int,
    get_data_home,
)

__all__ = [
    "check_image_array",
    "check_n_jobs",
    "check_random_state_int",
    "class_name",
    "decision_threshold",
    "disease_scores",
    "final_estimator",
    "fitted_input_shape",
    "get_data_home",
    "is_keras_estimator",
    "is_path_input",
]
