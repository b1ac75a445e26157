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

__all__ = ["patient_id", "patient_id_from_pattern"]

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
    its own patient (the file name without folder and extension). A stem is
    not unique across folders (``NORMAL/img1.png`` and ``PNEUMONIA/img1.png``
    share ``img1``), so :func:`load_image_folder` and
    :func:`load_image_table` do not use this fallback: a file whose name is
    not Kermany's (and that has no DICOM ``PatientID``) gets an id of its
    own there, its path, and grouping is honestly off for it.

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
    load_image_folder : Fills ``groups`` with the Kermany ids this function finds.

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
    found = _kermany_id(stem)
    return stem if found is None else found


def _kermany_id(stem):
    """The Kermany patient of a file stem (``person1000``, ``IM-0115``), or None."""
    for pattern in (_PERSON, _IM):
        match = pattern.match(stem)
        if match:
            return match.group(1)
    return None


def _default_groups(filenames, headers, fallback_ids):
    """Patient ids when no ``group_fn``/column is given, and where each came from.

    For each file: its DICOM ``PatientID`` when set, else the Kermany patient
    of its name, else ``fallback_ids[i]``, an id unique to the file (e.g. its
    path inside the loaded folder): a bare file stem is not unique (a
    ``NORMAL/img1.png`` and a ``PNEUMONIA/img1.png`` are two patients), so
    it would silently merge unrelated images into one group. Returns
    ``(groups, sources)``, lists of str; ``sources[i]`` is ``"dicom"``,
    ``"kermany"`` or ``"none"``.
    """
    groups, sources = [], []
    for f, h, fallback in zip(filenames, headers, fallback_ids):
        if h and h.get("PatientID"):
            groups.append(str(h["PatientID"]))
            sources.append("dicom")
            continue
        found = _kermany_id(_stem(f)[1])
        if found is not None:
            groups.append(found)
            sources.append("kermany")
        else:
            groups.append(str(fallback))
            sources.append("none")
    return groups, sources


_SOURCE_TEXT = {
    "dicom": "from the DICOM PatientID tag",
    "kermany": "from Kermany file names (personN_..., IM-NNNN-...)",
    "none": "none found, one id per file (its path), so not grouped",
}


def _describe_groups(sources=None, *, group_fn=None, group_column=None):
    """One DESCR line saying where the patient ids (``groups``) came from."""
    if group_column is not None:
        return f"Patient ids (groups): from the column {str(group_column)!r} of the table."
    if group_fn is not None:
        if isinstance(group_fn, _PatternPatientId):
            return f"Patient ids (groups): from the file-name pattern {group_fn!r}."
        name = getattr(group_fn, "__qualname__", None) or type(group_fn).__name__
        return f"Patient ids (groups): from group_fn {name}."
    sources = list(sources or [])
    if not sources:
        return "Patient ids (groups): none (no images)."
    counts = {k: sources.count(k) for k in ("dicom", "kermany", "none") if k in sources}
    if len(counts) == 1:
        ((key, _),) = counts.items()
        return f"Patient ids (groups): {_SOURCE_TEXT[key]}."
    parts = [f"{n} image(s): {_SOURCE_TEXT[k]}" for k, n in counts.items()]
    return "Patient ids (groups): " + "; ".join(parts) + "."


class _PatternPatientId:
    """``group_fn`` made by :func:`patient_id_from_pattern` (a class so that it pickles)."""

    def __init__(self, regex, full_path):
        self.regex = regex
        self.full_path = full_path

    def __call__(self, filename):
        text = os.fspath(filename)
        text = PurePath(text).as_posix() if self.full_path else PurePath(text).name
        match = self.regex.search(text)
        if match is None or match.group(1) is None or match.group(1) == "":
            where = "path" if self.full_path else "file name"
            raise ValueError(
                f"The {where} {text!r} does not match the patient id pattern "
                f"r'{self.regex.pattern}' (or its first group is empty); fix the pattern "
                "or pass group_fn=<a function of the file name>."
            )
        return match.group(1)

    def __repr__(self):
        return f"patient_id_from_pattern(r'{self.regex.pattern}', full_path={self.full_path!r})"


def patient_id_from_pattern(regex, *, full_path=False):
    r"""A ``group_fn`` taking the patient id from file names with a regular expression.

    For data sets whose names :func:`patient_id` does not understand, e.g.
    NIH ChestX-ray14's ``00000001_000.png`` (patient ``00000001``, image 0).
    Pass the result as ``group_fn`` to :func:`load_image_folder` or
    :func:`load_image_table`.

    Parameters
    ----------
    regex : str or re.Pattern
        Regular expression with at least one capture group; the first group
        is the patient id. It is searched (``re.search``) in the
        file name (the last path component, extension included), so anchor
        it with ``^`` or ``$`` where that matters.
    full_path : bool, default=False
        Search the whole path (``/``-separated) instead of the file name,
        e.g. ``r"/([^/]+)/[^/]+/[^/]+$"`` for a ``class/patient/study/file``
        tree.

    Returns
    -------
    group_fn : callable
        ``group_fn(filename) -> str``. It raises ValueError naming the file
        and the pattern for a name that does not match: a patient id is
        never guessed.

    Raises
    ------
    ValueError
        When ``regex`` is not a valid regular expression or has no capture
        group.

    See Also
    --------
    patient_id : The default rule (Kermany names, else one patient per file).

    Examples
    --------
    >>> from xraynet.datasets import patient_id_from_pattern
    >>> nih = patient_id_from_pattern(r"^(\d+)_\d+")
    >>> nih("images/00000001_000.png"), nih("00000001_001.png")
    ('00000001', '00000001')
    >>> by_folder = patient_id_from_pattern(r"/([^/]+)/[^/]+/[^/]+$", full_path=True)
    >>> by_folder("PNEUMONIA/P0042/study1/IM0001")
    'P0042'
    """
    if isinstance(regex, re.Pattern):
        compiled = regex
    elif isinstance(regex, str):
        try:
            compiled = re.compile(regex)
        except re.error as exc:
            raise ValueError(
                f"patient_id_from_pattern: {regex!r} is not a valid regular expression ({exc})."
            ) from None
    else:
        raise TypeError(
            f"patient_id_from_pattern needs a regular expression (str), "
            f"got {type(regex).__name__}: {regex!r}."
        )
    if compiled.groups < 1:
        raise ValueError(
            f"patient_id_from_pattern: the pattern r'{compiled.pattern}' has no capture group; "
            "put the patient id in parentheses, e.g. r'^(\\d+)_' for 00000001_000.png."
        )
    return _PatternPatientId(compiled, bool(full_path))


def kermany_subtype(filename):
    """``"BACTERIA"``, ``"VIRUS"`` or None from a Kermany pneumonia file name."""
    _, stem = _stem(filename)
    found = {m.group(1).upper() for m in _SUBTYPE.finditer(stem)}
    if len(found) == 1:
        return found.pop()
    return None
