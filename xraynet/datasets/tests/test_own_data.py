"""Folders as they arrive from a hospital: nested PACS trees, extensionless DICOMs (issue 16)."""

import shutil

import numpy as np
import pytest

from xraynet.datasets import load_image_folder


@pytest.fixture(scope="module")
def jpegs(kermany_dir):
    """A few real Kermany JPEGs: (normal, pneumonia) lists of paths."""
    normal = sorted((kermany_dir / "NORMAL").glob("*.jpeg"))[:3]
    sick = sorted((kermany_dir / "PNEUMONIA").glob("*.jpeg"))[:3]
    return normal, sick


@pytest.fixture(scope="module")
def real_dicom(formats_dir):
    path = formats_dir / "Fake_MONOHR1.dcm"
    if not path.is_file():
        pytest.skip(f"needs {path} (a real DICOM of the shared formats folder)")
    return path


def _copy(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def test_nested_class_folders_are_read_recursively(tmp_path, jpegs):
    normal, sick = jpegs
    _copy(normal[0], tmp_path / "NORMAL" / "top.jpeg")
    _copy(normal[1], tmp_path / "NORMAL" / "p1" / "s1" / "a.jpeg")
    _copy(normal[2], tmp_path / "NORMAL" / "p1" / "s2" / "b.jpeg")
    _copy(sick[0], tmp_path / "PNEUMONIA" / "p2" / "c.jpeg")
    _copy(sick[1], tmp_path / "PNEUMONIA" / "p10" / "d.jpeg")
    # hidden files and folders are skipped at every level, silently
    _copy(sick[2], tmp_path / "PNEUMONIA" / ".hidden" / "e.jpeg")
    _copy(sick[2], tmp_path / "PNEUMONIA" / "p2" / ".f.jpeg")
    (tmp_path / "PNEUMONIA" / "p2" / "Thumbs.db").write_bytes(b"x")

    data = load_image_folder(tmp_path)
    rel = [str(f)[len(str(tmp_path)) + 1 :].replace("\\", "/") for f in data.filenames]
    assert rel == [
        "NORMAL/p1/s1/a.jpeg",
        "NORMAL/p1/s2/b.jpeg",
        "NORMAL/top.jpeg",
        "PNEUMONIA/p10/d.jpeg",
        "PNEUMONIA/p2/c.jpeg",
    ]
    assert data.target.tolist() == [0, 0, 0, 1, 1]
    assert data.target_names.tolist() == ["NORMAL", "PNEUMONIA"]
    assert load_image_folder(tmp_path).filenames.tolist() == data.filenames.tolist()


def test_class_folder_with_only_sub_folders_of_images(tmp_path, jpegs):
    normal, sick = jpegs
    _copy(normal[0], tmp_path / "normal" / "patient1" / "x.jpeg")
    _copy(sick[0], tmp_path / "covid" / "patient2" / "y.jpeg")
    data = load_image_folder(tmp_path)
    assert data.target_names.tolist() == ["normal", "covid"]
    assert np.bincount(data.target).tolist() == [1, 1]


def test_nested_non_images_warned_and_empty_tree_is_an_error(tmp_path, jpegs):
    normal, sick = jpegs
    _copy(normal[0], tmp_path / "NORMAL" / "a.jpeg")
    _copy(sick[0], tmp_path / "PNEUMONIA" / "p" / "b.jpeg")
    (tmp_path / "PNEUMONIA" / "p" / "notes.txt").write_text("report")
    with pytest.warns(UserWarning, match="notes.txt"):
        assert len(load_image_folder(tmp_path).filenames) == 2
    shutil.rmtree(tmp_path / "NORMAL")
    (tmp_path / "NORMAL" / "p" / "s").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"NORMAL.*holds no image files"):
        load_image_folder(tmp_path)


