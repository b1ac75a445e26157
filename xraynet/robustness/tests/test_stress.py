"""The acquisition stress test: shifts, stress_test, summary, Display, report section."""

import cv2
import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline

from xraynet.classical import ImageFlattener
from xraynet.io import ImageLoader
from xraynet.robustness import (
    StressTestDisplay,
    apply_shift,
    available_shifts,
    stress_summary,
    stress_test,
)

matplotlib.use("Agg")


def _images(n=40, size=24, seed=0):
    rng = np.random.default_rng(seed)
    y = np.tile([0, 1], n // 2)
    base = rng.integers(40, 140, (n, size, size, 1))
    base[y == 1, size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] += 90  # a bright "opacity"
    return np.clip(base, 0, 255).astype(np.uint8), y


@pytest.fixture(scope="module")
def fitted():
    X, y = _images(80)
    clf = make_pipeline(ImageFlattener(), LogisticRegression(C=0.01, max_iter=500)).fit(X, y)
    return clf, X, y


@pytest.mark.parametrize("name", available_shifts())
def test_every_shift_keeps_shape_dtype_and_severity_zero_is_identity(name):
    X, _ = _images(6)
    for sev in (1, 3, 5):
        out = apply_shift(X, name, sev, random_state=1)
        assert out.shape == X.shape and out.dtype == np.uint8
        assert not np.array_equal(out, X), f"{name}@{sev} changed nothing"
    np.testing.assert_array_equal(apply_shift(X, name, 0), X)
    rgb = np.repeat(X, 3, axis=-1)
    assert apply_shift(rgb, name, 2).shape == rgb.shape


def test_shifts_grow_with_severity():
    X, _ = _images(10)
    means = [apply_shift(X, "darker", s).mean() for s in range(4)]
    assert means == sorted(means, reverse=True)
    sds = [apply_shift(X, "low_contrast", s).reshape(10, -1).std(axis=1).mean() for s in range(4)]
    assert sds == sorted(sds, reverse=True)

    def sharpness(batch):
        return np.mean([cv2.Laplacian(img, cv2.CV_64F).var() for img in batch])

    sharp = [sharpness(apply_shift(X, "blur", s)) for s in range(4)]
    assert sharp == sorted(sharp, reverse=True)
    noise = [np.abs(apply_shift(X, "noise", s).astype(int) - X).mean() for s in range(4)]
    assert noise == sorted(noise)


def test_stress_test_table_clean_row_and_threshold(fitted):
    clf, X, y = fitted
    table = stress_test(clf, X, y, shifts=["darker", "blur"], severities=(1, 2))
    assert list(table.columns[:2]) == ["shift", "severity"]
    assert {"roc_auc", "sensitivity", "specificity", "accuracy", "balanced_accuracy", "n"} <= set(
        table.columns
    )
    assert table[["shift", "severity"]].values.tolist() == [
        ["none", 0],
        ["darker", 1],
        ["darker", 2],
        ["blur", 1],
        ["blur", 2],
    ]
    clean = table.iloc[0]
    p = clf.predict_proba(X)[:, 1]
    assert clean["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert clean["sensitivity"] == pytest.approx(np.mean(p[y == 1] >= 0.5))
    assert table.attrs["threshold"] == 0.5
    # the darker films push this model's scores down: sensitivity at a fixed threshold falls
    assert table.loc[2, "sensitivity"] < clean["sensitivity"]
    # a stored threshold_ is the model's own operating point
    clf[-1].threshold_ = 0.9
    try:
        t2 = stress_test(clf, X, y, shifts=["blur"], severities=(1,))
    finally:
        del clf[-1].threshold_
    assert t2.attrs["threshold"] == 0.9
    assert t2.iloc[0]["sensitivity"] == pytest.approx(np.mean(p[y == 1] >= 0.9))


def test_stress_test_is_deterministic_and_subset_independent(fitted):
    clf, X, y = fitted
    a = stress_test(clf, X, y, shifts=["noise", "rotation"], random_state=3)
    b = stress_test(clf, X, y, shifts=["noise", "rotation"], random_state=3)
    pd.testing.assert_frame_equal(a, b)
    only = stress_test(clf, X, y, shifts=["rotation"], random_state=3)
    pd.testing.assert_frame_equal(
        a[a["shift"] == "rotation"].reset_index(drop=True),
        only[only["shift"] == "rotation"].reset_index(drop=True),
    )
    other = apply_shift(X, "noise", 1, random_state=4)
    assert not np.array_equal(other, apply_shift(X, "noise", 1, random_state=3))


def test_paths_through_a_loader_pipeline(tmp_path):
    X, y = _images(20, size=32)
    paths = []
    for i, img in enumerate(X):
        p = tmp_path / f"img{i}.png"
        cv2.imwrite(str(p), img[..., 0])
        paths.append(str(p))
    model = make_pipeline(ImageFlattener(), LogisticRegression(C=0.01, max_iter=500)).fit(X, y)
    pipe = Pipeline([("load", ImageLoader(size=32)), ("model", model)])
    from_paths = stress_test(pipe, paths, y, shifts=["jpeg"], severities=(2,))
    from_arrays = stress_test(model, X, y, shifts=["jpeg"], severities=(2,))
    pd.testing.assert_frame_equal(from_paths, from_arrays)
    with pytest.raises(ValueError, match="ImageLoader"):
        stress_test(model, paths, y)


def test_bad_arguments(fitted):
    clf, X, y = fitted
    with pytest.raises(ValueError, match="unknown shift 'fog'.*darker"):
        stress_test(clf, X, y, shifts=["fog"])
    with pytest.raises(ValueError, match="severity must be an int from 0 to 5"):
        stress_test(clf, X, y, severities=(7,))
    with pytest.raises(ValueError, match="severities must be from 1 to 5"):
        stress_test(clf, X, y, severities=(0,))
    with pytest.raises(ValueError, match="8 labels"):
        stress_test(clf, X, y[:8])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        stress_test(LogisticRegression(), X, y)
    with pytest.raises(ValueError, match="stress_test DataFrame"):
        stress_summary(pd.DataFrame({"a": [1]}))


def test_summary_display_and_report_section(fitted, tmp_path):
    clf, X, y = fitted
    table = stress_test(clf, X, y, shifts=["darker", "low_contrast"], severities=(1, 2, 3))
    s = stress_summary(table)
    shifted = table[table["severity"] > 0]
    assert s["shifted_roc_auc"] == pytest.approx(shifted["roc_auc"].mean())
    assert s["worst_specificity"] == shifted["specificity"].min()
    assert s["worst_specificity_shift"].split("@")[0] in ("darker", "low_contrast")
    assert s["auc_drop"] == pytest.approx(s["clean_roc_auc"] - s["shifted_roc_auc"])
    disp = StressTestDisplay.from_estimator(clf, X, y, shifts=["blur"], severities=(1, 2))
    assert len(disp.axes_) == 2 and len(disp.ax_.get_lines()) == 2  # blur + clean line
    disp.figure_.savefig(tmp_path / "stress.png")
    assert (tmp_path / "stress.png").stat().st_size > 1000
    from xraynet.report import write_report

    path = write_report(tmp_path / "rep", estimator=clf, X_test=X, y_test=y, stress_results=table)
    html = path.read_text()
    assert "Robustness to acquisition shift" in html and "low_contrast" in html
    assert (tmp_path / "rep" / "stress_test.png").is_file()


def test_summary_of_a_one_class_test_set_leaves_auc_undefined():
    # an external set of disease films only: no AUC, no specificity; the summary must say so
    # (it raised "Encountered all NA values" and stopped `xraynet evaluate`)
    t = pd.DataFrame(
        {
            "shift": ["none", "blur", "noise"],
            "severity": [0, 1, 1],
            "roc_auc": [np.nan] * 3,
            "sensitivity": [0.9, 0.8, 0.7],
            "specificity": [np.nan] * 3,
            "balanced_accuracy": [np.nan] * 3,
        }
    )
    s = stress_summary(t)
    assert np.isnan(s["worst_roc_auc"]) and s["worst_auc_shift"] is None
    assert s["worst_specificity_shift"] is None
    assert (
        s["worst_sensitivity"] == pytest.approx(0.7) and s["worst_sensitivity_shift"] == "noise@1"
    )
