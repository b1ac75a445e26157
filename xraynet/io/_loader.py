"""ImageLoader: a stateless scikit-learn transformer from file paths to images."""

import os
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real

import cv2
import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions

from ..utils import check_image_array
from ..utils._validation import N_JOBS_CONSTRAINT, NonBoolInterval
from ._errors import ImageLoadError
from ._intensity import INTENSITY_MODES, normalize_intensity
from ._masks import MASK_MODES, apply_mask, read_mask
from ._readers import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    check_color,
    load_image,
)

__all__ = ["ImageLoader"]


def _check_size(size):
    if isinstance(size, Integral) and not isinstance(size, bool):
        size = (size, size)
    if (
        isinstance(size, (tuple, list))
        and len(size) == 2
        and all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in size)
    ):
        return int(size[0]), int(size[1])
    raise ValueError(f"size must be a positive int or a (height, width) pair; got {size!r}.")


def _resize(img, height, width, keep_aspect, factor=1, intensity=None):
    """Resize (h, w, c) uint8 to (height, width, c), anti-aliased.

    ``factor`` > 1 means ``img`` was decoded at 1/factor of the file's size
    (each pixel covers factor x factor original pixels). Shrinking halves an
    axis with exact 2x2 area averaging (OpenCV's fast ``INTER_AREA`` path)
    while it is at least twice the target, then finishes with bilinear
    interpolation whose remaining factor is below 2, so every source pixel
    contributes (a mipmap). The last step samples the exact original geometry,
    so a reduced JPEG decode and a full decode give the same picture. This is
    within ~1 grey level of a one-step ``INTER_AREA`` resize and many times
    faster (OpenCV's general ``INTER_AREA`` is slow for non-integer factors).
    Enlarging uses ``INTER_LINEAR``. With ``keep_aspect`` the image is fitted
    inside the target and centred on a black canvas (letterbox). ``intensity``
    (None, "equalize" or "clahe") is applied to the resized image, before
    letterboxing.
    """
    h, w, c = img.shape
    if keep_aspect:
        scale = min(height / (h * factor), width / (w * factor))
        nh = max(1, min(height, round(h * factor * scale)))
        nw = max(1, min(width, round(w * factor * scale)))
        inner = _resize(img, nh, nw, False, factor, intensity)
        if (nh, nw) == (height, width):
            return inner
        out = np.zeros((height, width, c), np.uint8)
        top, left = (height - nh) // 2, (width - nw) // 2
        out[top : top + nh, left : left + nw] = inner
        return out
    h0, w0, fy, fx = h * factor, w * factor, factor, factor  # original extent, pixel footprint
    out = img
    while h >= 2 * height or w >= 2 * width:
        sy, sx = (0.5 if h >= 2 * height else 1.0), (0.5 if w >= 2 * width else 1.0)
        out = cv2.resize(out, None, fx=sx, fy=sy, interpolation=cv2.INTER_AREA)
        h, w = out.shape[:2]
        fy, fx = fy / sy, fx / sx
    if fy == 1 and fx == 1:
        if (h, w) != (height, width):
            out = cv2.resize(out, (width, height), interpolation=cv2.INTER_LINEAR)
    else:  # map output pixel centres onto the original geometry
        ax, ay = w0 / (width * fx), h0 / (height * fy)
        matrix = np.array([[ax, 0.0, 0.5 * ax - 0.5], [0.0, ay, 0.5 * ay - 0.5]])
        out = cv2.warpAffine(
            out,
            matrix,
            (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
    return normalize_intensity(out.reshape(height, width, c), intensity)


def _convert(img, channels):
    """(h, w, c) RGB/grey uint8 -> (h, w, channels)."""
    if img.shape[2] == channels:
        return img
    if channels == 3:
        return np.repeat(img, 3, axis=2)
    return cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)[:, :, None]


def _as_paths(X):
    """Return ``(paths, None)`` if ``X`` holds file paths, else ``(None, images)``."""
    if isinstance(X, (str, bytes, os.PathLike)):
        raise ValueError(
            "X must be a 1-D array-like of file paths or an array of images; got a single "
            f"path {X!r}. Wrap it in a list: [path]."
        )
    if hasattr(X, "iloc"):  # pandas Series / DataFrame
        if getattr(X, "ndim", 1) == 2:
            if X.shape[1] != 1:
                raise ValueError(
                    "X as a DataFrame must have exactly one column of file paths; "
                    f"got {X.shape[1]} columns {list(X.columns)}. (For [image, mask] "
                    "columns set ImageLoader(mask_mode='crop' or 'zero').)"
                )
            X = X.iloc[:, 0]
        X = X.to_numpy()
    if isinstance(X, np.ndarray):
        if X.dtype.kind not in "OUS":
            return None, X
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if X.ndim != 1:
            raise ValueError(f"X must be a 1-D array of file paths; got shape {X.shape}.")
    items = list(X)
    if not items:
        raise ValueError("X is empty: expected at least one file path or image.")
    if not isinstance(items[0], (str, os.PathLike)):
        return None, items
    for i, p in enumerate(items):
        if not isinstance(p, (str, os.PathLike)):
            raise ValueError(
                f"X[{i}] is {type(p).__name__} {p!r}; expected a file path (str or path-like)."
            )
    return items, None


def _missing(value):
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def _split_masks(X):
    """``X`` of shape (n, 2) [image path, mask path] -> (image paths, mask paths)."""
    if isinstance(X, (str, bytes, os.PathLike)):
        raise ValueError(f"X must be (n_samples, 2) [image path, mask path] rows; got {X!r}.")
    if hasattr(X, "iloc") and getattr(X, "ndim", 1) == 2:
        X = X.to_numpy(dtype=object)
    rows = X if isinstance(X, np.ndarray) else list(X)
    shape = np.shape(rows) if isinstance(rows, np.ndarray) else (len(rows),)
    if isinstance(rows, np.ndarray) and (rows.ndim != 2 or rows.shape[1] != 2):
        raise ValueError(
            "with mask_mode set, X must have two columns [image path, mask path] (a 2-column "
            f"DataFrame or an (n_samples, 2) array); got shape {shape}."
        )
    if not len(rows):
        raise ValueError("X is empty: expected at least one [image path, mask path] row.")
    images, masks = [], []
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes, os.PathLike)) or len(row) != 2:
            raise ValueError(
                "with mask_mode set, X must have two columns [image path, mask path]; "
                f"row {i} is {row!r}."
            )
        image, mask = row
        if not isinstance(image, (str, os.PathLike)):
            raise ValueError(
                f"X[{i}, 0] is {type(image).__name__} {image!r}; expected an "
                "image file path (image arrays cannot be combined with masks)."
            )
        if _missing(mask):
            raise ImageLoadError(image, f"no mask given (X[{i}, 1] is {mask!r})")
        if not isinstance(mask, (str, os.PathLike)):
            raise ValueError(
                f"X[{i}, 1] is {type(mask).__name__} {mask!r}; expected a mask file path."
            )
        images.append(image)
        masks.append(mask)
    return images, masks


