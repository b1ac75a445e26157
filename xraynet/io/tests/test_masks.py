"""Lung masks: read_mask formats and ImageLoader(mask_mode=...) on real Kermany images."""

import json

import cv2
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from xraynet.io import ImageLoader, ImageLoadError, read_image, read_mask

# two "lungs" on a 224 x 224 image, and an "Ignore" square (e.g. a burnt-in label)
LEFT = np.array([[40, 40], [100, 35], [105, 190], [45, 185]])
RIGHT = np.array([[124, 35], [185, 40], [180, 185], [120, 190]])
IGNORE = np.array([[150, 150], [200, 150], [200, 200], [150, 200]])  # overlaps the right lung


def _lung_png(path, shape=(224, 224)):
    m = np.zeros((224, 224), np.uint8)
    cv2.fillPoly(m, [LEFT.astype(np.int32), RIGHT.astype(np.int32)], 255)
    if shape != (224, 224):
        m = cv2.resize(m, shape[::-1], interpolation=cv2.INTER_NEAREST)
    assert cv2.imwrite(str(path), m)
    return str(path)


@pytest.fixture(scope="module")
def images(kermany_dir):
    paths = sorted((kermany_dir / "NORMAL").glob("*.jpeg"))[:3]
    paths += sorted((kermany_dir / "PNEUMONIA").glob("*.jpeg"))[:3]
    assert all(read_image(p).shape == (224, 224, 1) for p in paths)
    return [str(p) for p in paths]


@pytest.fixture
def png_mask(tmp_path):
    return _lung_png(tmp_path / "lungs.png")


def _darwin(path, polygons):
    doc = {
        "image": {"width": 224, "height": 224, "filename": "x.jpeg"},
        "annotations": [
            {"name": name, "polygon": {"path": [{"x": float(x), "y": float(y)} for x, y in pts]}}
            for name, pts in polygons
        ],
    }
    path.write_text(json.dumps(doc))
    return str(path)


def _coco(path, polygons, file_names=("x.jpeg",)):
    cats = {"Lung": 1, "Ignore": 2}
    doc = {
        "images": [
            {"id": i + 1, "file_name": f, "width": 224, "height": 224}
            for i, f in enumerate(file_names)
        ],
        "categories": [{"id": v, "name": k} for k, v in cats.items()],
        "annotations": [
            {
                "id": k,
                "image_id": 1,
                "category_id": cats[name],
                "segmentation": [np.asarray(pts, float).ravel().tolist()],
            }
            for k, (name, pts) in enumerate(polygons)
        ],
    }
    path.write_text(json.dumps(doc))
    return str(path)


def test_read_mask_png_and_json_agree(tmp_path, png_mask):
    png = read_mask(png_mask)
    assert png.dtype == np.uint8 and png.shape == (224, 224) and set(np.unique(png)) == {0, 1}
    polys = [("Left lung", LEFT), ("Right lung", RIGHT)]
    darwin = read_mask(_darwin(tmp_path / "d.json", polys))
    coco = read_mask(_coco(tmp_path / "c.json", [("Lung", LEFT), ("Lung", RIGHT)]))
    np.testing.assert_array_equal(darwin, png)
    np.testing.assert_array_equal(coco, png)


def test_ignore_region_labelled_2(tmp_path):
    polys = [("Lung", LEFT), ("Lung", RIGHT), ("Ignore", IGNORE)]
    for m in (
        read_mask(_darwin(tmp_path / "d.json", polys)),
        read_mask(_coco(tmp_path / "c.json", polys)),
    ):
        assert m[175, 175] == 2 and m[100, 70] == 1 and m[10, 10] == 0
        assert (m == 2).sum() == 51 * 51


def test_darwin2_paths_and_coco_multi_image(tmp_path):
    doc = {
        "item": {"slots": [{"width": 224, "height": 224}]},
        "annotations": [
            {
                "name": "lung",
                "polygon": {
                    "paths": [
                        [{"x": float(x), "y": float(y)} for x, y in LEFT],
                        [{"x": float(x), "y": float(y)} for x, y in RIGHT],
                    ]
                },
            }
        ],
    }
    (tmp_path / "v2.json").write_text(json.dumps(doc))
    ref = read_mask(_lung_png(tmp_path / "ref.png"))
    np.testing.assert_array_equal(read_mask(tmp_path / "v2.json"), ref)
    multi = _coco(
        tmp_path / "m.json", [("Lung", LEFT), ("Lung", RIGHT)], file_names=("a.jpeg", "b.jpeg")
    )
    np.testing.assert_array_equal(read_mask(multi, image_path="/data/a.jpeg"), ref)
    with pytest.raises(ImageLoadError, match="none is named 'c.jpeg'"):
        read_mask(multi, image_path="c.jpeg")


def test_mask_resized_nearest_same_aspect(tmp_path):
    half = read_mask(_lung_png(tmp_path / "half.png", shape=(112, 112)), image_shape=(224, 224))
    assert half.shape == (224, 224) and set(np.unique(half)) == {0, 1}  # nearest: no blends
    full = read_mask(_lung_png(tmp_path / "full.png"))
    assert np.mean(half != full) < 0.01


