"""The single-GridSearchCV pattern, and its agreement with compare_models.

One ``GridSearchCV`` over ``Pipeline([ImageLoader, model])`` whose grid swaps
whole models (``{"model": [...]}``) and tunes the loader (``load__size``) is
the scikit-learn way of comparing models on image files. With
``Pipeline(memory=...)`` the decoded training images are cached, so a
training fold is decoded once per distinct loader setting, not once per
candidate.
"""

import numpy as np
import pytest
from joblib import Memory
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from xraynet.classical import make_hog_svm
from xraynet.io import ImageLoader
from xraynet.model_selection import compare_models
from xraynet.models import CNNClassifier

N_PER_CLASS = 20
CV = StratifiedKFold(n_splits=2, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def kermany_paths(kermany_dir):
    rng = np.random.RandomState(0)
    files = []
    for cls in ("NORMAL", "PNEUMONIA"):
        names = sorted((kermany_dir / cls).glob("*.jpeg"))
        files += [str(names[i]) for i in rng.choice(len(names), N_PER_CLASS, replace=False)]
    return np.asarray(files), np.repeat([0, 1], N_PER_CLASS)


@pytest.fixture(scope="module")
def search(kermany_paths, tmp_path_factory):
    """Fit the grid once (module scope); return (search, decode log)."""
    X, y = kermany_paths
    decoded = []  # ("fit" | "transform", files, size) per ImageLoader call
    original_fit, original_transform = ImageLoader.fit, ImageLoader.transform

    def spy_fit(self, X, y=None):
        decoded.append(("fit", frozenset(map(str, X)), self.size))
        return original_fit(self, X, y)

    def spy_transform(self, X):
        decoded.append(("transform", frozenset(map(str, X)), self.size))
        return original_transform(self, X)

    mp = pytest.MonkeyPatch()
    mp.setattr(ImageLoader, "fit", spy_fit)
    mp.setattr(ImageLoader, "transform", spy_transform)
    try:
        cache = Memory(tmp_path_factory.mktemp("loader-cache"), verbose=0)
        pipe = Pipeline([("load", ImageLoader(size=28)), ("model", CNNClassifier())], memory=cache)
        grid = [
            {
                "model": [CNNClassifier(epochs=1, batch_size=8, random_state=0)],
                "model__learning_rate": [1e-3, 1e-4],
            },
            {"model": [make_hog_svm(random_state=0)], "load__size": [28, 32]},
            {"model": [DummyClassifier()]},
        ]
        gs = GridSearchCV(pipe, grid, scoring="roc_auc", cv=CV, error_score="raise")
        gs.fit(X, y)
    finally:
        mp.undo()
    return gs, decoded


def _label(params):
    model = params["model"]
    name = type(model).__name__ if not isinstance(model, Pipeline) else "hog_svm"
    extra = {k: v for k, v in params.items() if k != "model"}
    return name, tuple(sorted(extra.items()))


def test_gridsearch_over_models_with_cached_loader(search, kermany_paths):
    gs, decoded = search
    X, y = kermany_paths
    n_candidates, n_splits = len(gs.cv_results_["params"]), CV.get_n_splits()
    assert n_candidates == 5
    assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))
    # the best candidate is a fitted path -> probability pipeline
    proba = gs.best_estimator_.predict_proba(X[:4])
    assert proba.shape == (4, 2) and np.allclose(proba.sum(axis=1), 1)
    # hog_svm is clearly better than chance on real X-rays; the dummy is chance
    scores = {
        _label(p): s for p, s in zip(gs.cv_results_["params"], gs.cv_results_["mean_test_score"])
    }
    assert scores[("hog_svm", (("load__size", 28),))] > 0.75
    assert scores[("DummyClassifier", ())] == pytest.approx(0.5)
    # caching: each training fold is loaded (fit_transform) once per distinct
    # load__size (28, 32), not once per candidate (5); plus the refit
    folds = {frozenset(X[tr]) for tr, _ in CV.split(X, y)}
    fits = [(files, size) for kind, files, size in decoded if kind == "fit"]
    cv_fits = [f for f in fits if f[0] in folds]
    assert len(cv_fits) == 2 * n_splits < n_candidates * n_splits
    assert sorted({size for _, size in cv_fits}) == [28, 32]
    assert fits.count((frozenset(X), gs.best_params_.get("load__size", 28))) == 1  # refit
    # the test folds are decoded at every prediction (Pipeline caches fits only)
    n_transform = sum(kind == "transform" for kind, _, _ in decoded)
    assert n_transform == len(fits) + n_candidates * n_splits


def test_compare_models_agrees_with_gridsearch(search, kermany_paths):
    gs, _ = search
    X, y = kermany_paths
    board = compare_models(
        X,
        y,
        models={"hog_svm": make_hog_svm(random_state=0), "dummy": DummyClassifier()},
        cv=CV,
        loader=ImageLoader(size=28),
        verbose=0,
        refit=False,
    )
    scores = {
        _label(p): s for p, s in zip(gs.cv_results_["params"], gs.cv_results_["mean_test_score"])
    }
    grid = {
        "hog_svm": scores[("hog_svm", (("load__size", 28),))],
        "dummy": scores[("DummyClassifier", ())],
    }
    # same folds, same models -> the same scores and the same ranking
    assert list(board.index) == sorted(grid, key=grid.get, reverse=True) == ["hog_svm", "dummy"]
    for name in grid:
        assert board.loc[name, "roc_auc_mean"] == pytest.approx(grid[name], abs=1e-12)
