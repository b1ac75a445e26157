"""Which label is normal and which is the disease, for every metric of xraynet.metrics.

One rule (see :mod:`xraynet._normal`): the normal label is ``normal_label``
when given; else ``0`` for numeric labels (xraynet's convention); else, for
string labels, the one label named like a normal class (``"normal"``,
``"No Finding"``, ``"healthy_controls"``...). Otherwise a ValueError asks
for ``normal_label`` -- the metrics never guess which class is healthy.
"""

import numbers

import numpy as np

from xraynet._normal import find_normal_class

__all__ = ["resolve_normal", "binary_roles"]


def _numeric(labels):
    return np.asarray(labels).dtype.kind in "biuf"


def _is_number(value):
    return isinstance(value, (numbers.Number, np.number)) and not isinstance(value, bool)


def _plain(labels):
    return [v.item() if isinstance(v, np.generic) else v for v in labels]


def _check_kind(value, labels, argument):
    """``value`` must be of the kind (number / string) of ``labels``."""
    if value is None or not len(labels):
        return
    if _numeric(labels) != _is_number(value):
        raise ValueError(
            f"{argument}={value!r} cannot be one of the labels {_plain(labels)}: they are "
            f"{'numbers' if _numeric(labels) else 'strings'}. Pass the "
            f"{'normal' if argument == 'normal_label' else 'disease'} class as it appears "
            "in y_true."
        )


def resolve_normal(labels, normal_label=None):
    """The normal label among ``labels`` (sorted unique labels or classes).

    ``normal_label`` if given, else 0 for numeric labels, else the one label
    named like a normal class; ValueError otherwise.
    """
    labels = _plain(labels)
    if normal_label is not None:
        _check_kind(normal_label, labels, "normal_label")
        return normal_label
    if not labels or _numeric(labels):
        return 0
    return find_normal_class(labels, argument="normal_label", what="labels")


def binary_roles(present, *, pos_label=None, normal_label=None):
    """``(disease, normal)`` labels of a binary problem whose labels are ``present``.

    Either may be None when it cannot be known from ``present`` (a sample
    with one class only); a ``pos_label`` that is not in ``present`` is only
    accepted when every sample is of the normal class.
    """
    present = _plain(present)
    _check_kind(pos_label, present, "pos_label")
    _check_kind(normal_label, present, "normal_label")
    if pos_label is not None and normal_label is not None and pos_label == normal_label:
        raise ValueError(f"pos_label and normal_label are both {pos_label!r}.")
    if len(present) > 2:
        raise ValueError(
            f"average='binary' needs a binary target, but the labels are {present}; "
            "choose average='clinical' (sensitivity: macro recall over the disease classes, "
            "specificity: recall of the normal class) or average='macro' / None for "
            "one-vs-rest scores of every label."
        )
    if pos_label is not None:
        if pos_label in present:
            others = [v for v in present if v != pos_label]
            if others:
                neg = others[0]
                if normal_label is not None and neg != normal_label:
                    raise ValueError(
                        f"The labels are {present}: neither is normal_label={normal_label!r}."
                    )
                return pos_label, neg
            if normal_label is not None:
                return pos_label, normal_label
            if _numeric(present):
                return pos_label, (0 if pos_label != 0 else None)
            try:
                return pos_label, find_normal_class([pos_label], argument="normal_label")
            except ValueError:
                return pos_label, None
        try:
            normal = resolve_normal(present, normal_label)
        except ValueError:
            normal = None
        if normal is None or present != [normal]:
            raise ValueError(
                f"pos_label={pos_label!r} is not one of the labels {present} of y_true and "
                "y_pred; pass the disease class as pos_label (or leave it None: the "
                "class that is not normal)."
            )
        return None, normal
    normal = resolve_normal(present, normal_label)
    others = [v for v in present if v != normal]
    if len(others) > 1:
        raise ValueError(
            f"None of the labels {present} is the normal class {normal!r}, so the disease "
            "class is ambiguous; pass normal_label=<the normal class> or "
            "pos_label=<the disease class>."
        )
    return (others[0] if others else None), normal
