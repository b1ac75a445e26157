"""What the second bad-input trial (benchmarks/bad_input_trial.py) found in ``xraynet predict``.

On a model of three classes ``--threshold`` was ignored while the header said
it was used; a ``metrics.json`` next to the model that is not compare's (a
JSON list, names that are not strings) crashed predict or renamed the classes;
``--size`` was ignored by models that read files themselves and failed on
every image of a network trained at another size; a model whose stored
``threshold_`` is NaN called every image normal; ``python -m xraynet`` did not
run. Models and images are real files made in
tmp_path.
"""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from xraynet.classical import make_hog_svm
from xraynet.cli import main
from xraynet.io import ImageLoader
from xraynet.models import CNNClassifier, save_model


def run(argv, capsys):
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def three_class(tmp_path_factory):
    """A HOG + SVM loader pipeline of 3 classes, saved in its own folder; its images."""
    root = tmp_path_factory.mktemp("three")
    rng = np.random.default_rng(0)
    paths = []
    for i in range(12):
        path = root / f"img{i}.png"
        cv2.imwrite(str(path), rng.integers(0, 256, (32, 32), dtype=np.uint8))
        paths.append(str(path))
    model = make_pipeline(
        ImageLoader(size=32), make_hog_svm(random_state=0, hog_params={"pixels_per_cell": 8})
    ).fit(np.asarray(paths, dtype=object), np.arange(12) % 3)
    return save_model(model, root / "model" / "three"), paths


def test_threshold_refused_for_more_than_two_classes(three_class, capsys):
    model, paths = three_class
    rc, out, err = run(["predict", model, paths[0], "--threshold", "0.99"], capsys)
    assert rc == 2 and not out
    assert err.startswith("xraynet: error: --threshold applies to two-class models")
    assert "has 3 classes (0, 1, 2)" in err and len(err.splitlines()) == 1
    rc, out, err = run(["predict", model, paths[0]], capsys)
    assert rc == 0
    assert "# predicted: the most probable class" in err and "threshold" not in err
    rc, out, _ = run(["predict", model, paths[0], "--format", "json"], capsys)
    doc = json.loads(out)
    assert doc["threshold"] is None and len(doc["predictions"]) == 1


@pytest.mark.parametrize(
    "sidecar",
    ["[1, 2]", '{"target_names": "abc"}', '{"target_names": [1, 2, 3]}', "{not json", "[" * 5000],
)
def test_foreign_metrics_json_next_to_the_model_is_ignored(three_class, capsys, sidecar):
    model, paths = three_class
    (model.parent / "metrics.json").write_text(sidecar)
    rc, out, err = run(["predict", model, paths[0]], capsys)
    assert rc == 0, err
    assert out.splitlines()[1].split("\t")[2] in {"0", "1", "2"}  # the labels, not a, b, c
    (model.parent / "metrics.json").write_text('{"target_names": ["normal", "flu", "covid"]}')
    rc, out, _ = run(["predict", model, paths[0]], capsys)
    assert rc == 0 and out.splitlines()[1].split("\t")[2] in {"normal", "flu", "covid"}


