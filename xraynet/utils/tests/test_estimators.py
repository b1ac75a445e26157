import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from xraynet.utils import class_name, disease_scores, final_estimator


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
