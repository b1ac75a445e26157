"""Chest X-ray data sets: image folders, metadata tables and PneumoniaMNIST."""

from ._dicom import is_dicom_file, parse_dicom_age
from ._folder import IMAGE_EXTENSIONS, NORMAL_NAMES, is_normal_name, load_image_folder
from ._patients import patient_id, patient_id_from_pattern
from ._pneumoniamnist import fetch_pneumoniamnist
from ._table import load_image_table

__all__ = [
    "IMAGE_EXTENSIONS",
    "NORMAL_NAMES",
    "fetch_pneumoniamnist",
    "is_dicom_file",
    "is_normal_name",
    "load_image_folder",
    "load_image_table",
    "parse_dicom_age",
    "patient_id",
    "patient_id_from_pattern",
]