def test_python_m_xraynet_runs_the_cli(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "xraynet", "predict", "--threshold", "2", "model.skops", "x.png"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "xraynet: error: argument --threshold: expected a number in [0, 1]" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture(scope="module")
def two_class(tmp_path_factory):
    """A 16 px CNN (.keras) and a 32 px HOG + SVM loader pipeline (.skops), with images."""
    root = tmp_path_factory.mktemp("two")
    rng = np.random.default_rng(1)
    paths = []
    for i in range(8):
        path = root / f"img{i}.png"
        cv2.imwrite(str(path), rng.integers(0, 256, (40, 40), dtype=np.uint8))
        paths.append(str(path))
    X = rng.integers(0, 256, (8, 16, 16, 1), dtype=np.uint8)
    cnn = CNNClassifier(epochs=1, validation_fraction=0, random_state=0).fit(X, np.arange(8) % 2)
    hog = make_pipeline(
        ImageLoader(size=32), make_hog_svm(random_state=0, hog_params={"pixels_per_cell": 8})
    ).fit(np.asarray(paths, dtype=object), np.arange(8) % 2)
    return save_model(cnn, root / "cnn"), hog, root, paths


def test_size_the_model_cannot_use_is_refused(two_class, capsys):
    cnn, hog, root, paths = two_class
    rc, out, err = run(["predict", cnn, *paths[:3], "--size", "24"], capsys)
    assert rc == 2 and not out  # was: exit 1, each image 'could not be read'
    assert err.strip() == (
        f"xraynet: error: --size 24: MODEL {str(cnn)!r} was trained on 16x16 images "
        "and takes only those; leave --size out"
    )
    rc, out, _ = run(["predict", cnn, *paths[:3], "--size", "16"], capsys)
    assert rc == 0 and len(out.splitlines()) == 4
    skops = save_model(hog, root / "hog")
    rc, out, err = run(["predict", skops, paths[0], "--size", "64"], capsys)
    assert rc == 2 and "reads the image files itself, resizing them to 32x32" in err


@pytest.mark.parametrize("bad", [float("nan"), 2.0, -0.1])
def test_stored_threshold_outside_0_1_is_refused(two_class, capsys, bad, tmp_path):
    _, hog, _, paths = two_class
    hog.threshold_ = bad  # as a corrupt or hand-edited file would hold it
    try:
        model = save_model(hog, tmp_path / "model")
    finally:
        del hog.threshold_
    rc, out, err = run(["predict", model, paths[0]], capsys)
    assert rc == 2 and not out
    assert f"Pipeline.threshold_ is {bad!r}; a decision threshold on P(disease) must be" in err
    rc, out, _ = run(["predict", model, paths[0], "--threshold", "0.5"], capsys)
    assert rc == 0  # an explicit threshold still works


def test_stdout_closed_early_stops_quietly(two_class, tmp_path):
    cnn, _, _, paths = two_class
    proc = subprocess.Popen(
        [sys.executable, "-m", "xraynet", "predict", str(cnn), *paths],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    proc.stdout.close()  # as `| head -0` does: the reader is gone before the first row
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert "Broken pipe" not in err and "Traceback" not in err and "Exception ignored" not in err


def test_folder_dicoms_of_any_name_and_a_list_with_a_bom(two_class, tmp_path, capsys, write_dicom):
    cnn, _, _, paths = two_class
    folder = tmp_path / "pacs"
    folder.mkdir()
    ramp = (np.arange(400, dtype=np.uint16) * 10).reshape(20, 20)  # 12-bit
    uid = write_dicom(folder / "1.2.840.113619.2.55.3.1", ramp, bits_stored=12)  # PACS-style
    (folder / "notes.txt").write_text("not an image")
    cv2.imwrite(str(folder / "b.png"), np.full((20, 20), 90, np.uint8))
    rc, out, err = run(["predict", cnn, folder], capsys)
    assert rc == 0, err
    listed = [ln.split("\t")[0] for ln in out.splitlines()[1:]]
    assert listed == [str(uid), str(folder / "b.png")]  # sorted; the .txt left out
    scans = tmp_path / "scans.txt"
    scans.write_text("\n".join(paths[:2]) + "\n", encoding="utf-8-sig")  # Notepad's BOM
    rc, out, err = run(["predict", cnn, "--from-file", scans], capsys)
    assert rc == 0, err
    assert [ln.split("\t")[0] for ln in out.splitlines()[1:]] == paths[:2]


def test_non_finite_probabilities_are_errors_not_normal(two_class, tmp_path, capsys):
    from xraynet.models import load_model

    cnn, _, _, paths = two_class
    broken = load_model(cnn)
    broken.model_.set_weights(
        [np.full(w.shape, np.nan, w.dtype) for w in broken.model_.get_weights()]
    )
    model = save_model(broken, tmp_path / "nan")
    rc, out, err = run(["predict", model, *paths[:2]], capsys)
    assert rc == 1
    assert out.splitlines() == ["path\tp_disease\tpredicted"]  # no row says "0" (normal)
    assert err.count("MODEL gave non-finite probabilities [nan, nan]") == 2
    assert "2 of 2 image(s) could not be read or classified" in err


def test_opencv_log_lines_hidden_unless_verbose(two_class, tmp_path, capfd):
    import struct

    import cv2

    cnn, _, _, paths = two_class
    # a GIF whose image is larger than its screen: OpenCV logs "[ERROR:0@...] ... imdecode_"
    bad = tmp_path / "bad.gif"
    bad.write_bytes(
        b"GIF89a"
        + struct.pack("<HH", 4, 4)
        + b"\x80\x00\x00\x00\x00\x00\xff\xff\xff\x2c"
        + struct.pack("<HHHH", 0, 0, 64, 64)
        + b"\x00\x02\x02\x44\x01\x00\x3b"
    )
    level = cv2.utils.logging.getLogLevel()

    def stderr_of(*extra):  # capfd: what reaches file descriptor 2, C libraries included
        assert main(["predict", str(cnn), str(bad), paths[0], *extra]) == 1
        return capfd.readouterr().err

    quiet = stderr_of()
    assert "bad.gif: cannot load image" in quiet and "[ERROR" not in quiet
    assert cv2.utils.logging.getLogLevel() == level  # restored when main returns
    assert "[ERROR" in stderr_of("--verbose")


@pytest.mark.parametrize("classes", ["normal,", "normal,normal", " ,pneumonia"])
def test_classes_must_be_distinct_and_not_empty(two_class, capsys, classes):
    cnn, _, _, paths = two_class
    rc, out, err = run(["predict", cnn, paths[0], "--classes", classes], capsys)
    assert rc == 2 and not out  # was: a row predicted as "" or two classes of one name
    assert f"--classes {classes!r}: class names must be distinct and not empty" in err


def test_images_may_follow_the_options(two_class, capsys):
    cnn, _, _, paths = two_class
    rc, out, err = run(
        ["predict", cnn, "--classes", "normal,pneumonia", "--format", "csv", *paths[:2]], capsys
    )
    assert rc == 0, err  # was: "unrecognized arguments: img0.png img1.png" (exit 2)
    assert out.splitlines()[0] == "path,p_disease,predicted" and len(out.splitlines()) == 3
    rc, out, _ = run(["predict", cnn, paths[0], "--format", "json", paths[1]], capsys)
    assert rc == 0 and len(json.loads(out)["predictions"]) == 2
    rc, _, err = run(["predict", cnn, "--bogus", paths[0]], capsys)
    assert rc == 2 and "unrecognized arguments: --bogus" in err


def test_evaluate_out_that_is_a_file_is_refused_and_kept(two_class, tmp_path, capsys):
    # it exited 0 and moved the user's file aside to a hidden .FILE.old-PID
    cnn_path, _, root, _ = two_class
    test = tmp_path / "test"
    for k, cls in enumerate(("NORMAL", "PNEUMONIA")):
        (test / cls).mkdir(parents=True)
        for i in range(3):
            cv2.imwrite(str(test / cls / f"{i}.png"), np.full((16, 16), 60 * k + 20 * i, np.uint8))
    out = tmp_path / "notes.txt"
    out.write_text("mine")
    rc, _, err = run(["evaluate", cnn_path, test, "--out", out, "--no-stress", "-q"], capsys)
    assert rc == 2 and "--out" in err and "not a folder" in err
    assert out.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.txt",
        "test",
    ]


@pytest.mark.parametrize(
    "option, value, needle",
    [("--n-jobs", "0", "non-zero integer"), ("--size", "100000", "at most 1024 px")],
)
def test_compare_refuses_impossible_numbers_up_front(tmp_path, capsys, option, value, needle):
    # --n-jobs 0 exited 1 with the estimator's message; --size 100000 tried to allocate 205 GiB
    for cls in ("NORMAL", "PNEUMONIA"):
        (tmp_path / cls).mkdir()
    rc, _, err = run(["compare", tmp_path, option, value, "--out", tmp_path / "o"], capsys)
    assert rc == 2 and option in err and needle in err
    assert not (tmp_path / "o").exists()
