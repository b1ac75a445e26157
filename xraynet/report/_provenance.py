"""``provenance_record``: what produced a result, as a JSON-serialisable dict."""

import datetime as _dt
import platform
import sys
from importlib import metadata

import numpy as np

__all__ = ["provenance_record"]

#: Distributions whose versions change results; the first installed name of each tuple counts.
_DEPENDENCIES = (
    ("numpy",),
    ("scikit-learn",),
    ("tensorflow", "tensorflow-cpu"),
    ("keras",),
    ("scikeras",),
    ("opencv-python-headless", "opencv-python"),
    ("pydicom",),
    ("skops",),
)


def _versions():
    out = {}
    for names in (("xraynet",), *_DEPENDENCIES):
        for name in names:
            try:
                out[name] = metadata.version(name)
                break
            except metadata.PackageNotFoundError:
                continue
        else:
            out[names[0]] = None
    return out


def _plain(value):
    """numpy scalars and arrays as Python numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def provenance_record(
    *,
    command=None,
    random_state=None,
    data_source=None,
    y=None,
    target_names=None,
    groups=None,
    models=None,
    selection_rule=None,
    threshold=None,
    threshold_rule=None,
    extra=None,
):
    """The provenance of a result: command, versions, seed, data, models and threshold.

    Written into ``metrics.json`` and the model card so that a reader can
    tell what produced a number and rerun it.

    Parameters
    ----------
    command : str, sequence of str or None, default=None
        The command line (a list is joined with spaces).
    random_state : int or None, default=None
        The random seed of the run.
    data_source : str or None, default=None
        Where the images came from (a folder, a CSV file, a data set name).
    y : array-like of shape (n_samples,) or None, default=None
        Labels of the images used; counted per class.
    target_names : sequence of str or None, default=None
        Class names indexed by label, used for the counts.
    groups : array-like, bool or None, default=None
        Patient ids of the images (their number is recorded), or True /
        False for grouping on or off; None means off.
    models : sequence of str or None, default=None
        The candidate models.
    selection_rule : str or None, default=None
        How the winner was chosen (e.g. ``"roc_auc"``).
    threshold : float or None, default=None
        The decision threshold on P(disease).
    threshold_rule : str or None, default=None
        How the threshold was chosen.
    extra : dict or None, default=None
        Further entries, added as they are.

    Returns
    -------
    record : dict
        JSON-serialisable: ``created``, ``command``, ``versions``
        (distribution -> version or None), ``python``, ``platform``,
        ``random_state``, ``data`` (``source``, ``n_images``, ``counts``),
        ``patient_grouping`` (bool), ``n_patients``, ``models``,
        ``selection_rule``, ``threshold``, ``threshold_rule``.

    Examples
    --------
    >>> from xraynet.report import provenance_record
    >>> rec = provenance_record(y=[0, 1, 1], target_names=["NORMAL", "PNEUMONIA"])
    >>> rec["data"]["counts"]
    {'NORMAL': 1, 'PNEUMONIA': 2}
    """
    if command is not None and not isinstance(command, str):
        command = " ".join(str(c) for c in command)
    counts, n_images = None, None
    if y is not None:
        labels, n = np.unique(np.asarray(y).ravel(), return_counts=True)
        names = list(target_names) if target_names is not None else None

        def _name(label):
            if (
                names is not None
                and isinstance(label, (int, np.integer))
                and 0 <= label < len(names)
            ):
                return str(names[label])
            return str(label)

        counts = {_name(k): int(c) for k, c in zip(labels, n)}
        n_images = int(n.sum())
    if groups is None or isinstance(groups, (bool, np.bool_)):
        grouping, n_patients = bool(groups), None
    else:
        grouping, n_patients = True, int(len(np.unique(np.asarray(groups).astype(str))))
    record = {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": command,
        "versions": _versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "random_state": _plain(random_state),
        "data": {
            "source": None if data_source is None else str(data_source),
            "n_images": n_images,
            "counts": counts,
        },
        "patient_grouping": grouping,
        "n_patients": n_patients,
        "models": None if models is None else [str(m) for m in models],
        "selection_rule": selection_rule,
        "threshold": None if threshold is None else float(threshold),
        "threshold_rule": threshold_rule,
    }
    if extra:
        record.update(_plain(dict(extra)))
    return record