def test_extensionless_dicoms_are_found_by_their_magic(tmp_path, jpegs, real_dicom):
    from xraynet.io import read_image

    normal, _ = jpegs
    _copy(normal[0], tmp_path / "NORMAL" / "a.jpeg")
    uid = "1.2.840.113619.2.55.3.604688119.971"  # PACS names files by UID: ".971" is no extension
    _copy(real_dicom, tmp_path / "PNEUMONIA" / "P1" / "ST1" / uid)
    _copy(real_dicom, tmp_path / "PNEUMONIA" / "P1" / "ST1" / "IM0001")
    (tmp_path / "PNEUMONIA" / "P1" / "DICOMDIR.txt").write_bytes(b"\0" * 200)  # not DICOM
    with pytest.warns(UserWarning, match="DICOMDIR.txt"):
        data = load_image_folder(tmp_path)
    assert [f.rsplit("/", 1)[-1] for f in data.filenames.tolist()] == ["a.jpeg", uid, "IM0001"]
    assert data.target.tolist() == [0, 1, 1]
    assert read_image(data.filenames[2]).ndim >= 2
    # no DICOM extension asked for: the magic is not looked at
    with pytest.raises(ValueError, match="PNEUMONIA.*holds no image files"):
        load_image_folder(tmp_path, extensions=["jpeg"])


def test_dataset_root_with_nested_split_is_still_an_error(tmp_path, jpegs):
    normal, sick = jpegs
    _copy(normal[0], tmp_path / "chest_xray" / "train" / "NORMAL" / "a.jpeg")
    _copy(sick[0], tmp_path / "chest_xray" / "train" / "PNEUMONIA" / "b.jpeg")
    _copy(normal[1], tmp_path / "chest_xray" / "test" / "NORMAL" / "c.jpeg")
    with pytest.raises(ValueError, match=r"test' holds sub-folders 'NORMAL' that look like"):
        load_image_folder(tmp_path / "chest_xray")


# --------------------------------------------------------------------- patient ids from a pattern
@pytest.fixture(scope="module")
def nih_pngs(formats_dir):
    paths = [formats_dir / "00000001_000.png", formats_dir / "00027426_000.png"]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"needs the NIH ChestX-ray14 PNGs {missing} of the shared formats folder")
    return paths


def test_patient_id_from_pattern_groups_nih_names(tmp_path, nih_pngs, jpegs):
    from xraynet.datasets import patient_id, patient_id_from_pattern

    _copy(nih_pngs[0], tmp_path / "No Finding" / "00000001_000.png")
    _copy(nih_pngs[0], tmp_path / "No Finding" / "00000001_001.png")
    _copy(nih_pngs[1], tmp_path / "Pneumonia" / "00027426_000.png")
    # the default rule makes one patient per file for NIH names
    assert patient_id("00000001_000.png") == "00000001_000"
    nih = patient_id_from_pattern(r"^(\d+)_\d+\.png$")
    data = load_image_folder(tmp_path, group_fn=nih)
    assert data.groups.tolist() == ["00000001", "00000001", "00027426"]
    assert data.normal_class == "No Finding"

    import pickle

    assert pickle.loads(pickle.dumps(nih))("x/00000002_003.png") == "00000002"
    assert repr(nih) == "patient_id_from_pattern(r'^(\\d+)_\\d+\\.png$', full_path=False)"

    _copy(jpegs[0][0], tmp_path / "No Finding" / "IM-0115-0001.jpeg")
    with pytest.raises(ValueError, match=r"'IM-0115-0001.jpeg' does not match.*\^\(\\d\+\)_"):
        load_image_folder(tmp_path, group_fn=nih)


def test_patient_id_from_pattern_full_path():
    from xraynet.datasets import patient_id_from_pattern

    fn = patient_id_from_pattern(r"/([^/]+)/[^/]+/[^/]+$", full_path=True)
    assert fn("/data/PNEUMONIA/P0042/study1/1.2.3") == "P0042"
    with pytest.raises(ValueError, match="path 'x' does not match"):
        fn("x")


@pytest.mark.parametrize(
    "bad, err, msg",
    [
        (r"^\d+_", ValueError, "no capture group"),
        (r"^(\d+", ValueError, "not a valid regular expression"),
        (42, TypeError, "regular expression"),
    ],
)
def test_patient_id_from_pattern_bad_patterns(bad, err, msg):
    from xraynet.datasets import patient_id_from_pattern

    with pytest.raises(err, match=msg):
        patient_id_from_pattern(bad)


