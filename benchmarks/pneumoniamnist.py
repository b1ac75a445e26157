"""PneumoniaMNIST benchmark: the main job's protocol over several seeds, test read once per seed.

Protocol (no decision looks at the test split):

1. ``ModelComparison`` with the default zoo (``make compare``'s models,
   3-fold CV on the official train+val split, every held-out fold
   stress-tested, ranked by the shifted balanced accuracy); the winner is
   the average of its fold models at the "robust" threshold (Youden's on
   its out-of-fold predictions pooled over the clean and shifted held-out
   folds), ModelComparison's default.
2. The winner is evaluated once on the official test split (ACC, AUC,
   sensitivity, specificity) and stress-tested on it.
3. Repeated for every ``--seeds`` value (folds, weights, augmentation);
   the table reports mean ± sd over the seeds beside the published anchors.

Usage::

    XRAYNET_DATA=/path/to/data python benchmarks/pneumoniamnist.py [--seeds 0,1,2] [--quick]
        [--models seed_cnn,...] [--threshold youden|robust|FLOAT]
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ANCHORS = [  # PneumoniaMNIST test split = the Kermany test folder at 28 px
    ("MedMNIST v2 ResNet-18 (28)", 0.854, 0.944),
    ("MedMNIST v2 ResNet-50 (224)", 0.884, 0.962),
    ("MedMNIST v2 AutoKeras", 0.878, 0.947),
    ("MedMNIST+ 2024 best at 28 px (pretrained)", 0.866, 0.973),
    ("the seed notebook (150 px, Kermany test)", 0.899, float("nan")),
    ("Google AutoML Vision (28)", 0.946, 0.991),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (< 60 s)")
    parser.add_argument(
        "--data", default=None, help="folder of pneumoniamnist.npz (default: $XRAYNET_DATA)"
    )
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--models", default=None, help="zoo names (default: the whole zoo)")
    parser.add_argument(
        "--threshold",
        default=None,
        help="ModelComparison threshold rule: robust (the default, as in the main job), "
        "youden, or a float",
    )
    args = parser.parse_args(argv)

    from sklearn.model_selection import train_test_split

    from xraynet.datasets import fetch_pneumoniamnist
    from xraynet.model_selection import ModelComparison, default_models, evaluate
    from xraynet.robustness import stress_summary, stress_test

    X, y = fetch_pneumoniamnist(split="train+val", data_home=args.data, download=False)
    X_test, y_test = fetch_pneumoniamnist(split="test", data_home=args.data, download=False)
    seeds = [int(s) for s in args.seeds.split(",")]
    cv = 3
    if args.quick:  # smoke mode: a 400-image subset, tiny models, one seed, 2 shifts
        X, _, y, _ = train_test_split(X, y, train_size=400, stratify=y, random_state=0)
        seeds, cv = seeds[:1], 2
    threshold = args.threshold
    if threshold not in (None, "youden", "robust"):
        threshold = float(threshold)
    rows = []
    for seed in seeds:
        t0, c0 = time.perf_counter(), time.process_time()
        zoo = default_models(image_size=28, random_state=seed, quick=args.quick)
        names = (
            args.models.split(",")
            if args.models
            else ["seed_cnn", "hog_svm", "random_forest"]
            if args.quick
            else list(zoo)
        )
        kw = dict(stress_shifts=["darker", "blur"], stress_severities=(1,)) if args.quick else {}
        comp = ModelComparison(
            {n: zoo[n] for n in names},
            cv=cv,
            threshold=threshold,
            random_state=seed,
            verbose=0,
            **kw,
        ).fit(X, y)
        test = evaluate(comp, X_test, y_test, n_bootstraps=0)
        stress = stress_summary(
            stress_test(
                comp,
                X_test,
                y_test,
                random_state=seed,
                **({"shifts": ["darker"], "severities": (1,)} if args.quick else {}),
            )
        )
        rows.append(
            {
                "seed": seed,
                "winner": comp.best_name_,
                "threshold": comp.threshold_,
                **{k: test[k] for k in ("accuracy", "roc_auc", "sensitivity", "specificity")},
                "shifted_auc": stress["shifted_roc_auc"],
                "worst_spec": stress["worst_specificity"],
                "wall_s": time.perf_counter() - t0,
                "cpu_s": time.process_time() - c0,
            }
        )
        r = rows[-1]
        print(
            f"seed {seed}: winner {r['winner']} (threshold {r['threshold']:.3f}) ACC "
            f"{r['accuracy']:.3f} AUC {r['roc_auc']:.3f} sens {r['sensitivity']:.3f} spec "
            f"{r['specificity']:.3f} | test under shift: mean AUC {r['shifted_auc']:.3f}, "
            f"worst spec {r['worst_spec']:.3f} | {r['wall_s']:.0f} s wall",
            flush=True,
        )

    def ms(key):
        v = np.array([r[key] for r in rows], dtype=float)
        return f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0:.3f}"

    print(
        f"\nPneumoniaMNIST test split (624 images), {len(rows)} seed(s) "
        f"({'quick' if args.quick else 'full'} mode), selection on train+val only"
    )
    print(f"{'':44s} {'ACC':>13s} {'AUC':>13s} {'sens':>13s} {'spec':>13s}")
    print(
        f"{'xraynet ModelComparison winner':44s} {ms('accuracy'):>13s} {ms('roc_auc'):>13s} "
        f"{ms('sensitivity'):>13s} {ms('specificity'):>13s}"
    )
    for name, acc, auc in ANCHORS:
        print(f"{name:44s} {acc:13.3f} {auc:13.3f}")
    print(
        f"stress test on the test split: mean shifted AUC {ms('shifted_auc')}, worst "
        f"specificity {ms('worst_spec')}; wall {ms('wall_s')} s per seed"
    )


if __name__ == "__main__":
    main()
