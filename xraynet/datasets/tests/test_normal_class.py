"""Which class is normal (target 0): recognised by name, or named by the user, never guessed."""

import warnings

import cv2
import numpy as np
import pandas as pd
import pytest

from xraynet.datasets import NORMAL_NAMES, is_normal_name, load_image_folder, load_image_table


def _tree(root, spec):
    """spec: {class folder: number of PNG images}; real 8x8 PNG files."""
    for cls, n in spec.items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            assert cv2.imwrite(
                str(root / cls / f"{cls}_{i}.png"), np.full((8, 8), 10 * i, np.uint8)
            )
    return root


@pytest.mark.parametrize(
    "name",
    [
        "normal",
        "NORMAL",
        "Healthy",
        "healthy_controls",
        "Healthy Controls",
        "control",
        "Controls",
        "negative",
        "No Finding",
        "no_finding",
        "no-findings",
        "Normal/Healthy",
    ],
)
def test_recognised_normal_names(name):
    assert is_normal_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "abnormal",
        "not_normal",
        "covid",
        "covid_negative",
        "normal2",
        "Pneumonia",
        "finding",
        "no",
        "",
        "nofinding",
        0,
    ],
)
def test_not_normal_names(name):
    assert not is_normal_name(name)


def test_normal_names_documented():
    assert {"normal", "healthy", "negative", "control", "controls", "no finding"} <= set(
        NORMAL_NAMES
    )


def test_healthy_controls_is_normal_not_the_alphabetically_first(tmp_path):
    _tree(tmp_path, {"covid": 2, "healthy_controls": 3})
    data = load_image_folder(tmp_path)
    assert data.target_names.tolist() == ["healthy_controls", "covid"]
    assert data.normal_class == "healthy_controls"
    assert data.target.tolist() == [0, 0, 0, 1, 1]
    assert all("healthy_controls" in f for f in data.filenames[data.target == 0])
    assert "healthy_controls (normal): 3 images" in data.DESCR


def test_no_normal_folder_is_an_error_naming_the_classes(tmp_path):
    _tree(tmp_path, {"covid": 1, "pneumonia": 1})
    with pytest.raises(ValueError, match=r"'covid', 'pneumonia'.*normal_class="):
        load_image_folder(tmp_path)
    with pytest.raises(ValueError, match="normal_class="):
        load_image_folder(tmp_path, return_X_y=True)
    with pytest.raises(ValueError, match="normal_class="):
        load_image_folder(tmp_path, subtype_from_filename=True)


def test_two_normal_folders_is_an_error(tmp_path):
    _tree(tmp_path, {"control": 1, "negative": 1, "covid": 1})
    with pytest.raises(ValueError, match=r"2 of .*'control', 'negative'.*normal_class="):
        load_image_folder(tmp_path)
    data = load_image_folder(tmp_path, normal_class="negative")
    assert data.target_names.tolist() == ["negative", "control", "covid"]


def test_normal_class_named_by_the_user(tmp_path):
    _tree(tmp_path, {"covid": 2, "pneumonia": 1, "ctrl": 1})
    data = load_image_folder(tmp_path, normal_class="ctrl")
    assert data.target_names.tolist() == ["ctrl", "covid", "pneumonia"]
    assert data.normal_class == "ctrl" and data.target.tolist() == [0, 1, 1, 2]
    # up to case and separators
    assert load_image_folder(tmp_path, normal_class="CTRL").normal_class == "ctrl"
    # the user's choice wins over the recognition rule
    _tree(tmp_path, {"normal": 1})
    assert load_image_folder(tmp_path, normal_class="ctrl").target_names.tolist() == [
        "ctrl",
        "covid",
        "normal",
        "pneumonia",
    ]
    with pytest.raises(ValueError, match=r"normal_class='healthy' is not one of"):
        load_image_folder(tmp_path, normal_class="healthy")
    with pytest.raises(TypeError, match="normal_class"):
        load_image_folder(tmp_path, normal_class=0)
    with pytest.raises(ValueError, match="not both"):
        load_image_folder(tmp_path, normal_class="ctrl", normal_names=["ctrl"])


