"""The one ``n_jobs`` definition: a function and a ``_parameter_constraints`` entry."""

import numpy as np
import pytest
from sklearn.utils._param_validation import validate_parameter_constraints

from xraynet.utils import check_n_jobs
from xraynet.utils._validation import N_JOBS_CONSTRAINT


@pytest.mark.parametrize("good", [None, 1, 2, -1, -2, np.int64(3)])
def test_check_n_jobs_accepts_none_and_non_zero_ints(good):
    assert check_n_jobs(good) is good
    validate_parameter_constraints({"n_jobs": N_JOBS_CONSTRAINT}, {"n_jobs": good}, "f")


@pytest.mark.parametrize("bad", [0, True, False, np.bool_(True), 1.0, "2", [1]])
def test_check_n_jobs_rejects_zero_bools_and_non_ints(bad):
    with pytest.raises(ValueError, match=r"workers must be None or a non-zero int .*got"):
        check_n_jobs(bad, name="workers")
    with pytest.raises(
        ValueError, match=r"'n_jobs' parameter of f must be None or a non-zero int \(not a bool\)"
    ):
        validate_parameter_constraints({"n_jobs": N_JOBS_CONSTRAINT}, {"n_jobs": bad}, "f")
