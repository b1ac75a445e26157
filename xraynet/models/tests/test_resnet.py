"""Tests of ResNetClassifier / build_resnet."""

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.metrics import roc_auc_score

from xraynet.models import ResNetClassifier, build_resnet, load_model


def test_is_classifier_and_tags():
    clf = ResNetClassifier()
    assert is_classifier(clf)
    tags = clf.__sklearn_tags__()
    assert tags.estimator_type == "classifier"
    assert not tags.input_tags.two_d_array


def test_get_params_and_clone_roundtrip():
    clf = ResNetClassifier(width=8, depth=2, blocks=2, dropout=0.1, epochs=3, random_state=1)
    params = clf.get_params()
    for name in (
        "width",
        "depth",
        "blocks",
        "dropout",
        "epochs",
        "batch_size",
        "learning_rate",
        "optimizer",
        "augmentation",
        "class_weight",
        "validation_fraction",
        "early_stopping",
        "random_state",
        "verbose",
    ):
        assert name in params
    cloned = clone(clf)
    assert cloned.get_params() == params
    assert cloned is not clf


@pytest.mark.parametrize("size", [28, 64, 150])
def test_build_resnet_sizes_and_param_count(size):
    model = build_resnet((size, size, 1), 1)
    # the stem keeps the work small at any size; parameter count does not depend on size
    assert 70_000 < model.count_params() < 90_000
    assert model.output_shape == (None, 1)
    feat = model.get_layer("gap").input.shape
    assert feat[1] <= 10 and feat[-1] == 64
    assert model.layers[-1].activation.__name__ == "sigmoid"


def test_build_resnet_multiclass_width_depth():
    model = build_resnet((32, 32, 3), 4, width=8, depth=2, blocks=2)
    assert model.output_shape == (None, 4)
    assert model.layers[-1].activation.__name__ == "softmax"
    assert model.get_layer("gap").input.shape[-1] == 16
    assert model.count_params() < build_resnet((32, 32, 3), 4).count_params() / 2
    out = model.predict(np.full((2, 32, 32, 3), 255.0, np.float32), verbose=0)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


def test_too_small_images_raise():
    X = np.zeros((6, 4, 4, 1), np.uint8)
    with pytest.raises(ValueError, match="4x4.*at least 8x8"):
        ResNetClassifier(epochs=1).fit(X, [0, 1] * 3)


@pytest.mark.parametrize("param, value", [("width", 0), ("depth", 1.5), ("dropout", 1.0)])
def test_invalid_params_raise_in_fit(param, value):
    X = np.zeros((6, 28, 28, 1), np.uint8)
    clf = ResNetClassifier(epochs=1, **{param: value})  # __init__ does not validate
    with pytest.raises(ValueError, match=param):
        clf.fit(X, [0, 1] * 3)


def test_fit_real_pneumoniamnist_and_save_load(pneumoniamnist_small, tmp_path):
    Xtr, ytr, Xte, yte = pneumoniamnist_small
    clf = ResNetClassifier(
        width=8, epochs=4, batch_size=32, learning_rate=3e-3, random_state=0
    ).fit(Xtr, ytr)
    assert clf.input_shape_ == (28, 28, 1)
    assert len(clf.history_["loss"]) == 4 and "learning_rate" in clf.history_
    proba = clf.predict_proba(Xte)
    assert proba.shape == (100, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # a real signal after a few epochs on 180 images
    assert roc_auc_score(yte, proba[:, 1]) > 0.75
    path = clf.save(tmp_path / "resnet.keras")
    loaded = load_model(path)
    assert type(loaded) is ResNetClassifier and loaded.get_params()["width"] == 8
    np.testing.assert_allclose(loaded.predict_proba(Xte), proba, rtol=1e-5, atol=1e-6)
