"""configure_tensorflow / TensorFlowWorkerPlugin without a cluster (fast)."""

import os
import sys
import warnings
from types import SimpleNamespace

import pytest

from xraynet.parallel import (
    TensorFlowWorkerPlugin,
    configure_tensorflow,
    detect_gpus,
    resolve_n_threads,
)

_ENV = (
    "CUDA_VISIBLE_DEVICES",
    "TF_FORCE_GPU_ALLOW_GROWTH",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


@pytest.fixture
def no_tensorflow(monkeypatch):
    """Pretend TensorFlow is not imported yet; restore the environment afterwards."""
    for name in [m for m in sys.modules if m == "tensorflow" or m.startswith("tensorflow.")]:
        monkeypatch.delitem(sys.modules, name)
    for var in _ENV:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_resolve_n_threads():
    assert resolve_n_threads(None) is None
    assert resolve_n_threads(3) == 3
    assert resolve_n_threads(-1) == (os.cpu_count() or 1)
    assert resolve_n_threads(-1000) == 1
    for bad in (0, 1.5, "2", True):
        with pytest.raises(ValueError, match="n_threads"):
            resolve_n_threads(bad)


def test_configure_before_import_sets_environment(no_tensorflow):
    settings = configure_tensorflow(n_threads=3, gpu=1, memory_growth=True)
    assert "tensorflow" not in sys.modules  # it never imports TensorFlow
    assert settings == {
        "n_threads": 3,
        "gpu": [1],
        "memory_growth": True,
        "applied": "environment",
        "skipped": [],
    }
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "3"
    assert os.environ["TF_NUM_INTEROP_THREADS"] == "2"
    assert os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "1"


def test_configure_gpu_indexes_into_visible_devices(no_tensorflow):
    no_tensorflow.setenv("CUDA_VISIBLE_DEVICES", "4,6")
    configure_tensorflow(gpu=1, memory_growth=None)
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "6"
    configure_tensorflow(gpu=0, memory_growth=None)  # again: indexes the original list
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "4"
    with pytest.raises(ValueError, match="out of range.*CUDA_VISIBLE_DEVICES='4,6'"):
        configure_tensorflow(gpu=2)
    no_tensorflow.setenv("CUDA_VISIBLE_DEVICES", "7")  # changed by someone else: new pool
    with pytest.raises(ValueError, match="out of range.*CUDA_VISIBLE_DEVICES='7'"):
        configure_tensorflow(gpu=1)
    configure_tensorflow(gpu="cpu", memory_growth=None)
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "-1"
    assert "TF_FORCE_GPU_ALLOW_GROWTH" not in os.environ


@pytest.mark.parametrize("gpu", [-1, "gpu0", [0, 0], 1.0, True])
def test_configure_rejects_bad_gpu(no_tensorflow, gpu):
    with pytest.raises(ValueError, match="gpu"):
        configure_tensorflow(gpu=gpu)


def test_configure_rejects_bad_memory_growth(no_tensorflow):
    with pytest.raises(ValueError, match="memory_growth"):
        configure_tensorflow(memory_growth="yes")


def test_configure_after_start_warns_and_keeps_settings(monkeypatch):
    import tensorflow as tf

    tf.constant(1.0) + 1.0  # make sure the runtime is started
    for var in _ENV:
        monkeypatch.delenv(var, raising=False)
    before = tf.config.threading.get_intra_op_parallelism_threads()
    wanted = before + 5
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        settings = configure_tensorflow(n_threads=wanted)
    messages = [str(w.message) for w in caught if w.category is UserWarning]
    assert any(
        "could not set intra-op threads" in m and "first operation" in m for m in messages
    ), messages
    assert settings["applied"] == "tensorflow"
    assert "intra-op threads" in settings["skipped"]
    assert tf.config.threading.get_intra_op_parallelism_threads() == before
    # the environment is left alone once TensorFlow runs: it would have no effect
    assert "TF_NUM_INTRAOP_THREADS" not in os.environ
    # hiding GPUs on a machine without any is a no-op, not an error
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            configure_tensorflow(gpu="cpu" if not tf.config.list_physical_devices("GPU") else None)[
                "skipped"
            ]
            == []
        )


