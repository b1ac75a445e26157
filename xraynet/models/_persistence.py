"""Saving and loading fitted estimators in formats that are safe to load.

Three formats, chosen by :func:`save_model` from what the object holds:

* ``.keras`` (a bare xraynet Keras estimator): the regular Keras v3 archive
  written by ``model_.save`` -- still loadable by ``keras.saving.load_model``
  -- with one extra zip entry, ``xraynet_estimator.json``, holding the
  estimator class, its constructor parameters and its fitted attributes
  (``classes_``, ``history_``, any other ``name_`` attribute such as a
  ``threshold_``). Loading uses Keras ``safe_mode=True`` and only
  instantiates classes defined inside the ``xraynet`` package and Keras
  optimizers, so it does not execute code from the file.
* ``.skops`` (scikit-learn objects without a network: HOG + SVM, forests,
  loader pipelines): :mod:`skops.io`, which rebuilds objects without
  unpickling. Loading first lists the types the file names
  (:func:`skops.io.get_untrusted_types`) and accepts only classes of
  scikit-learn, NumPy, SciPy and xraynet, the public scoring functions of
  :mod:`sklearn.metrics` and :mod:`xraynet.metrics` and a few NumPy
  reductions; any other type or function (``builtins.eval``, ``os.system``,
  a third-party class...) is refused before anything is built.
* ``.xraynet`` (a scikit-learn object holding xraynet networks: a Pipeline
  ``ImageLoader -> CNNClassifier``, a CalibratedClassifierCV or a
  VotingClassifier around networks, a ProbabilityEnsemble of fold CNNs...):
  a zip with ``manifest.json``, ``skeleton.skops`` (the object with every
  network replaced by a numbered slot, read with the same type check) and
  one entry per network: ``net-<i>.keras`` for a fitted one (the format
  above), ``net-<i>.json`` (class and parameters) for an unfitted one, e.g.
  the template in a VotingClassifier's ``estimators``. The networks are put
  back into their slots on load; an object used in several places comes
  back as one object.

Pickle / joblib files are written only on request (a ``.joblib``, ``.pkl``
or ``.pickle`` path, with a warning) and loaded only with ``trusted=True``:
unpickling runs whatever code the file holds.
"""

import copy
import importlib
import json
import re
import tempfile
import warnings
import zipfile
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from ..utils._estimators import is_keras_estimator

__all__ = ["save_model", "load_model", "save_keras_estimator", "load_keras_estimator"]

_KERAS_SUFFIX = ".keras"
_SKOPS_SUFFIX = ".skops"
_BUNDLE_SUFFIX = ".xraynet"
_SAFE_SUFFIXES = (_KERAS_SUFFIX, _SKOPS_SUFFIX, _BUNDLE_SUFFIX)
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
_DESCRIPTION = {
    _KERAS_SUFFIX: ".keras archive",
    _SKOPS_SUFFIX: ".skops file",
    _BUNDLE_SUFFIX: ".xraynet model bundle",
}

_META_NAME = "xraynet_estimator.json"
_FORMAT = 1
_SKELETON = "skeleton.skops"
_MANIFEST = "manifest.json"
_BUNDLE_FORMAT = 1
_NET_ENTRY = re.compile(r"net-(0|[1-9][0-9]{0,5})\.(keras|json)")

# --- which types a .skops file (or a bundle skeleton) may name -----------------------
# Classes of these packages are accepted (skops rebuilds them without calling their
# constructor); functions only when listed below or a public scoring function.
_TRUSTED_PACKAGES = frozenset({"sklearn", "numpy", "scipy", "xraynet"})
_SCORING_MODULES = ("sklearn.metrics", "xraynet.metrics")
_TRUSTED_FUNCTIONS = frozenset(
    f"numpy.{name}" for name in
    ("sum", "mean", "median", "std", "var", "min", "max", "amin", "amax", "clip"))
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# pickle protocol >= 2, joblib's zlib (old "ZF" and raw) / gzip / bz2 / xz / lzma / lz4 files
_PICKLE_MAGIC = (b"\x80", b"ZF", b"x", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x5d\x00\x00",
                 b"\x04\x22\x4d\x18")


