"""precision parameter, the traced inference step and the prefetching batch feeder."""

import pickle

import keras
import numpy as np
import pytest

from xraynet.augmentation import Augmenter
from xraynet.models import CNNClassifier, ResNetClassifier, TransferClassifier, _precision
from xraynet.models._backbones import HEAD_NAME
from xraynet.models._feeding import ImageBatches


@pytest.fixture(scope="module")
def images():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, (40, 28, 28, 1), dtype=np.uint8)
    return X, np.arange(40) % 2


def _fit(X, y, **kw):
    params = dict(epochs=1, batch_size=8, validation_fraction=0, random_state=0)
    params.update(kw)
    return CNNClassifier(**params).fit(X, y)


@pytest.fixture(scope="module")
def bf16(images):
    return _fit(*images, precision="bfloat16")


@pytest.mark.parametrize("cls", [CNNClassifier, ResNetClassifier, TransferClassifier])
def test_every_estimator_has_precision(cls):
    assert cls().get_params()["precision"] == "float32"
    assert cls(precision="bfloat16").get_params()["precision"] == "bfloat16"


@pytest.mark.parametrize("bad", ["fp16", "bf16", "Float32", None, 16])
def test_bad_precision_raises_clear_error(images, bad):
    X, y = images
    with pytest.raises(
        ValueError, match="precision must be one of 'auto', 'float32', 'bfloat16', 'mixed_float16'"
    ):
        CNNClassifier(epochs=1, precision=bad).fit(X, y)


def test_auto_follows_the_hardware(monkeypatch):
    for forced, expected in (("bfloat16", "bfloat16"), ("float32", "float32")):
        monkeypatch.setenv(_precision.AUTO_ENV, forced)
        _precision.hardware_bfloat16.cache_clear()
        assert _precision.resolve_precision("auto") == expected
    monkeypatch.delenv(_precision.AUTO_ENV)
    _precision.hardware_bfloat16.cache_clear()
    monkeypatch.setattr(_precision, "_gpu_compute_capabilities", lambda: [])
    monkeypatch.setattr(_precision, "_cpu_flags", lambda: frozenset({"avx512f", "avx512_bf16"}))
    assert _precision.hardware_bfloat16()
    _precision.hardware_bfloat16.cache_clear()
    monkeypatch.setattr(_precision, "_cpu_flags", lambda: frozenset({"avx2"}))
    assert not _precision.hardware_bfloat16()
    _precision.hardware_bfloat16.cache_clear()
    monkeypatch.setattr(_precision, "_gpu_compute_capabilities", lambda: [(8, 0)])
    assert _precision.hardware_bfloat16()
    _precision.hardware_bfloat16.cache_clear()
    monkeypatch.setattr(_precision, "_gpu_compute_capabilities", lambda: [(7, 5)])
    assert not _precision.hardware_bfloat16()
    _precision.hardware_bfloat16.cache_clear()
    assert _precision.resolve_precision("float32") == "float32"


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_every_network_names_its_head_the_same(n_outputs):
    from xraynet.models._backbones import build_transfer
    from xraynet.models._resnet import build_resnet

    nets = [
        CNNClassifier()._build_network((28, 28, 1), n_outputs),
        build_resnet((28, 28, 1), n_outputs, width=4, depth=1),
        build_transfer((32, 32, 1), n_outputs, backbone_kwargs={"alpha": 0.35}),
    ]
    for net in nets:
        head = net.get_layer(HEAD_NAME)
        assert head is net.layers[-1] and head.units == n_outputs, net.name


def test_compute_dtype_follows_policy_output_float32(images, bf16):
    X, y = images
    conv = [layer for layer in bf16.model_.layers if isinstance(layer, keras.layers.Conv2D)]
    assert bf16.precision_ == "bfloat16"
    assert all(layer.compute_dtype == "bfloat16" for layer in conv)
    assert all(v.dtype == "float32" for v in bf16.model_.weights)  # mixed: float32 variables
    assert bf16.model_.get_layer(HEAD_NAME).compute_dtype == "float32"
    assert keras.backend.standardize_dtype(bf16.model_.outputs[0].dtype) == "float32"
    assert bf16._predict_function()(X[:3]).dtype == "float32"
    f32 = _fit(X, y, precision="float32")
    assert f32.precision_ == "float32"
    assert all(layer.compute_dtype == "float32" for layer in f32.model_.layers)


