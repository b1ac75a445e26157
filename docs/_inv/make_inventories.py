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

# project -> (base URL, [(name, role, relative uri[, display name])]); "#$" ends an URI with
# "#<name>"; a role with a domain ("std:label") is written as is (for :ref: targets).
ENTRIES = {
    "sklearn": (
        "https://scikit-learn.org/stable/",
        [
            (
                "sklearn.pipeline.Pipeline",
                "class",
                "modules/generated/sklearn.pipeline.Pipeline.html#$",
            ),
            (
                "sklearn.model_selection.GridSearchCV",
                "class",
                "modules/generated/sklearn.model_selection.GridSearchCV.html#$",
            ),
            (
                "sklearn.model_selection.cross_val_score",
                "function",
                "modules/generated/sklearn.model_selection.cross_val_score.html#$",
            ),
            (
                "sklearn.model_selection.cross_validate",
                "function",
                "modules/generated/sklearn.model_selection.cross_validate.html#$",
            ),
            (
                "sklearn.model_selection.StratifiedGroupKFold",
                "class",
                "modules/generated/sklearn.model_selection.StratifiedGroupKFold.html#$",
            ),
            (
                "sklearn.model_selection.TunedThresholdClassifierCV",
                "class",
                "modules/generated/sklearn.model_selection.TunedThresholdClassifierCV.html#$",
            ),
            (
                "sklearn.model_selection.FixedThresholdClassifier",
                "class",
                "modules/generated/sklearn.model_selection.FixedThresholdClassifier.html#$",
            ),
            (
                "sklearn.calibration.CalibratedClassifierCV",
                "class",
                "modules/generated/sklearn.calibration.CalibratedClassifierCV.html#$",
            ),
            ("sklearn.svm.SVC", "class", "modules/generated/sklearn.svm.SVC.html#$"),
            (
                "sklearn.ensemble.RandomForestClassifier",
                "class",
                "modules/generated/sklearn.ensemble.RandomForestClassifier.html#$",
            ),
            (
                "sklearn.preprocessing.StandardScaler",
                "class",
                "modules/generated/sklearn.preprocessing.StandardScaler.html#$",
            ),
            (
                "sklearn.metrics.RocCurveDisplay",
                "class",
                "modules/generated/sklearn.metrics.RocCurveDisplay.html#$",
            ),
            (
                "sklearn.metrics.make_scorer",
                "function",
                "modules/generated/sklearn.metrics.make_scorer.html#$",
            ),
            ("sklearn.base.clone", "function", "modules/generated/sklearn.base.clone.html#$"),
            ("sklearn.utils.Bunch", "class", "modules/generated/sklearn.utils.Bunch.html#$"),
            (
                "sklearn.model_selection.GroupKFold",
                "class",
                "modules/generated/sklearn.model_selection.GroupKFold.html#$",
            ),
            (
                "sklearn.metrics.recall_score",
                "function",
                "modules/generated/sklearn.metrics.recall_score.html#$",
            ),
            (
                "sklearn.metrics.roc_auc_score",
                "function",
                "modules/generated/sklearn.metrics.roc_auc_score.html#$",
            ),
            (
                "sklearn.metrics.get_scorer",
                "function",
                "modules/generated/sklearn.metrics.get_scorer.html#$",
            ),
            (
                "sklearn.metrics.ConfusionMatrixDisplay",
                "class",
                "modules/generated/sklearn.metrics.ConfusionMatrixDisplay.html#$",
            ),
            (
                "sklearn.metrics.ConfusionMatrixDisplay.plot",
                "method",
                "modules/generated/sklearn.metrics.ConfusionMatrixDisplay.html#$",
            ),
            (
                "sklearn.metrics.ConfusionMatrixDisplay.from_predictions",
                "method",
                "modules/generated/sklearn.metrics.ConfusionMatrixDisplay.html#$",
            ),
            (
                "sklearn.metrics.ConfusionMatrixDisplay.from_estimator",
                "method",
                "modules/generated/sklearn.metrics.ConfusionMatrixDisplay.html#$",
            ),
            (
                "sklearn.exceptions.UndefinedMetricWarning",
                "class",
                "modules/generated/sklearn.exceptions.UndefinedMetricWarning.html#$",
            ),
            (
                "sklearn.exceptions.NotFittedError",
                "class",
                "modules/generated/sklearn.exceptions.NotFittedError.html#$",
            ),
            (
                "sklearn.frozen.FrozenEstimator",
                "class",
                "modules/generated/sklearn.frozen.FrozenEstimator.html#$",
            ),
            (
                "accuracy_score",
                "std:label",
                "modules/model_evaluation.html#accuracy-score",
                "Accuracy score",
            ),
        ],
    ),
    "numpy": (
        "https://numpy.org/doc/stable/",
        [
            ("numpy.ndarray", "class", "reference/generated/numpy.ndarray.html#$"),
            ("numpy.random.Generator", "class", "reference/random/generator.html#$"),
            ("numpy.random.default_rng", "function", "reference/random/generator.html#$"),
        ],
    ),
    "pandas": (
        "https://pandas.pydata.org/docs/",
        [
            ("pandas.DataFrame", "class", "reference/api/pandas.DataFrame.html#$"),
            ("pandas.Series", "class", "reference/api/pandas.Series.html#$"),
            ("pandas.DataFrame.query", "method", "reference/api/pandas.DataFrame.query.html#$"),
        ],
    ),
    "keras": (
        "https://keras.io/",
        [
            ("keras.Model", "class", "api/models/model/#$"),
            ("keras.utils.PyDataset", "class", "api/utils/python_utils/#$"),
            ("keras.applications", "module", "api/applications/#$"),
            (
                "keras.backend.clear_session",
                "function",
                "api/utils/config_utils/#clearsession-function",
            ),
        ],
    ),
    "joblib": (
        "https://joblib.readthedocs.io/en/stable/",
        [
            ("joblib.parallel_config", "class", "generated/joblib.parallel_config.html#$"),
            ("joblib.parallel_config", "function", "generated/joblib.parallel_config.html#$"),
            ("joblib.parallel_backend", "class", "generated/joblib.parallel_backend.html#$"),
            ("joblib.Memory", "class", "generated/joblib.Memory.html#$"),
        ],
    ),
    "python": (
        "https://docs.python.org/3/",
        [
            ("pathlib.Path", "class", "library/pathlib.html#$"),
            ("os.PathLike", "class", "library/os.html#$"),
            ("os.cpu_count", "function", "library/os.html#$"),
            ("tempfile.mkdtemp", "function", "library/tempfile.html#$"),
            ("tempfile.TemporaryDirectory", "class", "library/tempfile.html#$"),
            ("collections.namedtuple", "function", "library/collections.html#$"),
            ("concurrent.futures.ThreadPoolExecutor", "class", "library/concurrent.futures.html#$"),
            ("pickle", "module", "library/pickle.html#module-pickle"),
            ("warnings.warn", "function", "library/warnings.html#$"),
        ],
    ),
    "distributed": (
        "https://distributed.dask.org/en/stable/",
        [
            ("distributed.Client", "class", "api.html#$"),
            ("distributed.LocalCluster", "class", "api.html#$"),
            ("distributed.Worker", "class", "worker.html#$"),
            ("distributed.WorkerPlugin", "class", "plugins.html#$"),
            ("distributed.diagnostics.plugin.WorkerPlugin", "class", "plugins.html#$"),
            ("dask.distributed.Client", "class", "api.html#distributed.Client"),
            ("dask.distributed.LocalCluster", "class", "api.html#distributed.LocalCluster"),
            ("distributed.Client.register_plugin", "method", "api.html#$"),
        ],
    ),
    "skimage": (
        "https://scikit-image.org/docs/stable/",
        [
            ("skimage.feature.hog", "function", "api/skimage.feature.html#$"),
        ],
    ),
}


def write(project, entries):
    lines = []
    for name, role, uri, *display in entries:
        uri = uri.replace("$", name) if uri.endswith("#$") else uri
        if ":" in role:  # e.g. a "std:label" for :ref:
            lines.append(f"{name} {role} -1 {uri} {display[0] if display else name}")
        else:
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
