"""SubgroupDisplay: forest plot per subgroup, from predictions and from a real estimator."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

from xraynet.metrics import subgroup_report  # noqa: E402
from xraynet.plotting import SubgroupDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _scored(n=300, seed=0):
    rng = np.random.RandomState(seed)
    view = np.where(rng.rand(n) < 0.4, "AP", "PA")
    y = (rng.rand(n) < 0.5).astype(int)
    s = np.clip(0.25 + 0.5 * y + rng.normal(0, 0.15, n) + 0.3 * (view == "AP"), 0, 1)
    return y, s, view, rng


def test_from_predictions_draws_one_point_per_subgroup(tmp_path):
    y, s, view, rng = _scored()
    source = np.where(y == 1, "ICU", "clinic").astype(object)
    source[:4] = "tiny"
    groups = pd.DataFrame({"view": view, "sex": rng.choice(["F", "M"], len(y)), "source": source})
    disp = SubgroupDisplay.from_predictions(y, s, groups, n_bootstraps=200)
    assert disp.figure_ is disp.ax_.figure and len(disp.axes_) == 3
    labels = [t.get_text() for t in disp.ax_.get_yticklabels()]
    assert labels[0].startswith("Overall  (n=300") and "view" in labels and "source" in labels
    assert any(lab.strip().startswith("AP  (n=") for lab in labels)
    auc_texts = [t.get_text() for t in disp.axes_[0].texts]
    assert auc_texts.count("undefined (one class)") == 2 and "too few images" in auc_texts
    # the AP specificity point sits left of the overall line (the model leans on "AP")
    spec = disp.axes_[2]
    ref = spec.lines[0].get_xdata()[0]
    ap = disp.report.loc[("view", "AP"), "specificity"]
    assert ap < ref
    assert all(0 <= x <= 1 for x in spec.get_xticks())
    disp.figure_.savefig(tmp_path / "forest.png")
    assert (tmp_path / "forest.png").stat().st_size > 10_000


def test_plot_on_given_axes_and_metric_subset():
    y, s, view, _ = _scored()
    report = subgroup_report(y, s, view, n_bootstraps=50)
    fig, axes = plt.subplots(1, 2)
    disp = SubgroupDisplay(report).plot(ax=axes, metrics=["sensitivity", "specificity"], title="")
    assert disp.figure_ is fig and disp.axes_[1] is axes[1]
    assert [a.get_title() for a in axes] == ["Sensitivity", "Specificity"]
    fig, ax = plt.subplots()
    assert SubgroupDisplay(report).plot(ax=ax, metrics=["roc_auc"]).ax_ is ax
    with pytest.raises(ValueError, match="one Axes per metric"):
        SubgroupDisplay(report).plot(ax=ax)
    with pytest.raises(ValueError, match="not in the report"):
        SubgroupDisplay(report).plot(metrics=["f1"])


def test_from_estimator_on_real_images(pneumoniamnist_small):
    Xtr, ytr, Xte, yte = pneumoniamnist_small
    clf = make_pipeline(
        FunctionTransformer(lambda A: A.reshape(len(A), -1) / 255.0),
        LogisticRegression(max_iter=300),
    ).fit(Xtr, ytr)
    brightness = pd.cut(Xte.mean(axis=(1, 2, 3)), 3, labels=["dark", "mid", "bright"])
    disp = SubgroupDisplay.from_estimator(
        clf, Xte, yte, {"brightness": brightness}, n_bootstraps=100, min_count=5
    )
    assert disp.report.loc[("all", "all"), "n"] == len(yte)
    assert disp.report.loc["brightness"].index.tolist() == ["dark", "mid", "bright"]
    assert np.isfinite(disp.report.loc[("all", "all"), "roc_auc"])
    three = np.arange(len(ytr)) % 3
    multi = LogisticRegression().fit(Xtr.reshape(len(Xtr), -1)[:, :5] / 255.0, three)
    with pytest.raises(ValueError, match="binary"):
        SubgroupDisplay.from_estimator(
            multi, Xte.reshape(len(Xte), -1)[:, :5] / 255.0, yte, brightness
        )
