"""Saving and loading fitted estimators.

Two formats:

* ``.keras`` (xraynet Keras estimators only): the regular Keras v3 archive
  written by ``model_.save`` -- still loadable by ``keras.saving.load_model``
  -- with one extra zip entry, ``xraynet_estimator.json``, holding the
  estimator class, its constructor parameters and its fitted attributes
  (``classes_``, ``history_``, ...). Loading uses Keras ``safe_mode=True``
  and only instantiates classes defined inside the ``xraynet`` package and
  Keras optimizers, so it does not execute arbitrary code.
* ``.skops`` (scikit-learn objects without a network: HOG + SVM, forests,
  loader pipelines): :mod:`skops.io`, which rebuilds objects without
  unpickling; loading accepts the types skops trusts (scikit-learn, NumPy,
  SciPy) plus scikit-learn's private helper classes and classes of the
  ``xraynet`` package, and refuses anything else.
* ``.xraynet`` (a scikit-learn object holding xraynet networks, e.g. a
  Pipeline ``ImageLoader -> ProbabilityEnsemble`` of fold CNNs): a zip with
  ``skeleton.skops`` (the object with every network replaced by a numbered
  slot) and ``net-<i>.keras`` per network, put back together on load.

Pickle / joblib files are written only on request (a ``.joblib`` path) and
loaded only with ``trusted=True``: unpickling runs whatever code the file
holds.
"""

import copy
import importlib
import json
import zipfile
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

__all__ = ["save_model", "load_model", "save_keras_estimator", "load_keras_estimator"]

_SKOPS_SUFFIX = ".skops"
_BUNDLE_SUFFIX = ".xraynet"
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
_SKELETON = "skeleton.skops"
# Classes skops does not trust by itself but xraynet rebuilds: its own and scikit-learn's
# private helpers (e.g. sklearn.calibration._CalibratedClassifier). Functions and other
# modules' classes stay refused.
_TRUSTED_PREFIXES = ("xraynet.", "sklearn.")

_META_NAME = "xraynet_estimator.json"
_FORMAT = 1
_KERAS_SUFFIX = ".keras"


def _class_path(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


def _import_xraynet_class(path, base=BaseEstimator):
    module_name, _, qualname = path.partition(":")
    if not (module_name == "xraynet" or module_name.startswith("xraynet.")) or "." in qualname:
        raise ValueError(f"refusing to load class {path!r}: only xraynet classes are allowed.")
    cls = getattr(importlib.import_module(module_name), qualname, None)
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ValueError(f"{path!r} is not an xraynet {base.__name__} class.")
    return cls


def _encode(value, where):
    import keras

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, list):
        return [_encode(v, where) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, where) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k, where), _encode(v, where)] for k, v in value.items()]}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufUS":
        return {"__ndarray__": _encode(value.tolist(), where), "dtype": value.dtype.str}
    if isinstance(value, BaseEstimator) and type(value).__module__.startswith("xraynet."):
        return {
            "__estimator__": _class_path(type(value)),
            "params": _encode(value.get_params(deep=False), where),
        }
    if isinstance(value, keras.optimizers.Optimizer):
        return {"__keras_optimizer__": keras.optimizers.serialize(value)}
    if isinstance(value, type) and issubclass(value, keras.optimizers.Optimizer):
        if getattr(keras.optimizers, value.__name__, None) is value:
            return {"__keras_optimizer_class__": value.__name__}
    raise ValueError(
        f"cannot store {where}={value!r} in a .keras file; save with "
        "xraynet.save_model(estimator, 'model.joblib') instead."
    )


def _decode(value):
    import keras

    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {_decode(k): _decode(v) for k, v in value["__dict__"]}
    if "__ndarray__" in value:
        return np.asarray(_decode(value["__ndarray__"]), dtype=np.dtype(value["dtype"]))
    if "__estimator__" in value:
        cls = _import_xraynet_class(value["__estimator__"])
        return cls(**_decode(value["params"]))
    if "__keras_optimizer__" in value:
        return keras.optimizers.deserialize(value["__keras_optimizer__"])
    if "__keras_optimizer_class__" in value:
        cls = getattr(keras.optimizers, value["__keras_optimizer_class__"])
        if not (isinstance(cls, type) and issubclass(cls, keras.optimizers.Optimizer)):
            raise ValueError(f"unknown Keras optimizer {value['__keras_optimizer_class__']!r}")
        return cls
    raise ValueError(f"unrecognised entry in {_META_NAME}: {sorted(value)}")


