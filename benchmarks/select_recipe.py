"""Which augmentation should the zoo's networks train with? Chosen on val and the stress test.

The seed CNN is fitted on PneumoniaMNIST **train** with each training recipe
and scored on the official **val** split, clean and under every simulated
acquisition shift of :func:`xraynet.robustness.stress_test` (severities 1-3),
at the threshold 0.5. The test split is never read. The recipe with the best
mean shifted balanced accuracy is the zoo's default
(:func:`xraynet.model_selection.shift_robust_augmentation`).

Usage::

    XRAYNET_DATA=/path/to/data python benchmarks/select_recipe.py [--seeds 0,1] [--quick]
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

RECIPES = {
    "none": None,
    "seed (rot 30, zoom .2, shift .1)": dict(
        rotation_range=30, zoom_range=0.2, width_shift_range=0.1, height_shift_range=0.1
    ),
    "photometric + mild geometry": dict(
        rotation_range=10,
        zoom_range=0.1,
        width_shift_range=0.1,
        height_shift_range=0.1,
        brightness_range=(0.7, 1.3),
        contrast_range=(0.7, 1.3),
    ),
    "photometric (the default)": dict(
        rotation_range=0,
        zoom_range=0.0,
        width_shift_range=0.0,
        height_shift_range=0.0,
        brightness_range=(0.7, 1.3),
        contrast_range=(0.7, 1.3),
    ),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (< 60 s)")
    parser.add_argument("--data", default=None, help="folder of pneumoniamnist.npz")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)

    from sklearn.model_selection import train_test_split

    from xraynet import Augmenter, CNNClassifier
    from xraynet.datasets import fetch_pneumoniamnist
    from xraynet.robustness import stress_summary, stress_test

    X, y = fetch_pneumoniamnist(split="train", data_home=args.data, download=False)
    Xv, yv = fetch_pneumoniamnist(split="val", data_home=args.data, download=False)
    seeds, epochs, recipes, kw = [int(s) for s in args.seeds.split(",")], args.epochs, RECIPES, {}
    if args.quick:
        X, _, y, _ = train_test_split(X, y, train_size=300, stratify=y, random_state=0)
        seeds, epochs = seeds[:1], 1
        recipes = {k: RECIPES[k] for k in list(RECIPES)[::3]}
        kw = dict(shifts=["darker", "blur"], severities=(1,))
    print(
        f"seed CNN, {epochs} epochs, batch 64, fitted on {len(y)} train images, scored on "
        f"{len(yv)} val images; seeds {seeds}"
    )
    print(
        f"{'recipe':36s} {'clean AUC':>10s} {'clean BA':>9s} {'shifted AUC':>12s} "
        f"{'shifted BA':>15s} {'worst spec':>11s} {'fit s':>6s}"
    )
    for name, params in recipes.items():
        res = []
        for seed in seeds:
            t0 = time.perf_counter()
            aug = None if params is None else Augmenter(**params)
            clf = CNNClassifier(
                epochs=epochs, batch_size=64, augmentation=aug, random_state=seed
            ).fit(X, y)
            fit_s = time.perf_counter() - t0
            s = stress_summary(stress_test(clf, Xv, yv, threshold=0.5, random_state=seed, **kw))
            res.append(
                [
                    s["clean_roc_auc"],
                    s["clean_balanced_accuracy"],
                    s["shifted_roc_auc"],
                    s["shifted_balanced_accuracy"],
                    s["worst_specificity"],
                    fit_s,
                ]
            )
        r = np.array(res)
        m, sd = r.mean(axis=0), r.std(axis=0, ddof=1) if len(r) > 1 else np.zeros(r.shape[1])
        print(
            f"{name:36s} {m[0]:10.4f} {m[1]:9.3f} {m[2]:12.4f} {m[3]:9.3f}±{sd[3]:.3f} "
            f"{m[4]:11.3f} {m[5]:6.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
