"""Report sections drawn from a provenance record: how a result was produced, what to cite."""

import json
import math

from ._html import esc, fmt_number, table_html
from ._model_card import NOT_A_DEVICE
from ._model_card import _datasets as dataset_citations

#: Record entries shown in this order, with these labels; any other entry follows.
_KNOWN = (
    ("command", "Command"),
    ("created", "Created"),
    ("task", "Task"),
    ("model", "Model"),
    ("model_file", "Model file"),
    ("dataset", "Data set"),
    ("random_state", "Random seed"),
    ("models", "Candidate models"),
    ("selection_rule", "Selection rule"),
    ("cv", "Cross-validation folds"),
    ("n_train", "Training images"),
    ("n_test", "Test images"),
    ("python", "Python"),
    ("platform", "Platform"),
)
_DONE = {k for k, _ in _KNOWN} | {
    "data",
    "patient_grouping",
    "n_patients",
    "threshold",
    "threshold_rule",
    "versions",
}


def _text(value):
    """A record value as plain text (escaped later by the table)."""
    if value is None:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else fmt_number(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value) or "none"
    if isinstance(value, dict):
        return json.dumps(value, default=str, allow_nan=True)
    return str(value)


def provenance_section(record):
    """HTML body of the "Provenance" section: every entry of ``record``, escaped."""
    data = record.get("data") or {}
    counts = data.get("counts") or {}
    rows = []
    for key, label in _KNOWN[:6]:
        if record.get(key) is not None:
            rows.append([label, _text(record[key])])
    rows.append(["Data source", _text(data.get("source"))])
    n_images = data.get("n_images")
    count_text = ", ".join(f"{k}: {v}" for k, v in counts.items())
    rows.append(
        [
            "Images per class",
            f"{n_images} ({count_text})" if n_images is not None else "not recorded",
        ]
    )
    if record.get("task") == "external validation":
        grouping = "not applicable: the model is scored, not refitted, on these images"
    elif record.get("patient_grouping"):
        n = record.get("n_patients")
        grouping = "on" + (f" ({n} patients)" if n else "")
    else:
        grouping = "off: images of one patient may be on both sides of a split"
    rows.append(["Patient grouping", grouping])
    for key, label in _KNOWN[6:]:
        if key in ("models", "selection_rule") or record.get(key) is not None:
            rows.append([label, _text(record.get(key))])
    threshold = record.get("threshold")
    rows.append(["Decision threshold on P(disease)", _text(threshold)])
    rows.append(["Threshold rule", _text(record.get("threshold_rule"))])
    versions = record.get("versions") or {}
    rows.append(
        [
            "Versions",
            ", ".join(f"{k} {v}" for k, v in versions.items() if v) or "not recorded",
        ]
    )
    for key in sorted(k for k in record if k not in _DONE):
        rows.append([str(key).replace("_", " "), _text(record[key])])
    return (
        table_html(["entry", "value"], rows, cls="record")
        + '<p class="note"><code>xraynet compare</code> and <code>xraynet evaluate</code> '
        "write the same record into <code>metrics.json</code> (<code>provenance</code>) "
        "and the model card. "
        f"{esc(NOT_A_DEVICE)}</p>"
    )


def citations_section(record):
    """HTML body of the "Data-set citations" section, or None for data sets not recognised."""
    cites = dataset_citations(record)
    if not cites:
        return None
    items = "".join(f"<li>{esc(c)}</li>" for c in cites)
    return (
        "<p>These images come from public data sets; cite them in any publication:</p>"
        f"<ul>{items}</ul>"
    )
