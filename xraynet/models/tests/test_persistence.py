"""Pickle, joblib, clone, deepcopy and the safe .keras / .skops / .xraynet formats."""

import copy
import json
import pickle
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from xraynet.augmentation import Augmenter
from xraynet.models import CNNClassifier, load_model, save_model


@pytest.fixture(scope="module")
def fitted(pneumoniamnist_small):
    Xtr, ytr, _, _ = pneumoniamnist_small
    clf = CNNClassifier(
        epochs=1,
        batch_size=20,
        random_state=0,
        augmentation=Augmenter(rotation_range=10, random_state=0),
        class_weight={"normal": 1.0, "pneumonia": 1.5},
    )
    return clf.fit(Xtr, np.where(ytr == 1, "pneumonia", "normal"))


def test_pickle_joblib_deepcopy_clone(fitted, pneumoniamnist_small, tmp_path):
    Xte = pneumoniamnist_small[2]
    expected = fitted.predict_proba(Xte)
    for twin in (pickle.loads(pickle.dumps(fitted)), copy.deepcopy(fitted)):
        np.testing.assert_array_equal(twin.predict_proba(Xte), expected)
        assert twin.classes_.tolist() == ["normal", "pneumonia"]
        assert twin.history_ == fitted.history_
    joblib.dump(fitted, tmp_path / "m.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "m.joblib").predict_proba(Xte), expected)
    fresh = clone(fitted)
    assert not hasattr(fresh, "model_")
    assert fresh.get_params()["augmentation__rotation_range"] == 10
    with pytest.raises(NotFittedError):
        fresh.predict(Xte)


def test_save_and_load_keras(fitted, pneumoniamnist_small, tmp_path):
    import keras

    Xte = pneumoniamnist_small[2]
    path = fitted.save(tmp_path / "cnn.keras")
    loaded = load_model(path)
    assert type(loaded) is CNNClassifier
    np.testing.assert_array_equal(loaded.predict_proba(Xte), fitted.predict_proba(Xte))
    np.testing.assert_array_equal(loaded.predict(Xte), fitted.predict(Xte))
    assert loaded.get_params(deep=False).keys() == fitted.get_params(deep=False).keys()
    assert loaded.class_weight == {"normal": 1.0, "pneumonia": 1.5}
    assert loaded.augmentation.get_params() == fitted.augmentation.get_params()
    assert loaded.history_ == fitted.history_ and loaded.input_shape_ == (28, 28, 1)
    assert loaded.classes_.dtype == fitted.classes_.dtype
    # still a plain Keras archive
    net = keras.saving.load_model(path)
    assert net.count_params() == fitted.model_.count_params()
    # the loaded estimator can be refitted (optimizer etc. restored)
    Xtr, ytr = pneumoniamnist_small[0][::4], pneumoniamnist_small[1][::4]
    loaded.set_params(augmentation=None, class_weight={0: 2.0, 1: 1.0}).fit(Xtr, ytr)
    assert loaded.classes_.tolist() == [0, 1]
    path = loaded.save(tmp_path / "int_keys.keras")
    assert load_model(path).class_weight == {0: 2.0, 1: 1.0}
    save_model(fitted, tmp_path / "again.keras")
    assert load_model(tmp_path / "again.keras").n_classes_ == 2


def test_keras_archive_is_safe(fitted, tmp_path):
    path = fitted.save(tmp_path / "cnn.keras")
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xraynet_estimator.json":
                meta = json.loads(data)
                meta["class"] = "os:system"
                data = json.dumps(meta)
            dst.writestr(item, data)
    with pytest.raises(ValueError, match="only xraynet classes"):
        load_model(bad)
    fitted.model_.save(tmp_path / "bare.keras")
    with pytest.raises(ValueError, match="without xraynet estimator metadata"):
        load_model(tmp_path / "bare.keras")
    (tmp_path / "junk.keras").write_text("not a zip")
    with pytest.raises(ValueError, match="not a .keras archive"):
        load_model(tmp_path / "junk.keras")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.keras")


def test_save_errors_and_safe_pipelines(fitted, pneumoniamnist_small, tmp_path):
    Xte = pneumoniamnist_small[2]
    with pytest.raises(NotFittedError):
        CNNClassifier().save(tmp_path / "x.keras")
    with pytest.raises(ValueError, match=r"must end in '.keras'"):
        fitted.save(tmp_path / "x.h5")
    pipe = make_pipeline(FunctionTransformer(), fitted)
    with pytest.raises(ValueError, match=r"saved as .xraynet, not .keras"):
        save_model(pipe, tmp_path / "pipe.keras")
    # a pipeline holding a network: one .xraynet bundle, the suffix chosen for the user
    path = save_model(pipe, tmp_path / "pipe")
    assert path.name == "pipe.xraynet"
    back = load_model(path)
    np.testing.assert_array_equal(back.predict_proba(Xte), fitted.predict_proba(Xte))
    assert back.steps[-1][1].history_ == fitted.history_
    # the same network in two places comes back as one object (ensembles keep members)
    from xraynet.model_selection import ProbabilityEnsemble

    ens = ProbabilityEnsemble([fitted, fitted], threshold=0.3).fit()
    back = load_model(save_model(ens, tmp_path / "ens"))
    assert back.threshold_ == 0.3 and back.estimators_[0] is back.estimators[0]
    np.testing.assert_array_equal(back.predict_proba(Xte), ens.predict_proba(Xte))
    # scikit-learn objects without a network: .skops
    dummy = DummyClassifier().fit(Xte.reshape(100, -1), pneumoniamnist_small[3])
    path = save_model(dummy, tmp_path / "d")
    assert path.suffix == ".skops" and isinstance(load_model(path), DummyClassifier)
    with pytest.raises(ValueError, match="cannot store"):
        clf = clone(fitted).set_params(random_state=np.random.RandomState(0))
        clf.__dict__.update({k: v for k, v in vars(fitted).items() if k.endswith("_")})
        clf.save(tmp_path / "rs.keras")


class _Evil:
    """Unpickling this object runs a shell command (creates a marker file)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_pickles_are_refused_unless_trusted(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "model.joblib"
    joblib.dump(_Evil(marker), evil)
    with pytest.raises(ValueError, match="trusted=True.*runs any code"):
        load_model(evil)
    assert not marker.exists()
    # the same payload disguised as a safe format is refused too
    disguised = tmp_path / "model.skops"
    disguised.write_bytes(evil.read_bytes())
    with pytest.raises(ValueError, match="not a .skops file"):
        load_model(disguised)
    assert not marker.exists()
    # with the explicit opt-in the pickle is unpickled (and so runs)
    load_model(evil, trusted=True)
    assert marker.exists()
    # writing a pickle needs an explicit .joblib path and warns
    dummy = DummyClassifier().fit([[0], [1]], [0, 1])
    with pytest.warns(UserWarning, match="trusted=True"):
        path = save_model(dummy, tmp_path / "d.joblib")
    assert isinstance(load_model(path, trusted=True), DummyClassifier)


def test_skops_file_with_foreign_types_is_refused(tmp_path):
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer as FT

    path = tmp_path / "f.skops"
    sio.dump(FT(func=print), path)  # a reference to a builtin function
    with pytest.raises(ValueError, match="does not load: builtins.print"):
        load_model(path)


def test_metadata_encoding_roundtrip():
    import keras

    from xraynet.models._keras_archive import _decode, _encode

    values = {
        "opt": keras.optimizers.SGD(learning_rate=0.2, momentum=0.9),
        "cls": keras.optimizers.Adam,
        "aug": Augmenter(rotation_range=7, brightness_range=(0.9, 1.1)),
        "tuple": (1, 2.5, "a", None, True),
        "arr": np.array(["x", "y"]),
        "ints": np.array([3, 1], dtype=np.int64),
        "npnum": np.float32(0.5),
    }
    back = _decode(json.loads(json.dumps(_encode(values, "test"))))
    assert isinstance(back["opt"], keras.optimizers.SGD) and back["opt"].momentum == 0.9
    assert back["cls"] is keras.optimizers.Adam
    assert back["aug"].get_params() == values["aug"].get_params()
    assert back["tuple"] == (1, 2.5, "a", None, True)
    assert back["arr"].tolist() == ["x", "y"] and back["arr"].dtype == values["arr"].dtype
    assert back["ints"].dtype == np.int64 and back["npnum"] == 0.5
    # clone copes with an optimizer instance as a parameter
    clf = clone(CNNClassifier(optimizer=back["opt"]))
    assert isinstance(clf.optimizer, keras.optimizers.SGD) and clf.optimizer is not back["opt"]


# ----------------------------------------------------------------------------------------
# Safe formats on random images (no shared data needed): .keras, .skops, .xraynet bundles
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def random_images():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, (32, 28, 28, 1), dtype=np.uint8)
    return X, np.arange(32) % 2


@pytest.fixture(scope="module")
def tiny_cnn(random_images):
    X, y = random_images
    return CNNClassifier(
        epochs=1,
        batch_size=8,
        random_state=0,
        augmentation=Augmenter(rotation_range=5, random_state=0),
    ).fit(X, y)


def _roundtrip(estimator, path, X):
    path = save_model(estimator, path)
    back = load_model(path)
    assert type(back) is type(estimator)
    np.testing.assert_array_equal(back.predict_proba(X), estimator.predict_proba(X))
    return path, back


def test_bare_network_roundtrip_keeps_extra_fitted_attributes(tiny_cnn, random_images, tmp_path):
    X = random_images[0]
    tiny_cnn.threshold_ = np.float32(0.37)
    tiny_cnn.operating_point_ = {"sensitivity": 0.9, "specificity": 0.8}
    try:
        path, back = _roundtrip(tiny_cnn, tmp_path / "cnn", X)
    finally:
        del tiny_cnn.threshold_, tiny_cnn.operating_point_
    assert path.name == "cnn.keras"
    assert back.threshold_ == np.float32(0.37) and type(back.threshold_) is np.float32
    assert back.operating_point_ == {"sensitivity": 0.9, "specificity": 0.8}
    assert back.history_ == tiny_cnn.history_


@pytest.mark.parametrize("factory", ["hog_svm", "forest_hog", "forest_pixels"])
def test_classical_pipelines_roundtrip_through_skops(factory, random_images, tmp_path):
    import skops.io as sio

    from xraynet.classical import make_hog_svm, make_random_forest

    X, y = random_images
    model = {
        "hog_svm": lambda: make_hog_svm(),
        "forest_hog": lambda: make_random_forest(n_estimators=5),
        "forest_pixels": lambda: make_random_forest(features="pixels", n_estimators=5),
    }[factory]().fit(X, y)
    model.threshold_ = 0.42
    path, back = _roundtrip(model, tmp_path / factory, X)
    assert path.suffix == ".skops" and back.threshold_ == 0.42
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    assert back[0].get_params() == model[0].get_params()
    assert back[0].input_shape_ == model[0].input_shape_
    # the types skops does not trust itself are all from the accepted packages
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted and all(t.startswith(("sklearn.", "xraynet.")) for t in untrusted)


def test_xraynet_transformers_roundtrip_through_skops(random_images, tmp_path):
    from xraynet.classical import HOGTransformer, ImageFlattener
    from xraynet.io import ImageLoader

    X = random_images[0]
    for est in (
        ImageLoader(size=(20, 24), color="rgb", keep_aspect=True),
        HOGTransformer(pixels_per_cell=4, n_jobs=2),
        ImageFlattener(),
        Augmenter(rotation_range=10, brightness_range=(0.8, 1.2), random_state=3),
    ):
        est.fit(X)
        path = save_model(est, tmp_path / type(est).__name__)
        back = load_model(path)
        assert path.suffix == ".skops" and type(back) is type(est)
        assert back.get_params() == est.get_params()
        assert {k: v for k, v in vars(back).items() if k.endswith("_")} == {
            k: v for k, v in vars(est).items() if k.endswith("_")
        }
        if not isinstance(est, Augmenter):
            np.testing.assert_array_equal(back.transform(X), est.transform(X))


def test_loader_pipeline_with_network_is_one_bundle(tiny_cnn, random_images, tmp_path):
    import cv2
    import skops.io as sio
    from sklearn.pipeline import Pipeline

    from xraynet.io import ImageLoader

    X = random_images[0]
    paths = []
    for i, img in enumerate(X[:6]):
        paths.append(str(tmp_path / f"x{i}.png"))
        cv2.imwrite(paths[-1], img)
    pipe = Pipeline([("load", ImageLoader(size=28)), ("model", tiny_cnn)])
    pipe.threshold_ = 0.3
    path = save_model(pipe, tmp_path / "out" / "model")
    assert path == tmp_path / "out" / "model.xraynet"
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["manifest.json", "net-0.keras", "skeleton.skops"]
        manifest = json.loads(zf.read("manifest.json"))
        skeleton = zf.read("skeleton.skops")
    assert manifest["networks"] == ["net-0.keras"] and manifest["format"] == 1
    assert not any("keras" in t or "scikeras" in t for t in sio.get_untrusted_types(data=skeleton))
    back = load_model(path)
    np.testing.assert_array_equal(back.predict_proba(paths), pipe.predict_proba(paths))
    assert back.threshold_ == 0.3 and back["model"].history_ == tiny_cnn.history_
    assert back["load"].get_params() == pipe["load"].get_params()
    # the original pipeline is untouched by saving
    assert pipe["model"] is tiny_cnn and hasattr(tiny_cnn, "model_")


def test_meta_estimators_around_networks_roundtrip(tiny_cnn, random_images, tmp_path):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import VotingClassifier
    from sklearn.utils import Bunch

    from xraynet.classical import make_hog_svm

    X, y = random_images
    cal = CalibratedClassifierCV(CNNClassifier(epochs=1, batch_size=8, random_state=0), cv=2).fit(
        X, y
    )
    path, back = _roundtrip(cal, tmp_path / "cal", X)
    assert path.suffix == ".xraynet"
    with zipfile.ZipFile(path) as zf:  # two fold networks + the unfitted template
        assert json.loads(zf.read("manifest.json"))["networks"] == [
            "net-0.json",
            "net-1.keras",
            "net-2.keras",
        ]
    assert not hasattr(back.estimator, "model_")
    assert back.estimator.get_params() == cal.estimator.get_params()

    vote = VotingClassifier(
        [("cnn", CNNClassifier(epochs=1, batch_size=8, random_state=0)), ("hog", make_hog_svm())],
        voting="soft",
    ).fit(X, y)
    path, back = _roundtrip(vote, tmp_path / "vote", X)
    assert type(back.named_estimators_) is Bunch
    assert back.named_estimators_.cnn is back.estimators_[0]  # shared members stay shared
    assert not hasattr(back.estimators[0][1], "model_")  # the unfitted template


@pytest.mark.parametrize("name", ["model.joblib", "model.pkl", "model.bin", "model"])
def test_malicious_pickle_never_runs_without_opt_in(name, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / name
    with open(path, "wb") as f:
        pickle.dump(_Evil(marker), f)
    with pytest.raises(ValueError, match="looks like a pickle.*trusted=True.*runs any code"):
        load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize("suffix", [".keras", ".skops", ".xraynet"])
def test_pickle_with_a_safe_suffix_is_refused_even_when_trusted(suffix, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / f"model{suffix}"
    joblib.dump(_Evil(marker), path)
    for trusted in (False, True):
        with pytest.raises(ValueError, match=rf"not a \{suffix} .*not a zip file.*pickle"):
            load_model(path, trusted=trusted)
    assert not marker.exists()


def _bundle_with(tmp_path, source, replace):
    """A copy of bundle ``source`` with some entries replaced (name -> bytes or None)."""
    out = tmp_path / "tampered.xraynet"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = replace.get(item.filename, src.read(item.filename))
            if data is not None:
                dst.writestr(item.filename, data)
        for name, data in replace.items():
            if name not in src.namelist() and data is not None:
                dst.writestr(name, data)
    return out


def test_tampered_bundles_are_refused(tiny_cnn, tmp_path):
    import skops.io as sio

    pipe = make_pipeline(FunctionTransformer(), tiny_cnn)
    good = save_model(pipe, tmp_path / "good")
    # a skeleton calling out to a function outside the accepted set
    evil = sio.dumps(make_pipeline(FunctionTransformer(func=print)))
    bad = _bundle_with(tmp_path, good, {"skeleton.skops": evil})
    with pytest.raises(ValueError, match="does not load: builtins.print"):
        load_model(bad)
    # entry names that would write outside the scratch folder
    escape = "net-0.keras/../../../escaped.keras"
    bad = _bundle_with(
        tmp_path,
        good,
        {"manifest.json": json.dumps({"format": 1, "networks": [escape]}), escape: b"x"},
    )
    with pytest.raises(ValueError, match="unexpected network entry"):
        load_model(bad)
    assert not list(tmp_path.parent.rglob("escaped.keras"))
    # a network named by the manifest but absent, a manifest of another format
    bad = _bundle_with(tmp_path, good, {"net-0.keras": None})
    with pytest.raises(ValueError, match="net-0.keras is missing"):
        load_model(bad)
    bad = _bundle_with(
        tmp_path, good, {"manifest.json": json.dumps({"format": 99, "networks": []})}
    )
    with pytest.raises(ValueError, match="unsupported .xraynet bundle format 99"):
        load_model(bad)
    # the network's metadata naming a class outside xraynet
    with zipfile.ZipFile(good) as zf:
        net = zf.read("net-0.keras")
    inner = tmp_path / "inner.keras"
    inner.write_bytes(net)
    with zipfile.ZipFile(inner) as src, zipfile.ZipFile(tmp_path / "evil.keras", "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xraynet_estimator.json":
                data = json.dumps({**json.loads(data), "class": "subprocess:Popen"})
            dst.writestr(item, data)
    bad = _bundle_with(tmp_path, good, {"net-0.keras": (tmp_path / "evil.keras").read_bytes()})
    with pytest.raises(ValueError, match="net-0.keras.*only xraynet classes"):
        load_model(bad)


def test_skops_policy_and_trusted_opt_in(tmp_path):
    import skops.io as sio

    path = tmp_path / "f.skops"
    sio.dump(FunctionTransformer(func=print), path)
    with pytest.raises(ValueError, match="does not load: builtins.print.*trusted=True"):
        load_model(path)
    assert load_model(path, trusted=True).func is print
    # saving refuses up front what loading would refuse; no file is left behind
    with pytest.raises(ValueError, match="holds builtins.print"):
        save_model(FunctionTransformer(func=print), tmp_path / "g")
    assert not list(tmp_path.glob("g*"))
    # public scoring functions are accepted, other functions of trusted packages are not
    from xraynet.models._skops_policy import _is_accepted

    assert _is_accepted("sklearn.metrics._ranking.roc_auc_score")
    assert _is_accepted("xraynet.metrics._classification.specificity_score")
    assert _is_accepted("sklearn.calibration._CalibratedClassifier")
    assert not _is_accepted("numpy.save")
    assert not _is_accepted("sklearn.utils._testing.assert_run_python_script_without_output")
    assert not _is_accepted("xraynet.cli.main") and not _is_accepted("os.system")


def test_missing_corrupt_and_misnamed_files(tiny_cnn, random_images, tmp_path):
    X, y = random_images
    with pytest.raises(FileNotFoundError, match="no such model file"):
        load_model(tmp_path / "missing.xraynet")
    with pytest.raises(ValueError, match="is a folder"):
        load_model(tmp_path)
    (tmp_path / "empty.skops").write_bytes(b"")
    with pytest.raises(ValueError, match="is empty"):
        load_model(tmp_path / "empty.skops")
    dummy = DummyClassifier().fit(X.reshape(len(X), -1), y)
    good = save_model(dummy, tmp_path / "d")
    (tmp_path / "cut.skops").write_bytes(good.read_bytes()[:-40])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        load_model(tmp_path / "cut.skops")
    with zipfile.ZipFile(tmp_path / "noschema.skops", "w") as zf:
        zf.writestr("other.txt", "hello")
    with pytest.raises(ValueError, match="zip file but not a .skops file"):
        load_model(tmp_path / "noschema.skops")
    with zipfile.ZipFile(tmp_path / "badschema.skops", "w") as zf:
        zf.writestr("schema.json", "{not json")
    with pytest.raises(ValueError, match="not a valid .skops file"):
        load_model(tmp_path / "badschema.skops")
    # suffix and content disagree: a clear message naming the right suffix
    bundle = save_model(make_pipeline(FunctionTransformer(), tiny_cnn), tmp_path / "p")
    renamed = tmp_path / "p.keras"
    renamed.write_bytes(bundle.read_bytes())
    with pytest.raises(ValueError, match=r"holds a .xraynet model bundle.*'p.xraynet'"):
        load_model(renamed)
    # a suffix that is no model format: the content decides
    other = tmp_path / "p.zip"
    other.write_bytes(good.read_bytes())
    assert isinstance(load_model(other), DummyClassifier)
    (tmp_path / "w.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 32)
    with pytest.raises(ValueError, match="not a .keras, .skops or .xraynet model file"):
        load_model(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="cannot unpickle"):
        load_model(tmp_path / "w.h5", trusted=True)
    # saving: a safe suffix that does not fit the estimator
    with pytest.raises(ValueError, match=r"saved as .skops, not .xraynet"):
        save_model(dummy, tmp_path / "d.xraynet")
    with pytest.raises(ValueError, match=r"saved as .keras, not .skops"):
        save_model(tiny_cnn, tmp_path / "c.skops")
    assert save_model(dummy, tmp_path / "fold.3").name == "fold.3.skops"