def _class_path(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


def _import_xraynet_class(path, base=BaseEstimator):
    module_name, _, qualname = str(path).partition(":")
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
    if isinstance(value, np.generic) and value.dtype.kind in "iuf":
        # keep the NumPy scalar type (np.float32 threshold_ ...), value exactly
        return {"__npscalar__": value.item(), "dtype": value.dtype.str}
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
        f"cannot store {where}={value!r} in a .keras file (only numbers, strings, "
        "lists, tuples, dicts, NumPy arrays, xraynet estimators and Keras optimizers); "
        "change it, or write a pickle with xraynet.save_model(estimator, 'model.joblib') "
        "(then only loadable with trusted=True)."
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
        return np.asarray(_decode(value["__ndarray__"]), dtype=_plain_dtype(value["dtype"]))
    if "__npscalar__" in value:
        return _plain_dtype(value["dtype"]).type(value["__npscalar__"])
    if "__estimator__" in value:
        cls = _import_xraynet_class(value["__estimator__"])
        return cls(**_decode(value["params"]))
    if "__keras_optimizer__" in value:
        opt = keras.optimizers.deserialize(value["__keras_optimizer__"])
        if not isinstance(opt, keras.optimizers.Optimizer):
            raise ValueError(f"{_META_NAME}: {type(opt).__name__} is not a Keras optimizer.")
        return opt
    if "__keras_optimizer_class__" in value:
        cls = getattr(keras.optimizers, str(value["__keras_optimizer_class__"]), None)
        if not (isinstance(cls, type) and issubclass(cls, keras.optimizers.Optimizer)):
            raise ValueError(f"unknown Keras optimizer {value['__keras_optimizer_class__']!r}")
        return cls
    raise ValueError(f"unrecognised entry in {_META_NAME}: {sorted(value)}")


def _plain_dtype(text):
    dtype = np.dtype(str(text))
    if dtype.kind not in "biufUS":
        raise ValueError(f"{_META_NAME}: refusing dtype {text!r}.")
    return dtype


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
        raise ValueError(f"{path} must end in '.keras' (use save_model for other formats).")
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

    The network is read with Keras ``safe_mode=True``; the metadata only
    instantiates xraynet classes and Keras optimizers.

    Parameters
    ----------
    path : str or path-like
        A ``.keras`` archive written by ``estimator.save``.

    Returns
    -------
    estimator : BaseImageClassifier
        Fitted, with identical predictions.

    Raises
    ------
    ValueError
        If the file is no xraynet ``.keras`` archive, is corrupt, or names a
        class outside xraynet.
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
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: corrupt {_META_NAME} ({exc}).") from None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        fmt = meta.get("format") if isinstance(meta, dict) else None
        raise ValueError(f"{path}: unsupported xraynet archive format {fmt!r}.")
    cls = _import_xraynet_class(meta.get("class"), BaseImageClassifier)
    estimator = cls(**_decode(meta.get("params", {})))
    for name, value in meta.get("fitted", {}).items():
        if not (isinstance(name, str) and name.endswith("_") and name.isidentifier()
                and not name.startswith("_")):
            raise ValueError(f"{path}: refusing fitted attribute name {name!r}.")
        setattr(estimator, name, _decode(value))
    try:
        estimator.model_ = keras.saving.load_model(path, safe_mode=True, compile=True)
    except Exception as exc:  # truncated weights, unknown layer, a Lambda refused by safe_mode
        raise ValueError(f"{path}: cannot read the network ({type(exc).__name__}: {exc})") from exc
    return estimator


# ----------------------------------------------------------------------------------------
# skops with xraynet's type policy
# ----------------------------------------------------------------------------------------
def _resolve(name):
    """The object a skops type name ``package.module.Qual.name`` points to, or None."""
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj
    return None


def _is_accepted(name):
    """Whether xraynet loads a skops file naming ``name`` (see the module docstring)."""
    if name.partition(".")[0] not in _TRUSTED_PACKAGES:
        return False
    if name in _TRUSTED_FUNCTIONS:
        return True
    obj = _resolve(name)
    if isinstance(obj, type):
        return True
    short = getattr(obj, "__name__", "")
    for module in _SCORING_MODULES:
        if name.startswith(module + ".") and callable(obj) and not short.startswith("_"):
            return getattr(importlib.import_module(module), short, None) is obj
    return False


def _refused_types(untrusted):
    return sorted(t for t in untrusted if not _is_accepted(t))


def _skops_dumps(obj):
    """skops bytes of ``obj``; refuses what :func:`load_model` would refuse."""
    import skops.io as sio

    try:
        data = sio.dumps(obj, compression=zipfile.ZIP_DEFLATED)
    except Exception as exc:  # RecursionError on a raw Keras model, unsupported types...
        raise ValueError(
            f"cannot save this {type(obj).__name__} safely: skops failed with "
            f"{type(exc).__name__}: {str(exc)[:300]}. save_model handles scikit-learn, "
            "NumPy, SciPy and xraynet objects; a pickle (a '.joblib' path, loadable only "
            "with trusted=True) can hold anything.") from exc
    refused = _refused_types(sio.get_untrusted_types(data=data))
    if refused:
        raise ValueError(
            f"cannot save this {type(obj).__name__} safely: it holds "
            f"{', '.join(refused)}, which xraynet.load_model refuses to load (only "
            "scikit-learn, NumPy, SciPy and xraynet classes and scoring functions are "
            "accepted). Replace them, or write a pickle with a '.joblib' path (loadable "
            "only with trusted=True).")
    return data


def _skops_loads(data, where, trusted=False):
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except zipfile.BadZipFile:
        raise ValueError(f"{where} is not a .skops file (not a zip file).") from None
    except Exception as exc:  # no / corrupt schema.json, unknown skops protocol
        raise ValueError(
            f"{where} is not a valid .skops file ({type(exc).__name__}: {exc}).") from None
    refused = _refused_types(untrusted)
    if refused and not trusted:
        raise ValueError(
            f"{where} holds types that xraynet does not load: {', '.join(refused)}. "
            "Only scikit-learn, NumPy, SciPy and xraynet classes and scoring functions "
            "are accepted; inspect the file with skops.io.get_untrusted_types and, if you "
            "trust whoever made it, load it with trusted=True.")
    try:
        return sio.loads(data, trusted=untrusted)
    except Exception as exc:
        raise ValueError(f"{where}: cannot rebuild the object ({type(exc).__name__}: "
                         f"{exc}).") from exc


# ----------------------------------------------------------------------------------------
# networks inside scikit-learn objects
# ----------------------------------------------------------------------------------------
class _NetworkSlot(BaseEstimator):
    """Stands for the ``index``-th network of a ``.xraynet`` bundle inside its skeleton."""

    def __init__(self, index=0):
        self.index = index


def _descends_into(obj):
    if isinstance(obj, type):
        return False
    if isinstance(obj, BaseEstimator):
        return True
    # scikit-learn's plain helper objects (calibration._CalibratedClassifier, ...)
    package = type(obj).__module__.partition(".")[0]
    return package in ("sklearn", "xraynet") and isinstance(getattr(obj, "__dict__", None), dict)


def _swap(obj, leaf, memo):
    """A copy of ``obj`` with ``leaf(x)`` put in place of the objects ``x`` it changes.

    Walks lists, tuples, dicts (Bunch...), object arrays, estimators and
    scikit-learn helper objects; everything else is shared with ``obj``.
    Objects met twice map to one copy (shared members stay shared).
    """
    key = id(obj)
    if key in memo:
        return memo[key]
    new = leaf(obj)
    if new is not obj:
        memo[key] = new
        return new
    kind = type(obj)
    if kind is list:
        new = memo[key] = []
        new.extend(_swap(o, leaf, memo) for o in obj)
    elif kind is tuple:
        new = memo[key] = tuple(_swap(o, leaf, memo) for o in obj)
    elif isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple
        new = memo[key] = kind(*(_swap(o, leaf, memo) for o in obj))
    elif isinstance(obj, dict):
        new = memo[key] = copy.copy(obj)
        for k, v in obj.items():
            new[k] = _swap(v, leaf, memo)
    elif isinstance(obj, np.ndarray) and obj.dtype == object:
        new = memo[key] = np.empty(obj.shape, dtype=object)
        for i, v in enumerate(obj.flat):
            new.flat[i] = _swap(v, leaf, memo)
    elif _descends_into(obj):
        new = memo[key] = copy.copy(obj)
        new.__dict__ = {k: _swap(v, leaf, memo) for k, v in obj.__dict__.items()}
    else:
        memo[key] = obj
        return obj
    return new


def _split_networks(estimator):
    """(skeleton, networks): ``estimator`` with each xraynet network put in a slot."""
    nets = []

    def leaf(obj):
        if is_keras_estimator(obj):
            nets.append(obj)
            return _NetworkSlot(len(nets) - 1)
        return obj

    skeleton = _swap(estimator, leaf, {})
    return skeleton, nets


def _is_fitted_network(net):
    return bool(net.__sklearn_is_fitted__())


def _save_bundle(skeleton, nets, path):
    from xraynet import __version__

    data = _skops_dumps(skeleton)
    entries = []
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(
                tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for i, net in enumerate(nets):
                if _is_fitted_network(net):
                    entry = f"net-{i}.keras"
                    zf.write(save_keras_estimator(net, Path(scratch) / entry), entry)
                else:  # a template (VotingClassifier.estimators, CalibratedClassifierCV.estimator)
                    entry = f"net-{i}.json"
                    zf.writestr(entry, json.dumps({
                        "format": _FORMAT, "class": _class_path(type(net)),
                        "params": _encode(net.get_params(deep=False), "params")}))
                entries.append(entry)
            zf.writestr(_SKELETON, data)
            zf.writestr(_MANIFEST, json.dumps({
                "format": _BUNDLE_FORMAT, "xraynet_version": __version__,
                "skeleton": _SKELETON, "networks": entries}))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _bundle_entries(zf, path):
    """The network entries of a bundle, checked: ``net-0...``, ``net-1...`` in order."""
    names = set(zf.namelist())
    if _MANIFEST in names:
        try:
            manifest = json.loads(zf.read(_MANIFEST))
            entries = list(manifest["networks"])
            fmt = manifest.get("format")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: corrupt {_MANIFEST} ({exc}).") from None
        if fmt != _BUNDLE_FORMAT:
            raise ValueError(f"{path}: unsupported .xraynet bundle format {fmt!r}.")
    else:  # bundles written before the manifest existed
        entries = sorted((n for n in names if _NET_ENTRY.fullmatch(n)),
                         key=lambda n: int(_NET_ENTRY.fullmatch(n).group(1)))
    for i, entry in enumerate(entries):
        match = _NET_ENTRY.fullmatch(str(entry))
        if match is None or int(match.group(1)) != i:
            raise ValueError(f"{path}: unexpected network entry {entry!r}.")
        if entry not in names:
            raise ValueError(f"{path}: network entry {entry} is missing from the bundle.")
    return entries


def _load_bundle(path, trusted=False):
    with zipfile.ZipFile(path) as zf:
        if _SKELETON not in zf.namelist():
            raise ValueError(f"{path} is not an .xraynet model bundle (no {_SKELETON}).")
        entries = _bundle_entries(zf, path)
        skeleton = _skops_loads(zf.read(_SKELETON), f"{path} ({_SKELETON})", trusted)
        nets = []
        with tempfile.TemporaryDirectory() as scratch:
            for entry in entries:  # names checked by _bundle_entries: no path tricks
                if entry.endswith(_KERAS_SUFFIX):
                    target = Path(scratch) / entry
                    target.write_bytes(zf.read(entry))
                    try:
                        nets.append(load_keras_estimator(target))
                    except ValueError as exc:
                        raise ValueError(f"{path} ({entry}): {exc}") from exc
                else:
                    try:
                        spec = json.loads(zf.read(entry))
                        cls = _import_xraynet_class(spec["class"])
                        nets.append(cls(**_decode(spec["params"])))
                    except (KeyError, TypeError, UnicodeDecodeError) as exc:
                        raise ValueError(f"{path}: corrupt {entry} ({exc}).") from None

    def leaf(obj):
        if isinstance(obj, _NetworkSlot):
            if not (isinstance(obj.index, Integral) and 0 <= obj.index < len(nets)):
                raise ValueError(f"{path}: network {obj.index!r} is missing from the bundle.")
            return nets[obj.index]
        return obj

    return _swap(skeleton, leaf, {})


# ----------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------
def _write_atomic(path, data):
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def save_model(estimator, path):
    """Save a fitted estimator in a format that is safe to load.

    The format follows the estimator: ``.keras`` for a bare xraynet network,
    ``.skops`` for scikit-learn objects without a network, ``.xraynet`` (one
    zip) for scikit-learn objects that hold networks (a Pipeline ending in a
    CNN, a CalibratedClassifierCV or VotingClassifier around networks, a
    :class:`~xraynet.model_selection.ProbabilityEnsemble` of fold networks...).
    See the user guide on persistence for the file layouts. Fitted
    attributes (``classes_``, a ``threshold_`` set by hand...) are kept and
    the loaded estimator predicts bit-identical probabilities.

    A path without a suffix (or with a suffix that is no model format, as in
    ``"fold.3"``) gets the right one appended. A ``.keras`` / ``.skops`` /
    ``.xraynet`` suffix that does not fit the estimator is an error. A
    ``.joblib`` / ``.pkl`` / ``.pickle`` path writes a pickle, with a
    warning: :func:`load_model` only reads it with ``trusted=True``.

    Parameters
    ----------
    estimator : estimator object
        Fitted (templates such as a VotingClassifier's ``estimators`` may be
        unfitted).
    path : str or path-like
        Destination, with or without suffix. Missing folders are created.

    Returns
    -------
    path : pathlib.Path
        Where the file was written (with its suffix).

    Raises
    ------
    ValueError
        If the suffix does not fit the estimator, or the estimator holds
        something that cannot be saved safely (a function such as
        ``builtins.print``, a third-party class, a raw Keras model...): the
        message names it.

    Examples
    --------
    >>> from xraynet.models import save_model, load_model  # doctest: +SKIP
    >>> save_model(clf, "results/model")  # doctest: +SKIP
    PosixPath('results/model.keras')
    >>> load_model("results/model.keras").predict(X)  # doctest: +SKIP
    """
    path = Path(path)
    skeleton, nets = None, []
    if is_keras_estimator(estimator):
        wanted = _KERAS_SUFFIX
    else:
        skeleton, nets = _split_networks(estimator)
        wanted = _BUNDLE_SUFFIX if nets else _SKOPS_SUFFIX
    suffix = path.suffix
    if suffix in _PICKLE_SUFFIXES:
        import joblib

        warnings.warn(f"{path} is a pickle: loading it runs any code it holds, so "
                      "load_model reads it only with trusted=True. Leave the suffix out "
                      f"to get a safe {wanted} file.", UserWarning, stacklevel=2)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(estimator, path)
        return path
    if suffix not in _SAFE_SUFFIXES:
        path = path.with_name(path.name + wanted)
    elif suffix != wanted:
        raise ValueError(f"a {type(estimator).__name__} is saved as {wanted}, not {suffix}; "
                         f"use {path.with_suffix(wanted).name!r} (or leave the suffix out).")
    if wanted == _KERAS_SUFFIX:
        path.parent.mkdir(parents=True, exist_ok=True)
        return save_keras_estimator(estimator, path)
    if wanted == _BUNDLE_SUFFIX:
        data = None
    else:
        data = _skops_dumps(estimator)  # before mkdir: nothing is created on failure
    path.parent.mkdir(parents=True, exist_ok=True)
    if data is None:
        return _save_bundle(skeleton, nets, path)
    return _write_atomic(path, data)


def _sniff(path):
    """What the file holds: 'keras', 'bare-keras', 'skops', 'bundle', 'zip', 'bad-zip',
    'empty', 'pickle' or 'other'."""
    with open(path, "rb") as f:
        head = f.read(8)
    if not head:
        return "empty"
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return "bad-zip"
        if _META_NAME in names:
            return "keras"
        if _SKELETON in names:
            return "bundle"
        if "schema.json" in names:
            return "skops"
        if "config.json" in names and "metadata.json" in names:
            return "bare-keras"
        return "zip"
    return "pickle" if head.startswith(_PICKLE_MAGIC) else "other"


_KIND_SUFFIX = {"keras": _KERAS_SUFFIX, "bare-keras": _KERAS_SUFFIX,
                "skops": _SKOPS_SUFFIX, "bundle": _BUNDLE_SUFFIX}


def load_model(path, *, trusted=False):
    """Load an estimator written by :func:`save_model` or ``estimator.save``.

    The format is read from the file's content: ``.keras``, ``.skops`` and
    ``.xraynet`` files are read without running code from the file (Keras
    ``safe_mode=True``; only scikit-learn, NumPy, SciPy and xraynet classes
    and scoring functions are instantiated or referenced). A file whose
    suffix names one of these formats must hold that format.

    .. warning::
       Pickle / joblib files can run **any code** when they are loaded
       (delete files, install malware, read credentials...). They are refused
       unless ``trusted=True``; pass it only for files you wrote yourself or
       received from someone you trust, over a channel you trust.

    Parameters
    ----------
    path : str or path-like
        A model file.
    trusted : bool, default=False
        Trust the file: also read pickle / joblib files (unpickling runs the
        code the file contains) and skops files naming types outside the
        accepted set. ``.keras`` files are read in safe mode either way.

    Returns
    -------
    estimator : estimator object
        The fitted estimator, predicting bit-identical probabilities.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        For a pickle without ``trusted=True``, a file holding refused types,
        a corrupt file, a suffix that does not match the content, or a file
        that is no xraynet model; the message says which and what to do.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such model file: {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a folder; xraynet models are single files "
                         "(.keras, .skops or .xraynet).")
    kind = _sniff(path)
    suffix = path.suffix
    if kind == "empty":
        raise ValueError(f"{path} is empty (0 bytes): not a model file.")
    if suffix in _SAFE_SUFFIXES:
        if kind in ("pickle", "other"):
            hint = (" It looks like a pickle: if you trust it, rename it to .joblib and "
                    "load it with trusted=True." if kind == "pickle" else "")
            raise ValueError(f"{path} is not a {_DESCRIPTION[suffix]} (not a zip file).{hint}")
        if kind == "bad-zip":
            raise ValueError(f"{path} is not a {_DESCRIPTION[suffix]} (corrupt or truncated "
                             "zip file).")
        if kind == "zip":
            raise ValueError(f"{path} is a zip file but not a {_DESCRIPTION[suffix]}.")
        actual = _KIND_SUFFIX[kind]
        if actual != suffix:
            raise ValueError(f"{path} holds a {_DESCRIPTION[actual]}, not a "
                             f"{_DESCRIPTION[suffix]}: rename it to "
                             f"{path.with_suffix(actual).name!r}.")
    if kind in ("keras", "bare-keras"):
        return load_keras_estimator(path)
    if kind == "bundle":
        try:
            return _load_bundle(path, trusted)
        except zipfile.BadZipFile:
            raise ValueError(
                f"{path} is not an .xraynet model bundle (corrupt zip file).") from None
    if kind == "skops":
        return _skops_loads(path.read_bytes(), str(path), trusted)
    if kind in ("zip", "bad-zip"):
        raise ValueError(f"{path} is a zip file but no xraynet model (.keras, .skops or "
                         ".xraynet).")
    if not trusted:
        looks = "looks like a pickle / joblib file" if kind == "pickle" else "is not a model file"
        raise ValueError(
            f"{path} is not a .keras, .skops or .xraynet model file (it {looks}). If it is "
            "a pickle / joblib file you made yourself, load it with trusted=True (xraynet "
            "predict --trust-pickle): unpickling runs any code the file contains.")
    import joblib

    import scikeras  # noqa: F401  (registers pickling of Keras models)

    try:
        return joblib.load(path)
    except Exception as exc:
        raise ValueError(f"{path}: cannot unpickle it ({type(exc).__name__}: {exc}); not a "
                         "pickle / joblib model file?") from exc
