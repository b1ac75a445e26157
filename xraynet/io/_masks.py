"""Lung masks: reading PNG masks and COCO / V7 polygon annotations, applying them.

A mask is returned as a ``uint8`` label image of the image's size:
``0`` background, ``1`` lung (any non-"Ignore" class), ``2`` "Ignore" region
(an "Ignore" polygon wins where it overlaps a lung polygon).
"""

import json
import os

import cv2
import numpy as np

from ._errors import ImageLoadError
from ._readers import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    _check_pixels,
    _pil_size,
    _read_file,
    _sniff,
    check_max_bytes,
    check_max_pixels,
)

__all__ = ["read_mask", "MASK_BACKGROUND", "MASK_LUNG", "MASK_IGNORE"]

MASK_BACKGROUND, MASK_LUNG, MASK_IGNORE = 0, 1, 2
IGNORE_NAMES = frozenset({"ignore", "__ignore__"})
MASK_MODES = ("crop", "zero")
# a mask whose aspect ratio differs from the image's by more than this is refused
ASPECT_TOLERANCE = 0.02
# polygon points farther outside the image than this many times its larger side are
# refused: they are a wrong image size or wrong units, and past 2**31 they would
# wrap around when rasterised (int32)
FAR_OUTSIDE = 4


def check_mask_mode(mask_mode, mask_margin):
    """Validate ``mask_mode`` / ``mask_margin``; return them."""
    if mask_mode is not None and (not isinstance(mask_mode, str) or mask_mode not in MASK_MODES):
        raise ValueError(f"mask_mode must be None, 'crop' or 'zero'; got {mask_mode!r}.")
    if (
        isinstance(mask_margin, bool)
        or not isinstance(mask_margin, (int, float, np.integer, np.floating))
        or not 0 <= mask_margin <= 1
    ):
        raise ValueError(f"mask_margin must be a float in [0, 1]; got {mask_margin!r}.")
    return mask_mode, float(mask_margin)


# ----------------------------------------------------------------- polygons
def _xy(points, path, where):
    """A list of {"x", "y"} dicts or a flat [x0, y0, x1, y1, ...] list -> (k, 2) float."""
    try:
        if points and isinstance(points[0], dict):
            arr = np.array([[float(p["x"]), float(p["y"])] for p in points])
        else:
            arr = np.asarray(points, dtype=float).reshape(-1, 2)
    except (KeyError, TypeError, ValueError) as exc:
        raise ImageLoadError(path, f"mask JSON: bad polygon points in {where}") from exc
    if len(arr) < 3 or not np.all(np.isfinite(arr)):
        raise ImageLoadError(path, f"mask JSON: polygon in {where} needs >= 3 finite points")
    return arr


def _paths_of(ann, path, where):
    """All polygon rings of one annotation (V7 Darwin or COCO layout)."""
    poly = ann.get("polygon") or ann.get("complex_polygon")
    if isinstance(poly, dict):
        if "paths" in poly:  # Darwin JSON 2.0: list of rings
            return [_xy(p, path, where) for p in poly["paths"]]
        rings = poly.get("path")
        if rings and isinstance(rings[0], list):  # complex_polygon: list of rings
            return [_xy(p, path, where) for p in rings]
        if rings is not None:
            return [_xy(rings, path, where)]
    seg = ann.get("segmentation")
    if isinstance(seg, list):
        if seg and not isinstance(seg[0], (list, tuple)):
            seg = [seg]
        return [_xy(p, path, where) for p in seg]
    if isinstance(seg, dict):
        raise ImageLoadError(
            path, f"mask JSON: RLE segmentation in {where} is not supported; export polygons"
        )
    return []  # a bounding box, tag or keypoint annotation: no area


def _pick_coco_image(doc, path, image_path):
    """For a COCO file with several images, the entry of ``image_path``."""
    images = doc.get("images")
    if not images:
        return None
    if len(images) == 1:
        return images[0]
    name = os.path.basename(os.fspath(image_path)) if image_path is not None else None
    for entry in images:
        if name is not None and os.path.basename(str(entry.get("file_name", ""))) == name:
            return entry
    raise ImageLoadError(path, f"mask JSON holds {len(images)} images and none is named {name!r}")


