"""Histogram of Oriented Gradients (HOG) features for image batches.

A vectorised NumPy re-implementation of :func:`skimage.feature.hog` (gray
images, ``feature_vector=True``, no ``transform_sqrt``): same central-difference
gradients, same hard binning of unsigned orientations, same cell averaging,
same block layout ``(block_row, block_col, cell_row, cell_col, orientation)``
and the same block normalisations. The features agree with scikit-image to
float32 rounding, but a whole batch is processed with a handful of array
operations instead of one Python-level call per image.

OpenCV's ``cv2.HOGDescriptor`` is not used: it was removed from the main
``cv2`` module in OpenCV 5, and it differs from scikit-image anyway (Gaussian
block weighting, trilinear vote interpolation, column-major block order).
"""

from concurrent.futures import ThreadPoolExecutor
from numbers import Integral

import cv2
import numpy as np
import scipy.sparse as sp
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from xraynet.utils import check_image_array
from xraynet.utils._validation import N_JOBS_CONSTRAINT, NonBoolInterval

__all__ = ["HOGTransformer"]

_BLOCK_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")
_EPS = 1e-5  # scikit-image's eps in _hog_normalize_block
# Pixels per vectorised chunk. Small on purpose: the temporaries then stay
# below glibc's mmap threshold and in cache; bigger chunks were up to 5x slower
# (page faults on every fresh temporary), smaller ones pay per-call overhead.
_CHUNK_PIXELS = 2**16


def _pair(value, name):
    """Return ``value`` as a pair of positive ints or raise a ValueError."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        value = (value, value)
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(
        isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in pair
    ):
        raise ValueError(
            f"{name} must be a positive int or a pair of positive ints, got {value!r}."
        )
    return int(pair[0]), int(pair[1])


def _to_gray(images):
    """(n, h, w, c) uint8 -> (n, h, w) uint8; RGB uses OpenCV's BT.601 weights."""
    n, h, w, c = images.shape
    if c == 1:
        return images[..., 0]
    # One cvtColor call on the stacked batch (rows of all images in sequence).
    flat = np.ascontiguousarray(images).reshape(n * h, w, 3)
    return cv2.cvtColor(flat, cv2.COLOR_RGB2GRAY).reshape(n, h, w)


