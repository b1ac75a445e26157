"""Pickle, joblib, clone, deepcopy and the .keras format."""

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
    clf = CNNClassifier(epochs=1, batch_size=20, random_state=0,
                        augmentation=Augmenter(rotation_range=10, random_state=0),
                        class_weight={"normal": 1.0, "pneumonia": 1.5})
    return clf.fit(Xtr, np.where(ytr == 1, "pneumonia", "normal"))


def test_pickle_joblib_deepcopy_clone(fitted, pneumoniamnist_small, tmp_path):
    Xte = pneumoniamnist_small[2]
    expected = fitted.predict_proba(Xte)
    for twin in (pickle.loads(pickle.dumps(fitted)), copy.deepcopy(fitted)):
        np.testing.assert_array_equal(twin.predict_proba(Xte), expected)
        assert twin.classes_.tolist() == ["normal", "pneumonia"]
        assert twin.history_ == fitted.history_
    joblib.dump(fitted, tmp_path / "m.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "m.joblib").predict_proba(Xte),
                                  expected)
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

    from xraynet.models._persistence import _decode, _encode

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
