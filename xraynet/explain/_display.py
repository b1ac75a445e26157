"""Grad-CAM heatmaps overlaid on the X-rays.

The Display lives beside :func:`xraynet.explain.gradcam`, as scikit-learn keeps a
Display beside its computation; it borrows the figure style of the plotting package.
"""

import numpy as np

from xraynet.plotting._common import (
    CORRECT_COLOR,
    SMALL_SIZE,
    TITLE_SIZE,
    WRONG_COLOR,
    class_name,
    default_target_names,
    final_estimator,
    show_image,
)
from xraynet.plotting._images import _percent
from xraynet.utils import check_image_array

from ._gradcam import gradcam

__all__ = ["GradCAMDisplay"]


class GradCAMDisplay:
    """Each X-ray next to its Grad-CAM heatmap overlay.

    Red marks the regions that most increased the score of the explained
    class; blue/transparent regions did not contribute.

    Parameters
    ----------
    images : ndarray of shape (n, h, w, c), uint8
    heatmaps : ndarray of shape (n, h, w), values in [0, 1]
    titles : list of str or None, default=None
        One caption per image.
    title_colors : list of str or None, default=None
        Caption colours (green for correct, red for wrong predictions).

    Attributes
    ----------
    axes_, ax_ : ndarray of matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> from xraynet.explain import GradCAMDisplay  # doctest: +SKIP
    >>> GradCAMDisplay.from_estimator(cnn, X_test[:8], y_test[:8],
    ...                               ["NORMAL", "PNEUMONIA"])  # doctest: +SKIP
    """

    def __init__(self, images, heatmaps, titles=None, title_colors=None):
        self.images = images
        self.heatmaps = heatmaps
        self.titles = titles
        self.title_colors = title_colors

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        target_names=None,
        *,
        layer=None,
        class_index=None,
        n_cols=4,
        alpha=0.45,
        figure=None,
        title="Grad-CAM: where the network found its evidence",
    ):
        """Compute Grad-CAM with :func:`xraynet.explain.gradcam` and plot it.

        Parameters
        ----------
        estimator : fitted xraynet Keras estimator (or Pipeline ending in one)
        X : array-like of shape (n, h, w[, c])
            A few images (each is drawn).
        y : array-like of shape (n,) or None, default=None
            True labels; captions are then coloured correct / wrong.
        target_names : sequence of str or None, default=None
        layer, class_index
            Passed to :func:`xraynet.explain.gradcam` (default: explain the
            predicted class at the last convolutional feature map).
        n_cols : int, default=4
            Image pairs per row.
        alpha : float, default=0.45
            Opacity of the heatmap.
        figure : matplotlib Figure or None, default=None
        title : str

        Returns
        -------
        display : GradCAMDisplay
        """
        X = check_image_array(X, name="X")
        heatmaps = gradcam(estimator, X, layer=layer, class_index=class_index)
        proba = np.asarray(estimator.predict_proba(X))
        if proba.ndim == 1:
            proba = np.c_[1 - proba, proba]
        classes = np.asarray(
            getattr(final_estimator(estimator), "classes_", np.arange(proba.shape[1]))
        )
        if target_names is None:
            target_names = default_target_names(classes.tolist())
        pred = proba.argmax(axis=1)
        titles, colors = [], []
        explained = pred if class_index is None else np.broadcast_to(class_index, pred.shape)
        for i in range(X.shape[0]):
            p_name = class_name(classes[pred[i]], target_names)
            text = f"pred: {p_name} ({_percent(proba[i, pred[i]])})"
            color = "black"
            if y is not None:
                true = np.asarray(y).ravel()[i]
                text = f"true: {class_name(true, target_names)}\n" + text
                color = CORRECT_COLOR if true == classes[pred[i]] else WRONG_COLOR
            if class_index is not None:
                text += f"\nexplains: {class_name(classes[explained[i]], target_names)}"
            titles.append(text)
            colors.append(color)
        return cls(X, heatmaps, titles, colors).plot(
            n_cols=n_cols, alpha=alpha, figure=figure, title=title
        )

    @classmethod
    def from_heatmaps(
        cls, images, heatmaps, titles=None, *, n_cols=4, alpha=0.45, figure=None, title="Grad-CAM"
    ):
        """Plot precomputed heatmaps (e.g. from :func:`xraynet.explain.gradcam`).

        Parameters
        ----------
        images : array-like of shape (n_images, height, width[, channels])
            The images.
        heatmaps : array-like of shape (n_images, height, width)
            One heatmap in [0, 1] per image, at the image size.
        titles : sequence of str, default=None
            One caption per image.
        n_cols : int, default=4
            Image/overlay pairs per row.
        alpha : float, default=0.45
            Opacity of the heatmap over the image.
        figure : matplotlib Figure, default=None
            Figure to draw on; a new one when None.
        title : str, default="Grad-CAM"
            Figure title.

        Returns
        -------
        display : GradCAMDisplay
        """
        images = check_image_array(images, name="images")
        heatmaps = np.asarray(heatmaps, dtype=float)
        if heatmaps.shape != images.shape[:3]:
            raise ValueError(
                f"heatmaps must have shape {images.shape[:3]} (one per image, image size); "
                f"got {heatmaps.shape}."
            )
        return cls(images, heatmaps, titles).plot(
            n_cols=n_cols, alpha=alpha, figure=figure, title=title
        )

    def plot(
        self,
        *,
        n_cols=4,
        alpha=0.45,
        cmap="jet",
        figure=None,
        title="Grad-CAM: where the network found its evidence",
    ):
        """Draw each image and its overlay side by side, with a colour bar.

        Parameters
        ----------
        n_cols : int, default=4
            Image/overlay pairs per row.
        alpha : float, default=0.45
            Opacity of the heatmap over the image.
        cmap : str, default="jet"
            Colour map of the heatmap.
        figure : matplotlib Figure, default=None
            Figure to draw on; a new one when None.
        title : str, default="Grad-CAM: where the network found its evidence"
            Figure title.

        Returns
        -------
        self : GradCAMDisplay
        """
        import matplotlib.pyplot as plt

        n = len(self.images)
        n_cols = max(1, min(n_cols, n))
        n_rows = -(-n // n_cols)
        if figure is None:
            figure = plt.figure(figsize=(n_cols * 3.6 + 1.0, n_rows * 2.4 + 0.8))
        axes = figure.subplots(
            n_rows, 2 * n_cols, squeeze=False, gridspec_kw={"wspace": 0.05, "hspace": 0.35}
        )
        im = None
        for k in range(n_rows * n_cols):
            ax_img, ax_cam = (
                axes[k // n_cols, 2 * (k % n_cols)],
                axes[k // n_cols, 2 * (k % n_cols) + 1],
            )
            if k >= n:
                ax_img.axis("off")
                ax_cam.axis("off")
                continue
            show_image(ax_img, self.images[k])
            show_image(ax_cam, self.images[k])
            im = ax_cam.imshow(
                self.heatmaps[k], cmap=cmap, alpha=alpha, vmin=0, vmax=1, interpolation="bilinear"
            )
            ax_img.set_xlabel("X-ray", fontsize=SMALL_SIZE)
            ax_cam.set_xlabel("Grad-CAM", fontsize=SMALL_SIZE)
            if self.titles is not None:
                color = self.title_colors[k] if self.title_colors is not None else "black"
                ax_img.set_title(self.titles[k], fontsize=SMALL_SIZE, color=color, loc="left")
        if im is not None:
            cbar = figure.colorbar(im, ax=axes.ravel().tolist(), fraction=0.02, pad=0.02)
            cbar.set_label("relative importance", fontsize=SMALL_SIZE)
            cbar.set_ticks([0, 0.5, 1])
            cbar.set_ticklabels(["low", "", "high"])
        if title:
            figure.suptitle(title, fontsize=TITLE_SIZE)
        self.axes_ = self.ax_ = axes
        self.figure_ = figure
        return self
