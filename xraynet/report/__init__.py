"""Self-contained HTML reports of a model comparison and its winner."""

from ._report import write_report

__all__ = ["write_report"]
