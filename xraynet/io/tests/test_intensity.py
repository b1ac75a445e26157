"""ImageLoader(intensity=...): per-image histogram equalisation and CLAHE on real X-rays."""

import cv2
import numpy as np
import pytest
from sklearn.base import clone

from xraynet.io import ImageLoader, read_image
from xraynet.io._intensity import clahe_tiles


@pytest.fixture(scope="module")
def kermany_paths(kermany_dir):
    normal = sorted((kermany_dir / "NORMAL").glob("*.jpeg"))[:3]
    pneumonia = sorted((kermany_dir / "PNEUMONIA").glob("*.jpeg"))[:3]
    return normal + pneumonia


@pytest.fixture(scope="module")
def mnist_train(pneumoniamnist_path):
    with np.load(pneumoniamnist_path) as f:  # train split only
        return f["train_images"][:50, ..., None]


@pytest.fixture
def png_files(tmp_path, kermany_paths):
    """Real radiographs re-saved as lossless grey and RGB PNGs in tmp_path."""
    paths = []
    for i, src in enumerate(kermany_paths[:4]):
        grey = cv2.imread(str(src), cv2.IMREAD_GRAYSCALE)
        p = tmp_path / f"grey{i}.png"
        cv2.imwrite(str(p), grey)
        paths.append(p)
    bgr = cv2.imread(str(kermany_paths[4]), cv2.IMREAD_COLOR)
    bgr[..., 2] = cv2.add(bgr[..., 2], 20)  # a real colour cast
    p = tmp_path / "colour.png"
    cv2.imwrite(str(p), bgr)
    return paths + [p]


def test_none_is_identity(kermany_paths, mnist_train):
    np.testing.assert_array_equal(
        ImageLoader(size=64, intensity=None).transform(kermany_paths),
        ImageLoader(size=64).transform(kermany_paths),
    )
    np.testing.assert_array_equal(
        ImageLoader(size=28, intensity=None).transform(mnist_train), mnist_train
    )


def _ks_to_uniform(img):
    """Largest gap between the grey-level CDF of ``img`` and the uniform CDF."""
    cdf = np.cumsum(np.bincount(img.ravel(), minlength=256)) / img.size
    return float(np.abs(cdf - (np.arange(256) + 1) / 256).max())


@pytest.mark.parametrize("color", ["grayscale", "rgb"])
def test_equalize_flattens_histogram(kermany_paths, color):
    raw = ImageLoader(size=150, color=color).transform(kermany_paths)
    eq = ImageLoader(size=150, color=color, intensity="equalize").transform(kermany_paths)
    for before, after in zip(raw, eq):
        grey = after[..., 0]
        assert grey.min() == 0 and grey.max() == 255
        # the CDF follows the diagonal up to the one step a single (black
        # background) grey level cannot avoid; the raw images are far from it
        spike = np.bincount(grey.ravel()).max() / grey.size
        assert _ks_to_uniform(grey) <= spike + 0.01
        assert _ks_to_uniform(grey) < 0.1 < 0.12 < _ks_to_uniform(before[..., 0])
    # the result equals cv2.equalizeHist of the resized image
    for before, after in zip(raw, eq):
        for ch in range(after.shape[2]):
            np.testing.assert_array_equal(after[..., ch], cv2.equalizeHist(before[..., 0]))


def test_clahe_changes_contrast_locally(kermany_paths):
    raw = ImageLoader(size=150).transform(kermany_paths)[..., 0]
    clahe = ImageLoader(size=150, intensity="clahe").transform(kermany_paths)[..., 0]
    eq = ImageLoader(size=150, intensity="equalize").transform(kermany_paths)[..., 0]

    def local_std(x):  # mean standard deviation in 9x9 windows
        x = x.astype(np.float64)
        m = cv2.blur(x, (9, 9))
        return np.sqrt(np.maximum(cv2.blur(x * x, (9, 9)) - m * m, 0)).mean()

    for r, c, e in zip(raw, clahe, eq):
        assert local_std(c) > 1.3 * local_std(r)
        # global equalisation is one grey-level mapping for the whole image;
        # CLAHE maps the same input level to different outputs in different places
        level = int(np.median(r))
        assert np.ptp(e[r == level]) == 0
        assert np.ptp(c[r == level]) > 40
    # same as OpenCV's CLAHE with clipLimit 2 on an 8x8 grid at 150 px
    ref = cv2.createCLAHE(2.0, (8, 8)).apply(raw[0])
    np.testing.assert_array_equal(clahe[0], ref)


