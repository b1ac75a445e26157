import shutil
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from sklearn.model_selection import GroupKFold

from xraynet.datasets import load_image_folder, patient_id


def _png(path, value=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((8, 8), value, np.uint8))
    return path


def _tree(root, spec):
    """spec: {class_folder: [file names]} -> tiny PNGs (other extensions: text)."""
    for cls, names in spec.items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for name in names:
            if name.lower().endswith(".png"):
                _png(root / cls / name)
            else:
                (root / cls / name).write_text("not an image")
    return root


# --------------------------------------------------------------------- patient ids
@pytest.mark.parametrize(
    "name, expected",
    [
        ("person1000_bacteria_2931.jpeg", "person1000"),
        ("person1000_virus_1681.jpeg", "person1000"),
        ("person447_virus_921_1.jpeg", "person447"),
        ("IM-0115-0001.jpeg", "IM-0115"),
        ("IM-0429-0001-0002.jpeg", "IM-0429"),
        ("NORMAL2-IM-0588-0001.jpeg", "NORMAL2-IM-0588"),
        ("chest_xray/train/NORMAL/NORMAL2-IM-0588-0001.jpeg", "NORMAL2-IM-0588"),
        (Path("a") / "00000001_000.png", "00000001_000"),
        ("scan.dcm", "scan"),
    ],
)
def test_patient_id(name, expected):
    assert patient_id(name) == expected


# --------------------------------------------------------------------- real Kermany folder
def test_kermany_train_folder(kermany_dir):
    data = load_image_folder(kermany_dir)
    assert set(data) >= {"filenames", "target", "target_names", "groups", "DESCR"}
    assert len(data.filenames) == len(data.target) == len(data.groups) == 5216
    assert data.target_names.tolist() == ["NORMAL", "PNEUMONIA"]
    assert np.bincount(data.target).tolist() == [1341, 3875]
    assert data.target.dtype.kind == "i"
    assert all(Path(f).is_file() for f in data.filenames[::500])
    # deterministic order: class order, then file name
    assert data.filenames.tolist() == load_image_folder(kermany_dir).filenames.tolist()
    names = [Path(f).name for f in data.filenames]
    assert names[:1341] == sorted(names[:1341])
    groups = dict(zip(names, data.groups))
    assert groups["IM-0115-0001.jpeg"] == "IM-0115"
    assert groups["NORMAL2-IM-0588-0001.jpeg"] == "NORMAL2-IM-0588"
    assert groups["person1000_bacteria_2931.jpeg"] == "person1000"
    assert groups["person1000_virus_1681.jpeg"] == "person1000"
    # patients have several images: far fewer groups than images, none spanning classes
    n_groups = len(np.unique(data.groups))
    assert 1000 < n_groups < 4000
    for g in np.unique(data.groups[data.target == 0])[:50]:
        assert np.all(data.target[data.groups == g] == 0)
    # GroupKFold keeps each patient on one side
    tr, te = next(GroupKFold(n_splits=5).split(data.filenames, data.target, data.groups))
    assert not set(data.groups[tr]) & set(data.groups[te])
    assert "5216 images" in data.DESCR

    X, y = load_image_folder(kermany_dir, return_X_y=True)
    assert np.array_equal(X, data.filenames) and np.array_equal(y, data.target)


def test_kermany_subtypes(kermany_dir):
    data = load_image_folder(kermany_dir, subtype_from_filename=True)
    assert data.target_names.tolist() == ["NORMAL", "BACTERIA", "VIRUS"]
    counts = np.bincount(data.target, minlength=3)
    assert counts.sum() == 5216 and counts[0] == 1341
    assert counts.tolist() == [1341, 2530, 1345]
    bact = [Path(f).name for f in data.filenames[data.target == 1]]
    assert all("_bacteria_" in n for n in bact)


# --------------------------------------------------------------------- synthetic folders
def test_normal_name_recognised_and_sorted_diseases(tmp_path):
    _tree(tmp_path, {"tuberculosis": ["b.png"], "Healthy": ["a.png", "c.png"], "covid": ["x.png"]})
    data = load_image_folder(tmp_path)
    assert data.target_names.tolist() == ["Healthy", "covid", "tuberculosis"]
    assert data.target.tolist() == [0, 0, 1, 2]
    # non-Kermany names: one group per file, its path inside the folder
    assert data.groups.tolist() == [
        "Healthy/a.png",
        "Healthy/c.png",
        "covid/x.png",
        "tuberculosis/b.png",
    ]


