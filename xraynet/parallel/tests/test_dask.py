"""Model selection on a real Dask cluster (LocalCluster, 2 worker processes).

One cluster serves the whole module (starting worker processes is the
expensive part); the worker-kill test runs last.
"""

import os
import signal
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")

from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

from xraynet.parallel import TensorFlowWorkerPlugin  # noqa: E402

PLUGIN = "xraynet-tensorflow"


def _tf_threads_in_this_process():
    """Intra-op threads TensorFlow uses here (its default: the usable cores)."""
    import tensorflow as tf

    return (
        tf.config.threading.get_intra_op_parallelism_threads()
        or int(os.environ.get("TF_NUM_INTRAOP_THREADS", 0))
        or len(getattr(os, "sched_getaffinity", lambda _: range(os.cpu_count() or 1))(0))
    )


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        memory_limit="3GiB",
        env={"TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    client = Client(cluster)
    try:
        # Same intra-op thread count as this process so that float32 sums are
        # computed in the same order and results are bit-identical.
        client.register_plugin(TensorFlowWorkerPlugin(n_threads=_tf_threads_in_this_process()))
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def small(pneumoniamnist_small):
    """60 real PneumoniaMNIST images (30 per class), uint8 (60, 28, 28, 1)."""
    X, y = pneumoniamnist_small[0], pneumoniamnist_small[1]
    idx = np.sort(np.r_[np.flatnonzero(y == 0)[:30], np.flatnonzero(y == 1)[:30]])
    return np.ascontiguousarray(X[idx]), y[idx]


def _cv():
    return StratifiedKFold(n_splits=2, shuffle=True, random_state=0)


def _cnn():
    from xraynet import CNNClassifier

    return CNNClassifier(epochs=1, batch_size=16, validation_fraction=0.0, random_state=0)


def _hog_svm():
    from xraynet import make_hog_svm

    return make_hog_svm(calibration_cv=2, random_state=0)


def _copies_of(client, X):
    """Per worker: how many arrays shaped like X its memory holds."""

    def count(dask_worker, shape=X.shape):
        return sum(
            isinstance(v, np.ndarray) and v.shape == shape for v in list(dask_worker.data.values())
        )

    return client.run(count)


def test_workers_are_configured_before_tensorflow_starts(client):
    settings = client.run(lambda dask_worker: dask_worker.plugins[PLUGIN].settings_)
    assert len(settings) == 2
    for s in settings.values():
        # set through the environment: TensorFlow was not even imported yet
        assert s["applied"] == "environment" and s["skipped"] == []
        assert s["n_threads"] == _tf_threads_in_this_process()
    assert sorted(s["worker_index"] for s in settings.values()) == [0, 1]
    env = client.run(lambda: os.environ.get("TF_NUM_INTRAOP_THREADS"))
    assert set(env.values()) == {str(_tf_threads_in_this_process())}


_GRIDS = {
    "cnn": (_cnn, {"learning_rate": [1e-3, 3e-3]}),
    "hog_svm": (_hog_svm, {"svm__estimator__C": [1.0, 10.0]}),
}
_SEARCH = dict(cv=_cv(), scoring=["roc_auc", "neg_log_loss"], refit="roc_auc")


@pytest.fixture(scope="module")
def in_process(small):
    """The single-machine reference: GridSearchCV(n_jobs=1) per model, refit."""
    X, y = small
    return {
        name: GridSearchCV(make(), grid, n_jobs=1, **_SEARCH).fit(X, y)
        for name, (make, grid) in _GRIDS.items()
    }


@pytest.mark.parametrize("name", list(_GRIDS))
def test_grid_search_on_dask_equals_in_process(client, small, in_process, name):
    X, y = small
    make, grid = _GRIDS[name]
    with joblib.parallel_backend("dask", scatter=[X, y]):
        remote = GridSearchCV(make(), grid, n_jobs=-1, **dict(_SEARCH, refit=False)).fit(X, y)
        copies = _copies_of(client, X)
    # the images travel once per worker (scattered), never once per candidate
    assert all(n <= 1 for n in copies.values()), copies
    local = in_process[name].cv_results_
    for key in ("mean_test_roc_auc", "split0_test_roc_auc", "rank_test_roc_auc"):
        np.testing.assert_array_equal(remote.cv_results_[key], local[key], err_msg=key)
    # the traced float32 inference step may round the last bit differently in another
    # process (seen: 7e-7 relative); rankings and AUCs stay identical
    for key in ("mean_test_neg_log_loss", "split1_test_neg_log_loss"):
        np.testing.assert_allclose(remote.cv_results_[key], local[key], rtol=1e-5, err_msg=key)
    assert np.isfinite(remote.cv_results_["mean_test_roc_auc"]).all()
    if name == "cnn":  # the plugin cleared the Keras session between candidates
        cleared = client.run(
            lambda dask_worker: getattr(dask_worker.plugins[PLUGIN], "n_cleared_", 0)
        )
        assert sum(cleared.values()) >= 2, cleared


def test_fitted_keras_estimator_round_trips_through_a_worker(client, small, in_process):
    X, _ = small
    est = in_process["cnn"].best_estimator_  # a fitted CNNClassifier
    expected = est.predict_proba(X[:8])
    proba_there = client.submit(lambda e, X: e.predict_proba(X), est, X[:8], pure=False)
    np.testing.assert_array_equal(proba_there.result(), expected)
    back = client.submit(lambda e: e, est, pure=False).result()  # there and back
    np.testing.assert_array_equal(back.predict_proba(X[:8]), expected)


def test_compare_models_under_dask_backend_equals_in_process(client, small, in_process):
    from xraynet import compare_models

    X, y = small
    with joblib.parallel_backend("dask", scatter=[X, y]):
        board = compare_models(
            X,
            y,
            models={"hog_svm": _hog_svm(), "cnn": _cnn()},
            cv=2,
            n_jobs=-1,
            refit=False,
            verbose=0,
            random_state=0,
        )
    assert (board["error"] == "").all()
    # compare_models(cv=2, random_state=0) uses the folds of _cv(); the default
    # parameters are candidate 0 of each in-process grid search
    for name, search in in_process.items():
        res = search.cv_results_
        folds = [res[f"split{i}_test_roc_auc"][0] for i in range(2)]
        assert board.loc[name, "roc_auc_mean"] == np.mean(folds), name
        assert board.loc[name, "roc_auc_sd"] == np.std(folds), name


class SlowClassifier(ClassifierMixin, BaseEstimator):
    """Majority-class classifier whose fit announces itself and takes a while."""

    def __init__(self, signal_dir=None, delay=3.0, alpha=0):
        self.signal_dir = signal_dir
        self.delay = delay
        self.alpha = alpha

    def fit(self, X, y):
        Path(self.signal_dir, f"{os.getpid()}-{uuid.uuid4().hex}").write_text("")
        time.sleep(self.delay)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.prior_ = counts / counts.sum()
        return self

    def predict_proba(self, X):
        return np.tile(self.prior_, (len(X), 1))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def test_search_survives_a_killed_worker(client, small, tmp_path):
    X, y = small
    signal_dir = tmp_path / "fits"
    signal_dir.mkdir()
    search = GridSearchCV(
        SlowClassifier(signal_dir=str(signal_dir)),
        {"alpha": [0, 1]},
        cv=_cv(),
        scoring="accuracy",
        n_jobs=-1,
    )
    outcome = {}

    def run():
        try:
            with joblib.parallel_backend("dask", scatter=[X, y]):
                outcome["search"] = search.fit(X, y)
        except BaseException as exc:  # pragma: no cover - reported below
            outcome["error"] = exc

    worker_pids = set(client.run(os.getpid).values())
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    started = []
    while not started and time.monotonic() < deadline:
        started = [p for p in signal_dir.iterdir() if int(p.name.split("-")[0]) in worker_pids]
        time.sleep(0.05)
    assert started, "no fit started on a worker within 60 s"
    victim = int(started[0].name.split("-")[0])
    os.kill(victim, signal.SIGKILL)  # mid-fit: that task must be retried elsewhere
    thread.join(timeout=120)
    assert not thread.is_alive(), "the search hung after a worker was killed"
    assert "error" not in outcome, outcome.get("error")
    scores = outcome["search"].cv_results_["mean_test_score"]
    assert scores.shape == (2,) and np.isfinite(scores).all()
    fits = [p.name.split("-")[0] for p in signal_dir.iterdir()]
    assert len(fits) > 4, fits  # 4 fits + at least the one interrupted by the kill
    assert str(victim) in fits
    # the nanny restarted the worker and the plugin configured the new process
    # (its setup may still be running just after the worker registers)
    deadline = time.monotonic() + 60
    while True:
        client.wait_for_workers(2, timeout=60)
        settings = client.run(
            lambda dask_worker: getattr(dask_worker.plugins.get(PLUGIN), "settings_", None)
        )
        if (len(settings) == 2 and None not in settings.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(settings) == 2 and None not in settings.values(), settings
    assert victim not in set(client.run(os.getpid).values())
