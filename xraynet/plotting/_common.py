"""Helpers shared by the Displays: class names, fonts, figure grids, estimators."""

import numpy as np

# Re-exported for the Displays; they live in xraynet.utils because the report uses them too.
from xraynet.utils import class_name, final_estimator  # noqa: F401

TITLE_SIZE = 14
LABEL_SIZE = 12
TICK_SIZE = 11
SMALL_SIZE = 10

# colour-blind safe (Okabe-Ito)
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
CORRECT_COLOR = "#1a7f37"
WRONG_COLOR = "#c2181f"


def default_target_names(labels):
    """Names used when none are given: 0/1 -> normal/disease per xraynet convention."""
    labels = list(labels)
    if labels and set(labels) <= {0, 1}:
        return ["normal (0)", "disease (1)"]
    return None


def positive_scores(estimator, X, pos_index=1):
    """Scores of the positive class: predict_proba[:, 1] or decision_function."""
    if hasattr(estimator, "predict_proba"):
        proba = np.asarray(estimator.predict_proba(X))
        return proba[:, pos_index] if proba.ndim == 2 and proba.shape[1] > 1 else proba.ravel()
    if hasattr(estimator, "decision_function"):
        return np.asarray(estimator.decision_function(X)).ravel()
    raise ValueError(
        f"{type(estimator).__name__} has neither predict_proba nor decision_function; "
        "a ROC curve needs continuous scores."
    )


def new_figure(nrows, ncols, *, tile=2.0, extra_h=0.0, title_h=0.55, figure=None):
    """A figure holding an nrows x ncols grid of image tiles (axes array 2-D)."""
    import matplotlib.pyplot as plt

    if figure is None:
        figure = plt.figure(figsize=(max(ncols * tile, 4.0), nrows * (tile + title_h) + extra_h))
    axes = figure.subplots(nrows, ncols, squeeze=False)
    return figure, axes


def show_image(ax, image, cmap="gray"):
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        ax.imshow(img, cmap=cmap, vmin=0, vmax=255 if img.dtype == np.uint8 or img.max() > 1 else 1)
    else:
        ax.imshow(img)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
