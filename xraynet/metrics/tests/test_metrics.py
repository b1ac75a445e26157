import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer, recall_score, roc_auc_score
from sklearn.model_selection import (
    FixedThresholdClassifier,
    GridSearchCV,
    TunedThresholdClassifierCV,
    cross_validate,
)

from xraynet.metrics import (
    SCORERS,
    classification_summary,
    clinical_scoring,
    get_scorer,
    sensitivity_score,
    sensitivity_scorer,
    specificity_at_sensitivity,
    specificity_score,
    specificity_scorer,
    threshold_for_sensitivity,
)

# Hand-made case: TP=3, FN=1, TN=4, FP=2
Y_TRUE = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
Y_PRED = np.array([1, 1, 1, 0, 0, 0, 0, 0, 1, 1])


def test_binary_against_hand_computed_confusion_matrix():
    assert sensitivity_score(Y_TRUE, Y_PRED) == pytest.approx(3 / 4)
    assert specificity_score(Y_TRUE, Y_PRED) == pytest.approx(4 / 6)


def test_positive_class_is_label_one_whatever_the_order():
    order = np.argsort(-Y_TRUE)[::-1]  # normal cases first now
    assert sensitivity_score(Y_TRUE[order], Y_PRED[order]) == pytest.approx(3 / 4)
    # pos_label swaps the roles of sensitivity and specificity
    assert sensitivity_score(Y_TRUE, Y_PRED, pos_label=0) == pytest.approx(4 / 6)
    assert specificity_score(Y_TRUE, Y_PRED, pos_label=0) == pytest.approx(3 / 4)


def test_string_labels_and_bad_pos_label():
    names = np.array(["normal", "pneumonia"])
    yt, yp = names[Y_TRUE], names[Y_PRED]
    assert sensitivity_score(yt, yp, pos_label="pneumonia") == pytest.approx(0.75)
    # the default pos_label is now "the class that is not normal" ("normal" is recognised),
    # not 1; an explicit numeric pos_label with string labels is still an error
    assert sensitivity_score(yt, yp) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="pos_label=1 cannot be one of the labels"):
        sensitivity_score(yt, yp, pos_label=1)


def test_matches_sklearn_recall():
    rng = np.random.RandomState(0)
    yt, yp = rng.randint(0, 2, 200), rng.randint(0, 2, 200)
    assert sensitivity_score(yt, yp) == pytest.approx(recall_score(yt, yp))
    assert specificity_score(yt, yp) == pytest.approx(recall_score(yt, yp, pos_label=0))


def test_multiclass_one_vs_rest():
    yt = np.array([0, 0, 1, 1, 2, 2, 2])
    yp = np.array([0, 1, 1, 1, 2, 0, 2])
    # class 0: TP1 FN1 FP1 TN4 ; class 1: TP2 FN0 FP1 TN4 ; class 2: TP2 FN1 FP0 TN4
    np.testing.assert_allclose(sensitivity_score(yt, yp, average=None), [1 / 2, 1, 2 / 3])
    np.testing.assert_allclose(specificity_score(yt, yp, average=None), [4 / 5, 4 / 5, 4 / 4])
    assert specificity_score(yt, yp, average="macro") == pytest.approx((0.8 + 0.8 + 1) / 3)
    with pytest.raises(ValueError, match="average='binary' needs a binary target"):
        sensitivity_score(yt, yp)


def test_degenerate_only_normal_cases():
    yt = np.zeros(5, int)
    yp = np.array([0, 0, 1, 0, 0])  # TN=4 FP=1, no positives at all
    assert specificity_score(yt, yp) == pytest.approx(4 / 5)
    with pytest.warns(UndefinedMetricWarning, match="Sensitivity is ill-defined"):
        assert sensitivity_score(yt, yp) == 0.0
    assert np.isnan(sensitivity_score(yt, yp, zero_division=np.nan))
    assert sensitivity_score(yt, yp, zero_division=1.0) == 1.0


