"""The ``xraynet`` command line: ``xraynet compare`` and ``xraynet predict``.

Only argparse and the public xraynet API; TensorFlow is imported lazily (by
the models, when a command needs them) so that ``xraynet --help`` is fast.
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