def test_classes_must_put_the_normal_class_first(tmp_path):
    _tree(tmp_path, {"NORMAL": 2, "PNEUMONIA": 1})
    with pytest.raises(ValueError, match=r"normal class is 'NORMAL'.*put it first"):
        load_image_folder(tmp_path, classes=["PNEUMONIA", "NORMAL"])
    data = load_image_folder(tmp_path, classes=["NORMAL", "PNEUMONIA"])
    assert data.target.tolist() == [0, 0, 1] and data.normal_class == "NORMAL"
    # a disease-only selection: PNEUMONIA must not become target 0 (normal)
    with pytest.raises(ValueError, match="normal_class="):
        load_image_folder(tmp_path, classes=["PNEUMONIA"])
    with pytest.warns(UserWarning, match=r"normal_class='NORMAL' is not in classes"):
        data = load_image_folder(tmp_path, classes=["PNEUMONIA"], normal_class="NORMAL")
    assert data.target_names.tolist() == ["NORMAL", "PNEUMONIA"]
    assert data.target.tolist() == [1] and data.normal_class == "NORMAL"


def test_subtypes_with_a_named_normal_folder(tmp_path):
    (tmp_path / "kids_ok").mkdir()
    (tmp_path / "sick").mkdir()
    for folder, name in [
        ("kids_ok", "IM-0001-0001"),
        ("sick", "person1_virus_1"),
        ("sick", "person2_bacteria_3"),
    ]:
        assert cv2.imwrite(str(tmp_path / folder / f"{name}.png"), np.zeros((8, 8), np.uint8))
    data = load_image_folder(tmp_path, normal_class="kids_ok", subtype_from_filename=True)
    assert data.target_names.tolist() == ["NORMAL", "BACTERIA", "VIRUS"]
    assert data.target.tolist() == [0, 2, 1] and data.normal_class == "NORMAL"


def _images(tmp_path, n):
    paths = []
    for i in range(n):
        p = tmp_path / f"img{i}.png"
        assert cv2.imwrite(str(p), np.full((8, 8), i, np.uint8))
        paths.append(p.name)
    return paths


def test_table_string_labels_recognised_or_named(tmp_path):
    files = _images(tmp_path, 4)
    table = pd.DataFrame(
        {"file": files, "label": ["covid", "Healthy Controls", "covid", "Healthy Controls"]}
    )
    data = load_image_table(table, path_column="file", label_column="label", image_dir=tmp_path)
    assert data.target_names.tolist() == ["Healthy Controls", "covid"]
    assert data.target.tolist() == [1, 0, 1, 0] and data.normal_class == "Healthy Controls"

    table["label"] = ["covid", "pneumonia", "covid", "other"]
    with pytest.raises(ValueError, match=r"'covid', 'other', 'pneumonia'.*normal_class="):
        load_image_table(table, path_column="file", label_column="label", image_dir=tmp_path)
    data = load_image_table(
        table, path_column="file", label_column="label", image_dir=tmp_path, normal_class="other"
    )
    assert data.target_names.tolist() == ["other", "covid", "pneumonia"]
    assert data.target.tolist() == [1, 2, 1, 0]
    # label_map names the classes; normal_class refers to the mapped names
    data = load_image_table(
        table,
        path_column="file",
        label_column="label",
        image_dir=tmp_path,
        normal_class="ok",
        label_map={"covid": "sick", "pneumonia": "sick", "other": "ok"},
    )
    assert data.target_names.tolist() == ["ok", "sick"] and data.target.tolist() == [1, 1, 1, 0]


def test_table_two_normal_labels_is_an_error(tmp_path):
    files = _images(tmp_path, 3)
    table = pd.DataFrame({"file": files, "label": ["normal", "No Finding", "covid"]})
    with pytest.raises(ValueError, match=r"2 of .*look normal"):
        load_image_table(table, path_column="file", label_column="label", image_dir=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_image_table(
            table,
            path_column="file",
            label_column="label",
            image_dir=tmp_path,
            normal_names=["normal", "no finding"],
            label_map={"normal": "normal", "No Finding": "normal", "covid": "covid"},
        )
    assert data.target.tolist() == [0, 0, 1]
