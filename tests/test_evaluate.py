"""External validation: ``xraynet.report.evaluate_model`` and ``xraynet evaluate`` on real JPEGs."""

import contextlib
import csv
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

from xraynet.classical import make_random_forest
from xraynet.datasets import load_image_folder
from xraynet.io import ImageLoader
from xraynet.models import load_model, save_model
from xraynet.report import evaluate_model

NAMES = ["NORMAL", "PNEUMONIA"]


def _copy(src_dir, dst, start, n):
    """n real JPEGs per class, from position ``start`` of each sorted class folder."""
    for cls in NAMES:
        (dst / cls).mkdir(parents=True)
        for f in sorted((src_dir / cls).glob("*.jpeg"))[start : start + n]:
            shutil.copy(f, dst / cls / f.name)
    return dst


@pytest.fixture(scope="module")
def folders(kermany_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    train = _copy(kermany_dir, root / "train", 0, 12)
    test = _copy(kermany_dir, root / "external", 40, 10)
    data = load_image_folder(train)
    model = make_pipeline(ImageLoader(size=32), make_random_forest(n_estimators=25, random_state=0))
    model.fit(data.filenames, data.target)
    model.threshold_ = 0.4  # a stored threshold, as compare leaves it
    path = save_model(model, root / "model")
    return root, path, test


def test_evaluate_model_writes_the_results_folder(folders, tmp_path):
    _, model_path, test = folders
    model = load_model(model_path)
    ext = load_image_folder(test)
    out = tmp_path / "ext"
    m = evaluate_model(
        model,
        ext.filenames,
        ext.target,
        out,
        target_names=list(ext.target_names),
        n_bootstraps=100,
        provenance={"command": "pytest", "data_source": str(test)},
    )
    for name in (
        "metrics.json",
        "predictions.csv",
        "report.html",
        "model_card.md",
        "test_stress.csv",
    ):
        assert (out / name).stat().st_size > 0, name
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["threshold"] == pytest.approx(0.4)
    assert 0 <= saved["ci95"]["roc_auc"][0] <= saved["roc_auc"] <= saved["ci95"]["roc_auc"][1] <= 1
    assert set(saved["at_0.5"]) >= {"roc_auc", "sensitivity", "specificity"}
    assert saved["provenance"]["data"]["counts"] == {"NORMAL": 10, "PNEUMONIA": 10}
    assert saved["provenance"]["threshold_rule"].startswith("stored with the model")
    assert saved["provenance"]["command"] == "pytest" and saved["n_images"] == 20
    assert m["roc_auc"] == saved["roc_auc"]
    with open(out / "predictions.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["path"] for r in rows] == [str(p) for p in ext.filenames]
    p = np.array([float(r["p_disease"]) for r in rows])
    np.testing.assert_allclose(p, model.predict_proba(ext.filenames)[:, 1], atol=1e-6)
    assert [r["predicted"] for r in rows] == [NAMES[int(v >= 0.4)] for v in p]
    assert {r["true"] for r in rows} == set(NAMES)
    card = (out / "model_card.md").read_text(encoding="utf-8")
    assert "not a medical device" in card and f"{m['roc_auc']:.3f}" in card
    html = (out / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="provenance">') :]
    for text in ("pytest", "20 (NORMAL: 10, PNEUMONIA: 10)", "0.400", "stored with the model"):
        assert text in section, text
    assert "Patient grouping</td><td>not applicable" in section
    assert '<section id="citations">' not in html  # a folder not recognised as Kermany's


def test_evaluate_model_threshold_and_no_stress(folders, tmp_path):
    _, model_path, test = folders
    ext = load_image_folder(test)
    view = np.array(["PA", "AP"] * 10)
    m = evaluate_model(
        load_model(model_path),
        ext.filenames,
        ext.target,
        tmp_path,
        threshold=0.5,
        stress=False,
        n_bootstraps=50,
        subgroups={"view": view},
    )
    sub = pd.read_csv(tmp_path / "test_subgroups.csv")
    assert sorted(sub["subgroup"]) == ["AP", "PA", "all"] and sub["n"].tolist()[0] == 20
    card = (tmp_path / "model_card.md").read_text(encoding="utf-8")
    assert "| view / AP | 10 |" in card and "No subgroup analysis" not in card
    assert "nan" not in card and "# Model card: ImageLoader → Pipeline" in card
    assert m["threshold"] == 0.5 and "stress_summary" not in m
    assert not (tmp_path / "test_stress.csv").exists()
    assert m["provenance"]["threshold_rule"] == "given by the user"
    with pytest.raises(ValueError, match="20 images but y has 3 labels"):
        evaluate_model(load_model(model_path), ext.filenames, ext.target[:3], tmp_path)


def test_cli_evaluate_folder_and_csv(folders, tmp_path, capsys):
    from xraynet.cli import main

    _, model_path, test = folders
    out = tmp_path / "ext"
    rc = main(["evaluate", str(model_path), str(test), "--out", str(out), "--no-stress", "-q"])
    assert rc == 0, capsys.readouterr().err
    assert "AUC" in capsys.readouterr().out
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["threshold"] == pytest.approx(0.4)
    assert saved["provenance"]["command"].startswith("xraynet evaluate")
    assert saved["provenance"]["model_file"] == str(model_path)
    assert {p.name for p in out.iterdir()} >= {
        "metrics.json",
        "predictions.csv",
        "report.html",
        "model_card.md",
    }
    assert not (out / "test_stress.csv").exists()
    assert "External validation" in (out / "model_card.md").read_text(encoding="utf-8")

    table = tmp_path / "labels.csv"
    files = sorted(test.glob("*/*.jpeg"))
    table.write_text("file,finding\n" + "".join(f"{f},{f.parent.name}\n" for f in files))
    out2 = tmp_path / "ext_csv"
    rc = main(
        [
            "evaluate",
            str(model_path),
            str(table),
            "--out",
            str(out2),
            "--no-stress",
            "-q",
            "--path-column",
            "file",
            "--label-column",
            "finding",
            "--threshold",
            "0.5",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    saved2 = json.loads((out2 / "metrics.json").read_text())
    assert saved2["threshold"] == 0.5 and saved2["n_images"] == 20
    assert saved2["at_0.5"] == pytest.approx(saved["at_0.5"])

    # a row naming a missing film is an error naming it, not a smaller test set
    with open(table, "a", encoding="utf-8") as f:
        f.write(f"{tmp_path / 'gone.jpeg'},NORMAL\n")
    argv = ["evaluate", str(model_path), str(table), "--out", str(tmp_path / "ext3"), "-q"]
    rc = main([*argv, "--no-stress", "--path-column", "file", "--label-column", "finding"])
    err = capsys.readouterr().err
    assert rc == 2 and "gone.jpeg" in err and "TEST_DIR_OR_CSV" in err
    assert not (tmp_path / "ext3").exists()


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["MISSING.skops", "TEST"], "MODEL 'MISSING.skops' does not exist"),
        (["MODEL", "nowhere"], "TEST_DIR_OR_CSV 'nowhere' does not exist"),
        (["MODEL", "TEST", "--threshold", "2"], "--threshold"),
        (["MODEL", "TEST", "--random-state", "-1"], "--random-state"),  # compare's seed rule
    ],
)
def test_cli_evaluate_errors_name_the_argument(folders, tmp_path, capsys, argv, needle):
    from xraynet.cli import main

    _, model_path, test = folders
    argv = [str(model_path) if a == "MODEL" else str(test) if a == "TEST" else a for a in argv]
    usage_error = "--threshold" in argv or "--random-state" in argv  # refused by argparse
    with pytest.raises(SystemExit) if usage_error else contextlib.nullcontext():
        rc = main(["evaluate", *argv, "--out", str(tmp_path / "o")])
        assert rc == 2
    assert needle in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_compare_writes_model_card_and_provenance(folders, tmp_path, capsys):
    from xraynet.cli import main

    root, _, _ = folders
    out = tmp_path / "res"
    rc = main(
        [
            "compare",
            str(root / "train"),
            "--quick",
            "--models",
            "hog_svm",
            "--cv",
            "2",
            "--size",
            "32",
            "--no-stress",
            "--out",
            str(out),
            "-q",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    prov = metrics["provenance"]
    assert prov["command"] == metrics["command"] and prov["models"] == ["hog_svm"]
    assert prov["selection_rule"] == metrics["rank_by"]
    assert prov["threshold"] == pytest.approx(metrics["threshold"])
    assert prov["threshold_rule"] == metrics["threshold_rule"]
    assert sum(prov["data"]["counts"].values()) == metrics["n_train"]
    assert prov["versions"]["xraynet"]
    card = (out / "model_card.md").read_text(encoding="utf-8")
    assert "# Model card: hog_svm" in card and "not a medical device" in card
    assert f"{metrics['test']['roc_auc']:.3f}" in card


def test_cli_evaluate_model_taking_arrays(folders, tmp_path, capsys):
    from xraynet.cli import main

    root, _, test = folders
    data = load_image_folder(root / "train")
    X = ImageLoader(size=32).transform(data.filenames)
    path = save_model(
        make_random_forest(n_estimators=10, random_state=0).fit(X, data.target), tmp_path / "arrays"
    )
    out = tmp_path / "ext"
    rc = main(["evaluate", str(path), str(test), "--out", str(out), "--no-stress", "-q"])
    assert rc == 0, capsys.readouterr().err
    with open(out / "predictions.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 20 and all(r["path"].endswith(".jpeg") for r in rows)


def test_cli_evaluate_verbose_option(tmp_path, capsys):
    # --verbose is what main() hands to the shared quiet TensorFlow import (the fd-level
    # silencing itself is tested through predict in test_cli.py; a subprocess per case
    # here would cost ~20 s of TensorFlow start-up each)
    from xraynet.cli import build_parser, main

    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    assert "--verbose" in capsys.readouterr().out
    argv = ["evaluate", str(tmp_path / "m.skops"), str(tmp_path), "--out", str(tmp_path / "o")]
    assert build_parser().parse_args(argv).verbose is False
    assert build_parser().parse_args([*argv, "--verbose"]).verbose is True
    assert main([*argv, "--verbose"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"xraynet: error: MODEL {str(tmp_path / 'm.skops')!r} does not exist"


def _strict_loads(text):
    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_metrics_json_is_strict_json_when_a_score_is_undefined(folders, tmp_path, kermany_dir):
    # a disease-only external set: ROC AUC and the intervals are undefined
    _, model_path, test = folders
    ext = load_image_folder(test)
    sick = ext.target == 1
    m = evaluate_model(
        load_model(model_path),
        ext.filenames[sick],
        ext.target[sick],
        tmp_path,
        target_names=NAMES,
        stress=True,  # the stress summary of a one-class set is undefined, not a crash
        n_bootstraps=20,
        provenance={"data_source": str(kermany_dir)},  # where the copied films come from
    )
    assert np.isnan(m["roc_auc"])  # the Python result keeps NaN ...
    text = (tmp_path / "metrics.json").read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    saved = _strict_loads(text)  # ... the file says null, which every JSON reader takes
    assert saved["roc_auc"] is None and saved["ci95"]["roc_auc"] == [None, None]
    assert saved["at_0.5"]["roc_auc"] is None
    assert saved["sensitivity"] == pytest.approx(m["sensitivity"])
    assert saved["stress_summary"]["worst_auc_shift"] is None
    assert saved["provenance"]["data"]["counts"] == {"PNEUMONIA": 10}
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Kermany DS, Goldbaum M" in html[html.index('<section id="citations">') :]
    assert "every test image is PNEUMONIA" in html  # no ROC curve, said so


def test_cli_evaluate_records_patients_only_when_names_carry_them(folders, tmp_path, capsys):
    from xraynet.cli import main

    _, model_path, test = folders
    files = {cls: sorted((test / cls).glob("*.jpeg"))[:3] for cls in NAMES}
    plain, kermany = tmp_path / "plain", tmp_path / "kermany"
    for cls, srcs in files.items():
        for i, src in enumerate(srcs):  # the same names in both class folders
            (plain / cls).mkdir(parents=True, exist_ok=True)
            shutil.copy(src, plain / cls / f"img{i}.jpeg")
            (kermany / cls).mkdir(parents=True, exist_ok=True)
            shutil.copy(src, kermany / cls / f"person{len(cls)}{i // 2}_virus_{i}.jpeg")
    saved = {}
    for name, folder in (("plain", plain), ("kermany", kermany)):
        out = tmp_path / f"out_{name}"
        rc = main(
            ["evaluate", str(model_path), str(folder), "--out", str(out), "--no-stress", "-q"]
        )
        assert rc == 0, capsys.readouterr().err
        saved[name] = json.loads((out / "metrics.json").read_text())["provenance"]
    assert saved["plain"]["n_patients"] is None  # img0 of NORMAL is not img0 of PNEUMONIA
    assert saved["kermany"]["n_patients"] == 4  # person60, person61, person90, person91
    card = (tmp_path / "out_plain" / "model_card.md").read_text(encoding="utf-8")
    assert "- Patients: not recorded" in card
