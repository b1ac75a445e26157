"""What the second bad-input trial (benchmarks/bad_input_trial.py) found in load_model.

A FIFO given as the model file made load_model wait forever for a writer;
tampered metadata (deeply nested, a list where a dict belongs, a zip-bomb
entry) raised RecursionError / TypeError or was read whole into memory. Each
is now a ValueError naming the file. Every model file is real, written in
tmp_path.
"""

import json
import os
import threading
import zipfile

import numpy as np
import pytest

from xraynet.models import CNNClassifier, load_model, save_model
from xraynet.models._keras_archive import MAX_JSON_BYTES


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (8, 16, 16, 1), dtype=np.uint8)
    clf = CNNClassifier(epochs=1, validation_fraction=0, random_state=0).fit(X, np.arange(8) % 2)
    return save_model(clf, tmp_path_factory.mktemp("model") / "cnn")


def _with_meta(src, dst, meta_text):
    """A copy of the .keras archive ``src`` whose xraynet metadata is ``meta_text``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename != "xraynet_estimator.json":
                zout.writestr(item, zin.read(item))
        zout.writestr("xraynet_estimator.json", meta_text)
    return dst


def _meta(archive):
    with zipfile.ZipFile(archive) as z:
        return json.loads(z.read("xraynet_estimator.json"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
@pytest.mark.parametrize("trusted", [False, True])
def test_fifo_model_refused_without_blocking(tmp_path, trusted):
    fifo = tmp_path / "model.keras"
    os.mkfifo(fifo)
    box = {}

    def run():
        try:
            load_model(fifo, trusted=trusted)
        except Exception as exc:  # noqa: BLE001 - inspected below
            box["exc"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        with open(fifo, "wb"):  # let the blocked open return, then fail the test
            pass
        pytest.fail("load_model blocked on a FIFO")
    assert isinstance(box.get("exc"), ValueError)
    assert "model.keras is not a regular file (a FIFO" in str(box["exc"])


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_device_model_refused(tmp_path):
    link = tmp_path / "model.joblib"
    link.symlink_to("/dev/zero")
    with pytest.raises(ValueError, match="model.joblib is not a regular file"):
        load_model(link, trusted=True)


def test_deeply_nested_metadata_is_a_value_error(archive, tmp_path):
    bad = _with_meta(archive, tmp_path / "deep.keras", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match=r"deep\.keras: corrupt xraynet_estimator.json.*Recursion"):
        load_model(bad)


def test_metadata_of_the_wrong_shape_names_the_file(archive, tmp_path):
    meta = _meta(archive)
    meta["params"] = [1, 2]  # a list where the parameters dict belongs
    bad = _with_meta(archive, tmp_path / "list.keras", json.dumps(meta))
    with pytest.raises(ValueError, match=r"list\.keras: corrupt xraynet_estimator.json.*TypeError"):
        load_model(bad)
    meta = _meta(archive)
    meta["params"]["__dict__"].append(["no_such_parameter", 1])
    bad = _with_meta(archive, tmp_path / "param.keras", json.dumps(meta))
    with pytest.raises(ValueError, match=r"param\.keras: corrupt.*no_such_parameter"):
        load_model(bad)
    meta = _meta(archive)
    meta["class"] = "os:system"
    bad = _with_meta(archive, tmp_path / "foreign.keras", json.dumps(meta))
    with pytest.raises(ValueError, match=r"foreign\.keras: refusing to load class 'os:system'"):
        load_model(bad)


def test_zip_bomb_metadata_refused_before_reading(archive, tmp_path):
    text = json.dumps(_meta(archive)) + " " * MAX_JSON_BYTES  # valid JSON, 64 MiB of padding
    bad = _with_meta(archive, tmp_path / "bomb.keras", text)
    assert bad.stat().st_size < archive.stat().st_size + 1024**2  # deflate packs it ~1000:1
    with pytest.raises(ValueError, match=r"bomb\.keras: xraynet_estimator.json is 67,1\d\d,\d\d\d"):
        load_model(bad)
    assert load_model(archive).n_classes_ == 2  # the genuine archive still loads


def test_bundle_template_with_invalid_json_names_the_entry(tmp_path):
    from sklearn.ensemble import VotingClassifier

    voting = VotingClassifier([("cnn", CNNClassifier(epochs=1))], voting="soft")
    path = save_model(voting, tmp_path / "vote")  # an unfitted template: net-0.json
    bad = tmp_path / "bad.xraynet"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            payload = zin.read(item)
            zout.writestr(item, b"{not json" if item.filename == "net-0.json" else payload)
    with pytest.raises(ValueError, match=r"bad\.xraynet: corrupt net-0\.json"):
        load_model(bad)
    assert isinstance(load_model(path), VotingClassifier)


def test_a_results_folder_given_as_the_model_names_the_model_inside(archive, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    with pytest.raises(ValueError, match=r"results is a folder; .*single files") as info:
        load_model(results)
    assert "It holds" not in str(info.value)
    (results / "model.keras").write_bytes(archive.read_bytes())
    (results / "leaderboard.csv").write_text("model\n")
    with pytest.raises(ValueError, match=r"It holds '.*results/model\.keras': load that\."):
        load_model(results)


# ---------------------------------------------------------------- the skops type policy
def _skops_file(path, obj):
    import skops.io as sio

    path.write_bytes(sio.dumps(obj))
    return path


def test_skops_numpy_datasource_cannot_delete_a_folder(tmp_path):
    """numpy's DataSource removes its folder in __del__: a .skops file could point it
    at any folder, deleted when the loaded object was garbage-collected."""
    import gc

    from numpy.lib.npyio import DataSource

    victim = tmp_path / "patients"
    victim.mkdir()
    (victim / "scan.png").write_bytes(b"precious")
    bait = DataSource.__new__(DataSource)
    bait.__dict__.update(_destpath=str(victim), _istmpdest=True)
    path = _skops_file(tmp_path / "model.skops", {"model": "x", "cache": bait})
    bait._istmpdest = False  # this test's own copy must not delete it either
    with pytest.raises(
        ValueError, match=r"model\.skops holds types .*numpy\.lib\.npyio\.DataSource"
    ):
        load_model(path)
    gc.collect()
    assert (victim / "scan.png").read_bytes() == b"precious"


def test_skops_scipy_distribution_cannot_run_code(tmp_path):
    """scipy.stats distributions exec their _parse_arg_template in __setstate__."""
    import scipy.stats as st

    marker = tmp_path / "pwned"
    dist = type(st.norm).__new__(type(st.norm))
    state = {k: v for k, v in vars(st.norm).items() if not callable(v)}
    state["_parse_arg_template"] = (
        f"open({str(marker)!r}, 'w').close()\n"
        + "".join(f"def {f}(self): pass\n" for f in ("_parse_args", "_parse_args_stats"))
        + "def _parse_args_rvs(self): pass\n"
    )
    dist.__dict__.update(state)
    path = _skops_file(tmp_path / "model.skops", dist)
    with pytest.raises(
        ValueError, match=r"holds types .*scipy\.stats\._continuous_distns\.norm_gen"
    ):
        load_model(path)
    assert not marker.exists()


def test_skops_re_exported_foreign_class_is_refused(tmp_path):
    """A name under sklearn.* that reaches another package's class is not a sklearn class."""
    from sklearn.preprocessing import StandardScaler

    src = _skops_file(tmp_path / "scaler.skops", StandardScaler())
    bad = tmp_path / "reexport.skops"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            payload = zin.read(item)
            if item.filename == "schema.json":
                schema = json.loads(payload)
                schema["__module__"], schema["__class__"] = "sklearn.datasets._openml", "Request"
                payload = json.dumps(schema).encode()
            zout.writestr(item, payload)
    with pytest.raises(ValueError, match=r"holds types .*sklearn\.datasets\._openml\.Request"):
        load_model(bad)
    assert type(load_model(src)) is StandardScaler  # the genuine file still loads


def test_a_failing_save_leaves_the_previous_model_intact(archive, tmp_path):
    import keras

    class Unsaveable(keras.layers.Layer):
        def get_config(self):
            raise RuntimeError("cannot describe this layer")

    target = tmp_path / "model.keras"
    target.write_bytes(archive.read_bytes())  # the model of a previous run
    before = target.read_bytes()
    clf = load_model(archive)
    clf.model_ = keras.Sequential([keras.Input((16, 16, 1)), Unsaveable()])
    with pytest.raises(Exception, match="cannot describe this layer"):
        save_model(clf, target)  # Keras fails half-way through writing the archive
    assert target.read_bytes() == before  # was: a truncated archive in its place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]  # no temp left
    assert load_model(target).n_classes_ == 2
