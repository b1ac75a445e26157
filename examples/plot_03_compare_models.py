"""
===========================================
Comparing model families: a leaderboard
===========================================

"Train using the other networks and determine the best network model":
:class:`~xraynet.model_selection.ModelComparison` cross-validates several classifiers on the
**same folds**, scores every held-out fold as it is and under simulated acquisition shifts, and
keeps a leaderboard (a :class:`pandas.DataFrame`) with ROC AUC, accuracy, sensitivity,
specificity and balanced accuracy — clean and shifted — mean ± standard deviation over the
folds, plus fit and scoring times. The winner is the average of its fold models.

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
# name; ``epochs=`` overrides the number of epochs of the Keras networks. At 28 px the default
# set is the two networks trained from scratch and the two classical baselines (an SVM on HOG
# features and a random forest): the zoo's MobileNetV2, from scratch at this size, ranked last
# while taking 39 % of the main job's time, so it joins the default set from 64 px only
# (``names=`` asks for any zoo model).
from xraynet.model_selection import available_models, default_model_names, default_models

print(available_models(), default_model_names(28))
models = default_models(image_size=28, random_state=0, epochs=2)  # cut down for the docs

# %%
# The leaderboard
# ---------------
# Every model sees the same stratified folds (pass ``groups=`` with patient ids to keep each
# patient's images in one fold). The first ``scoring`` metric ranks the models; a model whose
# fit fails gets NaN scores and its error message in the ``error`` column while the others
# finish.
from xraynet.model_selection import ModelComparison

comparison = ModelComparison(models, cv=3, random_state=0, verbose=0).fit(X, y)
board = comparison.leaderboard_
pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 20)
print(
    board[
        [
            "roc_auc_mean",
            "roc_auc_sd",
            "accuracy_mean",
            "sensitivity_mean",
            "specificity_mean",
            "fit_time",
            "score_time",
            "error",
        ]
    ].round(3)
)

# %%
# A compact view: mean ± sd of the clinical metrics.
metrics = ["roc_auc", "sensitivity", "specificity", "balanced_accuracy"]
print(
    pd.DataFrame(
        {
            m: [f"{a:.3f} ± {s:.3f}" for a, s in zip(board[f"{m}_mean"], board[f"{m}_sd"])]
            for m in metrics
        },
        index=board.index,
    )
)
print("best:", comparison.best_name_, "ranked by", comparison.rank_by_)
print(f"its decision threshold: {comparison.threshold_:.3f} ({comparison.threshold_rule_})")

# %%
# Robust to acquisition shift?
# ----------------------------
# Every held-out fold was also scored under simulated acquisition shifts (darker, brighter,
# lower contrast, gamma, blur, noise, JPEG, lower resolution, rotation, collimation; severities
# 1-3). ``shifted_balanced_accuracy`` — the balanced accuracy at the threshold 0.5 averaged
# over all of them — ranks the models by default: clean cross-validation on one collection
# cannot see that a model calls slightly darker normal films pneumonia.
print(
    board[
        [
            "roc_auc_mean",
            "balanced_accuracy_mean",
            "shifted_balanced_accuracy_mean",
            "shifted_roc_auc_mean",
        ]
    ].round(3)
)

# %%
# The comparison is a classifier: it predicts with the winner — the average of its fold
# models, at the threshold above — and the stress test shows it on the test split.
from xraynet.robustness import StressTestDisplay

print("test accuracy of the winner:", round(comparison.score(X_test, y_test), 3))
StressTestDisplay.from_estimator(
    comparison, X_test, y_test, shifts=["darker", "low_contrast", "blur", "noise"]
)

# %%
# ROC curves of several models
# ----------------------------
# ``comparison.best_estimator_`` holds the winner; here we fit every model instead, to compare their whole ROC curves on
# held-out data: each is fitted on the training subset and scores the PneumoniaMNIST test
# split (never used above) with
# :class:`~xraynet.plotting.RocCurvesDisplay`. The markers show each model's operating point at
# the default threshold of 0.5.
from sklearn.base import clone

from xraynet.plotting import RocCurvesDisplay

fitted = {name: clone(model).fit(X, y) for name, model in models.items()}
RocCurvesDisplay.from_estimator(
    fitted,
    X_test,
    y_test,
    operating_threshold=0.5,
    title="ROC curves on the PneumoniaMNIST test split",
)
plt.show()

# %%
# With so few epochs and images the networks are far from their real performance; the
# classical baselines need no epochs at all, which is why they are worth keeping in every
# comparison.
