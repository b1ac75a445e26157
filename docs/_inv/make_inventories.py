"""Write small offline Sphinx inventories for the projects xraynet's docs link to.

The docs build must work without network (CI has none). ``conf.py`` lists the
projects' online ``objects.inv`` first and these files second, so a build with
network uses the real inventories and an offline build falls back to these.
Run ``python docs/_inv/make_inventories.py`` after adding a cross-reference to a
new external name.
"""

import zlib
from pathlib import Path

HERE = Path(__file__).parent

# project -> (base URL, [(name, role, relative uri)])
ENTRIES = {
    "sklearn": (
        "https://scikit-learn.org/stable/",
        [
            ("sklearn.pipeline.Pipeline", "class", "modules/generated/sklearn.pipeline.Pipeline.html#$"),
            ("sklearn.model_selection.GridSearchCV", "class", "modules/generated/sklearn.model_selection.GridSearchCV.html#$"),
            ("sklearn.model_selection.cross_val_score", "function", "modules/generated/sklearn.model_selection.cross_val_score.html#$"),
            ("sklearn.model_selection.cross_validate", "function", "modules/generated/sklearn.model_selection.cross_validate.html#$"),
            ("sklearn.model_selection.StratifiedGroupKFold", "class", "modules/generated/sklearn.model_selection.StratifiedGroupKFold.html#$"),
            ("sklearn.model_selection.TunedThresholdClassifierCV", "class", "modules/generated/sklearn.model_selection.TunedThresholdClassifierCV.html#$"),
            ("sklearn.model_selection.FixedThresholdClassifier", "class", "modules/generated/sklearn.model_selection.FixedThresholdClassifier.html#$"),
            ("sklearn.calibration.CalibratedClassifierCV", "class", "modules/generated/sklearn.calibration.CalibratedClassifierCV.html#$"),
            ("sklearn.svm.SVC", "class", "modules/generated/sklearn.svm.SVC.html#$"),
            ("sklearn.ensemble.RandomForestClassifier", "class", "modules/generated/sklearn.ensemble.RandomForestClassifier.html#$"),
            ("sklearn.preprocessing.StandardScaler", "class", "modules/generated/sklearn.preprocessing.StandardScaler.html#$"),
            ("sklearn.metrics.RocCurveDisplay", "class", "modules/generated/sklearn.metrics.RocCurveDisplay.html#$"),
            ("sklearn.metrics.make_scorer", "function", "modules/generated/sklearn.metrics.make_scorer.html#$"),
            ("sklearn.base.clone", "function", "modules/generated/sklearn.base.clone.html#$"),
            ("sklearn.utils.Bunch", "class", "modules/generated/sklearn.utils.Bunch.html#$"),
        ],
    ),
    "numpy": (
        "https://numpy.org/doc/stable/",
        [
            ("numpy.ndarray", "class", "reference/generated/numpy.ndarray.html#$"),
            ("numpy.random.Generator", "class", "reference/random/generator.html#$"),
        ],
    ),
    "pandas": (
        "https://pandas.pydata.org/docs/",
        [
            ("pandas.DataFrame", "class", "reference/api/pandas.DataFrame.html#$"),
            ("pandas.Series", "class", "reference/api/pandas.Series.html#$"),
        ],
    ),
    "keras": (
        "https://keras.io/",
        [
            ("keras.Model", "class", "api/models/model/#$"),
            ("keras.utils.PyDataset", "class", "api/utils/python_utils/#$"),
            ("keras.applications", "module", "api/applications/#$"),
        ],
    ),
}


def write(project, entries):
    lines = []
    for name, role, uri in entries:
        uri = uri.replace("$", name) if uri.endswith("#$") else uri
        lines.append(f"{name} py:{role} 1 {uri} -")
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n# Version: offline\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    body = zlib.compress(("\n".join(lines) + "\n").encode())
    (HERE / f"{project}.inv").write_bytes(header.encode() + body)


if __name__ == "__main__":
    for project, (_, entries) in ENTRIES.items():
        write(project, entries)
