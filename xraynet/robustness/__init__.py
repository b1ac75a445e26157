"""The acquisition stress test: simulated shifts, graded severities, their Display."""

from ._display import StressTestDisplay
from ._shifts import SHIFTS, apply_shift, available_shifts
from ._stress import stress_summary, stress_test

__all__ = ["SHIFTS", "StressTestDisplay", "apply_shift", "available_shifts", "stress_summary",
           "stress_test"]
