"""scikit-learn's estimator checks on the image transformers.

The transformers declare ``input_tags.two_d_array = False`` (their input is a
batch of images), and for such estimators scikit-learn's
``parametrize_with_checks`` generates no check at all. To still run every
check that applies, the checks are run on test-only subclasses that claim
tabular input: the API checks that never fit pass; the ones that fit on
scikit-learn's 2-D tabular toy data are expected to fail, each for the reason
listed below, and their image-input equivalents are tested in test_hog.py
(fit returns self, idempotence, unchanged params and input, read-only input,
sample-order / subset invariance, pickling, NaN / sparse / object input).
"""

import pytest
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from xraynet.classical import HOGTransformer, ImageFlattener

_TABULAR = "fits on 2-D tabular toy data; input must be (n, h, w[, c]) images"

_EXPECTED_FAILED = {
    name: _TABULAR
    for name in [
        "check_fit_score_takes_y",
        "check_estimators_overwrite_params",
        "check_dont_overwrite_parameters",
        "check_estimators_fit_returns_self",
        "check_readonly_memmap_input",
        "check_n_features_in_after_fitting",
        "check_estimators_dtypes",
        "check_pipeline_consistency",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_transformer_data_not_an_array",
        "check_transformer_general",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_dict_unchanged",
        "check_fit_idempotent",
        "check_fit_check_is_fitted",
        "check_n_features_in",
        "check_fit2d_predict1d",
    ]
}
_EXPECTED_FAILED.update(
    {
        "check_positive_only_tag_during_fit": "2-D tabular toy data is rejected as "
        "non-images before its sign is looked at",
        "check_complex_data": "2-D input is rejected for its shape before its dtype",
        "check_dtype_object": "object arrays are rejected as file paths (ImageLoader "
        "hint), not converted",
        "check_estimators_empty_data_messages": "2-D empty input is rejected for its "
        "shape, not as '0 feature(s)'",
        "check_estimators_nan_inf": "2-D input is rejected for its shape before NaN is "
        "looked at (NaN images: test_hog.py::test_bad_input_raises)",
        "check_fit2d_1sample": "2-D input is rejected for its shape; a single image fits",
        "check_fit2d_1feature": "2-D input is rejected for its shape",
    }
)


def _tabular_tags(cls):
    class Adapter(cls):
        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.input_tags.two_d_array = True  # let sklearn generate its checks
            return tags

    Adapter.__name__ = Adapter.__qualname__ = cls.__name__
    return Adapter


def _expected_failed(estimator):
    return _EXPECTED_FAILED


@parametrize_with_checks(
    [_tabular_tags(HOGTransformer)(), _tabular_tags(ImageFlattener)()],
    expected_failed_checks=_expected_failed,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", [HOGTransformer, ImageFlattener])
def test_real_tags_say_images(cls):
    tags = get_tags(cls())
    assert not tags.input_tags.two_d_array and tags.input_tags.three_d_array
