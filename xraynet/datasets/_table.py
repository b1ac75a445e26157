"""Load chest X-ray file names and labels from a metadata table (CSV or DataFrame)."""

import os
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._dicom import metadata_frame, read_dicom_headers
from ._folder import _check_readable, _order_classes, _preview
from ._patients import _default_groups, _describe_groups

__all__ = ["load_image_table"]


def _read_table(csv_or_dataframe):
    import pandas as pd

    if isinstance(csv_or_dataframe, pd.DataFrame):
        return csv_or_dataframe.copy(), None
    if isinstance(csv_or_dataframe, (str, os.PathLike)):
        path = Path(os.fspath(csv_or_dataframe))
        if not path.is_file():
            raise ValueError(f"Metadata table {str(path)!r} does not exist or is not a file.")
        try:
            return pd.read_csv(path), path
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ValueError(f"Could not read metadata table {str(path)!r} as CSV: {exc}") from exc
    raise TypeError(
        "csv_or_dataframe must be a CSV path or a pandas DataFrame; got "
        f"{type(csv_or_dataframe).__name__}."
    )


def _check_column(frame, name, argument):
    if name is None:
        return
    if name not in frame.columns:
        raise ValueError(
            f"{argument}={name!r} is not a column of the table; columns are "
            f"{_preview(list(frame.columns), 20)}."
        )
    missing = frame[name].isna()
    if missing.any():
        rows = [str(i) for i in frame.index[missing]]
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        raise ValueError(
            f"Column {name!r} ({argument}) is empty in {len(rows)} row(s): "
            f"index {', '.join(rows[:5])}{more}."
        )


