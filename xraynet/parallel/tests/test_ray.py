"""The documented Ray recipe (runs only where ``ray`` is installed; not an xraynet extra)."""

import os

import numpy as np
import pytest

ray = pytest.importorskip("ray")
joblib = pytest.importorskip("joblib")

from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402


def _tf_threads_in_this_process():
    import tensorflow as tf

    return (
        tf.config.threading.get_intra_op_parallelism_threads()
        or int(os.environ.get("TF_NUM_INTRAOP_THREADS", 0))
        or len(getattr(os, "sched_getaffinity", lambda _: range(os.cpu_count() or 1))(0))
    )


@pytest.fixture(scope="module")
def ray_backend():
    from ray.util.joblib import register_ray

    n = str(_tf_threads_in_this_process())
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={
            "env_vars": {
                "TF_NUM_INTRAOP_THREADS": n,
                "TF_NUM_INTEROP_THREADS": "2",
                "TF_FORCE_GPU_ALLOW_GROWTH": "true",
                "TF_CPP_MIN_LOG_LEVEL": "3",
            }
        },
    )
    try:
        register_ray()
        yield
    finally:
        ray.shutdown()


def test_grid_search_on_ray_equals_in_process(ray_backend, pneumoniamnist_small):
    from xraynet import CNNClassifier

    X, y = pneumoniamnist_small[0], pneumoniamnist_small[1]
    idx = np.sort(np.r_[np.flatnonzero(y == 0)[:30], np.flatnonzero(y == 1)[:30]])
    X, y = np.ascontiguousarray(X[idx]), y[idx]
    est = CNNClassifier(epochs=1, batch_size=16, validation_fraction=0.0, random_state=0)
    kwargs = dict(
        param_grid={"learning_rate": [1e-3, 3e-3]},
        scoring="roc_auc",
        refit=False,
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
    )
    local = GridSearchCV(est, n_jobs=1, **kwargs).fit(X, y)
    with joblib.parallel_backend("ray"):
        remote = GridSearchCV(est, n_jobs=-1, **kwargs).fit(X, y)
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    assert np.isfinite(remote.cv_results_["mean_test_score"]).all()
