"""skops with xraynet's type policy: which types a ``.skops`` file may name.

A class is accepted only when the object the name resolves to is defined in
scikit-learn or xraynet (a name that reaches another package's class through a
re-export, such as ``sklearn.datasets._openml.TemporaryDirectory``, is
refused), outside their vendored and testing modules, and when no class in its
MRO has a Python ``__del__`` or a ``__setstate__`` of another package: skops
rebuilds objects without calling their constructor, but a finaliser or a
``__setstate__`` runs on load. NumPy and SciPy classes are not accepted (skops
itself rebuilds arrays, dtypes and random states): NumPy's ``DataSource``
deletes its folder in ``__del__``, and SciPy's distributions ``exec`` an
attribute in ``__setstate__``. Functions only when listed in
``_TRUSTED_FUNCTIONS`` or a public scoring function of ``sklearn.metrics`` /
``xraynet.metrics``. Used for ``.skops`` files and the skeleton of
``.xraynet`` bundles.
"""

import importlib
import zipfile

_TRUSTED_PACKAGES = frozenset({"sklearn", "numpy", "scipy", "xraynet"})  # names looked at
_CLASS_PACKAGES = frozenset({"sklearn", "xraynet"})  # where accepted classes are defined
# vendored third-party code and test helpers: no model holds their classes
_REFUSED_MODULES = ("sklearn.externals", "sklearn.utils._testing", "sklearn.conftest")
_SCORING_MODULES = ("sklearn.metrics", "xraynet.metrics")
_TRUSTED_FUNCTIONS = frozenset(
    f"numpy.{name}"
    for name in ("sum", "mean", "median", "std", "var", "min", "max", "amin", "amax", "clip")
)


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


def _defined_in(obj, packages):
    return str(getattr(obj, "__module__", "") or "").partition(".")[0] in packages


def _is_safe_class(cls):
    """A scikit-learn / xraynet class whose loading runs no code of another package."""
    module = str(cls.__module__)
    if not _defined_in(cls, _CLASS_PACKAGES) or module.startswith(_REFUSED_MODULES):
        return False
    for klass in cls.__mro__[:-1]:  # object has neither
        attrs = vars(klass)
        if "__del__" in attrs:  # a finaliser runs when the loaded object is collected
            return False
        if "__setstate__" in attrs and not _defined_in(klass, _CLASS_PACKAGES):
            return False  # skops calls __setstate__ on load
    return True


def _is_accepted(name):
    """Whether xraynet loads a skops file naming ``name`` (see the module docstring)."""
    if name.partition(".")[0] not in _TRUSTED_PACKAGES:
        return False
    obj = _resolve(name)
    if name in _TRUSTED_FUNCTIONS:
        return callable(obj) and _defined_in(obj, {"numpy"})
    if isinstance(obj, type):
        return _is_safe_class(obj)
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
            "with trusted=True) can hold anything."
        ) from exc
    refused = _refused_types(sio.get_untrusted_types(data=data))
    if refused:
        raise ValueError(
            f"cannot save this {type(obj).__name__} safely: it holds "
            f"{', '.join(refused)}, which xraynet.load_model refuses to load (only "
            "scikit-learn and xraynet classes, NumPy arrays and the scoring functions "
            "are accepted). Replace them, or write a pickle with a '.joblib' path "
            "(loadable only with trusted=True)."
        )
    return data


def _skops_loads(data, where, trusted=False):
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except zipfile.BadZipFile:
        raise ValueError(f"{where} is not a .skops file (not a zip file).") from None
    except Exception as exc:  # no / corrupt schema.json, unknown skops protocol
        raise ValueError(
            f"{where} is not a valid .skops file ({type(exc).__name__}: {exc})."
        ) from None
    refused = _refused_types(untrusted)
    if refused and not trusted:
        raise ValueError(
            f"{where} holds types that xraynet does not load: {', '.join(refused)}. "
            "Only scikit-learn and xraynet classes (whose loading runs no other code), "
            "NumPy arrays and the scoring functions are accepted; inspect the file with "
            "skops.io.get_untrusted_types and, if you trust whoever made it, load it with "
            "trusted=True."
        )
    try:
        return sio.loads(data, trusted=untrusted)
    except Exception as exc:
        raise ValueError(
            f"{where}: cannot rebuild the object ({type(exc).__name__}: {exc})."
        ) from exc
