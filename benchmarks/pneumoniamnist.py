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

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

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

    from _protocol import print_table, run_seeds
    from sklearn.model_selection import train_test_split

    from xraynet.datasets import fetch_pneumoniamnist
    from xraynet.model_selection import default_models

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

    def make_models(seed):
        zoo = default_models(image_size=28, random_state=seed, quick=args.quick)
        names = (
            args.models.split(",")
            if args.models
            else ["seed_cnn", "hog_svm", "random_forest"]
            if args.quick
            else list(zoo)
        )
        return {n: zoo[n] for n in names}

    rows = run_seeds(
        make_models,
        X,
        y,
        X_test,
        y_test,
        seeds=seeds,
        cv=cv,
        threshold=threshold,
        quick=args.quick,
        where="test",
    )
    print_table(
        rows,
        ANCHORS,
        f"PneumoniaMNIST test split (624 images), {len(rows)} seed(s) "
        f"({'quick' if args.quick else 'full'} mode), selection on train+val only",
        where="test split",
    )


if __name__ == "__main__":
    main()
