"""The data of ``xraynet compare``: a class-folder tree, a labels CSV or PneumoniaMNIST.

Each source becomes one dict (images, labels, patient groups, the test part,
the loader, the grouping and source strings that the results record);
every user error is a :class:`CLIError` naming the option.
"""

import warnings
from pathlib import Path

from ._common import CLIError, _load_table


def _subsample(n_max, y, random_state, *arrays):
    """Stratified subset of at most ``n_max`` items (all arrays indexed alike)."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    if len(y) <= n_max:
        return (y, *arrays)
    idx = np.arange(len(y))
    idx, _ = train_test_split(idx, train_size=n_max, stratify=y, random_state=random_state)
    idx = np.sort(idx)
    return (y[idx], *[a[idx] if a is not None else None for a in arrays])


def _group_fn(pattern):
    """``--patient-pattern`` as a ``group_fn`` (None without a pattern)."""
    from xraynet.datasets import patient_id_from_pattern

    if pattern is None:
        return None
    try:
        return patient_id_from_pattern(pattern)
    except (TypeError, ValueError) as exc:
        raise CLIError(f"--patient-pattern {pattern!r}: {exc}") from None


def _load_folder(path, what, normal=None, pattern=None, skip_unreadable=False):
    """The folder's Bunch; ``skipped`` lists the unreadable files left out."""
    from xraynet.datasets import load_image_folder

    group_fn = _group_fn(pattern)
    try:
        with warnings.catch_warnings():
            # one pass: the files left out are the Bunch's skipped_files, listed by the caller
            warnings.filterwarnings("ignore", r"Skipped \d+ unreadable", UserWarning)
            data = load_image_folder(
                path, normal_class=normal, group_fn=group_fn, check_files=skip_unreadable
            )
    except ValueError as exc:
        msg = " ".join(str(exc).split())
        if pattern is not None and "does not match" in msg:
            raise CLIError(f"--patient-pattern: {msg}") from None
        if "No readable image left" in msg:  # --skip-unreadable left a class empty
            raise CLIError(f"{what} {path!r}: {msg}") from None
        if "normal_class" not in msg:
            raise
        msg = msg.replace("normal_class=", "--normal ").replace("normal_class", "--normal NAME")
        raise CLIError(f"{what} {path!r}: {msg}") from None
    data.skipped = list(data.skipped_files)
    if len(data.target_names) < 2:
        raise CLIError(
            f"{what} {path!r} has only one class sub-folder "
            f"({data.target_names[0]}); need at least two"
        )
    return data


def _load_csv(path, what, args, patient_column=None):
    """A labels CSV's Bunch (``skipped`` as for a folder), with at least two classes."""
    import numpy as np

    try:
        data = _load_table(
            path,
            what,
            path_column=args.path_column or "path",
            label_column=args.label_column or "label",
            patient_column=patient_column,
            group_fn=_group_fn(args.patient_pattern),
            normal=args.normal,
            skip_unreadable=args.skip_unreadable,
        )
    except CLIError as exc:
        msg = str(exc)
        if args.patient_pattern is not None and "does not match" in msg:
            msg = msg.replace("group_fn=<a function of the file name>", "--patient-column")
            raise CLIError(f"--patient-pattern: {msg}") from None
        raise
    present = np.unique(data.target)
    if len(present) < 2:
        raise CLIError(
            f"{what} {str(path)!r} has only one class (label "
            f"{str(data.target_names[present[0]])!r} in --label-column "
            f"{args.label_column or 'label'!r}); need at least two"
        )
    return data


def _load_source(path, what, args, patient_column=None):
    """A folder of class sub-folders or (any file) a labels CSV."""
    if Path(path).is_dir():
        return _load_folder(path, what, args.normal, args.patient_pattern, args.skip_unreadable)
    return _load_csv(path, what, args, patient_column)


def _load_data(args):
    """Return dict X, y, X_test, y_test, groups, target_names, loader, size, source."""
    import numpy as np

    if args.dataset:
        from xraynet.datasets import fetch_pneumoniamnist

        size = args.size or 28
        X, y = fetch_pneumoniamnist(split="train+val", size=size, data_home=args.data_home)
        Xt, yt = fetch_pneumoniamnist(split="test", size=size, data_home=args.data_home)
        if args.quick:
            y, X = _subsample(400, y, args.random_state, X)
            yt, Xt = _subsample(200, yt, args.random_state, Xt)
        return dict(
            X=X,
            y=y,
            X_test=Xt,
            y_test=yt,
            groups=None,
            loader=None,
            size=size,
            grouping="off: PneumoniaMNIST carries no patient ids",
            target_names=["normal", "pneumonia"],
            source=f"pneumoniamnist ({size} px)",
        )
    from xraynet.io import ImageLoader

    size = args.size or 64
    if args.labels:
        what, source = "--labels", args.labels
        data = _load_csv(args.labels, what, args, args.patient_column)
    else:
        what, source = "DATA_DIR", args.data_dir
        data = _load_folder(
            args.data_dir, what, args.normal, args.patient_pattern, args.skip_unreadable
        )
    X, y, groups = data.filenames, data.target, data.groups
    if "from Kermany file names" in str(data.get("DESCR", "")):
        source = f"{source} (Kermany file names)"  # so the report and card cite the data set
    skipped = list(data.skipped)
    grouping = f"by patient ({len(np.unique(groups))} patients)"
    if not args.groups:
        groups, grouping = None, "off: --no-groups"
    elif len(np.unique(groups)) == len(groups):  # one id per file: no patient ids
        groups, grouping = (
            None,
            (
                f"off: --patient-column {args.patient_column!r} gives every image its own patient"
                if args.patient_column
                else "off: file names carry no patient ids"
            ),
        )
    if args.quick:
        y, X, groups = _subsample(120, y, args.random_state, X, groups)
    if args.test:
        test = _load_source(args.test, "--test", args)
        if list(test.target_names) != list(data.target_names):
            raise CLIError(
                f"--test classes {list(test.target_names)} differ from {what} "
                f"classes {list(data.target_names)}"
            )
        Xt, yt = test.filenames, test.target
        skipped += test.skipped
        if args.quick:
            yt, Xt = _subsample(60, yt, args.random_state, Xt)
    else:  # hold out ~20% of the patients before cross-validation
        from xraynet.model_selection import patient_holdout_split

        try:
            X, Xt, y, yt, groups, _ = patient_holdout_split(
                X, y, groups, test_size=0.2, random_state=args.random_state
            )
        except ValueError as exc:
            raise CLIError(f"{what} {source!r}: {exc}") from None
    for name, labels in (("training", y), ("test", yt)):
        if len(np.unique(labels)) < 2:
            raise CLIError(f"the {name} split holds only one class; add images of every class")
    if groups is not None:
        grouping = f"by patient ({len(np.unique(groups))} patients)"
    return dict(
        X=X,
        y=y,
        X_test=Xt,
        y_test=yt,
        groups=groups,
        size=size,
        grouping=grouping,
        skipped=skipped,
        loader=_loader(ImageLoader, size, args.max_pixels),
        target_names=list(data.target_names),
        source=str(source),
    )


def _loader(cls, size, max_pixels):
    return cls(size=size) if max_pixels is None else cls(size=size, max_pixels=max_pixels)
