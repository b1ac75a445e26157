"""Load a folder of class sub-folders of chest X-ray images."""

import os
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._patients import kermany_subtype, patient_id

__all__ = ["load_image_folder", "IMAGE_EXTENSIONS", "NORMAL_NAMES"]

#: File extensions :func:`load_image_folder` treats as images (lower case).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".dcm", ".dicom")

#: Class names recognised as the normal class (compared case-insensitively,
#: with ``_``, ``-`` and spaces treated alike).
NORMAL_NAMES = ("normal", "healthy", "no finding", "no_finding", "negative")

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


def _normal_class(names, normal_names):
    """Index of the normal class in ``names`` (or None); error when ambiguous."""
    if normal_names is None:
        normal_names = NORMAL_NAMES
    elif isinstance(normal_names, str):
        normal_names = [normal_names]
    wanted = {_key(n) for n in normal_names}
    hits = [i for i, name in enumerate(names) if _key(name) in wanted]
    if len(hits) > 1:
        raise ValueError(
            f"Several classes look like the normal class: {_preview([names[i] for i in hits])}; "
            "pass normal_names (or classes, normal first) to say which one is target 0."
        )
    return hits[0] if hits else None


def _order_classes(names, normal_names):
    """Normal class first (when recognisable), then the others sorted."""
    names = sorted(names)
    i = _normal_class(names, normal_names)
    if i is None:
        return names
    return [names[i]] + names[:i] + names[i + 1 :]


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
    """Image files (sorted names), skipped non-image names, sub-folder names."""
    images, skipped, subdirs = [], [], []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if _is_hidden(entry.name):
            continue
        if entry.is_dir():
            subdirs.append(entry.name)
        elif os.path.splitext(entry.name)[1].lower() in extensions:
            images.append(entry.name)
        else:
            skipped.append(entry.name)
    return images, skipped, subdirs


def load_image_folder(
    path,
    *,
    return_X_y=False,
    classes=None,
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

    Parameters
    ----------
    path : str or path-like
        Folder holding one sub-folder per class, e.g. ``chest_xray/train``.
    return_X_y : bool, default=False
        Return ``(filenames, target)`` instead of a Bunch.
    classes : list of str, default=None
        Sub-folders to load, in target order (``classes[0]`` is target 0).
        None loads every sub-folder: the normal class first (target 0) when
        one is recognisable, then the disease classes in sorted order.
    normal_names : str or list of str, default=None
        Folder names that mean "normal" (case-insensitive; ``_``, ``-`` and
        spaces alike). None uses ``NORMAL_NAMES``: normal, healthy,
        no finding, negative.
    group_fn : callable, default=None
        ``group_fn(filename) -> str`` giving the patient of a file (called
        with the full path as a str). None uses :func:`patient_id`, which
        understands Kermany names and otherwise gives one group per file stem.
    subtype_from_filename : bool, default=False
        Label Kermany pneumonia images by subtype from their names
        (``_bacteria_`` / ``_virus_``): target names NORMAL, BACTERIA, VIRUS
        (0, 1, 2). Files of the normal folder are NORMAL; a file of another
        folder without a subtype in its name raises ValueError.
    check_files : bool, default=False
        Decode every file up front (in threads, with
        :func:`xraynet.io.read_image`) and skip unreadable ones with one
        warning listing them.
    extensions : list of str, default=None
        File extensions to load (case-insensitive, with or without dot).
        None uses ``IMAGE_EXTENSIONS``: .jpg .jpeg .png .bmp .tif .tiff .dcm
        .dicom. Other files are skipped with a warning; hidden files
        (``.DS_Store``, ``Thumbs.db``, ...) are ignored silently.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        ``filenames`` : ndarray of str, shape (n_samples,)
            Paths (``path`` joined with class folder and file name), sorted
            by target then file name.
        ``target`` : ndarray of int, shape (n_samples,)
            Class of each image, 0 = normal.
        ``target_names`` : ndarray of str, shape (n_classes,)
            Class (folder) names, indexed by target.
        ``groups`` : ndarray of str, shape (n_samples,)
            Patient of each image, for :class:`~sklearn.model_selection.GroupKFold`.
        ``DESCR`` : str
            Description of the data.
    (filenames, target) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    ValueError
        When ``path`` does not exist, is a file, has no class sub-folders,
        or a class folder holds no images.

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
    >>> data.target_names.tolist(), data.target.tolist()
    (['NORMAL', 'PNEUMONIA'], [0, 0, 1, 1])
    >>> data.groups.tolist()
    ['IM-0001', 'IM-0001', 'person7', 'person8']
    >>> load_image_folder(root, subtype_from_filename=True).target.tolist()
    [0, 0, 2, 1]
    >>> import shutil; shutil.rmtree(root)
    """
    root = Path(os.fspath(path))
    exts = _normalise_extensions(extensions)
    folders = _list_class_folders(root)
    if classes is None:
        class_order = _order_classes(folders, normal_names)
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

    filenames, folder_index, skipped = [], [], []
    for k, cls in enumerate(class_order):
        folder = root / cls
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
                f"(extensions {' '.join(exts)}){hint}."
            )
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

    if check_files:
        keep = _check_readable(filenames, what=f"image file(s) under {str(root)!r}")
        filenames, folder_index = filenames[keep], folder_index[keep]
        empty = [class_order[k] for k in range(len(class_order)) if not np.any(folder_index == k)]
        if empty:
            raise ValueError(
                f"No readable image left in class folder(s) {_preview(empty)} of {str(root)!r}."
            )

    if subtype_from_filename:
        target, target_names = _subtypes(filenames, folder_index, class_order, normal_names)
    else:
        target, target_names = folder_index, np.asarray(class_order, dtype=str)

    if group_fn is None:
        group_fn = patient_id
    groups = np.asarray([str(group_fn(f)) for f in filenames], dtype=str)

    if return_X_y:
        return filenames, target
    counts = Counter(target.tolist())
    lines = [f"  {k} {name}: {counts.get(k, 0)} images" for k, name in enumerate(target_names)]
    descr = (
        f"Chest X-ray image folder {str(root)!r}\n"
        f"{len(filenames)} images of {len(np.unique(groups))} patients (groups), "
        f"{len(target_names)} classes:\n" + "\n".join(lines) + "\n"
        "filenames are paths: load them with xraynet.ImageLoader; use groups with "
        "GroupKFold so that no patient is in both train and test folds.\n"
    )
    return Bunch(
        filenames=filenames,
        target=target,
        target_names=target_names,
        groups=groups,
        DESCR=descr,
    )


def _subtypes(filenames, folder_index, class_order, normal_names):
    normal = _normal_class(class_order, normal_names)
    if normal is None:
        raise ValueError(
            "subtype_from_filename=True needs a normal class folder (one of "
            f"{', '.join(NORMAL_NAMES)} or normal_names); got {_preview(class_order)}."
        )
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
