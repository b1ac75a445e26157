"""
==============================================
One GridSearchCV across model families
==============================================

Model selection in xraynet is plain scikit-learn. Put an
:class:`~xraynet.io.ImageLoader` first in a :class:`~sklearn.pipeline.Pipeline` so the
pipeline takes **file paths**, make the model a pipeline step, and let each entry of a
:class:`~sklearn.model_selection.GridSearchCV` grid swap in a different family — here the seed
CNN against a HOG + SVM baseline — with its own hyper-parameters. ``Pipeline(memory=...)``
caches the decoded images, so each image is decoded once per fold rather than once per
candidate.

.. note::

   To keep the documentation build fast this example searches on **160 images of the Kermany
   training folder at 64×64, with 3 folds and 2 epochs** for the CNN. A real search uses the
   whole folder (5,216 images), 150×150 images (the seed's size; add ``load__size`` to the
   grid to tune it), 5 folds and the CNN's 12 default epochs — best on a GPU, or on a Dask
   cluster (see :doc:`/user_guide/scaling`).
"""

# %%
# File paths, labels and patients
# -------------------------------
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from xraynet.datasets import load_image_folder

if "XRAYNET_DATA" not in os.environ:
    raise RuntimeError(
        "Set the XRAYNET_DATA environment variable to the folder holding "
        "kermany224/train/ to run this example."
    )
DATA = Path(os.environ["XRAYNET_DATA"])

data = load_image_folder(DATA / "kermany224" / "train")

# 80 random images per class, for speed (see the note above).
rng = np.random.default_rng(0)
pick = np.sort(
    np.concatenate(
        [rng.choice(np.flatnonzero(data.target == k), 80, replace=False) for k in (0, 1)]
    )
)
paths, y, groups = data.filenames[pick], data.target[pick], data.groups[pick]
print(len(paths), "files of", len(np.unique(groups)), "patients;", paths[0])

# %%
# The pipeline and the grid
# -------------------------
# The ``model`` step is a placeholder that each grid entry replaces. Parameters of a step are
# addressed as ``<step>__<parameter>``: ``model__learning_rate`` for the CNN, and
# ``model__svm__estimator__C`` for the SVM inside the HOG pipeline of
# :func:`~xraynet.classical.make_hog_svm` (its steps are ``hog``, ``scale`` and ``svm``, a
# :class:`~sklearn.calibration.CalibratedClassifierCV` around an :class:`~sklearn.svm.SVC`).
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from xraynet.classical import make_hog_svm
from xraynet.io import ImageLoader
from xraynet.models import CNNClassifier

cache_dir = tempfile.mkdtemp(prefix="xraynet-example-cache-")  # never the data folder
pipe = Pipeline(
    [("load", ImageLoader(size=64)), ("model", CNNClassifier())],
    memory=cache_dir,  # decode each image once, not once per candidate
)
grid = [
    {
        # 2 epochs instead of the default 12: cut down for the documentation build
        "model": [CNNClassifier(epochs=2, batch_size=16, random_state=0)],
        "model__learning_rate": [1e-3, 3e-4],
    },
    {
        "model": [make_hog_svm(random_state=0)],
        "model__svm__estimator__C": [1, 10],
    },
]

# %%
# Patient-grouped folds
# ---------------------
# :class:`~sklearn.model_selection.StratifiedGroupKFold` with the patient ids as ``groups``
# keeps every patient's films on one side of each split.
search = GridSearchCV(
    pipe,
    grid,
    scoring="roc_auc",
    cv=StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0),
    refit=True,
)
t0 = time.perf_counter()
search.fit(paths, y, groups=groups)
print(f"search took {time.perf_counter() - t0:.0f} s")

# %%
# Results
# -------
# ``cv_results_`` has one row per candidate; the model column shows which family it was.
results = pd.DataFrame(search.cv_results_)
results["family"] = [
    type(m).__name__ if not isinstance(m, Pipeline) else "HOG + SVM" for m in results["param_model"]
]
results["param_model__learning_rate"] = results["param_model__learning_rate"].map(
    lambda v: "" if pd.isna(v) else f"{v:g}"
)
results["param_model__svm__estimator__C"] = results["param_model__svm__estimator__C"].map(
    lambda v: "" if pd.isna(v) else f"{v:g}"
)
columns = [
    "family",
    "param_model__learning_rate",
    "param_model__svm__estimator__C",
    "mean_test_score",
    "std_test_score",
    "mean_fit_time",
    "rank_test_score",
]
pd.set_option("display.width", 140)
print(results[columns].round(3).to_string(index=False))

# %%
# The best pipeline, refit on all 160 images, predicts straight from file paths.
best = search.best_estimator_
print(search.best_params_)
print(best.predict_proba(data.filenames[:3]).round(3))

# %%
# The cache in ``cache_dir`` is only worth keeping between runs of the same search; remove it.
shutil.rmtree(cache_dir, ignore_errors=True)
