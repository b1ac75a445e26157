"""Self-contained HTML reports of a model comparison and its winner."""

from ._model_card import write_model_card
from ._provenance import provenance_record
from ._report import write_report

__all__ = ["provenance_record", "write_model_card", "write_report"]
