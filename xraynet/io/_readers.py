"""Decoding one image file into a ``uint8`` (h, w, c) array.

Formats: JPEG, PNG (8 and 16 bit), BMP, TIFF and whatever else OpenCV decodes,
plus DICOM through pydicom. Headers are parsed here (cheaply, from the bytes)
to reject decompression bombs before decoding, to detect truncated files and
to let large JPEGs be decoded at a reduced size (DCT scaling). Formats without
a parser here (GIF, WebP, PNM, ...) have their size read by Pillow's header
parsers, still before decoding. Only regular files are opened (never a FIFO or
a device), and never more than ``max_bytes`` of them.
"""

import contextlib
import io
import os
import stat
import struct
import threading

import cv2
import numpy as np

from ._errors import ImageLoadError

__all__ = ["read_image", "DEFAULT_MAX_PIXELS", "DEFAULT_MAX_BYTES"]

DEFAULT_MAX_PIXELS = 100_000_000
DEFAULT_MAX_BYTES = 512 * 1024**2  # 512 MiB
_COLORS = {"grayscale": 1, "rgb": 3}
_DICOM_EXTENSIONS = (".dcm", ".dicom")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"IEND\xaeB`\x82"  # IEND chunk type + its (constant) CRC
# SOF markers that carry the frame size (C4 = DHT, C8 = JPG, CC = DAC are not frames)
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_REDUCED_FLAGS = {
    (1, 1): cv2.IMREAD_GRAYSCALE,
    (1, 2): cv2.IMREAD_REDUCED_GRAYSCALE_2,
    (1, 4): cv2.IMREAD_REDUCED_GRAYSCALE_4,
    (1, 8): cv2.IMREAD_REDUCED_GRAYSCALE_8,
    (3, 1): cv2.IMREAD_COLOR,
    (3, 2): cv2.IMREAD_REDUCED_COLOR_2,
    (3, 4): cv2.IMREAD_REDUCED_COLOR_4,
    (3, 8): cv2.IMREAD_REDUCED_COLOR_8,
}
# A reduced JPEG decode must still be at least this many times the target
# size. Measured on real 885-2373 px chest X-ray JPEGs and 1024-2500 px
# upscaled Kermany images, ImageLoader's output then differs from a full decode
# + one-step INTER_AREA resize by a mean of 0.51 (worst file 1.20) grey levels
# at 150 px and 0.47 (0.85) at 224 px -- no worse than decoding in full (0.60,
# 1.30); a margin of 1 or 2 gave up to 1.76.
REDUCE_MARGIN = 3.0


def check_color(color):
    """Validate ``color`` and return the channel count (1 or 3)."""
    if not isinstance(color, str) or color not in _COLORS:
        raise ValueError(f"color must be 'grayscale' or 'rgb'; got {color!r}.")
    return _COLORS[color]


def check_max_pixels(max_pixels):
    """Validate ``max_pixels`` (a positive int or None)."""
    if max_pixels is None:
        return None
    if (
        isinstance(max_pixels, (bool, np.bool_))
        or not isinstance(max_pixels, (int, np.integer))
        or max_pixels < 1
    ):
        raise ValueError(f"max_pixels must be a positive int or None; got {max_pixels!r}.")
    return int(max_pixels)


def check_max_bytes(max_bytes):
    """Validate ``max_bytes`` (a positive int or None)."""
    if max_bytes is None:
        return None
    if (
        isinstance(max_bytes, (bool, np.bool_))
        or not isinstance(max_bytes, (int, np.integer))
        or max_bytes < 1
    ):
        raise ValueError(f"max_bytes must be a positive int or None; got {max_bytes!r}.")
    return int(max_bytes)


