"""Per-image intensity normalisation of :class:`~xraynet.io.ImageLoader` (private).

``"equalize"`` is ``cv2.equalizeHist``; ``"clahe"`` is ``cv2.createCLAHE``
with ``CLAHE_CLIP_LIMIT`` and a tile grid scaled to the image size. Colour
images are normalised on their luminance (the Y of YCrCb, BT.601 weights as
the grayscale conversion) with the chroma kept, so a grey image stored as RGB
gives exactly the grayscale result replicated in the three channels.
"""

import cv2
import numpy as np

INTENSITY_MODES = (None, "equalize", "clahe")
CLAHE_CLIP_LIMIT = 2.0
CLAHE_TILE_PX = 16  # aimed-for tile side in pixels
CLAHE_MAX_TILES = 8


def check_intensity(intensity):
    """Validate the ``intensity`` parameter of ImageLoader."""
    if intensity is None or (isinstance(intensity, str) and intensity in INTENSITY_MODES):
        return intensity
    raise ValueError(f"intensity must be None, 'equalize' or 'clahe'; got {intensity!r}.")


def clahe_tiles(height, width):
    """CLAHE tile grid ``(tiles across, tiles down)`` for an image of this size.

    About ``CLAHE_TILE_PX`` pixels per tile, between 1 and ``CLAHE_MAX_TILES``
    per axis: 8x8 from 128 px up, 4x4 at 64 px, 2x2 at 28 px.
    """

    def n(dim):
        return int(min(CLAHE_MAX_TILES, max(1, round(dim / CLAHE_TILE_PX))))

    return n(width), n(height)


def _normalize_plane(plane, mode):
    """Normalise one 2-D uint8 plane (a new array)."""
    if mode == "equalize":
        return cv2.equalizeHist(plane)
    # a CLAHE object keeps scratch buffers: one per call, so threads never share it
    clahe = cv2.createCLAHE(CLAHE_CLIP_LIMIT, clahe_tiles(*plane.shape))
    return clahe.apply(plane)


def normalize_intensity(img, mode):
    """Return ``img`` (uint8 (h, w, 1 or 3), grey or RGB) normalised by ``mode``.

    ``mode=None`` returns ``img`` itself.
    """
    if mode is None:
        return img
    img = np.ascontiguousarray(img)
    if img.shape[2] == 1:
        return _normalize_plane(img[:, :, 0], mode)[:, :, None]
    ycrcb = cv2.cvtColor(img, cv2.COLOR_RGB2YCrCb)
    y, cr, cb = cv2.split(ycrcb)
    return cv2.cvtColor(cv2.merge([_normalize_plane(y, mode), cr, cb]), cv2.COLOR_YCrCb2RGB)
