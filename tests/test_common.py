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

The Keras classifiers go through ``parametrize_with_checks`` too, with tiny
settings (one epoch, no validation part, ``random_state=0``; a 2-filter
one-stage ``ResNetClassifier``; a ``weights=None``, ``alpha=0.35`` MobileNetV2
``TransferClassifier``), through test-only subclasses that claim tabular input
and turn each row of scikit-learn's toy tables into a 16x16 grey image
(elementwise, so subset and order invariance are kept; negative, NaN and
infinite values stay so, and are refused as such). Every check that trains no
network runs for all three. Training costs 3-9 s a fit on this machine even
for the tiny networks (the full check list took 3-6 min for ``CNNClassifier``;
a ``TransferClassifier`` fit takes 45-70 s), so of the checks that train, only
``_KERAS_TRAINING_RUN`` runs and the others are skipped. For ``CNNClassifier``
and ``ResNetClassifier`` all were run once: each passed or failed for the
reason given in ``_KERAS_EXPECTED_FAILED`` / ``_RESNET_EXPECTED_FAILED``;
``TransferClassifier``'s training checks were never run.

``ModelComparison`` gets ``check_param_validation``
only: every other check would run a whole cross-validation.
"""

from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
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


def _images_from_table(X):
    """Each row of a 2-D numeric table as a 16x16 grey image; anything else unchanged.

    The pixels repeat the row's features (``np.resize`` order); a value
    ``x >= 0`` becomes ``255 * x / (1 + x)`` (so any non-negative table fits
    0-255), negative, NaN and infinite values stay negative / non-finite so
    that the estimator's own validation refuses them.
    """
    if sp.issparse(X):
        return X
    try:
        table = np.asarray(X)
    except Exception:  # noqa: BLE001 - left to the estimator's validation
        return X
    if table.ndim != 2 or table.dtype.kind not in "biuf" or table.shape[1] == 0:
        return X
    table = table.astype(np.float64)[:, np.arange(16 * 16) % table.shape[1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        pixels = np.where(table >= 0, 255 * table / (1 + table), table)
    if np.isfinite(pixels).all() and pixels.min(initial=0) >= 0:
        pixels = np.rint(pixels).astype(np.uint8)  # no [0, 1] vs [0, 255] guess per batch
    return pixels.reshape(len(table), 16, 16, 1)


class _TabularImages:
    """Test-only: claim 2-D input and feed each row as a 16x16 image."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True  # let scikit-learn generate its checks
        return tags

    def fit(self, X, y, **fit_params):
        return super().fit(_images_from_table(X), y, **fit_params)

    def predict_proba(self, X):  # predict and score go through it
        return super().predict_proba(_images_from_table(X))


# module-level classes so that check_estimators_pickle can pickle them
class TabularCNNClassifier(_TabularImages, CNNClassifier):
    pass


class TabularResNetClassifier(_TabularImages, ResNetClassifier):
    pass


class TabularTransferClassifier(_TabularImages, TransferClassifier):
    pass


_TINY = dict(epochs=1, batch_size=16, validation_fraction=0, random_state=0, verbose=0)
_KERAS = [
    TabularCNNClassifier(**_TINY),
    TabularResNetClassifier(width=2, depth=1, blocks=1, **_TINY),
    TabularTransferClassifier(weights=None, backbone_kwargs={"alpha": 0.35}, **_TINY),
]

#: The checks that train a network (measured), as opposed to those that only
#: look at the class or fail before training.
_KERAS_TRAINING = {
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_n_features_in_after_fitting",
    "check_estimators_dtypes",
    "check_pipeline_consistency",
    "check_estimators_nan_inf",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_classifier_data_not_an_array",
    "check_classifiers_one_label_sample_weights",
    "check_classifiers_classes",
    "check_classifiers_train",
    "check_supervised_y_2d",
    "check_class_weight_classifiers",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit2d_predict1d",
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
}

#: The training checks that run (the Keras checks take about 60 s together here,
#: one fit 3-7 s): fit/predict/pickle conventions and determinism for the CNN,
#: pickling (own layer names) and parameters for the ResNet, none for the
#: TransferClassifier (45-70 s a fit). Without real data, none reads a file.
_KERAS_TRAINING_RUN = {
    "TabularCNNClassifier": {
        "check_estimators_fit_returns_self",
        "check_estimators_pickle",
        "check_dict_unchanged",
        "check_fit_idempotent",
        "check_methods_subset_invariance",
        "check_supervised_y_2d",
    },
    "TabularResNetClassifier": {"check_estimators_pickle", "check_dont_overwrite_parameters"},
    "TabularTransferClassifier": set(),
}

