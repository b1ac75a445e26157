"""Shared validation helpers used by every xraynet estimator."""

from ._estimators import class_name, disease_scores, final_estimator
from ._validation import check_image_array, check_random_state_int, get_data_home

__all__ = [
    "check_image_array",
    "check_random_state_int",
    "class_name",
    "disease_scores",
    "final_estimator",
    "get_data_home",
]