def test_mask_errors(tmp_path, png_mask):
    with pytest.raises(ImageLoadError, match="file not found") as info:
        read_mask(tmp_path / "nope.png")
    assert info.value.path.endswith("nope.png")
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    with pytest.raises(ImageLoadError, match="not a readable image"):
        read_mask(tmp_path / "junk.png")
    cv2.imwrite(str(tmp_path / "empty.png"), np.zeros((224, 224), np.uint8))
    with pytest.raises(ImageLoadError, match="empty"):
        read_mask(tmp_path / "empty.png")
    wide = _lung_png(tmp_path / "wide.png", shape=(224, 100))
    with pytest.raises(ImageLoadError, match="aspect ratio"):
        read_mask(wide, image_shape=(224, 224))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ImageLoadError, match="cannot be parsed"):
        read_mask(tmp_path / "bad.json")
    (tmp_path / "noann.json").write_text('{"images": []}')
    with pytest.raises(ImageLoadError, match="'annotations'"):
        read_mask(tmp_path / "noann.json")
    only_ignore = _darwin(tmp_path / "ig.json", [("Ignore", IGNORE)])
    with pytest.raises(ImageLoadError, match="no lung pixel"):
        read_mask(only_ignore)


def test_loader_zero_and_crop_on_real_images(images, png_mask):
    X = pd.DataFrame({"path": images, "mask_path": [png_mask] * len(images)})
    full = ImageLoader(size=224).transform(images)
    zero = ImageLoader(size=224, mask_mode="zero").fit_transform(X)
    lung = read_mask(png_mask).astype(bool)
    assert zero.shape == (6, 224, 224, 1) and zero.dtype == np.uint8
    assert not zero[:, ~lung].any()  # nothing outside the lungs
    np.testing.assert_array_equal(zero[:, lung], full[:, lung])

    crop = ImageLoader(size=64, mask_mode="crop", mask_margin=0.0).transform(X)
    box = np.stack([read_image(p)[35:191, 40:186] for p in images])  # lung bounding box
    expected = ImageLoader(size=64).transform(box)
    np.testing.assert_array_equal(crop, expected)
    wider = ImageLoader(size=64, mask_mode="crop", mask_margin=0.1).transform(X.to_numpy())
    assert wider.shape == crop.shape and not np.array_equal(wider, crop)


def test_loader_json_ignore_zeroed_in_both_modes(images, tmp_path):
    js = _coco(tmp_path / "c.json", [("Lung", LEFT), ("Lung", RIGHT), ("Ignore", IGNORE)])
    X = np.array([[p, js] for p in images[:2]], dtype=object)
    zero = ImageLoader(size=224, mask_mode="zero").transform(X)
    assert not zero[:, 150:201, 150:201].any()
    crop = ImageLoader(size=(156, 146), mask_mode="crop", mask_margin=0.0).transform(X)
    # box rows 35..190, cols 40..185: the Ignore square sits at its lower right
    assert not crop[:, 150 - 35 : 156, 150 - 40 : 146].any()
    assert crop[:, : 150 - 35].std() > 10


def test_loader_mask_input_errors(images, png_mask, tmp_path):
    loader = ImageLoader(size=32, mask_mode="crop")
    with pytest.raises(ValueError, match="two columns"):
        loader.transform(images)
    with pytest.raises(ValueError, match="mask_mode"):
        ImageLoader(size=32).transform(pd.DataFrame({"a": images, "b": images}))
    with pytest.raises(ImageLoadError, match="no mask given") as info:
        loader.transform(pd.DataFrame({"p": images[:2], "m": [png_mask, None]}))
    assert info.value.path == images[1]
    with pytest.raises(ImageLoadError, match="missing.png"):
        loader.transform([[images[0], str(tmp_path / "missing.png")]])
    wide = _lung_png(tmp_path / "wide.png", shape=(224, 100))
    with pytest.raises(ImageLoadError, match="aspect ratio"):
        loader.transform([[images[0], wide]])
    for bad in ("lungs", 1):
        with pytest.raises(ValueError, match="mask_mode"):
            ImageLoader(mask_mode=bad).fit()
    with pytest.raises(ValueError, match="mask_margin"):
        ImageLoader(mask_mode="crop", mask_margin=2).fit()


def test_loader_masks_threads_pipeline_gridsearch(images, png_mask):
    X = pd.DataFrame({"path": images * 2, "mask_path": [png_mask] * 12})
    y = np.array([0, 0, 0, 1, 1, 1] * 2)
    seq = ImageLoader(size=32, mask_mode="crop").transform(X)
    par = ImageLoader(size=32, mask_mode="crop", n_jobs=2).transform(X)
    np.testing.assert_array_equal(seq, par)
    loader = ImageLoader(size=32, mask_mode="zero")
    assert clone(loader).get_params()["mask_mode"] == "zero"
    assert loader.__sklearn_tags__().input_tags.two_d_array
    pipe = make_pipeline(
        loader,
        FunctionTransformer(lambda A: A.reshape(len(A), -1) / 255.0),
        LogisticRegression(max_iter=200),
    )
    search = GridSearchCV(pipe, {"imageloader__mask_mode": ["crop", "zero"]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["imageloader__mask_mode"] in ("crop", "zero")
    assert search.predict(X).shape == (12,)
