"""Tests of xraynet.Augmenter on real chest X-rays."""

import pickle
import threading

import cv2
import numpy as np
import pytest
from scipy import ndimage
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import get_tags

from xraynet import Augmenter
from xraynet.augmentation import _warp

NO_GEOMETRY = dict(rotation_range=0, zoom_range=0, width_shift_range=0, height_shift_range=0)


@pytest.fixture(scope="module")
def X28(pneumoniamnist_small):
    return pneumoniamnist_small[0][:64]


@pytest.fixture(scope="module")
def X150(kermany_dir):
    """Eight real Kermany radiographs, grey, resized to 151x151 (odd: exact centre pixel)."""
    paths = sorted((kermany_dir / "NORMAL").glob("*.jpeg"))[:4]
    paths += sorted((kermany_dir / "PNEUMONIA").glob("*.jpeg"))[:4]
    images = [
        cv2.resize(
            cv2.imread(str(p), cv2.IMREAD_GRAYSCALE), (151, 151), interpolation=cv2.INTER_AREA
        )
        for p in paths
    ]
    return np.stack(images)[..., None]


def _flatten(X):
    return X.reshape(len(X), -1) / 255.0


# ------------------------------------------------------------ transformer API
def test_transform_is_identity(X28):
    aug = Augmenter(random_state=0).fit(X28)
    Xt = aug.transform(X28)
    assert Xt.dtype == np.uint8 and Xt.shape == X28.shape
    np.testing.assert_array_equal(Xt, X28)
    # float [0, 1] input is validated to uint8, not augmented
    np.testing.assert_array_equal(aug.transform(X28 / 255.0), X28)


def test_fit_transform_augments_and_keeps_shape_dtype_range(X28):
    X_before = X28.copy()
    Xa = Augmenter(random_state=0).fit_transform(X28)
    np.testing.assert_array_equal(X28, X_before)  # input untouched
    assert Xa.shape == X28.shape and Xa.dtype == np.uint8
    changed = [not np.array_equal(a, b) for a, b in zip(Xa, X28)]
    assert all(changed)
    # bilinear + black fill never leaves the original grey range
    assert np.all(Xa.reshape(len(Xa), -1).max(axis=1) <= X28.reshape(len(X28), -1).max(axis=1))
    # still the same radiograph: the centre keeps its grey level (the black fill
    # lowers the mean only near the borders)
    centre = np.s_[:, 7:21, 7:21]
    assert abs(float(Xa[centre].mean()) - float(X28[centre].mean())) < 10
    assert Xa.mean() < X28.mean()


def test_same_seed_same_output_different_seed_different(X28):
    a = Augmenter(random_state=42).fit_transform(X28)
    b = Augmenter(random_state=42).fit_transform(X28)
    c = Augmenter(random_state=43).fit_transform(X28)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    rs = np.random.RandomState(0)
    assert Augmenter(random_state=rs).fit_transform(X28).shape == X28.shape


def test_augment_rng_semantics(X28):
    aug = Augmenter()
    gen = np.random.default_rng(7)
    first, second = aug.augment(X28, gen), aug.augment(X28, gen)
    assert not np.array_equal(first, second)  # the generator advances
    np.testing.assert_array_equal(first, aug.augment(X28, np.random.default_rng(7)))
    np.testing.assert_array_equal(aug.augment(X28, 7), first)  # int seed
    assert not np.array_equal(aug.augment(X28, None), aug.augment(X28, None))
    # every image gets its own transform: two copies of one image differ
    pair = aug.augment(np.repeat(X28[:1], 2, axis=0), 0)
    assert not np.array_equal(pair[0], pair[1])


@pytest.mark.parametrize("n_jobs", [2, 3, -1])
def test_n_jobs_invariance(X150, n_jobs):
    params = dict(horizontal_flip=True, brightness_range=(0.8, 1.2), contrast_range=(0.8, 1.2))
    ref = Augmenter(n_jobs=1, **params).augment(X150, 3)
    np.testing.assert_array_equal(Augmenter(n_jobs=n_jobs, **params).augment(X150, 3), ref)


