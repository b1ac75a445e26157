"""``python -m xraynet``: the ``xraynet`` command line (as ``python -m xraynet.cli``)."""

import sys

from xraynet.cli import main

if __name__ == "__main__":
    sys.exit(main())
