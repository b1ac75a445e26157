"""make_hog_svm / make_random_forest on real PneumoniaMNIST images."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC

from xraynet.classical import HOGTransformer, ImageFlattener, make_hog_svm, make_random_forest

HOG4 = {"pixels_per_cell": (4, 4)}  # 28 px images: 7x7 cells


@pytest.mark.parametrize(
    "make",
    [
        lambda: make_hog_svm(hog_params=HOG4),
        lambda: make_hog_svm(),  # default 8 px cells still fit 28 px images
        lambda: make_random_forest(hog_params=HOG4, n_estimators=100, random_state=0),
        lambda: make_random_forest("pixels", n_estimators=100, random_state=0),
    ],
    ids=["hog_svm_4px", "hog_svm_8px", "rf_hog", "rf_pixels"],
)
def test_real_signal_on_pneumoniamnist(pneumoniamnist_small, make):
    Xtr, ytr, Xte, yte = pneumoniamnist_small
    model = make().fit(Xtr, ytr)
    proba = model.predict_proba(Xte)
    assert proba.shape == (len(Xte), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(model.classes_, [0, 1])
    assert set(np.unique(model.predict(Xte))) <= {0, 1}
    assert roc_auc_score(yte, proba[:, 1]) > 0.8


def test_hog_svm_structure_and_param_names():
    model = make_hog_svm(C=3.0, gamma=0.01, hog_params={"orientations": 6}, n_jobs=2)
    assert list(model.named_steps) == ["hog", "scale", "svm"]
    svm = model.named_steps["svm"]
    assert isinstance(svm, CalibratedClassifierCV)
    assert svm.method == "sigmoid" and svm.cv == 3 and svm.ensemble is False
    params = model.get_params()
    assert params["svm__estimator__C"] == 3.0
    assert params["svm__estimator__gamma"] == 0.01
    assert params["svm__estimator__class_weight"] == "balanced"
    # never set: SVC's own default ("deprecated" from scikit-learn 1.9, False before)
    assert params["svm__estimator__probability"] == SVC().get_params()["probability"]
    assert params["svm__estimator__probability"] is not True
    assert params["hog__orientations"] == 6 and params["hog__n_jobs"] == 2
    bare = make_hog_svm(calibration=None)
    assert isinstance(bare.named_steps["svm"], SVC) and "svm__C" in bare.get_params()
    assert make_hog_svm(calibration="isotonic").get_params()["svm__method"] == "isotonic"


def test_random_forest_structure_and_param_names():
    hog = make_random_forest(n_estimators=10, max_depth=3, random_state=1, n_jobs=2)
    assert list(hog.named_steps) == ["hog", "rf"]
    assert isinstance(hog.named_steps["hog"], HOGTransformer)
    params = hog.get_params()
    assert (params["rf__n_estimators"], params["rf__max_depth"]) == (10, 3)
    assert params["rf__class_weight"] == "balanced" and params["rf__random_state"] == 1
    pixels = make_random_forest("pixels")
    assert list(pixels.named_steps) == ["flatten", "rf"]
    assert isinstance(pixels.named_steps["flatten"], ImageFlattener)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_random_forest("edges"), "features must be 'hog' or 'pixels'"),
        (lambda: make_random_forest("pixels", hog_params={"orientations": 4}), "hog_params"),
        (lambda: make_hog_svm(hog_params={"n_jobs": 2}), "unknown key"),
        (lambda: make_hog_svm(calibration="platt"), "calibration must be"),
    ],
)
def test_factory_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_grid_search_roc_auc(pneumoniamnist_small):
    Xtr, ytr, _, _ = pneumoniamnist_small
    search = GridSearchCV(
        make_hog_svm(hog_params=HOG4),
        {"svm__estimator__C": [0.1, 1], "hog__orientations": [9]},
        scoring="roc_auc",
        cv=3,
        error_score="raise",
    ).fit(Xtr, ytr)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (2,) and np.all(np.isfinite(scores)) and scores.max() > 0.8
    assert search.best_estimator_.predict_proba(Xtr[:3]).shape == (3, 2)


def test_grid_search_bare_svm_uses_decision_function(pneumoniamnist_small):
    Xtr, ytr, _, _ = pneumoniamnist_small
    search = GridSearchCV(
        make_hog_svm(calibration=None), {"svm__C": [1.0]}, scoring="roc_auc", cv=3
    ).fit(Xtr, ytr)
    assert np.isfinite(search.best_score_)


def test_clone_and_pickle_fitted_pipelines(pneumoniamnist_small):
    Xtr, ytr, Xte, _ = pneumoniamnist_small
    for model in (make_hog_svm(random_state=0), make_random_forest("pixels", n_estimators=20)):
        model.fit(Xtr, ytr)
        again = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(again.predict_proba(Xte), model.predict_proba(Xte))
        fresh = clone(model)
        assert not hasattr(fresh.steps[-1][1], "classes_")
        assert fresh.get_params().keys() == model.get_params().keys()


def test_pipeline_rejects_other_image_size(pneumoniamnist_small):
    Xtr, ytr, _, _ = pneumoniamnist_small
    model = make_hog_svm().fit(Xtr, ytr)
    with pytest.raises(ValueError, match="fitted on 28x28"):
        model.predict(np.zeros((2, 32, 32, 1), dtype=np.uint8))
