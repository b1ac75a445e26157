import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from xraynet.utils import class_name, decision_threshold, disease_scores, final_estimator


def test_disease_scores_takes_1d_or_predict_proba_columns():
    proba = np.array([[0.9, 0.1], [0.2, 0.8]])
    np.testing.assert_array_equal(disease_scores(proba), [0.1, 0.8])
    np.testing.assert_array_equal(disease_scores([0.1, 0.8]), [0.1, 0.8])
    with pytest.raises(ValueError, match="my_scores must hold .* predict_proba"):
        disease_scores(np.zeros((2, 3)), name="my_scores")


def test_final_estimator_and_class_name():
    clf = DummyClassifier()
    assert final_estimator(make_pipeline(FunctionTransformer(), clf)) is clf
    assert final_estimator(clf) is clf
    assert class_name(1, ["normal", "pneumonia"]) == "pneumonia"
    assert class_name(5, ["normal", "pneumonia"]) == "5"
    assert class_name("x", None) == "x"


def test_decision_threshold_refuses_values_outside_0_1():
    clf = DummyClassifier()
    pipe = make_pipeline(FunctionTransformer(), clf)
    assert decision_threshold(pipe) == 0.5
    for good in (0.0, 0.31, 1.0, np.float32(0.25)):
        clf.threshold_ = good
        assert decision_threshold(pipe) == pytest.approx(float(good))
    for bad in (float("nan"), 1.5, -0.1, "0.3", True, [0.3]):
        clf.threshold_ = bad
        with pytest.raises(ValueError, match=r"DummyClassifier\.threshold_ is .* in \[0, 1\]"):
            decision_threshold(pipe)