def test_thread_safety_shared_instance(X28):
    aug = Augmenter(horizontal_flip=True, brightness_range=(0.9, 1.1))
    expected = [aug.augment(X28, seed) for seed in range(8)]
    results = [None] * 8

    def work(seed):
        results[seed] = aug.augment(X28, np.random.default_rng(seed))

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------ geometry
def test_zero_ranges_is_exact_identity(X28):
    out = Augmenter(**NO_GEOMETRY, brightness_range=(1, 1), contrast_range=(1, 1)).augment(X28, 0)
    np.testing.assert_array_equal(out, X28)
    assert out is not X28


def test_horizontal_flip_only_mirrors_some_images_exactly(X28):
    out = Augmenter(**NO_GEOMETRY, horizontal_flip=True).augment(X28, 0)
    mirrored = [np.array_equal(o, x[:, ::-1]) for o, x in zip(out, X28)]
    same = [np.array_equal(o, x) for o, x in zip(out, X28)]
    assert all(m or s for m, s in zip(mirrored, same))
    assert 10 < sum(mirrored) < len(X28) - 10


def test_flip_off_by_default(X28):
    assert Augmenter().horizontal_flip is False
    out = Augmenter(**NO_GEOMETRY).augment(X28, 0)
    np.testing.assert_array_equal(out, X28)


def test_rotation_keeps_centre_pixel(X150):
    out = Augmenter(**{**NO_GEOMETRY, "rotation_range": 30}).augment(X150, 1)
    assert not np.array_equal(out, X150)
    centre = X150[:, 75, 75, 0].astype(int)
    np.testing.assert_allclose(out[:, 75, 75, 0], centre, atol=1)


def test_warp_matches_scipy_reference(X150):
    """cv2 with our inverse map == scipy.ndimage.affine_transform (ImageDataGenerator's kernel)."""
    aug = Augmenter(horizontal_flip=True)
    out = aug.augment(X150, 5)
    draws = np.random.default_rng(5).random((len(X150), _warp.N_DRAWS))
    matrices, _ = _warp.affine_matrices(draws, 151, 151, aug._check_params())
    swap = np.array([[0, 1], [1, 0]])
    for img, got, m in zip(X150[..., 0], out[..., 0], matrices):
        ref = ndimage.affine_transform(
            img.astype(float),
            swap @ m[:, :2] @ swap,
            m[::-1, 2],
            order=1,
            mode="grid-constant",
            cval=0.0,
        )
        diff = np.abs(np.rint(ref) - got.astype(float))
        assert diff.mean() < 0.3 and np.percentile(diff, 99.5) <= 1


def test_zoom_semantics_match_image_data_generator(X150):
    """zoom factor 1.5 (ImageDataGenerator convention): a 1.5x larger field of view."""
    out = Augmenter(**{**NO_GEOMETRY, "zoom_range": (1.5, 1.5)}).augment(X150[:2], 0)
    c = 75.0  # ImageDataGenerator's centre: h / 2 - 0.5
    for img, got in zip(X150[:2, ..., 0], out[..., 0]):
        ref = ndimage.affine_transform(
            img.astype(float), np.diag([1.5, 1.5]), [c - 1.5 * c] * 2, order=1, mode="grid-constant"
        )
        assert np.abs(np.rint(ref) - got).max() <= 1
    assert out[:, :20, :20].max() == 0  # the borders are now black fill


def test_rgb_images_and_fill_modes(formats_dir):
    img = cv2.cvtColor(
        cv2.imread(str(formats_dir / "tb0005.png"), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
    )
    X = np.stack([cv2.resize(img, (96, 96), interpolation=cv2.INTER_AREA)] * 4)
    assert X.shape == (4, 96, 96, 3)
    geometry = dict(
        rotation_range=45, zoom_range=(1.3, 1.3), width_shift_range=0, height_shift_range=0
    )
    const = Augmenter(**geometry, cval=200).augment(X, 0)
    assert const.shape == X.shape
    np.testing.assert_array_equal(const[:, 0, 0], 200)  # every channel filled
    nearest = Augmenter(**geometry, fill_mode="nearest").augment(X, 0)
    assert not np.array_equal(const, nearest)
    grey = np.repeat(X[..., :1], 3, axis=-1)
    out = Augmenter(**geometry, fill_mode="reflect").augment(grey, 0)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])  # same warp on every channel
    np.testing.assert_array_equal(
        out[..., :1], Augmenter(**geometry, fill_mode="reflect").augment(grey[..., :1], 0)
    )


def test_three_d_input_accepted(X28):
    out = Augmenter(random_state=0).fit_transform(X28[..., 0])
    assert out.shape == X28.shape


