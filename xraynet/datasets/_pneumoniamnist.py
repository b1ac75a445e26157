"""PneumoniaMNIST (MedMNIST v2 / MedMNIST+) loader with a verified download."""

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from xraynet.utils import get_data_home

__all__ = ["fetch_pneumoniamnist", "PNEUMONIAMNIST_FILES"]

#: size -> (url, md5) as published by the MedMNIST project in ``medmnist/info.py``
#: (MedMNIST v3.0.2, Zenodo record 10.5281/zenodo.10519652). Tests patch this table.
PNEUMONIAMNIST_FILES = {
    28: (
        "https://zenodo.org/records/10519652/files/pneumoniamnist.npz?download=1",
        "28209eda62fecd6e6a2d98b1501bb15f",
    ),
    64: (
        "https://zenodo.org/records/10519652/files/pneumoniamnist_64.npz?download=1",
        "8f4eceb4ccffa70c672198ea285246c6",
    ),
    128: (
        "https://zenodo.org/records/10519652/files/pneumoniamnist_128.npz?download=1",
        "05b46931834c231683c68f40c47b2971",
    ),
    224: (
        "https://zenodo.org/records/10519652/files/pneumoniamnist_224.npz?download=1",
        "d6a3c71de1b945ea11211b03746c1fe1",
    ),
}

_SPLITS = ("train", "val", "test", "train+val")
_CHUNK = 1 << 16

DESCR = """PneumoniaMNIST (MedMNIST v2, Yang et al., Scientific Data 2023; CC BY 4.0)
Pediatric chest X-rays of Kermany et al. (Cell 2018), centre-cropped and resized
to {size}x{size} grey levels. Official splits: train 4,708 / val 524 / test 624
images; target 0 = normal, 1 = pneumonia. The test split is the Kermany test set.
File: {path}
"""


def _filename(size):
    return "pneumoniamnist.npz" if size == 28 else f"pneumoniamnist_{size}.npz"


def _md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url, dest, md5):
    """Stream ``url`` into a temporary file next to ``dest``; rename once the MD5 matches."""
    from tqdm.auto import tqdm

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    digest = hashlib.md5()
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=60)
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise OSError(
                    f"Could not download {dest.name} from {url}: {reason}. Download it by "
                    f"hand and save it as {dest}."
                ) from exc
            with response:
                total = response.headers.get("Content-Length")
                total = int(total) if total and total.isdigit() else None
                with tqdm(
                    total=total, unit="B", unit_scale=True, desc=dest.name, leave=False
                ) as bar:
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        out.write(chunk)
                        digest.update(chunk)
                        bar.update(len(chunk))
        got = digest.hexdigest()
        if md5 is not None and got != md5.lower():
            raise OSError(
                f"Checksum mismatch for {dest.name} downloaded from {url}: MD5 {got}, "
                f"expected {md5}. The download was discarded; try again."
            )
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def _load_split(path, split, size):
    """Read and validate ``{split}_images`` / ``{split}_labels`` from a MedMNIST npz."""
    try:
        with np.load(path, allow_pickle=False) as f:
            keys = set(f.files)
            wanted = (f"{split}_images", f"{split}_labels")
            missing = [k for k in wanted if k not in keys]
            if missing:
                raise ValueError(f"it has no {' / '.join(missing)} array (found {sorted(keys)})")
            X, y = f[wanted[0]], f[wanted[1]]
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, zlib.error, KeyError) as exc:
        raise ValueError(
            f"{path} is not a valid PneumoniaMNIST file ({exc}). Delete it and call "
            "fetch_pneumoniamnist(download=True) to fetch a fresh copy."
        ) from exc
    if X.dtype != np.uint8 or X.ndim != 3 or X.shape[1:] != (size, size):
        raise ValueError(
            f"{path}: {split}_images must be uint8 of shape (n, {size}, {size}); got "
            f"{X.dtype} {X.shape}. Delete the file and download it again."
        )
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{path}: {split}_labels must have shape ({X.shape[0]}, 1); got {y.shape}."
        )
    if y.size and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"{path}: {split}_labels must be 0 or 1; got {np.unique(y)}.")
    return X[..., np.newaxis], y.astype(np.int64)


