"""compare_models / select_model on real PneumoniaMNIST and Kermany images.

The models here are fast scikit-learn stand-ins (logistic regression on
flattened pixels, a dummy, a model that always fails); the zoo itself is
exercised in test_zoo.py and test_gridsearch.py.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from xraynet.io import ImageLoader
from xraynet.model_selection import available_models, compare_models, select_model

METRICS = ["roc_auc", "accuracy", "sensitivity", "specificity", "balanced_accuracy"]


def _flatten(X):
    return np.asarray(X, dtype=np.float32).reshape(len(X), -1) / 255.0


def logreg():
    return make_pipeline(FunctionTransformer(_flatten), LogisticRegression(C=0.1, max_iter=500))


class Boom(ClassifierMixin, BaseEstimator):
    """A model whose fit always fails."""

    def fit(self, X, y):
        raise RuntimeError("boom: this model is broken")


class FailsOnSecondFold(ClassifierMixin, BaseEstimator):
    """Fails only when the first training image is a given one (one fold)."""

    calls = []

    def fit(self, X, y):
        FailsOnSecondFold.calls.append(1)
        if len(FailsOnSecondFold.calls) == 2:
            raise ValueError("fold-specific failure")
        self.classes_ = np.unique(y)
        self.p_ = np.mean(y == self.classes_[1])
        return self

    def predict_proba(self, X):
        return np.tile([1 - self.p_, self.p_], (len(X), 1))

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


@pytest.fixture(scope="module")
def small(pneumoniamnist_small):
    Xtr, ytr, _, _ = pneumoniamnist_small
    return Xtr, ytr


def test_leaderboard_columns_sort_and_failing_model(small):
    X, y = small
    models = {"dummy": DummyClassifier(), "boom": Boom(), "logreg": logreg()}
    board = compare_models(X, y, models=models, cv=3, verbose=0)
    assert isinstance(board, pd.DataFrame)
    assert list(board.index) == ["logreg", "dummy", "boom"]  # sorted, failure last
    assert board.index.name == "model"
    expected = [f"{m}_{s}" for m in METRICS for s in ("mean", "sd")]
    assert list(board.columns) == expected + ["fit_time", "score_time", "error"]
    # the real model is good on real X-rays, the dummy is chance
    assert board.loc["logreg", "roc_auc_mean"] > 0.85
    assert board.loc["dummy", "roc_auc_mean"] == pytest.approx(0.5)
    assert board.loc["dummy", "sensitivity_mean"] + board.loc["dummy", "specificity_mean"] == (
        pytest.approx(1.0)
    )
    # the failure is reported, not fatal
    assert board.loc["boom", "error"].endswith("RuntimeError: boom: this model is broken")
    assert "3/3 folds failed" in board.loc["boom", "error"]
    assert board.loc["boom", expected].isna().all()
    assert board.loc["logreg", "error"] == "" and board.loc["dummy", "error"] == ""
    # refit winner
    assert board.attrs["primary_metric"] == "roc_auc"
    assert board.attrs["best_model_name_"] == "logreg"
    best = board.attrs["best_model_"]
    assert best.predict_proba(X[:5]).shape == (5, 2)
    # derived frames share the fitted model instead of deep-copying it
    assert board["roc_auc_mean"].attrs["best_model_"] is best
    assert board.round(3).attrs["best_model_"] is best
    assert board.loc["logreg"].attrs["best_model_"] is best


def test_partial_fold_failure_is_reported(small):
    X, y = small
    FailsOnSecondFold.calls.clear()
    board = compare_models(X, y, models={"flaky": FailsOnSecondFold()}, cv=3, verbose=0,
                           refit=False)
    assert board.loc["flaky", "error"].startswith("1/3 folds failed")
    assert "fold-specific failure" in board.loc["flaky", "error"]
    assert np.isfinite(board.loc["flaky", "roc_auc_mean"])  # mean over the 2 good folds
    assert "best_model_" not in board.attrs


def test_error_score_raise_propagates(small):
    X, y = small
    with pytest.raises(RuntimeError, match="boom"):
        compare_models(X, y, models={"boom": Boom()}, cv=2, error_score="raise", verbose=0)


def test_all_models_failing_warns_and_has_no_winner(small):
    X, y = small
    with pytest.warns(UserWarning, match="every model failed"):
        board = compare_models(X, y, models={"boom": Boom()}, cv=2, verbose=0)
    assert board.attrs["best_model_"] is None
    with pytest.raises(RuntimeError, match="every model failed"), pytest.warns(UserWarning):
        select_model(X, y, models={"boom": Boom()}, cv=2, verbose=0)


def test_scoring_primary_metric_and_progress(small, capsys):
    X, y = small
    board = compare_models(X, y, models={"logreg": logreg(), "dummy": DummyClassifier()},
                           cv=2, scoring=["specificity", "f1"], verbose=1)
    assert list(board.columns[:4]) == ["specificity_mean", "specificity_sd", "f1_mean", "f1_sd"]
    assert board.attrs["primary_metric"] == "specificity"
    # the remaining standard metrics are still reported
    assert "roc_auc_mean" in board.columns and "balanced_accuracy_sd" in board.columns
    err = capsys.readouterr().err
    assert "logreg: specificity=" in err and "dummy: specificity=" in err
    assert "refit" in err


def test_grouped_cv_keeps_patients_in_one_fold(small):
    X, y = small
    X = X.copy()
    groups = np.arange(len(y)) // 4  # 4 images per "patient"
    X[:, 0, 0, 0] = groups  # the spy reads the patient id from a pixel
    seen = []

    class Spy(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            seen.append(("train", set(X[:, 0, 0, 0].tolist())))
            self.classes_ = np.unique(y)
            return self

        def predict_proba(self, X):
            seen.append(("test", set(X[:, 0, 0, 0].tolist())))
            return np.full((len(X), 2), 0.5)

        def predict(self, X):
            return np.zeros(len(X), int)

    compare_models(X, y, models={"spy": Spy()}, cv=4, groups=groups, verbose=0, refit=False)
    train_sets = [s for kind, s in seen if kind == "train"]
    test_sets = [s for kind, s in seen if kind == "test"]
    assert len(train_sets) == 4 and test_sets
    # every scoring call belongs to the fold fitted just before it
    i = -1
    for kind, s in seen:
        if kind == "train":
            i += 1
        else:
            assert not s & train_sets[i]
    # and each patient is tested in exactly one fold
    all_test = [g for kind, s in seen if kind == "test" for g in s]
    assert set(all_test) == set(groups.tolist())


def test_splitter_and_same_folds_for_every_model(small):
    X, y = small
    groups = np.arange(len(y)) % 5
    board = compare_models(X, y, models={"a": logreg(), "b": logreg()}, cv=GroupKFold(5),
                           groups=groups, verbose=0, refit=False)
    # identical models on identical folds -> identical scores
    np.testing.assert_allclose(board["roc_auc_mean"].to_numpy()[0],
                               board["roc_auc_mean"].to_numpy()[1])


def test_multiclass_uses_macro_metrics(small):
    X, y = small
    y3 = y.copy()
    y3[(y == 1) & (np.arange(len(y)) % 2 == 0)] = 2  # split the disease class in two
    board = compare_models(X, y3, models={"logreg": logreg(), "dummy": DummyClassifier()},
                           cv=3, verbose=0)
    assert board.index[0] == "logreg"
    assert board.loc["dummy", "roc_auc_mean"] == pytest.approx(0.5)
    # the dummy predicts the majority class (normal): all normals right, no disease found
    assert board.loc["dummy", "specificity_mean"] == pytest.approx(1.0)
    assert board.loc["dummy", "sensitivity_mean"] == pytest.approx(0.0)
    assert np.isfinite(board.loc["logreg", list(board.columns[:-3])].astype(float)).all()


def test_bad_arguments(small):
    X, y = small
    with pytest.raises(ValueError, match="unknown model name.*'nope'.*seed_cnn"):
        compare_models(X, y, models=["hog_svm", "nope"], verbose=0)
    assert "seed_cnn" in available_models()
    with pytest.raises(ValueError, match="at least 2 classes"):
        compare_models(X, np.zeros(len(y)), models={"d": DummyClassifier()}, verbose=0)
    with pytest.raises(ValueError, match="different lengths"):
        compare_models(X, y[:-1], models={"d": DummyClassifier()}, verbose=0)
    with pytest.raises(ValueError, match="at least 2 folds"):
        compare_models(X, y, models={"d": DummyClassifier()}, cv=1, verbose=0)
    with pytest.raises(ValueError, match="models must not be empty"):
        compare_models(X, y, models={}, verbose=0)
    with pytest.raises(ValueError, match="pixel values"):
        compare_models(X.astype(int) * 300, y, models={"d": DummyClassifier()}, verbose=0)


@pytest.fixture(scope="module")
def kermany_paths(kermany_dir):
    normal = sorted((kermany_dir / "NORMAL").glob("*.jpeg"))[:12]
    pneu = sorted((kermany_dir / "PNEUMONIA").glob("*.jpeg"))[:12]
    paths = np.asarray([str(p) for p in normal + pneu])
    y = np.repeat([0, 1], 12)
    return paths, y


def test_paths_are_decoded_once(kermany_paths, monkeypatch):
    paths, y = kermany_paths
    decoded = []
    original = ImageLoader.transform

    def spy(self, X):
        decoded.append(len(X))
        return original(self, X)

    monkeypatch.setattr(ImageLoader, "transform", spy)
    models = {"logreg": logreg(), "dummy": DummyClassifier(), "logreg2": logreg()}
    best = select_model(paths, y, models=models, cv=3, loader=ImageLoader(size=16), verbose=0)
    assert decoded == [len(paths)]  # one decode of every file, none per candidate / fold
    # the refit winner takes file paths, like the input
    assert isinstance(best, Pipeline) and isinstance(best.steps[0][1], ImageLoader)
    proba = best.predict_proba(paths[:3])
    assert proba.shape == (3, 2)
    assert decoded == [len(paths), 3]


def test_models_by_zoo_name(small):
    X, y = small
    board = compare_models(X, y, models="hog_svm, random_forest", cv=2, verbose=0)
    assert sorted(board.index) == ["hog_svm", "random_forest"]
    assert (board["roc_auc_mean"] > 0.8).all()  # both are real models on real X-rays
    assert (board["error"] == "").all()
    assert board.attrs["best_model_name_"] == board.index[0]