def test_load_image_table_group_fn(tmp_path, nih_pngs):
    import pandas as pd

    from xraynet.datasets import load_image_table, patient_id_from_pattern

    for name, src in [("00000001_000.png", 0), ("00000001_001.png", 0), ("00027426_000.png", 1)]:
        _copy(nih_pngs[src], tmp_path / "images" / name)
    table = pd.DataFrame(
        {
            "Image Index": ["00000001_000.png", "00000001_001.png", "00027426_000.png"],
            "Finding Labels": ["No Finding", "No Finding", "Pneumonia"],
            "Patient ID": [1, 1, 27426],
        }
    )
    nih = patient_id_from_pattern(r"^(\d+)_")
    data = load_image_table(
        table,
        path_column="Image Index",
        label_column="Finding Labels",
        image_dir=tmp_path / "images",
        group_fn=nih,
    )
    assert data.groups.tolist() == ["00000001", "00000001", "00027426"]
    with pytest.raises(ValueError, match="not both"):
        load_image_table(
            table,
            path_column="Image Index",
            label_column="Finding Labels",
            image_dir=tmp_path / "images",
            group_fn=nih,
            group_column="Patient ID",
        )
    with pytest.raises(TypeError, match="group_fn must be a callable"):
        load_image_table(
            table,
            path_column="Image Index",
            label_column="Finding Labels",
            image_dir=tmp_path / "images",
            group_fn="Patient ID",
        )


# --------------------------------------------------------------------- DICOM headers
def _dicom(src, dst, **tags):
    """Copy the real DICOM ``src`` to ``dst`` with header ``tags`` set (pydicom)."""
    import pydicom

    ds = pydicom.dcmread(src)
    for name, value in tags.items():
        setattr(ds, name, value)
    dst.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(dst)
    return dst


@pytest.mark.parametrize(
    "value, years",
    [
        ("045Y", 45.0),
        ("006M", 0.5),
        ("002W", 14 / 365.25),
        ("010D", 10 / 365.25),
        ("62", 62.0),
        ("", np.nan),
        (None, np.nan),
        ("unknown", np.nan),
    ],
)
def test_parse_dicom_age(value, years):
    from xraynet.datasets import parse_dicom_age

    assert parse_dicom_age(value) == pytest.approx(years, nan_ok=True)


def test_dicom_tree_groups_by_patient_id_and_has_metadata(tmp_path, real_dicom, jpegs):
    from sklearn.model_selection import GroupKFold

    from xraynet.metrics import subgroup_report

    spec = [  # class, patient folder, file, PatientID, view, sex, age
        ("PNEUMONIA", "A", "IM1", "PAT-A", "AP", "M", "045Y"),
        ("PNEUMONIA", "A", "IM2.dcm", "PAT-A", "PA", "M", "045Y"),
        ("PNEUMONIA", "B", "IM1", "PAT-B", "AP", "F", "006M"),
        ("NORMAL", "C", "IM1", "PAT-C", "PA", "F", "030Y"),
        ("NORMAL", "D", "IM1.dcm", "", "PA", "M", "062Y"),  # no PatientID: file-name rule
    ]
    for cls, patient, name, pid, view, sex, age in spec:
        _dicom(
            real_dicom,
            tmp_path / cls / patient / "study1" / name,
            PatientID=pid,
            ViewPosition=view,
            PatientSex=sex,
            PatientAge=age,
        )
    _copy(jpegs[0][0], tmp_path / "NORMAL" / "IM-0115-0001.jpeg")

    data = load_image_folder(tmp_path)
    names = [f.split(str(tmp_path), 1)[1] for f in data.filenames.tolist()]
    assert names == [
        "/NORMAL/C/study1/IM1",
        "/NORMAL/D/study1/IM1.dcm",
        "/NORMAL/IM-0115-0001.jpeg",
        "/PNEUMONIA/A/study1/IM1",
        "/PNEUMONIA/A/study1/IM2.dcm",
        "/PNEUMONIA/B/study1/IM1",
    ]
    assert data.groups.tolist() == [
        "PAT-C",
        "NORMAL/D/study1/IM1.dcm",  # no PatientID, no Kermany name: its own id, its path
        "IM-0115",
        "PAT-A",
        "PAT-A",
        "PAT-B",
    ]

    meta = data.metadata
    assert meta["filename"].tolist() == data.filenames.tolist()
    assert meta["ViewPosition"].fillna("-").tolist() == ["PA", "PA", "-", "AP", "PA", "AP"]
    assert meta["PatientSex"].fillna("-").tolist() == ["F", "M", "-", "M", "M", "F"]
    np.testing.assert_allclose(meta["PatientAge"], [30, 62, np.nan, 45, 45, 0.5])
    assert meta["PatientID"].fillna("-").tolist() == ["PAT-C", "-", "-", "PAT-A", "PAT-A", "PAT-B"]

    # the two images of PAT-A never straddle a fold
    for train, test in GroupKFold(n_splits=2).split(data.filenames, data.target, data.groups):
        assert not set(data.groups[train]) & set(data.groups[test])

    score = np.array([0.1, 0.3, 0.2, 0.9, 0.6, 0.4])
    table = subgroup_report(
        data.target, score, meta[["ViewPosition", "PatientSex"]], n_bootstraps=20, min_count=1
    )
    text = table.to_string()
    assert "ViewPosition" in text and "PatientSex" in text and "AP" in text and "(missing)" in text

    # a group_fn replaces the PatientID rule
    data = load_image_folder(tmp_path, group_fn=lambda f: "one")
    assert set(data.groups) == {"one"}
    # no DICOM: no metadata
    shutil.rmtree(tmp_path / "PNEUMONIA")
    _copy(jpegs[1][0], tmp_path / "PNEUMONIA" / "person1_virus_1.jpeg")
    shutil.rmtree(tmp_path / "NORMAL" / "C")
    shutil.rmtree(tmp_path / "NORMAL" / "D")
    assert load_image_folder(tmp_path).metadata is None


