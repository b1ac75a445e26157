"""ImageLoader: shapes, inputs, parallelism and scikit-learn integration."""

import pickle

import cv2
import numpy as np
import pandas as pd
import pytest
from joblib import Memory
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from xraynet.io import ImageLoader, ImageLoadError


def _flatten(X):
    return X.reshape(len(X), -1) / 255.0


@pytest.fixture(scope="module")
def kermany_paths(kermany_dir):
    normal = sorted((kermany_dir / "NORMAL").glob("*.jpeg"))[:6]
    pneumonia = sorted((kermany_dir / "PNEUMONIA").glob("*.jpeg"))[:6]
    return [p for pair in zip(normal, pneumonia) for p in pair], np.array([0, 1] * 6)


@pytest.fixture
def files(tmp_path):
    """Three small PNGs of different sizes and known constant grey values."""
    paths = []
    for i, (h, w) in enumerate([(40, 60), (90, 30), (50, 50)]):
        p = tmp_path / f"img{i}.png"
        cv2.imwrite(str(p), np.full((h, w), 50 * (i + 1), np.uint8))
        paths.append(str(p))
    return paths


def test_formats_dir_gives_uint8_batch(formats_dir):
    paths = sorted(formats_dir.iterdir())
    X = ImageLoader(size=150).fit_transform(paths)
    assert X.shape == (8, 150, 150, 1) and X.dtype == np.uint8
    X = ImageLoader(size=(100, 80), color="rgb").transform(paths)
    assert X.shape == (8, 100, 80, 3) and X.dtype == np.uint8
    assert X.std(axis=(1, 2, 3)).min() > 10  # real content, not blank


def test_order_preserved_and_values(files):
    X = ImageLoader(size=20).transform(files)
    np.testing.assert_array_equal(X[:, 10, 10, 0], [50, 100, 150])
    X = ImageLoader(size=20).transform(files[::-1])
    np.testing.assert_array_equal(X[:, 10, 10, 0], [150, 100, 50])


def test_n_jobs_identical_output(kermany_paths, formats_dir):
    paths = kermany_paths[0] + sorted(formats_dir.iterdir())
    seq = ImageLoader(size=64, n_jobs=1).transform(paths)
    par = ImageLoader(size=64, n_jobs=2).transform(paths)
    np.testing.assert_array_equal(seq, par)
    np.testing.assert_array_equal(seq, ImageLoader(size=64, n_jobs=-1).transform(paths))


def test_matches_reference_resize(kermany_paths):
    path = kermany_paths[0][0]
    full = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    ours = ImageLoader().transform([path])[0, ..., 0]
    # factor < 2: plain bilinear (the seed's resize), close to INTER_AREA
    np.testing.assert_array_equal(ours, cv2.resize(full, (150, 150)))
    area = cv2.resize(full, (150, 150), interpolation=cv2.INTER_AREA)
    assert np.abs(ours.astype(int) - area).mean() < 1
    # factor >= 2: 2x2 area halving first, still close to one-step INTER_AREA
    ours = ImageLoader(size=(50, 70)).transform([path])[0, ..., 0]
    area = cv2.resize(full, (70, 50), interpolation=cv2.INTER_AREA)
    assert np.abs(ours.astype(int) - area).mean() < 1.5
    up = cv2.resize(
        cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), (300, 300), interpolation=cv2.INTER_LINEAR
    )
    np.testing.assert_array_equal(ImageLoader(size=300).transform([path])[0, ..., 0], up)


@pytest.mark.parametrize(
    "wrap",
    [
        list,
        tuple,
        lambda p: np.array(p, dtype=object),
        lambda p: np.array([str(x) for x in p]),
        lambda p: np.array([str(x) for x in p])[:, None],
        lambda p: pd.Series(p, index=range(10, 10 + len(p))),
        lambda p: pd.DataFrame({"path": p}),
    ],
    ids=["list", "tuple", "object", "str_array", "column", "series", "dataframe"],
)
def test_path_containers(files, wrap):
    expected = ImageLoader(size=16).transform(files)
    np.testing.assert_array_equal(ImageLoader(size=16).transform(wrap(files)), expected)


def test_array_input(files):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (3, 40, 30, 3), dtype=np.uint8)
    out = ImageLoader(size=20).transform(X)
    assert out.shape == (3, 20, 20, 1) and out.dtype == np.uint8
    gray = cv2.cvtColor(X[0], cv2.COLOR_RGB2GRAY)
    np.testing.assert_array_equal(out[0], ImageLoader(size=20).transform(gray[None])[0])
    rgb = ImageLoader(size=(40, 30), color="rgb").transform(X)
    np.testing.assert_array_equal(rgb, X)  # already the right size: unchanged
    assert rgb is not X
    out = ImageLoader(size=8, color="rgb").transform(X[..., 0])  # (n, h, w): gray
    assert out.shape == (3, 8, 8, 3)
    out = ImageLoader(size=8).transform(X.astype(float) / 255)  # floats in [0, 1]
    assert out.dtype == np.uint8 and out.shape == (3, 8, 8, 1)
    ragged = [X[0], X[1, :20, :10], X[2, ..., 0]]
    assert ImageLoader(size=8).transform(ragged).shape == (3, 8, 8, 1)


