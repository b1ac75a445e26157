"""What every ``xraynet`` sub-command shares: the parser class, user errors, helpers."""

import argparse
import os
import sys
from pathlib import Path

PROG = "xraynet"


class CLIError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line: ``xraynet: error: ...``."""

    def error(self, message):
        self.exit(2, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _int(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _n_jobs(text):
    """A joblib worker count: a non-zero integer, -1 meaning every core."""
    value = _int(text)
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"expected a non-zero integer (-1 = all cores), got {text!r}"
        )
    return value


def _seed(text):
    """A random seed: an integer in [0, 2**32 - 1], as NumPy takes."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"expected a seed between 0 and 4294967295, got {text!r}")
    return value


def _probability(text):
    """A number in [0, 1] (a decision threshold on a probability)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return value


def _add_verbose(parser):
    """The ``--verbose`` option of a sub-command that imports TensorFlow."""
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show TensorFlow's start-up log lines (oneDNN, absl, CPU "
        "features) and OpenCV's own log lines, hidden by default; XRAYNET_DEBUG=1 "
        "shows them too",
    )


def _import_tensorflow_quietly(verbose=False):
    """Import TensorFlow and Keras with file descriptor 2 pointed at /dev/null.

    TensorFlow's C++ start-up lines ("All log messages before
    absl::InitializeLog()", "oneDNN custom operations are on", CPU features)
    are written to fd 2 during ``import tensorflow`` and ignore
    ``TF_CPP_MIN_LOG_LEVEL``; turning oneDNN off would change the numerics.
    So only this first import runs with stderr silenced; fd 2 is restored
    right after, whatever happens. Nothing is done with ``verbose``,
    ``XRAYNET_DEBUG`` set, TensorFlow already imported or not installed.
    """
    import importlib.util

    if verbose or os.environ.get("XRAYNET_DEBUG") or "tensorflow" in sys.modules:
        return
    if importlib.util.find_spec("tensorflow") is None:
        return
    for stream in (sys.stdout, sys.stderr, sys.__stderr__):
        if stream is not None:
            stream.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _add_max_pixels(parser):
    """The ``--max-pixels`` option: the decompression-bomb limit of the image reader."""
    parser.add_argument(
        "--max-pixels",
        type=_positive_int,
        metavar="N",
        help="refuse images of more than N pixels, read from the header "
        "before decoding (default: 100000000, i.e. 100 MP; raise it "
        "for genuine larger scans)",
    )


def _option_message(args, msg):
    """``msg`` with the library's ``max_pixels=`` advice given as the CLI option."""
    if hasattr(args, "max_pixels"):
        msg = msg.replace("raise max_pixels", "raise --max-pixels")
        msg = msg.replace("max_pixels=", "--max-pixels ")
    return msg


def _version():
    from xraynet import __version__

    return __version__


def _progress(args, msg):
    if not getattr(args, "quiet", False):
        print(f"[xraynet] {msg}", file=sys.stderr, flush=True)


def _takes_paths(model):
    from xraynet.io import ImageLoader

    return hasattr(model, "steps") and isinstance(model.steps[0][1], ImageLoader)


def _unwrap_loader(model, X):
    """Decode path input once: (model taking arrays, arrays) for a loader pipeline."""
    if not _takes_paths(model):
        return model, X
    from sklearn.pipeline import Pipeline

    X = model.steps[0][1].transform(X)
    rest = model.steps[1:]
    return (rest[0][1] if len(rest) == 1 else Pipeline(rest)), X


def _add_trust_pickle(parser):
    """``--trust-pickle``, the one opt-in to unpickling, with its risk in the help."""
    parser.add_argument(
        "--trust-pickle",
        action="store_true",
        help="also load pickle/joblib model files. Unpickling runs any code "
        "the file contains: use only for files you made yourself",
    )


def _load_classifier(path, *, trusted):
    """The saved model at ``path`` (argument MODEL), or a one-line CLIError."""
    from pathlib import Path

    from xraynet.models import load_model

    if not Path(path).exists():
        raise CLIError(f"MODEL {str(path)!r} does not exist")
    try:
        model = load_model(path, trusted=trusted)
    except Exception as exc:  # corrupt / foreign / untrusted file: one line, no traceback
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise CLIError(f"MODEL {str(path)!r} cannot be read: {detail}") from exc
    if not hasattr(model, "predict_proba"):
        raise CLIError(f"MODEL {str(path)!r} holds a {type(model).__name__}, not a classifier")
    return model


