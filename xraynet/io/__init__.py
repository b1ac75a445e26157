"""Reading chest X-ray files: JPEG, PNG (8/16-bit), BMP, TIFF and DICOM.

:class:`ImageLoader` turns a list of file paths into one ``uint8`` batch
``(n_samples, height, width, channels)`` inside a scikit-learn pipeline;
:func:`read_image` reads one file, :func:`read_mask` one lung mask (PNG or
COCO / V7 polygon JSON; ``ImageLoader(mask_mode="crop" | "zero")`` applies
masks); :class:`ImageLoadError` names the file
that could not be read and why.
"""

from ._errors import ImageLoadError
from ._loader import ImageLoader
from ._masks import read_mask
from ._readers import read_image

__all__ = ["ImageLoader", "ImageLoadError", "read_image", "read_mask"]