def fetch_pneumoniamnist(*, split="train", size=28, data_home=None, download=True, return_X_y=True):
    """Load PneumoniaMNIST, downloading it from Zenodo if needed.

    PneumoniaMNIST (MedMNIST v2) holds the Kermany pediatric chest X-rays
    centre-cropped and resized: train 4,708, val 524 and test 624 images,
    label 0 = normal, 1 = pneumonia. Sizes 64, 128 and 224 are the MedMNIST+
    versions.

    Parameters
    ----------
    split : {"train", "val", "test", "train+val"}, default="train"
        Official split; ``"train+val"`` concatenates train and val.
    size : {28, 64, 128, 224}, default=28
        Image side in pixels. 28 reads ``pneumoniamnist.npz``, other sizes
        ``pneumoniamnist_{size}.npz``.
    data_home : str or path-like, default=None
        Folder holding the ``.npz`` files. None uses
        :func:`xraynet.utils.get_data_home` (``$XRAYNET_DATA``, else
        ``~/xraynet_data``).
    download : bool, default=True
        Download the file from Zenodo when it is not in ``data_home``. The
        download goes to a temporary file that is renamed only after its MD5
        matches the checksum published by MedMNIST.
    return_X_y : bool, default=True
        Return ``(X, y)``; False returns a Bunch with ``images``, ``target``,
        ``target_names``, ``filename`` and ``DESCR``.

    Returns
    -------
    X : ndarray of shape (n_samples, size, size, 1), dtype uint8
    y : ndarray of shape (n_samples,), dtype int64

    Raises
    ------
    FileNotFoundError
        When the file is absent and ``download=False``.
    OSError
        When the download fails or its checksum does not match.
    ValueError
        When ``split`` or ``size`` is invalid or the file is corrupt.

    Notes
    -----
    A file already in ``data_home`` is checked by its structure (keys,
    shapes, dtype), not by MD5, so re-packed copies are accepted.

    Examples
    --------
    >>> from xraynet.datasets import fetch_pneumoniamnist
    >>> X, y = fetch_pneumoniamnist(split="test", download=False)  # doctest: +SKIP
    >>> X.shape, X.dtype, y[:5]  # doctest: +SKIP
    ((624, 28, 28, 1), dtype('uint8'), array([0, 1, 1, 1, 0]))
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, _SPLITS))}; got {split!r}.")
    if isinstance(size, bool) or size not in PNEUMONIAMNIST_FILES:
        raise ValueError(
            f"size must be one of {', '.join(map(str, sorted(PNEUMONIAMNIST_FILES)))}; "
            f"got {size!r}."
        )
    size = int(size)
    home = get_data_home(data_home)
    path = home / _filename(size)
    url, md5 = PNEUMONIAMNIST_FILES[size]
    if not path.is_file():
        if not download:
            raise FileNotFoundError(
                f"PneumoniaMNIST file {path} not found. Call fetch_pneumoniamnist("
                f"download=True), or download {url} and save it as {path} (set "
                "$XRAYNET_DATA or data_home to use another folder)."
            )
        _download(url, path, md5)

    parts = ("train", "val") if split == "train+val" else (split,)
    arrays = [_load_split(path, part, size) for part in parts]
    X = np.concatenate([a[0] for a in arrays]) if len(arrays) > 1 else arrays[0][0]
    y = np.concatenate([a[1] for a in arrays]) if len(arrays) > 1 else arrays[0][1]
    if return_X_y:
        return X, y
    return Bunch(
        images=X,
        target=y,
        target_names=np.asarray(["normal", "pneumonia"]),
        filename=str(path),
        DESCR=DESCR.format(size=size, path=path),
    )