def test_no_global_dtype_policy_leak(images):
    X, y = images
    before = keras.config.dtype_policy().name
    _fit(X, y, precision="bfloat16")
    assert keras.config.dtype_policy().name == before
    keras.config.set_dtype_policy("mixed_bfloat16")  # a user's own global policy
    try:
        clf = _fit(X, y, precision="float32")
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
        assert clf.model_.get_layer(HEAD_NAME).compute_dtype == "float32"
        assert all(layer.compute_dtype == "float32" for layer in clf.model_.layers)
    finally:
        keras.config.set_dtype_policy(before)

    class Broken(CNNClassifier):
        def _build_network(self, input_shape, n_outputs):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        Broken(epochs=1, precision="bfloat16").fit(X, y)
    assert keras.config.dtype_policy().name == before


def test_non_float32_output_of_a_subclass_is_cast(images):
    X, y = images

    class Sloppy(CNNClassifier):
        def _build_network(self, input_shape, n_outputs):
            inputs = keras.Input(shape=input_shape)
            x = keras.layers.Flatten()(keras.layers.Rescaling(1 / 255)(inputs))
            return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))

    clf = Sloppy(epochs=1, batch_size=8, precision="bfloat16", random_state=0).fit(X, y)
    assert keras.backend.standardize_dtype(clf.model_.outputs[0].dtype) == "float32"
    assert clf.model_.layers[-2].compute_dtype == "bfloat16"


def test_predict_proba_matches_model_predict_traced_once(images, bf16):
    X, y = images
    f32 = _fit(X, y, precision="float32")
    for clf, atol in ((f32, 1e-6), (bf16, 2e-3)):
        ref = clf.model_.predict(X.astype(np.float32), verbose=0)[:, 0]
        np.testing.assert_allclose(clf.predict_proba(X)[:, 1], ref, atol=atol)
        fn = clf._predict_function()
        for n in (1, 7, 40):  # other batch sizes reuse the trace
            clf.predict_proba(X[:n])
        assert clf._predict_function() is fn
        assert fn.experimental_get_tracing_count() == 1
    # large prediction batches, independent of the training batch size
    assert f32._predict_batch_size() == 1024
    big = CNNClassifier(batch_size=8)
    big.input_shape_ = (150, 150, 1)
    assert big._predict_batch_size() == 256


def test_many_fitted_models_predict_without_retracing_warning(images, caplog):
    # a search or a comparison fits many estimators; TensorFlow's retracing detector counts
    # traces per function code, so tracing at the first call warned from the 6th model on
    import logging

    from xraynet.models._inference import inference_function

    X, _ = images
    net = _fit(*images).model_
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for _ in range(8):
            infer = inference_function(net, X.shape[1:])
            infer(X[:3]), infer(X[:5])
            assert infer.experimental_get_tracing_count() == 1
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]


def test_predict_cache_not_a_param_not_pickled(images, bf16):
    X, _ = images
    bf16.predict_proba(X[:2])
    assert "_predict_cache" in vars(bf16)
    assert "_predict_cache" not in bf16.__getstate__()
    assert "_predict_cache" in vars(bf16)  # __getstate__ did not touch the instance
    assert all("predict" not in name for name in bf16.get_params())
    back = pickle.loads(pickle.dumps(bf16))
    np.testing.assert_array_equal(back.predict_proba(X), bf16.predict_proba(X))


def test_refit_rebuilds_predict_function(images):
    X, y = images
    clf = _fit(X, y, precision="float32")
    fn = clf._predict_function()
    clf.set_params(random_state=1).fit(X, y)
    assert clf._predict_function() is not fn
    np.testing.assert_allclose(
        clf.predict_proba(X)[:, 1],
        clf.model_.predict(X.astype(np.float32), verbose=0)[:, 0],
        atol=1e-6,
    )


