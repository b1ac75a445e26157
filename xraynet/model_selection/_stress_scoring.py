"""Stress-test scoring of a comparison's held-out folds (private).

Every held-out fold is scored under simulated acquisition shifts
(:func:`xraynet.robustness.stress_test`); these helpers check the shift
parameters before any training, turn the per-fold tables into leaderboard
columns and pool the shifted out-of-fold scores for the ``"robust"``
threshold.
"""

from numbers import Integral

import numpy as np
import pandas as pd

__all__ = [
    "STRESS_COLUMNS",
    "check_stress_params",
    "pooled_shifted_scores",
    "stress_columns",
    "stress_rows",
]

#: Leaderboard columns from the stress test of every held-out fold.
STRESS_COLUMNS = (
    "shifted_roc_auc",
    "shifted_balanced_accuracy",
    "worst_roc_auc",
    "worst_specificity",
    "worst_sensitivity",
)


def check_stress_params(shifts, severities):
    """Refuse unknown shift names and severities before any model is trained.

    Parameters
    ----------
    shifts : str, list of str or None
        ``ModelComparison.stress_shifts`` (None: every shift).
    severities : sequence of int
        ``ModelComparison.stress_severities``.

    Raises
    ------
    ValueError
        Naming the parameter and the accepted values.
    """
    from xraynet.robustness import available_shifts
    from xraynet.robustness._shifts import check_shift

    sev = list(severities)
    if not sev or not all(
        isinstance(s, Integral) and not isinstance(s, (bool, np.bool_)) and s >= 1 for s in sev
    ):
        raise ValueError(f"stress_severities must be positive ints; got {severities!r}.")
    names = (
        available_shifts() if shifts is None else [shifts] if isinstance(shifts, str) else shifts
    )
    if not len(names):
        raise ValueError("stress_shifts must name at least one shift (or be None for all).")
    for name in names:
        for s in sev:
            try:
                check_shift(name, s)
            except ValueError as exc:
                raise ValueError(
                    f"{exc} (stress_shifts={shifts!r}, stress_severities={severities!r})"
                ) from None


def stress_rows(estimator, X, y, shifts, severities, threshold, seed):
    """The stress-test table of one fitted fold model on its held-out fold."""
    from xraynet.robustness import stress_test

    return stress_test(
        estimator,
        X,
        y,
        shifts=shifts,
        severities=severities,
        threshold=threshold,
        random_state=seed,
    )


def stress_columns(frames):
    """Leaderboard stress columns (mean and sd over folds) from per-fold stress tables.

    Parameters
    ----------
    frames : list of pandas.DataFrame
        :func:`xraynet.robustness.stress_test` tables of the successful folds;
        empty gives NaN columns.

    Returns
    -------
    columns : dict of str -> float
        ``<column>_mean`` and ``<column>_sd`` for every ``STRESS_COLUMNS`` entry.
    """
    if not frames:
        return {f"{c}_{s}": np.nan for c in STRESS_COLUMNS for s in ("mean", "sd")}
    per_fold = []
    for df in frames:
        shifted = df[df["severity"] > 0]
        per_fold.append(
            {
                "shifted_roc_auc": shifted["roc_auc"].mean(),
                "shifted_balanced_accuracy": shifted["balanced_accuracy"].mean(),
                "worst_roc_auc": shifted["roc_auc"].min(),
                "worst_specificity": shifted["specificity"].min(),
                "worst_sensitivity": shifted["sensitivity"].min(),
            }
        )
    table = pd.DataFrame(per_fold)
    return {f"{c}_mean": float(table[c].mean()) for c in STRESS_COLUMNS} | {
        f"{c}_sd": float(table[c].std(ddof=0)) for c in STRESS_COLUMNS
    }


def pooled_shifted_scores(
    fold_estimators, splits, X, y_bin, score, shifts, severities, random_state
):
    """Out-of-fold P(disease) pooled over the clean and every shifted held-out fold.

    Parameters
    ----------
    fold_estimators : list of estimators
        The winner's fitted model of every fold.
    splits : list of (train, test) index arrays
        The folds.
    X : ndarray of shape (n_samples, height, width, channels)
        The decoded images.
    y_bin : ndarray of shape (n_samples,)
        1 for the disease class, 0 for normal.
    score : ndarray of shape (n_samples,)
        The clean out-of-fold P(disease).
    shifts : list of str or None
        Shift names (None: every shift).
    severities : sequence of int
        Severities of every shift.
    random_state : int
        Base seed; fold ``k`` uses ``random_state + k`` as in the stress test.

    Returns
    -------
    y_bin, score : ndarray
        The clean arrays followed by one block per fold, shift and severity.
    """
    from xraynet.robustness import apply_shift, available_shifts

    if isinstance(shifts, str):
        shifts = [shifts]
    names = shifts or available_shifts()
    ys, scores = [y_bin], [score]
    for k, (_, te) in enumerate(splits):
        est = fold_estimators[k]
        for name in names:
            for sev in severities:
                Xs = apply_shift(X[te], name, sev, random_state=random_state + k)
                scores.append(np.asarray(est.predict_proba(Xs))[:, 1])
                ys.append(y_bin[te])
    return np.concatenate(ys), np.concatenate(scores)