# ------------------------------------------------------------ intensity
def test_brightness_and_contrast_lookup(X28):
    out = Augmenter(**NO_GEOMETRY, brightness_range=(1.5, 1.5)).augment(X28, 0)
    np.testing.assert_array_equal(out, np.clip(np.rint(X28 * 1.5), 0, 255).astype(np.uint8))
    out = Augmenter(**NO_GEOMETRY, contrast_range=(0.5, 0.5)).augment(X28, 0)
    mean = X28.reshape(len(X28), -1).mean(axis=1)[:, None, None, None]
    expected = np.clip(np.rint(mean + 0.5 * (X28 - mean)), 0, 255)
    np.testing.assert_array_equal(out, expected.astype(np.uint8))
    spread = out.reshape(len(out), -1).std(axis=1)
    assert np.all(spread <= X28.reshape(len(X28), -1).std(axis=1))
    # constant fill stays at cval even when brightness changes
    out = Augmenter(zoom_range=(1.5, 1.5), brightness_range=(2, 2), cval=0).augment(X28, 0)
    assert out[:, 0, 0].max() == 0


def test_gamma_above_one_darkens_mid_tones(X28):
    levels = np.arange(256.0)
    out = Augmenter(**NO_GEOMETRY, gamma_range=(2.0, 2.0)).augment(X28, 0)
    expected = np.rint(255.0 * (levels / 255.0) ** 2.0).astype(np.uint8)[X28]
    np.testing.assert_array_equal(out, expected)
    mid = (X28 > 60) & (X28 < 200)
    assert np.all(out[mid] < X28[mid])
    assert np.all(out[X28 == 0] == 0) and np.all(out[X28 == 255] == 255)
    assert out.mean() < X28.mean() - 20
    bright = Augmenter(**NO_GEOMETRY, gamma_range=(0.5, 0.5)).augment(X28, 0)
    assert np.all(bright[mid] > X28[mid])


def test_gamma_drawn_per_image_within_range(X28):
    lo, hi = 0.6, 1.6
    out = Augmenter(**NO_GEOMETRY, gamma_range=(lo, hi)).augment(X28, 3).astype(int)
    levels = np.arange(256.0) / 255.0
    darkest = np.rint(255.0 * levels**hi).astype(int)[X28]
    lightest = np.rint(255.0 * levels**lo).astype(int)[X28]
    assert np.all((darkest <= out) & (out <= lightest))
    means = out.reshape(len(out), -1).mean(axis=1) - X28.reshape(len(X28), -1).mean(axis=1)
    assert means.min() < -5 and means.max() > 5  # some images darker, some brighter


def test_gamma_composes_with_brightness_and_contrast(X28):
    out = Augmenter(
        **NO_GEOMETRY,
        brightness_range=(1.2, 1.2),
        contrast_range=(0.8, 0.8),
        gamma_range=(1.5, 1.5),
    ).augment(X28, 0)
    b = X28.astype(float) * 1.2
    mean = X28.reshape(len(X28), -1).mean(axis=1)[:, None, None, None] * 1.2
    v = np.clip(mean + 0.8 * (b - mean), 0, 255)
    expected = np.clip(np.rint(255.0 * (v / 255.0) ** 1.5), 0, 255).astype(np.uint8)
    # the table holds exactly these levels (rounding once, at the end)
    assert np.abs(out.astype(int) - expected).max() <= 1
    assert np.mean(out != expected) < 0.01


def test_gamma_deterministic_and_keeps_other_draws(X150):
    params = dict(
        rotation_range=20,
        zoom_range=0.1,
        horizontal_flip=True,
        brightness_range=(0.8, 1.2),
        contrast_range=(0.9, 1.1),
    )
    aug = Augmenter(**params, gamma_range=(0.7, 1.4), random_state=4)
    first = aug.fit_transform(X150)
    np.testing.assert_array_equal(first, clone(aug).fit_transform(X150))
    np.testing.assert_array_equal(first, clone(aug).set_params(n_jobs=2).fit_transform(X150))
    assert not np.array_equal(first, clone(aug).set_params(random_state=5).fit_transform(X150))
    # gamma gets its own draw: with gamma fixed at 1 the output is that of the
    # same seed without gamma (the geometry and brightness draws do not move)
    np.testing.assert_array_equal(
        Augmenter(**params, gamma_range=(1.0, 1.0), random_state=4).fit_transform(X150),
        Augmenter(**params, random_state=4).fit_transform(X150),
    )
    assert Augmenter().get_params()["gamma_range"] is None
    assert clone(aug).get_params()["gamma_range"] == (0.7, 1.4)


