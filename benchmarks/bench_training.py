"""Benchmark: CNNClassifier.fit vs the seed notebook's Keras training loop.

Both sides train the same seed network (5 conv blocks, 1,246,401 parameters
at 150 px) for ``--epochs`` epochs on the same ``--n`` real Kermany chest
X-rays resized to ``--size`` px with ``cv2.resize``, batch size 32, RMSprop
at 1e-3, binary cross-entropy, with the seed's augmentation parameters
(rotation 30, zoom 0.2, shifts 0.1, horizontal flip) and no validation data.

* seed: ``x = np.array(images) / 255`` (float64, reshaped to (n, s, s, 1)),
  a ``keras.Sequential`` copy of the network, and
  ``model.fit(ImageDataGenerator(...).flow(x, y, batch_size=32))``;
* ours: ``CNNClassifier(augmentation=Augmenter(...), validation_fraction=0)
  .fit(images_uint8, y)`` -- uint8 batches, per-batch augmentation in
  ``Augmenter.augment``, rescaling inside the network.

Timed: everything from the images in memory to a trained model (the /255
conversion, building, compiling, tracing and all epochs). Throughput is
``n * epochs / seconds``. The sides alternate within every round (the order
reverses every round); the table shows the median images per second, the
median per-round ratio, CPU seconds per image, and the memory held by the
training input (float64 vs uint8).

Usage::

    python benchmarks/bench_training.py                  # n=1000, 1 epoch, 3 rounds
    python benchmarks/bench_training.py --n 500 --epochs 2 --rounds 2
    python benchmarks/bench_training.py --quick          # CI smoke run, < 30 s
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

SEED_AUG = dict(rotation_range=30, zoom_range=0.2, width_shift_range=0.1,
                height_shift_range=0.1, horizontal_flip=True)


def load_images(n, size, data):
    """(uint8 (n, size, size, 1), labels, description) from Kermany (or fallbacks)."""
    home = os.environ.get("XRAYNET_DATA")
    folder = Path(data) if data else (Path(home) / "kermany224" / "train" if home else None)
    rng = np.random.default_rng(0)
    if folder is not None and folder.is_dir():
        paths, labels = [], []
        for label, name in enumerate(["NORMAL", "PNEUMONIA"]):
            files = sorted((folder / name).glob("*.jp*g"))
            paths += files
            labels += [label] * len(files)
        if paths:
            idx = rng.choice(len(paths), min(n, len(paths)), replace=False)
            images = [cv2.resize(cv2.imread(str(paths[i]), cv2.IMREAD_GRAYSCALE), (size, size))
                      for i in idx]
            return (np.stack(images)[..., None], np.array(labels)[idx],
                    f"{len(idx)} Kermany JPEGs from {folder}")
    npz = Path(home) / "pneumoniamnist.npz" if home else None
    if npz is not None and npz.is_file():
        with np.load(npz) as f:
            X, y = f["train_images"][:n], f["train_labels"][:n].ravel()
        images = [cv2.resize(im, (size, size)) for im in X]
        return np.stack(images)[..., None], y, f"{len(X)} PneumoniaMNIST images upsampled"
    X = rng.integers(0, 256, size=(n, size, size, 1), dtype=np.uint8)
    return X, np.arange(n) % 2, f"{n} SYNTHETIC random images (no data found)"


def image_data_generator():
    for module in ("keras.preprocessing.image", "keras._tf_keras.keras.preprocessing.image",
                   "keras.src.legacy.preprocessing.image"):
        try:
            return getattr(__import__(module, fromlist=["ImageDataGenerator"]),
                           "ImageDataGenerator")
        except (ImportError, AttributeError):
            continue
    raise SystemExit("Keras ImageDataGenerator not found")


def seed_network(size):
    """The seed notebook's keras.Sequential network, verbatim."""
    from keras.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, Input, MaxPool2D
    from keras.models import Sequential

    model = Sequential()
    model.add(Input((size, size, 1)))
    model.add(Conv2D(32, (3, 3), strides=1, padding="same", activation="relu"))
    model.add(BatchNormalization())
    model.add(MaxPool2D((2, 2), strides=2, padding="same"))
    model.add(Conv2D(64, (3, 3), strides=1, padding="same", activation="relu"))
    model.add(Dropout(0.1))
    model.add(BatchNormalization())
    model.add(MaxPool2D((2, 2), strides=2, padding="same"))
    model.add(Conv2D(64, (3, 3), strides=1, padding="same", activation="relu"))
    model.add(BatchNormalization())
    model.add(MaxPool2D((2, 2), strides=2, padding="same"))
    model.add(Conv2D(128, (3, 3), strides=1, padding="same", activation="relu"))
    model.add(Dropout(0.2))
    model.add(BatchNormalization())
    model.add(MaxPool2D((2, 2), strides=2, padding="same"))
    model.add(Conv2D(256, (3, 3), strides=1, padding="same", activation="relu"))
    model.add(Dropout(0.2))
    model.add(BatchNormalization())
    model.add(MaxPool2D((2, 2), strides=2, padding="same"))
    model.add(Flatten())
    model.add(Dense(units=128, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(units=1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def run_seed(images, y, epochs, size):
    import keras

    keras.backend.clear_session()
    x = np.array(images).reshape(-1, size, size, 1) / 255  # float64, as in the seed
    datagen = image_data_generator()(**SEED_AUG)
    datagen.fit(x)
    model = seed_network(size)
    model.fit(datagen.flow(x, y, batch_size=32), epochs=epochs, verbose=0)
    return x.nbytes


def run_ours(images, y, epochs):
    from xraynet.augmentation import Augmenter
    from xraynet.models import CNNClassifier

    clf = CNNClassifier(epochs=epochs, batch_size=32, augmentation=Augmenter(**SEED_AUG),
                        validation_fraction=0, random_state=0)
    clf.fit(images, y)
    return images.nbytes


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1000, help="training images (default 1000)")
    p.add_argument("--epochs", type=int, default=1, help="epochs per fit (default 1)")
    p.add_argument("--size", type=int, default=150, help="image side (default 150)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    p.add_argument("--data", default=None, help="Kermany train folder (NORMAL/, PNEUMONIA/)")
    p.add_argument("--quick", action="store_true", help="CI smoke run: 32 images, 48 px, 1 round")
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.size, args.epochs, args.rounds = 32, 48, 1, 1

    images, y, source = load_images(args.n, args.size, args.data)
    import tensorflow as tf

    print(f"data: {source}; {args.size}x{args.size}x1, epochs={args.epochs}, batch 32, "
          f"rounds={args.rounds}; TensorFlow {tf.__version__}, {os.cpu_count()} CPU(s)")
    work = len(images) * args.epochs
    sides = {"seed ImageDataGenerator.flow": lambda: run_seed(images, y, args.epochs, args.size),
             "xraynet CNNClassifier.fit": lambda: run_ours(images, y, args.epochs)}
    names = list(sides)
    speed = {k: [] for k in names}
    cpu = {k: [] for k in names}
    nbytes = {}
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            t0, c0 = time.perf_counter(), time.process_time()
            nbytes[name] = sides[name]()
            wall, cpu_s = time.perf_counter() - t0, time.process_time() - c0
            speed[name].append(work / wall)
            cpu[name].append(cpu_s / work)
            print(f"  round {r + 1}: {name:30s} {wall:7.1f} s  {work / wall:7.1f} img/s",
                  flush=True)
    base = names[0]
    print(f"\n{'side':30s} {'img/s (median)':>15s} {'ratio':>7s} {'CPU ms/img':>11s} "
          f"{'input MB':>9s}")
    for name in names:
        ratios = [s / b for s, b in zip(speed[name], speed[base])]
        print(f"{name:30s} {statistics.median(speed[name]):15.1f} "
              f"{statistics.median(ratios):7.2f} {1000 * statistics.median(cpu[name]):11.2f} "
              f"{nbytes[name] / 2**20:9.1f}")
    print("ratio = median over rounds of (img/s) / (seed img/s); goal >= 1.0")


if __name__ == "__main__":
    main()
