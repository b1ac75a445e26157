"""The acquisition stress test: simulated shifts, graded severities, their Display.

:func:`stress_test` scores a fitted classifier under every shift of
:data:`SHIFTS` (:func:`apply_shift`, :func:`available_shifts`) at graded
severities; :func:`stress_summary` and :func:`robust_score` condense the table
and :class:`StressTestDisplay` plots it.
"""

from ._display import StressTestDisplay
from ._shifts import SHIFTS, apply_shift, available_shifts
from ._stress import robust_score, stress_summary, stress_test

__all__ = [
    "SHIFTS",
    "StressTestDisplay",
    "apply_shift",
    "available_shifts",
    "robust_score",
    "stress_summary",
    "stress_test",
]
