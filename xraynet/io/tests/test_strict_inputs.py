"""Bad inputs refused early and clearly: header-only pixel checks, special files,
size caps, JPEGs cut short, non-finite floats. Every file is real, made in tmp_path."""

import io
import os
import struct
import time

import cv2
import numpy as np
import pytest
from PIL import Image
from sklearn.base import clone

from xraynet.io import ImageLoader, ImageLoadError, read_image
from xraynet.utils import check_image_array


@pytest.fixture(scope="module")
def xray(kermany_dir):
    path = sorted((kermany_dir / "NORMAL").glob("*.jpeg"))[0]
    return cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), path.read_bytes()


# ------------------------------------------------------ pixel limit before decoding
def _gif_claiming(tmp_path, width, height):
    buf = io.BytesIO()
    Image.new("L", (4, 4), 7).save(buf, "GIF")
    data = bytearray(buf.getvalue())
    data[6:10] = struct.pack("<HH", width, height)  # the logical screen size
    path = tmp_path / "bomb.gif"
    path.write_bytes(bytes(data))
    return path


def test_gif_bomb_refused_from_header(tmp_path):
    path = _gif_claiming(tmp_path, 16000, 16000)
    assert path.stat().st_size < 100
    start = time.perf_counter()
    with pytest.raises(ImageLoadError, match=r"16000x16000 pixels.*max_pixels=100000000"):
        read_image(path)
    with pytest.raises(ImageLoadError, match="bomb.gif"):
        ImageLoader(size=32).transform([path])
    assert time.perf_counter() - start < 1.0  # no 256 MP canvas was allocated
    with pytest.raises(ImageLoadError, match="above max_pixels=1000"):
        read_image(_gif_claiming(tmp_path, 40, 40), max_pixels=1000)


@pytest.mark.parametrize("fmt, ext", [("GIF", "gif"), ("WEBP", "webp"), ("PPM", "ppm")])
def test_content_sniffed_formats_checked_before_decoding(tmp_path, xray, fmt, ext):
    path = tmp_path / f"x.{ext}"
    Image.fromarray(cv2.resize(xray[0], (60, 50))).convert("RGB").save(path, fmt)
    with pytest.raises(ImageLoadError, match=r"60x50 pixels.*max_pixels=2999"):
        read_image(path, max_pixels=2999)
    if cv2.haveImageReader(str(path)):
        assert read_image(path, max_pixels=3000).shape == (50, 60, 1)


# ------------------------------------------------------ special files and size cap
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_fifo_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(ImageLoadError, match=r"pipe\.png.*FIFO \(named pipe\), not a regular"):
        read_image(fifo)
    with pytest.raises(ImageLoadError, match="FIFO"):
        ImageLoader(size=16).transform([fifo])
    assert time.perf_counter() - start < 1.0


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_device_refused(tmp_path):
    with pytest.raises(ImageLoadError, match=r"/dev/zero.*character device, not a regular"):
        read_image("/dev/zero")
    link = tmp_path / "zero.png"
    link.symlink_to("/dev/zero")  # a harmless-looking name does not help
    with pytest.raises(ImageLoadError, match="character device"):
        ImageLoader(size=16).transform([link])


def test_max_bytes(tmp_path, xray):
    path = tmp_path / "x.png"
    cv2.imwrite(str(path), xray[0])
    size = path.stat().st_size
    with pytest.raises(ImageLoadError, match=rf"{size:,} bytes, above max_bytes=100"):
        read_image(path, max_bytes=100)
    with pytest.raises(ImageLoadError, match="x.png.*max_bytes"):
        ImageLoader(size=16, max_bytes=size - 1).transform([path])
    assert ImageLoader(size=16, max_bytes=size).transform([path]).shape == (1, 16, 16, 1)
    assert read_image(path, max_bytes=None).shape == xray[0].shape + (1,)


def test_default_max_bytes_refuses_huge_file_quickly(tmp_path):
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as f:  # sparse: no disk space is used
        f.write(b"\x89PNG\r\n\x1a\n")
        f.truncate(600 * 1024**2)
    start = time.perf_counter()
    with pytest.raises(ImageLoadError, match=r"629,145,600 bytes, above max_bytes=536,870,912"):
        ImageLoader(size=16).transform([huge])
    assert time.perf_counter() - start < 1.0  # refused from fstat, nothing read