def save_keras_estimator(estimator, path):
    """Write a fitted xraynet Keras estimator to a ``.keras`` archive.

    Parameters
    ----------
    estimator : BaseImageClassifier
        A fitted estimator.
    path : str or path-like
        Destination; must end in ``.keras``.

    Returns
    -------
    path : pathlib.Path
    """
    from sklearn.utils.validation import check_is_fitted

    path = Path(path)
    if path.suffix != _KERAS_SUFFIX:
        raise ValueError(f"{path} must end in '.keras' (use save_model for .joblib).")
    check_is_fitted(estimator)
    fitted = {
        k: _encode(v, k)
        for k, v in vars(estimator).items()
        if k.endswith("_") and not k.startswith("_") and k != "model_"
    }
    meta = {
        "format": _FORMAT,
        "class": _class_path(type(estimator)),
        "params": _encode(estimator.get_params(deep=False), "params"),
        "fitted": fitted,
    }
    from xraynet import __version__

    meta["xraynet_version"] = __version__
    text = json.dumps(meta)
    estimator.model_.save(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_META_NAME, text)
    return path


def load_keras_estimator(path):
    """Read an estimator written by :func:`save_keras_estimator`.

    Parameters
    ----------
    path : str or path-like
        A ``.keras`` archive written by ``estimator.save``.

    Returns
    -------
    estimator : BaseImageClassifier
        Fitted, with identical predictions.
    """
    import keras

    from ._base import BaseImageClassifier

    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            meta = json.loads(zf.read(_META_NAME))
    except KeyError:
        raise ValueError(
            f"{path} is a Keras archive without xraynet estimator metadata; load the "
            "bare network with keras.saving.load_model."
        ) from None
    except zipfile.BadZipFile:
        raise ValueError(f"{path} is not a .keras archive (not a zip file).") from None
    if meta.get("format") != _FORMAT:
        raise ValueError(f"{path}: unsupported xraynet archive format {meta.get('format')!r}.")
    cls = _import_xraynet_class(meta["class"], BaseImageClassifier)
    estimator = cls(**_decode(meta["params"]))
    for name, value in meta["fitted"].items():
        setattr(estimator, name, _decode(value))
    estimator.model_ = keras.saving.load_model(path, safe_mode=True, compile=True)
    return estimator


class _NetworkSlot(BaseEstimator):
    """Stands for the ``index``-th network of a ``.xraynet`` bundle inside its skeleton."""

    def __init__(self, index=0):
        self.index = index


def _swap(obj, swap, memo):
    """A shallow-copied version of ``obj`` with ``swap(x)`` applied to the leaves it matches."""
    key = id(obj)
    if key in memo:
        return memo[key]
    new = swap(obj)
    if new is not obj:
        memo[key] = new
        return new
    if isinstance(obj, list):
        new = [_swap(o, swap, memo) for o in obj]
    elif isinstance(obj, tuple):
        new = tuple(_swap(o, swap, memo) for o in obj)
    elif isinstance(obj, dict):
        new = {k: _swap(v, swap, memo) for k, v in obj.items()}
    elif isinstance(obj, BaseEstimator):
        new = copy.copy(obj)
        new.__dict__ = {k: _swap(v, swap, memo) for k, v in obj.__dict__.items()}
    else:
        return obj
    memo[key] = new
    return new


def _trusted_skops_load(data, where):
    import skops.io as sio

    untrusted = sio.get_untrusted_types(data=data)
    foreign = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
    if foreign:
        raise ValueError(
            f"{where} holds types that xraynet does not load: {', '.join(sorted(foreign))}. "
            "Only scikit-learn, NumPy, SciPy and xraynet objects are accepted; inspect the file "
            "with skops.io.get_untrusted_types and load it yourself if you trust it.")
    return sio.loads(data, trusted=untrusted)


def _save_bundle(estimator, path):
    import skops.io as sio

    from ._base import BaseImageClassifier

    nets = []

    def swap(obj):
        if isinstance(obj, BaseImageClassifier):
            nets.append(obj)
            return _NetworkSlot(len(nets) - 1)
        return obj

    skeleton = _swap(estimator, swap, {})
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(_SKELETON, sio.dumps(skeleton))
            for i, net in enumerate(nets):
                net_path = tmp.with_name(f".{path.name}.net-{i}.keras")
                try:
                    save_keras_estimator(net, net_path)
                    zf.write(net_path, f"net-{i}.keras")
                finally:
                    net_path.unlink(missing_ok=True)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _load_bundle(path):
    import tempfile

    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        if _SKELETON not in names:
            raise ValueError(f"{path} is not an xraynet model bundle (no {_SKELETON}).")
        skeleton = _trusted_skops_load(zf.read(_SKELETON), str(path))
        nets = {}
        with tempfile.TemporaryDirectory() as tmp:
            for name in sorted(n for n in names if n.startswith("net-") and n.endswith(".keras")):
                target = Path(tmp) / name
                target.write_bytes(zf.read(name))
                nets[int(name[4:-6])] = load_keras_estimator(target)

    def swap(obj):
        if isinstance(obj, _NetworkSlot):
            if obj.index not in nets:
                raise ValueError(f"{path}: network {obj.index} is missing from the bundle.")
            return nets[obj.index]
        return obj

    return _swap(skeleton, swap, {})


