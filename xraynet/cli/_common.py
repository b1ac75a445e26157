"""What every ``xraynet`` sub-command shares: the parser class, user errors, helpers."""

import argparse
import os
import sys

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
        "features), hidden by default; XRAYNET_DEBUG=1 shows them too",
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


def _json(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


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
