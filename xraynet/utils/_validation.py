"""Input validation shared by transformers and estimators.

The one array convention of xraynet: images are ``uint8`` arrays of shape
``(n_samples, height, width, channels)`` with values 0-255, channels last.
"""

import os
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

__all__ = [
    "check_image_array",
    "check_n_jobs",
    "check_random_state_int",
    "get_data_home",
]


class NonBoolInterval(Interval):
    """``sklearn.utils._param_validation.Interval`` that rejects bools.

    ``Interval(Integral, ...)`` accepts ``True``/``False`` (``bool`` is an
    ``Integral``); for a count such as ``orientations`` or ``n_jobs`` a bool
    is a mistake. A subclass because scikit-learn's ``make_constraint`` only
    takes its own constraint classes.
    """

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)):
            return False
        return super().is_satisfied_by(val)


class _NonZeroInt(NonBoolInterval):
    """A non-zero int that is not a bool (joblib's ``n_jobs``)."""

    def __init__(self):
        super().__init__(Integral, None, None, closed="neither")

    def is_satisfied_by(self, val):
        return super().is_satisfied_by(val) and val != 0

    def __str__(self):
        return "a non-zero int (not a bool)"


#: The one ``n_jobs`` definition, as a ``_parameter_constraints`` entry:
#: ``None`` or a non-zero int (joblib's convention; ``-1`` = all cores), never a bool.
N_JOBS_CONSTRAINT = [None, _NonZeroInt()]


def check_n_jobs(n_jobs, name="n_jobs"):
    """Validate a joblib-style ``n_jobs`` and return it unchanged.

    Parameters
    ----------
    n_jobs : int or None
        ``None`` or a non-zero int (``-1`` = all cores). A bool is rejected:
        ``True`` is not a number of jobs.
    name : str, default="n_jobs"
        Name of the argument, used in the error message.

    Returns
    -------
    n_jobs : int or None

    Raises
    ------
    ValueError
        If ``n_jobs`` is not ``None`` or a non-zero int.
    """
    if n_jobs is not None and not N_JOBS_CONSTRAINT[1].is_satisfied_by(n_jobs):
        raise ValueError(f"{name} must be None or a non-zero int (not a bool); got {n_jobs!r}.")
    return n_jobs


def check_image_array(X, *, name="X", min_size=None, channels=(1, 3), copy=False):
    """Validate an image batch and return it as ``uint8`` (n, h, w, c).

    Parameters
    ----------
    X : array-like of shape (n_samples, height, width) or (n_samples, height, width, channels)
        Images. ``uint8`` is used as is. Integer arrays must lie in [0, 255].
        Float arrays must be finite (NaN or infinite values raise
        ValueError, they are never replaced silently) and lie either in
        [0, 1] (scaled by 255) or in [0, 255]; they are rounded to ``uint8``.
    name : str, default="X"
        Name of the argument, used in error messages.
    min_size : int or None, default=None
        Smallest height and width the caller can handle.
    channels : tuple of int, default=(1, 3)
        Accepted channel counts.
    copy : bool, default=False
        Return a copy even when ``X`` is already a ``uint8`` array.

    Returns
    -------
    images : ndarray of shape (n_samples, height, width, channels), dtype uint8

    Raises
    ------
    ValueError
        With a message naming ``name`` and what was expected.
    """
    if isinstance(X, (str, os.PathLike)):
        raise ValueError(
            f"{name} must be an array of images, got a single path {str(X)!r}; "
            "load files with xraynet.ImageLoader first."
        )
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists, etc.
        raise ValueError(f"{name} must be an array of equally sized images: {exc}") from exc
    if arr.dtype.kind in "OUS":
        raise ValueError(
            f"{name} holds {arr.dtype} values (file paths?), not pixel arrays; "
            "put an xraynet.ImageLoader in front of this estimator to load files."
        )
    if arr.ndim == 3:
        arr = arr[..., np.newaxis]
    if arr.ndim != 4:
        raise ValueError(
            f"{name} must have shape (n_samples, height, width[, channels]); "
            f"got an array with {arr.ndim} dimension(s), shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} holds no images (shape {arr.shape}).")
    if arr.shape[-1] not in channels:
        raise ValueError(
            f"{name} must have {' or '.join(map(str, channels))} channel(s) in the "
            f"last axis; got shape {arr.shape}."
        )
    if min_size is not None and min(arr.shape[1:3]) < min_size:
        raise ValueError(
            f"{name} images are {arr.shape[1]}x{arr.shape[2]} pixels; this model "
            f"needs at least {min_size}x{min_size}."
        )
    if arr.dtype == np.uint8:
        return arr.copy() if copy else arr
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if arr.dtype.kind in "iu":
        lo, hi = arr.min(), arr.max()
        if lo < 0 or hi > 255:
            raise ValueError(
                f"{name} has integer pixel values in [{lo}, {hi}]; expected 0-255 "
                "(scale 16-bit images to 8 bits, or load them with xraynet.ImageLoader)."
            )
        return arr.astype(np.uint8)
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            bad = ~finite
            n_bad = int(bad.sum())
            first = int(np.flatnonzero(bad.reshape(len(arr), -1).any(axis=1))[0])
            raise ValueError(
                f"{name} contains {n_bad} NaN or infinite pixel value"
                f"{'s' if n_bad > 1 else ''} (first in image {first}); they have no "
                "grey level. Replace them first, e.g. with np.nan_to_num(X, nan=0.0)."
            )
        lo, hi = float(arr.min()), float(arr.max())
        if lo >= 0.0 and hi <= 1.0:
            return np.rint(arr * 255.0).astype(np.uint8)
        if lo >= 0.0 and hi <= 255.0:
            return np.rint(arr).astype(np.uint8)
        raise ValueError(
            f"{name} has float pixel values in [{lo:g}, {hi:g}]; expected [0, 1] or [0, 255]."
        )
    raise ValueError(f"{name} has unsupported dtype {arr.dtype}; expected uint8 images.")


def check_random_state_int(random_state):
    """Turn a scikit-learn ``random_state`` into an int seed (or None).

    Keras, TensorFlow and OpenCV need integer seeds; ``None`` stays ``None``
    (non-deterministic), an int is returned as is, and a ``RandomState`` draws
    one integer.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        A scikit-learn ``random_state``.

    Returns
    -------
    int or None
        The seed.
    """
    if random_state is None:
        return None
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def get_data_home(data_home=None):
    """Folder that holds xraynet data files.

    ``data_home`` if given, else ``$XRAYNET_DATA``, else ``~/xraynet_data``.
    The folder is not created here: callers that write create it themselves.

    Parameters
    ----------
    data_home : str or path-like, default=None
        An explicit folder.

    Returns
    -------
    pathlib.Path
        The data folder (``~`` expanded).
    """
    if data_home is None:
        data_home = os.environ.get("XRAYNET_DATA") or Path.home() / "xraynet_data"
    return Path(data_home).expanduser()
