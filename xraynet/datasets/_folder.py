"""Load a folder of class sub-folders of chest X-ray images."""

import os
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from xraynet._normal import NORMAL_NAMES as _NORMAL_NAMES
from xraynet._normal import find_normal_class, is_normal_name

from ._dicom import _is_dicom, metadata_frame, read_dicom_headers
from ._patients import _default_groups, _describe_groups, kermany_subtype

__all__ = ["load_image_folder", "IMAGE_EXTENSIONS", "NORMAL_NAMES", "is_normal_name"]

#: File extensions :func:`load_image_folder` treats as images (lower case).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".dcm", ".dicom")

#: Class names recognised as the normal class: a name made only of these
#: words (any case, any separators) is normal, e.g. ``healthy_controls``; see
#: :func:`is_normal_name`.
NORMAL_NAMES = _NORMAL_NAMES

_HIDDEN = {"thumbs.db", "desktop.ini", "__macosx"}
_N_SHOWN = 5


def _key(name):
    return " ".join(str(name).lower().replace("_", " ").replace("-", " ").split())


def _is_hidden(name):
    return name.startswith(".") or name.lower() in _HIDDEN


def _preview(items, n=_N_SHOWN):
    """``'a', 'b', 'c' and 4 more`` for warnings and errors."""
    items = [str(i) for i in items]
    shown = ", ".join(repr(i) for i in items[:n])
    if len(items) > n:
        shown += f" and {len(items) - n} more"
    return shown


def _match_name(wanted, names, argument, what):
    """``wanted`` among ``names``: exact, else the one equal up to case and separators."""
    if wanted in names:
        return wanted
    hits = [n for n in names if _key(n) == _key(wanted)]
    if len(hits) == 1:
        return hits[0]
    raise ValueError(f"{argument}={wanted!r} is not one of the {what}: {_preview(names, 20)}.")


def _resolve_normal(pool, *, normal_class, normal_names, known, what):
    """The normal class of ``pool`` (the classes loaded); see :func:`load_image_folder`.

    ``known`` are the names ``normal_class`` may be (for a folder: every
    sub-folder, loaded or not). Returns the normal class name.
    """
    if normal_class is not None and normal_names is not None:
        raise ValueError(
            "Pass normal_class (the normal class) or normal_names (names that "
            "mean normal), not both."
        )
    if normal_class is not None:
        if not isinstance(normal_class, str):
            raise TypeError(f"normal_class must be a class name (str); got {normal_class!r}.")
        return _match_name(normal_class, list(known), "normal_class", what)
    if normal_names is not None:
        wanted = {
            _key(n) for n in ([normal_names] if isinstance(normal_names, str) else normal_names)
        }
        hits = [c for c in pool if _key(c) in wanted]
        if len(hits) != 1:
            raise ValueError(
                f"normal_names={normal_names!r} matches {len(hits)} of the {what} "
                f"{_preview(pool, 20)}; it must match exactly one. Pass normal_class=<the "
                "normal class> instead."
            )
        return hits[0]
    return find_normal_class(pool, argument="normal_class", what=what)


def _order_classes(names, normal_class=None, normal_names=None, *, what="classes"):
    """``(class order, normal present)``: the normal class first (target 0), then the
    others sorted. A ``normal_class`` absent from ``names`` still takes target 0."""
    names = sorted(names)
    known = list(names)
    if normal_class is not None and isinstance(normal_class, str):
        hits = [n for n in names if n == normal_class or _key(n) == _key(normal_class)]
        if not hits:
            known.append(normal_class)  # named by the user, no sample of it
    normal = _resolve_normal(
        names, normal_class=normal_class, normal_names=normal_names, known=known, what=what
    )
    return [normal] + [n for n in names if n != normal], normal in names


def _normalise_extensions(extensions):
    if extensions is None:
        return IMAGE_EXTENSIONS
    if isinstance(extensions, str):
        extensions = [extensions]
    out = tuple("." + str(e).lower().lstrip(".") for e in extensions)
    if not out:
        raise ValueError("extensions must name at least one file extension.")
    return out


