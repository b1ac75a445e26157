"""The "Your own data" page, end to end: a PACS-style DICOM export -> model -> external validation.

Issue 16's done-criterion: a new user gets a model from a folder of DICOM
files, evaluates it on a second collection and hands in the report and the
model card. The DICOM files are made here from real Kermany JPEGs (their
pixels, a hospital's header: ``PatientID``, ``ViewPosition``, sex, age), laid
out as a PACS export ``class/patient/study/IMn`` without file extensions. The
second collection is a plain folder of other Kermany JPEGs. Runs are tiny
(``--quick --models hog_svm --cv 2 --size 32 --no-stress``).
"""

import json

import cv2
import numpy as np
import pytest

from xraynet.cli import main


@pytest.fixture(scope="module")
def export(kermany_dir, tmp_path_factory, write_dicom):
    """``pacs/{NORMAL,PNEUMONIA}/<patient>/study1/IM<k>`` (two films per patient) and
    ``second_site/{NORMAL,PNEUMONIA}/*.jpeg`` (other films, as another hospital's folder)."""
    root = tmp_path_factory.mktemp("own_data")
    patients = {}
    for cls in ("NORMAL", "PNEUMONIA"):
        files = sorted((kermany_dir / cls).glob("*.jpeg"))
        for i, src in enumerate(files[600:640]):
            pid = f"{cls[:2]}-{i // 2:03d}"
            pixels = cv2.resize(cv2.imread(str(src), cv2.IMREAD_GRAYSCALE), (96, 96))
            write_dicom(
                root / "pacs" / cls / pid / "study1" / f"IM{i % 2 + 1}",
                pixels,
                PatientID=pid,
                ViewPosition="PA" if i % 3 else "AP",
                PatientSex="F" if i % 2 else "M",
                PatientAge=f"{5 + i % 7:03d}Y",
            )
            patients[pid] = cls
        for src in files[700:712]:
            dst = root / "second_site" / cls / src.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(src.read_bytes())
    return root, patients


def _run(argv, capsys):
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == 0, err
    return out


def test_dicom_export_to_model_to_external_validation(export, tmp_path, capsys):
    root, patients = export
    results, external = tmp_path / "results", tmp_path / "external"
    tiny = ["--quick", "--models", "hog_svm", "--cv", "2", "--size", "32", "--no-stress", "-q"]
    _run(["compare", str(root / "pacs"), *tiny, "--out", str(results)], capsys)

    metrics = json.loads((results / "metrics.json").read_text())
    # the folds and the 20 % hold-out are by DICOM PatientID: two films per patient
    assert metrics["grouped_cv"] is True and metrics["grouping"].startswith("by patient (")
    n_patients = int(metrics["grouping"].split("(")[1].split()[0])
    assert n_patients == metrics["n_train"] // 2
    assert metrics["n_train"] + metrics["n_test"] == 2 * len(patients)
    model = results / metrics["model_file"]
    assert model.suffix in (".skops", ".xraynet") and model.is_file()  # a safe format
    card = (results / "model_card.md").read_text(encoding="utf-8")
    assert "not a medical device" in card and "hog_svm" in card
    assert "Provenance" in (results / "report.html").read_text(encoding="utf-8")

    out = _run(["evaluate", str(model), str(root / "second_site"), "--out", str(external),
                "--no-stress", "-q"], capsys)  # fmt: skip
    assert "AUC" in out
    saved = json.loads((external / "metrics.json").read_text())
    assert saved["n_images"] == 24
    assert saved["threshold"] == pytest.approx(metrics["threshold"])  # the model's own
    for key in ("roc_auc", "sensitivity", "specificity"):
        low, high = saved["ci95"][key]
        assert 0.0 <= low <= saved[key] <= high <= 1.0
    rows = (external / "predictions.csv").read_text().splitlines()
    assert len(rows) == 1 + 24 and all("second_site" in r for r in rows[1:])
    card = (external / "model_card.md").read_text(encoding="utf-8")
    assert "External validation" in card and "not a medical device" in card
    html = (external / "report.html").read_text(encoding="utf-8")
    assert "Provenance" in html and "ROC" in html
    assert np.isfinite(saved["roc_auc"])