def test_clahe_tile_grid_scales_with_size(mnist_train):
    assert clahe_tiles(150, 150) == (8, 8)
    assert clahe_tiles(1024, 128) == (8, 8)
    assert clahe_tiles(64, 64) == (4, 4)
    assert clahe_tiles(28, 28) == (2, 2)
    assert clahe_tiles(96, 28) == (2, 6)  # (across, down)
    assert clahe_tiles(5, 5) == (1, 1)
    out = ImageLoader(size=28, intensity="clahe").transform(mnist_train)
    ref = np.stack([cv2.createCLAHE(2.0, (2, 2)).apply(x[..., 0]) for x in mnist_train])
    np.testing.assert_array_equal(out[..., 0], ref)


@pytest.mark.parametrize("intensity", ["equalize", "clahe"])
@pytest.mark.parametrize("color", ["grayscale", "rgb"])
def test_file_and_array_give_same_output(png_files, intensity, color):
    loader = ImageLoader(size=(120, 100), color=color, intensity=intensity)
    from_files = loader.transform(png_files)
    arrays = [read_image(p, color="rgb") for p in png_files]  # native size, RGB
    np.testing.assert_array_equal(loader.transform(arrays), from_files)
    grey_arrays = [read_image(p) for p in png_files]
    if color == "grayscale" or intensity is None:
        np.testing.assert_array_equal(loader.transform(grey_arrays), from_files)
    # keep_aspect too, and n_jobs does not matter
    boxed = clone(loader).set_params(keep_aspect=True)
    np.testing.assert_array_equal(
        boxed.transform(arrays), boxed.set_params(n_jobs=2).transform(png_files)
    )


def test_grey_image_same_in_rgb_and_grayscale(png_files):
    for intensity in ("equalize", "clahe"):
        grey = ImageLoader(size=90, intensity=intensity).transform(png_files[:4])
        rgb = ImageLoader(size=90, color="rgb", intensity=intensity).transform(png_files[:4])
        np.testing.assert_array_equal(rgb, np.repeat(grey, 3, axis=3))


def test_rgb_keeps_colour(png_files):
    raw = ImageLoader(size=90, color="rgb").transform(png_files[-1:])[0].astype(int)
    eq = ImageLoader(size=90, color="rgb", intensity="equalize").transform(png_files[-1:])[0]
    # luminance is equalised, the red cast (R - G) survives
    assert (raw[..., 0] - raw[..., 1]).mean() > 10
    assert (eq[..., 0].astype(int) - eq[..., 1]).mean() > 10


def test_letterbox_padding_untouched():
    X = np.full((1, 50, 100, 1), 120, np.uint8)
    X[0, :, 50:] = 140
    out = ImageLoader(size=100, keep_aspect=True, intensity="equalize").transform(X)[0, ..., 0]
    assert (out[:25] == 0).all() and (out[75:] == 0).all()
    assert set(np.unique(out[25:75])) == {0, 255}  # two levels -> 0 and 255


@pytest.mark.parametrize("bad", ["CLAHE", "hist", 1, True, ("clahe",), ""])
def test_bad_intensity_raises(bad, png_files):
    loader = ImageLoader(intensity=bad)
    with pytest.raises(
        ValueError, match=r"'intensity' parameter of ImageLoader must be None or a str among"
    ):
        loader.fit()
    with pytest.raises(ValueError, match="intensity"):
        loader.transform(png_files)
    with pytest.raises(ValueError, match="intensity"):
        loader.transform(np.zeros((1, 8, 8, 1), np.uint8))


def test_get_params_and_clone():
    loader = ImageLoader(size=64, intensity="clahe")
    assert loader.get_params()["intensity"] == "clahe"
    assert ImageLoader().get_params()["intensity"] is None
    copy = clone(loader)
    assert copy.intensity == "clahe" and copy is not loader
    assert clone(loader.set_params(intensity="equalize")).intensity == "equalize"