def _orientation_bins(g_row, g_col, orientations):
    """Unsigned orientation bin of every pixel, as scikit-image's ``cell_hog``.

    Bin ``i`` holds angles in ``[i, i + 1) * 180 / orientations`` degrees.
    float32 ``arctan2`` is ~5x faster than skimage's float64 and, since the
    gradients of uint8 images are integers, the only angles that can fall
    exactly on a bin edge are 0, 45, 90 and 135 degrees (Niven's theorem): those
    are assigned exactly, so rounding cannot move a pixel to a neighbouring bin.
    """
    t = np.arctan2(g_row, g_col)  # (-pi, pi]
    t *= np.float32(orientations / np.pi)
    t += np.float32(orientations)  # > 0, so truncation is floor
    bins = t.astype(np.intp)
    bins %= orientations
    np.putmask(bins, g_row == 0, 0)  # 0 or 180 degrees
    for degrees, mask in ((90, None), (45, 1), (135, -1)):
        if (orientations * degrees) % 180 == 0:  # the angle is a bin edge
            exact = g_col == 0 if mask is None else g_row == mask * g_col
            np.putmask(bins, exact & (g_row != 0), orientations * degrees // 180)
    return bins


def _hog_batch(gray, orientations, cell, block, block_norm):
    """HOG features of a gray uint8 batch (n, h, w) -> float32 (n, n_features)."""
    n, h, w = gray.shape
    cr, cc = cell
    br, bc = block
    ncr, ncc = h // cr, w // cc
    nbr, nbc = ncr - br + 1, ncc - bc + 1
    rows, cols = ncr * cr, ncc * cc
    img = gray.astype(np.float32)

    # Central differences, zero on the image border (as skimage), computed only
    # for the pixels covered by whole cells (the neighbours may lie outside).
    g_row = np.empty((n, rows, cols), dtype=np.float32)
    g_col = np.empty((n, rows, cols), dtype=np.float32)
    stop = min(rows, h - 1)  # rows 1 .. stop-1 have both neighbours
    if stop > 1:
        np.subtract(img[:, 2 : stop + 1, :cols], img[:, : stop - 1, :cols], out=g_row[:, 1:stop])
    g_row[:, 0] = 0
    g_row[:, stop:] = 0
    stop = min(cols, w - 1)
    if stop > 1:
        np.subtract(img[:, :rows, 2 : stop + 1], img[:, :rows, : stop - 1], out=g_col[:, :, 1:stop])
    g_col[:, :, 0] = 0
    g_col[:, :, stop:] = 0

    magnitude = np.multiply(g_col, g_col)
    magnitude += np.square(g_row)
    np.sqrt(magnitude, out=magnitude)
    bins = _orientation_bins(g_row, g_col, orientations)

    # Index of (image, cell_row, cell_col, bin) for every pixel -> bincount.
    cell_idx = (np.arange(ncr * cr) // cr)[:, None] * ncc + (np.arange(ncc * cc) // cc)
    flat = (np.arange(n)[:, None, None] * (ncr * ncc) + cell_idx) * orientations + bins
    hist = np.bincount(
        flat.ravel(), weights=magnitude.ravel(), minlength=n * ncr * ncc * orientations
    ).astype(np.float32)
    hist = hist.reshape(n, ncr, ncc, orientations) / np.float32(cr * cc)

    # Blocks (n, nbr, nbc, br, bc, orientations), skimage's order.
    windows = np.lib.stride_tricks.sliding_window_view(hist, (br, bc), axis=(1, 2))
    blocks = np.array(windows.transpose(0, 1, 2, 4, 5, 3), order="C")  # writable copy
    blocks = blocks.reshape(n, nbr * nbc, br * bc * orientations)
    eps = np.float32(_EPS)
    if block_norm == "L1":
        blocks /= np.abs(blocks).sum(axis=-1, keepdims=True) + eps
    elif block_norm == "L1-sqrt":
        blocks /= np.abs(blocks).sum(axis=-1, keepdims=True) + eps
        np.sqrt(blocks, out=blocks)
    else:
        blocks /= np.sqrt(np.square(blocks).sum(axis=-1, keepdims=True) + eps * eps)
        if block_norm == "L2-Hys":
            np.minimum(blocks, np.float32(0.2), out=blocks)
            blocks /= np.sqrt(np.square(blocks).sum(axis=-1, keepdims=True) + eps * eps)
    return blocks.reshape(n, -1)


def _n_hog_features(image_size, orientations, cell, block):
    ncr, ncc = image_size[0] // cell[0], image_size[1] // cell[1]
    nbr, nbc = ncr - block[0] + 1, ncc - block[1] + 1
    return max(nbr, 0) * max(nbc, 0) * block[0] * block[1] * orientations


def _check_images(X):
    """Validate an image batch (clear message for sparse input, then the shared check)."""
    if sp.issparse(X):
        raise TypeError(
            "X is a sparse matrix; sparse input is not supported: pass a dense uint8 "
            "image array of shape (n_samples, height, width[, channels])."
        )
    return check_image_array(X, name="X")


def _image_tags(tags):
    tags.input_tags.two_d_array = False
    tags.input_tags.three_d_array = True  # (n, h, w) gray batches are accepted
    tags.transformer_tags.preserves_dtype = []  # uint8 in, float32 out
    return tags


def _check_same_size(images, fitted_size, owner):
    if tuple(images.shape[1:3]) != tuple(fitted_size):
        raise ValueError(
            f"X images are {images.shape[1]}x{images.shape[2]} pixels but this {owner} "
            f"was fitted on {fitted_size[0]}x{fitted_size[1]} images; resize them to "
            "the same size (e.g. with xraynet.ImageLoader(size=...))."
        )


class HOGTransformer(TransformerMixin, BaseEstimator):
    """Histogram of Oriented Gradients features of a batch of images.

    Matches :func:`skimage.feature.hog` with ``feature_vector=True`` on gray
    images (same feature count, order and values up to float32 rounding) but
    is vectorised over the whole batch, and optionally split over threads.
    RGB images are first converted to gray (ITU-R BT.601 weights, as OpenCV).

    Parameters
    ----------
    orientations : int, default=9
        Number of unsigned orientation bins over [0, 180) degrees.
    pixels_per_cell : int or tuple of (int, int), default=(8, 8)
        Cell size (rows, columns) in pixels. Pixels beyond the last whole cell
        are ignored.
    cells_per_block : int or tuple of (int, int), default=(2, 2)
        Block size (rows, columns) in cells; blocks overlap with a stride of
        one cell.
    block_norm : {"L2-Hys", "L2", "L1", "L1-sqrt"}, default="L2-Hys"
        Block normalisation, as in scikit-image (L2-Hys clips at 0.2).
    n_jobs : int or None, default=None
        Threads used to process chunks of images (NumPy releases the GIL).
        ``None`` means 1, ``-1`` all cores. The output does not depend on it.

    Attributes
    ----------
    input_shape_ : tuple of (int, int, int)
        ``(height, width, channels)`` of the images seen in :meth:`fit`;
        :meth:`transform` requires the same height and width.
    n_output_features_ : int
        Length of the feature vector of one image.

    See Also
    --------
    ImageFlattener : Raw pixels as features.
    make_hog_svm : HOG + standardisation + calibrated SVM pipeline.

    Notes
    -----
    With ``h x w`` images the number of features is
    ``n_blocks_row * n_blocks_col * cells_per_block[0] * cells_per_block[1] *
    orientations`` where ``n_blocks_row = h // pixels_per_cell[0] -
    cells_per_block[0] + 1`` (likewise for columns).

    Examples
    --------
    >>> import numpy as np
    >>> from xraynet.classical import HOGTransformer
    >>> X = np.random.RandomState(0).randint(0, 256, (4, 64, 64, 1), dtype=np.uint8)
    >>> HOGTransformer().fit_transform(X).shape
    (4, 1764)
    """

    _parameter_constraints = {
        "orientations": [NonBoolInterval(Integral, 1, None, closed="left")],
        # an int or a pair: the pair's length and values are checked by hand (_pair)
        "pixels_per_cell": [NonBoolInterval(Integral, 1, None, closed="left"), "array-like"],
        "cells_per_block": [NonBoolInterval(Integral, 1, None, closed="left"), "array-like"],
        "block_norm": [StrOptions(set(_BLOCK_NORMS))],
        "n_jobs": N_JOBS_CONSTRAINT,
    }

    def __init__(
        self,
        orientations=9,
        pixels_per_cell=(8, 8),
        cells_per_block=(2, 2),
        block_norm="L2-Hys",
        n_jobs=None,
    ):
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.n_jobs = n_jobs

    def _validated_params(self):
        # types and ranges: _parameter_constraints, checked by fit
        cell = _pair(self.pixels_per_cell, "pixels_per_cell")
        block = _pair(self.cells_per_block, "cells_per_block")
        return int(self.orientations), cell, block

    def _check_size(self, images, cell, block):
        need = (cell[0] * block[0], cell[1] * block[1])
        h, w = images.shape[1:3]
        if h < need[0] or w < need[1]:
            raise ValueError(
                f"X images are {h}x{w} pixels, smaller than one HOG block: with "
                f"pixels_per_cell={cell} and cells_per_block={block} they must be at "
                f"least {need[0]}x{need[1]}. Use larger images or smaller cells/blocks."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and record the image size.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])
            uint8 images (see :func:`xraynet.utils.check_image_array`).
        y : None
            Ignored.

        Returns
        -------
        self : HOGTransformer
            The fitted transformer.
        """
        orientations, cell, block = self._validated_params()
        images = _check_images(X)
        self._check_size(images, cell, block)
        self.input_shape_ = tuple(int(s) for s in images.shape[1:])
        self.n_output_features_ = _n_hog_features(self.input_shape_[:2], orientations, cell, block)
        return self

    def transform(self, X):
        """Compute the HOG feature vector of every image.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])
            uint8 images of the size seen in :meth:`fit`; RGB is converted to gray.

        Returns
        -------
        features : ndarray of shape (n_samples, ``n_output_features_``), dtype float32
            The HOG descriptors, in scikit-image's order.
        """
        check_is_fitted(self, "input_shape_")
        orientations, cell, block = self._validated_params()
        images = _check_images(X)
        _check_same_size(images, self.input_shape_[:2], type(self).__name__)
        gray = _to_gray(images)
        n = gray.shape[0]
        out = np.empty((n, self.n_output_features_), dtype=np.float32)
        chunk = max(1, _CHUNK_PIXELS // (gray.shape[1] * gray.shape[2]))
        n_threads = min(effective_n_jobs(self.n_jobs), -(-n // chunk))
        starts = range(0, n, chunk)

        def work(start):
            stop = min(start + chunk, n)
            out[start:stop] = _hog_batch(
                gray[start:stop], orientations, cell, block, self.block_norm
            )

        if n_threads <= 1:
            for start in starts:
                work(start)
        else:
            with ThreadPoolExecutor(max_workers=n_threads) as pool:
                list(pool.map(work, starts))
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output features: ``hog0``, ``hog1``, ...

        Parameters
        ----------
        input_features : None
            Ignored (images have no input feature names).

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_output_features_")
        return np.asarray([f"hog{i}" for i in range(self.n_output_features_)], dtype=object)

    def __sklearn_tags__(self):
        return _image_tags(super().__sklearn_tags__())
