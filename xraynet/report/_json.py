"""``to_strict_json``: JSON that strict readers (and JavaScript) accept."""

import json
import math
from pathlib import PurePath

import numpy as np

__all__ = ["to_strict_json"]


def _strict(value):
    """numpy to Python, tuples to lists, non-finite floats (NaN, ±inf) to None."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value


def _default(value):
    if isinstance(value, PurePath):
        return str(value)
    tolist = getattr(value, "tolist", None)  # pandas objects
    if callable(tolist):
        return _strict(tolist())
    return str(value)


def to_strict_json(obj, *, indent=2):
    """Serialise ``obj`` as strict JSON: a non-finite float becomes ``null``.

    ``json.dumps`` writes NaN and infinity as ``NaN`` and ``Infinity``,
    which are not JSON: strict parsers, JavaScript's ``JSON.parse`` and
    many databases reject the whole file. An undefined score (the ROC AUC of
    a test set holding one class, a confidence interval that cannot be
    computed) is written as ``null`` instead. numpy scalars and arrays
    become Python numbers and lists, paths become strings, any other
    object its ``str``. This is how ``metrics.json`` is written.

    Parameters
    ----------
    obj : object
        Dicts, lists, tuples, numbers, strings, None, numpy scalars and
        arrays, paths; nested as deep as needed.
    indent : int or None, default=2
        Indentation, as for ``json.dumps``; None writes one line.

    Returns
    -------
    text : str
        The JSON text (no trailing newline).

    Examples
    --------
    >>> import numpy as np
    >>> from xraynet.report import to_strict_json
    >>> to_strict_json({"roc_auc": float("nan"), "n": np.int64(3)}, indent=None)
    '{"roc_auc": null, "n": 3}'
    """
    return json.dumps(_strict(obj), indent=indent, allow_nan=False, default=_default)
