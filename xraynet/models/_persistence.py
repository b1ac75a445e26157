"""Saving and loading fitted estimators.

Two formats:

* ``.keras`` (xraynet Keras estimators only): the regular Keras v3 archive
  written by ``model_.save`` -- still loadable by ``keras.saving.load_model``
  -- with one extra zip entry, ``xraynet_estimator.json``, holding the
  estimator class, its constructor parameters and its fitted attributes
  (``classes_``, ``history_``, ...). Loading uses Keras ``safe_mode=True``
  and only instantiates classes defined inside the ``xraynet`` package and
  Keras optimizers, so it does not execute arbitrary code.
* ``.joblib`` (anything else, e.g. a Pipeline ``ImageLoader ->
  CNNClassifier``): joblib/pickle; the Keras networks inside are pickled
  through scikeras' in-memory ``.keras`` serialisation. Like any pickle, only
  load files you trust.
"""

import importlib
import json
import zipfile
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

__all__ = ["save_model", "load_model", "save_keras_estimator", "load_keras_estimator"]

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


def save_model(estimator, path):
    """Save a fitted estimator: ``.keras`` for xraynet Keras estimators, else joblib.

    Parameters
    ----------
    estimator : estimator object
        A fitted xraynet Keras classifier (any suffix), or any other
        estimator, e.g. a Pipeline (not ``.keras``).
    path : str or path-like
        ``*.keras`` writes the Keras archive (see
        :meth:`BaseImageClassifier.save`); any other suffix (``.joblib``
        recommended) writes a joblib pickle.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> from xraynet.models import save_model, load_model  # doctest: +SKIP
    >>> save_model(clf, "cnn.keras")  # doctest: +SKIP
    >>> load_model("cnn.keras").predict(X)  # doctest: +SKIP
    """
    from ._base import BaseImageClassifier

    path = Path(path)
    if path.suffix == _KERAS_SUFFIX:
        if not isinstance(estimator, BaseImageClassifier):
            raise ValueError(
                f"only xraynet Keras classifiers can be saved as .keras; got "
                f"{type(estimator).__name__}. Use a '.joblib' path instead."
            )
        return save_keras_estimator(estimator, path)
    import joblib

    joblib.dump(estimator, path)
    return path


def load_model(path):
    """Load an estimator written by :func:`save_model` or ``estimator.save``.

    Parameters
    ----------
    path : str or path-like
        ``*.keras`` (read safely: Keras ``safe_mode=True`` and only xraynet
        classes) or a joblib file (unpickled: only load files you trust).

    Returns
    -------
    estimator : estimator object
        The fitted estimator.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such model file: {path}")
    if path.suffix == _KERAS_SUFFIX:
        return load_keras_estimator(path)
    import joblib

    import scikeras  # noqa: F401  (registers pickling of Keras models)

    return joblib.load(path)