@pytest.mark.parametrize("bad", [0, -1, 1.5, "1e6", True])
def test_bad_max_bytes_raises(bad):
    with pytest.raises(
        ValueError,
        match=r"'max_bytes' parameter of ImageLoader must be None or an int in the "
        r"range \[1, inf\)",
    ):
        ImageLoader(max_bytes=bad).fit()
    with pytest.raises(ValueError, match="max_bytes"):
        read_image("whatever.png", max_bytes=bad)


def test_max_bytes_is_a_param():
    assert ImageLoader().get_params()["max_bytes"] == 512 * 1024**2
    assert clone(ImageLoader(max_bytes=10)).max_bytes == 10


# ------------------------------------------------------ JPEG cut short, end marker kept
@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9])
@pytest.mark.parametrize("color", ["grayscale", "rgb"])
def test_truncated_jpeg_with_end_marker_raises(tmp_path, xray, fraction, color):
    data = xray[1]
    path = tmp_path / "cut.jpeg"
    path.write_bytes(data[: int(len(data) * fraction)] + b"\xff\xd9")
    with pytest.raises(ImageLoadError, match=r"cut\.jpeg.*truncated JPEG"):
        read_image(path, color=color)
    with pytest.raises(ImageLoadError, match="truncated JPEG"):
        ImageLoader(size=32, color=color).transform([path])


def test_truncated_large_jpeg_with_reduced_decode_raises(tmp_path, xray):
    big = cv2.resize(xray[0], (1600, 1600), interpolation=cv2.INTER_CUBIC)
    ok, enc = cv2.imencode(".jpg", cv2.cvtColor(big, cv2.COLOR_GRAY2BGR))
    data = enc.tobytes()
    good, cut = tmp_path / "good.jpg", tmp_path / "cut.jpg"
    good.write_bytes(data)
    cut.write_bytes(data[: len(data) // 2] + b"\xff\xd9")
    assert ImageLoader(size=64).transform([good]).shape == (1, 64, 64, 1)  # 1/8 decode
    with pytest.raises(ImageLoadError, match="truncated JPEG"):
        ImageLoader(size=64).transform([cut])


def test_complete_jpegs_with_grey_corners_still_load(tmp_path, xray):
    # exactly-128 corners make the check decode twice; a complete file passes
    img = xray[0].copy()
    img[:16, :16] = img[-16:, -16:] = 128
    flat = np.full((40, 56), 128, np.uint8)
    for name, arr in (("corner.jpg", img), ("flat.jpg", flat)):
        path = tmp_path / name
        cv2.imwrite(str(path), arr, [cv2.IMWRITE_JPEG_QUALITY, 95])
        out = read_image(path)
        np.testing.assert_array_equal(out[..., 0], cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))
    progressive = tmp_path / "progressive.jpg"
    cv2.imwrite(str(progressive), flat, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    assert read_image(progressive, color="rgb").shape == (40, 56, 3)


# ------------------------------------------------------ non-finite floats
def test_nan_in_float_tiff_raises(tmp_path, xray):
    arr = xray[0][:64, :64].astype(np.float32) / 255
    arr[10, 10] = np.nan
    arr[20, 20] = np.inf
    path = tmp_path / "float.tiff"
    assert cv2.imwrite(str(path), arr)
    with pytest.raises(ImageLoadError, match=r"float\.tiff.*2 of 4096 pixel values are NaN"):
        read_image(path)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_in_image_arrays_raises(xray, value):
    X = (xray[0][None, :32, :32, None] / 255.0).astype(np.float32)
    X[0, 3, 4, 0] = value
    with pytest.raises(ValueError, match=r"X contains 1 NaN or infinite pixel value"):
        check_image_array(X)
    with pytest.raises(ValueError, match=r"images contains 1 NaN.*image 0"):
        check_image_array(X, name="images")
    with pytest.raises(ValueError, match="NaN or infinite"):
        ImageLoader(size=16).transform(X)
    with pytest.raises(ValueError, match="NaN or infinite"):
        ImageLoader(size=16).transform([X[0], np.zeros((8, 8, 1))])  # ragged list
