"""Patient ids and subgroup metadata from DICOM headers."""

import math
import os
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["parse_dicom_age"]

_DICOM_EXTENSIONS = (".dcm", ".dicom")
_TAGS = ("PatientID", "ViewPosition", "PatientSex", "PatientAge")
#: Metadata columns of ``load_image_folder(...).metadata``.
METADATA_COLUMNS = ("filename", "PatientID", "ViewPosition", "PatientSex", "PatientAge")
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([DWMY]?)\s*$", re.IGNORECASE)
_UNIT_YEARS = {"": 1.0, "Y": 1.0, "M": 1 / 12, "W": 7 / 365.25, "D": 1 / 365.25}


def parse_dicom_age(value):
    """Age in years from a DICOM ``PatientAge`` (Age String) value.

    The DICOM Age String is three digits and a unit: ``D`` days, ``W``
    weeks, ``M`` months, ``Y`` years. Exports also carry bare numbers
    (read as years).

    Parameters
    ----------
    value : str or None
        The ``PatientAge`` value, e.g. ``"045Y"``.

    Returns
    -------
    age : float
        Years (``"045Y"`` -> 45.0, ``"006M"`` -> 0.5, ``"62"`` -> 62.0);
        NaN for an empty, missing or unreadable value.

    Examples
    --------
    >>> from xraynet.datasets import parse_dicom_age
    >>> parse_dicom_age("045Y"), parse_dicom_age("006M"), parse_dicom_age("")
    (45.0, 0.5, nan)
    """
    if value is None:
        return math.nan
    match = _AGE.match(str(value))
    if match is None:
        return math.nan
    return float(match.group(1)) * _UNIT_YEARS[match.group(2).upper()]


def _is_dicom(path):
    """True when ``path`` has the DICOM ``DICM`` magic at byte 128 (reads 132 bytes)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


_OTHER_IMAGES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


def is_dicom_file(path):
    """Whether ``path`` is a DICOM file, judged by its name or its first 132 bytes.

    True for a ``.dcm``/``.dicom`` name, or a file of no other image extension
    (``IM1``, ``1.2.840...``, from a PACS export) with the DICOM magic ``DICM``
    at byte 128. JPEG, PNG, BMP and TIFF names are not opened.

    Parameters
    ----------
    path : str or path-like
        A file name.

    Returns
    -------
    bool
        Whether the file is (or is named as) a DICOM file.

    Examples
    --------
    >>> from xraynet.datasets import is_dicom_file
    >>> is_dicom_file("study/IM-0001.dcm"), is_dicom_file("film.jpeg")
    (True, False)
    """
    ext = os.path.splitext(str(path))[1].lower()
    if ext in _DICOM_EXTENSIONS:
        return True
    return ext not in _OTHER_IMAGES and _is_dicom(path)


def _header(path):
    """The tags of ``_TAGS`` of one DICOM file as str (None when absent or unreadable)."""
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True, specific_tags=list(_TAGS))
    except Exception:  # pydicom raises many types on a damaged header
        return dict.fromkeys(_TAGS)
    out = {}
    for tag in _TAGS:
        value = ds.get(tag)
        value = None if value is None else str(value).strip()
        out[tag] = value or None
    return out


def read_dicom_headers(filenames):
    """One dict of ``_TAGS`` per file (threads); None for a file that is not DICOM."""
    filenames = [str(f) for f in filenames]
    dicom = [is_dicom_file(f) for f in filenames]
    todo = [f for f, d in zip(filenames, dicom) if d]
    if not todo:
        return [None] * len(filenames)
    workers = min(32, (os.cpu_count() or 1) + 4, len(todo))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        found = iter(list(pool.map(_header, todo)))
    return [next(found) if d else None for d in dicom]


def metadata_frame(filenames, headers):
    """DataFrame of ``METADATA_COLUMNS``, one row per file (NaN/None off DICOM)."""
    import pandas as pd

    rows = []
    for name, head in zip(filenames, headers):
        head = head or {}
        rows.append(
            {
                "filename": str(name),
                "PatientID": head.get("PatientID"),
                "ViewPosition": head.get("ViewPosition"),
                "PatientSex": head.get("PatientSex"),
                "PatientAge": parse_dicom_age(head.get("PatientAge")),
            }
        )
    frame = pd.DataFrame(rows, columns=list(METADATA_COLUMNS))
    frame["PatientAge"] = frame["PatientAge"].astype(np.float64)
    return frame
