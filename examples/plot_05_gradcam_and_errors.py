"""
=====================================================
Where is the network looking? Grad-CAM and errors
=====================================================

A good score is not enough for a medical image model: it must be right for the right reasons,
and its mistakes must be understood. This example trains the seed CNN on PneumoniaMNIST and

* reports the clinical metrics with bootstrap confidence intervals
  (:func:`~xraynet.metrics.classification_summary`) and the confusion matrix;
* chooses the decision threshold on validation data for a target sensitivity
  (:func:`~xraynet.metrics.threshold_for_sensitivity`);
* shows the most confident mistakes (:class:`~xraynet.plotting.PredictionGridDisplay`);
* draws Grad-CAM heatmaps (:func:`~xraynet.explain.gradcam`,
  :class:`~xraynet.explain.GradCAMDisplay`) — the regions that drove each prediction.

.. note::

   To keep the documentation build fast the network trains for **3 epochs on 2,000 of the
   4,708 training images**. The real setting is 12 epochs (the default) on the whole
   training split; at 28×28 the heatmaps are coarse — the Kermany images at 150×150 give
   sharper ones.
"""

# %%
# Data and model
# --------------
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from xraynet.datasets import fetch_pneumoniamnist
from xraynet.models import CNNClassifier

if "XRAYNET_DATA" not in os.environ:
    raise RuntimeError(
        "Set the XRAYNET_DATA environment variable to the folder holding "
        "pneumoniamnist.npz to run this example."
    )
DATA = Path(os.environ["XRAYNET_DATA"])

X_train, y_train = fetch_pneumoniamnist(split="train", data_home=DATA, download=False)
X_val, y_val = fetch_pneumoniamnist(split="val", data_home=DATA, download=False)
X_test, y_test = fetch_pneumoniamnist(split="test", data_home=DATA, download=False)
subset = np.sort(np.random.default_rng(0).choice(len(X_train), 2000, replace=False))
X_train, y_train = X_train[subset], y_train[subset]
target_names = ["normal", "pneumonia"]

cnn = CNNClassifier(epochs=3, random_state=0)  # 3 epochs instead of 12: for the docs build
cnn.fit(X_train, y_train)

# %%
# Clinical metrics with confidence intervals
# ------------------------------------------
# :func:`~xraynet.metrics.classification_summary` takes the disease probabilities and reports
# accuracy, balanced accuracy, sensitivity, specificity, PPV, NPV, F1 and ROC AUC with
# bootstrap 95 % intervals, plus the confusion-matrix counts, at the default threshold of 0.5.
from xraynet.metrics import classification_summary

proba_test = cnn.predict_proba(X_test)[:, 1]
summary = classification_summary(y_test, proba_test, target_names=target_names)
print(summary.round(3))

# %%
# After only three epochs the network *ranks* the images well (ROC AUC) but its
# probabilities are not calibrated yet, so the default threshold of 0.5 can be far from a
# useful operating point — which is what the next step is for.

# %%
# Choosing the operating threshold on validation data
# ---------------------------------------------------
# A screening tool needs a minimum sensitivity. ``threshold_for_sensitivity`` picks, on the
# **validation** split, the highest threshold whose sensitivity reaches the target, and
# reports the specificity it costs there. The test split is only used to check it.
from xraynet.metrics import threshold_for_sensitivity

point = threshold_for_sensitivity(y_val, cnn.predict_proba(X_val)[:, 1], target=0.95)
print(point)
at_point = classification_summary(
    y_test, proba_test, threshold=point.threshold, n_bootstraps=0, target_names=target_names
)
print(at_point.loc[["sensitivity", "specificity", "balanced_accuracy"], "value"].round(3))

# %%
# To deploy that threshold, wrap the model in scikit-learn's
# :class:`~sklearn.model_selection.FixedThresholdClassifier`;
# :class:`~sklearn.frozen.FrozenEstimator` stops it from training the network again.
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import FixedThresholdClassifier

deployed = FixedThresholdClassifier(
    FrozenEstimator(cnn), threshold=point.threshold, response_method="predict_proba"
).fit(X_val, y_val)  # fits nothing: the network is frozen
print(f"test accuracy at the chosen threshold: {deployed.score(X_test, y_test):.3f}")

# %%
# Confusion matrix
# ----------------
# The counts at the chosen threshold, with class names and row percentages.
from xraynet.plotting import ConfusionMatrixDisplay

ConfusionMatrixDisplay.from_predictions(
    y_test,
    (proba_test >= point.threshold).astype(int),
    target_names=target_names,
    title=f"Test split, threshold {point.threshold:.2f}",
)
plt.show()

# %%
# The most confident mistakes
# ---------------------------
# :class:`~xraynet.plotting.PredictionGridDisplay` shows the wrong predictions the model was
# most sure of first, then some correct ones, with the predicted class and its probability.
from xraynet.plotting import PredictionGridDisplay

PredictionGridDisplay.from_estimator(
    cnn, X_test, y_test, target_names=target_names, n_wrong=6, n_correct=6
)
plt.show()

# %%
# Grad-CAM
# --------
# :func:`~xraynet.explain.gradcam` returns one heatmap in [0, 1] per image, at image
# resolution, from the gradients of the predicted class at the last convolutional feature map
# large enough to be informative. A model that looks at text markers, the film's edge or the
# shoulders rather than the lungs shows it here.
from xraynet.explain import gradcam

wrong = np.flatnonzero(cnn.predict(X_test) != y_test)[:4]
right = np.flatnonzero(cnn.predict(X_test) == y_test)[:4]
examples = np.concatenate([right, wrong])
heatmaps = gradcam(cnn, X_test[examples])
print(heatmaps.shape, heatmaps.dtype, float(heatmaps.min()), float(heatmaps.max()))

# %%
# :class:`~xraynet.explain.GradCAMDisplay` overlays them on the images; with the true labels
# given, the captions of wrong predictions are coloured. (The bottom row was wrong at the
# default threshold of 0.5; most of those images are called normal at the threshold chosen
# above.)
from xraynet.explain import GradCAMDisplay

GradCAMDisplay.from_estimator(
    cnn, X_test[examples], y_test[examples], target_names=target_names, n_cols=4
)
plt.show()