@pytest.mark.parametrize("normal", ["No finding", "no_finding", "NEGATIVE", "normal"])
def test_normal_name_variants(tmp_path, normal):
    _tree(tmp_path, {"Atelectasis": ["1.png"], normal: ["2.png"]})
    assert load_image_folder(tmp_path).target_names.tolist() == [normal, "Atelectasis"]


def test_no_normal_class_sorted_and_explicit_orders(tmp_path):
    _tree(tmp_path, {"b_cls": ["1.png"], "a_cls": ["2.png"], "c_cls": ["3.png"]})
    # no recognisable normal class: an error, not "a_cls" silently taken as normal
    with pytest.raises(ValueError, match="normal_class="):
        load_image_folder(tmp_path)
    data = load_image_folder(tmp_path, normal_names=["c_cls"])
    assert data.target_names.tolist() == ["c_cls", "a_cls", "b_cls"]
    data = load_image_folder(tmp_path, classes=["b_cls", "a_cls"], normal_class="b_cls")
    assert data.target_names.tolist() == ["b_cls", "a_cls"]
    assert [Path(f).name for f in data.filenames] == ["1.png", "2.png"]
    with pytest.raises(ValueError, match="zzz"):
        load_image_folder(tmp_path, classes=["a_cls", "zzz"])


def test_two_normal_classes_is_ambiguous(tmp_path):
    _tree(tmp_path, {"normal": ["1.png"], "healthy": ["2.png"], "covid": ["3.png"]})
    with pytest.raises(
        ValueError,
        match=r"2 of .* look normal \('healthy', 'normal'\).*"
        "normal_class=",
    ):
        load_image_folder(tmp_path)


