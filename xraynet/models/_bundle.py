"""The ``.xraynet`` bundle: a scikit-learn object holding xraynet networks.

A zip with ``manifest.json``, ``skeleton.skops`` (the object with every network
replaced by a numbered slot, read with the skops type policy) and one entry per
network: ``net-<i>.keras`` for a fitted one, ``net-<i>.json`` (class and
parameters) for an unfitted template. Loading puts the networks back into their
slots; an object used in several places comes back as one object.
"""

import copy
import json
import re
import tempfile
import zipfile
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from ..utils._estimators import is_keras_estimator
from ._keras_archive import (
    _FORMAT,
    _KERAS_SUFFIX,
    _class_path,
    _decode,
    _encode,
    _import_xraynet_class,
    _read_json,
    load_keras_estimator,
    save_keras_estimator,
)
from ._skops_policy import _skops_dumps, _skops_loads

_SKELETON = "skeleton.skops"
_MANIFEST = "manifest.json"
_BUNDLE_FORMAT = 1
_NET_ENTRY = re.compile(r"net-(0|[1-9][0-9]{0,5})\.(keras|json)")


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
        with (
            tempfile.TemporaryDirectory() as scratch,
            zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf,
        ):
            for i, net in enumerate(nets):
                if _is_fitted_network(net):
                    entry = f"net-{i}.keras"
                    zf.write(save_keras_estimator(net, Path(scratch) / entry), entry)
                else:  # a template (VotingClassifier.estimators, CalibratedClassifierCV.estimator)
                    entry = f"net-{i}.json"
                    zf.writestr(
                        entry,
                        json.dumps(
                            {
                                "format": _FORMAT,
                                "class": _class_path(type(net)),
                                "params": _encode(net.get_params(deep=False), "params"),
                            }
                        ),
                    )
                entries.append(entry)
            zf.writestr(_SKELETON, data)
            zf.writestr(
                _MANIFEST,
                json.dumps(
                    {
                        "format": _BUNDLE_FORMAT,
                        "xraynet_version": __version__,
                        "skeleton": _SKELETON,
                        "networks": entries,
                    }
                ),
            )
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _bundle_entries(zf, path):
    """The network entries of a bundle, checked: ``net-0...``, ``net-1...`` in order."""
    names = set(zf.namelist())
    if _MANIFEST in names:
        manifest = _read_json(zf, _MANIFEST, path)
        try:
            entries = list(manifest["networks"])
            fmt = manifest.get("format")
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(
                f"{path}: corrupt {_MANIFEST} ({type(exc).__name__}: {exc})."
            ) from None
        if fmt != _BUNDLE_FORMAT:
            raise ValueError(f"{path}: unsupported .xraynet bundle format {fmt!r}.")
    else:  # bundles written before the manifest existed
        entries = sorted(
            (n for n in names if _NET_ENTRY.fullmatch(n)),
            key=lambda n: int(_NET_ENTRY.fullmatch(n).group(1)),
        )
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
                    spec = _read_json(zf, entry, path)
                    try:
                        cls = _import_xraynet_class(spec["class"])
                        nets.append(cls(**_decode(spec["params"])))
                    except (KeyError, TypeError, AttributeError, RecursionError) as exc:
                        raise ValueError(
                            f"{path}: corrupt {entry} ({type(exc).__name__}: {exc})."
                        ) from None
                    except ValueError as exc:
                        raise ValueError(f"{path} ({entry}): {exc}") from None

    def leaf(obj):
        if isinstance(obj, _NetworkSlot):
            if not (isinstance(obj.index, Integral) and 0 <= obj.index < len(nets)):
                raise ValueError(f"{path}: network {obj.index!r} is missing from the bundle.")
            return nets[obj.index]
        return obj

    return _swap(skeleton, leaf, {})