def _holds_network(estimator):
    from ._base import BaseImageClassifier

    found = []

    def swap(obj):
        if isinstance(obj, BaseImageClassifier):
            found.append(obj)
            return _NetworkSlot()
        return obj

    _swap(estimator, swap, {})
    return bool(found)


def save_model(estimator, path):
    """Save a fitted estimator in a format that is safe to load.

    The format follows the estimator: ``.keras`` for a bare xraynet network,
    ``.skops`` for scikit-learn objects without a network, ``.xraynet`` for
    scikit-learn objects that hold networks (a Pipeline ending in a
    CNN, a :class:`~xraynet.model_selection.ProbabilityEnsemble` of fold
    networks...). A path without a suffix gets the right one; a ``.joblib``
    path writes a pickle, which :func:`load_model` only reads with
    ``trusted=True``.

    Parameters
    ----------
    estimator : estimator object
        Fitted.
    path : str or path-like
        Destination, with or without suffix.

    Returns
    -------
    path : pathlib.Path
        Where the file was written (with its suffix).

    Examples
    --------
    >>> from xraynet.models import save_model, load_model  # doctest: +SKIP
    >>> save_model(clf, "results/model")  # doctest: +SKIP
    PosixPath('results/model.keras')
    >>> load_model("results/model.keras").predict(X)  # doctest: +SKIP
    """
    from ._base import BaseImageClassifier

    path = Path(path)
    if isinstance(estimator, BaseImageClassifier):
        wanted = _KERAS_SUFFIX
    else:
        wanted = _BUNDLE_SUFFIX if _holds_network(estimator) else _SKOPS_SUFFIX
    suffix = path.suffix
    if suffix in _PICKLE_SUFFIXES:
        import warnings

        import joblib

        warnings.warn(f"{path} is a pickle: loading it runs any code it holds, so "
                      "load_model reads it only with trusted=True. Leave the suffix out "
                      f"to get a safe {wanted} file.", UserWarning, stacklevel=2)
        joblib.dump(estimator, path)
        return path
    if suffix not in (_KERAS_SUFFIX, _SKOPS_SUFFIX, _BUNDLE_SUFFIX):
        path = path.with_name(path.name + wanted)
    elif suffix != wanted:
        raise ValueError(f"a {type(estimator).__name__} is saved as {wanted}, not {suffix}; "
                         f"use {path.with_suffix(wanted).name!r} (or leave the suffix out).")
    path.parent.mkdir(parents=True, exist_ok=True)
    if wanted == _KERAS_SUFFIX:
        return save_keras_estimator(estimator, path)
    if wanted == _BUNDLE_SUFFIX:
        return _save_bundle(estimator, path)
    import skops.io as sio

    sio.dump(estimator, path)
    return path


def load_model(path, *, trusted=False):
    """Load an estimator written by :func:`save_model` or ``estimator.save``.

    ``.keras``, ``.skops`` and ``.xraynet`` files are read without running
    code from the file: Keras ``safe_mode=True``, and only scikit-learn,
    NumPy, SciPy and xraynet classes are instantiated.

    Parameters
    ----------
    path : str or path-like
        A model file.
    trusted : bool, default=False
        Also read pickle / joblib files. **Unpickling runs any code the file
        contains**: pass True only for files you wrote yourself.

    Returns
    -------
    estimator : estimator object
        The fitted estimator.

    Raises
    ------
    ValueError
        For a pickle without ``trusted=True``, a file holding untrusted
        types, or a file that is no xraynet model.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such model file: {path}")
    suffix = path.suffix
    if suffix == _KERAS_SUFFIX:
        return load_keras_estimator(path)
    if suffix == _BUNDLE_SUFFIX:
        try:
            return _load_bundle(path)
        except zipfile.BadZipFile:
            raise ValueError(f"{path} is not an xraynet model bundle (not a zip file).") from None
    if suffix == _SKOPS_SUFFIX:
        try:
            return _trusted_skops_load(path.read_bytes(), str(path))
        except zipfile.BadZipFile:
            raise ValueError(f"{path} is not a .skops file (not a zip file).") from None
    if not trusted:
        raise ValueError(
            f"{path} is not a .keras, .skops or .xraynet model file. If it is a pickle / "
            "joblib file you made yourself, load it with trusted=True (xraynet predict "
            "--trust-pickle): unpickling runs any code the file contains.")
    import joblib

    import scikeras  # noqa: F401  (registers pickling of Keras models)

    return joblib.load(path)
