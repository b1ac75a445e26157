"""read_image and ImageLoadError: formats, bit depths, DICOM, reduced decode, bad files."""

import pickle

import cv2
import numpy as np
import pytest

from xraynet.io import ImageLoader, ImageLoadError, _loader, _readers, read_image

MONO2 = "1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"
MONO1 = "Fake_MONOHR1.dcm"


@pytest.fixture
def gradient():
    """A 60x80 BGR test image with distinct channels."""
    y, x = np.mgrid[0:60, 0:80]
    return np.dstack([x * 3, y * 4, (x + y) * 2]).astype(np.uint8)


def test_formats_dir_all_files(formats_dir):
    files = sorted(formats_dir.iterdir())
    assert len(files) == 8
    for f in files:
        for color, c in (("grayscale", 1), ("rgb", 3)):
            img = read_image(f, color=color)
            assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == c, f
            assert img.max() > img.min(), f  # not blank


def test_dicom_monochrome1_is_inverted(formats_dir):
    mono2 = read_image(formats_dir / MONO2).astype(int)
    mono1 = read_image(formats_dir / MONO1).astype(int)
    assert mono2.shape == mono1.shape == (1024, 1024, 1)
    assert np.abs(mono1 - (255 - mono2)).max() <= 1
    assert mono2.min() == 0 and mono2.max() == 255  # full range after scaling


def test_dicom_modality_and_voi_lut(formats_dir, tmp_path):
    pydicom = pytest.importorskip("pydicom")
    ds = pydicom.dcmread(formats_dir / MONO2)
    raw = ds.pixel_array.astype(np.float64)
    ds.decompress()  # re-encode uncompressed so we can edit the header freely
    ds.RescaleSlope, ds.RescaleIntercept = 2, -100
    ds.WindowCenter, ds.WindowWidth = 200, 200  # window on (2 * raw - 100)
    path = tmp_path / "windowed.dcm"
    ds.save_as(path)
    img = read_image(path)[..., 0].astype(int)
    hu = 2 * raw - 100
    expected = np.clip((hu - 100) / 200, 0, 1) * 255
    assert np.abs(img - expected).mean() < 2
    assert (img[hu <= 99] == 0).all() and (img[hu >= 301] == 255).all()


def test_dicom_detected_by_magic_without_extension(formats_dir, tmp_path):
    path = tmp_path / "noext"
    path.write_bytes((formats_dir / MONO2).read_bytes())
    np.testing.assert_array_equal(read_image(path), read_image(formats_dir / MONO2))


def test_png_16bit_full_range_no_wraparound(tmp_path):
    img16 = np.array([[0, 257, 32768, 65535], [128, 129, 65280, 40000]], np.uint16)
    path = tmp_path / "deep.png"
    assert cv2.imwrite(str(path), img16)
    out = read_image(path)[..., 0]
    np.testing.assert_array_equal(out, [[0, 1, 128, 255], [0, 1, 254, 156]])
    np.testing.assert_array_equal(out, np.rint(img16 / 257.0).astype(np.uint8))


