"""What the second bad-input trial (benchmarks/bad_input_trial.py) found in xraynet.io.

A path with a NUL byte, lung-mask JSON files declaring absurd image sizes or
polygon points, and mask images whose header announces a decompression bomb:
each is refused with an ImageLoadError naming the file, before anything large
is allocated. Every file is real, written in tmp_path.
"""

import json
import struct
import time
import zlib

import cv2
import numpy as np
import pytest

from xraynet.io import ImageLoader, ImageLoadError, read_image, read_mask


def _png_claiming(path, width, height):
    """A 100-byte PNG whose IHDR announces width x height."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )
    return path


def _coco(path, image=None, points=((4, 4), (30, 4), (30, 30), (4, 30))):
    doc = {
        "images": [image] if image is not None else [],
        "annotations": [{"segmentation": [np.asarray(points, float).ravel().tolist()]}],
    }
    path.write_text(json.dumps(doc))
    return path


def test_nul_byte_in_path_names_the_file(tmp_path):
    bad = str(tmp_path / "a\x00b.png")
    with pytest.raises(ImageLoadError, match=r"a\\x00b\.png.*invalid file name") as info:
        read_image(bad)
    assert info.value.path == bad
    with pytest.raises(ImageLoadError, match="invalid file name"):
        ImageLoader(size=8).transform([bad])


def test_size_and_kind_refusals_are_not_rewrapped(tmp_path):
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as f:  # sparse: no disk space used
        f.write(b"\x89PNG\r\n\x1a\n")
        f.truncate(600 * 1024**2)
    with pytest.raises(ImageLoadError) as info:
        read_image(huge)
    assert info.value.reason.startswith("file is 629,145,600 bytes, above max_bytes")
    with pytest.raises(ImageLoadError) as info:
        read_image(tmp_path)
    assert info.value.reason == "is a directory, not a file"
    assert str(info.value).count("cannot load image") == 1


@pytest.mark.parametrize("height", [-5, "abc", 1e300, 2**40, True])
def test_mask_json_with_an_impossible_image_size(tmp_path, height):
    path = _coco(tmp_path / "m.json", {"height": height, "width": 40})
    with pytest.raises(ImageLoadError, match=r"m\.json.*expected two positive integers"):
        read_mask(path, image_shape=(40, 40))


def test_mask_json_size_absent_or_zero_falls_back_to_the_image(tmp_path):
    for image in (None, {"height": 0, "width": 0}, {"height": 40}):
        path = _coco(tmp_path / "m.json", image)
        assert read_mask(path, image_shape=(40, 40)).shape == (40, 40)
    path = _coco(tmp_path / "m.json", {"height": 40.0, "width": 40})  # integral float: fine
    assert read_mask(path).shape == (40, 40)


def test_mask_json_declaring_a_huge_image_is_refused_before_allocating(tmp_path):
    path = _coco(tmp_path / "m.json", {"height": 1_000_000, "width": 1_000_000})
    start = time.perf_counter()
    with pytest.raises(ImageLoadError, match=r"1000000x1000000 pixels.*max_pixels=100000000"):
        read_mask(path)  # used to raise MemoryError (931 GiB), naming no file
    assert time.perf_counter() - start < 1.0
    small = _coco(tmp_path / "s.json", {"height": 40, "width": 40})
    with pytest.raises(ImageLoadError, match="max_pixels=1000"):
        read_mask(small, max_pixels=1000)
    assert read_mask(small, max_pixels=None).shape == (40, 40)


def test_mask_polygon_point_far_outside_the_image(tmp_path):
    # 1e12 wrapped around in int32 and gave a wrong 9-pixel mask without a word
    path = _coco(tmp_path / "m.json", {"height": 40, "width": 40}, [(1e12, 1), (1e12, 30), (5, 30)])
    with pytest.raises(ImageLoadError, match=r"m\.json.*\(1e\+12, 1\) far outside the 40x40"):
        read_mask(path)
    # a few pixels outside, as annotation tools do, is fine (clipped by the raster)
    near = _coco(tmp_path / "n.json", {"height": 40, "width": 40}, [(-3, -3), (45, -3), (45, 45)])
    assert read_mask(near).sum() > 0


def test_mask_image_bomb_refused_from_its_header(tmp_path):
    bomb = _png_claiming(tmp_path / "bomb_mask.png", 20_000, 20_000)
    start = time.perf_counter()
    with pytest.raises(ImageLoadError, match=r"bomb_mask\.png.*20000x20000 pixels"):
        read_mask(bomb)
    assert time.perf_counter() - start < 1.0  # OpenCV would allocate 400 MB first
    image = tmp_path / "x.png"
    cv2.imwrite(str(image), np.full((40, 40), 128, np.uint8))
    mask = tmp_path / "mask.png"
    m = np.zeros((80, 80), np.uint8)  # twice the image's size: resized to it
    m[10:70, 10:70] = 255
    cv2.imwrite(str(mask), m)
    # ImageLoader applies its own limits to the masks too
    with pytest.raises(ImageLoadError, match=r"mask\.png.*80x80 pixels.*max_pixels=2000"):
        ImageLoader(size=8, mask_mode="crop", max_pixels=2000).transform([[image, mask]])
    loader = ImageLoader(size=8, mask_mode="crop", max_pixels=6400)
    assert loader.transform([[image, mask]]).shape == (1, 8, 8, 1)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_read_mask_bad_limits(tmp_path, bad):
    path = _coco(tmp_path / "m.json", {"height": 40, "width": 40})
    with pytest.raises(ValueError, match="max_pixels"):
        read_mask(path, max_pixels=bad)
    with pytest.raises(ValueError, match="max_bytes"):
        read_mask(path, max_bytes=bad)


@pytest.mark.parametrize(
    "window",
    [
        {"WindowCenter": 2000, "WindowWidth": 0},  # some exports write 0 for "unknown"
        {"WindowCenter": 2000, "WindowWidth": -5},
        {"WindowCenter": 2000, "WindowWidth": 400, "VOILUTFunction": "BOGUS"},
    ],
)
def test_dicom_window_pydicom_refuses_is_treated_as_absent(tmp_path, window, write_dicom):
    ramp = (np.arange(256, dtype=np.uint16) * 16).reshape(16, 16)  # 12-bit

    def _ramp_dicom(path, **tags):
        return write_dicom(path, ramp, bits_stored=12, **tags)

    plain = read_image(_ramp_dicom(tmp_path / "plain.dcm"))
    # was: a bare ValueError from pydicom, naming no file
    img = read_image(_ramp_dicom(tmp_path / "bad_window.dcm", **window))
    np.testing.assert_array_equal(img, plain)
    assert img.min() == 0 and img.max() == 255
    good = read_image(_ramp_dicom(tmp_path / "good.dcm", WindowCenter=2000, WindowWidth=400))
    assert not np.array_equal(good, plain)  # a valid window is still applied


def test_truncation_check_prints_nothing_for_complete_jpegs(tmp_path, capfd):
    img = np.full((96, 96), 128, np.uint8)  # grey corners: the truncation check runs
    cv2.circle(img, (48, 48), 30, 220, -1)
    path = tmp_path / "grey_corners.jpg"
    cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    out = read_image(path)
    assert out[0, 0, 0] == 128 and out.shape == (96, 96, 1)
    assert ImageLoader(size=24).transform([path]).shape == (1, 24, 24, 1)  # reduced decode too
    # libjpeg, through OpenCV, printed "Corrupt JPEG data: 4094 extraneous bytes
    # before marker 0xd9" twice per complete file checked
    assert "Corrupt JPEG" not in capfd.readouterr().err
    data = path.read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) * 2 // 3] + b"\xff\xd9")
    with pytest.raises(ImageLoadError, match=r"cut\.jpg.*truncated JPEG"):
        read_image(cut)