_KERAS_EXPECTED_FAILED = {
    # image input
    "check_complex_data": "a complex table is no image: refused for its 2-D shape before its dtype",
    "check_dtype_object": "object arrays are refused as file paths (ImageLoader hint), "
    "not converted",
    "check_estimators_empty_data_messages": "a 0-feature table is refused for its "
    "2-D shape, not as '0 feature(s)'",
    "check_estimator_sparse_tag": "a sparse matrix is refused as object (file path) "
    "input; the message does not say 'sparse'",
    "check_estimator_sparse_array": "a sparse matrix is refused as object (file path) "
    "input; the message does not say 'sparse'",
    "check_estimator_sparse_matrix": "a sparse matrix is refused as object (file path) "
    "input; the message does not say 'sparse'",
    "check_positive_only_tag_during_fit": "negative pixels are refused as out of the "
    "0-255 range; the message does not say 'Negative values in data'",
    "check_fit2d_1sample": "one sample is one class: 'y holds a single class' is not "
    "one of the messages the check knows",
    # training checks that fail (skipped for time, see _KERAS_TRAINING_RUN)
    "check_n_features_in_after_fitting": "the fitted input is input_shape_ (height, "
    "width, channels): an image classifier sets no n_features_in_",
    "check_n_features_in": "the fitted input is input_shape_ (height, width, "
    "channels): an image classifier sets no n_features_in_",
    "check_classifiers_train": "one epoch of a tiny network does not reach the 0.83 "
    "training accuracy the check asks",
    "check_fit2d_predict1d": "1-D input is refused for its shape; the message does "
    "not say 'Reshape your data'",
    "check_class_weight_classifiers": "its make_blobs data are not shifted for the "
    "positive_only tag: negative pixels are refused",
}
_RESNET_EXPECTED_FAILED = {
    **_KERAS_EXPECTED_FAILED,
    "check_classifiers_one_label_sample_weights": "after one epoch the 2-filter ResNet "
    "does not yet predict the only class with non-zero weight (the CNN does)",
}

_EXPECTED_FAILED = {
    "HOGTransformer": _reasons(_TABULAR, _FITTING_CHECKS, _IMAGE_INPUT),
    "ImageFlattener": _reasons(_TABULAR, _FITTING_CHECKS, _IMAGE_INPUT),
    "Augmenter": _reasons(_TABULAR, _FITTING_CHECKS, {**_IMAGE_INPUT, **_AUGMENTER_ONLY}),
    "ImageLoader": _LOADER,
    "ProbabilityEnsemble": _ENSEMBLE,
    "TabularCNNClassifier": _KERAS_EXPECTED_FAILED,
    "TabularResNetClassifier": _RESNET_EXPECTED_FAILED,
    "TabularTransferClassifier": _KERAS_EXPECTED_FAILED,
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


def _check_name(check):
    while isinstance(check, partial):
        check = check.func
    return check.__name__


@parametrize_with_checks(_ESTIMATORS + _KERAS, expected_failed_checks=_expected_failed)
def test_sklearn_compatible(estimator, check):
    name, kind = _check_name(check), type(estimator).__name__
    if (
        kind in _KERAS_TRAINING_RUN
        and name in _KERAS_TRAINING
        and (name not in _KERAS_TRAINING_RUN[kind] or check.keywords.get("readonly_memmap"))
    ):
        pytest.skip(
            f"{name} trains {kind}'s network: outside the time budget (_KERAS_TRAINING_RUN)"
        )
    check(estimator)


def test_keras_classifier_is_a_classifier_and_scores_roc_auc():
    """The scikeras-tags trap: is_classifier and a finite GridSearchCV roc_auc."""
    assert is_classifier(CNNClassifier())
    assert is_classifier(ResNetClassifier()) and is_classifier(TransferClassifier())
    rng = np.random.default_rng(0)
    y = np.arange(16) % 2
    X = rng.integers(0, 120, (16, 16, 16, 1)) + 100 * y[:, None, None, None]
    search = GridSearchCV(
        CNNClassifier(epochs=1, batch_size=8, validation_fraction=0, random_state=0),
        {"learning_rate": [1e-3]},
        scoring="roc_auc",
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        refit=False,
        error_score="raise",
    )
    scores = search.fit(X.astype(np.uint8), y).cv_results_["mean_test_score"]
    # a NaN score would mean scikit-learn took it for a regressor (no predict_proba)
    assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 1))


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
