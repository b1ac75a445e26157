"""String labels, the normal class and pos_label through every metric and scorer."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_validate

from xraynet.metrics import (
    SCORERS,
    classification_summary,
    clinical_scores,
    clinical_scoring,
    get_scorer,
    make_clinical_scorer,
    sensitivity_score,
    specificity_at_sensitivity,
    specificity_score,
    subgroup_report,
    threshold_for_sensitivity,
)

# TP=3, FN=1 (disease = 1), TN=4, FP=2 (normal = 0)
Y_TRUE = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
Y_PRED = np.array([1, 1, 1, 0, 0, 0, 0, 0, 1, 1])
SCORE = np.array([0.9, 0.8, 0.7, 0.2, 0.1, 0.3, 0.4, 0.45, 0.6, 0.55])


@pytest.mark.parametrize(
    "normal, disease",
    [
        ("normal", "covid"),
        ("healthy_controls", "covid"),
        ("No Finding", "Pneumonia"),
        ("negative", "TB"),
    ],
)
def test_string_labels_not_swapped(normal, disease):
    # "covid" sorts before "normal": the alphabetical order must not decide the roles
    names = np.array([normal, disease])
    yt, yp = names[Y_TRUE], names[Y_PRED]
    for average in ("binary", "clinical"):
        assert sensitivity_score(yt, yp, average=average) == pytest.approx(3 / 4)
        assert specificity_score(yt, yp, average=average) == pytest.approx(4 / 6)
    assert sensitivity_score(yt, yp, pos_label=disease) == pytest.approx(3 / 4)
    assert specificity_score(yt, yp, normal_label=normal) == pytest.approx(4 / 6)
    assert specificity_at_sensitivity(yt, yp, min_sensitivity=0.7) == pytest.approx(4 / 6)


def test_string_labels_need_a_normal_class():
    names = np.array(["viral", "bacterial"])
    yt, yp = names[Y_TRUE], names[Y_PRED]
    for f in (sensitivity_score, specificity_score):
        with pytest.raises(ValueError, match=r"'bacterial', 'viral'.*normal_label="):
            f(yt, yp)
    # named by the user, or the disease given as pos_label
    assert sensitivity_score(yt, yp, normal_label="viral") == pytest.approx(3 / 4)
    assert sensitivity_score(yt, yp, normal_label="bacterial") == pytest.approx(4 / 6)
    assert sensitivity_score(yt, yp, pos_label="bacterial") == pytest.approx(3 / 4)
    both = np.array(["normal", "healthy"])
    with pytest.raises(ValueError, match=r"2 of the labels look normal.*normal_label="):
        specificity_score(both[Y_TRUE], both[Y_PRED])
    with pytest.raises(ValueError, match="neither is normal_label='normal'"):
        sensitivity_score(yt, yp, pos_label="viral", normal_label="normal")


def test_impossible_pos_label_raises_naming_it():
    names = np.array(["normal", "covid"])
    yt, yp = names[Y_TRUE], names[Y_PRED]
    with pytest.raises(ValueError, match=r"pos_label='pneumonia' is not one of the labels"):
        sensitivity_score(yt, yp, pos_label="pneumonia")
    with pytest.raises(ValueError, match=r"pos_label=1 cannot be one of the labels"):
        specificity_score(yt, yp, pos_label=1)
    with pytest.raises(ValueError, match=r"pos_label=2 is not one of the labels \[0, 1\]"):
        specificity_score(Y_TRUE, Y_PRED, pos_label=2)
    with pytest.raises(ValueError, match=r"normal_label='normal' cannot be one of"):
        specificity_score(Y_TRUE, Y_PRED, normal_label="normal")
    with pytest.raises(ValueError, match="both 'covid'"):
        specificity_score(yt, yp, pos_label="covid", normal_label="covid")


def test_y_true_without_the_pos_label_is_not_scored_as_all_negative():
    # all covid, pos_label a class that is nowhere: it used to give specificity 1.0
    covid = np.array(["covid"] * 4)
    with pytest.raises(ValueError, match="pos_label='pneumonia' is not one of the labels"):
        specificity_score(covid, covid, pos_label="pneumonia")
    with pytest.raises(ValueError, match="pos_label=2 is not one of the labels"):
        specificity_score([1, 1, 1], [1, 1, 1], pos_label=2)
    with pytest.raises(ValueError, match="normal_label="):
        specificity_score(covid, covid)  # no normal class to tell the disease from
    # only normal images: a legitimate fold, specificity defined, sensitivity not
    normal = np.array(["normal"] * 4)
    assert specificity_score(normal, normal, pos_label="covid") == 1.0
    assert np.isnan(sensitivity_score(normal, normal, zero_division=np.nan))
    assert specificity_score([0, 0, 0], [0, 0, 1]) == pytest.approx(2 / 3)


def test_multiclass_one_clinical_definition():
    yt = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    yp = np.array([0, 1, 0, 1, 2, 2, 0, 2])
    # sensitivity: macro recall over the disease classes 1 (1/2) and 2 (2/3)
    # specificity: recall of the normal class 0 (2/3)
    sens, spec = (1 / 2 + 2 / 3) / 2, 2 / 3
    assert sensitivity_score(yt, yp, average="clinical") == pytest.approx(sens)
    assert specificity_score(yt, yp, average="clinical") == pytest.approx(spec)
    names = np.array(["normal", "bacteria", "virus"])
    assert sensitivity_score(names[yt], names[yp], average="clinical") == pytest.approx(sens)
    assert specificity_score(names[yt], names[yp], average="clinical") == pytest.approx(spec)
    # the same numbers from probabilities (the comparison code) ...
    proba = np.eye(3)[yp] * 0.8 + 0.1
    s = clinical_scores(yt, proba, [0, 1, 2])
    assert (s["sensitivity"], s["specificity"]) == pytest.approx((sens, spec))
    # string classes_ sort as bacteria, normal, virus: the normal class is not column 0
    s = clinical_scores(names[yt], proba[:, [1, 0, 2]], ["bacteria", "normal", "virus"])
    assert (s["sensitivity"], s["specificity"]) == pytest.approx((sens, spec))
    # ... and from the scorers
    for name, value in (("sensitivity", sens), ("specificity", spec)):
        scorer = get_scorer(name)
        assert scorer._score_func(yt, yp, **scorer._kwargs) == pytest.approx(value)
    # a disease class absent from the fold still counts when labels are given
    assert sensitivity_score(
        [0, 1], [0, 1], average="clinical", labels=[0, 1, 2], zero_division=0.0
    ) == pytest.approx(1 / 2)
    with pytest.raises(ValueError, match="average='clinical'"):
        sensitivity_score(yt, yp)
    with pytest.raises(ValueError, match="pos_label applies to average='binary'"):
        sensitivity_score(yt, yp, average="clinical", pos_label=1)


def test_deprecated_macro_scorer_names():
    assert set(SCORERS) == {"sensitivity", "specificity"}
    with pytest.warns(FutureWarning, match="one clinical definition"):
        scorer = get_scorer("sensitivity_macro")
    assert scorer._kwargs["average"] == "clinical"


@pytest.fixture(scope="module")
def string_data():
    rng = np.random.RandomState(0)
    y = np.where(rng.rand(200) < 0.4, "covid", "normal")
    X = rng.randn(200, 3) + (y == "covid")[:, None] * 1.5
    return X, y


def test_scorers_with_string_labels(string_data):
    X, y = string_data
    est = LogisticRegression().fit(X[:150], y[:150])
    pred = est.predict(X[150:])
    assert est.classes_.tolist() == ["covid", "normal"]
    sens = np.mean(pred[y[150:] == "covid"] == "covid")
    spec = np.mean(pred[y[150:] == "normal"] == "normal")
    assert 0 < sens < 1 and 0 < spec < 1 and sens != spec
    assert get_scorer("sensitivity")(est, X[150:], y[150:]) == pytest.approx(sens)
    assert get_scorer("specificity")(est, X[150:], y[150:]) == pytest.approx(spec)
    assert make_clinical_scorer("sensitivity", normal_label="normal")(
        est, X[150:], y[150:]
    ) == pytest.approx(sens)
    res = cross_validate(LogisticRegression(), X, y, cv=3, scoring=clinical_scoring())
    assert np.all(res["test_sensitivity"] > 0.5) and np.all(res["test_specificity"] > 0.5)
    # clinical_scores on the model's probabilities: columns follow classes_
    s = clinical_scores(y[150:], est.predict_proba(X[150:]), est.classes_)
    assert (s["sensitivity"], s["specificity"]) == pytest.approx((sens, spec))
    with pytest.raises(ValueError, match="make_clinical_scorer|name must be"):
        make_clinical_scorer("ppv")


def test_clinical_scores_need_a_normal_class():
    with pytest.raises(ValueError, match="normal_label="):
        clinical_scores(["a", "b"], [[0.2, 0.8], [0.7, 0.3]], ["a", "b"])
    s = clinical_scores(["a", "b"], [[0.2, 0.8], [0.7, 0.3]], ["a", "b"], normal_label="b")
    assert s["sensitivity"] == 0.0 and s["specificity"] == 0.0
    with pytest.raises(ValueError, match="not one of the classes"):
        clinical_scores([1, 2], [[0.2, 0.8], [0.7, 0.3]], [1, 2])


def test_clinical_scores_undefined_rates_are_nan_not_zero():
    # a test folder of pneumonia films only: specificity (like the AUC) is undefined, and
    # must not read as "every normal film missed"
    s = clinical_scores([1, 1, 1], [[0.2, 0.8], [0.7, 0.3], [0.1, 0.9]], [0, 1])
    assert s["sensitivity"] == pytest.approx(2 / 3)
    assert np.isnan(s["specificity"]) and np.isnan(s["roc_auc"])
    assert np.isnan(s["balanced_accuracy"])
    assert s["accuracy"] == pytest.approx(2 / 3)
    # normal films only: sensitivity undefined, specificity measured
    s = clinical_scores([0, 0], [[0.2, 0.8], [0.7, 0.3]], [0, 1])
    assert np.isnan(s["sensitivity"]) and s["specificity"] == 0.5
    # three classes, no virus film in the set: the sensitivity is that of the disease
    # classes present, not halved by the absent one
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    s = clinical_scores([0, 1, 1, 0], proba, [0, 1, 2])
    assert s["sensitivity"] == 1.0 and s["specificity"] == 0.5


def test_summary_subgroups_and_threshold_with_string_labels():
    names = np.array(["normal", "covid"])
    yt = names[Y_TRUE]
    ref = classification_summary(Y_TRUE, SCORE, n_bootstraps=0)
    proba = np.c_[SCORE, 1 - SCORE]  # classes_ order: covid, normal
    s = classification_summary(yt, proba, n_bootstraps=0)
    np.testing.assert_allclose(s["value"], ref["value"])
    assert s.loc["sensitivity", "value"] == pytest.approx(0.75)
    assert s.attrs["positive_class"] == "covid" and s.attrs["normal_class"] == "normal"
    s = classification_summary(yt, SCORE, n_bootstraps=0, pos_label="covid")
    np.testing.assert_allclose(s["value"], ref["value"])
    # numeric pos_label=0 takes the column of class 0 of predict_proba, not the last one
    flipped = classification_summary(
        1 - Y_TRUE, np.c_[SCORE, 1 - SCORE], n_bootstraps=0, pos_label=0
    )
    np.testing.assert_allclose(flipped["value"], ref["value"])
    with pytest.raises(ValueError, match="pos_label='pneumonia' is not one of the labels"):
        classification_summary(yt, SCORE, pos_label="pneumonia")
    with pytest.raises(ValueError, match="normal_label="):
        classification_summary(np.array(["a", "b"])[Y_TRUE], SCORE)
    with pytest.raises(ValueError, match="columns cannot be matched"):
        classification_summary(np.array(["covid"] * 3), np.full((3, 2), 0.5), pos_label="covid")
    s = classification_summary(
        np.array(["covid"] * 3),
        np.full((3, 2), 0.5),
        pos_label="covid",
        normal_label="normal",
        n_bootstraps=0,
    )
    assert s.loc["sensitivity", "value"] == 1.0

    point = threshold_for_sensitivity(yt, proba, target=1.0)
    assert point == threshold_for_sensitivity(Y_TRUE, SCORE, target=1.0)
    report = subgroup_report(yt, proba, ["a"] * 5 + ["b"] * 5, n_bootstraps=0, min_count=1)
    ref_report = subgroup_report(Y_TRUE, SCORE, ["a"] * 5 + ["b"] * 5, n_bootstraps=0, min_count=1)
    np.testing.assert_allclose(report["sensitivity"], ref_report["sensitivity"])
    assert report.attrs["positive_class"] == "covid"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        classification_summary(np.zeros(4, int), [0.1, 0.2, 0.7, 0.3], n_bootstraps=0)