def test_bfloat16_model_save_load_roundtrip(images, bf16, tmp_path, monkeypatch):
    from xraynet.models import load_model

    X, _ = images
    path = bf16.save(tmp_path / "bf16.keras")
    # the loading machine's own precision choice plays no role
    monkeypatch.setenv(_precision.AUTO_ENV, "float32")
    _precision.hardware_bfloat16.cache_clear()
    try:
        back = load_model(path)
        assert back.get_params()["precision"] == "bfloat16" and back.precision_ == "bfloat16"
        np.testing.assert_array_equal(back.predict_proba(X), bf16.predict_proba(X))
        assert back._predict_function()(X[:2]).dtype == "float32"
        assert back.predict_proba(X).dtype == np.float64
        assert keras.backend.standardize_dtype(back.model_.outputs[0].dtype) == "float32"
    finally:
        monkeypatch.delenv(_precision.AUTO_ENV)
        _precision.hardware_bfloat16.cache_clear()


def test_resnet_and_transfer_bfloat16(images):
    X, y = images
    for clf in (
        ResNetClassifier(
            epochs=1, batch_size=8, precision="bfloat16", validation_fraction=0, random_state=0
        ),
        TransferClassifier(
            backbone_kwargs={"alpha": 0.35},
            epochs=1,
            batch_size=8,
            precision="bfloat16",
            validation_fraction=0,
            random_state=0,
        ),
    ):
        clf.fit(X[:16], y[:16])
        assert clf.precision_ == "bfloat16"
        assert clf.model_.get_layer(HEAD_NAME).compute_dtype == "float32"
        ref = clf.model_.predict(X.astype(np.float32), verbose=0)[:, 0]
        np.testing.assert_allclose(clf.predict_proba(X)[:, 1], ref, atol=5e-3)
    backbone = clf.model_.get_layer("backbone")
    assert {
        layer.compute_dtype for layer in backbone.layers if isinstance(layer, keras.layers.Conv2D)
    } == {"bfloat16"}


def test_prefetching_batches_are_the_unprefetched_ones(images):
    X, y = images
    aug = Augmenter(rotation_range=20, zoom_range=0.2, random_state=0)
    feeds = [
        ImageBatches(X, y, batch_size=6, shuffle=True, augmenter=aug, seed=3, prefetch=p)
        for p in (True, False)
    ]
    for _ in range(2):  # epochs
        for feed in feeds:
            feed.on_epoch_begin()
        for i in range(len(feeds[0])):
            a, b = feeds[0][i], feeds[1][i]
            for u, v in zip(a, b):
                np.testing.assert_array_equal(u, v)
        assert feeds[0]._executor is not None
        for feed in feeds:
            feed.on_epoch_end()
        assert feeds[0]._executor is None and not feeds[0]._pending
    # out-of-order requests (the prefetched batch is skipped) give the same batches
    feeds[0].on_epoch_begin()
    feeds[1].on_epoch_begin()
    for i in (0, 3, 2, 1):
        np.testing.assert_array_equal(feeds[0][i][0], feeds[1][i][0])
    pickle.loads(pickle.dumps(feeds[0]))
    feeds[0].on_epoch_end()


def test_deterministic_fit_with_prefetching(images):
    X, y = images
    aug = Augmenter(rotation_range=15, width_shift_range=0.1)

    class NoPrefetch(CNNClassifier):
        _prefetch_batches = False

    kw = dict(epochs=2, batch_size=8, augmentation=aug, precision="float32", random_state=0)
    p1 = CNNClassifier(**kw).fit(X, y).predict_proba(X)
    p2 = CNNClassifier(**kw).fit(X, y).predict_proba(X)
    p3 = NoPrefetch(**kw).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(p1, p3)


def test_mixed_float16_warns_without_gpu_and_scales_the_loss(images):
    import tensorflow as tf

    X, y = images

    class Tiny(CNNClassifier):
        def _build_network(self, input_shape, n_outputs):
            inputs = keras.Input(shape=input_shape)
            x = keras.layers.Flatten()(keras.layers.Rescaling(1 / 255)(inputs))
            return keras.Model(
                inputs, keras.layers.Dense(1, activation="sigmoid", dtype="float32")(x)
            )

    clf = Tiny(epochs=1, batch_size=8, precision="mixed_float16", random_state=0)
    if tf.config.list_physical_devices("GPU"):
        clf.fit(X, y)
    else:
        with pytest.warns(UserWarning, match="meant for GPUs"):
            clf.fit(X, y)
    assert clf.precision_ == "mixed_float16"
    assert clf.model_.layers[2].compute_dtype == "float16"
    assert isinstance(clf.model_.optimizer, keras.optimizers.LossScaleOptimizer)
    assert clf.predict_proba(X).shape == (40, 2)
