"""Patient ids and pneumonia subtypes parsed from Kermany file names.

Kermany et al. (Cell 2018) name their chest X-rays after the patient:
``person1000_bacteria_2931.jpeg`` and ``person1000_virus_1681.jpeg`` are two
images of patient ``person1000``; normal images are ``IM-0115-0001.jpeg`` or
``NORMAL2-IM-0588-0001.jpeg`` where ``IM-0115`` / ``NORMAL2-IM-0588`` is the
patient and the trailing number(s) count the images of that patient.
"""

import os
import re
from pathlib import PurePath

__all__ = ["patient_id"]

# personN_bacteria_M.jpeg, personN_virus_M_K.jpeg -> personN
_PERSON = re.compile(r"^(person\d+)_", re.IGNORECASE)
# IM-0115-0001.jpeg, IM-0429-0001-0002.jpeg, NORMAL2-IM-0588-0001.jpeg -> IM-0115, ...
_IM = re.compile(r"^((?:NORMAL\d*-)?IM-\d+)-\d+", re.IGNORECASE)
# _bacteria_ / -virus. etc. anywhere in the name
_SUBTYPE = re.compile(r"(?:^|[_\-.\s])(bacteria|virus)(?=[_\-.\s]|$)", re.IGNORECASE)


def _stem(filename):
    name = PurePath(os.fspath(filename)).name
    stem, _ = os.path.splitext(name)
    return name, stem


def patient_id(filename):
    """Patient identifier of a chest X-ray from its file name.

    Understands the naming of the Kermany pediatric pneumonia data set
    (``chest_xray/{train,test,val}/{NORMAL,PNEUMONIA}``); any other name is
    its own patient (the file name without folder and extension), so that
    grouped cross-validation never does worse than ungrouped.

    Parameters
    ----------
    filename : str or path-like
        File name or path; only the last component is used.

    Returns
    -------
    patient : str
        ``"person1000"`` for ``person1000_bacteria_2931.jpeg``,
        ``"IM-0115"`` for ``IM-0115-0001.jpeg``,
        ``"NORMAL2-IM-0588"`` for ``NORMAL2-IM-0588-0001.jpeg``,
        otherwise the file stem (``"00000001_000"`` for ``00000001_000.png``).

    See Also
    --------
    load_image_folder : Uses this function to fill ``groups``.

    Examples
    --------
    >>> from xraynet.datasets import patient_id
    >>> patient_id("chest_xray/train/PNEUMONIA/person1000_virus_1681.jpeg")
    'person1000'
    >>> patient_id("IM-0115-0001.jpeg")
    'IM-0115'
    >>> patient_id("NORMAL2-IM-0588-0001.jpeg")
    'NORMAL2-IM-0588'
    >>> patient_id("scan_42.png")
    'scan_42'
    """
    name, stem = _stem(filename)
    if not name:
        raise ValueError(f"patient_id needs a file name, got {filename!r}.")
    for pattern in (_PERSON, _IM):
        match = pattern.match(stem)
        if match:
            return match.group(1)
    return stem


def kermany_subtype(filename):
    """``"BACTERIA"``, ``"VIRUS"`` or None from a Kermany pneumonia file name."""
    _, stem = _stem(filename)
    found = {m.group(1).upper() for m in _SUBTYPE.finditer(stem)}
    if len(found) == 1:
        return found.pop()
    return None
