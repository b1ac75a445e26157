"""End to end: a metadata CSV with a view filter, a missing file and lung masks -> arrays."""

import json

import cv2
import numpy as np
import pandas as pd
import pytest

from xraynet.datasets import load_image_table
from xraynet.io import ImageLoader
from xraynet.metrics import subgroup_report

LUNGS = [
    np.array([[40, 40], [100, 35], [105, 190], [45, 185]], np.int32),
    np.array([[124, 35], [185, 40], [180, 185], [120, 190]], np.int32),
]


def test_table_to_masked_arrays(kermany_dir, tmp_path):
    normal = sorted((kermany_dir / "NORMAL").glob("*.jpeg"))[:3]
    sick = sorted((kermany_dir / "PNEUMONIA").glob("*.jpeg"))[:3]
    (tmp_path / "masks").mkdir()
    png = np.zeros((112, 112), np.uint8)  # half resolution: resized nearest to 224
    cv2.fillPoly(png, [p // 2 for p in LUNGS], 255)
    cv2.imwrite(str(tmp_path / "masks" / "lungs.png"), png)
    coco = {
        "images": [{"id": 1, "file_name": "any.jpeg", "width": 224, "height": 224}],
        "categories": [{"id": 1, "name": "Lung"}, {"id": 2, "name": "Ignore"}],
        "annotations": [
            {"image_id": 1, "category_id": 1, "segmentation": [p.ravel().tolist()]} for p in LUNGS
        ]
        + [
            {
                "image_id": 1,
                "category_id": 2,
                "segmentation": [[150, 150, 200, 150, 200, 200, 150, 200]],
            }
        ],
    }
    (tmp_path / "masks" / "lungs.json").write_text(json.dumps(coco))
    rows = [(str(p), "No Finding", "PA", f"n{i}", "masks/lungs.png") for i, p in enumerate(normal)]
    rows += [
        (str(p), "Pneumonia", "AP" if i else "PA", f"s{i}", "masks/lungs.json")
        for i, p in enumerate(sick)
    ]
    rows += [
        (str(sick[0]), "Pneumonia", "LATERAL", "s0", "masks/lungs.png"),  # filtered out
        (str(tmp_path / "gone.jpeg"), "No Finding", "PA", "n9", "masks/lungs.png"),
    ]
    csv = tmp_path / "meta.csv"
    pd.DataFrame(rows, columns=["file", "finding", "view", "patient", "mask"]).to_csv(
        csv, index=False
    )

    with pytest.warns(UserWarning, match="gone.jpeg"):
        data = load_image_table(
            csv,
            path_column="file",
            label_column="finding",
            group_column="patient",
            query="view != 'LATERAL'",
        )
    assert data.target.tolist() == [0, 0, 0, 1, 1, 1]
    assert "LATERAL" not in data.frame["view"].tolist() and len(data.frame) == 6

    X = pd.DataFrame(
        {"path": data.filenames, "mask": [str(tmp_path / m) for m in data.frame["mask"]]}
    )
    zero = ImageLoader(size=224, mask_mode="zero").fit_transform(X)
    crop = ImageLoader(size=64, mask_mode="crop").transform(X)
    assert zero.shape == (6, 224, 224, 1) and crop.shape == (6, 64, 64, 1)
    assert not zero[:, :30].any() and not zero[:, :, :35].any()  # outside the lungs
    assert not zero[3:, 150:201, 150:201].any()  # the JSON's Ignore square
    assert zero[:3, 160:180, 160:175].any()  # ... the PNG masks have no Ignore region
    assert crop.std(axis=(1, 2, 3)).min() > 10  # real lung content after cropping

    # and a per-view report on (toy) scores of those images
    report = subgroup_report(
        data.target,
        crop.mean(axis=(1, 2, 3)) / 255,
        data.frame[["view"]],
        n_bootstraps=50,
        min_count=2,
    )
    assert report.loc[("view", "AP"), "n"] == 2
    assert "single class" in report.loc[("view", "AP"), "note"]
