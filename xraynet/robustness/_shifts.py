"""Simulated acquisition shifts: pure functions on uint8 image batches.

Each shift takes a ``uint8`` batch ``(n, h, w, c)``, a severity (0 = the
images unchanged, 1-5 growing) and a NumPy generator, and returns a new
``uint8`` batch of the same shape. The severities mimic differences between
hospitals, scanners and years: exposure and processing (brightness, contrast,
gamma), detector sharpness and noise, lossy archiving (JPEG), lower
resolution, patient positioning (rotation) and collimation (a tighter field).
"""

import cv2
import numpy as np

__all__ = ["SHIFTS", "apply_shift", "available_shifts"]

_MAX_SEVERITY = 5


def _lut(X, table):
    table = np.clip(np.rint(table), 0, 255).astype(np.uint8)
    return table[X]


def _brightness(factors):
    def shift(X, severity, rng):
        return _lut(X, np.arange(256) * factors[severity - 1])

    return shift


def _contrast(factors):
    def shift(X, severity, rng):
        c = factors[severity - 1]
        mean = X.reshape(len(X), -1).mean(axis=1).reshape(-1, 1, 1, 1)
        return np.clip(np.rint(mean + c * (X.astype(np.float32) - mean)), 0, 255).astype(np.uint8)

    return shift


def _gamma(gammas):
    def shift(X, severity, rng):
        return _lut(X, 255.0 * (np.arange(256) / 255.0) ** gammas[severity - 1])

    return shift


def _per_image(X, func):
    out = np.empty_like(X)
    for i, img in enumerate(X):
        res = func(img)
        out[i] = res.reshape(X.shape[1:])
    return out


def _blur(X, severity, rng):
    sigma = (0.5, 1.0, 1.5, 2.0, 3.0)[severity - 1] * max(1.0, max(X.shape[1:3]) / 64)
    k = max(3, 2 * int(np.ceil(3 * sigma)) + 1)  # OpenCV's own size is 1 (a no-op) below ~0.3
    return _per_image(X, lambda img: cv2.GaussianBlur(img, (k, k), sigma))


def _noise(X, severity, rng):
    sd = (3.0, 6.0, 10.0, 15.0, 20.0)[severity - 1]
    noisy = X.astype(np.float32) + rng.normal(0.0, sd, X.shape).astype(np.float32)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def _jpeg(X, severity, rng):
    quality = (50, 25, 10, 5, 2)[severity - 1]
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]

    def recode(img):
        color = img.ndim == 3 and img.shape[2] == 3
        # xraynet images are RGB, OpenCV encodes BGR: convert so that the chroma
        # channels (subsampled, quantised harder) are the real ones
        ok, buf = cv2.imencode(
            ".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR) if color else img, params
        )
        if not color:
            return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
        return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    return _per_image(X, recode)


def _resample(X, severity, rng):
    factor = (2, 3, 4, 6, 8)[severity - 1]
    h, w = X.shape[1:3]
    small = (max(1, w // factor), max(1, h // factor))
    return _per_image(
        X,
        lambda img: cv2.resize(
            cv2.resize(img, small, interpolation=cv2.INTER_AREA),
            (w, h),
            interpolation=cv2.INTER_LINEAR,
        ),
    )


def _warp(X, angles, scales):
    h, w = X.shape[1:3]
    out = np.empty_like(X)
    for i, img in enumerate(X):
        m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), float(angles[i]), float(scales[i]))
        res = cv2.warpAffine(
            img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
        )
        out[i] = res.reshape(X.shape[1:])
    return out


def _rotation(X, severity, rng):
    degrees = (5.0, 10.0, 15.0, 20.0, 30.0)[severity - 1]
    angles = degrees * rng.choice([-1.0, 1.0], size=len(X))
    return _warp(X, angles, np.ones(len(X)))


