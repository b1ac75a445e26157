"""
=============================
Loading and viewing X-rays
=============================

xraynet reads chest X-rays from two kinds of sources:

* a **folder of class sub-folders** such as the Kermany pediatric pneumonia set
  (``chest_xray/train/{NORMAL,PNEUMONIA}``): :func:`~xraynet.datasets.load_image_folder`
  lists the files, their labels and their patients, and :class:`~xraynet.io.ImageLoader`
  decodes them into one ``uint8`` array;
* **PneumoniaMNIST**, the MedMNIST v2 version of the same images at 28×28, returned by
  :func:`~xraynet.datasets.fetch_pneumoniamnist` as ready-made arrays.

This example looks at both: how many images of each class there are (the classes are far from
balanced) and what the images look like.

The data folder is taken from the ``XRAYNET_DATA`` environment variable; it must hold
``pneumoniamnist.npz`` and ``kermany224/train/``. Nothing is written into it.
"""

# %%
# Where the data lives
# --------------------
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

if "XRAYNET_DATA" not in os.environ:
    raise RuntimeError(
        "Set the XRAYNET_DATA environment variable to the folder holding "
        "pneumoniamnist.npz and kermany224/train/ to run this example."
    )
DATA = Path(os.environ["XRAYNET_DATA"])

# %%
# A folder of class sub-folders
# -----------------------------
# :func:`~xraynet.datasets.load_image_folder` does not decode anything: it returns a
# :class:`~sklearn.utils.Bunch` of file names, targets (0 = normal, 1 = pneumonia: the disease
# is the positive class), class names and patient ids parsed from the Kermany file names
# (``person1000_bacteria_2931.jpeg`` belongs to patient ``person1000``).
from xraynet.datasets import load_image_folder

kermany = load_image_folder(DATA / "kermany224" / "train")
print(kermany.target_names)
print(f"{len(kermany.filenames)} images of {len(np.unique(kermany.groups))} patients")
for name, path, group in zip(
    kermany.target_names[kermany.target[[0, -1]]],
    kermany.filenames[[0, -1]],
    kermany.groups[[0, -1]],
):
    print(f"{name:>10}: {Path(path).name:<32} patient {group}")

# %%
# Several pneumonia patients have more than one film: cross-validation has to keep each
# patient on one side of every split (pass ``groups=kermany.groups``), or the scores are
# inflated by the model recognising the patient rather than the disease.
_, films_per_patient = np.unique(kermany.groups, return_counts=True)
print(f"patients with more than one film: {np.sum(films_per_patient > 1)}")

# %%
# Decoding images with ``ImageLoader``
# ------------------------------------
# :class:`~xraynet.io.ImageLoader` is a stateless scikit-learn transformer from file paths to a
# ``uint8`` array ``(n_samples, height, width, channels)``, decoding in parallel threads
# (``n_jobs``). Here we decode 8 random images of each class at 64×64 grayscale.
from xraynet.io import ImageLoader

rng = np.random.default_rng(0)
pick = np.concatenate(
    [rng.choice(np.flatnonzero(kermany.target == k), 8, replace=False) for k in (0, 1)]
)
loader = ImageLoader(size=64, color="grayscale", n_jobs=2)
X_kermany = loader.transform(kermany.filenames[pick])
y_kermany = kermany.target[pick]
print(X_kermany.shape, X_kermany.dtype, X_kermany.min(), X_kermany.max())

# %%
# :class:`~xraynet.plotting.ImageGridDisplay` draws a few random images of each class.
from xraynet.plotting import ImageGridDisplay

ImageGridDisplay.from_images(
    X_kermany,
    y_kermany,
    target_names=kermany.target_names,
    n_per_class=6,
    title="Kermany train, decoded at 64×64",
)
plt.show()

# %%
# PneumoniaMNIST
# --------------
# :func:`~xraynet.datasets.fetch_pneumoniamnist` returns the official splits as ``uint8``
# arrays of shape ``(n, 28, 28, 1)`` and labels of shape ``(n,)``. It looks for
# ``pneumoniamnist.npz`` in ``data_home`` and would otherwise download it; with
# ``download=False`` it only reads the local copy.
from xraynet.datasets import fetch_pneumoniamnist

splits = {
    split: fetch_pneumoniamnist(split=split, data_home=DATA, download=False)
    for split in ("train", "val", "test")
}
for split, (X, y) in splits.items():
    print(f"{split:>5}: X {X.shape} {X.dtype}, {np.mean(y == 1):.0%} pneumonia")

# %%
# Class balance
# -------------
# :class:`~xraynet.plotting.ClassBalanceDisplay` counts the classes of each split. About three
# quarters of the training images show pneumonia — accuracy alone is a poor yardstick here
# (always answering "pneumonia" scores 74 %), which is why xraynet reports sensitivity,
# specificity and ROC AUC.
from xraynet.plotting import ClassBalanceDisplay

target_names = ["normal", "pneumonia"]
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
ClassBalanceDisplay.from_targets(
    {split: y for split, (_, y) in splits.items()},
    target_names=target_names,
    ax=axes[0],
    title="PneumoniaMNIST splits",
)
ClassBalanceDisplay.from_targets(
    {"train": kermany.target},
    target_names=kermany.target_names,
    ax=axes[1],
    title="Kermany train folder",
)
fig.tight_layout()
plt.show()

# %%
# At 28×28 the images keep the overall shape of the chest and the opacities of pneumonia, but
# little fine detail.
X_train, y_train = splits["train"]
ImageGridDisplay.from_images(
    X_train,
    y_train,
    target_names=target_names,
    n_per_class=6,
    title="PneumoniaMNIST train, 28×28",
)
plt.show()

# %%
# Awkward formats
# ---------------
# The same loader reads DICOM (with rescaling and windowing applied, and MONOCHROME1 films
# inverted so bone is bright), 16-bit PNG, TIFF and RGB files, and raises
# :class:`~xraynet.io.ImageLoadError` naming the file when one cannot be read.
from xraynet.io import ImageLoadError, read_image

formats = DATA / "formats"
if formats.is_dir():
    files = sorted(p for p in formats.iterdir() if not p.name.startswith("."))
    fig, axes = plt.subplots(1, len(files), figsize=(2 * len(files), 2.4))
    for ax, path in zip(np.atleast_1d(axes), files):
        image = read_image(path)
        ax.imshow(image[..., 0], cmap="gray")
        ax.set_title(f"{path.suffix}\n{image.shape[0]}×{image.shape[1]}", fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    plt.show()

try:
    ImageLoader(size=64).transform([str(DATA / "no-such-file.jpeg")])
except ImageLoadError as exc:
    print(f"{type(exc).__name__}: {exc}")