def test_load_image_table_dicom_patient_id_and_metadata(tmp_path, real_dicom):
    import pandas as pd

    from xraynet.datasets import load_image_table

    _dicom(
        real_dicom,
        tmp_path / "a",
        PatientID="P1",
        ViewPosition="AP",
        PatientSex="F",
        PatientAge="070Y",
    )
    _dicom(
        real_dicom,
        tmp_path / "b.dcm",
        PatientID="P1",
        ViewPosition="PA",
        PatientSex="F",
        PatientAge="070Y",
    )
    _dicom(
        real_dicom,
        tmp_path / "c.dcm",
        PatientID="P2",
        ViewPosition="PA",
        PatientSex="M",
        PatientAge="003M",
    )
    table = pd.DataFrame({"path": ["a", "b.dcm", "c.dcm"], "label": ["normal", "sick", "sick"]})
    data = load_image_table(table, path_column="path", label_column="label", image_dir=tmp_path)
    assert data.groups.tolist() == ["P1", "P1", "P2"]
    assert data.metadata["ViewPosition"].tolist() == ["AP", "PA", "PA"]
    np.testing.assert_allclose(data.metadata["PatientAge"], [70, 70, 0.25])


def test_same_stem_in_two_class_folders_is_two_patients(tmp_path, jpegs):
    """A file-name fallback id must not merge unrelated images across classes."""
    import pandas as pd
    from sklearn.model_selection import GroupKFold

    normal, sick = jpegs
    _copy(normal[0], tmp_path / "NORMAL" / "img1.jpeg")
    _copy(sick[0], tmp_path / "PNEUMONIA" / "img1.jpeg")
    _copy(normal[1], tmp_path / "NORMAL" / "site_a" / "img2.jpeg")
    _copy(normal[2], tmp_path / "NORMAL" / "site_b" / "img2.jpeg")
    # Kermany names keep their patient grouping, across sub-folders too
    _copy(sick[1], tmp_path / "PNEUMONIA" / "person1000_bacteria_2931.jpeg")
    _copy(sick[2], tmp_path / "PNEUMONIA" / "late" / "person1000_virus_1681.jpeg")

    data = load_image_folder(tmp_path)
    by_file = dict(zip((f.split(str(tmp_path), 1)[1] for f in data.filenames), data.groups))
    assert by_file == {
        "/NORMAL/img1.jpeg": "NORMAL/img1.jpeg",
        "/NORMAL/site_a/img2.jpeg": "NORMAL/site_a/img2.jpeg",
        "/NORMAL/site_b/img2.jpeg": "NORMAL/site_b/img2.jpeg",
        "/PNEUMONIA/img1.jpeg": "PNEUMONIA/img1.jpeg",
        "/PNEUMONIA/late/person1000_virus_1681.jpeg": "person1000",
        "/PNEUMONIA/person1000_bacteria_2931.jpeg": "person1000",
    }
    for g in np.unique(data.groups):  # no patient spans two classes
        assert len(set(data.target[data.groups == g])) == 1
    for train, test in GroupKFold(n_splits=2).split(data.filenames, data.target, data.groups):
        assert not set(data.groups[train]) & set(data.groups[test])
    assert "4 image(s): none found, one id per file (its path), so not grouped" in data.DESCR
    assert "2 image(s): from Kermany file names" in data.DESCR

    # the same for a table listing files of two folders under one name
    table = pd.DataFrame(
        {
            "path": ["NORMAL/img1.jpeg", "PNEUMONIA/img1.jpeg"],
            "label": ["NORMAL", "PNEUMONIA"],
        }
    )
    from xraynet.datasets import load_image_table

    rows = load_image_table(table, path_column="path", label_column="label", image_dir=tmp_path)
    assert rows.groups.tolist() == ["NORMAL/img1.jpeg", "PNEUMONIA/img1.jpeg"]
    assert "Patient ids (groups): none found, one id per file" in rows.DESCR