def test_blur_is_the_gaussian_of_the_given_sigma(X150):
    out = Augmenter(**NO_GEOMETRY, blur_range=(1.5, 1.5)).augment(X150, 0)
    for img, res in zip(X150[..., 0], out[..., 0]):
        expected = cv2.GaussianBlur(img, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)
        np.testing.assert_array_equal(res, expected)

    # a blurred radiograph has less fine detail (smaller Laplacian energy)
    def detail(batch):
        return np.mean([cv2.Laplacian(im, cv2.CV_64F).var() for im in batch[..., 0]])

    assert detail(out) < 0.5 * detail(X150)


def test_blur_drawn_per_image_and_sigma_zero_is_sharp(X28):
    sharp = Augmenter(**NO_GEOMETRY, blur_range=(0.0, 0.0)).augment(X28, 0)
    np.testing.assert_array_equal(sharp, X28)
    out = Augmenter(**NO_GEOMETRY, blur_range=(0.0, 2.0)).augment(X28, 1).astype(int)
    changed = (out != X28).reshape(len(X28), -1).mean(axis=1)
    assert changed.min() < 0.3 < changed.max()  # some barely blurred, some strongly
    rgb = np.repeat(X28[:4], 3, axis=-1)
    out_rgb = Augmenter(**NO_GEOMETRY, blur_range=(1.0, 1.0)).augment(rgb, 0)
    grey = Augmenter(**NO_GEOMETRY, blur_range=(1.0, 1.0)).augment(X28[:4], 0)
    for channel in range(3):  # every channel blurred alike
        np.testing.assert_array_equal(out_rgb[..., channel], grey[..., 0])


def test_blur_deterministic_and_keeps_other_draws(X150):
    params = dict(rotation_range=20, zoom_range=0.1, brightness_range=(0.8, 1.2))
    aug = Augmenter(**params, gamma_range=(0.8, 1.2), blur_range=(0.0, 1.0), random_state=2)
    first = aug.fit_transform(X150)
    np.testing.assert_array_equal(first, clone(aug).set_params(n_jobs=2).fit_transform(X150))
    # blur has its own, last draw: sigma 0 gives the output of the same seed without blur
    np.testing.assert_array_equal(
        clone(aug).set_params(blur_range=(0.0, 0.0)).fit_transform(X150),
        clone(aug).set_params(blur_range=None).fit_transform(X150),
    )
    assert Augmenter().get_params()["blur_range"] is None


@pytest.mark.parametrize(
    "blur_range, match",
    [((-0.5, 1.0), "blur_range must satisfy 0 <= lo <= hi"),
     ((2.0, 1.0), "blur_range must satisfy 0 <= lo <= hi"),
     ((0.0, np.nan), "blur_range must be None or a pair"),
     (1.0, "'blur_range' parameter of Augmenter must be None or an array-like")],
)  # fmt: skip
def test_blur_range_checked(X28, blur_range, match):
    with pytest.raises(ValueError, match=match):
        Augmenter(blur_range=blur_range).augment(X28, 0)


