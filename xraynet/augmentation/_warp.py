"""Per-image warp kernels of :class:`~xraynet.augmentation.Augmenter` (private).

One composed affine map per image (``cv2.warpAffine`` on uint8, inverse map,
bilinear) and one 256-entry lookup table for brightness / contrast / gamma.
"""

from dataclasses import dataclass

import cv2
import numpy as np

BORDERS = {
    "constant": cv2.BORDER_CONSTANT,
    "nearest": cv2.BORDER_REPLICATE,
    "reflect": cv2.BORDER_REFLECT,
    "wrap": cv2.BORDER_WRAP,
}
# uniform draws per image: theta, zoom_x, zoom_y, shift_x, shift_y, flip,
# brightness, contrast (always all eight, so one parameter never shifts the
# random stream of another)
N_DRAWS = 8
# column of the gamma draw: an extra ``rng.random(n)`` made after the N_DRAWS
# block, and only when gamma_range is set, so every seed gives the same output
# as before gamma existed for the other parameters
GAMMA_DRAW = N_DRAWS
# the blur draw is another ``rng.random(n)``, made last and only when
# blur_range is set (same reasoning): its column is always the last one


@dataclass(frozen=True)
class Params:
    """Validated hyper-parameters of one ``augment`` call (ranges as floats)."""

    rotation: float
    zoom: tuple
    width_shift: float
    height_shift: float
    flip: bool
    brightness: tuple
    contrast: tuple
    border: int
    cval: int
    gamma: tuple = None
    blur: tuple = None


# identity / pure flip are done without interpolation (exact copies)
_WARP, _COPY, _FLIP = 0, 1, 2


def affine_matrices(draws, h, w, p):
    """Inverse (output -> input) 2x3 maps in (x, y) pixel coordinates.

    ``src = c + R(theta) @ Z @ F @ (dst - c) + t`` with ``c`` the image centre,
    ``Z = diag(zx, zy)`` (zoom > 1: larger field of view, as
    ImageDataGenerator), ``F`` the optional mirror and ``t`` the shift.
    """
    theta = np.deg2rad((2.0 * draws[:, 0] - 1.0) * p.rotation)
    lo, hi = p.zoom
    zx = lo + (hi - lo) * draws[:, 1]
    zy = lo + (hi - lo) * draws[:, 2]
    tx = (2.0 * draws[:, 3] - 1.0) * p.width_shift * w
    ty = (2.0 * draws[:, 4] - 1.0) * p.height_shift * h
    flip = np.where((draws[:, 5] < 0.5) & p.flip, -1.0, 1.0)
    cos, sin = np.cos(theta), np.sin(theta)
    n = draws.shape[0]
    m = np.empty((n, 2, 3))
    m[:, 0, 0] = cos * zx * flip
    m[:, 0, 1] = -sin * zy
    m[:, 1, 0] = sin * zx * flip
    m[:, 1, 1] = cos * zy
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    m[:, 0, 2] = cx + tx - (m[:, 0, 0] * cx + m[:, 0, 1] * cy)
    m[:, 1, 2] = cy + ty - (m[:, 1, 0] * cx + m[:, 1, 1] * cy)
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    mirror = np.array([[-1.0, 0.0, w - 1.0], [0.0, 1.0, 0.0]])
    kinds = np.full(n, _WARP)
    kinds[np.all(m == identity, axis=(1, 2))] = _COPY
    kinds[np.all(m == mirror, axis=(1, 2))] = _FLIP
    return m, kinds


def draw(rng, n, p):
    """All uniform draws of one batch, shape (n, N_DRAWS) or (n, N_DRAWS + 1)."""
    draws = rng.random((n, N_DRAWS))
    if p.gamma is not None:
        draws = np.column_stack([draws, rng.random(n)])
    if p.blur is not None:
        draws = np.column_stack([draws, rng.random(n)])
    return draws


def blur_sigmas(draws, p):
    """Per-image Gaussian blur sigma in pixels (0: no blur), or None without blur_range."""
    if p.blur is None:
        return None
    lo, hi = p.blur
    return lo + (hi - lo) * draws[:, -1]


def _blur_in_place(img, sigma):
    """Gaussian blur of one 2-D or (h, w, c) uint8 image, written back into ``img``."""
    k = max(3, 2 * int(np.ceil(3.0 * sigma)) + 1)
    res = cv2.GaussianBlur(img, (k, k), sigma, borderType=cv2.BORDER_REFLECT)
    img[...] = res.reshape(img.shape)


def lookup_tables(draws, X, p):
    """Per-image uint8 LUTs for brightness, then contrast, then gamma; or None.

    Gamma acts last, on the clipped 0-255 levels: ``255 * (v / 255) ** g``, so
    black and white stay fixed and ``g > 1`` darkens the mid-tones.
    """
    if p.brightness is None and p.contrast is None and p.gamma is None:
        return None
    n = X.shape[0]
    b = np.ones(n)
    if p.brightness is not None:
        lo, hi = p.brightness
        b = lo + (hi - lo) * draws[:, 6]
    levels = np.arange(256.0)[None, :] * b[:, None]
    if p.contrast is not None:
        lo, hi = p.contrast
        c = lo + (hi - lo) * draws[:, 7]
        mean = X.reshape(n, -1).mean(axis=1) * b
        levels = mean[:, None] + c[:, None] * (levels - mean[:, None])
    if p.gamma is not None:
        lo, hi = p.gamma
        g = lo + (hi - lo) * draws[:, GAMMA_DRAW]
        levels = 255.0 * (np.clip(levels, 0.0, 255.0) / 255.0) ** g[:, None]
    return np.clip(np.rint(levels), 0, 255).astype(np.uint8)


def augment_chunk(X, out, indices, matrices, kinds, luts, p, sigmas=None):
    """Write the augmented ``X[i]`` into ``out[i]`` for ``i`` in ``indices``.

    Order per image: lookup table (brightness, contrast, gamma), warp, blur.

    ``X`` and ``out`` are C-contiguous uint8 (n, h, w, c) arrays; distinct
    chunks touch distinct ``out[i]``, so chunks can run in parallel threads.
    """
    _, h, w, c = X.shape
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    border_value = (p.cval,) * 4  # a scalar would fill channel 0 only
    for i in indices:
        src = X[i, :, :, 0] if c == 1 else X[i]
        dst = out[i, :, :, 0] if c == 1 else out[i]
        if luts is not None:
            src = cv2.LUT(src, luts[i])  # a new array; one table for all channels
        kind = kinds[i]
        if kind == _COPY:
            dst[...] = src
        elif kind == _FLIP:
            dst[...] = src[:, ::-1]
        else:
            res = cv2.warpAffine(
                src,
                matrices[i],
                (w, h),
                dst=dst,
                flags=flags,
                borderMode=p.border,
                borderValue=border_value,
            )
            if res.ctypes.data != dst.ctypes.data:  # OpenCV reallocated
                dst[...] = res.reshape(dst.shape)
        if sigmas is not None and sigmas[i] > 0:
            _blur_in_place(dst, float(sigmas[i]))
