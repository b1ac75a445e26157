"""Time to a seed-level model: the seed CNN at 150 px on a Kermany train folder, fitted once.

The seed notebook trained its CNN (150x150 grey, 12 epochs, batch 32, RMSprop,
ReduceLROnPlateau) on the Kermany train folder and reached 89.9 % accuracy on the
test folder. This script does the same with ``CNNClassifier`` at its defaults
(the seed's network and schedule; its validation part is 10 % of the training
*patients*, never augmented) and the zoo's training augmentation
(:func:`~xraynet.model_selection.shift_robust_augmentation`), on the folder
minus a patient-grouped 20 % hold-out, and scores that hold-out once: accuracy,
ROC AUC, sensitivity and specificity at 0.5. It prints the wall time and the
CPU minutes of loading and of the fit (``time.process_time``: every thread of
the process).

The hold-out comes from the same collection as the training films, so its
scores are in-distribution (the seed's 89.9 % was on the later test folder).

Usage::

    XRAYNET_DATA=../shared/data python benchmarks/seed_level.py
    python benchmarks/seed_level.py --train chest_xray/train --precision bfloat16
    python benchmarks/seed_level.py --quick        # smoke run (CI): 160 images, 48 px, 1 epoch
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout


def _parse(argv):
    home = os.environ.get("XRAYNET_DATA")
    default_train = Path(home) / "kermany224" / "train" if home else None
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train", type=Path, default=default_train, help="class-folder tree")
    p.add_argument("--size", type=int, default=150, help="image side (default 150)")
    p.add_argument("--epochs", type=int, default=12, help="epochs (default 12, the seed's)")
    p.add_argument(
        "--precision",
        default="float32",
        choices=["float32", "bfloat16", "auto"],
        help="CNNClassifier precision (default float32)",
    )
    p.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    p.add_argument("--quick", action="store_true", help="smoke run: 160 images, 48 px, 1 epoch")
    return p.parse_args(argv)


def main(argv=None):
    args = _parse(argv)
    if args.train is None or not args.train.is_dir():
        sys.exit(f"seed_level.py: error: train folder {args.train} not found (set XRAYNET_DATA)")

    import numpy as np

    from xraynet import CNNClassifier, ImageLoader
    from xraynet.datasets import load_image_folder
    from xraynet.metrics import clinical_scores
    from xraynet.model_selection import patient_holdout_split, shift_robust_augmentation

    data = load_image_folder(args.train)
    paths, y, groups = np.asarray(data.filenames), np.asarray(data.target), data.groups
    if args.quick:
        args.size, args.epochs = 48, 1
        keep = np.sort(
            np.concatenate(
                [np.flatnonzero(y == c)[:80] for c in np.unique(y)]  # first 80 of each class
            )
        )
        paths, y, groups = paths[keep], y[keep], np.asarray(groups)[keep]
    p_tr, p_te, y_tr, y_te, g_tr, _ = patient_holdout_split(
        paths, y, groups, test_size=0.2, random_state=args.random_state
    )
    c0, t0 = time.process_time(), time.perf_counter()
    loader = ImageLoader(size=args.size, n_jobs=-1)
    X_tr, X_te = loader.transform(p_tr), loader.transform(p_te)
    load_cpu, load_s = time.process_time() - c0, time.perf_counter() - t0

    clf = CNNClassifier(
        epochs=args.epochs,
        augmentation=shift_robust_augmentation(args.random_state),
        precision=args.precision,
        random_state=args.random_state,
    )
    c0, t0 = time.process_time(), time.perf_counter()
    clf.fit(X_tr, y_tr, groups=g_tr)
    fit_cpu, fit_s = time.process_time() - c0, time.perf_counter() - t0
    proba = clf.predict_proba(X_te)
    s = clinical_scores(y_te, proba, clf.classes_, 0.5)

    print(
        f"data: {args.train}: {len(y_tr)} training films, {len(y_te)} held out "
        f"(patient-grouped 20 %, no patient on both sides); {args.size} px; "
        f"CNNClassifier(epochs={args.epochs}, precision={args.precision!r}) -> "
        f"{clf.precision_!r}; {os.cpu_count()} CPU(s)"
    )
    print(f"{'step':10s} {'wall':>9s} {'CPU min':>8s}")
    print(f"{'load':10s} {load_s:8.1f}s {load_cpu / 60:8.2f}")
    print(f"{'fit':10s} {fit_s:8.1f}s {fit_cpu / 60:8.2f}")
    print(
        f"hold-out at 0.5: accuracy {s['accuracy']:.3f}, ROC AUC {s['roc_auc']:.3f}, "
        f"sensitivity {s['sensitivity']:.3f}, specificity {s['specificity']:.3f} "
        "(seed notebook: 89.9 % accuracy on the later test folder)"
    )


if __name__ == "__main__":
    main()