class ImageLoader(TransformerMixin, BaseEstimator):
    """Load image files (or resize image arrays) into one ``uint8`` batch.

    A stateless transformer: ``fit`` only validates the parameters, and
    ``transform`` maps a 1-D array-like of file paths to an array of shape
    ``(n_samples, height, width, channels)``. It can therefore sit first in a
    :class:`~sklearn.pipeline.Pipeline` whose input is a list of files.

    Parameters
    ----------
    size : int or (height, width), default=150
        Output size. Shrinking is anti-aliased: exact 2x2 area averaging
        (``INTER_AREA``) while the image is at least twice the target, then
        bilinear for the last factor below 2 (within ~1 grey level of a
        one-step ``INTER_AREA`` and much faster); enlarging uses
        ``INTER_LINEAR``. The aspect ratio is not kept unless
        ``keep_aspect=True``.
    color : {"grayscale", "rgb"}, default="grayscale"
        1 output channel, or 3 in RGB order.
    keep_aspect : bool, default=False
        If True, fit each image inside ``size`` keeping its aspect ratio and pad
        the rest with black (letterbox); if False, stretch to ``size``.
    n_jobs : int or None, default=None
        Number of threads decoding files (OpenCV releases the GIL). ``None``
        means 1 (unless inside a :func:`joblib.parallel_config` context),
        ``-1`` all cores, joblib semantics.
    verbose : bool, default=False
        Show a tqdm progress bar while loading files.
    max_pixels : int or None, default=100_000_000
        Refuse files whose header announces more pixels than this (decompression
        bombs); None disables the check. Formats without a size field that
        xraynet parses (GIF, WebP, PNM, ...) are sized by Pillow's header
        parsers, so they too are refused before decoding.
    max_bytes : int or None, default=536_870_912 (512 MiB)
        Refuse files larger than this many bytes (checked with ``fstat``
        before reading). None disables the check. Whatever the limit, only
        regular files are read: a FIFO, socket or device (``/dev/zero``) is
        refused without blocking.
    mask_mode : {None, "crop", "zero"}, default=None
        Use a lung mask per image. ``X`` then has two columns, ``[image path,
        mask path]`` (a 2-column DataFrame such as ``table[["path",
        "mask_path"]]``, or an (n_samples, 2) array), which keeps working inside
        a Pipeline or GridSearchCV. ``"crop"`` cuts each image to the bounding
        box of its lungs (plus ``mask_margin``) before resizing; ``"zero"``
        sets every pixel outside the lungs to 0. In both modes regions of the
        class "Ignore" are set to 0. See :func:`read_mask` for the mask
        formats (PNG, nonzero = lung; COCO / V7 polygon JSON).
    mask_margin : float in [0, 1], default=0.05
        With ``mask_mode="crop"``: margin added on each side of the lung box,
        as a fraction of the box height / width.
    intensity : {None, "equalize", "clahe"}, default=None
        Per-image intensity normalisation, applied to every output image after
        decoding, resizing and colour conversion -- identically to files and
        to image arrays given to ``transform``, so at fit and at predict time.
        ``"equalize"``: global histogram equalisation (``cv2.equalizeHist``).
        ``"clahe"``: contrast-limited adaptive histogram equalisation
        (``cv2.createCLAHE``, ``clipLimit=2.0``) on a tile grid scaled to the
        output size, about 16 px per tile and at most 8 per axis: 8x8 tiles
        for 128 px and larger, 4x4 at 64 px, 2x2 at 28 px. RGB output is
        normalised on its luminance (Y of YCrCb) with the colour kept, so a
        grey image gives the same result in "rgb" as in "grayscale". With
        ``keep_aspect=True`` the black letterbox padding is left untouched.
        ``None`` leaves the pixels as decoded.

    See Also
    --------
    read_image : Read one file at its native size.

    Notes
    -----
    Large JPEGs are decoded directly at 1/2, 1/4 or 1/8 scale (libjpeg DCT
    scaling) when the reduced image is still at least 3 times the target size;
    the result stays within about one grey level of a full decode and costs
    roughly 30-40% less CPU time on 1-4 MP files (entropy decoding, which
    cannot be skipped, then dominates). Decoding runs in ``n_jobs`` threads, so
    the speed-up over a sequential loop grows with the free cores. Headers are
    read first, so decompression bombs and truncated files are rejected before
    decoding. See :func:`read_image` for how 16-bit, alpha and DICOM inputs
    are converted. With masks, images are decoded at full size (no reduced
    JPEG decode) and a mask whose size differs from its image is resized with
    nearest-neighbour interpolation when the aspect ratios agree within 2%
    (otherwise :class:`ImageLoadError`, as for a missing, unreadable or empty
    mask). Arrays given to ``transform`` must follow the
    xraynet convention (``uint8`` (n, h, w[, c]), RGB) and are resized and
    converted to ``color``.

    Examples
    --------
    >>> import numpy as np
    >>> from xraynet.io import ImageLoader
    >>> X = np.zeros((2, 300, 200, 3), dtype=np.uint8)
    >>> ImageLoader(size=64).fit_transform(X).shape
    (2, 64, 64, 1)
    >>> ImageLoader(size=(96, 64), color="rgb").transform(X).shape
    (2, 96, 64, 3)
    >>> ramp = np.tile(np.arange(100, 164, dtype=np.uint8), (1, 64, 1))
    >>> eq = ImageLoader(size=64, intensity="equalize").transform(ramp)
    >>> int(ramp.min()), int(ramp.max()), int(eq.min()), int(eq.max())
    (100, 163, 0, 255)
    >>> paths = ["xray1.png", "xray2.dcm"]
    >>> ImageLoader(size=150, n_jobs=-1).transform(paths).shape  # doctest: +SKIP
    (2, 150, 150, 1)
    """

    # Types and ranges; the (height, width) pair of size is checked by hand.
    # transform validates too: the loader is stateless and used without fit.
    _parameter_constraints = {
        "size": [NonBoolInterval(Integral, 1, None, closed="left"), tuple, list],
        "color": [StrOptions({"grayscale", "rgb"})],
        "keep_aspect": ["boolean"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": ["verbose"],
        "max_pixels": [None, NonBoolInterval(Integral, 1, None, closed="left")],
        "max_bytes": [None, NonBoolInterval(Integral, 1, None, closed="left")],
        "mask_mode": [None, StrOptions(set(MASK_MODES))],
        "mask_margin": [NonBoolInterval(Real, 0, 1, closed="both")],
        "intensity": [None, StrOptions({m for m in INTENSITY_MODES if m is not None})],
    }

    def __init__(
        self,
        size=150,
        color="grayscale",
        *,
        keep_aspect=False,
        n_jobs=None,
        verbose=False,
        max_pixels=DEFAULT_MAX_PIXELS,
        max_bytes=DEFAULT_MAX_BYTES,
        mask_mode=None,
        mask_margin=0.05,
        intensity=None,
    ):
        self.size = size
        self.color = color
        self.keep_aspect = keep_aspect
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.max_pixels = max_pixels
        self.max_bytes = max_bytes
        self.mask_mode = mask_mode
        self.mask_margin = mask_margin
        self.intensity = intensity

    def _check_params(self):
        """Check what ``_parameter_constraints`` cannot (the size pair); convert."""
        height, width = _check_size(self.size)
        max_pixels = None if self.max_pixels is None else int(self.max_pixels)
        return height, width, check_color(self.color), max_pixels

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Validate the parameters; nothing is learned.

        Parameters
        ----------
        X : ignored
            Paths or images (not read).
        y : ignored

        Returns
        -------
        self : ImageLoader
        """
        self._check_params()
        return self

    def transform(self, X):
        """Load files (or resize image arrays) into a ``uint8`` batch.

        Parameters
        ----------
        X : 1-D array-like of str or path-like, or array of shape (n, h, w[, c])
            File paths (list, ndarray, pandas Series or one-column DataFrame),
            or images, or a list of images of different sizes. With
            ``mask_mode`` set: shape (n_samples, 2), rows ``[image path, mask
            path]``.

        Returns
        -------
        images : ndarray of shape (n_samples, height, width, channels), dtype uint8
            In the order of ``X``.

        Raises
        ------
        ImageLoadError
            When a file cannot be loaded (the message names it).
        ValueError
            When ``X`` holds neither paths nor valid images, or a parameter is
            invalid.
        """
        self._validate_params()
        height, width, channels, max_pixels = self._check_params()
        masks = None
        if self.mask_mode is not None:
            paths, masks = _split_masks(X)
        else:
            paths, images = _as_paths(X)
            if paths is None:
                return self._transform_arrays(images, height, width, channels)
        out = np.empty((len(paths), height, width, channels), np.uint8)

        def work(i):
            if masks is None:
                img, factor = load_image(
                    paths[i], channels, max_pixels, (height, width), self.max_bytes
                )
            else:
                img, factor = load_image(paths[i], channels, max_pixels, None, self.max_bytes)
                label = read_mask(
                    masks[i],
                    img.shape[:2],
                    image_path=paths[i],
                    max_pixels=max_pixels,
                    max_bytes=self.max_bytes,
                )
                img = apply_mask(img, label, self.mask_mode, float(self.mask_margin))
            out[i] = _resize(img, height, width, self.keep_aspect, factor, self.intensity)

        n_threads = min(effective_n_jobs(self.n_jobs), len(paths))
        bar = None
        if self.verbose:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(paths), desc="Loading images", unit="img")
        try:
            if n_threads <= 1:
                for i in range(len(paths)):
                    work(i)
                    if bar is not None:
                        bar.update()
            else:
                with ThreadPoolExecutor(n_threads, thread_name_prefix="xraynet-io") as pool:
                    futures = [pool.submit(work, i) for i in range(len(paths))]
                    try:
                        for fut in futures:  # in order: the first failing file is reported
                            fut.result()
                            if bar is not None:
                                bar.update()
                    except BaseException:
                        for fut in futures:
                            fut.cancel()
                        raise
        finally:
            if bar is not None:
                bar.close()
        return out

    def _transform_arrays(self, X, height, width, channels):
        if isinstance(X, list) and len({np.shape(x) for x in X}) > 1:
            # images of different sizes: validate and resize one by one
            return np.concatenate(
                [self._transform_arrays(np.asarray(x)[None], height, width, channels) for x in X]
            )
        images = check_image_array(X, name="X")
        intensity = self.intensity
        out = np.empty((len(images), height, width, channels), np.uint8)
        for i, img in enumerate(images):
            if img.shape[2] > channels:  # drop colour before resizing (cheaper)
                out[i] = _resize(
                    _convert(img, channels), height, width, self.keep_aspect, 1, intensity
                )
            else:  # grey -> RGB: normalising the grey plane equals normalising luminance
                out[i] = _convert(
                    _resize(img, height, width, self.keep_aspect, 1, intensity), channels
                )
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = self.mask_mode is not None  # [image, mask] rows
        tags.input_tags.one_d_array = True  # paths
        tags.input_tags.three_d_array = True  # image arrays
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = ["uint8"]
        return tags
