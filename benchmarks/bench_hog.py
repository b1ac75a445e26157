"""HOG feature extraction: xraynet.classical.HOGTransformer vs a skimage.feature.hog loop.

Both compute the same features (checked here: max abs difference) on the same
N real chest X-rays (Kermany JPEGs resized to 150x150 with OpenCV). Rounds
alternate between the baseline and ours; the table reports median images/s
and the ratio of medians measured in this run.

    python benchmarks/bench_hog.py                # 256 images, 7 rounds
    python benchmarks/bench_hog.py --quick        # CI smoke run, < 30 s
    python benchmarks/bench_hog.py --data /path/to/kermany224/train

Data: ``--data`` or ``$XRAYNET_DATA/kermany224/train`` (any folder tree of
.jpeg/.jpg/.png files works).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from xraynet.classical import HOGTransformer  # noqa: E402

PARAMS = {"orientations": 9, "pixels_per_cell": (8, 8), "cells_per_block": (2, 2)}


def load_images(folder, n, size):
    files = sorted(
        p for p in Path(folder).rglob("*") if p.suffix.lower() in (".jpeg", ".jpg", ".png")
    )
    if not files:
        raise SystemExit(f"no .jpeg/.jpg/.png images under {folder}")
    # spread the picks over the (class-sorted) folder tree
    picks = [files[i] for i in np.linspace(0, len(files) - 1, min(n, len(files))).astype(int)]
    images = []
    for path in picks:
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise SystemExit(f"cannot read {path}")
        images.append(cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA))
    return np.stack(images)[..., None]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="image folder (default $XRAYNET_DATA/kermany224/train)")
    parser.add_argument("--n", type=int, default=256, help="number of images")
    parser.add_argument("--size", type=int, default=150, help="image side in pixels")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds")
    parser.add_argument("--quick", action="store_true", help="smoke run (< 30 s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.rounds = min(args.n, 48), min(args.rounds, 3)

    try:
        from skimage.feature import hog
    except ImportError:
        raise SystemExit("the baseline needs scikit-image: pip install scikit-image") from None

    folder = args.data
    if folder is None:
        home = os.environ.get("XRAYNET_DATA")
        if not home:
            raise SystemExit("pass --data FOLDER or set XRAYNET_DATA")
        folder = Path(home) / "kermany224" / "train"
    X = load_images(folder, args.n, args.size)
    n = len(X)

    def baseline():
        return np.stack(
            [hog(im[..., 0], feature_vector=True, block_norm="L2-Hys", **PARAMS) for im in X]
        )

    candidates = {"skimage.feature.hog loop": baseline}
    for n_jobs in (1, 2):
        hog_t = HOGTransformer(**PARAMS, n_jobs=n_jobs).fit(X)
        candidates[f"HOGTransformer(n_jobs={n_jobs})"] = lambda t=hog_t: t.transform(X)

    reference = baseline()
    for name, fn in candidates.items():
        out = fn()
        assert out.shape == reference.shape, (name, out.shape, reference.shape)
        diff = float(np.abs(out - reference).max())
        if diff > 1e-4:
            raise SystemExit(f"{name} disagrees with skimage: max abs diff {diff:.2e}")

    # wall-clock and process CPU time: on a shared machine the CPU-time ratio
    # is the steadier single-thread comparison, the wall clock shows threading.
    times = {name: [] for name in candidates}
    cpu = {name: [] for name in candidates}
    for _ in range(args.rounds):
        for name, fn in candidates.items():  # alternate baseline / ours every round
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)

    base = statistics.median(times["skimage.feature.hog loop"])
    base_cpu = statistics.median(cpu["skimage.feature.hog loop"])
    print(
        f"HOG features of {n} real {args.size}x{args.size} chest X-rays "
        f"({reference.shape[1]} features each), median of {args.rounds} alternating "
        f"rounds, {os.cpu_count()} CPU(s)"
    )
    print(f"{'method':<28} {'img/s':>8} {'vs skimage':>11} {'CPU ms/img':>11} {'CPU ratio':>10}")
    for name, ts in times.items():
        med, med_cpu = statistics.median(ts), statistics.median(cpu[name])
        print(
            f"{name:<28} {n / med:>8.0f} {base / med:>10.1f}x "
            f"{1e3 * med_cpu / n:>11.3f} {base_cpu / med_cpu:>9.1f}x"
        )
    print("max abs difference to skimage: <= 1e-4 (checked)")


if __name__ == "__main__":
    main()
