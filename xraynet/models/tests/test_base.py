"""scikit-learn API of the Keras image classifiers (tags, params, meta-estimators)."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_validate,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import estimator_checks, estimator_html_repr, get_tags

from xraynet.augmentation import Augmenter
from xraynet.models import BaseImageClassifier, CNNClassifier

FAST = dict(epochs=1, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def fitted(pneumoniamnist_small):
    Xtr, ytr, _, _ = pneumoniamnist_small
    X = Xtr.copy()
    X.flags.writeable = False  # read-only input (like check_readonly_memmap_input)
    clf = CNNClassifier(**FAST)
    params = clf.get_params()
    assert clf.fit(X, ytr) is clf
    assert clf.get_params() == params  # fit does not change parameters
    return clf


def test_is_classifier_and_tags():
    clf = CNNClassifier()
    assert is_classifier(clf)
    assert isinstance(clf, BaseImageClassifier)
    tags = get_tags(clf)
    assert tags.estimator_type == "classifier"
    assert tags.classifier_tags.multi_class
    assert not tags.input_tags.two_d_array
    assert not tags.input_tags.allow_nan
    assert tags.target_tags.required
    assert tags.non_deterministic
    assert not get_tags(CNNClassifier(random_state=0)).non_deterministic


def test_get_params_clone_and_nested_set_params():
    clf = CNNClassifier(learning_rate=1e-4, augmentation=Augmenter(rotation_range=5))
    params = clf.get_params(deep=False)
    # only the constructor's parameters, nothing scikeras adds
    assert set(params) == {
        "epochs",
        "batch_size",
        "learning_rate",
        "optimizer",
        "augmentation",
        "class_weight",
        "validation_fraction",
        "early_stopping",
        "precision",
        "random_state",
        "verbose",
    }
    deep = clf.get_params()
    assert deep["augmentation__rotation_range"] == 5
    clf.set_params(augmentation__rotation_range=12, learning_rate=3e-4)
    assert clf.augmentation.rotation_range == 12 and clf.learning_rate == 3e-4
    twin = clone(clf)
    assert twin.get_params()["augmentation__rotation_range"] == 12
    assert twin.augmentation is not clf.augmentation
    with pytest.raises(ValueError, match="Invalid parameter"):
        clf.set_params(model__learning_rate=1)
    assert "augmentation=Augmenter(rotation_range=12)" in repr(clf)
    assert "CNNClassifier" in estimator_html_repr(clf)


def test_unfitted_raises(pneumoniamnist_small):
    X = pneumoniamnist_small[2]
    for method in ("predict", "predict_proba"):
        with pytest.raises(NotFittedError):
            getattr(CNNClassifier(), method)(X)
    assert not hasattr(CNNClassifier(), "partial_fit")
    assert not hasattr(CNNClassifier(), "initialize")


def test_plain_scikit_learn_base():
    # scikeras is used for pickling keras.Model only, not as a base class
    mro = CNNClassifier.__mro__
    assert not any(klass.__module__.startswith("scikeras") for klass in mro)
    assert mro.index(ClassifierMixin) < mro.index(BaseEstimator)


def test_fit_attributes(fitted, pneumoniamnist_small):
    _, _, Xte, yte = pneumoniamnist_small
    assert fitted.classes_.tolist() == [0, 1]
    assert fitted.n_classes_ == 2 and fitted.input_shape_ == (28, 28, 1)
    assert set(fitted.history_) >= {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}
    assert all(len(v) == 1 for v in fitted.history_.values())
    proba = fitted.predict_proba(Xte)
    assert proba.shape == (100, 2) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(fitted.predict(Xte)) <= {0, 1}
    assert 0 <= fitted.score(Xte, yte) <= 1
    # 3-D input (n, h, w) and float [0, 1] input are accepted
    np.testing.assert_allclose(fitted.predict_proba(Xte[..., 0]), proba)
    np.testing.assert_allclose(fitted.predict_proba(Xte / 255.0), proba, atol=1e-6)


def test_bad_input(fitted, pneumoniamnist_small):
    Xtr, ytr, Xte, _ = pneumoniamnist_small
    clf = CNNClassifier(**FAST)
    with pytest.raises(ValueError, match="dimension"):
        clf.fit(Xtr.reshape(len(Xtr), -1), ytr)
    bad = Xtr.astype(float)
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(bad, ytr)
    with pytest.raises(ValueError, match=r"float pixel values"):
        clf.fit(Xtr.astype(float) * 3 - 10, ytr)
    with pytest.raises(ValueError, match="single class"):
        clf.fit(Xtr, np.zeros_like(ytr))
    with pytest.raises(ValueError, match="at least 16x16"):
        clf.fit(Xtr[:, :4, :4], ytr)
    with pytest.raises(ValueError, match="labels"):
        clf.fit(Xtr, ytr[:-1])
    with pytest.raises(ValueError, match="optimizer"):
        CNNClassifier(optimizer="nope", epochs=1).fit(Xtr[::10], ytr[::10])
    with pytest.raises(ValueError, match="augmentation"):
        CNNClassifier(augmentation="yes").fit(Xtr, ytr)
    with pytest.raises(ValueError, match="fitted on 28x28"):
        fitted.predict_proba(np.zeros((2, 32, 32, 1), np.uint8))
    with pytest.raises(ValueError, match="file paths"):
        fitted.predict(np.array(["a.png", "b.png"]))


class SpyAugmenter(Augmenter):
    """Records every batch it augments (and rotates wildly)."""

    def augment(self, X, rng=None):
        self.seen_.append(X.copy())
        return super().augment(X, rng)


def test_augmentation_only_on_training_batches(pneumoniamnist_small):
    Xtr, ytr, Xte, _ = pneumoniamnist_small
    spy = SpyAugmenter(rotation_range=180)
    spy.seen_ = []
    clf = CNNClassifier(
        epochs=2, batch_size=32, augmentation=spy, random_state=0, validation_fraction=0.2
    ).fit(Xtr, ytr)
    seen = np.concatenate(spy.seen_)
    n_train = len(Xtr) - 40  # 20 % held out, never augmented
    # every training image exactly once per epoch
    assert len(seen) == 2 * n_train
    assert len(spy.seen_) == 2 * 5  # 5 batches of 32 per epoch
    train_set = {x.tobytes() for x in Xtr}
    assert all(x.tobytes() in train_set for x in seen)
    assert len({x.tobytes() for x in seen}) == n_train  # validation images never seen
    calls = len(spy.seen_)
    proba = clf.predict_proba(Xte)
    clf.predict(Xte)
    clf.score(Xte, pneumoniamnist_small[3])
    assert len(spy.seen_) == calls  # prediction never augments
    np.testing.assert_array_equal(proba, clf.predict_proba(Xte))


def test_options_class_weight_groups_early_stopping(pneumoniamnist_small):
    import keras

    Xtr, ytr, Xte, _ = pneumoniamnist_small
    X, y = Xtr[::2], ytr[::2]
    groups = np.repeat(np.arange(20), 5)
    sgd = keras.optimizers.SGD(momentum=0.5)
    clf = CNNClassifier(
        epochs=2,
        batch_size=30,
        class_weight={0: 1.0, 1: 2.0},
        optimizer=sgd,
        learning_rate=0.01,
        early_stopping=1,
        random_state=0,
    )
    clf.fit(X, y, groups=groups, sample_weight=np.ones(len(y)))
    assert 1 <= len(clf.history_["loss"]) <= 2
    assert "val_loss" in clf.history_
    assert np.isclose(clf.history_["learning_rate"][0], 0.01)
    assert clf.model_.optimizer is not sgd and int(sgd.iterations.numpy()) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="too few samples"):
            CNNClassifier(epochs=1).fit(X[:5], np.array([0, 0, 0, 0, 1]))


def test_validation_split_keeps_patients_together():
    y = np.tile([0, 1], 50)
    groups = np.repeat(np.arange(25), 4)
    clf = CNNClassifier(validation_fraction=0.2)
    train, val = clf._split_validation(y, groups, seed=0)
    assert set(groups[train]).isdisjoint(groups[val])
    assert 10 <= len(val) <= 30 and set(y[val]) == {0, 1}
    train, val = CNNClassifier(validation_fraction=0.1)._split_validation(y, None, seed=0)
    assert len(val) == 10 and np.bincount(y[val]).tolist() == [5, 5]
    train, val = CNNClassifier(validation_fraction=0)._split_validation(y, None, seed=0)
    assert val is None and len(train) == 100

    # a small patient-grouped fold (8 films per class, each its own patient): fewer films
    # per class than 1 / fraction folds; this raised "n_splits=10 cannot be greater than
    # the number of members in each class" and failed every CNN fold of a small compare
    y, groups = np.repeat([0, 1], 8), np.arange(16)
    train, val = CNNClassifier(validation_fraction=0.1)._split_validation(y, groups, seed=0)
    assert set(groups[train]).isdisjoint(groups[val]) and set(y[train]) == {0, 1}


@pytest.mark.parametrize(
    "optimizer, name",
    [
        ("rmsprop", "RMSprop"),
        ("adam", "Adam"),
        ("SGD", "SGD"),
        ("adamw", "AdamW"),
    ],
)
def test_make_optimizer_strings(optimizer, name):
    opt = CNNClassifier(optimizer=optimizer, learning_rate=0.02)._make_optimizer()
    assert type(opt).__name__ == name
    assert np.isclose(float(opt.learning_rate.numpy()), 0.02)


def test_make_optimizer_class_and_instance():
    import keras

    opt = CNNClassifier(optimizer=keras.optimizers.Adam, learning_rate=0.5)._make_optimizer()
    assert isinstance(opt, keras.optimizers.Adam) and np.isclose(float(opt.learning_rate), 0.5)
    mine = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt = CNNClassifier(optimizer=mine, learning_rate=0.3)._make_optimizer()
    assert opt is not mine and opt.momentum == 0.9 and np.isclose(float(opt.learning_rate), 0.3)


def test_callbacks():
    import keras

    cbs = CNNClassifier()._callbacks(has_validation=True)
    (plateau,) = [c for c in cbs if isinstance(c, keras.callbacks.ReduceLROnPlateau)]
    assert (plateau.monitor, plateau.patience, plateau.factor, plateau.min_lr) == (
        "val_accuracy",
        2,
        0.3,
        1e-6,
    )
    assert not any(isinstance(c, keras.callbacks.EarlyStopping) for c in cbs)
    cbs = CNNClassifier(early_stopping=True)._callbacks(has_validation=False)
    assert not any(isinstance(c, keras.callbacks.ReduceLROnPlateau) for c in cbs)
    (stop,) = [c for c in cbs if isinstance(c, keras.callbacks.EarlyStopping)]
    assert stop.monitor == "loss" and stop.patience == 3 and stop.restore_best_weights
    with pytest.raises(ValueError, match="early_stopping"):
        CNNClassifier(early_stopping=0)._check_params()


def test_image_batches_shuffle_and_cast():
    from xraynet.models._feeding import ImageBatches

    X = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1)
    y = np.arange(10)
    data = ImageBatches(X, y, batch_size=4, shuffle=True, seed=0)
    assert len(data) == 3
    orders = []
    for _ in range(2):
        data.on_epoch_begin()
        xs = [data[i][0] for i in range(len(data))]
        assert all(x.dtype == np.float32 for x in xs)
        seen = np.concatenate([x.ravel() for x in xs])
        assert sorted(seen.tolist()) == list(range(10))
        assert [data[i][1].tolist() for i in range(3)] == [x.ravel().tolist() for x in xs]
        orders.append(seen.tolist())
        data.on_epoch_end()
    assert orders[0] != orders[1]  # reshuffled every epoch
    again = ImageBatches(X, y, batch_size=4, shuffle=True, seed=0)
    assert np.concatenate([again[i][0].ravel() for i in range(3)]).tolist() == orders[0]
    pred = ImageBatches(X, batch_size=4)
    assert len(pred[0]) == 1 and pred[2][0].ravel().tolist() == [8, 9]
    with pytest.raises(IndexError):
        pred[3]


def test_grid_search_pipeline_on_kermany_files(kermany_dir):
    from xraynet.io import ImageLoader

    rng = np.random.RandomState(0)
    paths, y = [], []
    for label, folder in enumerate(["NORMAL", "PNEUMONIA"]):
        files = sorted((kermany_dir / folder).glob("*.jp*g"))
        paths += [str(files[i]) for i in rng.choice(len(files), 20, replace=False)]
        y += [label] * 20
    paths, y = np.array(paths), np.array(y)
    pipe = Pipeline(
        [
            ("load", ImageLoader(size=28)),
            (
                "model",
                CNNClassifier(epochs=1, batch_size=10, validation_fraction=0, random_state=0),
            ),
        ]
    )
    search = GridSearchCV(
        pipe,
        {"model__learning_rate": [1e-3, 1e-4]},
        scoring="roc_auc",
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        error_score="raise",
        refit=False,
    )
    search.fit(paths, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 1))


def test_meta_estimators_and_scorers(fitted, pneumoniamnist_small):
    Xtr, ytr, Xte, yte = pneumoniamnist_small
    X, y = Xtr[::2], ytr[::2]
    clf = CNNClassifier(epochs=1, batch_size=25, random_state=0, validation_fraction=0)
    scores = cross_validate(
        clf, X, y, cv=2, scoring=["roc_auc", "balanced_accuracy"], error_score="raise"
    )
    assert np.all(np.isfinite(scores["test_roc_auc"]))
    assert np.all(np.isfinite(scores["test_balanced_accuracy"]))
    # calibration / threshold tuning on the already fitted model (no refits)
    cal = CalibratedClassifierCV(FrozenEstimator(fitted)).fit(Xte, yte)
    assert cal.predict_proba(Xte).shape == (100, 2)
    tuned = TunedThresholdClassifierCV(
        FrozenEstimator(fitted), cv=0.5, refit=False, random_state=0, scoring="balanced_accuracy"
    )
    tuned.fit(Xte, yte)
    assert 0 <= tuned.best_threshold_ <= 1
    assert set(tuned.predict(Xte)) <= {0, 1}


def test_multiclass_and_string_labels(fitted, pneumoniamnist_small):
    Xtr, ytr, Xte, _ = pneumoniamnist_small
    before = fitted.predict_proba(Xte)
    y3 = np.array(["normal", "bacterial", "viral"])[np.arange(len(ytr)) % 3]
    clf = CNNClassifier(epochs=1, batch_size=32, random_state=0).fit(Xtr, y3)
    assert clf.classes_.tolist() == ["bacterial", "normal", "viral"]
    assert clf.model_.output_shape == (None, 3)
    proba = clf.predict_proba(Xte)
    assert proba.shape == (100, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(Xte)) <= set(y3)
    # fit() calls keras.backend.clear_session(); earlier models keep working
    np.testing.assert_array_equal(fitted.predict_proba(Xte), before)


API_CHECKS = [
    "check_estimator_cloneable",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimators_unfitted",
    "check_mixin_order",
    "check_estimator_tags_renamed",
]
# Not applicable (they feed 2-D tabular data; equivalents on images live in this
# file and in test_persistence.py: fit returns self / params not overwritten /
# read-only input (fixture `fitted`), NaN, one class (test_bad_input), pickle):
# check_fit_score_takes_y, check_estimators_overwrite_params,
# check_dont_overwrite_parameters, check_estimators_fit_returns_self,
# check_readonly_memmap_input, check_positive_only_tag_during_fit,
# check_estimators_dtypes, check_classifiers_*, check_estimators_nan_inf,
# check_estimators_pickle, check_fit_check_is_fitted, check_requires_y_none.


@pytest.mark.parametrize("check", API_CHECKS)
def test_sklearn_api_checks(check):
    getattr(estimator_checks, check)("CNNClassifier", CNNClassifier(epochs=1))


def test_base_class_contract(pneumoniamnist_small):
    Xtr, ytr, _, _ = pneumoniamnist_small
    base = BaseImageClassifier(epochs=1)
    assert set(base.get_params()) == set(CNNClassifier().get_params())
    assert is_classifier(base)
    with pytest.raises(NotImplementedError, match="_build_network"):
        base.fit(Xtr, ytr)


def test_bad_sample_weight_message_names_the_problem():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (6, 16, 16, 1), dtype=np.uint8)
    y = np.array([0, 1] * 3)
    clf = CNNClassifier(epochs=1, batch_size=2)
    with pytest.raises(ValueError, match=r"one weight per image: got 5 weights for 6 images"):
        clf.fit(X, y, sample_weight=np.ones(5))
    w = np.ones(6)
    w[3] = np.nan
    with pytest.raises(
        ValueError, match=r"finite and >= 0; 1 are not, e.g. sample_weight\[3\] = nan"
    ):
        clf.fit(X, y, sample_weight=w)
    w[3] = -2
    with pytest.raises(ValueError, match=r"sample_weight\[3\] = -2"):
        clf.fit(X, y, sample_weight=w)