def test_descr_says_where_the_patient_ids_came_from(tmp_path, jpegs, real_dicom):
    from xraynet.datasets import load_image_table, patient_id_from_pattern

    normal, sick = jpegs
    for src in normal[:2]:
        _copy(src, tmp_path / "kermany" / "NORMAL" / src.name)
    for src in sick[:2]:
        _copy(src, tmp_path / "kermany" / "PNEUMONIA" / src.name)
    data = load_image_folder(tmp_path / "kermany")
    assert "Patient ids (groups): from Kermany file names" in data.DESCR

    _copy(normal[0], tmp_path / "nih" / "NORMAL" / "00000001_000.jpeg")
    _copy(sick[0], tmp_path / "nih" / "PNEUMONIA" / "00000002_000.jpeg")
    pattern = patient_id_from_pattern(r"^(\d+)_")
    data = load_image_folder(tmp_path / "nih", group_fn=pattern)
    assert "from the file-name pattern patient_id_from_pattern(r'^(\\d+)_'" in data.DESCR
    data = load_image_folder(tmp_path / "nih")
    assert "Patient ids (groups): none found, one id per file (its path)" in data.DESCR

    def by_site(filename):
        return "site"

    data = load_image_folder(tmp_path / "nih", group_fn=by_site)
    assert "from group_fn " in data.DESCR and "by_site" in data.DESCR

    for cls, pid in (("NORMAL", "PAT-1"), ("PNEUMONIA", "PAT-2")):
        _dicom(real_dicom, tmp_path / "dicom" / cls / "x.dcm", PatientID=pid)
    data = load_image_folder(tmp_path / "dicom")
    assert data.groups.tolist() == ["PAT-1", "PAT-2"]
    assert "Patient ids (groups): from the DICOM PatientID tag." in data.DESCR

    import pandas as pd

    frame = pd.DataFrame(
        {
            "path": ["NORMAL/00000001_000.jpeg", "PNEUMONIA/00000002_000.jpeg"],
            "label": ["NORMAL", "PNEUMONIA"],
            "patient": ["a", "b"],
        }
    )
    table = load_image_table(
        frame,
        path_column="path",
        label_column="label",
        group_column="patient",
        image_dir=tmp_path / "nih",
    )
    assert "from the column 'patient' of the table" in table.DESCR


def test_unreadable_sub_folder_is_an_error_not_fewer_images(tmp_path, jpegs, monkeypatch):
    # os.walk skips a folder it cannot open without a word: a class lost images silently.
    # Permissions do not bind root (these tests may run as root), so the operating system's
    # refusal is simulated at os.scandir for that one folder.
    import os

    for cls, files in zip(("NORMAL", "PNEUMONIA"), jpegs):
        _copy(files[0], tmp_path / cls / files[0].name)
    locked = tmp_path / "PNEUMONIA" / "locked"
    _copy(jpegs[1][1], locked / jpegs[1][1].name)
    assert len(load_image_folder(tmp_path).filenames) == 3
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(ValueError, match=r"(?s)cannot read .*locked.*Permission denied"):
        load_image_folder(tmp_path)
