"""Shared by pneumoniamnist.py and kermany.py: select by ModelComparison, evaluate once, per seed.

Not a benchmark itself (``make bench-quick`` skips files starting with ``_``).
"""

import time

import numpy as np

METRICS = ("accuracy", "roc_auc", "sensitivity", "specificity")
#: leaderboard columns printed for every seed (cross-validation on the selection set)
BOARD_COLUMNS = (
    "roc_auc_mean",
    "balanced_accuracy_mean",
    "shifted_roc_auc_mean",
    "shifted_balanced_accuracy_mean",
    "worst_specificity_mean",
    "fit_time",
)


def run_seeds(
    make_models,
    X,
    y,
    X_test,
    y_test,
    *,
    seeds,
    cv,
    groups=None,
    threshold=None,
    quick=False,
    where="test",
):
    """One ModelComparison per seed on ``X, y``, its winner evaluated once on ``X_test``.

    ``make_models(seed)`` returns the candidates (name -> estimator) for that seed. Every
    held-out fold is stress-tested (ModelComparison's default), the winner is the average of
    its fold models at ModelComparison's threshold, and is then scored on the evaluation set,
    clean and under the stress test with the same seed. Returns one dict per seed and prints
    a line for each as it finishes.
    """
    from xraynet.model_selection import ModelComparison, evaluate
    from xraynet.robustness import stress_summary, stress_test

    quick_fold = dict(stress_shifts=["darker", "blur"], stress_severities=(1,)) if quick else {}
    quick_eval = dict(shifts=["darker"], severities=(1,)) if quick else {}
    rows = []
    for seed in seeds:
        t0, c0 = time.perf_counter(), time.process_time()
        comp = ModelComparison(
            make_models(seed),
            cv=cv,
            threshold=threshold,
            random_state=seed,
            verbose=0,
            **quick_fold,
        ).fit(X, y, groups=groups)
        scores = evaluate(comp, X_test, y_test, n_bootstraps=0)
        stress = stress_summary(stress_test(comp, X_test, y_test, random_state=seed, **quick_eval))
        rows.append(
            {
                "seed": seed,
                "winner": comp.best_name_,
                "threshold": comp.threshold_,
                **{k: scores[k] for k in METRICS},
                "shifted_auc": stress["shifted_roc_auc"],
                "worst_auc": stress["worst_roc_auc"],
                "worst_spec": stress["worst_specificity"],
                "wall_s": time.perf_counter() - t0,
                "cpu_s": time.process_time() - c0,
            }
        )
        board = comp.leaderboard_
        cols = [c for c in BOARD_COLUMNS if c in board.columns]
        print(board[cols].to_string(float_format=lambda v: f"{v:.3f}"))
        r = rows[-1]
        print(
            f"seed {seed}: winner {r['winner']} (threshold {r['threshold']:.3f}) ACC "
            f"{r['accuracy']:.3f} AUC {r['roc_auc']:.3f} sens {r['sensitivity']:.3f} spec "
            f"{r['specificity']:.3f} | {where} under shift: mean AUC {r['shifted_auc']:.3f}, "
            f"worst spec {r['worst_spec']:.3f} | {r['wall_s']:.0f} s wall",
            flush=True,
        )
    return rows


def mean_sd(rows, key, digits=3):
    """``"mean ± sd"`` of ``key`` over the rows (sample sd; 0 for one row)."""
    v = np.array([r[key] for r in rows], dtype=float)
    sd = v.std(ddof=1) if len(v) > 1 else 0.0
    return f"{v.mean():.{digits}f} ± {sd:.{digits}f}"


def print_table(rows, anchors, heading, where="test"):
    """The mean ± sd table of ``rows`` beside the ``(name, acc, auc)`` anchors."""
    print(f"\n{heading}")
    print(f"{'':44s} {'ACC':>13s} {'AUC':>13s} {'sens':>13s} {'spec':>13s}")
    cells = " ".join(f"{mean_sd(rows, k):>13s}" for k in METRICS)
    print(f"{'xraynet ModelComparison winner':44s} {cells}")
    for name, acc, auc in anchors:
        print(f"{name:44s} {acc:13.3f} {auc:13.3f}")
    print(
        f"stress test on the {where}: mean shifted AUC {mean_sd(rows, 'shifted_auc')}, worst AUC "
        f"{mean_sd(rows, 'worst_auc')}, worst specificity {mean_sd(rows, 'worst_spec')}; wall "
        f"{mean_sd(rows, 'wall_s', 0)} s, CPU {mean_sd(rows, 'cpu_s', 0)} s per seed"
    )
