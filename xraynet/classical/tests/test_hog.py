"""HOGTransformer and ImageFlattener: agreement with scikit-image, dtypes, errors."""

import pickle

import cv2
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from xraynet.classical import HOGTransformer, ImageFlattener


@pytest.fixture(scope="module")
def xrays150(kermany_dir):
    """8 real Kermany chest X-rays (both classes), gray, resized to 150x150."""
    files = []
    for cls in ("NORMAL", "PNEUMONIA"):
        files += sorted((kermany_dir / cls).glob("*.jpeg"))[:4]
    assert len(files) == 8, "the Kermany folder should hold >= 4 JPEGs per class"
    images = [cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files]
    images = [cv2.resize(im, (150, 150), interpolation=cv2.INTER_AREA) for im in images]
    return np.stack(images)[..., None]


def _skimage_hog(images, **params):
    feature = pytest.importorskip("skimage.feature")
    return np.stack([feature.hog(im[..., 0], feature_vector=True, **params) for im in images])


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"orientations": 12, "pixels_per_cell": (6, 5), "cells_per_block": (3, 2)},
        {"orientations": 8, "pixels_per_cell": (16, 16), "block_norm": "L2"},
        {"block_norm": "L1"},
        {"block_norm": "L1-sqrt", "cells_per_block": (1, 1)},
    ],
)
def test_matches_skimage_on_real_xrays(xrays150, params):
    ours = HOGTransformer(**params).fit_transform(xrays150)
    full = {"orientations": 9, "pixels_per_cell": (8, 8), "cells_per_block": (2, 2)}
    full = {**full, "block_norm": "L2-Hys", **params}
    ref = _skimage_hog(xrays150, **full)
    assert ours.shape == ref.shape
    for a, b in zip(ours, ref):
        assert np.corrcoef(a, b)[0, 1] > 0.9999
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_matches_skimage_on_pneumoniamnist(pneumoniamnist_small):
    X = pneumoniamnist_small[0][:20]
    ours = HOGTransformer(pixels_per_cell=(4, 4)).fit_transform(X)
    ref = _skimage_hog(X, pixels_per_cell=(4, 4), cells_per_block=(2, 2), block_norm="L2-Hys")
    assert ours.shape == ref.shape == (20, 6 * 6 * 2 * 2 * 9)
    np.testing.assert_allclose(ours, ref, atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (9, 9), (17, 23)])
def test_matches_skimage_on_tiny_images(shape):
    X = np.random.RandomState(0).randint(0, 256, (3, *shape, 1), dtype=np.uint8)
    ours = HOGTransformer(pixels_per_cell=1, cells_per_block=1).fit_transform(X)
    ref = _skimage_hog(X, pixels_per_cell=(1, 1), cells_per_block=(1, 1))
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_output_float32_and_feature_count(xrays150):
    hog = HOGTransformer().fit(xrays150)
    out = hog.transform(xrays150)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    assert out.shape == (8, hog.n_output_features_) == (8, 17 * 17 * 4 * 9)
    assert hog.input_shape_[:2] == (150, 150)
    names = hog.get_feature_names_out()
    assert len(names) == out.shape[1] and names[0] == "hog0"
    assert np.all(np.isfinite(out)) and out.min() >= 0


def test_gray_layouts_and_rgb(xrays150):
    gray = xrays150[..., 0]
    hog = HOGTransformer().fit(xrays150)
    expected = hog.transform(xrays150)
    np.testing.assert_array_equal(hog.transform(gray), expected)  # (n, h, w)
    rgb = np.stack([cv2.applyColorMap(g, cv2.COLORMAP_BONE) for g in gray])[..., ::-1]
    ref_gray = np.stack([cv2.cvtColor(np.ascontiguousarray(im), cv2.COLOR_RGB2GRAY) for im in rgb])
    np.testing.assert_array_equal(hog.transform(rgb), hog.transform(ref_gray))
    # a gray image stored as 3 equal channels gives the gray features
    np.testing.assert_array_equal(hog.transform(np.repeat(xrays150, 3, axis=3)), expected)


def test_float_images_in_unit_range(xrays150):
    hog = HOGTransformer().fit(xrays150)
    np.testing.assert_array_equal(hog.transform(xrays150 / 255.0), hog.transform(xrays150))


@pytest.mark.parametrize("n_jobs", [2, -1])
def test_n_jobs_invariance(xrays150, n_jobs):
    X = np.concatenate([xrays150] * 5)  # 40 images, several chunks
    serial = HOGTransformer(n_jobs=1).fit_transform(X)
    np.testing.assert_array_equal(HOGTransformer(n_jobs=n_jobs).fit_transform(X), serial)


def test_sample_order_and_subset_invariance(xrays150):
    hog = HOGTransformer().fit(xrays150)
    full = hog.transform(xrays150)
    perm = np.random.RandomState(0).permutation(len(xrays150))
    np.testing.assert_array_equal(hog.transform(xrays150[perm]), full[perm])
    np.testing.assert_array_equal(hog.transform(xrays150[3:4]), full[3:4])


