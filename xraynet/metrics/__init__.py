"""Clinical metrics: sensitivity, specificity, bootstrap summaries, operating points.

:func:`subgroup_report` breaks AUC / sensitivity / specificity down by
subgroup (view, sex, age band, source) with bootstrap intervals.

The disease classes are the positive classes; the normal class is label 0
by xraynet convention, or for string labels ``normal_label=`` or the label
named like a normal class (``"normal"``, ``"No Finding"``,
``"healthy_controls"``...; never guessed: otherwise a ValueError). One
clinical definition, binary and multiclass (``average="clinical"``, the
``"sensitivity"`` / ``"specificity"`` scorers, :func:`make_clinical_scorer`,
:func:`clinical_scores`): sensitivity is the macro-averaged recall over the
disease classes, specificity the recall of the normal class.
"""

from ._classification import sensitivity_score, specificity_at_sensitivity, specificity_score
from ._clinical import clinical_scores
from ._scorers import (
    SCORERS,
    clinical_scoring,
    get_scorer,
    make_clinical_scorer,
    sensitivity_scorer,
    specificity_scorer,
)
from ._subgroup import subgroup_report
from ._summary import OperatingPoint, classification_summary, threshold_for_sensitivity

__all__ = [
    "SCORERS",
    "OperatingPoint",
    "classification_summary",
    "clinical_scores",
    "clinical_scoring",
    "get_scorer",
    "make_clinical_scorer",
    "sensitivity_score",
    "sensitivity_scorer",
    "specificity_at_sensitivity",
    "specificity_score",
    "specificity_scorer",
    "subgroup_report",
    "threshold_for_sensitivity",
]