def test_detect_gpus_reads_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,3")
    assert detect_gpus() == 3
    for hidden in ("", "-1"):
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", hidden)
        assert detect_gpus() == 0


def _fake_worker(name, nthreads=4, address="tcp://10.0.0.7:40001"):
    return SimpleNamespace(
        name=name, address=address, state=SimpleNamespace(nthreads=nthreads, executing_count=0)
    )


@pytest.mark.parametrize("name, expected", [(0, "0"), (1, "2"), (3, "2"), ("node-5", "2")])
def test_plugin_assigns_one_gpu_per_worker_round_robin(no_tensorflow, name, expected):
    plugin = TensorFlowWorkerPlugin(gpus=[0, 2])
    plugin.setup(_fake_worker(name))
    assert os.environ["CUDA_VISIBLE_DEVICES"] == expected
    assert os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    # intra-op threads default to the worker's own thread count
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "4"
    assert plugin.settings_["gpu"] == [int(expected)]
    plugin.teardown(None)


def test_plugin_worker_without_integer_name_gets_a_stable_slot(no_tensorflow):
    slots = set()
    for _ in range(2):
        plugin = TensorFlowWorkerPlugin(n_threads=1, gpus=4)
        plugin.setup(_fake_worker("tcp://10.0.0.7:40001"))
        slots.add(os.environ["CUDA_VISIBLE_DEVICES"])
    assert len(slots) == 1 and slots <= {"0", "1", "2", "3"}
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "1"


def test_plugin_cpu_only(no_tensorflow):
    plugin = TensorFlowWorkerPlugin(gpus=0)
    plugin.setup(_fake_worker(0, nthreads=1))
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "-1"
    # no GPU found and none requested: visible devices are left alone
    no_tensorflow.setenv("CUDA_VISIBLE_DEVICES", "")
    no_tensorflow.delenv("CUDA_VISIBLE_DEVICES")
    no_tensorflow.setattr("shutil.which", lambda name: None)
    plugin = TensorFlowWorkerPlugin()
    plugin.setup(_fake_worker(1))
    assert plugin.settings_["gpu"] is None and "CUDA_VISIBLE_DEVICES" not in os.environ
    with pytest.raises(ValueError, match="gpus"):
        TensorFlowWorkerPlugin(gpus="all").setup(_fake_worker(0))


def test_plugin_is_a_dask_worker_plugin_and_pickles():
    import pickle

    from distributed import WorkerPlugin

    plugin = TensorFlowWorkerPlugin(n_threads=2, gpus=[1])
    assert isinstance(plugin, WorkerPlugin)
    copy = pickle.loads(pickle.dumps(plugin))
    assert repr(copy) == repr(plugin)
    assert "n_threads=2" in repr(plugin)


def test_keras_fit_is_reproducible_while_other_threads_use_random(pneumoniamnist_small):
    """What a Dask worker does: fit in a thread while its event loop uses ``random``.

    Keras draws default layer seeds from Python's global ``random``; xraynet's
    estimators draw them from a private generator instead, so another thread
    consuming ``random`` must not change the fitted weights.
    """
    import random
    import threading

    import numpy as np

    from xraynet import CNNClassifier

    X, y = pneumoniamnist_small[0][::4], pneumoniamnist_small[1][::4]

    def fit():
        est = CNNClassifier(epochs=1, batch_size=16, validation_fraction=0.0, random_state=0)
        return est.fit(X, y).predict_proba(X[:6])

    expected = fit()
    stop, out = threading.Event(), {}

    def noise():
        while not stop.is_set():
            random.random()

    def worker():
        out["proba"] = fit()

    threads = [threading.Thread(target=noise), threading.Thread(target=worker)]
    for t in threads:
        t.start()
    threads[1].join()
    stop.set()
    threads[0].join()
    np.testing.assert_array_equal(out["proba"], expected)
