"""Figures for chest X-ray classification, in scikit-learn's Display style.

Every Display is built with ``from_*`` class methods, draws with
``plot(...)`` and keeps ``figure_`` and ``ax_`` (``axes_`` for grids).
Nothing calls ``matplotlib.pyplot.show``. ``GradCAMDisplay`` lives in
:mod:`xraynet.explain` beside :func:`xraynet.explain.gradcam`; it is reachable
here too, loaded on first access so that the two packages import one-way
(explain draws with this package's style, this package does not import explain).
"""

from ._class_balance import ClassBalanceDisplay
from ._confusion import ConfusionMatrixDisplay
from ._history import TrainingHistoryDisplay
from ._images import ImageGridDisplay, PredictionGridDisplay
from ._roc import RocCurvesDisplay
from ._subgroup import SubgroupDisplay

__all__ = [
    "ClassBalanceDisplay",
    "ConfusionMatrixDisplay",
    "ImageGridDisplay",
    "PredictionGridDisplay",
    "RocCurvesDisplay",
    "SubgroupDisplay",
    "TrainingHistoryDisplay",
]


def __getattr__(name):
    # xraynet.explain imports this package's drawing helpers; importing it here at
    # module level would close a cycle, so the re-export is resolved on access.
    if name == "GradCAMDisplay":
        from xraynet.explain import GradCAMDisplay

        return GradCAMDisplay
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
