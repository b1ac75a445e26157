"""stress_test options (n_jobs, random_state, threshold, argument forms), robust_score,
multiclass models, the Display's single-panel form, and real PneumoniaMNIST train/val."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from xraynet.classical import ImageFlattener  # noqa: E402
from xraynet.robustness import (  # noqa: E402
    StressTestDisplay,
    robust_score,
    stress_summary,
    stress_test,
)


def _images(n=60, size=20, n_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.integers(40, 140, (n, size, size, 1))
    for c in range(1, n_classes):  # class c: a bright patch in its own place
        X[y == c, 2 + 6 * (c - 1) : 8 + 6 * (c - 1), 4:16] += 80
    return np.clip(X, 0, 255).astype(np.uint8), y


def _flat():
    return FunctionTransformer(lambda X: X.reshape(len(X), -1) / 255.0)


@pytest.fixture(scope="module")
def fitted():
    X, y = _images()
    return make_pipeline(_flat(), LogisticRegression(C=0.05, max_iter=500)).fit(X, y), X, y


def test_n_jobs_gives_the_same_table(fitted):
    clf, X, y = fitted
    kw = dict(shifts=["noise", "rotation", "jpeg", "blur"], severities=(1, 2, 3), random_state=7)
    pd.testing.assert_frame_equal(
        stress_test(clf, X, y, n_jobs=1, **kw), stress_test(clf, X, y, n_jobs=2, **kw)
    )
    with pytest.raises(ValueError, match="n_jobs must be None or a non-zero int"):
        stress_test(clf, X, y, n_jobs=0, **kw)


def test_predicts_once_per_batch(fitted):
    clf, X, y = fitted
    calls = []

    class Counting(ClassifierMixin, BaseEstimator):
        classes_ = clf.classes_

        def fit(self, X, y):  # pragma: no cover - never called
            return self

        def predict_proba(self, batch):
            calls.append(len(batch))
            return clf.predict_proba(batch)

        def __sklearn_is_fitted__(self):
            return True

    table = stress_test(Counting(), X, y, shifts=["darker", "noise"], severities=(1, 3))
    assert calls == [len(X)] * 5 and len(table) == 5


def test_random_state_forms(fitted):
    clf, X, y = fitted
    kw = dict(shifts=["noise"], severities=(3,))
    a = stress_test(clf, X, y, random_state=np.random.default_rng(1), **kw)
    b = stress_test(clf, X, y, random_state=np.random.default_rng(1), **kw)
    pd.testing.assert_frame_equal(a, b)
    assert len(stress_test(clf, X, y, random_state=None, **kw)) == 2
    assert len(stress_test(clf, X, y, random_state=np.random.RandomState(0), **kw)) == 2
    with pytest.raises(ValueError, match="random_state must be an int, None"):
        stress_test(clf, X, y, random_state="seed", **kw)


def test_argument_forms_and_threshold(fitted):
    clf, X, y = fitted
    one = stress_test(clf, X, y, shifts="blur", severities=2)
    assert one[["shift", "severity"]].values.tolist() == [["none", 0], ["blur", 2]]
    dup = stress_test(clf, X, y, shifts=["blur", "blur"], severities=(1, 1, 2))
    assert dup[["shift", "severity"]].values.tolist() == [["none", 0], ["blur", 1], ["blur", 2]]
    # an explicit threshold wins over the model's stored one
    clf[-1].threshold_ = 0.9
    try:
        table = stress_test(clf, X, y, shifts="blur", severities=1, threshold=0.2)
    finally:
        del clf[-1].threshold_
    p = clf.predict_proba(X)[:, 1]
    assert table.attrs["threshold"] == 0.2
    assert table.loc[0, "specificity"] == pytest.approx(np.mean(p[y == 0] < 0.2))
    for bad in (1.5, -0.1, "0.5", True):
        with pytest.raises(ValueError, match="threshold must be None or a probability"):
            stress_test(clf, X, y, shifts="blur", threshold=bad)


def test_estimator_without_predict_proba(fitted):
    _, X, y = fitted
    svm = make_pipeline(_flat(), LinearSVC()).fit(X, y)
    with pytest.raises(ValueError, match="estimator must have predict_proba"):
        stress_test(svm, X, y)


def test_multiclass_model(fitted):
    X, y = _images(90, n_classes=3)
    clf = make_pipeline(_flat(), LogisticRegression(C=0.05, max_iter=1000)).fit(X, y)
    table = stress_test(clf, X, y, shifts=["darker"], severities=(1, 2))
    proba = clf.predict_proba(X)
    assert table.loc[0, "accuracy"] == pytest.approx(np.mean(proba.argmax(axis=1) == y))
    assert table["roc_auc"].between(0, 1).all() and (table["n"] == 90).all()


def test_robust_score(fitted):
    clf, X, y = fitted
    table = stress_test(clf, X, y, shifts=["darker", "blur", "noise"], severities=(1, 3))
    shifted = table[table["severity"] > 0]
    assert robust_score(table) == pytest.approx(shifted["roc_auc"].mean())
    assert robust_score(table) == pytest.approx(stress_summary(table)["shifted_roc_auc"])
    assert robust_score(table, "specificity") == pytest.approx(shifted["specificity"].mean())
    with pytest.raises(ValueError, match="columns 'severity' and 'f1'"):
        robust_score(table, "f1")
    with pytest.raises(ValueError, match="no shifted rows"):
        robust_score(table.iloc[:1])
    with pytest.raises(ValueError, match="stress_test DataFrame"):
        robust_score([0.9, 0.8])


def test_display_single_panel_on_given_axes(fitted):
    import matplotlib.pyplot as plt

    clf, X, y = fitted
    table = stress_test(clf, X, y, shifts=["darker", "blur"], severities=(1, 2, 3))
    fig, ax = plt.subplots()
    disp = StressTestDisplay.from_results(table, metrics="roc_auc", axes=ax)
    assert disp.ax_ is ax and disp.figure_ is fig and len(disp.axes_) == 1
    assert len(ax.get_lines()) == 3  # two shifts and the clean reference
    clean = ax.get_lines()[-1]
    assert clean.get_linestyle() == "--"
    assert np.allclose(clean.get_ydata(), table.loc[0, "roc_auc"])
    with pytest.raises(ValueError, match="one Axes per metric"):
        disp.plot(metrics=("roc_auc", "specificity"), axes=ax)
    with pytest.raises(ValueError, match="no column"):
        disp.plot(metrics="f1")
    plt.close("all")


@pytest.mark.needs_data
def test_real_pneumoniamnist_train_val(pneumoniamnist_path):
    """A pixel logistic regression fitted on train, stress-tested on val (never test)."""
    from xraynet.datasets import fetch_pneumoniamnist

    home = pneumoniamnist_path.parent
    Xtr, ytr = fetch_pneumoniamnist(split="train", data_home=home, download=False)
    Xva, yva = fetch_pneumoniamnist(split="val", data_home=home, download=False)
    rng = np.random.default_rng(0)
    tr = rng.choice(len(ytr), 1500, replace=False)
    clf = make_pipeline(ImageFlattener(), LogisticRegression(C=0.01, max_iter=1000))
    clf.fit(Xtr[tr], ytr[tr])
    table = stress_test(clf, Xva, yva, severities=(1, 3))
    assert len(table) == 1 + 12 * 2 and (table["n"] == len(yva)).all()
    clean = table.iloc[0]
    assert clean["roc_auc"] == pytest.approx(roc_auc_score(yva, clf.predict_proba(Xva)[:, 1]))
    assert clean["roc_auc"] > 0.85
    s = stress_summary(table)
    assert s["worst_roc_auc"] < clean["roc_auc"]
    assert robust_score(table) < clean["roc_auc"]
    # harsher severities hurt more on average
    by_sev = table[table["severity"] > 0].groupby("severity")["roc_auc"].mean()
    assert by_sev.loc[3] < by_sev.loc[1]
