import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from xraynet.model_selection import ProbabilityEnsemble

X = np.arange(20, dtype=float).reshape(-1, 1)
y = (X[:, 0] > 9).astype(int)


@pytest.mark.parametrize("threshold", [0, 1, 1.5, True, "0.5", None])
def test_bad_threshold_names_the_parameter(threshold):
    members = [LogisticRegression().fit(X, y)]
    with pytest.raises(
        ValueError,
        match=r"'threshold' parameter of ProbabilityEnsemble must be a float in "
        r"the range \(0(\.0)?, 1(\.0)?\)",
    ):
        ProbabilityEnsemble(members, threshold=threshold).fit()


def test_bad_members():
    with pytest.raises(ValueError, match="'estimators' parameter .* must be an instance of 'list'"):
        ProbabilityEnsemble(None).fit()
    with pytest.raises(ValueError, match="estimators must be a non-empty list"):
        ProbabilityEnsemble([]).fit()
    with pytest.raises(ValueError, match=r"estimators\[0\] \(LinearRegression\) has no predict_"):
        ProbabilityEnsemble([LinearRegression().fit(X, y)]).fit()


def test_tuple_of_members_averages():
    members = (LogisticRegression(C=0.1).fit(X, y), LogisticRegression().fit(X, y))
    ens = ProbabilityEnsemble(members, threshold=0.4).fit()
    expected = (members[0].predict_proba(X) + members[1].predict_proba(X)) / 2
    np.testing.assert_allclose(ens.predict_proba(X), expected)
    assert ens.threshold_ == 0.4 and ens.estimators_ == list(members)