def test_keep_aspect_letterbox(files):
    X = ImageLoader(size=30, keep_aspect=True).transform(files)
    # img0 is 40x60 (h x w): scaled to 20x30, centred with black bars above/below
    assert (X[0, :5, :, 0] == 0).all() and (X[0, 5:25, :, 0] == 50).all()
    assert (X[0, 25:, :, 0] == 0).all()
    # img1 is 90x30: scaled to 30x10, bars left/right
    assert (X[1, :, :10, 0] == 0).all() and (X[1, :, 10:20, 0] == 100).all()
    assert (X[2, ..., 0] == 150).all()  # square: no bars


def test_mixed_shrink_and_enlarge(files):
    X = ImageLoader(size=(120, 20)).transform(files)  # img0 40x60 grows in h, shrinks in w
    assert X.shape == (3, 120, 20, 1) and (X[0] == 50).all()


@pytest.mark.parametrize(
    "params, match",
    [
        ({"size": 0}, "size"),
        ({"size": (10, 10, 3)}, "size"),
        ({"size": 1.5}, "size"),
        ({"color": "bgr"}, "color"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"n_jobs": 1.5}, "n_jobs"),
        ({"max_pixels": -1}, "max_pixels"),
    ],
)
def test_invalid_params(files, params, match):
    loader = ImageLoader(**params)
    with pytest.raises(ValueError, match=match):
        loader.fit(files)
    with pytest.raises(ValueError, match=match):
        loader.transform(files)


def test_invalid_X(files, tmp_path):
    loader = ImageLoader(size=8)
    with pytest.raises(ValueError, match="single path"):
        loader.transform(files[0])
    with pytest.raises(ValueError, match="empty"):
        loader.transform([])
    with pytest.raises(ValueError, match=r"X\[1\]"):
        loader.transform([files[0], 3])
    with pytest.raises(ValueError, match="one column"):
        loader.transform(pd.DataFrame({"a": files, "b": files}))
    with pytest.raises(ValueError, match="X"):
        loader.transform(np.zeros((2, 5)))  # 2-D numbers are not images
    with pytest.raises(ValueError, match="X"):
        loader.transform(np.full((1, 4, 4), 300))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_bad_file_in_batch_names_it(files, tmp_path, n_jobs):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg at all")
    with pytest.raises(ImageLoadError) as info:
        ImageLoader(size=8, n_jobs=n_jobs).transform(files + [str(bad)] + files)
    assert info.value.path == str(bad) and "broken.jpg" in str(info.value)
    with pytest.raises(ImageLoadError, match="file not found"):
        ImageLoader(size=8, n_jobs=n_jobs).transform(files + [str(tmp_path / "gone.png")])


def test_verbose_progress_bar(files, capsys):
    X = ImageLoader(size=8, verbose=True).transform(files)
    assert X.shape == (3, 8, 8, 1)
    assert "3/3" in capsys.readouterr().err


def test_tags_and_stateless(files):
    loader = ImageLoader()
    tags = loader.__sklearn_tags__()
    assert tags.requires_fit is False and tags.input_tags.two_d_array is False
    assert tags.input_tags.string and tags.input_tags.one_d_array
    assert loader.fit(files) is loader and loader.fit() is loader
    assert vars(loader) == vars(ImageLoader())  # fit stores nothing


def test_clone_and_pickle(files):
    loader = ImageLoader(size=(12, 16), color="rgb", keep_aspect=True, n_jobs=2)
    cloned = clone(loader)
    assert cloned.get_params() == loader.get_params()
    restored = pickle.loads(pickle.dumps(loader.fit(files)))
    np.testing.assert_array_equal(restored.transform(files), loader.transform(files))
    assert "size=(12, 16)" in repr(loader)


def test_pipeline_on_real_files(kermany_paths):
    paths, y = kermany_paths
    pipe = make_pipeline(
        ImageLoader(size=32, n_jobs=2), FunctionTransformer(_flatten), LogisticRegression()
    )
    pipe.fit(paths, y)
    assert pipe.predict_proba(paths).shape == (12, 2)
    assert pipe.score(paths, y) > 0.5
    pipe2 = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_allclose(pipe2.predict_proba(paths), pipe.predict_proba(paths))


class _CountingLoader(ImageLoader):
    calls = 0

    def transform(self, X):
        type(self).calls += 1
        return super().transform(X)


def test_pipeline_memory_caching(files, tmp_path):
    y = np.array([0, 1, 0])
    memory = Memory(tmp_path / "cache", verbose=0)

    def make():
        return Pipeline(
            [
                ("load", _CountingLoader(size=16)),
                ("flat", FunctionTransformer(_flatten)),
                ("clf", LogisticRegression()),
            ],
            memory=memory,
        )

    _CountingLoader.calls = 0
    first = make().fit(files, y)
    assert _CountingLoader.calls == 1
    second = make().fit(files, y)
    assert _CountingLoader.calls == 1  # loaded from the cache, not re-read
    np.testing.assert_allclose(second.predict_proba(files), first.predict_proba(files))
    assert any((tmp_path / "cache").rglob("*.pkl"))
