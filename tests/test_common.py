"""One common scikit-learn check run over xraynet's estimators and transformers.

Synthetic data only (no real files). The image transformers declare
``input_tags.two_d_array = False`` (their input is a batch of images, or file
paths for ``ImageLoader``), and for such estimators scikit-learn's
``parametrize_with_checks`` generates no check at all. They are therefore
checked through test-only subclasses that claim tabular input: the API checks
(``get_params``/``set_params``, cloning, ``__init__`` storing parameters only,
tags, repr, ...) pass; the checks that fit on scikit-learn's 2-D toy tables
are expected to fail, each for the reason given below. Their image-input
equivalents are tested beside each estimator (``test_hog.py``,
``test_augmenter.py``, ``io/tests``).

``check_param_validation`` (run by scikit-learn on its own estimators only) is
run here explicitly: every parameter has a ``_parameter_constraints`` entry and
a bad value raises ``InvalidParameterError`` in ``fit`` before the data are read.

The Keras estimators and ``ModelComparison`` get ``check_param_validation``
only (a bad parameter fails before any training); the other checks would each
train a network (the comparison a whole cross-validation), which does not fit
the time budget of the unit tests.
"""

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from xraynet import Augmenter, CNNClassifier, ImageLoader, ResNetClassifier, TransferClassifier
from xraynet.classical import HOGTransformer, ImageFlattener
from xraynet.model_selection import ModelComparison, ProbabilityEnsemble


def _tabular_tags(cls):
    class Adapter(cls):
        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.input_tags.two_d_array = True  # let scikit-learn generate its checks
            return tags

    Adapter.__name__ = Adapter.__qualname__ = cls.__name__
    return Adapter


def _members():
    X = np.arange(20, dtype=float).reshape(-1, 1)
    y = (X[:, 0] > 9).astype(int)
    return [LogisticRegression(C=c).fit(X, y) for c in (0.1, 1.0)]


def _reasons(default, names, special=()):
    reasons = dict.fromkeys(names, default)
    reasons.update(special)
    return reasons


_FITTING_CHECKS = [
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

_TABULAR = "fits on 2-D tabular toy data; input must be (n, h, w[, c]) images"
_IMAGE_INPUT = {
    "check_positive_only_tag_during_fit": "2-D toy data are rejected as non-images "
    "before their sign is looked at",
    "check_complex_data": "2-D input is rejected for its shape before its dtype",
    "check_dtype_object": "object arrays are rejected as file paths (ImageLoader hint), "
    "not converted",
    "check_estimators_empty_data_messages": "2-D empty input is rejected for its shape, "
    "not as '0 feature(s)'",
    "check_estimators_nan_inf": "2-D input is rejected for its shape before NaN is looked "
    "at (NaN images raise, see test_hog.py / test_augmenter.py)",
    "check_fit2d_1sample": "2-D input is rejected for its shape; a single image fits",
    "check_fit2d_1feature": "2-D input is rejected for its shape",
}
_AUGMENTER_ONLY = {
    "check_transformer_preserve_dtypes": _TABULAR,
    "check_transformers_unfitted_stateless": _TABULAR,
    "check_estimator_sparse_tag": "a sparse matrix is no image batch: it is rejected as "
    "such, the message does not say 'sparse'",
    "check_estimator_sparse_array": "a sparse matrix is no image batch: it is rejected as "
    "such, the message does not say 'sparse'",
    "check_estimator_sparse_matrix": "a sparse matrix is no image batch: it is rejected as "
    "such, the message does not say 'sparse'",
}

_PATHS = "transforms 1-D/2-D toy tables; input must be file paths or (n, h, w[, c]) images"
_STATELESS = "fit is stateless and does not read X (the loader validates X in transform)"
_LOADER = _reasons(
    _PATHS,
    [
        "check_fit_score_takes_y",
        "check_dont_overwrite_parameters",
        "check_estimators_dtypes",
        "check_dtype_object",
        "check_pipeline_consistency",
        "check_estimator_sparse_array",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_transformer_data_not_an_array",
        "check_transformer_general",
        "check_transformer_preserve_dtypes",
        "check_transformers_unfitted_stateless",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_fit2d_1sample",
        "check_fit2d_1feature",
        "check_dict_unchanged",
        "check_fit_idempotent",
        "check_fit2d_predict1d",
    ],
    {
        "check_n_features_in_after_fitting": "input is file paths: there is no "
        "n_features_in_ to learn",
        "check_n_features_in": "input is file paths: there is no n_features_in_ to learn",
        "check_complex_data": _STATELESS,
        "check_estimators_empty_data_messages": _STATELESS,
        "check_estimators_nan_inf": _STATELESS,
        "check_estimator_sparse_tag": _STATELESS,
        "check_fit1d": "a 1-D array is a list of file paths, the loader's usual input",
    },
)

_MEMBERS = (
    "the members are fitted beforehand and fit() does not train them: the check clones "
    "the ensemble (its members come back unfitted) or expects fit to learn the toy data"
)
_ENSEMBLE = _reasons(
    _MEMBERS,
    [
        "check_fit_score_takes_y",
        "check_estimators_overwrite_params",
        "check_dont_overwrite_parameters",
        "check_estimators_fit_returns_self",
        "check_readonly_memmap_input",
        "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit",
        "check_estimators_dtypes",
        "check_complex_data",
        "check_dtype_object",
        "check_estimators_empty_data_messages",
        "check_pipeline_consistency",
        "check_estimators_nan_inf",
        "check_estimator_sparse_tag",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_classifier_data_not_an_array",
        "check_classifiers_one_label",
        "check_classifiers_classes",
        "check_classifiers_train",
        "check_classifiers_regression_target",
        "check_supervised_y_2d",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_fit2d_1sample",
        "check_fit2d_1feature",
        "check_dict_unchanged",
        "check_fit_idempotent",
        "check_fit_check_is_fitted",
        "check_n_features_in",
        "check_fit2d_predict1d",
        "check_requires_y_none",
    ],
)

_EXPECTED_FAILED = {
    "HOGTransformer": _reasons(_TABULAR, _FITTING_CHECKS, _IMAGE_INPUT),
    "ImageFlattener": _reasons(_TABULAR, _FITTING_CHECKS, _IMAGE_INPUT),
    "Augmenter": _reasons(_TABULAR, _FITTING_CHECKS, {**_IMAGE_INPUT, **_AUGMENTER_ONLY}),
    "ImageLoader": _LOADER,
    "ProbabilityEnsemble": _ENSEMBLE,
}

_ESTIMATORS = [
    _tabular_tags(HOGTransformer)(),
    _tabular_tags(ImageFlattener)(),
    _tabular_tags(Augmenter)(random_state=0),
    _tabular_tags(ImageLoader)(size=8),
    ProbabilityEnsemble(_members()),
]


def _expected_failed(estimator):
    return _EXPECTED_FAILED[type(estimator).__name__]


@parametrize_with_checks(_ESTIMATORS, expected_failed_checks=_expected_failed)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "estimator",
    [
        HOGTransformer(),
        ImageFlattener(),
        Augmenter(),
        ImageLoader(),
        ProbabilityEnsemble(_members()),
        CNNClassifier(epochs=1),
        ResNetClassifier(epochs=1),
        TransferClassifier(epochs=1),
        ModelComparison({"dummy": DummyClassifier()}, verbose=0),
    ],
    ids=lambda est: type(est).__name__,
)
def test_param_validation(estimator):
    if not hasattr(estimator, "_parameter_constraints"):
        pytest.xfail(f"{type(estimator).__name__} validates its parameters by hand")
    check_param_validation(type(estimator).__name__, estimator)
