"""The ``xraynet`` parser and entry point."""

import argparse
import os
import sys

from ._common import PROG, CLIError, _import_tensorflow_quietly, _option_message, _Parser, _version
from ._compare import add_compare_parser
from ._evaluate import add_evaluate_parser
from ._predict import add_predict_parser

_MAIN_EPILOG = """\
examples:
  xraynet compare --dataset pneumoniamnist --out results
  xraynet compare chest_xray/train --test chest_xray/test --size 64 --out results
  xraynet predict results/model.xraynet chest_xray/test/NORMAL/IM-0001-0001.jpeg

Data files are looked up in --data-home, else $XRAYNET_DATA, else ~/xraynet_data.
Run 'xraynet COMMAND --help' for the options of a command.
"""


def build_parser():
    """The argparse parser of the ``xraynet`` command (for docs and tests)."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog=PROG,
        formatter_class=fmt,
        epilog=_MAIN_EPILOG,
        description="Chest X-ray classification: compare models, predict images.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    add_compare_parser(sub, fmt)
    add_predict_parser(sub, fmt)
    add_evaluate_parser(sub, fmt)
    return parser


def main(argv=None):
    """Entry point of the ``xraynet`` console script; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    verbose = getattr(args, "verbose", False) or bool(os.environ.get("XRAYNET_DEBUG"))
    opencv_level = None if verbose else _silence_opencv_log()
    try:
        _import_tensorflow_quietly(getattr(args, "verbose", False))
        return args.func(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of stdout went away ('xraynet predict ... | head'): stop quietly,
        # as cat does, with the status a shell gives a command killed by SIGPIPE
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes
            os.close(devnull)
        except (OSError, ValueError):  # stdout is not a file (captured in tests)
            pass
        return 141
    except CLIError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - one readable line instead of a traceback
        if os.environ.get("XRAYNET_DEBUG"):
            raise
        msg = _option_message(args, " ".join(str(exc).split()) or type(exc).__name__)
        print(f"{PROG}: error: {msg} (set XRAYNET_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
    finally:
        if opencv_level is not None:
            import cv2

            cv2.utils.logging.setLogLevel(opencv_level)


def _silence_opencv_log():
    """Turn OpenCV's own log lines off; return the level to restore.

    A file OpenCV cannot decode makes it log ``[ERROR:0@3.9] global
    loadsave.cpp ... imdecode_(''): can't read data: ...`` on stderr, next to
    the one line xraynet prints naming the file and the reason. ``--verbose``
    and ``XRAYNET_DEBUG`` keep them. (libpng and libjpeg write some warnings
    straight to stderr, which no setting turns off.)
    """
    try:
        import cv2

        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except (ImportError, AttributeError):  # pragma: no cover - cv2 is a dependency
        return None
    return level
