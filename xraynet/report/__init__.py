"""Self-contained HTML reports of a model comparison and its winner."""

from ._evaluate import evaluate_model
from ._json import to_strict_json
from ._model_card import write_model_card
from ._provenance import provenance_record
from ._report import write_report

__all__ = [
    "evaluate_model",
    "provenance_record",
    "to_strict_json",
    "write_model_card",
    "write_report",
]
