import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

keras = pytest.importorskip("keras")

from xraynet.explain import gradcam  # noqa: E402


def _chest_like(n=6, size=28, seed=0):
    """Synthetic X-ray-ish images: dark lungs in a bright body, random blobs."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[:size, :size]
    X = np.full((n, size, size), 180.0)
    for cx in (0.3, 0.7):
        X -= 110 * (
            ((xx - cx * size) / (0.17 * size)) ** 2 + ((yy - 0.5 * size) / (0.3 * size)) ** 2 < 1
        )
    for i in range(n):
        cy, cx = rng.randint(6, size - 6, 2)
        X[i] += 70 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 8.0)
    X += rng.normal(0, 8, X.shape)
    return np.clip(X, 0, 255).astype(np.uint8)[..., None]


def _functional(n_out=1, size=28, channels=1):
    keras.utils.set_random_seed(0)
    i = keras.Input((size, size, channels))
    x = keras.layers.Rescaling(1 / 255)(i)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="last_conv")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    o = keras.layers.Dense(n_out, activation="sigmoid" if n_out == 1 else "softmax")(x)
    return keras.Model(i, o)


def _nested(pool_inside):
    keras.utils.set_random_seed(0)
    bi = keras.Input((28, 28, 3))
    b = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(bi)
    b = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="bb_conv")(b)
    b = keras.layers.ReLU(name="bb_relu")(b)
    if pool_inside:
        b = keras.layers.GlobalAveragePooling2D()(b)
    backbone = keras.Model(bi, b, name="backbone")
    i = keras.Input((28, 28, 1))
    x = keras.layers.Rescaling(1 / 255)(i)
    x = keras.layers.Concatenate()([x, x, x])  # gray to RGB, as TransferClassifier does
    x = backbone(x)
    if not pool_inside:
        x = keras.layers.GlobalAveragePooling2D()(x)
    o = keras.layers.Dense(2, activation="softmax")(x)
    return keras.Model(i, o)


def _check(maps, n, size=28):
    assert maps.shape == (n, size, size)
    assert maps.dtype == np.float32
    assert np.all((maps >= 0) & (maps <= 1))
    assert np.all(np.isfinite(maps))


@pytest.mark.parametrize("n_out", [1, 2])
def test_functional_shape_range_and_responds_to_image(n_out):
    model = _functional(n_out)
    X = _chest_like(4)
    maps = gradcam(model, X)
    _check(maps, 4)
    assert np.isclose(maps.max(axis=(1, 2)), 1).any()
    blank = gradcam(model, np.zeros((1, 28, 28, 1), np.uint8))
    real_vs_blank = np.abs(maps[0] - blank[0]).mean()
    assert real_vs_blank > 0.05
    # different images give different maps
    assert np.abs(maps[0] - maps[1]).mean() > 0.01
    # explaining the other class gives another map
    other = gradcam(model, X, class_index=0 if n_out == 1 else 1)
    assert not np.allclose(other, gradcam(model, X, class_index=1 if n_out == 1 else 0))


@pytest.mark.parametrize("n_out", [1, 3])
def test_class_index_out_of_range_raises(n_out):
    # an index past the last class used to explain another class silently
    model = _functional(n_out)
    X = _chest_like(2)
    n_classes = 2 if n_out == 1 else n_out
    for bad in (n_classes, -1, 0.5, [0, n_classes]):
        with pytest.raises(
            ValueError, match=rf"class_index must be an integer in \[0, {n_classes - 1}\]"
        ):
            gradcam(model, X, class_index=bad)
    with pytest.raises(ValueError, match="one per image"):
        gradcam(model, X, class_index=[0, 1, 0])


def test_sequential_and_named_layer():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(4, 3, activation="relu", name="c1"),
            keras.layers.Conv2D(4, 3, activation="relu", name="c2"),
            keras.layers.Flatten(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    X = _chest_like(3)
    _check(gradcam(model, X), 3)
    _check(gradcam(model, X, layer="c1"), 3)
    with pytest.raises(ValueError, match="not a layer"):
        gradcam(model, X, layer="nope")
    with pytest.raises(ValueError, match="spatial"):
        gradcam(model, X, layer=model.layers[-1].name)


@pytest.mark.parametrize("pool_inside", [False, True])
def test_nested_backbone(pool_inside):
    model = _nested(pool_inside)
    X = _chest_like(3)
    maps = gradcam(model, X)
    _check(maps, 3)
    # the heatmap is at image resolution although the map is 14x14
    assert len(np.unique(maps[0].round(4))) > 20
    _check(gradcam(model, X, layer="bb_conv"), 3)


def test_pipeline_in_front_resizes_back():
    model = _functional(1, size=32)
    up = FunctionTransformer(lambda X: np.repeat(np.repeat(X, 2, axis=1), 2, axis=2)[:, :32, :32])

    class Wrapper:  # an estimator-like object holding a fitted Keras model
        model_ = model
        classes_ = np.array([0, 1])

    pipe = make_pipeline(up, "passthrough")
    pipe.steps[-1] = ("net", Wrapper())
    maps = gradcam(pipe, _chest_like(2, size=16))
    _check(maps, 2, size=16)


def test_errors():
    X = _chest_like(2)
    no_conv = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    with pytest.raises(ValueError, match="no Conv2D"):
        gradcam(no_conv, X)
    with pytest.raises(ValueError, match="Keras"):
        gradcam(LogisticRegression().fit(X.reshape(2, -1), [0, 1]), X)
    from xraynet import models

    with pytest.raises(NotFittedError, match="not fitted"):
        gradcam(models.CNNClassifier(), X)
    with pytest.raises(ValueError, match="channel"):
        gradcam(_functional(1), np.zeros((1, 28, 28, 3), np.uint8))


def test_cnn_classifier(pneumoniamnist_small):
    from xraynet import models

    Xtr, ytr, Xte, yte = pneumoniamnist_small
    from xraynet.explain.tests._fitted import fitted_cnn

    est = fitted_cnn(Xtr, ytr)
    assert isinstance(est, models.CNNClassifier)
    maps = gradcam(est, Xte[:6])
    _check(maps, 6)
    blank = gradcam(est, np.zeros((1, 28, 28, 1), np.uint8))
    assert np.abs(maps[0] - blank[0]).mean() > 0.01