# ------------------------------------------------------------ sklearn integration
class _Recorder(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        self.seen_fit_ = X.copy()
        return self

    def transform(self, X):
        self.seen_transform_ = X.copy()
        return X


def test_pipeline_augments_fit_only(X28):
    pipe = Pipeline([("aug", Augmenter(random_state=0)), ("rec", _Recorder())])
    pipe.fit(X28)
    assert not np.array_equal(pipe["rec"].seen_fit_, X28)
    pipe.transform(X28)
    np.testing.assert_array_equal(pipe["rec"].seen_transform_, X28)


def test_grid_search_over_augmenter_params(pneumoniamnist_small):
    Xtr, ytr, Xte, yte = pneumoniamnist_small
    pipe = make_pipeline(
        Augmenter(random_state=0), FunctionTransformer(_flatten), RidgeClassifier(alpha=10.0)
    )
    assert pipe.get_params()["augmenter__rotation_range"] == 30
    pipe.set_params(augmenter__rotation_range=10, augmenter__brightness_range=(0.9, 1.1))
    assert pipe["augmenter"].rotation_range == 10
    grid = GridSearchCV(
        pipe, {"augmenter__rotation_range": [0, 10], "augmenter__zoom_range": [0.0, 0.1]}, cv=2
    )
    grid.fit(Xtr, ytr)
    assert set(grid.best_params_) == {"augmenter__rotation_range", "augmenter__zoom_range"}
    assert grid.score(Xte, yte) > 0.6  # real pneumonia signal survives augmentation


def test_clone_and_pickle(X28):
    aug = Augmenter(
        rotation_range=12,
        zoom_range=(0.9, 1.2),
        horizontal_flip=True,
        brightness_range=(0.9, 1.1),
        fill_mode="nearest",
        random_state=3,
        n_jobs=2,
    )
    cloned = clone(aug)
    assert cloned.get_params() == aug.get_params()
    restored = pickle.loads(pickle.dumps(aug.fit(X28)))
    np.testing.assert_array_equal(restored.fit_transform(X28), cloned.fit_transform(X28))


def test_sklearn_tags():
    tags = get_tags(Augmenter())
    assert tags.input_tags.two_d_array is False
    assert tags.input_tags.three_d_array is True
    assert tags.requires_fit is False
    assert tags.target_tags.required is False
    assert tags.transformer_tags.preserves_dtype == ["uint8"]


# ------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "param, value",
    [
        ("rotation_range", -5),
        ("rotation_range", "30"),
        ("zoom_range", -0.1),
        ("zoom_range", 1.0),
        ("zoom_range", (0.0, 1.2)),
        ("zoom_range", (1.2, 0.9)),
        ("zoom_range", (1.0,)),
        ("width_shift_range", -0.1),
        ("height_shift_range", 1.5),
        ("horizontal_flip", "yes"),
        ("brightness_range", (1.1, 0.9)),
        ("brightness_range", (0.0, 1.0)),
        ("brightness_range", 0.5),
        ("contrast_range", (-1, 1)),
        ("gamma_range", (0.0, 1.0)),
        ("gamma_range", (1.5, 0.5)),
        ("gamma_range", 1.2),
        ("gamma_range", (1.0, float("inf"))),
        ("gamma_range", ("0.8", "1.2")),
        ("gamma_range", (0.8, 1.0, 1.2)),
        ("fill_mode", "mirror"),
        ("cval", 300),
        ("n_jobs", 0),
    ],
)
def test_bad_params_raise_in_fit(param, value):
    X = np.zeros((2, 16, 16, 1), dtype=np.uint8)  # the parameters fail before X matters
    aug = Augmenter(**{param: value})  # __init__ never validates
    with pytest.raises(ValueError, match=param):
        aug.fit(X)
    with pytest.raises(ValueError, match=param):
        aug.augment(X, 0)


def test_bad_images_raise():
    with pytest.raises(ValueError, match="X"):
        Augmenter().fit(np.zeros((2, 8, 8, 2), dtype=np.uint8))
    with pytest.raises(ValueError, match="file paths"):
        Augmenter().augment(np.array(["a.png", "b.png"]), 0)


def test_parameters_changed_after_a_call_are_validated_again():
    X = np.zeros((2, 16, 16, 1), dtype=np.uint8)
    aug = Augmenter(brightness_range=[0.9, 1.1])
    aug.augment(X, 0)  # valid: the validated values are reused by later calls
    aug.set_params(rotation_range=-5)
    with pytest.raises(ValueError, match="rotation_range"):
        aug.augment(X, 0)
    aug.set_params(rotation_range=5)
    aug.augment(X, 0)
    aug.brightness_range[0] = 0.0  # an in-place change of a list parameter
    with pytest.raises(ValueError, match="brightness_range"):
        aug.augment(X, 0)
    aug.brightness_range = [0.9, 1.1]
    aug.horizontal_flip = 1  # equal to True, but not a bool
    with pytest.raises(ValueError, match="horizontal_flip"):
        aug.augment(X, 0)


def test_validated_parameters_are_not_saved():
    X = np.zeros((2, 16, 16, 1), dtype=np.uint8)
    aug = Augmenter(rotation_range=3).fit(X)
    restored = pickle.loads(pickle.dumps(aug))
    assert "_validated" not in vars(restored)
    restored.set_params(rotation_range=500)
    with pytest.raises(ValueError, match="rotation_range"):
        restored.augment(X, 0)
