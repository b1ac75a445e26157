"""``evaluate_model``: external validation of a fitted model, written as a results folder."""

import csv
from pathlib import Path

import numpy as np

from xraynet.utils import class_name, decision_threshold, is_path_input

from ._json import to_strict_json
from ._model_card import write_model_card
from ._provenance import provenance_record

__all__ = ["evaluate_model"]


def _decode_once(model, X):
    """(model taking arrays, arrays) for a Pipeline starting with an ImageLoader and paths."""
    from sklearn.pipeline import Pipeline

    from xraynet.io import ImageLoader

    steps = getattr(model, "steps", None)
    if not (steps and isinstance(steps[0][1], ImageLoader) and is_path_input(X)):
        return model, X
    X = steps[0][1].transform(np.asarray(X, dtype=object))
    rest = steps[1:]
    return (rest[0][1] if len(rest) == 1 else Pipeline(rest)), X


def evaluate_model(
    model,
    X,
    y,
    out_dir,
    *,
    target_names=None,
    threshold=None,
    stress=True,
    subgroups=None,
    random_state=0,
    provenance=None,
    n_bootstraps=1000,
):
    """Score a fitted model on a new labelled set and write its results folder.

    External validation: the model is not refitted; it is scored on images
    it has never seen (another hospital, a later year) at its stored
    decision threshold and at 0.5, with 95 % bootstrap intervals.

    Files written to ``out_dir``: ``metrics.json`` (metrics, intervals and
    the provenance record; strict JSON, an undefined value is ``null``, see
    :func:`to_strict_json`), ``predictions.csv`` (one row per image: path or
    index, true label, P(disease), predicted label), ``report.html`` with
    its figures (see :func:`write_report`), ``model_card.md`` (see
    :func:`write_model_card`), with ``stress=True`` ``test_stress.csv``
    (see :func:`xraynet.robustness.stress_test`) and with ``subgroups``
    ``test_subgroups.csv`` (see :func:`xraynet.metrics.subgroup_report`).

    Parameters
    ----------
    model : fitted classifier
        Anything with ``predict_proba`` and ``classes_``, e.g. from
        :func:`xraynet.models.load_model`. A Pipeline starting with an
        :class:`xraynet.ImageLoader` takes file paths; they are decoded once.
    X : array-like of shape (n_samples, ...) or (n_samples,)
        Images, or file paths for a model that starts with a loader.
    y : array-like of shape (n_samples,)
        True labels, in the model's classes (0 = normal).
    out_dir : str or path-like
        Folder to write to (created if missing).
    target_names : sequence of str or None, default=None
        Class names indexed by label, normal first.
    threshold : float or None, default=None
        Threshold on P(disease); None takes the model's stored one (0.5 for
        a model without one).
    stress : bool, default=True
        Also run the stress test of simulated acquisition shifts.
    subgroups : array-like of shape (n_samples,), pandas.DataFrame, dict or None, default=None
        Subgroup labels of the images (e.g. view, sex, age band, site), as
        ``groups`` of :func:`xraynet.metrics.subgroup_report` (binary
        problems): metrics with intervals per subgroup, in
        ``test_subgroups.csv`` and the model card.
    random_state : int, default=0
        Seed of the bootstrap and the stress test.
    provenance : dict or None, default=None
        Entries for the provenance record (keyword arguments of
        :func:`provenance_record`, e.g. ``command`` or ``data_source``);
        the counts per class, seed and threshold are filled in.
    n_bootstraps : int, default=1000
        Bootstrap resamples of the 95 % intervals.

    Returns
    -------
    metrics : dict
        The content of ``metrics.json``: the metrics at the threshold,
        ``threshold``, ``ci95``, ``at_0.5``, ``n_images``, ``provenance``
        and, with ``stress``, ``stress_summary``.

    Examples
    --------
    >>> from xraynet.report import evaluate_model  # doctest: +SKIP
    >>> m = evaluate_model(load_model("model.xraynet"), X_ext, y_ext, "external")  # doctest: +SKIP
    >>> m["roc_auc"], m["ci95"]["roc_auc"]  # doctest: +SKIP
    """
    from xraynet.model_selection import evaluate

    from ._report import _model_name, write_report

    if not hasattr(model, "predict_proba"):
        raise TypeError(f"model must have predict_proba; got a {type(model).__name__}.")
    y = np.asarray(y).ravel()
    paths = np.asarray(X, dtype=object) if is_path_input(X) else None
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} images but y has {len(y)} labels.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = decision_threshold(model) if threshold is None else float(threshold)
    rule = (
        "given by the user"
        if threshold is not None
        else "stored with the model; 0.5 for a model without one"
    )
    names = None if target_names is None else [str(n) for n in target_names]
    inner, X_arr = _decode_once(model, X)
    result = evaluate(
        inner,
        X_arr,
        y,
        threshold=t,
        target_names=names,
        n_bootstraps=n_bootstraps,
        random_state=random_state,
    )
    proba = result.pop("proba")
    classes = np.asarray(model.classes_)

    stress_df = None
    if stress:
        from xraynet.robustness import stress_summary, stress_test

        stress_df = stress_test(inner, X_arr, y, threshold=t, random_state=random_state)
        stress_df.to_csv(out / "test_stress.csv", index=False)

    sub = None
    if subgroups is not None:
        from xraynet.metrics import subgroup_report

        if len(classes) != 2:
            raise ValueError(
                f"subgroups needs a binary model; this one has {len(classes)} classes."
            )
        sub = subgroup_report(
            y,
            proba,
            subgroups,
            threshold=t,
            n_bootstraps=n_bootstraps,
            random_state=random_state,
            pos_label=classes[1],
            normal_label=classes[0],
        )
        sub.to_csv(out / "test_subgroups.csv")

    fields = dict(provenance or {})
    fields.setdefault("random_state", random_state)
    fields.setdefault("threshold", t)
    fields.setdefault("threshold_rule", rule)
    record = provenance_record(y=y, target_names=names, **fields)
    record.setdefault("model", _model_name(model, None))
    record.setdefault("task", "external validation")

    if len(classes) == 2:
        p_disease = proba[:, 1]
        predicted = classes[(p_disease >= t).astype(int)]
    else:
        p_disease = 1.0 - proba[:, 0]
        predicted = classes[np.argmax(proba, axis=1)]
    with open(out / "predictions.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path" if paths is not None else "index", "true", "p_disease", "predicted"])
        for i in range(len(y)):
            w.writerow(
                [
                    paths[i] if paths is not None else i,
                    class_name(y[i], names),
                    f"{p_disease[i]:.6f}",
                    class_name(predicted[i], names),
                ]
            )

    metrics = {**result, "n_images": int(len(y)), "target_names": names, "provenance": record}
    if stress_df is not None:
        metrics["stress_summary"] = stress_summary(stress_df)
    (out / "metrics.json").write_text(to_strict_json(metrics) + "\n", encoding="utf-8")
    write_report(
        out,
        estimator=inner,
        X_test=X_arr,
        y_test=y,
        y_score=proba,
        target_names=names,
        threshold=t,
        stress_results=stress_df,
        title="xraynet external validation",
        n_bootstraps=n_bootstraps,
        random_state=random_state,
        provenance=record,
    )
    write_model_card(out, record, result, subgroups=sub)
    return metrics
