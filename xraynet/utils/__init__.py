"""Shared validation helpers used by every xraynet estimator."""

from ._validation import check_image_array, check_random_state_int, get_data_home

__all__ = ["check_image_array", "check_random_state_int", "get_data_home"]
