"""Benchmark: xraynet.ImageLoader vs the seed notebook's loading loop.

The seed loop (``get_training_data`` in the original notebook) reads every file
with ``cv2.imread(path, cv2.IMREAD_GRAYSCALE)``, resizes it with
``cv2.resize(img, (150, 150))``, appends ``[array, label]`` to a list, turns the
list into ``np.array(data, dtype=object)`` and finally builds the training
array ``np.array(features) / 255`` (float64) reshaped to (n, 150, 150, 1).
ImageLoader(size=150) returns one uint8 (n, 150, 150, 1) array.

Two image sets:

* the Kermany 224x224 train JPEGs (``--data``, default
  ``$XRAYNET_DATA/kermany224/train``; ``--n`` files drawn at random);
* ``--big-n`` JPEGs of ``--big-size`` px (>= 1 MP) made by upscaling real
  Kermany images into a temporary directory (deleted at exit), like the
  full-resolution files of the original dataset.

The sides alternate within every round (the order reverses every round); the
table shows median images per second, the median per-round speed-up and the
CPU time per image (a steadier measure of the work on a busy machine). Memory is
measured in fresh subprocesses (tracemalloc peak and retained bytes, RSS
high-water mark growth). The reduced-size JPEG decode is also checked against a
full decode + INTER_AREA resize (mean absolute grey-level difference).

Usage::

    python benchmarks/bench_loading.py            # 1000 + 40 files, 5 rounds
    python benchmarks/bench_loading.py --quick    # CI smoke run, < 30 s
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from xraynet.io import ImageLoader  # noqa: E402

SIZE = 150


def seed_loop(paths, labels):
    """The seed notebook's loader; returns (object array, float64 training array)."""
    data = []
    for path, label in zip(paths, labels):
        img_arr = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if img_arr is not None:
            resized_arr = cv2.resize(img_arr, (SIZE, SIZE))
            data.append([resized_arr, label])
    train = np.array(data, dtype=object)
    x_train = np.array([feature for feature, _ in train]) / 255
    return train, x_train.reshape(-1, SIZE, SIZE, 1)


def ours(paths, n_jobs):
    return ImageLoader(size=SIZE, n_jobs=n_jobs).transform(paths)


def find_paths(data, n, seed=0):
    folder = Path(data)
    paths = sorted(folder.rglob("*.jpeg")) + sorted(folder.rglob("*.jpg"))
    if not paths:
        raise SystemExit(f"no JPEG files under {folder} (set --data or $XRAYNET_DATA)")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(paths), min(n, len(paths)), replace=False)
    chosen = [str(paths[i]) for i in idx]
    labels = [0 if "NORMAL" in p else 1 for p in chosen]
    return chosen, labels


def make_synthetic(n, out_dir, seed=0):
    """Smooth synthetic 224x224 JPEGs, only so that the script runs without data."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:224, :224] / 224
    paths = []
    for i in range(n):
        img = 127.5 + 90 * np.sin(6 * xx + rng.random() * 6) * np.cos(4 * yy)
        img += rng.normal(0, 8, img.shape)
        path = os.path.join(out_dir, f"synthetic_{i:04d}.jpg")
        cv2.imwrite(path, np.clip(img, 0, 255).astype(np.uint8))
        paths.append(path)
    return paths, [i % 2 for i in range(n)]


def make_big(sources, out_dir, side):
    """Upscale real images to side x side 3-channel JPEGs (quality 95)."""
    paths = []
    for i, src in enumerate(sources):
        img = cv2.imread(src, cv2.IMREAD_COLOR)
        big = cv2.resize(img, (side, side), interpolation=cv2.INTER_CUBIC)
        path = os.path.join(out_dir, f"big_{i:04d}.jpg")
        cv2.imwrite(path, big, [cv2.IMWRITE_JPEG_QUALITY, 95])
        paths.append(path)
    return paths


def time_sides(paths, labels, rounds, n_jobs):
    """Median img/s, per-round median ratio to the seed and CPU ms/img per side."""
    sides = {
        "seed loop": lambda: seed_loop(paths, labels),
        "ImageLoader n_jobs=1": lambda: ours(paths, 1),
        f"ImageLoader n_jobs={n_jobs}": lambda: ours(paths, n_jobs),
    }
    names = list(sides)
    for fn in sides.values():  # warm-up: page cache, imports, thread pool
        fn()
    times = {name: [] for name in names}
    cpu = {name: [] for name in names}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            t0, c0 = time.perf_counter(), time.process_time()
            sides[name]()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    n = len(paths)
    return {
        name: {
            "rate": n / statistics.median(times[name]),
            "ratio": statistics.median(s / o for s, o in zip(times["seed loop"], times[name])),
            "cpu_ms": 1e3 * statistics.median(cpu[name]) / n,
        }
        for name in names
    }


def resize_error(paths):
    """Max over files of mean |x - (full decode + one-step INTER_AREA)|, ours and seed."""
    out = ours(paths, 1)
    errs, seed_errs = [], []
    for path, img in zip(paths, out):
        full = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        ref = cv2.resize(full, (SIZE, SIZE), interpolation=cv2.INTER_AREA).astype(int)
        errs.append(np.abs(img[..., 0].astype(int) - ref).mean())
        seed_errs.append(np.abs(cv2.resize(full, (SIZE, SIZE)).astype(int) - ref).mean())
    return max(errs), max(seed_errs)


def _proc_status(field):
    """VmRSS / VmHWM of this process in bytes (Linux), else ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak_rss():
    try:  # Linux >= 4.0: reset VmHWM to the current RSS
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def memory_worker(side, list_file):
    """Run one side in this (fresh) process and print its memory use as JSON."""
    import tracemalloc

    with open(list_file) as f:
        paths = f.read().splitlines()
    labels = [0 if "NORMAL" in p else 1 for p in paths]
    ImageLoader(size=8).transform(paths[:1])  # import everything lazily loaded
    _reset_peak_rss()
    rss0 = _proc_status("VmRSS")
    tracemalloc.start()
    if side == "seed":
        train, x_train = seed_loop(paths, labels)
        nbytes = x_train.nbytes + sum(feature.nbytes for feature, _ in train)
    else:
        X = ours(paths, -1)
        nbytes = X.nbytes
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss = _proc_status("VmHWM")
    print(
        json.dumps(
            {
                "nbytes": nbytes,
                "retained": retained,
                "peak": peak,
                "rss_growth": max(0, maxrss - rss0),
            }
        )
    )


