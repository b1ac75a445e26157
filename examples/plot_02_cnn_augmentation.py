"""
=================================================
Training the seed CNN with augmentation
=================================================

:class:`~xraynet.models.CNNClassifier` is the convolutional network of the notebook xraynet
grew from, as a scikit-learn classifier. This example trains it on PneumoniaMNIST with random
rotations, zooms and shifts from :class:`~xraynet.augmentation.Augmenter` applied to every
training batch, and plots its training curves with
:class:`~xraynet.plotting.TrainingHistoryDisplay`.

.. note::

   To keep the documentation build fast this example trains for **3 epochs on 1,500 of the
   4,708 training images**. The real setting is the estimator's default of 12 epochs on the
   whole ``"train+val"`` split (or, better, with ``early_stopping=True``), which takes a few
   minutes on a CPU at 28×28.
"""

# %%
# Data
# ----
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from xraynet.datasets import fetch_pneumoniamnist

if "XRAYNET_DATA" not in os.environ:
    raise RuntimeError(
        "Set the XRAYNET_DATA environment variable to the folder holding "
        "pneumoniamnist.npz to run this example."
    )
DATA = Path(os.environ["XRAYNET_DATA"])

X_train, y_train = fetch_pneumoniamnist(split="train", data_home=DATA, download=False)
X_test, y_test = fetch_pneumoniamnist(split="test", data_home=DATA, download=False)

# A stratified subset of the training images, for speed (see the note above).
rng = np.random.default_rng(0)
subset = np.sort(rng.choice(len(X_train), 1500, replace=False))
X_train, y_train = X_train[subset], y_train[subset]
print(X_train.shape, np.bincount(y_train))

# %%
# The augmentation
# ----------------
# :class:`~xraynet.augmentation.Augmenter` takes the parameters of Keras'
# ``ImageDataGenerator`` and applies them as one affine warp per ``uint8`` image. Unlike the
# seed notebook it does **not** flip images left-right by default: a chest X-ray is not
# symmetric (the heart sits on the left), so a flipped film is an impossible image.
#
# Used as a transformer, ``fit_transform`` returns an augmented copy — here is what the
# network will see.
from xraynet.augmentation import Augmenter
from xraynet.plotting import ImageGridDisplay

augmenter = Augmenter(
    rotation_range=10,
    zoom_range=0.1,
    width_shift_range=0.05,
    height_shift_range=0.05,
    random_state=0,
)
originals = X_train[:6]
augmented = augmenter.fit_transform(originals)
ImageGridDisplay.from_images(
    np.concatenate([originals, augmented]),
    np.repeat([0, 1], 6),
    target_names=["original", "augmented"],
    n_per_class=6,
    random_state=None,
    title="The same six images before and after augmentation",
)
plt.show()

# %%
# Training
# --------
# Passed as ``augmentation=``, the augmenter transforms every training batch of every epoch
# afresh. The validation part (``validation_fraction=0.1`` of the training images, stratified,
# used by the learning-rate schedule) is never augmented, and neither is anything given to
# ``predict``. ``random_state`` makes the fit reproducible on a CPU.
from xraynet.models import CNNClassifier

cnn = CNNClassifier(
    epochs=3,  # the default is 12: cut down for the documentation build
    batch_size=16,
    augmentation=augmenter,
    random_state=0,
)
cnn.fit(X_train, y_train)
print(cnn.model_.count_params(), "parameters")

# %%
# It is a scikit-learn classifier: ``predict_proba`` gives one column per class, and every
# scikit-learn scorer works on it.
from sklearn.metrics import roc_auc_score

proba = cnn.predict_proba(X_test)[:, 1]
print(f"test accuracy {cnn.score(X_test, y_test):.3f}, ROC AUC {roc_auc_score(y_test, proba):.3f}")
print(
    f"share of pneumonia in the test split: {np.mean(y_test):.3f}, "
    f"predicted pneumonia: {np.mean(cnn.predict(X_test) == 1):.3f}"
)

# %%
# After so few epochs the network already *ranks* the images well (a high ROC AUC), but its
# probabilities are not yet calibrated: the batch-normalisation statistics used at prediction
# time lag behind the weights, so at the default threshold of 0.5 it may call (nearly) every
# image pneumonia, and its accuracy is then just the share of pneumonia. Training for the real
# number of epochs fixes this; choosing the threshold on validation data
# (:func:`~xraynet.metrics.threshold_for_sensitivity`, see the Grad-CAM and errors example)
# makes any model usable at the sensitivity you need.

# %%
# Training curves
# ---------------
# ``history_`` holds the per-epoch Keras metrics, including the learning rate;
# :class:`~xraynet.plotting.TrainingHistoryDisplay` draws accuracy and loss of the training
# and validation data, marking the epochs where ``ReduceLROnPlateau`` lowered the rate.
from xraynet.plotting import TrainingHistoryDisplay

print({name: np.round(values, 3).tolist() for name, values in cnn.history_.items()})
TrainingHistoryDisplay.from_estimator(cnn)
plt.show()

# %%
# The augmentation parameters are ordinary nested parameters, so a grid search can tune
# them (``{"augmentation__rotation_range": [5, 15]}``) like any other hyper-parameter.
print(sorted(k for k in cnn.get_params() if k.startswith("augmentation__")))