# ----------------------------------------------------------------- headers
def _jpeg_header(data, path):
    """Return (height, width, offset of the first SOS marker) of a JPEG."""
    n, i, h, w = len(data), 2, None, None
    while i + 4 <= n:
        if data[i] != 0xFF:
            raise ImageLoadError(path, f"corrupt JPEG (bad marker at byte {i})")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            i += 2
            continue
        if marker == 0xD9:
            break
        if marker == 0xDA:
            return h, w, i
        if marker in _JPEG_SOF and i + 9 <= n:
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    raise ImageLoadError(path, "truncated or corrupt JPEG (no image data found)")


def _tiff_size(data):
    """(height, width) from the first IFD of a TIFF, or (None, None)."""
    try:
        end = "<" if data[:2] == b"II" else ">"
        (off,) = struct.unpack(end + "I", data[4:8])
        (count,) = struct.unpack(end + "H", data[off : off + 2])
        size = {}
        for k in range(count):
            entry = data[off + 2 + 12 * k : off + 14 + 12 * k]
            tag, typ = struct.unpack(end + "HH", entry[:4])
            if tag in (256, 257):
                fmt = end + ("H" if typ == 3 else "I")
                size[tag] = struct.unpack(fmt, entry[8 : 8 + struct.calcsize(fmt)])[0]
        return size.get(257), size.get(256)
    except (struct.error, IndexError):
        return None, None


def _sniff(data, path):
    """Return (format, height, width, extra) from the first bytes of ``data``.

    ``format`` is "jpeg", "png", "bmp", "tiff" or None (let OpenCV try);
    height/width are None when unknown; for JPEG ``extra`` is the offset of the
    first scan (used to check for truncation).
    """
    if data[:3] == b"\xff\xd8\xff":
        return ("jpeg", *_jpeg_header(data, path))
    if data[:8] == _PNG_MAGIC:
        if len(data) < 33 or data[12:16] != b"IHDR":
            raise ImageLoadError(path, "truncated or corrupt PNG (no IHDR header)")
        w, h = struct.unpack(">II", data[16:24])
        return "png", h, w, None
    if data[:2] == b"BM" and len(data) >= 26:
        (hsize,) = struct.unpack("<I", data[14:18])
        fmt = "<HH" if hsize == 12 else "<ii"
        w, h = struct.unpack(fmt, data[18 : 18 + struct.calcsize(fmt)])
        return "bmp", abs(h), abs(w), None
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return ("tiff", *_tiff_size(data), None)
    return None, None, None, None


_PIL_LOCK = threading.Lock()
_PIL_READY = False


def _pil_size(data):
    """(height, width) from the header of a format Pillow knows, or (None, None).

    Runs Pillow's header parsers only (``Image.open`` is lazy) and not its own
    decompression-bomb check, which would warn or raise with Pillow's limit
    instead of ``max_pixels``. No pixel data are decoded.
    """
    global _PIL_READY
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency
        return None, None
    if not _PIL_READY:
        with _PIL_LOCK:  # Image.init() imports every plugin once
            Image.init()
            _PIL_READY = True
    prefix = data[:16]
    for fmt in list(Image.ID):
        factory, accept = Image.OPEN.get(fmt, (None, None))
        if factory is None or accept is None:  # no magic check: would guess at anything
            continue
        try:
            if accept(prefix) is not True:
                continue
            im = factory(io.BytesIO(data), "")
            w, h = im.size
            return int(h), int(w)
        except Exception:  # not this format after all, or a corrupt header
            continue
    return None, None


def _check_pixels(path, h, w, max_pixels, frames=1):
    if max_pixels is not None and h and w and h * w * frames > max_pixels:
        raise ImageLoadError(
            path,
            f"image is {w}x{h} pixels ({h * w * frames / 1e6:.1f} MP), above "
            f"max_pixels={max_pixels} (possible decompression bomb; raise max_pixels "
            "if the file is genuine)",
        )