def _check_readable(filenames, *, what="files"):
    """Decode every file with :func:`xraynet.io.read_image` in threads.

    Returns a boolean mask of readable files and warns once about the others.
    """
    from xraynet.io import ImageLoadError, read_image

    def ok(path):
        try:
            read_image(path)
        except (ImageLoadError, OSError, ValueError):
            return False
        return True

    filenames = list(filenames)
    if not filenames:
        return np.zeros(0, dtype=bool)
    workers = min(32, (os.cpu_count() or 1) + 4, len(filenames))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        mask = np.fromiter(pool.map(ok, filenames), dtype=bool, count=len(filenames))
    if not mask.all():
        bad = [f for f, good in zip(filenames, mask) if not good]
        warnings.warn(
            f"Skipped {len(bad)} unreadable {what}: {_preview(bad)}.",
            UserWarning,
            stacklevel=3,
        )
    return mask


def _list_class_folders(root):
    if not root.exists():
        raise ValueError(f"Image folder {str(root)!r} does not exist.")
    if not root.is_dir():
        raise ValueError(
            f"{str(root)!r} is a file; load_image_folder needs a folder holding one "
            "sub-folder per class (e.g. chest_xray/train with NORMAL/ and PNEUMONIA/)."
        )
    folders = sorted(p.name for p in root.iterdir() if p.is_dir() and not _is_hidden(p.name))
    if not folders:
        raise ValueError(
            f"Image folder {str(root)!r} has no class sub-folders; expected one "
            "sub-folder per class (e.g. NORMAL/ and PNEUMONIA/) holding the images."
        )
    return folders


def _scan_class(folder, extensions):
    """Image files, skipped non-image files and direct sub-folder names of a class folder.

    Walks ``folder`` recursively (hidden files and folders skipped); image and
    skipped files are paths relative to ``folder`` as str, sorted by their
    path components so that the order does not depend on the file system.
    A file whose extension is not in ``extensions`` is still an image when it
    is a DICOM file (``DICM`` at byte 128) and DICOM extensions are loaded.
    """
    sniff_dicom = bool(set(extensions) & {".dcm", ".dicom"})
    images, skipped, subdirs, errors = [], [], [], []
    for dirpath, dirnames, files in os.walk(folder, onerror=errors.append):
        dirnames[:] = sorted(d for d in dirnames if not _is_hidden(d))
        rel = Path(dirpath).relative_to(folder)
        if rel == Path("."):
            subdirs = list(dirnames)
        for name in files:
            if _is_hidden(name):
                continue
            relname = rel / name
            if os.path.splitext(name)[1].lower() in extensions or (
                sniff_dicom and _is_dicom(os.path.join(dirpath, name))
            ):
                images.append(relname)
            else:
                skipped.append(relname)
    if errors:  # os.walk skips a folder it cannot read without a word: images would be lost
        err = errors[0]
        raise ValueError(
            f"Class folder {str(folder)!r}: cannot read {err.filename!r} ({err.strerror}); "
            "fix its permissions or move it out of the class folder."
        )
    images.sort(key=lambda r: r.parts)
    skipped.sort(key=lambda r: r.parts)
    return [str(r) for r in images], [str(r) for r in skipped], subdirs


def _class_images(folder, exts):
    """Image and other file names of a class folder; error when it holds no image."""
    images, other, subdirs = _scan_class(folder, exts)
    if not images:
        hint = (
            f"; it holds sub-folders {_preview(subdirs)}: pass a folder whose "
            f"sub-folders are the classes (e.g. {str(folder)!r})"
            if subdirs
            else ""
        )
        raise ValueError(
            f"Class folder {str(folder)!r} holds no image files "
            f"(extensions {' '.join(exts)}, also in its sub-folders){hint}."
        )
    return images, other


def _check_level(folder):
    """Error when the sub-folders of ``folder`` look like classes (one is normal):
    the user passed the data set root (``chest_xray``) instead of a split folder."""
    subdirs = sorted(p.name for p in folder.iterdir() if p.is_dir() and not _is_hidden(p.name))
    if any(is_normal_name(d) for d in subdirs):
        raise ValueError(
            f"Class folder {str(folder)!r} holds sub-folders {_preview(subdirs)} that look "
            f"like classes: pass a folder whose sub-folders are the classes "
            f"(e.g. {str(folder)!r})."
        )


