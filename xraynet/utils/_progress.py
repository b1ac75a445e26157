"""Progress bars of long runs (tqdm, on stderr), readable in a terminal and in a log file.

In a terminal a bar is redrawn at most every 0.1 s. When stderr is not a
terminal (a log file, a CI job, ``2> run.log``) every redraw is a new
``\\r``-separated record, so the bar is redrawn at most every 30 s there: an
hour-long run leaves about a hundred records instead of thousands. tqdm's
``TQDM_MININTERVAL`` environment variable is not consulted here; pass
``mininterval`` to choose another interval.
"""

import sys

__all__ = ["NON_TTY_MININTERVAL", "progress_bar", "progress_write"]

#: Seconds between redraws when stderr is not a terminal.
NON_TTY_MININTERVAL = 30.0


def _stderr_is_tty():
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


def progress_bar(total, desc, *, verbose, **kwargs):
    """A ``tqdm.auto`` bar on stderr, disabled (and silent) when ``verbose`` is falsy.

    Parameters
    ----------
    total : int
        Number of steps.
    desc : str
        Text before the bar.
    verbose : int or bool
        0 / False: no output at all.
    **kwargs
        More ``tqdm`` arguments (``unit``, ``leave``, ``mininterval``, ...).

    Returns
    -------
    bar : tqdm.tqdm
        Use it as a context manager (or call ``close``).
    """
    from tqdm.auto import tqdm

    kwargs.setdefault("mininterval", 0.1 if _stderr_is_tty() else NON_TTY_MININTERVAL)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(total=total, desc=desc, file=sys.stderr, disable=not verbose, **kwargs)


def progress_write(message, *, verbose):
    """Print ``message`` on stderr above any open bar (nothing when ``verbose`` is falsy).

    Parameters
    ----------
    message : str
        One line.
    verbose : int or bool
        0 / False: print nothing.
    """
    if not verbose:
        return
    from tqdm.auto import tqdm

    tqdm.write(message, file=sys.stderr)
    sys.stderr.flush()
