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
  (:func:`skops.io.get_untrusted_types`) and accepts, besides what skops
  itself trusts (arrays, dtypes, random states...), only classes defined in
  scikit-learn or xraynet whose loading runs no other code (no ``__del__``,
  no foreign ``__setstate__``), the public scoring functions of
  :mod:`sklearn.metrics` and :mod:`xraynet.metrics` and a few NumPy
  reductions; any other type or function (``builtins.eval``, ``os.system``,
  a third-party class, NumPy's ``DataSource`` that deletes its folder when
  collected, SciPy distributions that ``exec`` an attribute when rebuilt, a
  foreign class re-exported under a ``sklearn.`` name...) is refused before
  anything is built.
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

import stat
import warnings
import zipfile
from pathlib import Path

from ..utils._estimators import is_keras_estimator
from ._bundle import _SKELETON, _load_bundle, _save_bundle, _split_networks
from ._keras_archive import _KERAS_SUFFIX, _META_NAME, load_keras_estimator, save_keras_estimator
from ._skops_policy import _skops_dumps, _skops_loads

__all__ = ["save_model", "load_model", "save_keras_estimator", "load_keras_estimator"]

_SKOPS_SUFFIX = ".skops"
_BUNDLE_SUFFIX = ".xraynet"
_SAFE_SUFFIXES = (_KERAS_SUFFIX, _SKOPS_SUFFIX, _BUNDLE_SUFFIX)
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
_DESCRIPTION = {
    _KERAS_SUFFIX: ".keras archive",
    _SKOPS_SUFFIX: ".skops file",
    _BUNDLE_SUFFIX: ".xraynet model bundle",
}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# pickle protocol >= 2, joblib's zlib (old "ZF" and raw) / gzip / bz2 / xz / lzma / lz4 files
_PICKLE_MAGIC = (
    b"\x80",
    b"ZF",
    b"x",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"\x5d\x00\x00",
    b"\x04\x22\x4d\x18",
)


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

        warnings.warn(
            f"{path} is a pickle: loading it runs any code it holds, so "
            "load_model reads it only with trusted=True. Leave the suffix out "
            f"to get a safe {wanted} file.",
            UserWarning,
            stacklevel=2,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            joblib.dump(estimator, tmp)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        return path
    if suffix not in _SAFE_SUFFIXES:
        path = path.with_name(path.name + wanted)
    elif suffix != wanted:
        raise ValueError(
            f"a {type(estimator).__name__} is saved as {wanted}, not {suffix}; "
            f"use {path.with_suffix(wanted).name!r} (or leave the suffix out)."
        )
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


_KIND_SUFFIX = {
    "keras": _KERAS_SUFFIX,
    "bare-keras": _KERAS_SUFFIX,
    "skops": _SKOPS_SUFFIX,
    "bundle": _BUNDLE_SUFFIX,
}


def load_model(path, *, trusted=False):
    """Load an estimator written by :func:`save_model` or ``estimator.save``.

    The format is read from the file's content: ``.keras``, ``.skops`` and
    ``.xraynet`` files are read without running code from the file (Keras
    ``safe_mode=True``; besides NumPy arrays, only scikit-learn and xraynet
    classes whose loading runs no other code, and scoring functions, are
    instantiated or referenced). A file whose suffix names one of these
    formats must hold that format.

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
        a corrupt file, a suffix that does not match the content, a file
        that is no xraynet model, or a path that is not a regular file (a
        FIFO or device is refused without being opened); the message says
        which and what to do.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such model file: {path}")
    if path.is_dir():
        inside = sorted(str(p) for s in _SAFE_SUFFIXES for p in path.glob(f"*{s}") if p.is_file())
        hint = f" It holds {', '.join(repr(p) for p in inside[:3])}: load that." if inside else ""
        raise ValueError(
            f"{path} is a folder; xraynet models are single files (.keras, .skops or "
            f".xraynet).{hint}"
        )
    if not stat.S_ISREG(path.stat().st_mode):  # opening a FIFO would wait for a writer
        raise ValueError(
            f"{path} is not a regular file (a FIFO, device or socket); xraynet models "
            "are files (.keras, .skops or .xraynet)."
        )
    kind = _sniff(path)
    suffix = path.suffix
    if kind == "empty":
        raise ValueError(f"{path} is empty (0 bytes): not a model file.")
    if suffix in _SAFE_SUFFIXES:
        if kind in ("pickle", "other"):
            hint = (
                " It looks like a pickle: if you trust it, rename it to .joblib and "
                "load it with trusted=True."
                if kind == "pickle"
                else ""
            )
            raise ValueError(f"{path} is not a {_DESCRIPTION[suffix]} (not a zip file).{hint}")
        if kind == "bad-zip":
            raise ValueError(
                f"{path} is not a {_DESCRIPTION[suffix]} (corrupt or truncated zip file)."
            )
        if kind == "zip":
            raise ValueError(f"{path} is a zip file but not a {_DESCRIPTION[suffix]}.")
        actual = _KIND_SUFFIX[kind]
        if actual != suffix:
            raise ValueError(
                f"{path} holds a {_DESCRIPTION[actual]}, not a "
                f"{_DESCRIPTION[suffix]}: rename it to "
                f"{path.with_suffix(actual).name!r}."
            )
    if kind in ("keras", "bare-keras"):
        return load_keras_estimator(path)
    if kind == "bundle":
        try:
            return _load_bundle(path, trusted)
        except zipfile.BadZipFile:
            raise ValueError(
                f"{path} is not an .xraynet model bundle (corrupt zip file)."
            ) from None
    if kind == "skops":
        return _skops_loads(path.read_bytes(), str(path), trusted)
    if kind in ("zip", "bad-zip"):
        raise ValueError(f"{path} is a zip file but no xraynet model (.keras, .skops or .xraynet).")
    if not trusted:
        looks = "looks like a pickle / joblib file" if kind == "pickle" else "is not a model file"
        raise ValueError(
            f"{path} is not a .keras, .skops or .xraynet model file (it {looks}). If it is "
            "a pickle / joblib file you made yourself, load it with trusted=True (xraynet "
            "predict --trust-pickle): unpickling runs any code the file contains."
        )
    import joblib
    import scikeras  # noqa: F401  (registers pickling of Keras models)

    try:
        return joblib.load(path)
    except Exception as exc:
        raise ValueError(
            f"{path}: cannot unpickle it ({type(exc).__name__}: {exc}); not a "
            "pickle / joblib model file?"
        ) from exc