def load_image_folder(
    path,
    *,
    return_X_y=False,
    classes=None,
    normal_class=None,
    normal_names=None,
    group_fn=None,
    subtype_from_filename=False,
    check_files=False,
    extensions=None,
):
    """Load the file names and labels of a folder of class sub-folders.

    Reads the layout of the Kermany pediatric pneumonia data set
    (``chest_xray/{train,test,val}/{NORMAL,PNEUMONIA}``) or any folder with
    one sub-folder per class. Images are not decoded (unless
    ``check_files=True``): feed ``filenames`` to :class:`xraynet.ImageLoader`.

    The class of an image is the first-level sub-folder it lies under; a
    class folder is read recursively, so a PACS export laid out as
    ``class/patient/study/*.dcm`` loads as it is. Hidden files and folders
    (names starting with ``.``, ``Thumbs.db``, ``__MACOSX``, ...) are skipped
    at every level, and the order is deterministic (class order, then the
    path inside the class folder, component by component). DICOM files are
    found without a ``.dcm`` extension too (PACS exports often name them
    by UID): a file whose extension is not an image extension is loaded when
    it holds the DICOM magic ``DICM`` at byte 128 (only its first 132 bytes
    are read).

    Parameters
    ----------
    path : str or path-like
        Folder holding one sub-folder per class, e.g. ``chest_xray/train``;
        each class folder may hold images in nested sub-folders.
    return_X_y : bool, default=False
        Return ``(filenames, target)`` instead of a Bunch.
    classes : list of str, default=None
        Sub-folders to load, in target order. ``classes[0]`` is target 0 and
        must be the normal class (see ``normal_class``). None loads every
        sub-folder: the normal class first (target 0), then the disease
        classes in sorted order.
    normal_class : str, default=None
        The sub-folder holding the normal images (target 0; matched exactly,
        else up to case and ``_``/``-``/space). None recognises it by name:
        the one class folder named only with words of :data:`NORMAL_NAMES`
        (normal, healthy, negative, control(s), no finding(s); any case and
        separators, so ``NORMAL``, ``No_Finding`` and ``healthy_controls``
        match, ``abnormal`` or ``covid_negative`` do not). No such folder,
        or several, is a ValueError asking for ``normal_class``: xraynet
        never guesses the normal class. A ``normal_class`` that is a
        sub-folder but not in ``classes`` still takes target 0, with no
        images and a warning (e.g. loading a disease-only test folder).
    normal_names : str or list of str, default=None
        Instead of ``normal_class``: folder names that mean "normal"
        (case-insensitive; ``_``, ``-`` and spaces alike), replacing the
        recognition rule; exactly one loaded folder must match.
    group_fn : callable, default=None
        ``group_fn(filename) -> str`` giving the patient of a file (called
        with the full path as a str). None uses, for a DICOM file, its
        ``PatientID`` tag (header only, read with ``pydicom.dcmread(...,
        stop_before_pixels=True)``) and otherwise, or when that tag is
        empty, the Kermany patient of the file name (see
        :func:`patient_id`); a file with neither is its own patient, with
        its path inside ``path`` as id (``PNEUMONIA/img1.png``, never a bare
        stem, which two class folders may share), so grouping is off for
        it. For other names build one with ``patient_id_from_pattern``,
        e.g. ``patient_id_from_pattern(r"^(\\d+)_")`` for NIH's
        ``00000001_000.png``. ``DESCR`` says which rule gave the ids.
    subtype_from_filename : bool, default=False
        Label Kermany pneumonia images by subtype from their names
        (``_bacteria_`` / ``_virus_``): target names NORMAL, BACTERIA, VIRUS
        (0, 1, 2). Files of the normal folder are NORMAL; a file of another
        folder without a subtype in its name raises ValueError.
    check_files : bool, default=False
        Decode every file up front (in threads, with
        :func:`xraynet.io.read_image`) and skip unreadable ones with one
        warning listing them; the Bunch's ``skipped_files`` lists them too.
    extensions : list of str, default=None
        File extensions to load (case-insensitive, with or without dot).
        None uses ``IMAGE_EXTENSIONS``: .jpg .jpeg .png .bmp .tif .tiff .dcm
        .dicom. When .dcm or .dicom is among them, files of any other or
        no extension that start like a DICOM file (``DICM`` at byte 128) are
        loaded too. Other files are skipped with a warning; hidden files
        (``.DS_Store``, ``Thumbs.db``, ...) are ignored silently.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        ``filenames`` : ndarray of str, shape (n_samples,)
            Paths (``path`` joined with class folder and the file's path
            inside it), sorted by target then that path.
        ``target`` : ndarray of int, shape (n_samples,)
            Class of each image, 0 = normal.
        ``target_names`` : ndarray of str, shape (n_classes,)
            Class (folder) names, indexed by target; the normal class first.
        ``normal_class`` : str
            The normal class, ``target_names[0]``.
        ``groups`` : ndarray of str, shape (n_samples,)
            Patient of each image, for :class:`~sklearn.model_selection.GroupKFold`.
        ``metadata`` : pandas.DataFrame or None
            When any file is DICOM: one row per file (aligned with
            ``filenames``) with columns ``filename``, ``PatientID``,
            ``ViewPosition`` (``PA``, ``AP``, ...), ``PatientSex`` and
            ``PatientAge`` in years (float; ``"045Y"`` -> 45, ``"006M"`` ->
            0.5, see ``parse_dicom_age``); missing tags and non-DICOM
            files are missing values (NaN). Pass columns of it as ``groups`` to
            :func:`xraynet.metrics.subgroup_report`. None when no file is DICOM.
        ``skipped_files`` : list of str
            Paths of the image files left out as unreadable by
            ``check_files=True`` (the ones its warning names), in load order;
            an empty list when none was, or when ``check_files=False``.
            Non-image files (warned about separately) are not listed.
        ``DESCR`` : str
            Description of the data: counts per class, and where the
            patient ids came from (Kermany file names, DICOM PatientID, a
            pattern, a ``group_fn``, or none: one id per file).
    (filenames, target) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    ValueError
        When ``path`` does not exist, is a file, has no class sub-folders,
        or a class folder holds no images; when no class folder, or several,
        can be recognised as normal and ``normal_class`` is not given.

    Examples
    --------
    >>> import cv2, numpy as np, tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for cls, names in {"NORMAL": ["IM-0001-0001", "IM-0001-0002"],
    ...                    "PNEUMONIA": ["person7_virus_1", "person8_bacteria_2"]}.items():
    ...     (root / cls).mkdir()
    ...     for name in names:
    ...         _ = cv2.imwrite(str(root / cls / f"{name}.png"), np.zeros((8, 8), np.uint8))
    >>> data = load_image_folder(root)
    >>> data.target_names.tolist(), data.target.tolist(), data.normal_class
    (['NORMAL', 'PNEUMONIA'], [0, 0, 1, 1], 'NORMAL')
    >>> data.groups.tolist()
    ['IM-0001', 'IM-0001', 'person7', 'person8']
    >>> load_image_folder(root, subtype_from_filename=True).target.tolist()
    [0, 0, 2, 1]
    >>> import shutil; shutil.rmtree(root)
    """
    root = Path(os.fspath(path))
    exts = _normalise_extensions(extensions)
    folders = _list_class_folders(root)
    if normal_class is not None and isinstance(normal_class, str) and normal_names is None:
        normal_class = _match_name(
            normal_class, folders, "normal_class", f"sub-folders of {str(root)!r}"
        )
    if classes is None:
        try:
            class_order, _ = _order_classes(
                folders, normal_class, normal_names, what=f"class folders of {str(root)!r}"
            )
        except ValueError:
            for cls in folders:  # a wrong level of the tree says more than "no normal class"
                _check_level(root / cls)
                _class_images(root / cls, exts)
            raise
        normal_missing = False
    else:
        class_order = [str(c) for c in ([classes] if isinstance(classes, str) else classes)]
        missing = [c for c in class_order if c not in folders]
        if missing:
            raise ValueError(
                f"classes {_preview(missing)} are not sub-folders of {str(root)!r}; "
                f"it has {_preview(folders, 20)}."
            )
        if len(set(class_order)) != len(class_order) or not class_order:
            raise ValueError(f"classes must be distinct folder names, got {classes!r}.")
        what = f"class folders of {str(root)!r}"
        normal = _resolve_normal(
            class_order,
            normal_class=normal_class,
            normal_names=normal_names,
            known=folders,
            what=what,
        )
        normal_missing = normal not in class_order
        if normal_missing:
            warnings.warn(
                f"normal_class={normal!r} is not in classes {_preview(class_order)}: it "
                "takes target 0 with no images; every image loaded is a disease image.",
                UserWarning,
                stacklevel=2,
            )
            class_order = [normal] + class_order
        elif class_order[0] != normal:
            raise ValueError(
                f"classes[0] is target 0, the normal class, but the normal class is "
                f"{normal!r} (classes={class_order!r}); put it first"
                + (" or pass normal_class=<the normal class>." if normal_class is None else ".")
            )

    filenames, folder_index, skipped = [], [], []
    for k, cls in enumerate(class_order):
        if k == 0 and normal_missing:
            continue
        folder = root / cls
        images, other = _class_images(folder, exts)
        filenames.extend(str(folder / name) for name in images)
        folder_index.extend([k] * len(images))
        skipped.extend(str(folder / name) for name in other)
    if skipped:
        warnings.warn(
            f"Skipped {len(skipped)} non-image file(s) under {str(root)!r}: {_preview(skipped)}.",
            UserWarning,
            stacklevel=2,
        )
    filenames = np.asarray(filenames, dtype=str)
    folder_index = np.asarray(folder_index, dtype=np.intp)

    unreadable = []
    if check_files:
        keep = _check_readable(filenames, what=f"image file(s) under {str(root)!r}")
        unreadable = [str(f) for f in filenames[~keep]]
        filenames, folder_index = filenames[keep], folder_index[keep]
        empty = [
            class_order[k]
            for k in range(int(normal_missing), len(class_order))
            if not np.any(folder_index == k)
        ]
        if empty:
            raise ValueError(
                f"No readable image left in class folder(s) {_preview(empty)} of {str(root)!r}."
            )

    if subtype_from_filename:
        target, target_names = _subtypes(filenames, folder_index, class_order)
    else:
        target, target_names = folder_index, np.asarray(class_order, dtype=str)

    headers = read_dicom_headers(filenames)
    if group_fn is None:
        inside = [Path(f).relative_to(root).as_posix() for f in filenames]
        groups, sources = _default_groups(filenames, headers, inside)
        group_line = _describe_groups(sources)
    else:
        groups = [group_fn(f) for f in filenames]
        group_line = _describe_groups(group_fn=group_fn)
    groups = np.asarray([str(g) for g in groups], dtype=str)
    metadata = metadata_frame(filenames, headers) if any(h is not None for h in headers) else None

    if return_X_y:
        return filenames, target
    counts = Counter(target.tolist())
    lines = [
        f"  {k} {name}{' (normal)' if k == 0 else ''}: {counts.get(k, 0)} images"
        for k, name in enumerate(target_names)
    ]
    descr = (
        f"Chest X-ray image folder {str(root)!r}\n"
        f"{len(filenames)} images of {len(np.unique(groups))} patients (groups), "
        f"{len(target_names)} classes:\n" + "\n".join(lines) + "\n" + group_line + "\n"
        "filenames are paths: load them with xraynet.ImageLoader; use groups with "
        "GroupKFold so that no patient is in both train and test folds.\n"
    )
    return Bunch(
        filenames=filenames,
        target=target,
        target_names=target_names,
        normal_class=str(target_names[0]),
        groups=groups,
        metadata=metadata,
        skipped_files=unreadable,
        DESCR=descr,
    )


def _subtypes(filenames, folder_index, class_order):
    normal = 0  # class_order[0] is the normal folder
    codes = {"BACTERIA": 1, "VIRUS": 2}
    target = np.zeros(len(filenames), dtype=np.intp)
    unknown = []
    for i, (name, k) in enumerate(zip(filenames, folder_index)):
        if k == normal:
            continue
        subtype = kermany_subtype(name)
        if subtype is None:
            unknown.append(name)
        else:
            target[i] = codes[subtype]
    if unknown:
        raise ValueError(
            f"subtype_from_filename=True: {len(unknown)} file(s) outside the normal folder "
            f"name neither '_bacteria_' nor '_virus_': {_preview(unknown)}."
        )
    return target, np.asarray(["NORMAL", "BACTERIA", "VIRUS"], dtype=str)