# Library argument names -> the options of ``compare``/``evaluate`` that set them.
_TABLE_OPTIONS = (
    (
        "check path_column and image_dir",
        "check --path-column (relative paths are read from the CSV's folder)",
    ),
    ("normal_class=<the normal class>", "--normal NAME"),
    ("path_column=", "--path-column "),
    ("label_column=", "--label-column "),
    ("group_column=", "--patient-column "),
    ("normal_class=", "--normal "),
    ("path_column", "--path-column"),
    ("label_column", "--label-column"),
    ("group_column", "--patient-column"),
    ("normal_class", "--normal NAME"),
)


def _table_message(exc):
    """A library error about a labels table, in one line, with CLI option names."""
    msg = " ".join(str(exc).split()) or type(exc).__name__
    for lib, opt in _TABLE_OPTIONS:
        msg = msg.replace(lib, opt)
    return msg


def _shown(paths, n=5):
    """The first ``n`` of ``paths``, comma-separated, with how many more."""
    paths = [str(p) for p in paths]
    more = f" and {len(paths) - n} more" if len(paths) > n else ""
    return ", ".join(paths[:n]) + more


def _load_table(
    path,
    what,
    *,
    path_column="path",
    label_column="label",
    patient_column=None,
    group_fn=None,
    normal=None,
    skip_unreadable=False,
):
    """A labels CSV read with :func:`xraynet.datasets.load_image_table`, or a CLIError.

    Relative paths resolve against the CSV's folder. With ``skip_unreadable``
    every image is decoded and the rows whose file is missing or unreadable
    are left out; without it nothing is decoded and a missing file is a user
    error (nothing is ever dropped silently).

    Parameters
    ----------
    path : str or path-like
        The CSV file.
    what : str
        How the user named it (``--labels``, ``--test``, ``TEST_DIR_OR_CSV``),
        the start of every error message.
    path_column, label_column : str, default="path", "label"
        Columns of the image paths and of the labels.
    patient_column : str, default=None
        Column of patient ids; None derives them from each file (``group_fn``,
        else the DICOM ``PatientID`` tag, else Kermany-style names).
    group_fn : callable, default=None
        ``group_fn(filename) -> str`` (e.g. from ``--patient-pattern``).
    normal : str, default=None
        The label of the normal class (target 0); None recognises it by name.
    skip_unreadable : bool, default=False
        Decode every image and leave out missing or unreadable ones.

    Returns
    -------
    data : sklearn.utils.Bunch
        The Bunch of :func:`~xraynet.datasets.load_image_table` plus
        ``skipped``: the files of the rows left out, as resolved paths.

    Raises
    ------
    CLIError
        For an unreadable CSV, a missing column, an empty cell, a missing
        image file (without ``skip_unreadable``), no recognisable normal
        class, or a ``normal`` that is no row's label.
    """
    import warnings

    import pandas as pd

    from xraynet.datasets import load_image_table

    path = Path(path)
    where = f"{what} {str(path)!r}"
    if not path.is_file():
        raise CLIError(f"{where} is not a file")
    try:  # read once: the rows left out are listed from this frame
        frame = pd.read_csv(path)
    except (ValueError, OSError) as exc:  # EmptyDataError, ParserError, UnicodeDecodeError
        raise CLIError(f"{where} cannot be read as CSV: {' '.join(str(exc).split())}") from None
    if frame.empty:
        raise CLIError(f"{where} has no rows (a header line, then one row per image)")
    with warnings.catch_warnings():
        # dropped rows are listed by the caller (or are an error) instead
        warnings.filterwarnings("ignore", r"(Dropped|Skipped) \d+ ", UserWarning)
        warnings.filterwarnings("ignore", r"No row has the normal class", UserWarning)
        try:
            data = load_image_table(
                frame,
                path_column=path_column,
                label_column=label_column,
                group_column=patient_column,
                group_fn=group_fn,
                image_dir=path.parent,
                normal_class=normal,
                check_files=skip_unreadable,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CLIError(f"{where}: {_table_message(exc)}") from None
    kept = set(data.frame.index)
    skipped = [
        p if os.path.isabs(p) else str(path.parent / p)
        for i, p in zip(frame.index, frame[path_column].astype(str))
        if i not in kept
    ]
    if skipped and not skip_unreadable:
        raise CLIError(
            f"{where}: {len(skipped)} row(s) of --path-column {path_column!r} name a file "
            f"that does not exist: {_shown(skipped)} (relative paths are read from the "
            "CSV's folder; --skip-unreadable leaves such rows out)"
        )
    if normal is not None and not (data.target == 0).any():
        raise CLIError(
            f"{where}: --normal {normal!r} is not a label of --label-column "
            f"{label_column!r}; its labels are {', '.join(map(str, data.target_names[1:]))}"
        )
    data.skipped = skipped
    return data