def test_degenerate_all_predicted_one_class():
    yt = np.array([1, 1, 0, 0, 0])
    assert sensitivity_score(yt, np.ones(5, int)) == 1.0  # TP2 FN0
    assert specificity_score(yt, np.ones(5, int)) == 0.0  # TN0 FP3
    assert sensitivity_score(yt, np.zeros(5, int)) == 0.0
    assert specificity_score(yt, np.zeros(5, int)) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        specificity_score(yt, np.ones(5, int))  # defined: no warning


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="different lengths"):
        sensitivity_score([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="predict_proba"):
        sensitivity_score([0, 1], [[0.2, 0.8], [0.3, 0.7]])
    with pytest.raises(ValueError, match="zero_division"):
        sensitivity_score([0, 1], [0, 1], zero_division="nan")
    with pytest.raises(ValueError, match="average"):
        sensitivity_score([0, 1], [0, 1], average="micro")


@pytest.fixture(scope="module")
def binary_data():
    return make_classification(n_samples=300, n_features=6, weights=[0.6], random_state=0)


def test_scorers_in_grid_search_and_cross_validate(binary_data):
    X, y = binary_data
    search = GridSearchCV(
        LogisticRegression(), {"C": [0.01, 1.0]}, scoring=clinical_scoring(), refit="roc_auc", cv=3
    )
    search.fit(X, y)
    for name in ("roc_auc", "sensitivity", "specificity", "balanced_accuracy"):
        scores = search.cv_results_[f"mean_test_{name}"]
        assert np.all((scores >= 0) & (scores <= 1))
    res = cross_validate(
        LogisticRegression(),
        X,
        y,
        cv=3,
        scoring={"sens": get_scorer("sensitivity"), "spec": specificity_scorer},
    )
    # same numbers by hand on one split
    est = LogisticRegression().fit(X[:200], y[:200])
    assert sensitivity_scorer(est, X[200:], y[200:]) == pytest.approx(
        sensitivity_score(y[200:], est.predict(X[200:]))
    )
    assert res["test_sens"].shape == (3,)
    assert get_scorer("specificity")(est, X[200:], y[200:]) == pytest.approx(
        specificity_score(y[200:], est.predict(X[200:]))
    )
    assert get_scorer("roc_auc")(est, X, y) == pytest.approx(
        roc_auc_score(y, est.predict_proba(X)[:, 1])
    )
    assert set(SCORERS) >= {"sensitivity", "specificity"}
    with pytest.raises(ValueError, match="sensitivity"):
        get_scorer("sensitivty")


def test_summary_point_values_and_cis():
    rng = np.random.RandomState(0)
    y = np.r_[np.zeros(120, int), np.ones(80, int)]
    score = np.clip(0.35 * y + 0.65 * rng.rand(200), 0, 1)
    s = classification_summary(y, score, n_bootstraps=500, random_state=0)
    pred = score >= 0.5
    tp, fp = np.sum(pred & (y == 1)), np.sum(pred & (y == 0))
    tn, fn = np.sum(~pred & (y == 0)), np.sum(~pred & (y == 1))
    assert (s.loc["TP", "value"], s.loc["FP", "value"]) == (tp, fp)
    assert (s.loc["TN", "value"], s.loc["FN", "value"]) == (tn, fn)
    assert s.loc["sensitivity", "value"] == pytest.approx(tp / (tp + fn))
    assert s.loc["ppv", "value"] == pytest.approx(tp / (tp + fp))
    assert s.loc["npv", "value"] == pytest.approx(tn / (tn + fn))
    assert s.loc["roc_auc", "value"] == pytest.approx(roc_auc_score(y, score))
    metrics = s.index[:8]
    assert np.all(s.loc[metrics, "ci_low"] <= s.loc[metrics, "value"])
    assert np.all(s.loc[metrics, "value"] <= s.loc[metrics, "ci_high"])
    assert np.all(s.loc[metrics, "ci_high"] - s.loc[metrics, "ci_low"] > 0)
    assert s.attrs["n_bootstraps"] == 500
    # deterministic, and accepts predict_proba output
    s2 = classification_summary(
        y,
        np.c_[1 - score, score],
        n_bootstraps=500,
        random_state=0,
        target_names=["NORMAL", "PNEUMONIA"],
    )
    np.testing.assert_allclose(s.to_numpy(), s2.to_numpy())
    assert s2.attrs["positive_class"] == "PNEUMONIA"


def test_summary_degenerate_cases():
    # one class only: AUC undefined, every resample skipped
    s = classification_summary(np.zeros(10, int), np.linspace(0, 1, 10), n_bootstraps=50)
    assert np.isnan(s.loc["roc_auc", "value"]) and np.isnan(s.loc["sensitivity", "value"])
    assert s.loc["specificity", "value"] == pytest.approx(5 / 10)
    assert s.attrs["n_bootstraps"] == 0 and s["ci_low"].isna().all()
    # nothing predicted positive: PPV undefined, not a crash
    s = classification_summary([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], n_bootstraps=0)
    assert np.isnan(s.loc["ppv", "value"]) and s.loc["TP", "value"] == 0
    assert s.loc["npv", "value"] == 0.5
    with pytest.raises(ValueError, match="binary"):
        classification_summary([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="y_score"):
        classification_summary([0, 1, 1], np.ones((3, 3)) / 3)


def test_threshold_for_sensitivity():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    score = np.array([0.1, 0.2, 0.3, 0.7, 0.4, 0.6, 0.8, 0.9])
    t, sens, spec = threshold_for_sensitivity(y, score, target=0.75)
    assert (t, sens, spec) == (0.6, 0.75, 0.75)
    t, sens, spec = threshold_for_sensitivity(y, score, target=1.0)
    assert (t, sens, spec) == (0.4, 1.0, 0.75)
    assert sensitivity_score(y, (score >= t).astype(int)) == 1.0
    with pytest.raises(ValueError, match="both classes"):
        threshold_for_sensitivity(np.ones(3), [0.1, 0.2, 0.3])


def test_threshold_deployment_with_sklearn(binary_data):
    X, y = binary_data
    Xv, yv, Xt = X[:150], y[:150], X[150:]
    clf = LogisticRegression().fit(X[150:], y[150:])
    point = threshold_for_sensitivity(yv, clf.predict_proba(Xv), target=0.95)
    assert point.sensitivity >= 0.95
    deployed = FixedThresholdClassifier(clf, threshold=point.threshold).fit(X[150:], y[150:])
    np.testing.assert_array_equal(
        deployed.predict(Xv), (clf.predict_proba(Xv)[:, 1] >= point.threshold).astype(int)
    )
    assert sensitivity_score(yv, deployed.predict(Xv)) >= 0.95
    # constrained tuning by cross-validation
    scorer = make_scorer(specificity_at_sensitivity, min_sensitivity=0.9)
    tuned = TunedThresholdClassifierCV(LogisticRegression(), scoring=scorer, cv=3).fit(X, y)
    assert tuned.best_score_ > 0
    assert tuned.predict(Xt).shape == (Xt.shape[0],)
