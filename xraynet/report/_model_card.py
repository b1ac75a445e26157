"""``write_model_card``: a Markdown model card filled from a provenance record and metrics."""

from pathlib import Path

import numpy as np

__all__ = ["write_model_card"]

NOT_A_DEVICE = (
    "xraynet is research software. It is not a medical device and must not be used "
    "for diagnosis or clinical decisions."
)

_KERMANY = (
    "Kermany DS, Goldbaum M, Cai W, et al. Identifying Medical Diagnoses and Treatable "
    "Diseases by Image-Based Deep Learning. Cell. 2018;172(5):1122-1131. "
    "doi:10.1016/j.cell.2018.02.010"
)
_MEDMNIST = (
    "Yang J, Shi R, Wei D, et al. MedMNIST v2 - A large-scale lightweight benchmark for "
    "2D and 3D biomedical image classification. Scientific Data. 2023;10:41. "
    "doi:10.1038/s41597-022-01721-8"
)

_METRICS = (
    ("roc_auc", "ROC AUC"),
    ("accuracy", "Accuracy"),
    ("sensitivity", "Sensitivity"),
    ("specificity", "Specificity"),
    ("balanced_accuracy", "Balanced accuracy"),
    ("ppv", "PPV (precision)"),
    ("npv", "NPV"),
    ("f1", "F1"),
)


def _datasets(record):
    """Citations of the public data sets the record's data come from."""
    text = " ".join(str(record.get(k) or "") for k in ("dataset",)).lower()
    text += " " + str((record.get("data") or {}).get("source") or "").lower()
    cites = []
    if "pneumoniamnist" in text or "medmnist" in text:
        cites += [_MEDMNIST, _KERMANY]  # PneumoniaMNIST is built from Kermany's films
    elif any(k in text for k in ("kermany", "chest_xray", "chest-xray-pneumonia")):
        cites.append(_KERMANY)
    return cites


def _fmt(value):
    if value is None:
        return "n/a"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "n/a" if np.isnan(value) else f"{value:.3f}"


def _metrics_table(metrics):
    ci = metrics.get("ci95") or {}
    at05 = metrics.get("at_0.5") or {}
    rows = ["| Metric | Value | 95 % CI | At threshold 0.5 |", "|---|---|---|---|"]
    for key, label in _METRICS:
        if key not in metrics:
            continue
        lo_hi = ci.get(key)
        interval = f"{_fmt(lo_hi[0])} – {_fmt(lo_hi[1])}" if lo_hi else "n/a"
        rows.append(f"| {label} | {_fmt(metrics[key])} | {interval} | {_fmt(at05.get(key))} |")
    return "\n".join(rows)


def _subgroup_table(subgroups):
    import pandas as pd

    df = pd.DataFrame(subgroups)
    for col in [c for c in df.columns if f"{c}_low" in df.columns and f"{c}_high" in df.columns]:
        df[col] = [
            v if _fmt(v) == "n/a" else f"{_fmt(v)} ({_fmt(lo)}–{_fmt(hi)})"
            for v, lo, hi in zip(df[col], df[f"{col}_low"], df[f"{col}_high"])
        ]
        df = df.drop(columns=[f"{col}_low", f"{col}_high"])
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(["group", *cols]) + " |", "|" + "---|" * (len(cols) + 1)]
    for idx, row in df.iterrows():
        label = " / ".join(map(str, idx)) if isinstance(idx, tuple) else str(idx)
        lines.append("| " + " | ".join([label, *(_fmt(v) for v in row)]) + " |")
    return "\n".join(lines)