def _declared_size(entry, path):
    """(height, width) a COCO / Darwin image entry declares, checked; None if absent."""
    h, w = entry.get("height"), entry.get("width")
    if not h or not w:  # absent, null or 0 (some exports): the image's size is used
        return None
    size = []
    for v in (h, w):
        if isinstance(v, float) and v.is_integer() and v < 2**31:
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v < 2**31:
            raise ImageLoadError(
                path,
                f"mask JSON declares the image size {h!r:.20} x {w!r:.20} (height x "
                "width); expected two positive integers",
            )
        size.append(v)
    return size[0], size[1]


def _check_points(rings, size, path, where):
    """Refuse polygon points far outside the ``size`` (height, width) image."""
    h, w = size
    limit = FAR_OUTSIDE * max(h, w)
    for ring in rings:
        far = np.abs(ring).max(axis=1) > limit
        if far.any():
            x, y = ring[np.flatnonzero(far)[0]]
            raise ImageLoadError(
                path,
                f"mask JSON: polygon in {where} has a point ({x:g}, {y:g}) far outside "
                f"the {w}x{h} image (wrong image size or coordinates not in pixels?)",
            )


def _read_polygons(data, path, image_shape, image_path, max_pixels=DEFAULT_MAX_PIXELS):
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImageLoadError(path, f"mask JSON cannot be parsed: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("annotations"), list):
        raise ImageLoadError(
            path, "mask JSON has no 'annotations' list (expected a COCO or V7 Darwin export)"
        )
    size = None
    entry = _pick_coco_image(doc, path, image_path)
    if entry is None and isinstance(doc.get("image"), dict):  # Darwin
        entry = doc["image"]
    if entry is None and isinstance(doc.get("item"), dict):  # Darwin 2.0
        slots = doc["item"].get("slots") or [{}]
        entry = slots[0]
    if entry is not None:
        size = _declared_size(entry, path)
    if size is None:
        if image_shape is None:
            raise ImageLoadError(path, "mask JSON gives no image size and none was passed")
        size = tuple(int(s) for s in image_shape[:2])
    _check_pixels(path, size[0], size[1], max_pixels)  # before allocating the label image
    categories = {
        c.get("id"): str(c.get("name", ""))
        for c in doc.get("categories", [])
        if isinstance(c, dict)
    }
    image_id = entry.get("id") if entry is not None and "images" in doc else None
    lung = np.zeros(size, np.uint8)
    ignore = np.zeros(size, np.uint8)
    for k, ann in enumerate(doc["annotations"]):
        if not isinstance(ann, dict):
            continue
        if image_id is not None and ann.get("image_id", image_id) != image_id:
            continue
        name = ann.get("name") or categories.get(ann.get("category_id"), "")
        rings = _paths_of(ann, path, f"annotation {k}")
        if not rings:
            continue
        _check_points(rings, size, path, f"annotation {k}")
        target = ignore if str(name).strip().lower() in IGNORE_NAMES else lung
        layer = np.zeros(size, np.uint8)  # rings of one annotation: even-odd (holes)
        cv2.fillPoly(layer, [np.round(r).astype(np.int32) for r in rings], 1)
        target |= layer
    label = lung  # 1 where lung
    label[ignore > 0] = MASK_IGNORE
    return label


# ----------------------------------------------------------------- reading
def read_mask(
    path,
    image_shape=None,
    *,
    image_path=None,
    max_pixels=DEFAULT_MAX_PIXELS,
    max_bytes=DEFAULT_MAX_BYTES,
):
    """Read a lung mask as a label image.

    Parameters
    ----------
    path : str or path-like
        A mask image (PNG, BMP, TIFF, ...; any nonzero pixel is lung) or a
        ``.json`` polygon annotation file: COCO (``annotations`` with
        ``segmentation`` polygon lists and ``categories``) or V7 Darwin
        (``annotations`` with ``polygon`` -> ``path``/``paths`` of
        ``{"x", "y"}`` points and a class ``name``). Polygons are rasterised
        with ``cv2.fillPoly`` at the size the JSON declares (else at
        ``image_shape``). Annotations of the class ``"Ignore"`` mark regions to
        blank out (labels, markers, devices); every other class is lung.
    image_shape : (height, width) or None, default=None
        Size of the image the mask belongs to. When given, a mask of another
        size with the same aspect ratio (within 2%) is resized to it with
        nearest-neighbour interpolation; a different aspect ratio raises.
    image_path : str or None, default=None
        For a COCO file covering several images: the image whose annotations
        are wanted (matched on the file name).
    max_pixels : int or None, default=100_000_000
        Refuse a mask image whose header, or a JSON file whose declared image
        size, announces more pixels than this, before anything is decoded or
        allocated (as :func:`read_image` does). None disables the check.
    max_bytes : int or None, default=536_870_912 (512 MiB)
        Refuse mask files larger than this many bytes. None disables.

    Returns
    -------
    mask : ndarray of shape (height, width), dtype uint8
        0 background, 1 lung, 2 "Ignore".

    Raises
    ------
    ImageLoadError
        Missing, unreadable or malformed mask; a size whose aspect ratio
        differs from the image's; a mask without any lung pixel; a mask above
        ``max_pixels`` or ``max_bytes``; a JSON image size that is not two
        positive integers, or a polygon point far (more than 4 times the
        image's larger side) outside the image.

    Examples
    --------
    >>> import cv2, numpy as np, tempfile, os
    >>> from xraynet.io import read_mask
    >>> m = np.zeros((40, 60), np.uint8); m[10:30, 5:25] = 255
    >>> p = os.path.join(tempfile.mkdtemp(), "mask.png"); _ = cv2.imwrite(p, m)
    >>> read_mask(p, image_shape=(80, 120)).shape, int(read_mask(p).max())
    ((80, 120), 1)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"mask path must be a str or path-like; got {type(path).__name__} {path!r}."
        )
    max_pixels, max_bytes = check_max_pixels(max_pixels), check_max_bytes(max_bytes)
    data = _read_file(path, max_bytes)
    if os.fspath(path).lower().endswith(".json") or data.lstrip()[:1] == b"{":
        label = _read_polygons(data, path, image_shape, image_path, max_pixels)
    else:
        _, h, w, _ = _sniff(data, path)
        if max_pixels is not None and not (h and w):
            h, w = _pil_size(data)
        _check_pixels(path, h, w, max_pixels)
        try:
            img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        except cv2.error as exc:
            raise ImageLoadError(path, f"OpenCV cannot decode the mask: {exc.err or exc}") from exc
        if img is None or img.size == 0:
            raise ImageLoadError(path, "mask is not a readable image or JSON annotation file")
        if img.ndim == 3:
            img = img.any(axis=2)
        label = (img != 0).astype(np.uint8)
    if image_shape is not None:
        label = _fit(label, tuple(int(s) for s in image_shape[:2]), path)
    if not (label == MASK_LUNG).any():
        raise ImageLoadError(path, "mask is empty (no lung pixel)")
    return label


def _fit(label, shape, path):
    """Resize ``label`` to ``shape`` (nearest) if the aspect ratios agree."""
    mh, mw = label.shape
    h, w = shape
    if (mh, mw) == (h, w):
        return label
    if abs(mh * w - mw * h) > ASPECT_TOLERANCE * mh * w:
        raise ImageLoadError(
            path,
            f"mask is {mw}x{mh} but the image is {w}x{h} (different aspect ratio; "
            "a mask may only differ from its image by a uniform scale)",
        )
    return cv2.resize(label, (w, h), interpolation=cv2.INTER_NEAREST)


# ----------------------------------------------------------------- applying
def apply_mask(img, label, mode, margin):
    """Blank "Ignore" regions, then crop to the lung box or zero outside the lungs.

    ``img`` (h, w, c) uint8 and ``label`` (h, w) of the same size. ``"crop"``
    keeps the lung bounding box enlarged by ``margin`` x its height/width on
    each side (clipped to the image); ``"zero"`` sets non-lung pixels to 0.
    """
    ignore = label == MASK_IGNORE
    lung = label == MASK_LUNG
    if mode == "zero":
        return np.where(lung[:, :, None], img, 0).astype(np.uint8)
    if ignore.any():
        img = np.where(ignore[:, :, None], 0, img).astype(np.uint8)
    rows, cols = np.flatnonzero(lung.any(axis=1)), np.flatnonzero(lung.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    dy, dx = round(margin * (bottom - top)), round(margin * (right - left))
    h, w = label.shape
    return img[max(0, top - dy) : min(h, bottom + dy), max(0, left - dx) : min(w, right + dx)]