def test_16bit_rgb_png(tmp_path):
    img16 = np.zeros((4, 4, 3), np.uint16)
    img16[..., 2] = 65535  # OpenCV BGR: pure red
    path = tmp_path / "red16.png"
    cv2.imwrite(str(path), img16)
    np.testing.assert_array_equal(read_image(path, color="rgb")[0, 0], [255, 0, 0])


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif", ".jpg"])
def test_rgb_formats_channel_order(tmp_path, gradient, ext):
    path = tmp_path / f"img{ext}"
    assert cv2.imwrite(str(path), gradient)
    tol = 3 if ext == ".jpg" else 0  # mean error: JPEG subsamples chroma
    rgb = read_image(path, color="rgb").astype(int)
    assert np.abs(rgb - gradient[..., ::-1]).mean() <= tol  # RGB order
    assert np.abs(rgb - gradient).mean() > 20
    gray = read_image(path).astype(int)[..., 0]
    expected = cv2.cvtColor(gradient, cv2.COLOR_BGR2GRAY).astype(int)
    assert np.abs(gray - expected).mean() <= tol + 0.5


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif", ".jpg"])
def test_gray_formats_replicated_to_rgb(tmp_path, gradient, ext):
    gray = gradient[..., 0].copy()
    path = tmp_path / f"gray{ext}"
    cv2.imwrite(str(path), gray)
    rgb = read_image(path, color="rgb")
    assert rgb.shape == (60, 80, 3)
    assert (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()


def test_rgba_png_composited_on_black(tmp_path):
    bgra = np.full((3, 3, 4), 200, np.uint8)
    bgra[..., 3] = 255  # opaque
    bgra[0, 0, 3] = 0  # transparent
    bgra[1, 1, 3] = 128
    path = tmp_path / "alpha.png"
    cv2.imwrite(str(path), bgra)
    out = read_image(path)[..., 0]
    assert out[0, 0] == 0 and out[2, 2] == 200 and out[1, 1] == round(200 * 128 / 255)


def test_non_ascii_path(tmp_path, gradient):
    path = tmp_path / "Röntgen_胸部.png"
    cv2.imencode(".png", gradient)[1].tofile(str(path))
    assert read_image(path).shape == (60, 80, 1)


def test_reduced_jpeg_decode_matches_full_decode(kermany_dir, tmp_path):
    src = sorted((kermany_dir / "NORMAL").glob("*.jpeg"))[0]
    big = cv2.resize(
        cv2.imread(str(src), cv2.IMREAD_GRAYSCALE), (2000, 2000), interpolation=cv2.INTER_CUBIC
    )
    path = tmp_path / "big.jpg"
    cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 95])
    full = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    for size in (150, 224):
        assert _readers._reduction(2000, 2000, (size, size)) > 1  # really reduced
        ref = cv2.resize(full, (size, size), interpolation=cv2.INTER_AREA).astype(int)
        ours = ImageLoader(size=size).transform([path])[0, ..., 0].astype(int)
        assert np.abs(ours - ref).mean() <= 1.0
        # same resizer on the full decode: the reduction itself changes little
        img, factor = _readers.load_image(path, 1, None, (size, size))
        assert factor > 1 and img.shape[0] == 2000 // factor
        no_reduction = _loader._resize(full[..., None], size, size, False)[..., 0]
        assert np.abs(ours - no_reduction).mean() <= 1.0
    # read_image itself never reduces
    np.testing.assert_array_equal(read_image(path)[..., 0], full)


def test_reduced_decode_real_large_jpeg(formats_dir):
    path = formats_dir / "covid-19-pneumonia-58-prior.jpg"
    full = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    ours = ImageLoader(size=150).transform([path])[0, ..., 0].astype(int)
    ref = cv2.resize(full, (150, 150), interpolation=cv2.INTER_AREA).astype(int)
    assert np.abs(ours - ref).mean() <= 1.5