def _map_labels(labels, label_map):
    """Apply ``label_map`` (raw label -> class name, or None to drop the row)."""
    if label_map is None:
        return labels.astype(str), np.ones(len(labels), dtype=bool)
    unknown = sorted({v for v in labels if v not in label_map}, key=str)
    if unknown:
        counts = Counter(v for v in labels if v not in label_map)
        shown = ", ".join(f"{v!r} ({counts[v]} rows)" for v in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ValueError(
            f"Unknown label(s) {shown}{more}: add them to label_map (map a label to "
            "None to drop its rows)."
        )
    mapped = [label_map[v] for v in labels]
    keep = np.array([m is not None for m in mapped], dtype=bool)
    return np.asarray([str(m) for m in mapped], dtype=object), keep


def load_image_table(
    csv_or_dataframe,
    *,
    path_column,
    label_column,
    group_column=None,
    group_fn=None,
    image_dir=None,
    query=None,
    label_map=None,
    normal_class=None,
    normal_names=None,
    check_files=True,
    return_X_y=False,
):
    """Load chest X-ray file names, labels and patients from a metadata table.

    Public chest X-ray collections (NIH ChestX-ray14, PadChest, CheXpert, the
    COVID-19 image data collection, ...) ship a CSV with one row per image.
    This function keeps the rows selected by ``query``, maps their labels,
    resolves the image paths and reports (never silently drops) rows whose
    image is missing or unreadable.

    Parameters
    ----------
    csv_or_dataframe : str, path-like or pandas.DataFrame
        The metadata table, or the path of a CSV file.
    path_column : str
        Column holding the image paths, absolute or relative to ``image_dir``.
    label_column : str
        Column holding the labels.
    group_column : str, default=None
        Column holding the patient id. None derives it from each file with
        ``group_fn``.
    group_fn : callable, default=None
        ``group_fn(filename) -> str`` giving the patient of a file (called
        with the resolved path as a str) when ``group_column`` is None, e.g.
        ``patient_id_from_pattern(r"^(\\d+)_")`` for NIH names. None uses
        the ``PatientID`` tag of a DICOM image, and otherwise (or when that
        tag is empty) the Kermany patient of the file name (see
        :func:`patient_id`); a file with neither is its own patient, with
        its path as written in ``path_column`` as id (never a bare stem,
        which two folders may share), so grouping is off for it. Passing
        both ``group_column`` and ``group_fn`` is an error. ``DESCR`` says
        which rule gave the ids.
    image_dir : str or path-like, default=None
        Folder relative paths are resolved against. None uses the folder of
        the CSV file, or the current directory for a DataFrame.
    query : str, default=None
        Row filter passed to :meth:`pandas.DataFrame.query`, e.g.
        ``"view == 'PA'"``.
    label_map : dict, default=None
        Raw label -> class name; map a label to None to drop its rows. When
        given, a label missing from it is an error. None uses the labels as
        class names.
    normal_class : str, default=None
        The class name (after ``label_map``) of the normal images: target 0,
        the others follow in sorted order. None recognises it by name, with
        the rule of :func:`load_image_folder` (``No Finding``, ``normal``,
        ``healthy_controls``, ...); no recognisable normal class, or
        several, is a ValueError asking for ``normal_class``. A
        ``normal_class`` that no row has still takes target 0 (warning):
        e.g. a table of disease images only.
    normal_names : str or list of str, default=None
        Instead of ``normal_class``: class names meaning "normal" (see
        :func:`load_image_folder`); exactly one class must match.
    check_files : bool, default=True
        Decode every image (in threads, with :func:`xraynet.io.read_image`)
        and drop unreadable ones with a warning. Missing files are always
        dropped with a warning.
    return_X_y : bool, default=False
        Return ``(filenames, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``filenames``, ``target``, ``target_names`` (normal first),
        ``normal_class``, ``groups``, ``DESCR`` as in
        :func:`load_image_folder`, plus ``frame``: the rows kept (original
        index), aligned with ``filenames``, and ``metadata``: the DICOM
        header columns of :func:`load_image_folder` when any image is DICOM
        (else None), and ``skipped_files``: the paths of the existing image
        files left out as unreadable by ``check_files=True`` (list of str,
        empty when none; rows whose file is missing are warned about, not
        listed).
    (filenames, target) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    ValueError
        For a missing column, an empty label/path/group cell, an unknown
        label, a failing ``query``, when no image is left, or when the normal
        class is neither given nor recognisable.

    Examples
    --------
    >>> import cv2, numpy as np, pandas as pd, tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["a.png", "b.png", "c.png"]:
    ...     _ = cv2.imwrite(str(root / name), np.zeros((8, 8), np.uint8))
    >>> table = pd.DataFrame({"file": ["a.png", "b.png", "c.png"],
    ...                       "finding": ["No Finding", "Pneumonia", "Pneumonia"],
    ...                       "view": ["PA", "PA", "LATERAL"],
    ...                       "patient": ["p1", "p2", "p2"]})
    >>> data = load_image_table(table, path_column="file", label_column="finding",
    ...                         group_column="patient", image_dir=root,
    ...                         query="view == 'PA'")
    >>> data.target_names.tolist(), data.target.tolist(), data.groups.tolist()
    (['No Finding', 'Pneumonia'], [0, 1], ['p1', 'p2'])
    >>> data.normal_class
    'No Finding'
    >>> import shutil; shutil.rmtree(root)
    """
    if group_column is not None and group_fn is not None:
        raise ValueError(
            "Pass group_column (a column of patient ids) or group_fn (patient id "
            "from the file name), not both."
        )
    if group_fn is not None and not callable(group_fn):
        raise TypeError(f"group_fn must be a callable group_fn(filename) -> str, got {group_fn!r}.")
    frame, csv_path = _read_table(csv_or_dataframe)
    for name, argument in (
        (path_column, "path_column"),
        (label_column, "label_column"),
        (group_column, "group_column"),
    ):
        if name is not None and name not in frame.columns:
            _check_column(frame, name, argument)  # raises: not a column

    if query is not None:
        try:
            frame = frame.query(query)
        except (
            Exception
        ) as exc:  # pandas raises many types (UndefinedVariableError, SyntaxError, ...)
            raise ValueError(f"query {query!r} failed on the table: {exc}") from exc
    if frame.empty:
        raise ValueError(f"No rows left in the table after query {query!r}.")
    _check_column(frame, path_column, "path_column")
    _check_column(frame, label_column, "label_column")
    _check_column(frame, group_column, "group_column")

    labels, keep = _map_labels(frame[label_column].to_numpy(), label_map)
    frame, labels = frame[keep], labels[keep]
    if frame.empty:
        raise ValueError("No rows left: label_map maps every label to None.")

    if image_dir is not None:
        base = Path(os.fspath(image_dir))
    elif csv_path is not None:
        base = csv_path.parent
    else:
        base = Path()
    filenames = np.asarray(
        [
            str(base / os.fspath(p)) if not os.path.isabs(os.fspath(p)) else os.fspath(p)
            for p in frame[path_column].astype(str)
        ],
        dtype=str,
    )

    found = np.fromiter((os.path.isfile(f) for f in filenames), dtype=bool, count=len(filenames))
    if not found.all():
        missing = filenames[~found].tolist()
        warnings.warn(
            f"Dropped {len(missing)} row(s) whose image file does not exist: {_preview(missing)}.",
            UserWarning,
            stacklevel=2,
        )
    exists = found
    if check_files and found.any():
        readable = np.zeros_like(found)
        readable[found] = _check_readable(filenames[found], what="image file(s) of the table")
        found = readable
    unreadable = filenames[exists & ~found].tolist()
    if not found.any():
        raise ValueError(
            f"None of the {len(filenames)} image file(s) of the table could be used "
            f"(looked under {str(base.resolve())!r}); check path_column and image_dir."
        )
    frame, labels, filenames = frame[found], labels[found], filenames[found]

    present = sorted(set(labels.tolist()))
    class_order, normal_present = _order_classes(
        present, normal_class, normal_names, what=f"labels of {label_column!r}"
    )
    if not normal_present:
        warnings.warn(
            f"No row has the normal class {class_order[0]!r}: it takes target 0 with no "
            f"images; the labels left are {_preview(present, 20)}.",
            UserWarning,
            stacklevel=2,
        )
    codes = {name: k for k, name in enumerate(class_order)}
    target = np.asarray([codes[v] for v in labels], dtype=np.intp)
    target_names = np.asarray(class_order, dtype=str)
    headers = read_dicom_headers(filenames)
    if group_column is not None:
        groups = frame[group_column].astype(str).to_numpy(dtype=str)
        group_line = _describe_groups(group_column=group_column)
    elif group_fn is not None:
        groups = np.asarray([str(group_fn(f)) for f in filenames], dtype=str)
        group_line = _describe_groups(group_fn=group_fn)
    else:
        as_written = [Path(p).as_posix() for p in frame[path_column].astype(str)]
        groups, sources = _default_groups(filenames, headers, as_written)
        groups = np.asarray(groups, dtype=str)
        group_line = _describe_groups(sources)
    metadata = metadata_frame(filenames, headers) if any(h is not None for h in headers) else None

    if return_X_y:
        return filenames, target
    counts = Counter(target.tolist())
    lines = [
        f"  {k} {name}{' (normal)' if k == 0 else ''}: {counts.get(k, 0)} images"
        for k, name in enumerate(target_names)
    ]
    source = str(csv_path) if csv_path is not None else "a DataFrame"
    descr = (
        f"Chest X-ray metadata table from {source}"
        + (f" (query: {query})" if query else "")
        + f"\n{len(filenames)} images of {len(np.unique(groups))} patients (groups), "
        f"{len(target_names)} classes:\n" + "\n".join(lines) + "\n" + group_line + "\n"
    )
    return Bunch(
        filenames=filenames,
        target=target,
        target_names=target_names,
        normal_class=str(target_names[0]),
        groups=groups,
        frame=frame,
        metadata=metadata,
        skipped_files=unreadable,
        DESCR=descr,
    )