def test_fit_is_stateless_and_returns_self(xrays150):
    hog = HOGTransformer(pixels_per_cell=[8, 8])
    params = hog.get_params()
    before = xrays150.copy()
    assert hog.fit(xrays150) is hog
    first = hog.transform(xrays150)
    hog.fit(xrays150[::-1])  # idempotent: nothing learnt from the data
    np.testing.assert_array_equal(hog.transform(xrays150), first)
    assert hog.get_params() == params  # parameters untouched (list stays a list)
    np.testing.assert_array_equal(xrays150, before)


def test_readonly_input(xrays150):
    X = xrays150.copy()
    X.setflags(write=False)
    out = HOGTransformer().fit_transform(X)
    assert out.shape[0] == len(X)
    assert HOGTransformer().fit_transform(X[:1]).shape == (1, out.shape[1])  # one image


def test_clone_and_pickle(xrays150):
    hog = HOGTransformer(orientations=6, n_jobs=2).fit(xrays150)
    again = pickle.loads(pickle.dumps(hog))
    np.testing.assert_array_equal(again.transform(xrays150), hog.transform(xrays150))
    assert clone(hog).get_params() == hog.get_params()
    assert not hasattr(clone(hog), "input_shape_")


def test_too_small_images_raise():
    X = np.zeros((2, 12, 40, 1), dtype=np.uint8)  # 12 rows < one 16-pixel block
    with pytest.raises(ValueError, match=r"12x40 pixels, smaller than one HOG block"):
        HOGTransformer().fit(X)
    HOGTransformer(pixels_per_cell=(4, 4)).fit(X)  # 3 cells: fine


def test_transform_other_size_raises(xrays150):
    hog = HOGTransformer().fit(xrays150)
    with pytest.raises(ValueError, match=r"100x100 pixels but this HOGTransformer was fitted"):
        hog.transform(xrays150[:, :100, :100])


def test_unfitted_raises(xrays150):
    with pytest.raises(NotFittedError):
        HOGTransformer().transform(xrays150)


@pytest.mark.parametrize(
    "params, match",
    [
        (
            {"orientations": 0},
            "'orientations' parameter of HOGTransformer must be an int in "
            r"the range \[1, inf\)",
        ),
        ({"orientations": 9.5}, "'orientations' parameter .* must be an int"),
        ({"orientations": True}, "'orientations' parameter .* must be an int"),
        ({"pixels_per_cell": (8, 0)}, "pixels_per_cell must be"),
        ({"pixels_per_cell": (8, 8, 8)}, "pixels_per_cell must be"),
        (
            {"cells_per_block": "2"},
            "'cells_per_block' parameter .* must be an int in the range .* or an array-like",
        ),
        ({"block_norm": "l2"}, "'block_norm' parameter .* must be a str among"),
        ({"n_jobs": 0}, "'n_jobs' parameter .* must be None or a non-zero int"),
        # a bool is no job count
        ({"n_jobs": True}, "'n_jobs' parameter .* must be None or a non-zero int"),
    ],
)
def test_invalid_params_raise_in_fit(params, match):
    hog = HOGTransformer(**params)  # __init__ does not validate
    with pytest.raises(ValueError, match=match):
        hog.fit(np.zeros((1, 32, 32), dtype=np.uint8))


@pytest.mark.parametrize(
    "X, err, match",
    [
        (np.array(["a.png", "b.png"]), ValueError, "file paths"),
        (np.zeros((2, 32)), ValueError, "must have shape"),
        (np.full((2, 32, 32), np.nan), ValueError, "NaN"),
        (np.full((2, 32, 32), -3.0), ValueError, "float pixel values"),
        (np.zeros((2, 32, 32, 2), dtype=np.uint8), ValueError, "channel"),
        (sp.csr_matrix(np.ones((2, 4))), TypeError, "sparse input is not supported"),
    ],
)
@pytest.mark.parametrize("cls", [HOGTransformer, ImageFlattener])
def test_bad_input_raises(cls, X, err, match):
    with pytest.raises(err, match=match):
        cls().fit(X)


def test_tags_declare_image_input():
    for est in (HOGTransformer(), ImageFlattener()):
        tags = est.__sklearn_tags__()
        assert tags.input_tags.two_d_array is False
        assert tags.input_tags.three_d_array is True
        assert tags.transformer_tags.preserves_dtype == []
        assert tags.requires_fit


def test_image_flattener(pneumoniamnist_small):
    X = pneumoniamnist_small[0][:10]
    flat = ImageFlattener().fit(X)
    out = flat.transform(X)
    assert out.dtype == np.float32 and out.shape == (10, 784)
    np.testing.assert_allclose(out, X.reshape(10, -1) / 255.0, rtol=1e-6)
    assert flat.get_feature_names_out()[-1] == "pixel783"
    with pytest.raises(ValueError, match="fitted on 28x28"):
        flat.transform(X[:, :20, :20])
    with pytest.raises(ValueError, match="channel"):
        flat.transform(np.repeat(X, 3, axis=3))
