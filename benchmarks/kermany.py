"""Kermany pediatric pneumonia at 150 px: patient-grouped model selection, then one evaluation.

Selects among model families by patient-grouped cross-validation on the ``--train`` folder
(``compare_models`` with ``groups``), refits the winner on all of it and, when ``--test`` is
given, evaluates it once on that folder. Without a test folder it holds out a patient-grouped
20 % of the train folder first (selection never sees it) and evaluates there.

Anchors: the seed notebook 89.9 % test accuracy; Kermany et al. 2018: 92.8 % accuracy,
AUC 0.968. Goal: accuracy >= 0.93 and AUC >= 0.97, with the training time printed.

    python benchmarks/kermany.py --train $XRAYNET_DATA/kermany224/train
    python benchmarks/kermany.py --train chest_xray/train --test chest_xray/test
    python benchmarks/kermany.py --quick        # smoke run (CI): tiny subset, 1 epoch
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ANCHORS = [
    ("seed notebook (150 px CNN)", 0.899, float("nan")),
    ("Kermany et al. 2018 (Inception V3 transfer)", 0.928, 0.968),
    ("goal", 0.93, 0.97),
]


def _parse(argv):
    default_train = Path(os.environ.get("XRAYNET_DATA", "")) / "kermany224" / "train"
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--train", type=Path, default=default_train, help="class-folder tree to select on"
    )
    p.add_argument("--test", type=Path, default=None, help="class-folder tree to evaluate once on")
    p.add_argument("--size", type=int, default=150, help="image side in pixels (default 150)")
    p.add_argument(
        "--models",
        default="seed_cnn,resnet,hog_svm",
        help="comma-separated zoo names (default: seed_cnn,resnet,hog_svm)",
    )
    p.add_argument("--cv", type=int, default=3, help="patient-grouped folds (default 3)")
    p.add_argument("--epochs", type=int, default=None, help="override Keras epochs")
    p.add_argument("--n", type=int, default=None, help="use a stratified subset of N images")
    p.add_argument("--quick", action="store_true", help="smoke mode: 120 images, 48 px, 1 epoch")
    return p.parse_args(argv)


def main(argv=None):
    args = _parse(argv)
    if args.quick:
        args.size, args.n, args.epochs, args.cv = 48, 120, 1, 2
        args.models = "seed_cnn,hog_svm"
    if not args.train.is_dir():
        sys.exit(
            f"kermany.py: error: train folder {args.train} not found (set XRAYNET_DATA or --train)"
        )

    from sklearn.model_selection import GroupShuffleSplit

    from xraynet import ImageLoader, ModelComparison
    from xraynet.datasets import load_image_folder
    from xraynet.metrics import classification_summary
    from xraynet.model_selection import default_models

    data = load_image_folder(args.train)
    paths, y, groups = data.filenames, data.target, data.groups
    if args.n is not None and args.n < len(y):
        rng = np.random.RandomState(0)
        keep = np.sort(
            np.concatenate(
                [
                    rng.choice(
                        np.flatnonzero(y == c), max(2, int(args.n * np.mean(y == c))), replace=False
                    )
                    for c in np.unique(y)
                ]
            )
        )
        paths, y, groups = paths[keep], y[keep], groups[keep]

    t0, c0 = time.perf_counter(), time.process_time()
    X = ImageLoader(size=args.size, n_jobs=-1).transform(paths)
    load_s = time.perf_counter() - t0

    if args.test is not None:
        test = load_image_folder(args.test)
        X_sel, y_sel, g_sel = X, y, groups
        X_test = ImageLoader(size=args.size, n_jobs=-1).transform(test.filenames)
        y_test, where = test.target, f"test folder {args.test}"
    else:
        sel, held = next(
            GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=0).split(X, y, groups)
        )
        X_sel, y_sel, g_sel = X[sel], y[sel], groups[sel]
        X_test, y_test = X[held], y[held]
        where = "patient-grouped 20 % hold-out of the train folder"

    zoo = default_models(image_size=args.size, random_state=0, quick=args.quick, epochs=args.epochs)
    names = [m.strip() for m in args.models.split(",")]
    models = {name: zoo[name] for name in names}
    t1 = time.perf_counter()
    comparison = ModelComparison(models, cv=args.cv, verbose=1).fit(X_sel, y_sel, groups=g_sel)
    board = comparison.leaderboard_
    select_s = time.perf_counter() - t1
    best = comparison.best_estimator_
    t2 = time.perf_counter()
    score = best.predict_proba(X_test)[:, 1]
    summary = classification_summary(
        y_test, score, threshold=comparison.threshold_, n_bootstraps=200 if args.quick else 1000
    )
    cpu = time.process_time() - c0

    print(
        f"\nKermany {args.size} px: {len(y_sel)} images for selection ({args.cv}-fold patient-grouped CV), "
        f"{len(y_test)} for evaluation ({where})"
    )
    cols = [
        c
        for c in (
            "roc_auc_mean",
            "roc_auc_sd",
            "accuracy_mean",
            "sensitivity_mean",
            "specificity_mean",
            "fit_time",
        )
        if c in board.columns
    ]
    print(board[cols].to_string(float_format=lambda v: f"{v:.3f}"))
    print(
        f"\nwinner: {comparison.best_name_} (ranked by {comparison.rank_by_}, threshold "
        f"{comparison.threshold_:.3f})"
    )
    value = summary["value"] if "value" in summary.columns else summary.iloc[:, 0]
    acc, auc = float(value["accuracy"]), float(value["roc_auc"])
    print(f"{'':44s} {'ACC':>6s} {'AUC':>6s}")
    print(f"{'xraynet winner (this run)':44s} {acc:6.3f} {auc:6.3f}")
    for name, a, u in ANCHORS:
        print(f"{name:44s} {a:6.3f} {u:6.3f}")
    print(
        f"sensitivity {float(value['sensitivity']):.3f}  specificity {float(value['specificity']):.3f}"
    )
    print(
        f"time: load {load_s:.0f} s, selection + refit {select_s:.0f} s, "
        f"predict {time.perf_counter() - t2:.1f} s, CPU {cpu / 60:.1f} min"
    )
    if not args.quick:
        print(
            "goal met"
            if acc >= 0.93 and auc >= 0.97
            else f"goal missed by ACC {max(0, 0.93 - acc):.3f} / AUC {max(0, 0.97 - auc):.3f}"
        )


if __name__ == "__main__":
    main()