def test_hidden_files_ignored_non_images_warned(tmp_path):
    _tree(
        tmp_path,
        {
            "NORMAL": ["IM-0001-0001.png", ".DS_Store", "Thumbs.db", "._IM-0001-0001.png"],
            "PNEUMONIA": [
                "person1_virus_1.png",
                "notes.txt",
                "labels.csv",
                "person2_bacteria_2.PNG",
            ],
            ".ipynb_checkpoints": ["x.png"],
        },
    )
    (tmp_path / ".hidden_file").write_text("x")
    with pytest.warns(UserWarning, match=r"Skipped 2 non-image.*labels\.csv.*notes\.txt"):
        data = load_image_folder(tmp_path)
    assert data.target_names.tolist() == ["NORMAL", "PNEUMONIA"]
    assert [Path(f).name for f in data.filenames] == [
        "IM-0001-0001.png",
        "person1_virus_1.png",
        "person2_bacteria_2.PNG",
    ]
    # only hidden files: no warning at all
    shutil.rmtree(tmp_path / "PNEUMONIA")
    _tree(tmp_path, {"PNEUMONIA": ["person1_virus_1.png"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_image_folder(tmp_path)


def test_non_image_warning_lists_first_few_and_count(tmp_path):
    _tree(tmp_path, {"a": ["1.png"] + [f"n{i}.txt" for i in range(9)], "b": ["2.png"]})
    with pytest.warns(UserWarning, match=r"Skipped 9 .*and 4 more"):
        load_image_folder(tmp_path, normal_class="a")


def test_extensions_option(tmp_path):
    _tree(tmp_path, {"a": ["1.png", "2.jpg"], "b": ["3.png"]})
    (tmp_path / "a" / "2.jpg").unlink()
    assert cv2.imwrite(str(tmp_path / "a" / "2.jpg"), np.zeros((8, 8), np.uint8))
    with pytest.warns(UserWarning, match="2.jpg"):
        data = load_image_folder(tmp_path, extensions=["PNG"], normal_class="a")
    assert len(data.filenames) == 2


def test_empty_class_folder_error(tmp_path):
    _tree(tmp_path, {"NORMAL": ["1.png"], "PNEUMONIA": [".DS_Store"]})
    with pytest.raises(ValueError, match=r"PNEUMONIA.*holds no image"):
        load_image_folder(tmp_path)


def test_dataset_root_instead_of_split_folder(tmp_path):
    _tree(tmp_path / "chest_xray" / "train", {"NORMAL": ["1.png"], "PNEUMONIA": ["2.png"]})
    with pytest.raises(ValueError, match=r"sub-folders 'NORMAL', 'PNEUMONIA'"):
        load_image_folder(tmp_path / "chest_xray")


@pytest.mark.parametrize("kind", ["missing", "file", "no_subfolders"])
def test_bad_path_errors(tmp_path, kind):
    if kind == "missing":
        path, msg = tmp_path / "nope", "does not exist"
    elif kind == "file":
        path, msg = _png(tmp_path / "img.png"), "is a file"
    else:
        _png(tmp_path / "img.png")
        path, msg = tmp_path, "no class sub-folders"
    with pytest.raises(ValueError, match=msg) as exc:
        load_image_folder(path)
    assert str(path) in str(exc.value)


def test_group_fn(tmp_path):
    _tree(tmp_path, {"normal": ["p1_a.png", "p1_b.png"], "sick": ["p2_a.png"]})
    data = load_image_folder(tmp_path, group_fn=lambda f: Path(f).name.split("_")[0])
    assert data.groups.tolist() == ["p1", "p1", "p2"]


def test_subtype_errors(tmp_path):
    _tree(tmp_path, {"NORMAL": ["IM-1-1.png"], "PNEUMONIA": ["person1_virus_1.png", "x.png"]})
    with pytest.raises(ValueError, match=r"neither.*x\.png"):
        load_image_folder(tmp_path, subtype_from_filename=True)
    _tree(tmp_path / "other", {"a": ["person1_virus_1.png"], "b": ["person2_virus_2.png"]})
    with pytest.raises(ValueError, match="normal class"):
        load_image_folder(tmp_path / "other", subtype_from_filename=True)


def test_check_files_skips_unreadable(tmp_path, kermany_dir):
    normal = sorted((kermany_dir / "NORMAL").iterdir())[:3]
    sick = sorted((kermany_dir / "PNEUMONIA").iterdir())[:3]
    for folder, sources in (("NORMAL", normal), ("PNEUMONIA", sick)):
        (tmp_path / folder).mkdir()
        for src in sources:
            shutil.copy(src, tmp_path / folder / src.name)
    (tmp_path / "PNEUMONIA" / "person9_virus_9.jpeg").write_bytes(b"\xff\xd8 truncated")
    (tmp_path / "NORMAL" / "IM-9999-0001.png").write_bytes(b"")

    assert len(load_image_folder(tmp_path).filenames) == 8
    with pytest.warns(
        UserWarning, match=r"Skipped 2 unreadable.*IM-9999-0001\.png.*person9_virus_9"
    ):
        data = load_image_folder(tmp_path, check_files=True)
    assert len(data.filenames) == 6
    assert np.bincount(data.target).tolist() == [3, 3]
    assert data.skipped_files == [
        str(tmp_path / "NORMAL" / "IM-9999-0001.png"),
        str(tmp_path / "PNEUMONIA" / "person9_virus_9.jpeg"),
    ]

    (tmp_path / "lonely" / "bad").mkdir(parents=True)
    (tmp_path / "lonely" / "bad" / "x.png").write_bytes(b"junk")
    _tree(tmp_path / "lonely", {"NORMAL": ["ok.png"]})
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="No readable image.*bad"):
        load_image_folder(tmp_path / "lonely", check_files=True)


def test_skipped_files_lists_the_one_corrupt_file(tmp_path, kermany_dir):
    for folder in ("NORMAL", "PNEUMONIA"):
        (tmp_path / folder).mkdir()
        for src in sorted((kermany_dir / folder).iterdir())[:2]:
            shutil.copy(src, tmp_path / folder / src.name)
    corrupt = tmp_path / "PNEUMONIA" / "person9_bacteria_9.jpeg"
    real = sorted((kermany_dir / "PNEUMONIA").iterdir())[0]
    corrupt.write_bytes(real.read_bytes()[:40])  # a real JPEG, truncated

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no check: nothing decoded, nothing skipped
        plain = load_image_folder(tmp_path)
    assert plain.skipped_files == [] and len(plain.filenames) == 5
    with pytest.warns(UserWarning, match=r"Skipped 1 unreadable.*person9_bacteria_9"):
        data = load_image_folder(tmp_path, check_files=True)
    assert data.skipped_files == [str(corrupt)]
    assert str(corrupt) not in data.filenames.tolist() and len(data.filenames) == 4

    corrupt.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clean = load_image_folder(tmp_path, check_files=True)
    assert clean.skipped_files == [] and len(clean.filenames) == 4
