"""Explanations for the Keras models: Grad-CAM heatmaps and their Display.

``import xraynet.explain`` is cheap; TensorFlow is imported when
:func:`gradcam` first runs.
"""

from ._display import GradCAMDisplay
from ._gradcam import gradcam

__all__ = ["GradCAMDisplay", "gradcam"]