# ------------------------------------------------------------------ bad input
def _bad_files(tmp_path, gradient):
    ok_jpg = cv2.imencode(".jpg", gradient)[1].tobytes()
    ok_png = cv2.imencode(".png", gradient)[1].tobytes()
    cases = {
        "empty.jpg": (b"", "empty"),
        "trunc.jpg": (ok_jpg[: len(ok_jpg) * 2 // 3], "truncated"),
        "header_only.jpg": (ok_jpg[:20], "JPEG"),
        "trunc.png": (ok_png[: len(ok_png) // 2], "truncated PNG"),
        "notes.jpg": (b"patient notes, not an image\n" * 20, "not a recognised image"),
        "garbage.png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG"),
        "fake.dcm": (b"\x00" * 128 + b"DICM" + b"\x00" * 50, "DICOM"),
    }
    paths = {}
    for name, (data, reason) in cases.items():
        (tmp_path / name).write_bytes(data)
        paths[name] = (tmp_path / name, reason)
    return paths


def test_bad_files_raise_image_load_error(tmp_path, gradient):
    for name, (path, reason) in _bad_files(tmp_path, gradient).items():
        with pytest.raises(ImageLoadError) as info:
            read_image(path)
        err = info.value
        assert err.path == str(path) and reason.lower() in err.reason.lower(), (name, err)
        assert str(path) in str(err) and isinstance(err, ValueError)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ImageLoadError, match="file not found") as info:
        read_image(tmp_path / "nope.png")
    assert info.value.reason == "file not found"
    with pytest.raises(ImageLoadError, match="directory"):
        read_image(tmp_path)


def _png_with_header_size(width, height):
    data = bytearray(cv2.imencode(".png", np.zeros((2, 2), np.uint8))[1].tobytes())
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    return bytes(data)


def test_decompression_bomb_rejected_before_decoding(tmp_path, gradient):
    png = tmp_path / "bomb.png"
    png.write_bytes(_png_with_header_size(50_000, 50_000))
    with pytest.raises(ImageLoadError, match="max_pixels"):
        read_image(png)
    jpg = tmp_path / "big.jpg"
    cv2.imwrite(str(jpg), gradient)  # 60x80 = 4800 px
    with pytest.raises(ImageLoadError, match="80x60"):
        read_image(jpg, max_pixels=4000)
    assert read_image(jpg, max_pixels=None).shape == (60, 80, 1)
    with pytest.raises(ImageLoadError, match="max_pixels"):
        ImageLoader(size=8, max_pixels=4000).transform([jpg])


def test_dicom_bomb_rejected(formats_dir):
    with pytest.raises(ImageLoadError, match="max_pixels"):
        read_image(formats_dir / MONO2, max_pixels=1000)


def test_error_is_picklable():
    err = pickle.loads(pickle.dumps(ImageLoadError("a/b.png", "file not found")))
    assert (err.path, err.reason) == ("a/b.png", "file not found")
    assert "a/b.png" in str(err) and "file not found" in str(err)


def test_read_image_bad_arguments(tmp_path, gradient):
    path = tmp_path / "ok.png"
    cv2.imwrite(str(path), gradient)
    with pytest.raises(ValueError, match="color"):
        read_image(path, color="bgr")
    with pytest.raises(ValueError, match="max_pixels"):
        read_image(path, max_pixels=0)
    with pytest.raises(TypeError, match="path"):
        read_image(123)


def test_to_uint8_other_dtypes():
    f = np.array([[0.0, 0.5, 1.0]], np.float32)
    np.testing.assert_array_equal(_readers._to_uint8(f), [[0, 128, 255]])
    i = np.array([[-1000, 0, 1000]], np.int16)
    np.testing.assert_array_equal(_readers._to_uint8(i), [[0, 128, 255]])


def test_reduced_decode_synthetic_large_jpeg(tmp_path):
    """Needs no data: a smooth, noisy 2000x1600 JPEG."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:2000, :1600] / 400.0
    img = 120 + 60 * np.sin(xx) * np.cos(yy) + rng.normal(0, 6, yy.shape)
    path = tmp_path / "large.jpg"
    cv2.imwrite(str(path), np.clip(img, 0, 255).astype(np.uint8))
    full = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    ours = ImageLoader(size=(150, 120)).transform([path])[0, ..., 0].astype(int)
    assert _readers.load_image(path, 1, None, (150, 120))[1] == 2  # 800 x 1000 >= 3 x 150
    ref = cv2.resize(full, (120, 150), interpolation=cv2.INTER_AREA).astype(int)
    assert np.abs(ours - ref).mean() <= 1.0


def test_docstring_examples():
    import doctest

    from xraynet.io import _errors
    from xraynet.io import _loader as loader_module

    for module in (_errors, loader_module, _readers):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__


def test_top_level_lazy_import():
    import xraynet

    assert xraynet.ImageLoader is ImageLoader and xraynet.read_image is read_image
    assert xraynet.ImageLoadError is ImageLoadError


def test_dcm_extension_on_png_content_decodes_as_png(tmp_path, gradient):
    path = tmp_path / "mislabelled.dcm"
    path.write_bytes(cv2.imencode(".png", gradient)[1].tobytes())
    assert read_image(path).shape == (60, 80, 1)
    bad = tmp_path / "notes.dcm"
    bad.write_bytes(b"not a DICOM file at all" * 10)
    with pytest.raises(ImageLoadError, match="DICOM"):
        read_image(bad)
