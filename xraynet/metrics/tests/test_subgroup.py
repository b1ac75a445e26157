"""subgroup_report: per-subgroup AUC / sensitivity / specificity with bootstrap CIs."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import recall_score, roc_auc_score

from xraynet.metrics import classification_summary, subgroup_report


@pytest.fixture(scope="module")
def scored():
    """Scores where the model is good on PA films and leans on 'AP' as a disease cue."""
    rng = np.random.RandomState(0)
    n = 400
    view = np.where(rng.rand(n) < 0.4, "AP", "PA")
    y = (rng.rand(n) < np.where(view == "AP", 0.7, 0.35)).astype(int)
    score = np.clip(0.25 + 0.5 * y + rng.normal(0, 0.15, n) + 0.25 * (view == "AP"), 0, 1)
    sex = rng.choice(["F", "M"], n)
    age = pd.cut(rng.randint(1, 90, n), [0, 18, 65, 120], labels=["<18", "18-64", "65+"])
    return y, score, pd.DataFrame({"view": view, "sex": sex, "age_band": age})


def test_point_values_match_sklearn(scored):
    y, s, groups = scored
    r = subgroup_report(y, s, groups, n_bootstraps=200)
    assert r.index[0] == ("all", "all")
    assert list(r.index.get_level_values(0).unique()) == ["all", "view", "sex", "age_band"]
    assert r.loc["age_band"].index.tolist() == ["<18", "18-64", "65+"]  # category order kept
    for view in ("AP", "PA"):
        m = groups["view"].to_numpy() == view
        row = r.loc[("view", view)]
        assert row["n"] == m.sum() and row["n_positive"] == y[m].sum()
        assert row["roc_auc"] == pytest.approx(roc_auc_score(y[m], s[m]))
        assert row["sensitivity"] == pytest.approx(recall_score(y[m], s[m] >= 0.5))
        assert row["specificity"] == pytest.approx(recall_score(1 - y[m], s[m] < 0.5))
        for k in ("roc_auc", "sensitivity", "specificity"):
            assert row[f"{k}_low"] <= row[k] <= row[f"{k}_high"]
    # the AP shortcut shows: specificity collapses on AP films
    assert r.loc[("view", "AP"), "specificity_high"] < r.loc[("view", "PA"), "specificity_low"]
    assert r["n"].loc["sex"].sum() == len(y)
    assert set(r.columns[:2]) == {"n", "n_positive"} and r.columns[-1] == "note"


def test_overall_row_equals_classification_summary(scored):
    y, s, _ = scored
    r = subgroup_report(y, s, np.zeros(len(y)), n_bootstraps=300, random_state=3)
    c = classification_summary(y, s, n_bootstraps=300, random_state=3)
    for k in ("roc_auc", "sensitivity", "specificity"):
        assert r.loc[("all", "all"), k] == pytest.approx(c.loc[k, "value"])
    # same bootstrap code: intervals of similar width (different seeds)
    w1 = r.loc[("all", "all"), "roc_auc_high"] - r.loc[("all", "all"), "roc_auc_low"]
    w2 = c.loc["roc_auc", "ci_high"] - c.loc["roc_auc", "ci_low"]
    assert w1 == pytest.approx(w2, rel=0.5)


def test_single_class_and_small_subgroups(scored):
    y, s, groups = scored
    source = np.where(y == 1, "ICU", "clinic").astype(object)
    source[:5] = "tiny"
    source[5] = None
    r = subgroup_report(y, s, pd.Series(source, name="source"), n_bootstraps=100, min_count=10)
    icu = r.loc[("source", "ICU")]
    assert np.isnan(icu["roc_auc"]) and np.isnan(icu["specificity"])
    assert 0 < icu["sensitivity"] <= 1 and icu["sensitivity_low"] <= icu["sensitivity"]
    assert "single class (only disease)" in icu["note"]
    assert "only normal" in r.loc[("source", "clinic"), "note"]
    tiny = r.loc[("source", "tiny")]
    assert tiny["n"] == 5 and np.isnan(tiny["roc_auc"]) and "min_count" in tiny["note"]
    assert r.loc[("source", "(missing)"), "n"] == 1
    assert r.loc[("all", "all"), "note"] == ""


def test_reproducible_options_and_errors(scored):
    y, s, groups = scored
    a = subgroup_report(y, s, groups, n_bootstraps=50, random_state=1)
    pd.testing.assert_frame_equal(a, subgroup_report(y, s, groups, n_bootstraps=50, random_state=1))
    proba = np.column_stack([1 - s, s])
    b = subgroup_report(
        y, proba, groups.to_dict("list"), n_bootstraps=0, metrics=["ppv"], threshold=0.7
    )
    assert list(b.columns) == ["n", "n_positive", "ppv", "ppv_low", "ppv_high", "note"]
    assert b["ppv_low"].isna().all() and b.attrs["threshold"] == 0.7
    with pytest.raises(ValueError, match="rows but y_true"):
        subgroup_report(y, s, groups.iloc[:10])
    with pytest.raises(ValueError, match="metrics"):
        subgroup_report(y, s, groups, metrics=["auc"])
    with pytest.raises(ValueError, match="min_count"):
        subgroup_report(y, s, groups, min_count=0)
    with pytest.raises(ValueError, match="3 classes"):
        subgroup_report(np.arange(len(y)) % 3, s, groups)
