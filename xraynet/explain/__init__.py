"""Explanations for the Keras models: Grad-CAM heatmaps.

``import xraynet.explain`` is cheap; TensorFlow is imported when
:func:`gradcam` first runs.
"""

from xraynet.plotting import GradCAMDisplay

from ._gradcam import gradcam

__all__ = ["GradCAMDisplay", "gradcam"]