# ----------------------------------------------------------------- pixels
def _to_uint8(img, path="<array>"):
    """Scale a decoded array of any dtype to uint8 without wrap-around.

    uint16 is mapped full-range (0 -> 0, 65535 -> 255, i.e. value / 257
    rounded); other integer and float arrays are min-max scaled, except floats
    already within [0, 1], which are multiplied by 255. NaN or infinite values
    raise ImageLoadError (they have no grey level).
    """
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return ((img.astype(np.uint32) + 128) // 257).astype(np.uint8)
    arr = img.astype(np.float64)
    _check_finite(arr, path)
    lo, hi = float(arr.min()), float(arr.max())
    if img.dtype.kind == "f" and lo >= 0.0 and hi <= 1.0:
        return np.rint(arr * 255.0).astype(np.uint8)
    if hi <= lo:
        return np.zeros(arr.shape, np.uint8)
    return np.rint((arr - lo) * (255.0 / (hi - lo))).astype(np.uint8)


def _check_finite(arr, path):
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ImageLoadError(
            path,
            f"{int(bad.sum())} of {arr.size} pixel values are NaN or infinite "
            "(a float image with missing data; they have no grey level)",
        )


def _to_channels(img, channels):
    """(h, w[, c]) uint8 in OpenCV order (gray, BGR, BGRA) -> (h, w, channels) RGB."""
    if img.ndim == 2:
        img = img[:, :, None]
    c = img.shape[2]
    if c in (2, 4):  # composite onto black using the alpha channel
        alpha = img[:, :, -1:].astype(np.uint16)
        img = ((img[:, :, :-1] * alpha + 127) // 255).astype(np.uint8)
        c -= 1
    if c == channels:
        if c == 3:
            return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        return img
    if c == 1:
        return np.repeat(img, 3, axis=2)
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[:, :, None]


def _read_dicom(data, path, channels, max_pixels):
    try:
        import pydicom
        from pydicom.pixels import apply_modality_lut, apply_voi_lut

        ds = pydicom.dcmread(io.BytesIO(data), force=True)
        if "PixelData" not in ds:
            raise ImageLoadError(path, "DICOM file holds no pixel data")
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        _check_pixels(path, int(ds.Rows), int(ds.Columns), max_pixels, frames)
        if frames > 1:
            raise ImageLoadError(path, f"multi-frame DICOM ({frames} frames) is not supported")
        arr = ds.pixel_array
    except ImageLoadError:
        raise
    except Exception as exc:  # pydicom raises many types for bad or unsupported files
        raise ImageLoadError(path, f"cannot decode DICOM: {exc}") from exc
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    if arr.ndim == 3:  # colour DICOM; pydicom converts YBR to RGB
        rgb = _to_uint8(arr, path)
        if channels == 3:
            return np.ascontiguousarray(rgb)
        return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)[:, :, None]
    try:
        arr = apply_modality_lut(arr, ds)
    except Exception as exc:  # a RescaleSlope / modality LUT pydicom cannot apply
        raise ImageLoadError(path, f"cannot apply the DICOM modality LUT: {exc}") from exc
    # a window width < 1 or an unknown VOI LUT function: no usable window, so the
    # modality values are min-max scaled below, as for a file without a window
    with contextlib.suppress(ValueError):
        arr = apply_voi_lut(arr, ds)
    arr = np.asarray(arr, dtype=np.float64)
    _check_finite(arr, path)
    lo, hi = float(arr.min()), float(arr.max())
    out = (
        np.zeros(arr.shape, np.uint8)
        if hi <= lo
        else np.rint((arr - lo) * (255.0 / (hi - lo))).astype(np.uint8)
    )
    if photometric == "MONOCHROME1":  # low values are bright: invert so bone is bright
        out = 255 - out
    out = out[:, :, None]
    return np.repeat(out, 3, axis=2) if channels == 3 else out


def _reduction(h, w, min_shape):
    """Largest JPEG DCT reduction (1, 2, 4 or 8) keeping >= REDUCE_MARGIN x target."""
    if min_shape is None or not h or not w:
        return 1
    need = REDUCE_MARGIN * max(min_shape)  # orientation-agnostic (EXIF may rotate)
    for k in (8, 4, 2):
        if min(-(-h // k), -(-w // k)) >= need:
            return k
    return 1


_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
# O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)


def _not_regular(path, mode):
    if stat.S_ISDIR(mode):
        return ImageLoadError(path, "is a directory, not a file")
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")
    return ImageLoadError(path, f"is {kind}, not a regular file")


def _read_file(path, max_bytes=DEFAULT_MAX_BYTES):
    """All bytes of the regular file ``path`` (at most ``max_bytes``)."""
    try:
        st = os.stat(path)  # follows symlinks; never opens or blocks
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(path, st.st_mode)
        fd = os.open(path, _OPEN_FLAGS)
        try:
            st = os.fstat(fd)  # the file actually opened (no swap since stat)
            if not stat.S_ISREG(st.st_mode):
                raise _not_regular(path, st.st_mode)
            if max_bytes is not None and st.st_size > max_bytes:
                raise ImageLoadError(
                    path,
                    f"file is {st.st_size:,} bytes, above max_bytes={max_bytes:,} (raise "
                    "max_bytes if the file is genuine)",
                )
            with os.fdopen(os.dup(fd), "rb", buffering=0) as f:
                # read(n) allocates n bytes up front: ask for the size, not the cap
                data = f.read(st.st_size + 1)
                if len(data) > st.st_size:  # grew, or reports no size (/proc): go on
                    more = max_bytes + 1 - len(data) if max_bytes is not None else -1
                    data += f.read(more) if more else b""
        finally:
            os.close(fd)
    except ImageLoadError:  # not a regular file, above max_bytes: already says so
        raise
    except FileNotFoundError as exc:
        raise ImageLoadError(path, "file not found") from exc
    except OSError as exc:
        raise ImageLoadError(path, f"cannot read file: {exc.strerror or exc}") from exc
    except ValueError as exc:  # a NUL byte in the path (os.stat refuses it)
        raise ImageLoadError(path, f"invalid file name ({exc})") from exc
    if max_bytes is not None and len(data) > max_bytes:  # grew while being read
        raise ImageLoadError(path, f"file is larger than max_bytes={max_bytes:,} bytes")
    if not data:
        raise ImageLoadError(path, "file is empty (0 bytes)")
    return data


def _has_grey_corner(img):
    """True if a corner pixel is exactly mid-grey (128) in every channel.

    libjpeg leaves the MCUs after a premature end of the entropy-coded data
    at zero coefficients, i.e. exactly 128. They are the last MCUs of the
    scan, so the bottom-right corner is among them (another corner after an
    EXIF rotation).
    """
    corners = img[[0, 0, -1, -1], [0, -1, 0, -1]]  # (4, channels) or (4,)
    return bool((corners.reshape(4, -1) == 128).all(axis=1).any())


_PADS = (b"\x00", b"\x55")


def _jpeg_is_cut(data, eoi, flag, decoded=None, reduction=1):
    """Whether libjpeg ran out of entropy-coded data before the end of the scan.

    OpenCV only prints libjpeg's "Corrupt JPEG data: premature end of data
    segment" warning: it decodes the missing bits as zeros and leaves the
    blocks after them at zero (grey). With bytes inserted before the end
    marker, a cut stream decodes them instead, so the picture changes; a
    complete stream never uses bits past its last code (look-ahead bits are
    peeked, never consumed), so nothing changes. Zero bits always form a
    valid Huffman code (the first canonical code), so zero bytes decode as
    further blocks wherever blocks are missing; only a cut inside the very
    last block decodes them like libjpeg's zero-fill, which 0x55 bytes (if
    they happen to be a valid code there) then reveal.

    The padded copies are decoded by Pillow, whose libjpeg error manager
    keeps warnings to itself: through OpenCV, libjpeg printed "Corrupt JPEG
    data: 4094 extraneous bytes before marker 0xd9" on stderr for every
    complete file checked (46 lines for the 5,216 Kermany training images).
    OpenCV is used only when Pillow cannot decode the file. ``decoded`` is
    ``data`` already decoded by OpenCV with ``flag``, if at hand.
    """
    cut = _jpeg_is_cut_pillow(data, eoi, reduction)
    if cut is not None:
        return cut
    a = decoded if decoded is not None else cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    for pad in _PADS:
        padded = data[:eoi] + pad * 4096 + data[eoi:]
        b = cv2.imdecode(np.frombuffer(padded, np.uint8), flag)
        if a is None or b is None or a.shape != b.shape or not np.array_equal(a, b):
            return True
    return False


def _jpeg_is_cut_pillow(data, eoi, reduction):
    """:func:`_jpeg_is_cut` decoding with Pillow; None when Pillow cannot tell."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency
        return None

    def grey(buf):
        im = Image.open(io.BytesIO(buf))
        w, h = im.size
        limit = Image.MAX_IMAGE_PIXELS
        if limit is not None and w * h > limit:
            raise ValueError("above Pillow's own pixel limit")  # it would warn or raise
        im.draft("L", (max(1, w // reduction), max(1, h // reduction)))  # DCT scaling
        return np.asarray(im.convert("L"))

    try:
        a = grey(data)
        for pad in _PADS:
            b = grey(data[:eoi] + pad * 4096 + data[eoi:])
            if a.shape != b.shape or not np.array_equal(a, b):
                return True
    except Exception:  # noqa: BLE001 - Pillow cannot decode it: let OpenCV tell
        return None
    return False


def load_image(path, channels, max_pixels, min_shape=None, max_bytes=DEFAULT_MAX_BYTES):
    """Decode ``path``; return (uint8 (h, w, channels) RGB/grey, reduction factor).

    With ``min_shape=(H, W)`` a large JPEG may be decoded at 1/2, 1/4 or 1/8 of
    its size (the returned factor), never below ``REDUCE_MARGIN`` x the target.
    """
    data = _read_file(path, max_bytes)
    if data[128:132] == b"DICM":
        return _read_dicom(data, path, channels, max_pixels), 1
    fmt, h, w, sos = _sniff(data, path)
    if fmt is None and os.fspath(path).lower().endswith(_DICOM_EXTENSIONS):
        return _read_dicom(data, path, channels, max_pixels), 1  # DICOM without preamble
    if max_pixels is not None and not (h and w):  # GIF, WebP, PNM, ...: ask Pillow
        h, w = _pil_size(data)
    _check_pixels(path, h, w, max_pixels)
    buf = np.frombuffer(data, np.uint8)
    k = 1
    try:
        if fmt == "jpeg":
            eoi = data.rfind(b"\xff\xd9", sos)
            if eoi < 0:
                raise ImageLoadError(path, "truncated JPEG (no end-of-image marker)")
            k = _reduction(h, w, min_shape)
            img = cv2.imdecode(buf, _REDUCED_FLAGS[(channels, k)])
            if (
                img is not None
                and _has_grey_corner(img)
                and _jpeg_is_cut(
                    data, eoi, _REDUCED_FLAGS[(1, k)], img if img.ndim == 2 else None, k
                )
            ):
                raise ImageLoadError(
                    path,
                    "truncated JPEG (the image data end before the last block; libjpeg "
                    "would fill the rest with grey)",
                )
            if img is not None and img.ndim == 3 and channels == 3:
                img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
            elif img is not None and img.ndim == 2:
                img = img[:, :, None]
        else:
            if fmt == "png" and data.rfind(_PNG_IEND) < 0:
                raise ImageLoadError(path, "truncated PNG (no IEND chunk)")
            img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
            if img is not None:
                img = _to_channels(_to_uint8(img, path), channels)
    except cv2.error as exc:
        raise ImageLoadError(path, f"OpenCV cannot decode it: {exc.err or exc}") from exc
    if img is None or img.size == 0:
        what = f"corrupt or unsupported {fmt.upper()}" if fmt else "not a recognised image format"
        raise ImageLoadError(path, f"{what} (OpenCV could not decode it)")
    if fmt is None:
        _check_pixels(path, img.shape[0], img.shape[1], max_pixels)
    return img, k


def read_image(
    path, *, color="grayscale", max_pixels=DEFAULT_MAX_PIXELS, max_bytes=DEFAULT_MAX_BYTES
):
    """Read one image file as a ``uint8`` array of shape (height, width, channels).

    Parameters
    ----------
    path : str or path-like
        JPEG, PNG, BMP, TIFF (or another format OpenCV reads), or DICOM
        (recognised by a ``.dcm``/``.dicom`` extension or the ``DICM`` magic).
        Non-ASCII paths are fine.
    color : {"grayscale", "rgb"}, default="grayscale"
        ``"grayscale"`` gives 1 channel (colour inputs are converted with the
        ITU-R BT.601 luma weights); ``"rgb"`` gives 3 channels in RGB order
        (grey inputs are replicated).
    max_pixels : int or None, default=100_000_000
        Refuse images with more pixels than this, checked from the header
        before decoding (protects against decompression bombs). None disables.
    max_bytes : int or None, default=536_870_912 (512 MiB)
        Refuse files larger than this many bytes, checked before reading.
        None disables.

    Returns
    -------
    image : ndarray of shape (height, width, 1 or 3), dtype uint8

    Raises
    ------
    ImageLoadError
        Missing, empty, truncated, corrupt or non-image file, a directory or
        another file that is not a regular file (FIFO, device, socket), a file
        above ``max_bytes``, an image above ``max_pixels``, or a float image
        with NaN or infinite values; the message names the file and the reason.

    Notes
    -----
    - 16-bit images are scaled full-range: ``round(value / 257)``, so 65535
      becomes 255 and 32768 becomes 128 (no wrap-around). 12-bit data stored in
      16 bits therefore looks dark; rescale it yourself if needed.
    - Other integer and float types are min-max scaled (floats already in
      [0, 1] are multiplied by 255).
    - NaN or infinite values in float images raise ImageLoadError.
    - An alpha channel is composited onto black.
    - The pixel count is checked from the header before decoding, for every
      format: JPEG, PNG, BMP, TIFF and DICOM are parsed here, others (GIF,
      WebP, PNM, ...) by Pillow's header parsers.
    - A JPEG whose image data end early but which still has an end marker
      (libjpeg only warns "premature end of data segment" and fills the rest
      with grey) raises ImageLoadError. The check costs nothing unless a
      corner of the decoded image is exactly grey 128, when the file is
      decoded a second time. (A progressive JPEG cut within its refinement
      scans decodes blurry, not grey, and is not detected.)
    - DICOM: the modality LUT (rescale slope/intercept) and the VOI LUT or
      window are applied, the result is min-max scaled to 0-255, and
      ``MONOCHROME1`` images are inverted so that bone is bright. A window
      pydicom refuses (width below 1, as some exports write 0; an unknown VOI
      LUT function) is treated as absent: the modality values are min-max
      scaled.

    Examples
    --------
    >>> from xraynet.io import read_image
    >>> img = read_image("chest.png")  # doctest: +SKIP
    >>> img.shape, img.dtype  # doctest: +SKIP
    ((1024, 1024, 1), dtype('uint8'))
    """
    channels = check_color(color)
    max_pixels = check_max_pixels(max_pixels)
    max_bytes = check_max_bytes(max_bytes)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like object; got {type(path).__name__}.")
    return load_image(path, channels, max_pixels, max_bytes=max_bytes)[0]
