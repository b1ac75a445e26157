import json
from pathlib import Path

import numpy as np
import pytest
import sklearn

from xraynet.report import provenance_record


def test_provenance_record_is_json_and_complete():
    y = np.array([0, 0, 1, 1, 1])
    rec = provenance_record(
        command=["xraynet", "compare", "--out", "r"],
        random_state=np.int64(3),
        data_source="train/",
        y=y,
        target_names=["NORMAL", "PNEUMONIA"],
        groups=np.array(["a", "a", "b", "c", "c"]),
        models=["hog_svm"],
        selection_rule="roc_auc",
        threshold=np.float32(0.25),
        threshold_rule="Youden on out-of-fold predictions",
    )
    back = json.loads(json.dumps(rec))  # no numpy types left
    assert back == rec
    assert rec["command"] == "xraynet compare --out r"
    assert rec["random_state"] == 3
    assert rec["data"] == {
        "source": "train/",
        "n_images": 5,
        "counts": {"NORMAL": 2, "PNEUMONIA": 3},
    }
    assert rec["patient_grouping"] is True and rec["n_patients"] == 3
    assert rec["versions"]["scikit-learn"] == sklearn.__version__
    assert rec["versions"]["numpy"] == np.__version__
    assert set(rec["versions"]) >= {"xraynet", "keras", "scikeras", "pydicom", "skops"}
    assert rec["threshold"] == 0.25 and rec["models"] == ["hog_svm"]


def test_provenance_record_grouping_off():
    rec = provenance_record(y=["a", "b"])
    assert rec["patient_grouping"] is False and rec["n_patients"] is None
    assert rec["data"]["counts"] == {"a": 1, "b": 1}
    assert rec["command"] is None


def test_to_strict_json_writes_null_for_non_finite_floats(tmp_path):
    from xraynet.report import to_strict_json

    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    obj = {
        "auc": float("nan"),
        "ci": (np.float64("nan"), np.float32(0.5)),
        "inf": [float("inf"), -np.inf, np.array([1.0, np.nan])],
        "n": np.int64(3),
        "ok": np.bool_(True),
        "where": Path("a") / "b.png",
        1: None,
    }
    text = to_strict_json(obj)
    assert json.loads(text, parse_constant=refuse) == {
        "auc": None,
        "ci": [None, 0.5],
        "inf": [None, None, [1.0, None]],
        "n": 3,
        "ok": True,
        "where": str(Path("a") / "b.png"),
        "1": None,
    }
    assert "\n" not in to_strict_json(obj, indent=None)
    with pytest.raises(ValueError, match="not JSON: NaN"):  # what json.dumps alone gives
        json.loads(json.dumps({"auc": float("nan")}), parse_constant=refuse)
