"""Fixtures shared by every test module (repo root so tests beside the code see them)."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")


def _data_root():
    value = os.environ.get("XRAYNET_DATA")
    if not value:
        return None, "XRAYNET_DATA is not set (CI sets it to ../shared/data)"
    path = Path(value)
    if not path.is_dir():
        return None, f"XRAYNET_DATA={value} is not a directory"
    return path, None


@pytest.fixture(scope="session")
def data_dir():
    """The shared real-data folder; skips the test when it is absent."""
    path, why = _data_root()
    if path is None:
        pytest.skip(f"needs real data: {why}")
    return path


@pytest.fixture(scope="session")
def formats_dir(data_dir):
    path = data_dir / "formats"
    if not path.is_dir():
        pytest.skip(f"needs {path} (the shared awkward-format images)")
    return path


@pytest.fixture(scope="session")
def kermany_dir(data_dir):
    path = data_dir / "kermany224" / "train"
    if not path.is_dir():
        pytest.skip(f"needs {path} (the Kermany train JPEGs)")
    return path


@pytest.fixture(scope="session")
def pneumoniamnist_path(data_dir):
    path = data_dir / "pneumoniamnist.npz"
    if not path.is_file():
        pytest.skip(f"needs {path} (PneumoniaMNIST)")
    return path


@pytest.fixture(scope="session")
def pneumoniamnist_small(pneumoniamnist_path):
    """A small stratified real subset of PneumoniaMNIST: (X_train, y_train, X_held, y_held).

    100 train images per class, and 50 per class from the val split as the held-out part.

    uint8 (n, 28, 28, 1) images, int labels 0 = normal, 1 = pneumonia.
    """
    import numpy as np

    with np.load(pneumoniamnist_path) as f:
        Xtr, ytr = f["train_images"], f["train_labels"].ravel().astype(int)
        # the held-out part comes from val: the test split is read once per protocol, by
        # benchmarks/pneumoniamnist.py, never by unit tests
        Xte, yte = f["val_images"], f["val_labels"].ravel().astype(int)
    rng = np.random.RandomState(0)

    def pick(y, n_per_class):
        idx = np.concatenate(
            [rng.choice(np.flatnonzero(y == c), n_per_class, replace=False) for c in (0, 1)]
        )
        return np.sort(idx)

    i, j = pick(ytr, 100), pick(yte, 50)
    return Xtr[i, ..., None], ytr[i], Xte[j, ..., None], yte[j]


def _write_dicom(path, pixels, *, bits_stored=None, **tags):
    """Write ``pixels`` (2-D uint8 or uint16) as an uncompressed MONOCHROME2 DICOM file.

    ``bits_stored`` defaults to the dtype's width; ``tags`` (``PatientID=...``,
    ``WindowWidth=...``) are set on the header. The file has the standard
    128-byte preamble and ``DICM`` magic, whatever its name. Returns ``path``.
    """
    import numpy as np
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    pixels = np.asarray(pixels)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"  # computed radiography
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CR"
    ds.set_pixel_data(pixels, "MONOCHROME2", bits_stored or pixels.dtype.itemsize * 8)
    for name, value in tags.items():
        setattr(ds, name, value)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture(scope="session")
def write_dicom():
    """``write_dicom(path, pixels, *, bits_stored=None, **tags)``: a real DICOM file made by pydicom."""
    pytest.importorskip("pydicom")
    return _write_dicom