def _collimation(X, severity, rng):
    keep = (0.9, 0.8, 0.7, 0.6, 0.5)[severity - 1]  # share of the field kept, enlarged back
    return _warp(X, np.zeros(len(X)), np.full(len(X), 1.0 / keep))


#: Shift name -> function ``(X, severity, rng) -> X`` on a validated uint8 (n, h, w, c)
#: batch, severity 1-5, ``rng`` a numpy Generator. :func:`apply_shift` is the checked
#: entry point (names, severity 0, input validation).
SHIFTS = {
    "darker": _brightness((0.85, 0.7, 0.55, 0.45, 0.35)),
    "brighter": _brightness((1.15, 1.3, 1.5, 1.7, 2.0)),
    "low_contrast": _contrast((0.8, 0.6, 0.45, 0.35, 0.25)),
    "high_contrast": _contrast((1.2, 1.45, 1.7, 2.0, 2.5)),
    "gamma_low": _gamma((0.85, 0.7, 0.55, 0.45, 0.35)),
    "gamma_high": _gamma((1.2, 1.45, 1.75, 2.1, 2.5)),
    "blur": _blur,
    "noise": _noise,
    "jpeg": _jpeg,
    "low_resolution": _resample,
    "rotation": _rotation,
    "collimation": _collimation,
}


def available_shifts():
    """Names of the simulated acquisition shifts, in stress-test order.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> from xraynet.robustness import available_shifts
    >>> available_shifts()[:4]
    ['darker', 'brighter', 'low_contrast', 'high_contrast']
    """
    return list(SHIFTS)


def check_shift(name, severity):
    """Validate a shift name and severity; return the shift function."""
    if not isinstance(name, str) or name not in SHIFTS:
        raise ValueError(f"unknown shift {name!r}; choose from {', '.join(SHIFTS)}.")
    if (
        not isinstance(severity, (int, np.integer))
        or isinstance(severity, bool)
        or not 0 <= severity <= _MAX_SEVERITY
    ):
        raise ValueError(f"severity must be an int from 0 to {_MAX_SEVERITY}; got {severity!r}.")
    return SHIFTS[name]


def apply_shift(X, shift, severity, *, random_state=0):
    """Apply one simulated acquisition shift to a batch of images.

    Parameters
    ----------
    X : array-like of shape (n_samples, height, width[, channels])
        ``uint8`` images.
    shift : str
        One of :func:`available_shifts`: ``darker`` / ``brighter``
        (exposure: grey levels times 0.85-0.35 / 1.15-2.0), ``low_contrast``
        / ``high_contrast`` (around each image's mean, factor 0.8-0.25 /
        1.2-2.5), ``gamma_low`` / ``gamma_high`` (gamma 0.85-0.35 /
        1.2-2.5), ``blur`` (Gaussian, sigma 0.5-3 px, per 64 px for larger images),
        ``noise`` (Gaussian, sd 3-20 grey levels), ``jpeg`` (re-compressed
        at quality 50-2), ``low_resolution`` (down by 2-8 and back),
        ``rotation`` (±5-30 degrees) and ``collimation`` (the central 90-50 %
        of the field, enlarged back).
    severity : int from 0 to 5
        0 returns a copy of ``X``; 1-3 are the realistic range, 4-5 extreme.
    random_state : int, default=0
        Seed of the random shifts (noise, rotation direction).

    Returns
    -------
    X_shifted : ndarray of shape (n_samples, height, width, channels), uint8

    Examples
    --------
    >>> import numpy as np
    >>> from xraynet.robustness import apply_shift
    >>> X = np.full((2, 8, 8, 1), 200, dtype=np.uint8)
    >>> int(apply_shift(X, "darker", 2)[0, 0, 0, 0])
    140
    """
    from xraynet.utils import check_image_array

    func = check_shift(shift, severity)
    X = check_image_array(X, name="X")
    if severity == 0:
        return X.copy()
    rng = np.random.default_rng(random_state)
    return func(X, int(severity), rng)
