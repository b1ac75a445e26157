"""
===========================================
Comparing model families: a leaderboard
===========================================

"Train using the other networks and determine the best network model": 
:func:`~xraynet.model_selection.compare_models` cross-validates several classifiers on the
**same folds** and returns a leaderboard (a :class:`pandas.DataFrame`) with ROC AUC,
accuracy, sensitivity, specificity and balanced accuracy, mean ± standard deviation over the
folds, plus fit and scoring times. The best model is refit on all the data.

.. note::

   To keep the documentation build fast this example compares four models on **600
   PneumoniaMNIST training images with 3-fold cross-validation and 2 training epochs** for
   the networks. The real run — ``xraynet compare --dataset pneumoniamnist`` or
   ``make compare`` — uses the whole ``train+val`` split and the zoo's own epochs
   (:func:`~xraynet.model_selection.default_models`: 10 for the seed CNN, 6 for the residual
   net), and evaluates the winner once on the test split.
"""

# %%
# Data
# ----
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from xraynet.datasets import fetch_pneumoniamnist

if "XRAYNET_DATA" not in os.environ:
    raise RuntimeError(
        "Set the XRAYNET_DATA environment variable to the folder holding "
        "pneumoniamnist.npz to run this example."
    )
DATA = Path(os.environ["XRAYNET_DATA"])

X, y = fetch_pneumoniamnist(split="train+val", data_home=DATA, download=False)
X_test, y_test = fetch_pneumoniamnist(split="test", data_home=DATA, download=False)
subset = np.sort(np.random.default_rng(0).choice(len(X), 600, replace=False))
X, y = X[subset], y[subset]
print(X.shape, np.bincount(y))

# %%
# The zoo
# -------
# :func:`~xraynet.model_selection.default_models` returns fresh, unfitted estimators keyed by
# name; ``epochs=`` overrides the number of epochs of the Keras networks. We keep the two
# networks trained from scratch and the two classical baselines (an SVM on HOG features and a
# random forest); the MobileNetV2 entry is left out for time.
from xraynet.model_selection import available_models, default_models

print(available_models())
zoo = default_models(image_size=28, random_state=0, epochs=2)  # cut down for the docs
models = {name: zoo[name] for name in ("seed_cnn", "resnet", "hog_svm", "random_forest")}

# %%
# The leaderboard
# ---------------
# Every model sees the same stratified folds (pass ``groups=`` with patient ids to keep each
# patient's images in one fold). The first ``scoring`` metric ranks the models; a model whose
# fit fails gets NaN scores and its error message in the ``error`` column while the others
# finish.
from xraynet.model_selection import compare_models

board = compare_models(X, y, models=models, cv=3, scoring="roc_auc", refit=False,
                       random_state=0, verbose=0)
pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 20)
print(board[["roc_auc_mean", "roc_auc_sd", "accuracy_mean", "sensitivity_mean",
             "specificity_mean", "fit_time", "score_time", "error"]].round(3))

# %%
# A compact view: mean ± sd of the clinical metrics.
metrics = ["roc_auc", "sensitivity", "specificity", "balanced_accuracy"]
print(pd.DataFrame({
    m: [f"{a:.3f} ± {s:.3f}" for a, s in zip(board[f"{m}_mean"], board[f"{m}_sd"])]
    for m in metrics
}, index=board.index))
print("best:", board.attrs["best_model_name_"])

# %%
# ROC curves of several models
# ----------------------------
# With ``refit=True`` (the default) ``board.attrs["best_model_"]`` holds the winner refit on
# all the images; here we fit every model instead, to compare their whole ROC curves on
# held-out data: each is fitted on the training subset and scores the PneumoniaMNIST test
# split (never used above) with
# :class:`~xraynet.plotting.RocCurvesDisplay`. The markers show each model's operating point at
# the default threshold of 0.5.
from sklearn.base import clone

from xraynet.plotting import RocCurvesDisplay

fitted = {name: clone(model).fit(X, y) for name, model in models.items()}
RocCurvesDisplay.from_estimators(
    fitted, X_test, y_test, operating_threshold=0.5,
    title="ROC curves on the PneumoniaMNIST test split",
)
plt.show()

# %%
# With so few epochs and images the networks are far from their real performance; the
# classical baselines need no epochs at all, which is why they are worth keeping in every
# comparison.
