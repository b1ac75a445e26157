"""Benchmark: CNNClassifier fit/predict (float32, bfloat16) vs the seed notebook's Keras loop.

All sides train the same seed network (5 conv blocks, 1,246,401 parameters
at 150 px) for ``--epochs`` epochs on the same ``--n`` real Kermany chest
X-rays resized to ``--size`` px with ``cv2.resize``, batch size 32, RMSprop
at 1e-3, binary cross-entropy, with the seed's augmentation parameters
(rotation 30, zoom 0.2, shifts 0.1, horizontal flip) and no validation data,
then predict ``--n-eval`` held-out images of other patients (a fixed
patient-grouped split of Kermany train: no patient on both sides).

* seed: ``x = np.array(images) / 255`` (float64, reshaped to (n, s, s, 1)),
  a ``keras.Sequential`` copy of the network,
  ``model.fit(ImageDataGenerator(...).flow(x, y, batch_size=32))`` and
  ``model.predict(x_eval / 255)``;
* xraynet float32 / bfloat16: ``CNNClassifier(augmentation=Augmenter(...),
  validation_fraction=0, precision=...).fit(images_uint8, y)`` -- uint8
  batches, per-batch augmentation prefetched in a background thread,
  rescaling inside the network -- and ``predict_proba(x_eval_uint8)`` (one
  traced inference function, 256-image batches, fused batch norms).

* network alone float32 / bfloat16: the same network's ``train_on_batch``
  on in-memory batches of the un-augmented images, steady state (two
  warm-up steps untimed), then ``predict_on_batch`` in 256-image batches:
  the ceiling that no input pipeline can pass with this arithmetic on this
  machine. Its fit ratio to the seed says how much of a fit target the
  hardware allows at all.

Timed: fit is everything from the images in memory to a trained model (the
/255 conversion, building, compiling, tracing and all epochs), predict
everything from the held-out images to probabilities (tracing included).
Throughput is images per second. The sides alternate within every round (the
order reverses every round); the table shows median img/s, the median
per-round ratio to the seed, the median held-out AUC and the memory held by
the training input (float64 vs uint8). The AUC guards against a speed-up
that breaks the network (NaN, constant output); after 1-3 epochs on a few
hundred 150 px images the probabilities of this recipe often saturate at 1.0
for every seed and precision (AUC 0.5), so it does not rank recipes.

Usage::

    python benchmarks/bench_training.py                  # n=1000, 600 held out, 3 rounds
    python benchmarks/bench_training.py --n 640 --rounds 3
    python benchmarks/bench_training.py --quick          # CI smoke run, < 60 s
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

SEED_AUG = dict(
    rotation_range=30,
    zoom_range=0.2,
    width_shift_range=0.1,
    height_shift_range=0.1,
    horizontal_flip=True,
)


def load_images(n, n_eval, size, data):
    """(X, y, X_eval, y_eval, description): uint8 (n, size, size, 1) images and labels.

    Kermany train split by patient (fixed seed): training images and held-out
    images never share a patient. Falls back to PneumoniaMNIST train / val
    (upsampled) and then to synthetic images.
    """
    home = os.environ.get("XRAYNET_DATA")
    folder = Path(data) if data else (Path(home) / "kermany224" / "train" if home else None)
    rng = np.random.default_rng(0)

    def resize(images):
        return np.stack(
            [cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA) for im in images]
        )[..., None]

    if folder is not None and folder.is_dir():
        from sklearn.model_selection import GroupShuffleSplit

        from xraynet.datasets import patient_id

        paths, labels = [], []
        for label, name in enumerate(["NORMAL", "PNEUMONIA"]):
            files = sorted((folder / name).glob("*.jp*g"))
            paths += files
            labels += [label] * len(files)
        if paths:
            labels = np.array(labels)
            groups = [patient_id(p.name) for p in paths]
            train, held = next(
                GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=0).split(
                    paths, labels, groups
                )
            )
            tr = rng.choice(train, min(n, len(train)), replace=False)
            ev = rng.choice(held, min(n_eval, len(held)), replace=False)

            def read(idx):
                return resize([cv2.imread(str(paths[i]), cv2.IMREAD_GRAYSCALE) for i in idx])

            return (
                read(tr),
                labels[tr],
                read(ev),
                labels[ev],
                f"{len(tr)} + {len(ev)} held-out (other patients) Kermany JPEGs from {folder}",
            )
    npz = Path(home) / "pneumoniamnist.npz" if home else None
    if npz is not None and npz.is_file():
        with np.load(npz) as f:  # never the test split
            X, y = f["train_images"][:n], f["train_labels"][:n].ravel()
            Xe, ye = f["val_images"][:n_eval], f["val_labels"][:n_eval].ravel()
        return (
            resize(X),
            y,
            resize(Xe),
            ye,
            f"{len(X)} PneumoniaMNIST train + {len(Xe)} val images upsampled",
        )
    X = rng.integers(0, 256, size=(n + n_eval, size, size, 1), dtype=np.uint8)
    y = np.arange(n + n_eval) % 2
    return X[:n], y[:n], X[n:], y[n:], f"{n} + {n_eval} SYNTHETIC random images (no data found)"


def image_data_generator():
    for module in (
        "keras.preprocessing.image",
        "keras._tf_keras.keras.preprocessing.image",
        "keras.src.legacy.preprocessing.image",
    ):
        try:
            return __import__(module, fromlist=["ImageDataGenerator"]).ImageDataGenerator
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


def run_seed(images, y, X_eval, epochs, size):
    import keras

    keras.backend.clear_session()
    x = np.array(images).reshape(-1, size, size, 1) / 255  # float64, as in the seed
    datagen = image_data_generator()(**SEED_AUG)
    datagen.fit(x)
    model = seed_network(size)
    model.fit(datagen.flow(x, y, batch_size=32), epochs=epochs, verbose=0)

    def predict():
        return model.predict(np.array(X_eval).reshape(-1, size, size, 1) / 255, verbose=0)[:, 0]

    return x.nbytes, predict, None


def run_ours(images, y, X_eval, epochs, precision):
    from xraynet.augmentation import Augmenter
    from xraynet.models import CNNClassifier

    clf = CNNClassifier(
        epochs=epochs,
        batch_size=32,
        augmentation=Augmenter(**SEED_AUG),
        validation_fraction=0,
        precision=precision,
        random_state=0,
    )
    clf.fit(images, y)
    return images.nbytes, lambda: clf.predict_proba(X_eval)[:, 1], None


def run_ceiling(images, y, X_eval, epochs, precision):
    """The network alone: ``train_on_batch`` on in-memory float32 batches, steady state.

    CNNClassifier's own network under ``precision``, no augmentation, no input
    pipeline, no build/compile/trace time (two warm-up steps are not timed):
    the most any input pipeline could reach with this arithmetic on this
    machine. Returns its own timed seconds, which replace the wall time.
    """
    import keras
    import tensorflow as tf

    from xraynet.models import CNNClassifier
    from xraynet.models._precision import precision_scope

    keras.backend.clear_session()
    with precision_scope(precision):
        net = CNNClassifier()._build_network(images.shape[1:], 1)
    net.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="binary_crossentropy")
    batches = [
        (tf.constant(images[i : i + 32], tf.float32), tf.constant(y[i : i + 32, None], tf.float32))
        for i in range(0, len(images) - 31, 32)
    ]
    for xb, yb in batches[:2]:
        net.train_on_batch(xb, yb)
    t0 = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in batches:
            net.train_on_batch(xb, yb)
    seconds = (time.perf_counter() - t0) * len(images) / (32 * len(batches))

    def predict():
        x = tf.constant(X_eval, tf.float32)
        return np.concatenate(
            [net.predict_on_batch(x[i : i + 256])[:, 0] for i in range(0, len(X_eval), 256)]
        )

    return images.nbytes, predict, seconds


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1000, help="training images (default 1000)")
    p.add_argument("--n-eval", type=int, default=600, help="held-out images (default 600)")
    p.add_argument("--epochs", type=int, default=1, help="epochs per fit (default 1)")
    p.add_argument("--size", type=int, default=150, help="image side (default 150)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    p.add_argument("--data", default=None, help="Kermany train folder (NORMAL/, PNEUMONIA/)")
    p.add_argument(
        "--quick", action="store_true", help="CI smoke run: 32 + 64 images, 48 px, 1 round"
    )
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.n_eval, args.size, args.epochs, args.rounds = 32, 64, 48, 1, 1

    images, y, X_eval, y_eval, source = load_images(args.n, args.n_eval, args.size, args.data)
    import tensorflow as tf
    from sklearn.metrics import roc_auc_score

    from xraynet.models._precision import hardware_bfloat16

    print(
        f"data: {source}; {args.size}x{args.size}x1, epochs={args.epochs}, batch 32, "
        f"rounds={args.rounds}; TensorFlow {tf.__version__}, {os.cpu_count()} CPU(s), "
        f"native bfloat16: {hardware_bfloat16()}"
    )
    work = len(images) * args.epochs
    sides = {
        "seed ImageDataGenerator.flow": lambda: run_seed(images, y, X_eval, args.epochs, args.size),
        "xraynet CNNClassifier float32": lambda: run_ours(
            images, y, X_eval, args.epochs, "float32"
        ),
        "xraynet CNNClassifier bfloat16": lambda: run_ours(
            images, y, X_eval, args.epochs, "bfloat16"
        ),
        "network alone float32": lambda: run_ceiling(images, y, X_eval, args.epochs, "float32"),
        "network alone bfloat16": lambda: run_ceiling(images, y, X_eval, args.epochs, "bfloat16"),
    }
    names = list(sides)
    fit_speed = {k: [] for k in names}
    pred_speed = {k: [] for k in names}
    auc = {k: [] for k in names}
    nbytes = {}
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            t0 = time.perf_counter()
            nbytes[name], predict, fit_seconds = sides[name]()
            t1 = time.perf_counter()
            proba = predict()
            t2 = time.perf_counter()
            fit_s = fit_seconds if fit_seconds is not None else t1 - t0
            fit_speed[name].append(work / fit_s)
            pred_speed[name].append(len(X_eval) / (t2 - t1))
            auc[name].append(roc_auc_score(y_eval, proba) if len(set(y_eval)) > 1 else float("nan"))
            print(
                f"  round {r + 1}: {name:31s} fit {fit_s:6.1f} s {fit_speed[name][-1]:7.1f} "
                f"img/s  predict {pred_speed[name][-1]:7.1f} img/s  AUC {auc[name][-1]:.3f}",
                flush=True,
            )
    base = names[0]

    def ratio(speed, name):
        return statistics.median(s / b for s, b in zip(speed[name], speed[base]))

    print(
        f"\n{'side':31s} {'fit img/s':>10s} {'ratio':>6s} {'predict img/s':>14s} {'ratio':>6s} "
        f"{'AUC':>6s} {'input MB':>9s}"
    )
    for name in names:
        print(
            f"{name:31s} {statistics.median(fit_speed[name]):10.1f} {ratio(fit_speed, name):6.2f} "
            f"{statistics.median(pred_speed[name]):14.1f} {ratio(pred_speed, name):6.2f} "
            f"{statistics.median(auc[name]):6.3f} {nbytes[name] / 2**20:9.1f}"
        )
    print(
        "img/s and AUC (held-out patients): medians over rounds; ratio = median over rounds "
        "of (img/s) / (seed img/s). 'network alone': steady-state train_on_batch on in-memory "
        "batches (no augmentation, no input pipeline, no build or tracing time) and "
        "predict_on_batch: the ceiling of any input pipeline with this arithmetic here"
    )


if __name__ == "__main__":
    main()
