"""Figures for chest X-ray classification, in scikit-learn's Display style.

Every Display is built with ``from_*`` class methods, draws with
``plot(...)`` and keeps ``figure_`` and ``ax_`` (``axes_`` for grids).
Nothing calls ``matplotlib.pyplot.show``.
"""

from ._class_balance import ClassBalanceDisplay
from ._confusion import ConfusionMatrixDisplay
from ._gradcam import GradCAMDisplay
from ._history import TrainingHistoryDisplay
from ._images import ImageGridDisplay, PredictionGridDisplay
from ._roc import RocCurvesDisplay
from ._subgroup import SubgroupDisplay

__all__ = [
    "ClassBalanceDisplay",
    "ConfusionMatrixDisplay",
    "GradCAMDisplay",
    "ImageGridDisplay",
    "PredictionGridDisplay",
    "RocCurvesDisplay",
    "SubgroupDisplay",
    "TrainingHistoryDisplay",
]
