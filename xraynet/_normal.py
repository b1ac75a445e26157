"""Which class is "normal": one recognition rule for the data loaders and the metrics.

xraynet numbers the normal class 0 and treats every other class as a disease.
When classes are *names* (folder names, table labels, string ``y``), the
normal class is the one the user names (``normal_class=`` in the loaders,
``normal_label=`` in the metrics) or, failing that, the single class whose
name is recognised as normal:

* the name is lower-cased and split into words at every character that is
  not a letter or digit (``_``, ``-``, space, ``/``, ``.``, ...);
* it is normal when the words are one or more of :data:`NORMAL_NAMES`
  (``normal``, ``healthy``, ``negative``, ``control``, ``controls``,
  ``no finding``, ``no findings``), e.g. ``NORMAL``, ``No_Finding``,
  ``healthy_controls``, ``Normal/Healthy``;
* any other word makes it a disease name: ``abnormal``, ``not_normal``,
  ``covid_negative``, ``normal2`` are not recognised (name them explicitly).

No candidate, or two or more, is an error that asks for the class by name:
xraynet never guesses which class is normal.
"""

import re

import numpy as np

__all__ = ["NORMAL_NAMES", "is_normal_name", "find_normal_class"]

#: Names (one or two words) recognised as the normal class; a class name made
#: only of these, in any case and with any separators, is a normal name.
NORMAL_NAMES = ("normal", "healthy", "negative", "control", "controls", "no finding", "no findings")

_PHRASES = sorted((tuple(n.split()) for n in NORMAL_NAMES), key=len, reverse=True)
_N_SHOWN = 10


def _words(name):
    return [w for w in re.split(r"[^0-9a-z]+", str(name).lower()) if w]


def is_normal_name(name):
    """True when ``name`` is recognised as the normal class (see :data:`NORMAL_NAMES`).

    Parameters
    ----------
    name : str
        A class or folder name.

    Returns
    -------
    bool
        Whether ``name`` means "normal" (non-strings are never normal).

    Examples
    --------
    >>> from xraynet.datasets import is_normal_name
    >>> [is_normal_name(n) for n in ["NORMAL", "No_Finding", "healthy_controls", "abnormal"]]
    [True, True, True, False]
    """
    if not isinstance(name, (str, np.str_)):
        return False
    words = _words(name)
    if not words:
        return False
    i = 0
    while i < len(words):
        for phrase in _PHRASES:
            if tuple(words[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            return False
    return True


def _shown(items):
    items = [repr(i.item() if isinstance(i, np.generic) else i) for i in items]
    text = ", ".join(items[:_N_SHOWN])
    return text + (f" and {len(items) - _N_SHOWN} more" if len(items) > _N_SHOWN else "")


def find_normal_class(classes, *, argument="normal_class", what="classes"):
    """The one class of ``classes`` recognised as normal by name.

    Raises ValueError when none or several are, telling the user to pass
    ``argument`` (e.g. ``normal_class=``).
    """
    classes = list(classes)
    hits = [c for c in classes if is_normal_name(c)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise ValueError(
            f"Cannot tell which class is normal: none of the {what} ({_shown(classes)}) is "
            f"named like a normal class ({', '.join(NORMAL_NAMES)}). Pass {argument}=<the "
            "normal class> to say which one is normal; the others are diseases."
        )
    raise ValueError(
        f"Cannot tell which class is normal: {len(hits)} of the {what} look normal "
        f"({_shown(hits)}). Pass {argument}=<the normal class> to say which one is normal."
    )
