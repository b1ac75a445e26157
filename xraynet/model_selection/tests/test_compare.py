"""ModelComparison / compare_models / select_model on real PneumoniaMNIST and Kermany images.

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
from xraynet.model_selection import (
    ModelComparison,
    ProbabilityEnsemble,
    available_models,
    compare_models,
    select_model,
)

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
    comp = ModelComparison(models, cv=3, stress=False, verbose=0).fit(X, y)
    board = comp.leaderboard_
    assert type(board) is pd.DataFrame  # a plain frame: nothing fitted rides in attrs
    assert list(board.index) == ["logreg", "dummy", "boom"]  # sorted, failure last
    assert board.index.name == "model"
    expected = [f"{m}_{s}" for m in METRICS for s in ("mean", "sd")]
    assert list(board.columns) == ["rank"] + expected + ["fit_time", "score_time", "error"]
    assert board["rank"].tolist() == [1, 2, 3]
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
    # the winner: the comparison itself predicts with it
    assert comp.rank_by_ == "roc_auc" and comp.best_name_ == "logreg"
    assert isinstance(comp.best_estimator_, ProbabilityEnsemble)
    assert comp.best_estimator_.estimators_ == comp.fold_estimators_["logreg"]
    assert comp.predict_proba(X[:5]).shape == (5, 2)
    np.testing.assert_array_equal(
        comp.predict_proba(X[:5]), comp.best_estimator_.predict_proba(X[:5])
    )
    # per-fold results and out-of-fold predictions of every candidate
    assert len(comp.cv_results_) == 9 and set(comp.cv_results_["model"]) == set(models)
    assert comp.oof_proba_["logreg"].shape == (len(y), 2)
    assert "boom" not in comp.oof_proba_
    # the leaderboard shortcut names the winner but holds no fitted model
    short = compare_models(X, y, models=models, cv=3, stress=False, verbose=0)
    assert short.attrs == {"rank_by": "roc_auc", "best_model_name_": "logreg"}
    pd.testing.assert_frame_equal(
        short.drop(columns=["fit_time", "score_time"]),
        board.drop(columns=["fit_time", "score_time"]),
    )


def test_threshold_chosen_on_out_of_fold_predictions(small):
    X, y = small
    comp = ModelComparison({"logreg": logreg()}, cv=3, stress=False, verbose=0).fit(X, y)
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, comp.oof_proba_["logreg"][:, 1])
    oof_pred = comp.oof_proba_["logreg"][:, 1] >= comp.threshold_
    youden = np.mean(oof_pred[y == 1]) + np.mean(~oof_pred[y == 0]) - 1
    assert youden == pytest.approx(np.max(tpr - fpr))  # the best operating point
    assert "out-of-fold" in comp.threshold_rule_ and "shifted" not in comp.threshold_rule_
    # predict uses the stored threshold, not 0.5
    p = comp.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(comp.predict(X), (p >= comp.threshold_).astype(int))
    fixed = ModelComparison(
        {"logreg": logreg()}, cv=3, stress=False, threshold=0.3, ensemble=None, verbose=0
    ).fit(X, y)
    assert fixed.threshold_ == 0.3 and fixed.best_estimator_.threshold_ == 0.3
    assert len(fixed.best_estimator_.estimators_) == 1  # refit on all the data
    with pytest.raises(ValueError, match="'threshold' parameter of ModelComparison must be"):
        ModelComparison({"logreg": logreg()}, threshold=1.5).fit(X, y)


def test_stress_columns_and_robust_ranking(small):
    X, y = small
    comp = ModelComparison(
        {"logreg": logreg(), "dummy": DummyClassifier()},
        cv=2,
        stress_shifts=["darker", "blur"],
        stress_severities=(1, 2),
        verbose=0,
    ).fit(X, y)
    board = comp.leaderboard_
    assert comp.rank_by_ == "shifted_balanced_accuracy"
    for col in ("shifted_roc_auc", "shifted_balanced_accuracy", "worst_specificity"):
        assert f"{col}_mean" in board.columns and f"{col}_sd" in board.columns
    st = comp.stress_results_
    # per candidate and fold: the clean row plus 2 shifts x 2 severities
    assert len(st) == 2 * 2 * 5
    assert set(st["shift"]) == {"none", "darker", "blur"}
    lr = st[(st["model"] == "logreg") & (st["severity"] > 0)]
    expected = lr.groupby("fold")["balanced_accuracy"].mean().mean()
    assert board.loc["logreg", "shifted_balanced_accuracy_mean"] == pytest.approx(expected)
    # the clean stress row is the fold's own clean score
    clean = st[(st["model"] == "logreg") & (st["severity"] == 0)]["roc_auc"].to_numpy()
    folds = comp.cv_results_[comp.cv_results_["model"] == "logreg"]["roc_auc"].to_numpy()
    np.testing.assert_allclose(clean, folds)
    assert comp.best_name_ == "logreg"
    robust = ModelComparison(
        {"logreg": logreg()},
        cv=2,
        stress_shifts=["darker"],
        stress_severities=(1,),
        threshold="robust",
        verbose=0,
    ).fit(X, y)
    assert "shifted" in robust.threshold_rule_ and 0 < robust.threshold_ < 1
    # the default threshold rule is the robust one when the folds are stress-tested ...
    assert "shifted" in comp.threshold_rule_
    by_default = ModelComparison(
        {"logreg": logreg()}, cv=2, stress_shifts=["darker"], stress_severities=(1,), verbose=0
    ).fit(X, y)
    assert by_default.threshold_ == robust.threshold_
    assert by_default.threshold_rule_ == robust.threshold_rule_
    # ... and plain Youden without a stress test (the first test of this file)
    with pytest.raises(ValueError, match="rank_by 'nope'.*shifted_roc_auc"):
        ModelComparison(
            {"logreg": logreg()},
            cv=2,
            stress_shifts=["darker"],
            stress_severities=(1,),
            rank_by="nope",
            verbose=0,
        ).fit(X, y)


def test_partial_fold_failure_is_reported(small):
    X, y = small
    FailsOnSecondFold.calls.clear()
    board = compare_models(
        X, y, models={"flaky": FailsOnSecondFold()}, cv=3, verbose=0, stress=False
    )
    assert board.loc["flaky", "error"].startswith("1/3 folds failed")
    assert "fold-specific failure" in board.loc["flaky", "error"]
    assert np.isfinite(board.loc["flaky", "roc_auc_mean"])  # mean over the 2 good folds
    assert board.attrs["best_model_name_"] is None  # no complete out-of-fold predictions


def test_error_score_raise_propagates(small):
    X, y = small
    with pytest.raises(RuntimeError, match="boom"):
        compare_models(
            X, y, models={"boom": Boom()}, cv=2, error_score="raise", verbose=0, stress=False
        )


def test_all_models_failing_warns_and_has_no_winner(small):
    X, y = small
    with pytest.warns(UserWarning, match="every model failed"):
        comp = ModelComparison({"boom": Boom()}, cv=2, verbose=0, stress=False).fit(X, y)
    assert comp.best_estimator_ is None and comp.best_name_ is None
    with pytest.raises(AttributeError, match="no best_estimator_"):
        comp.predict(X[:2])
    with pytest.raises(RuntimeError, match="every model failed"), pytest.warns(UserWarning):
        select_model(X, y, models={"boom": Boom()}, cv=2, verbose=0, stress=False)


def test_scoring_rank_by_and_progress(small, capsys):
    X, y = small
    board = compare_models(
        X,
        y,
        models={"logreg": logreg(), "dummy": DummyClassifier()},
        cv=2,
        scoring=["f1"],
        rank_by="specificity",
        stress=False,
        verbose=1,
    )
    assert "f1_mean" in board.columns and "f1_sd" in board.columns
    assert board.attrs["rank_by"] == "specificity"
    assert board["specificity_mean"].is_monotonic_decreasing
    # the standard metrics are always reported
    assert "roc_auc_mean" in board.columns and "balanced_accuracy_sd" in board.columns
    err = capsys.readouterr().err
    assert "logreg: roc_auc=" in err and "dummy: roc_auc=" in err


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

    compare_models(X, y, models={"spy": Spy()}, cv=4, groups=groups, verbose=0, stress=False)
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
    board = compare_models(
        X,
        y,
        models={"a": logreg(), "b": logreg()},
        cv=GroupKFold(5),
        groups=groups,
        verbose=0,
        stress=False,
    )
    # identical models on identical folds -> identical scores
    np.testing.assert_allclose(
        board["roc_auc_mean"].to_numpy()[0], board["roc_auc_mean"].to_numpy()[1]
    )


def test_multiclass_uses_macro_metrics(small):
    X, y = small
    y3 = y.copy()
    y3[(y == 1) & (np.arange(len(y)) % 2 == 0)] = 2  # split the disease class in two
    board = compare_models(
        X,
        y3,
        models={"logreg": logreg(), "dummy": DummyClassifier()},
        cv=3,
        verbose=0,
        stress=False,
    )
    assert board.index[0] == "logreg"
    assert board.loc["dummy", "roc_auc_mean"] == pytest.approx(0.5)
    # the dummy predicts the majority class (normal): all normals right, no disease found
    assert board.loc["dummy", "specificity_mean"] == pytest.approx(1.0)
    assert board.loc["dummy", "sensitivity_mean"] == pytest.approx(0.0)
    assert np.isfinite(board.loc["logreg", list(board.columns[:-3])].astype(float)).all()
    # a multiclass comparison predicts the most probable class, and stress-tests too
    comp = ModelComparison(
        {"logreg": logreg()}, cv=2, stress_shifts=["noise"], stress_severities=(1,), verbose=0
    ).fit(X, y3)
    assert set(comp.predict(X[:20])) <= {0, 1, 2}
    assert "more than two classes" in comp.threshold_rule_


def test_bad_arguments(small):
    X, y = small
    with pytest.raises(ValueError, match="unknown model name.*'nope'.*seed_cnn"):
        compare_models(X, y, models=["hog_svm", "nope"], verbose=0)
    assert "seed_cnn" in available_models()
    with pytest.raises(ValueError, match="at least 2 classes"):
        compare_models(X, np.zeros(len(y)), models={"d": DummyClassifier()}, verbose=0)
    with pytest.raises(ValueError, match="different lengths"):
        compare_models(X, y[:-1], models={"d": DummyClassifier()}, verbose=0)
    with pytest.raises(
        ValueError,
        match=r"'cv' parameter of ModelComparison must be an int in the range \[2, inf\)",
    ):
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
    best = select_model(
        paths, y, models=models, cv=3, loader=ImageLoader(size=16), verbose=0, stress=False
    )
    assert decoded == [len(paths)]  # one decode of every file, none per candidate / fold
    # the refit winner takes file paths, like the input
    assert isinstance(best, Pipeline) and isinstance(best.steps[0][1], ImageLoader)
    proba = best.predict_proba(paths[:3])
    assert proba.shape == (3, 2)
    assert decoded == [len(paths), 3]


def test_models_by_zoo_name(small):
    X, y = small
    board = compare_models(
        X,
        y,
        models="hog_svm, random_forest",
        cv=2,
        verbose=0,
        stress_shifts=["darker"],
        stress_severities=(1,),
    )
    assert sorted(board.index) == ["hog_svm", "random_forest"]
    assert (board["roc_auc_mean"] > 0.8).all()  # both are real models on real X-rays
    assert (board["error"] == "").all()
    assert board.attrs["best_model_name_"] == board.index[0]


class CountsFits(ClassifierMixin, BaseEstimator):
    """A model that counts its fits (none must happen before a parameter error)."""

    fits = []

    def fit(self, X, y):
        CountsFits.fits.append(1)
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"rank_by": "nope"}, "rank_by 'nope' is not a leaderboard metric.*worst_specificity"),
        ({"rank_by": "f1", "stress": False}, "rank_by 'f1'.*choose from accuracy"),
        ({"stress_shifts": ["darker", "nope"]}, "unknown shift 'nope'.*stress_shifts"),
        ({"stress_severities": (1, 9)}, "severity must be an int from 0 to 5.*stress_severities"),
        ({"stress_severities": (0,)}, "stress_severities must be positive ints"),
        ({"threshold": "robust", "stress": False}, "threshold='robust' needs stress=True"),
        ({"scoring": []}, "scoring as a list must hold one or more metric names"),
        ({"scoring": ["f1", 3]}, "scoring as a list"),
        ({"scoring": {}}, "scoring must not be an empty dict"),
        ({"ensemble": "mean"}, "'ensemble' parameter of ModelComparison must be"),
        ({"random_state": None}, "'random_state' parameter of ModelComparison must be an int"),
        ({"n_jobs": True}, "'n_jobs' parameter of ModelComparison must be"),
        ({"error_score": "ignore"}, "'error_score' parameter of ModelComparison must be"),
    ],
)
def test_bad_parameters_fail_before_any_training(params, match):
    X = np.zeros((8, 8, 8, 1), np.uint8)  # synthetic: no model is ever fitted
    y = np.tile([0, 1], 4)
    CountsFits.fits.clear()
    with pytest.raises(ValueError, match=match):
        ModelComparison({"m": CountsFits()}, cv=2, verbose=0, **params).fit(X, y)
    assert CountsFits.fits == []


def _synthetic(n=24, size=8):
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], n // 2)
    X = (rng.integers(0, 100, (n, size, size, 1)) + 120 * y[:, None, None, None]).astype(np.uint8)
    return X, y


def test_verbose_0_is_silent_and_1_shows_a_bar_per_fit(capfd):
    X, y = _synthetic()
    models = {"logreg": logreg(), "dummy": DummyClassifier()}
    ModelComparison(models, cv=4, stress=False, verbose=0).fit(X, y)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    ModelComparison(models, cv=4, stress=False, verbose=1).fit(X, y)
    out, err = capfd.readouterr()
    assert out == ""
    assert "ModelComparison" in err and "8/8" in err  # one bar over 2 models x 4 folds
    assert "logreg: roc_auc=" in err and "dummy: roc_auc=" in err  # one line per model
    assert "winner logreg" in err
    # stderr is not a terminal here: the bar is not redrawn after every one of
    # the 8 fits, only when it starts, around each model's line and at the end
    assert err.count("ModelComparison:") <= 2 + 2 * len(models)