def measure_memory(paths):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths))
    try:
        res = {}
        for side in ("seed", "ours"):
            proc = subprocess.run(
                [sys.executable, __file__, "--memory-worker", side, f.name],
                capture_output=True,
                text=True,
                check=True,
            )
            res[side] = json.loads(proc.stdout.strip().splitlines()[-1])
        return res
    finally:
        os.unlink(f.name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    home = os.environ.get("XRAYNET_DATA")
    default = str(Path(home) / "kermany224" / "train") if home else None
    parser.add_argument("--data", default=default, help="folder of 224 px JPEGs")
    parser.add_argument("--n", type=int, default=1000, help="224 px files to load")
    parser.add_argument("--big-n", type=int, default=40, help=">= 1 MP files to make")
    parser.add_argument("--big-size", type=int, default=2048, help="side of the big files")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--quick", action="store_true", help="CI smoke run (< 30 s)")
    parser.add_argument("--memory-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_worker:
        return memory_worker(*args.memory_worker)
    if args.quick:
        args.n, args.big_n, args.big_size, args.rounds = 150, 10, 1024, 3
    if args.big_size < 1024:
        raise SystemExit("--big-size must be >= 1024 (>= 1 MP)")
    n_jobs = args.n_jobs
    print(
        f"cv2 {cv2.__version__}, {os.cpu_count()} CPU(s), n_jobs={n_jobs}, "
        f"{args.rounds} rounds, output {SIZE}x{SIZE}x1"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="xraynet_bench_") as tmp:
        if args.data is not None and Path(args.data).is_dir():
            paths, labels = find_paths(args.data, args.n)
            big_sources = find_paths(args.data, args.big_n, seed=1)[0]
            source = "Kermany"
        else:
            print("NO DATA (set --data or $XRAYNET_DATA): using SYNTHETIC images")
            os.mkdir(os.path.join(tmp, "small"))
            paths, labels = make_synthetic(args.n, os.path.join(tmp, "small"))
            big_sources, source = paths[: args.big_n], "SYNTHETIC"
        rows.append(
            (f"{len(paths)} {source} 224x224 JPEGs", time_sides(paths, labels, args.rounds, n_jobs))
        )
        big_paths = make_big(big_sources, tmp, args.big_size)
        rows.append(
            (
                f"{len(big_paths)} upscaled {args.big_size}x{args.big_size} JPEGs",
                time_sides(big_paths, [0] * len(big_paths), args.rounds, n_jobs),
            )
        )
        err, seed_err = resize_error(big_paths)
        mem = measure_memory(paths)

    print(f"\n{'images':<34} {'side':<22} {'img/s':>9} {'x seed':>8} {'CPU ms/img':>11}")
    for name, res in rows:
        for side, r in res.items():
            print(
                f"{name:<34} {side:<22} {r['rate']:>9.1f} {r['ratio']:>7.2f}x {r['cpu_ms']:>11.3f}"
            )
    print(
        "(img/s: median wall clock over the rounds; x seed: median per-round speed-up;\n"
        " CPU ms/img: process CPU time, all threads, i.e. the work done per image)"
    )
    print(
        f"\nbig files vs full decode + one-step INTER_AREA, worst file's mean |diff|: "
        f"ImageLoader (reduced decode) {err:.2f}, seed loop (INTER_LINEAR) {seed_err:.2f} "
        "grey levels"
    )

    print(f"\nmemory for {len(paths)} images (fresh subprocess each, MB):")
    print(f"{'side':<12} {'dataset':>9} {'retained':>9} {'peak':>9} {'RSS growth':>11}")
    for side, m in mem.items():
        print(
            f"{side:<12} {m['nbytes'] / 1e6:>9.1f} {m['retained'] / 1e6:>9.1f} "
            f"{m['peak'] / 1e6:>9.1f} {m['rss_growth'] / 1e6:>11.1f}"
        )
    s, o = mem["seed"], mem["ours"]
    print(
        f"ours / seed: dataset {o['nbytes'] / s['nbytes']:.3f}, retained "
        f"{o['retained'] / s['retained']:.3f}, peak {o['peak'] / s['peak']:.3f}, RSS growth "
        f"{o['rss_growth'] / max(s['rss_growth'], 1):.3f}"
    )


if __name__ == "__main__":
    main()