def write_model_card(
    out_dir, record, metrics, *, subgroups=None, model_name=None, intended_use=None
):
    """Write ``model_card.md``: a model card after the CLAIM and TRIPOD-AI headings.

    Sections: intended use, data, splits, model, decision threshold,
    performance with 95 % bootstrap intervals, subgroups, limitations,
    ethics (research software, not a medical device), reproducibility
    (command, seed, versions) and the citations of the data sets used
    (Kermany et al. 2018 for the Kermany / Guangzhou films; MedMNIST v2,
    Yang et al. 2023 as well for PneumoniaMNIST).

    Parameters
    ----------
    out_dir : str or path-like
        Folder to write to (created if missing).
    record : dict
        A provenance record (:func:`provenance_record`), optionally with a
        ``"dataset"`` entry naming a public data set.
    metrics : dict
        Test metrics as returned by
        :func:`~xraynet.model_selection.evaluate`: values, ``threshold``,
        ``ci95`` (metric -> [low, high]) and ``at_0.5``.
    subgroups : pandas.DataFrame, dict or None, default=None
        Metrics per subgroup (rows: groups, columns: metrics).
    model_name : str or None, default=None
        Name of the model; default the record's ``"model"`` entry.
    intended_use : str or None, default=None
        Replaces the default intended-use paragraph.

    Returns
    -------
    path : pathlib.Path
        The ``model_card.md`` written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = record.get("data") or {}
    versions = record.get("versions") or {}
    cites = _datasets(record)
    name = model_name or record.get("model") or "model"
    counts = data.get("counts") or {}
    count_text = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "not recorded"
    threshold = metrics.get("threshold", record.get("threshold"))
    limitations = [
        "Performance was measured on the data described above only; it is not known on films "
        "from other hospitals, devices, populations or years until validated there "
        "(`xraynet evaluate` on an external labelled set).",
        "Bootstrap intervals reflect sampling of the test images, not shifts between sites.",
    ]
    if cites:
        limitations.insert(
            0,
            "Paediatric, single centre (Guangzhou Women and Children's Medical "
            "Center): children aged 1-5 years; adult films and other sites "
            "were not represented.",
        )
    external = record.get("task") == "external validation"
    if not record.get("patient_grouping") and not external:
        limitations.append(
            "Splits were not grouped by patient: images of one patient may be on "
            "both sides, which inflates the scores."
        )
    lines = [
        f"# Model card: {name}",
        "",
        f"Created {record.get('created', 'n/a')} by xraynet {versions.get('xraynet', 'n/a')}. "
        "Headings follow the CLAIM checklist (Checklist for Artificial Intelligence in Medical "
        "Imaging) and TRIPOD-AI.",
        "",
        "## Intended use",
        "",
        intended_use
        or (
            "Research on the classification of chest radiographs "
            f"({' vs '.join(counts) or 'normal vs disease'}): benchmarking and "
            "method development. Not for clinical use."
        ),
        "",
        "## Data",
        "",
        f"- Source: {data.get('source') or 'not recorded'}",
        f"- Images: {data.get('n_images') if data.get('n_images') is not None else 'n/a'} "
        f"({count_text})",
        f"- Patients: {record.get('n_patients') or 'not recorded'}",
        "",
        "## Splits",
        "",
        "- External validation: a saved model scored on this set, without refitting; no split."
        if external
        else f"- Grouped by patient: {'yes' if record.get('patient_grouping') else 'no'}",
    ]
    for key, label in (
        ("cv", "Cross-validation folds"),
        ("n_train", "Training images"),
        ("n_test", "Test images"),
    ):
        if record.get(key) is not None:
            lines.append(f"- {label}: {record[key]}")
    lines += [
        "",
        "## Model",
        "",
        f"- Model: {name}",
        f"- Candidates: {', '.join(record.get('models') or []) or 'not recorded'}",
        f"- Selection rule: {record.get('selection_rule') or 'not recorded'}",
        f"- Decision threshold on P(disease): {_fmt(threshold)} "
        f"({record.get('threshold_rule') or 'rule not recorded'})",
        "",
        "## Performance",
        "",
        f"At the decision threshold {_fmt(threshold)}; 95 % bootstrap confidence intervals.",
        "",
        _metrics_table(metrics),
        "",
        "## Subgroups",
        "",
        _subgroup_table(subgroups)
        if subgroups is not None and len(subgroups)
        else "No subgroup analysis was run.",
        "",
        "## Limitations",
        "",
        *(f"- {item}" for item in limitations),
        "",
        "## Ethical considerations",
        "",
        NOT_A_DEVICE,
        "",
        "## Reproducibility",
        "",
        f"- Command: `{record.get('command') or 'not recorded'}`",
        f"- Random seed: {record.get('random_state')}",
        f"- Python {record.get('python', 'n/a')} on {record.get('platform', 'n/a')}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v),
        "",
        "## Citations",
        "",
    ]
    lines += [f"- {c}" for c in cites] or ["- No public data set recognised; cite your data."]
    path = out / "model_card.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
