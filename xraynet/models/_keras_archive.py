"""The ``.keras`` archive of one xraynet Keras estimator.

The regular Keras v3 archive written by ``model_.save`` with one extra zip
entry, ``xraynet_estimator.json``: the estimator class, its constructor
parameters and its fitted attributes, encoded as JSON that only rebuilds
numbers, strings, containers, NumPy arrays, xraynet estimators and Keras
optimizers. See ``xraynet/models/_persistence.py`` for the other formats.
"""

import importlib
import json
import zipfile
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

__all__ = ["save_keras_estimator", "load_keras_estimator"]

_KERAS_SUFFIX = ".keras"
_META_NAME = "xraynet_estimator.json"
_FORMAT = 1
# a JSON entry of a model file (metadata, manifest, template) larger than this,
# uncompressed, is refused before it is read: a few KB is usual, and a zip entry
# can expand a thousandfold (a zip bomb)
MAX_JSON_BYTES = 64 * 1024**2


def _read_json(zf, name, where):
    """The parsed JSON entry ``name`` of the open zip ``zf`` (KeyError when absent)."""
    size = zf.getinfo(name).file_size
    if size > MAX_JSON_BYTES:
        raise ValueError(
            f"{where}: {name} is {size:,} bytes uncompressed, above the "
            f"{MAX_JSON_BYTES:,} an xraynet model file needs (a zip bomb?)."
        )
    try:
        return json.loads(zf.read(name))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"{where}: corrupt {name} ({type(exc).__name__}: {exc}).") from None


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
    if (
        isinstance(value, type)
        and issubclass(value, keras.optimizers.Optimizer)
        and getattr(keras.optimizers, value.__name__, None) is value
    ):
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
    # written beside the destination and renamed over it at the end: a failing or
    # interrupted save leaves the previous file as it was, never half an archive
    tmp = path.with_name(f".{path.name}.tmp{_KERAS_SUFFIX}")
    try:
        estimator.model_.save(tmp)
        with zipfile.ZipFile(tmp, "a", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(_META_NAME, text)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _estimator_from_meta(meta, path, base):
    """The unfitted estimator of ``meta`` with its fitted attributes set (no network)."""
    cls = _import_xraynet_class(meta.get("class"), base)
    estimator = cls(**_decode(meta.get("params", {})))
    for name, value in meta.get("fitted", {}).items():
        if not (
            isinstance(name, str)
            and name.endswith("_")
            and name.isidentifier()
            and not name.startswith("_")
        ):
            raise ValueError(f"refusing fitted attribute name {name!r}.")
        setattr(estimator, name, _decode(value))
    return estimator


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
            meta = _read_json(zf, _META_NAME, path)
    except KeyError:
        raise ValueError(
            f"{path} is a Keras archive without xraynet estimator metadata; load the "
            "bare network with keras.saving.load_model."
        ) from None
    except zipfile.BadZipFile:
        raise ValueError(f"{path} is not a .keras archive (not a zip file).") from None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        fmt = meta.get("format") if isinstance(meta, dict) else None
        raise ValueError(f"{path}: unsupported xraynet archive format {fmt!r}.")
    try:
        estimator = _estimator_from_meta(meta, path, BaseImageClassifier)
    except (TypeError, KeyError, AttributeError, RecursionError) as exc:
        # a params or fitted entry of the wrong shape (a list for a dict, an unknown
        # parameter name...): the file was not written by save_keras_estimator
        raise ValueError(f"{path}: corrupt {_META_NAME} ({type(exc).__name__}: {exc}).") from None
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    try:
        estimator.model_ = keras.saving.load_model(path, safe_mode=True, compile=True)
    except Exception as exc:  # truncated weights, unknown layer, a Lambda refused by safe_mode
        raise ValueError(f"{path}: cannot read the network ({type(exc).__name__}: {exc})") from exc
    return estimator
