"""Fast random geometric and intensity augmentation of uint8 image batches.

Every image gets ONE composed affine warp (rotation, zoom, shift and optional
horizontal flip folded into a single 2x3 matrix about the image centre), run by
``cv2.warpAffine`` directly on ``uint8`` data, and an optional brightness /
contrast / gamma change through one 256-entry lookup table, then an optional
Gaussian blur. All random numbers of a batch
are drawn up front, so the output depends only on the random generator, never
on ``n_jobs``.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from numbers import Real

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions

from xraynet.utils import check_image_array, check_random_state_int
from xraynet.utils._validation import N_JOBS_CONSTRAINT, NonBoolInterval

from ._warp import BORDERS, Params, affine_matrices, augment_chunk, blur_sigmas, draw, lookup_tables

__all__ = ["Augmenter"]

# Worker threads are reused across calls (a new pool per batch of 32 images
# costs ~5 % of the batch). Keyed by process id so a forked child never uses
# its parent's (thread-less) pool. Workers only run augment_chunk, which never
# waits on another task, so concurrent callers cannot deadlock.
_POOLS = {}
_POOLS_LOCK = threading.Lock()


def _thread_pool(n_threads):
    key = (os.getpid(), n_threads)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = ThreadPoolExecutor(
                max_workers=n_threads, thread_name_prefix="xraynet-augment"
            )
    return pool


def _is_real(value):
    return isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value)


def _check_range(value, name, *, allow_none, lower_open):
    """Validate a (lo, hi) pair with 0 < lo <= hi (or 0 <= lo when not lower_open)."""
    if value is None and allow_none:
        return None
    try:
        lo, hi = value
    except (TypeError, ValueError):
        lo = hi = None
    if not (_is_real(lo) and _is_real(hi)):
        raise ValueError(
            f"{name} must be {'None or ' if allow_none else ''}a pair (lo, hi) of "
            f"finite numbers; got {value!r}."
        )
    if (lo <= 0 if lower_open else lo < 0) or lo > hi:
        raise ValueError(
            f"{name} must satisfy {'0 < lo' if lower_open else '0 <= lo'} <= hi; got {value!r}."
        )
    return float(lo), float(hi)


def _freeze(value):
    """A comparable snapshot of a parameter value: its type, and list-likes as tuples."""
    kind = type(value)
    if kind is np.ndarray:
        return kind, _freeze(value.tolist())
    if kind is tuple or kind is list:
        return kind, tuple(map(_freeze, value))
    return kind, value


class Augmenter(TransformerMixin, BaseEstimator):
    """Random affine and intensity augmentation of chest X-ray batches.

    A fast, deterministic replacement for Keras' ``ImageDataGenerator`` with
    the same parameter names. Each image is warped once by a random rotation,
    zoom, shift (and optional horizontal flip) composed into a single affine
    matrix about the image centre (``cv2.warpAffine``, bilinear, on ``uint8``),
    then optionally rescaled in brightness, contrast and gamma via one lookup
    table.

    Parameters
    ----------
    rotation_range : float, default=30
        Rotation angle in degrees, drawn uniformly in
        ``[-rotation_range, rotation_range]``; between 0 and 180.
    zoom_range : float or (float, float), default=0.2
        Zoom factors, drawn independently for width and height as in
        ``ImageDataGenerator``: a float ``z`` means ``[1 - z, 1 + z]``, a pair
        is ``[lo, hi]`` with ``0 < lo <= hi``. A factor above 1 shows a larger
        field of view (the anatomy looks smaller), below 1 magnifies.
    width_shift_range : float, default=0.1
        Horizontal shift as a fraction of the width, drawn uniformly in
        ``[-width_shift_range, width_shift_range]``; between 0 and 1.
    height_shift_range : float, default=0.1
        Vertical shift as a fraction of the height, same semantics.
    horizontal_flip : bool, default=False
        Mirror half of the images left-right. Off by default because chest
        X-rays are not left-right symmetric: the heart lies on the patient's
        left, and a mirrored film shows dextrocardia, an anatomy the test data
        never contain. (The seed project used ``True``; turn it on only if
        you know your task is side-agnostic.)
    brightness_range : (float, float) or None, default=None
        Multiplicative brightness factor drawn in ``[lo, hi]``, ``0 < lo``,
        e.g. ``(0.9, 1.1)``. ``None`` leaves brightness unchanged.
    contrast_range : (float, float) or None, default=None
        Contrast factor ``c`` drawn in ``[lo, hi]``, ``0 < lo``: pixel values
        become ``mean + c * (value - mean)`` (the mean of the image), as
        ``PIL.ImageEnhance.Contrast``. ``None`` leaves contrast unchanged.
    fill_mode : {"constant", "nearest", "reflect", "wrap"}, default="constant"
        How pixels that come from outside the image are filled. ``"constant"``
        (value ``cval``, black by default) is the default because the border of
        a radiograph is dark background; ``ImageDataGenerator``'s ``"nearest"``
        smears the edge rows into streaks and ``"reflect"`` mirrors anatomy
        (ribs, a second shoulder) into the image.
    cval : int, default=0
        Fill value in 0-255 for ``fill_mode="constant"``.
    random_state : int, RandomState instance or None, default=None
        Seed of :meth:`fit_transform`. The same seed gives the same output.
        :meth:`augment` takes its generator as an argument instead.
    n_jobs : int or None, default=None
        Number of threads (OpenCV releases the GIL). ``None`` means 1 unless
        in a ``joblib.parallel_config`` context, ``-1`` all cores. The output
        does not depend on ``n_jobs``.
    gamma_range : (float, float) or None, default=None
        Gamma ``g`` drawn in ``[lo, hi]``, ``0 < lo``, e.g. ``(0.8, 1.25)``:
        after brightness and contrast, grey levels ``v`` (clipped to 0-255)
        become ``255 * (v / 255) ** g``. Black and white stay fixed; ``g > 1``
        darkens the mid-tones, ``g < 1`` brightens them (a different detector
        response or display curve). Applied in the same lookup table as
        brightness and contrast, so it costs nothing extra per pixel.
        ``None`` leaves gamma unchanged.
    blur_range : (float, float) or None, default=None
        Gaussian blur sigma in pixels drawn in ``[lo, hi]``, ``0 <= lo``, e.g.
        ``(0, 1)``, applied last (a softer detector, a different
        reconstruction kernel); sigma 0 leaves the image sharp. ``None``
        applies no blur.

    See Also
    --------
    xraynet.CNNClassifier : Keras estimators whose ``augmentation`` parameter
        calls :meth:`augment` on every training batch of every epoch.

    Notes
    -----
    As scikit-learn's ``TargetEncoder``, ``fit_transform(X)`` is **not** the
    same as ``fit(X).transform(X)``: ``fit_transform`` returns an augmented
    copy of the training images, while ``transform`` returns its input
    unchanged (validated, ``uint8``). In a :class:`~sklearn.pipeline.Pipeline`
    the training data are therefore augmented in ``fit`` and test data are
    never touched by ``predict`` or ``score``. ``fit_transform`` replaces each
    image by one augmented version; for a fresh augmentation at every epoch,
    give the Augmenter to a Keras estimator's ``augmentation`` parameter.

    The composed warp differs from ``ImageDataGenerator`` in small details: it
    interpolates once on ``uint8`` instead of on float (differences of at most
    one grey level), the shift is applied along the image axes rather than
    along the rotated ones, and shift ranges are always fractions of the image
    size (``ImageDataGenerator`` also accepts pixel counts and lists).

    Examples
    --------
    >>> import numpy as np
    >>> from xraynet import Augmenter
    >>> X = np.random.default_rng(0).integers(0, 256, (4, 64, 64, 1), dtype=np.uint8)
    >>> aug = Augmenter(rotation_range=15, random_state=0)
    >>> Xa = aug.fit_transform(X)
    >>> Xa.shape, Xa.dtype
    ((4, 64, 64, 1), dtype('uint8'))
    >>> bool((aug.transform(X) == X).all())
    True
    >>> aug.augment(X, np.random.default_rng(1)).shape
    (4, 64, 64, 1)
    >>> grey = np.full((1, 8, 8, 1), 128, dtype=np.uint8)
    >>> darker = Augmenter(rotation_range=0, zoom_range=0, width_shift_range=0,
    ...                    height_shift_range=0, gamma_range=(2, 2)).augment(grey, 0)
    >>> int(darker[0, 0, 0, 0])  # 255 * (128 / 255) ** 2
    64
    """

    # Types and ranges; the (lo, hi) pairs and the integer cval are checked by hand
    # in _check_params. augment() validates too (it is used without fit), but only
    # when the parameter values differ from the last validated ones (_params).
    _parameter_constraints = {
        "rotation_range": [NonBoolInterval(Real, 0, 180, closed="both")],
        "zoom_range": [NonBoolInterval(Real, 0, 1, closed="left"), "array-like"],
        "width_shift_range": [NonBoolInterval(Real, 0, 1, closed="both")],
        "height_shift_range": [NonBoolInterval(Real, 0, 1, closed="both")],
        "horizontal_flip": ["boolean"],
        "brightness_range": [None, "array-like"],
        "contrast_range": [None, "array-like"],
        "fill_mode": [StrOptions(set(BORDERS))],
        "cval": [NonBoolInterval(Real, 0, 255, closed="both")],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "gamma_range": [None, "array-like"],
        "blur_range": [None, "array-like"],
    }

    def __init__(
        self,
        rotation_range=30,
        zoom_range=0.2,
        width_shift_range=0.1,
        height_shift_range=0.1,
        horizontal_flip=False,
        brightness_range=None,
        contrast_range=None,
        fill_mode="constant",
        cval=0,
        random_state=None,
        n_jobs=None,
        gamma_range=None,
        blur_range=None,
    ):
        self.rotation_range = rotation_range
        self.zoom_range = zoom_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.horizontal_flip = horizontal_flip
        self.brightness_range = brightness_range
        self.contrast_range = contrast_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.gamma_range = gamma_range
        self.blur_range = blur_range

    # ------------------------------------------------------------------ API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and ``X``; the Augmenter learns nothing.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])
            Images (see :func:`xraynet.utils.check_image_array`).
        y : None
            Ignored.

        Returns
        -------
        self : Augmenter
        """
        self._params(validated=True)
        check_image_array(X, name="X")
        return self

    def transform(self, X):
        """Return ``X`` unchanged (validated as ``uint8``): test data are never augmented.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])
            Images.

        Returns
        -------
        X : ndarray of shape (n_samples, height, width, channels), dtype uint8
        """
        self._params()
        return check_image_array(X, name="X")

    def fit_transform(self, X, y=None):
        """Return a randomly augmented copy of the training images ``X``.

        Unlike ``fit(X).transform(X)`` (which returns ``X`` unchanged), this
        augments every image once, with the generator seeded by
        ``random_state``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])
            Images.
        y : None
            Ignored.

        Returns
        -------
        X_augmented : ndarray of shape (n_samples, height, width, channels), dtype uint8
        """
        self._validate_params()  # before random_state is used
        seed = check_random_state_int(self.random_state)
        return self.augment(X, np.random.default_rng(seed))

    def augment(self, X, rng=None):
        """Augment a batch: a fresh random transform for every image.

        This is the per-batch method the Keras estimators call. It needs no
        fitting, never modifies ``X`` and is thread-safe. The parameters are
        validated at the first call and again whenever they change (through
        ``set_params`` or assignment); calls with unchanged parameters reuse
        the validated values.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])
            Images, ideally ``uint8`` (n, h, w, c) with c in {1, 3}.
        rng : numpy.random.Generator, int or None, default=None
            Source of randomness, passed to :func:`numpy.random.default_rng`:
            a ``Generator`` is used (and advanced) as is, an int seeds a new
            one, ``None`` draws fresh OS entropy. ``self.random_state`` is not
            used here. Exactly one ``rng.random((n_samples, 8))`` call is made,
            plus one ``rng.random(n_samples)`` when ``gamma_range`` is set and
            one more when ``blur_range`` is set (so the other parameters draw
            the same numbers with or without gamma and blur).

        Returns
        -------
        X_augmented : ndarray of shape (n_samples, height, width, channels), dtype uint8
            A new array; ``X`` is left untouched.

        Examples
        --------
        >>> import numpy as np
        >>> from xraynet import Augmenter
        >>> X = np.zeros((2, 32, 32, 1), dtype=np.uint8)
        >>> Augmenter().augment(X, np.random.default_rng(0)).shape
        (2, 32, 32, 1)
        """
        params = self._params()
        X = np.ascontiguousarray(check_image_array(X, name="X"))
        if isinstance(rng, np.random.RandomState):
            rng = check_random_state_int(rng)
        rng = np.random.default_rng(rng)
        n, h, w, _ = X.shape
        draws = draw(rng, n, params)
        matrices, kinds = affine_matrices(draws, h, w, params)
        luts = lookup_tables(draws, X, params)
        out = np.empty_like(X)
        kernel_args = (matrices, kinds, luts, params, blur_sigmas(draws, params))
        # effective_n_jobs reads joblib's parallel_config context: not cached
        n_threads = min(int(effective_n_jobs(self.n_jobs)), n)
        if n_threads <= 1:
            augment_chunk(X, out, range(n), *kernel_args)
        else:
            chunks = np.array_split(np.arange(n), n_threads)
            pool = _thread_pool(n_threads)
            futures = [pool.submit(augment_chunk, X, out, chunk, *kernel_args) for chunk in chunks]
            for future in futures:
                future.result()  # waits; re-raises worker errors
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["uint8"]
        return tags

    def __getstate__(self):
        # the validated-parameter cache is rebuilt on demand, never saved
        state = super().__getstate__()
        state.pop("_validated", None)
        return state

    # -------------------------------------------------------------- helpers
    def _params_key(self):
        """The current parameter values, with list-likes frozen into tuples.

        Freezing makes an in-place change of a list (``aug.zoom_range[0] =
        ...``) a different key, and the types are part of the key (``True``
        and ``1`` are equal but only one is a valid ``horizontal_flip``), so
        such changes are validated again.
        """
        return tuple(_freeze(getattr(self, name)) for name in self._parameter_constraints)

    def _params(self, validated=False):
        """The validated :class:`Params`, cached against the parameter values.

        The constraints and the hand-written checks run only when the
        parameters differ from the last validated ones (about 70 us saved per
        batch). ``validated=True``: ``_fit_context`` has just checked the
        constraints.
        """
        key = self._params_key()
        cached = self.__dict__.get("_validated")
        if cached is not None and cached[0] == key:
            return cached[1]
        if not validated:
            self._validate_params()
        params = self._check_params()
        self._validated = (key, params)
        return params

    def _check_params(self):
        """Check what ``_parameter_constraints`` cannot (pairs, integer cval); convert."""
        zoom = self.zoom_range
        if isinstance(zoom, Real):
            zoom = (1.0 - zoom, 1.0 + zoom)
        else:
            zoom = _check_range(zoom, "zoom_range", allow_none=False, lower_open=True)
        brightness = _check_range(
            self.brightness_range, "brightness_range", allow_none=True, lower_open=True
        )
        contrast = _check_range(
            self.contrast_range, "contrast_range", allow_none=True, lower_open=True
        )
        gamma = _check_range(self.gamma_range, "gamma_range", allow_none=True, lower_open=True)
        blur = _check_range(self.blur_range, "blur_range", allow_none=True, lower_open=False)
        cval = self.cval
        if int(cval) != cval:
            raise ValueError(f"cval must be an integer grey level in [0, 255]; got {cval!r}.")
        return Params(
            rotation=float(self.rotation_range),
            zoom=(float(zoom[0]), float(zoom[1])),
            width_shift=float(self.width_shift_range),
            height_shift=float(self.height_shift_range),
            flip=bool(self.horizontal_flip),
            brightness=brightness,
            contrast=contrast,
            border=BORDERS[self.fill_mode],
            cval=int(cval),
            gamma=gamma,
            blur=blur,
        )
