"""Benchmark: xraynet.Augmenter.augment vs Keras ImageDataGenerator.flow.

Both sides augment the same N real 150x150x1 chest X-rays in shuffled batches
of 32 with the seed project's parameters (rotation 30, zoom 0.2, shifts 0.1,
horizontal flip). ImageDataGenerator gets float32 images in [0, 1] as in the
seed; the Augmenter gets uint8 and its batches are cast to float32 afterwards
(what the Keras feeder hands to the network), and that cast is timed too.
The sides alternate within every round; the table shows the median images per
second of each and the ratio to ImageDataGenerator.

Images: the Kermany train JPEGs (``--data`` or ``$XRAYNET_DATA/kermany224/train``)
read with OpenCV and resized, else PneumoniaMNIST upsampled to 150x150, else
(only so that the script still runs) smooth synthetic images.

Usage::

    python benchmarks/bench_augmentation.py            # N=512, 7 rounds
    python benchmarks/bench_augmentation.py --quick    # CI smoke run, < 30 s
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from xraynet import Augmenter  # noqa: E402

SEED_PARAMS = dict(
    rotation_range=30,
    zoom_range=0.2,
    width_shift_range=0.1,
    height_shift_range=0.1,
    horizontal_flip=True,
)
SIZE = 150


def load_images(n, data):
    """N grey uint8 (n, 150, 150, 1) images and a description of their source."""
    home = os.environ.get("XRAYNET_DATA")
    folder = Path(data) if data else (Path(home) / "kermany224" / "train" if home else None)
    if folder is not None and folder.is_dir():
        paths = sorted(folder.rglob("*.jpeg")) + sorted(folder.rglob("*.jpg"))
        if paths:
            rng = np.random.default_rng(0)
            paths = [paths[i] for i in rng.choice(len(paths), min(n, len(paths)), replace=False)]
            images = []
            for p in paths:
                img = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
                if img is None:
                    raise SystemExit(f"cannot read image {p}")
                images.append(cv2.resize(img, (SIZE, SIZE), interpolation=cv2.INTER_AREA))
            return np.stack(images)[..., None], f"{len(images)} Kermany JPEGs from {folder}"
    npz = Path(home) / "pneumoniamnist.npz" if home else None
    if npz is not None and npz.is_file():
        with np.load(npz) as f:
            small = f["train_images"][:n]
        images = [cv2.resize(im, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR) for im in small]
        return np.stack(images)[..., None], f"{len(images)} PneumoniaMNIST images upsampled"
    yy, xx = np.mgrid[:SIZE, :SIZE] / SIZE
    phase = np.random.default_rng(0).random((n, 1, 1)) * 6
    images = 127.5 + 100 * np.sin(6 * xx + phase) * np.cos(4 * yy)
    return images.astype(np.uint8)[..., None], f"{n} SYNTHETIC images (no data found)"


def image_data_generator():
    for module in (
        "keras.preprocessing.image",
        "keras._tf_keras.keras.preprocessing.image",
        "keras.src.legacy.preprocessing.image",
    ):
        try:
            mod = __import__(module, fromlist=["ImageDataGenerator"])
            return mod.ImageDataGenerator, module
        except (ImportError, AttributeError):
            continue
    raise SystemExit("Keras ImageDataGenerator not found (needs keras / tensorflow)")


def time_keras(IDG, x_float, batch_size, seed):
    """(images per wall second, images per CPU second) of one epoch."""
    flow = IDG(**SEED_PARAMS).flow(x_float, batch_size=batch_size, shuffle=True, seed=seed)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(len(flow)):
        next(flow)
    n = len(x_float)
    return n / (time.perf_counter() - start), n / (time.process_time() - cpu)


def time_ours(aug, x_uint8, batch_size, seed, min_seconds=0.25):
    """Epochs over the images until ``min_seconds`` have passed (ours is fast)."""
    rng = np.random.default_rng(seed)
    n_images, start, cpu = 0, time.perf_counter(), time.process_time()
    while True:
        order = rng.permutation(len(x_uint8))
        for i in range(0, len(order), batch_size):
            batch = x_uint8[np.sort(order[i : i + batch_size])]
            aug.augment(batch, rng).astype(np.float32)
        n_images += len(order)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return n_images / elapsed, n_images / (time.process_time() - cpu)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of JPEGs (default $XRAYNET_DATA/kermany224/train)")
    parser.add_argument("--n", type=int, default=512, help="number of images (default 512)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (default 7)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="smoke run: N=96, 3 rounds")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.rounds = min(args.n, 96), min(args.rounds, 3)
    min_seconds = 0.1 if args.quick else 0.25

    x_uint8, source = load_images(args.n, args.data)
    x_float = x_uint8.astype(np.float32) / 255.0  # as the seed fed ImageDataGenerator
    IDG, idg_module = image_data_generator()
    sides = {
        "Keras ImageDataGenerator.flow": lambda s: time_keras(IDG, x_float, args.batch_size, s),
        "Augmenter.augment n_jobs=1": lambda s: time_ours(
            Augmenter(**SEED_PARAMS, n_jobs=1), x_uint8, args.batch_size, s, min_seconds
        ),
        "Augmenter.augment n_jobs=2": lambda s: time_ours(
            Augmenter(**SEED_PARAMS, n_jobs=2), x_uint8, args.batch_size, s, min_seconds
        ),
    }
    for run in sides.values():  # warm-up (imports, thread pools, caches)
        run(0)
    results = {name: [] for name in sides}
    names = list(sides)
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:  # rotate the order
            results[name].append(sides[name](r + 1))

    print(
        f"images: {source}, {SIZE}x{SIZE}x1, batch {args.batch_size}, "
        f"{args.rounds} rounds, {os.cpu_count()} CPUs"
    )
    params = ", ".join(f"{k}={v}" for k, v in SEED_PARAMS.items())
    print(f"baseline: {idg_module}.ImageDataGenerator({params})")
    print("wall: images per second; CPU: images per CPU-second of this process (less")
    print("sensitive to other load on a shared machine); ratio: median over rounds of")
    print("ours / ImageDataGenerator in the same round.")
    base = results[names[0]]
    print(
        f"{'method':<34}{'wall img/s':>11}{'min':>8}{'max':>8}{'CPU img/s':>11}"
        f"{'wall ratio':>11}{'CPU ratio':>10}"
    )
    for name in names:
        wall = [w for w, _ in results[name]]
        cpu = [c for _, c in results[name]]
        ratio = statistics.median(w / b[0] for w, b in zip(wall, base))
        cpu_ratio = statistics.median(c / b[1] for c, b in zip(cpu, base))
        print(
            f"{name:<34}{statistics.median(wall):>11.0f}{min(wall):>8.0f}{max(wall):>8.0f}"
            f"{statistics.median(cpu):>11.0f}{ratio:>10.1f}x{cpu_ratio:>9.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
