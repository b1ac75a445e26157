import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xraynet.datasets import load_image_table


@pytest.fixture
def images(kermany_dir, tmp_path):
    """Six real Kermany JPEGs copied under tmp_path/images, plus a corrupt one."""
    out = tmp_path / "images"
    out.mkdir()
    picked = (
        sorted((kermany_dir / "NORMAL").iterdir())[:3]
        + sorted((kermany_dir / "PNEUMONIA").iterdir())[:3]
    )
    for src in picked:
        shutil.copy(src, out / src.name)
    (out / "broken.jpeg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return out


def _table(images):
    names = sorted(p.name for p in images.iterdir() if p.name != "broken.jpeg")
    normal = [n for n in names if n.startswith(("IM-", "NORMAL"))]
    sick = [n for n in names if n.startswith("person")]
    rows = [(n, "No Finding", "PA", f"n{i}") for i, n in enumerate(normal)]
    rows += [(n, "Pneumonia", "PA", "p1") for n in sick]
    rows += [(sick[0], "Pneumonia", "LATERAL", "p1")]  # lateral view of a kept image
    rows += [("IM-9999-0001.jpeg", "No Finding", "PA", "n9")]  # missing file
    return pd.DataFrame(rows, columns=["Image Index", "Finding", "View", "Patient"])


def test_dataframe_query_groups_and_missing(images):
    table = _table(images)
    with pytest.warns(UserWarning, match=r"Dropped 1 row.*IM-9999-0001\.jpeg"):
        data = load_image_table(
            table,
            path_column="Image Index",
            label_column="Finding",
            group_column="Patient",
            image_dir=images,
            query="View == 'PA'",
            check_files=False,
        )
    assert data.target_names.tolist() == ["No Finding", "Pneumonia"]
    assert data.target.tolist() == [0, 0, 0, 1, 1, 1]
    assert data.groups.tolist() == ["n0", "n1", "n2", "p1", "p1", "p1"]
    assert all(Path(f).is_file() for f in data.filenames)
    assert list(data.frame.index) == [0, 1, 2, 3, 4, 5]  # lateral (6) and missing (7) gone
    assert (data.frame["View"] == "PA").all()
    assert "6 images" in data.DESCR and "View == 'PA'" in data.DESCR


def test_csv_relative_to_its_folder_and_label_map(images, tmp_path):
    table = _table(images)
    table["Image Index"] = "images/" + table["Image Index"]
    csv = tmp_path / "meta.csv"
    table.to_csv(csv, index=False)
    label_map = {"No Finding": "normal", "Pneumonia": "pneumonia"}
    with pytest.warns(UserWarning, match="Dropped 1 row"):
        X, y = load_image_table(
            csv,
            path_column="Image Index",
            label_column="Finding",
            label_map=label_map,
            query="View != 'LATERAL'",
            return_X_y=True,
            check_files=False,
        )
    assert len(X) == 6 and y.tolist() == [0, 0, 0, 1, 1, 1]
    # None drops a label's rows; the remaining classes are re-numbered
    # (only disease rows left: PNEUMONIA must not silently become the normal class 0)
    with pytest.raises(ValueError, match="normal_class="):
        load_image_table(
            csv,
            path_column="Image Index",
            label_column="Finding",
            label_map={"No Finding": None, "Pneumonia": "PNEUMONIA"},
            check_files=False,
        )
    with pytest.warns(UserWarning, match="No row has the normal class 'NORMAL'") as record:
        data = load_image_table(
            csv,
            path_column="Image Index",
            label_column="Finding",
            normal_class="NORMAL",
            label_map={"No Finding": None, "Pneumonia": "PNEUMONIA"},
            check_files=False,
        )
    assert len(record) == 1  # the missing file's row is dropped by label_map
    assert data.target_names.tolist() == ["NORMAL", "PNEUMONIA"] and len(data.target) == 4
    assert data.target.tolist() == [1, 1, 1, 1] and data.normal_class == "NORMAL"
    # patient ids from Kermany file names when no group column
    assert set(data.groups) <= {f"person{i}" for i in range(10000)}


def test_unknown_label_is_an_error(images):
    table = _table(images)
    table.loc[1, "Finding"] = "Effusion"
    with pytest.raises(ValueError, match=r"Unknown label.*'Effusion' \(1 rows\)"):
        load_image_table(
            table,
            path_column="Image Index",
            label_column="Finding",
            image_dir=images,
            label_map={"No Finding": "normal", "Pneumonia": "pneumonia"},
        )
    table.loc[2, "Finding"] = np.nan
    with pytest.raises(ValueError, match=r"'Finding'.*empty in 1 row.*index 2"):
        load_image_table(table, path_column="Image Index", label_column="Finding")


def test_check_files_reports_unreadable(images):
    table = _table(images).iloc[:7]
    table.loc[len(table)] = ["broken.jpeg", "Pneumonia", "PA", "p2"]
    with pytest.warns(UserWarning, match=r"Skipped 1 unreadable.*broken\.jpeg"):
        data = load_image_table(
            table,
            path_column="Image Index",
            label_column="Finding",
            image_dir=images,
            query="View == 'PA'",
        )
    assert len(data.filenames) == 6 and "broken.jpeg" not in data.frame["Image Index"].tolist()
    assert data.skipped_files == [str(images / "broken.jpeg")]
    table.loc[len(table)] = ["IM-9999-0001.jpeg", "No Finding", "PA", "n9"]  # missing: warned
    with pytest.warns(UserWarning, match="Dropped 1 row"):
        clean = load_image_table(
            table[table["Image Index"] != "broken.jpeg"],
            path_column="Image Index",
            label_column="Finding",
            image_dir=images,
        )
    assert clean.skipped_files == []


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"path_column": "file"}, r"path_column='file' is not a column.*'Image Index'"),
        ({"group_column": "pid"}, "group_column='pid'"),
        ({"query": "Nope == 1"}, "query 'Nope == 1' failed"),
        ({"query": "View == 'AP'"}, "No rows left"),
        ({"image_dir": "/nonexistent"}, "None of the 8 image file"),
    ],
)
def test_errors(images, kwargs, match):
    params = {"path_column": "Image Index", "label_column": "Finding", "image_dir": images}
    params.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=match):
            load_image_table(_table(images), check_files=False, **params)


def test_bad_source(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_image_table(tmp_path / "x.csv", path_column="a", label_column="b")
    with pytest.raises(TypeError, match="CSV path or a pandas DataFrame"):
        load_image_table([1, 2], path_column="a", label_column="b")
