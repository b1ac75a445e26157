"""``xraynet compare --labels TABLE.csv``: a labels CSV instead of a class-folder tree.

Real Kermany JPEGs are copied into a tmp folder and listed in CSV tables the
way a site exports them (own column names, own class names, patient ids in a
column). Runs are tiny (``--quick --models hog_svm --cv 2 --size 32``).
"""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from xraynet.cli import main


def run(argv, capsys):
    """Run the CLI; return (exit status, stdout, stderr)."""
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse usage errors
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def assert_user_error(rc, err, *fragments):
    """Exit status 2 and one ``xraynet: error:`` line holding every fragment."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("xraynet: error: ") and "Traceback" not in err
    for f in fragments:
        assert f in lines[0], lines[0]


TINY = ["--quick", "--models", "hog_svm", "--cv", "2", "--size", "32", "--no-stress", "-q"]


@pytest.fixture(scope="module")
def site(kermany_dir, tmp_path_factory):
    """A site export: flat ``images/`` of real JPEGs renamed to opaque ids, and tables.

    ``train.csv`` / ``test.csv`` (columns ``file``, ``finding``, ``pid``) list
    them with paths relative to the CSV's folder; labels are ``clear`` and
    ``opacity``, which xraynet does not recognise as normal by itself; two
    images per patient. ``kermany.csv`` lists the original Kermany names
    (columns ``path``, ``label``), whose names carry patient ids.
    """
    root = tmp_path_factory.mktemp("site")
    (root / "images").mkdir()
    rows, kermany = [], []
    for src, label in (("NORMAL", "clear"), ("PNEUMONIA", "opacity")):
        files = sorted((kermany_dir / src).glob("*.jpeg"))[400:418]
        for i, f in enumerate(files):
            name = f"{label[0]}{i:03d}.jpeg"
            shutil.copy(f, root / "images" / name)
            rows.append({"file": f"images/{name}", "finding": label, "pid": f"{label}{i // 2}"})
            shutil.copy(f, root / "images" / f.name)
            kermany.append({"path": f"images/{f.name}", "label": src})
    table = pd.DataFrame(rows)
    is_test = table["pid"].str.slice(-1).astype(int) >= 7  # patients 7, 8 of each class
    table[~is_test].to_csv(root / "train.csv", index=False)
    table[is_test].to_csv(root / "test.csv", index=False)
    pd.DataFrame(kermany).to_csv(root / "kermany.csv", index=False)
    return root


def test_help_shows_the_labels_options(capsys):
    rc, out, _ = run(["compare", "--help"], capsys)
    assert rc == 0
    text = " ".join(out.split())
    for option in ("--labels CSV", "--path-column COL", "--label-column COL", "--patient-column"):
        assert option in text
    assert "relative to the CSV's folder" in text
    assert "xraynet compare --labels labels.csv" in text  # an example


def test_labels_argument_errors_name_the_option(site, tmp_path, capsys):
    train = str(site / "train.csv")
    cols = ["--path-column", "file", "--label-column", "finding"]
    out = ["--out", str(tmp_path / "r")]
    # exactly one source
    rc, _, err = run(["compare", str(site), "--labels", train, *out], capsys)
    assert_user_error(rc, err, "DATA_DIR and --labels")
    rc, _, err = run(["compare", "--dataset", "pneumoniamnist", "--labels", train], capsys)
    assert_user_error(rc, err, "--labels and --dataset")
    rc, _, err = run(["compare", "--labels", str(site / "nope.csv"), *out], capsys)
    assert_user_error(rc, err, "--labels", "nope.csv", "is not a file")
    # options that need a table
    rc, _, err = run(["compare", str(site), "--patient-column", "pid", *out], capsys)
    assert_user_error(rc, err, "--patient-column", "--labels")
    rc, _, err = run(["compare", str(site), "--label-column", "finding", *out], capsys)
    assert_user_error(rc, err, "--label-column", "--labels")
    rc, _, err = run(
        [
            "compare",
            "--labels",
            train,
            *cols,
            "--patient-column",
            "pid",
            "--patient-pattern",
            "(x)",
        ],
        capsys,
    )
    assert_user_error(rc, err, "--patient-column", "--patient-pattern", "not both")
    rc, _, err = run(["compare", "--labels", train, *cols, "--test", str(site / "no.csv")], capsys)
    assert_user_error(rc, err, "--test", "does not exist")
    assert not (tmp_path / "r").exists()


def test_labels_table_errors_name_the_option(site, tmp_path, capsys):
    train = str(site / "train.csv")
    cols = ["--path-column", "file", "--label-column", "finding"]
    out = ["--out", str(tmp_path / "r")]
    # the default column names are not this table's: the error lists the columns
    rc, _, err = run(["compare", "--labels", train, *out], capsys)
    assert_user_error(rc, err, "--labels", "--path-column 'path'", "'file', 'finding', 'pid'")
    rc, _, err = run(["compare", "--labels", train, "--path-column", "file", *out], capsys)
    assert_user_error(rc, err, "--label-column 'label'")
    rc, _, err = run(["compare", "--labels", train, *cols, "--patient-column", "id", *out], capsys)
    assert_user_error(rc, err, "--patient-column 'id'")
    # the labels are not recognisable as normal: --normal names one, and must be one
    rc, _, err = run(["compare", "--labels", train, *cols, *out], capsys)
    assert_user_error(rc, err, "--labels", "--normal NAME")
    rc, _, err = run(["compare", "--labels", train, *cols, "--normal", "normal", *out], capsys)
    assert_user_error(rc, err, "--normal 'normal' is not a label", "clear, opacity")
    # one class
    table = pd.read_csv(train)
    one = site / "one_class.csv"
    table[table["finding"] == "clear"].to_csv(one, index=False)
    rc, _, err = run(["compare", "--labels", str(one), *cols, "--normal", "clear", *out], capsys)
    assert_user_error(rc, err, "--labels", "only one class", "'clear'")
    # a row whose file does not exist is never dropped silently
    missing = site / "missing_file.csv"
    extra = pd.DataFrame([{"file": "images/gone.jpeg", "finding": "clear", "pid": "x"}])
    pd.concat([table, extra]).to_csv(missing, index=False)
    rc, _, err = run(["compare", "--labels", str(missing), *cols, "--normal", "clear"], capsys)
    assert_user_error(rc, err, "--labels", "1 row(s)", "gone.jpeg", "--skip-unreadable")
    # a CSV --test is checked the same way
    args = ["compare", "--labels", train, *cols, "--normal", "clear", "--test", str(one)]
    rc, _, err = run([*args, *out], capsys)
    assert_user_error(rc, err, "--test", "only one class")
    assert not (tmp_path / "r").exists()


def test_compare_labels_csv_patient_column_csv_test_and_skip_unreadable(
    site, tmp_path, capsys, monkeypatch
):
    # a corrupt image and a missing one in the training table: left out and listed
    # (the corrupt one outside the CSV's folder, by absolute path)
    table = pd.read_csv(site / "train.csv")
    bad = tmp_path / "corrupt.jpeg"
    bad.write_bytes(b"not a jpeg at all")
    extra = pd.DataFrame(
        [
            {"file": str(bad), "finding": "opacity", "pid": "opacity0"},
            {"file": "images/gone.jpeg", "finding": "clear", "pid": "clear0"},
        ]
    )
    train = tmp_path / "site_copy" / "train_dirty.csv"
    shutil.copytree(site / "images", train.parent / "images")
    pd.concat([table, extra]).to_csv(train, index=False)
    monkeypatch.chdir(tmp_path)  # relative paths resolve against the CSV's folder, not here
    out = tmp_path / "results"
    rc, _, err = run(
        [
            "compare",
            "--labels",
            str(train),
            "--test",
            str(site / "test.csv"),
            "--path-column",
            "file",
            "--label-column",
            "finding",
            "--patient-column",
            "pid",
            "--normal",
            "clear",
            "--skip-unreadable",
            *TINY,
            "--out",
            str(out),
        ],
        capsys,
    )
    assert rc == 0, err
    assert "left out 2 unreadable file(s)" in err
    metrics = json.loads((out / "metrics.json").read_text())
    assert sorted(metrics["skipped_files"]) == sorted(
        [str(bad), str(train.parent / "images" / "gone.jpeg")]
    )
    assert metrics["target_names"] == ["clear", "opacity"]  # --normal first
    assert metrics["data"] == str(train)
    # patients from the column: 7 per class in the training table
    assert metrics["grouped_cv"] is True
    assert metrics["grouping"] == "by patient (14 patients)"
    assert metrics["n_train"] == len(table)
    # the test split is the test table, every row, paths resolved against its folder
    test = pd.read_csv(site / "test.csv")
    preds = pd.read_csv(out / "test_predictions.csv")
    assert metrics["n_test"] == len(test) == len(preds)
    assert sorted(preds["path"]) == sorted(str(site / f) for f in test["file"])
    assert preds.set_index("path")["true"].to_dict() == {
        str(site / f): y for f, y in zip(test["file"], test["finding"])
    }


def test_compare_labels_csv_groups_by_file_names_without_patient_column(site, tmp_path, capsys):
    # no --patient-column: Kermany-style names still carry the patient ids
    out = tmp_path / "kermany"
    rc, _, err = run(
        ["compare", "--labels", str(site / "kermany.csv"), *TINY, "--out", str(out)], capsys
    )
    assert rc == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["target_names"] == ["NORMAL", "PNEUMONIA"]
    assert metrics["grouping"].startswith("by patient (")
    # opaque names and no column: grouping off, and metrics.json says why
    out = tmp_path / "opaque"
    rc, _, err = run(
        [
            "compare",
            "--labels",
            str(site / "train.csv"),
            "--path-column",
            "file",
            "--label-column",
            "finding",
            "--normal",
            "clear",
            *TINY,
            "--out",
            str(out),
        ],
        capsys,
    )
    assert rc == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["grouped_cv"] is False
    assert metrics["grouping"] == "off: file names carry no patient ids"
    assert Path(metrics["model_file"]).suffix in (".skops", ".xraynet")
