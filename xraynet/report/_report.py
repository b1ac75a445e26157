"""``write_report``: one self-contained HTML page summarising a model comparison."""

import datetime as _dt
import warnings
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from xraynet.metrics import classification_summary
from xraynet.utils import check_image_array, class_name, decision_threshold, final_estimator
from xraynet.utils._estimators import is_keras_estimator

from ._html import (
    esc,
    fig_to_png,
    figure_html,
    fmt_number,
    leaderboard_html,
    not_available,
    page,
    table_html,
)
from ._sections import citations_section, provenance_section

__all__ = ["write_report"]


def _model_name(estimator, leaderboard, best_name=None):
    if best_name:
        return str(best_name)
    if leaderboard is not None and leaderboard.attrs.get("best_model_name_"):
        return str(leaderboard.attrs["best_model_name_"])
    if estimator is None:
        return "model"
    steps = getattr(estimator, "steps", None)
    if steps:
        return " → ".join(type(s).__name__ for _, s in steps if s not in (None, "passthrough"))
    return type(estimator).__name__


def _explained(estimator):
    """The network Grad-CAM explains: the estimator, or the first member of an ensemble."""
    est = final_estimator(estimator)
    members = getattr(est, "estimators_", None)
    return final_estimator(members[0]) if members else est


def _is_keras(estimator):
    return is_keras_estimator(_explained(estimator))


def _scores(estimator, X_test, y_score, y_test, target_names):
    """Test-set scores as a dict, or None when there is nothing to score."""
    y = np.asarray(y_test).ravel()
    classes = (
        getattr(final_estimator(estimator), "classes_", None) if estimator is not None else None
    )
    if y_score is None:
        if estimator is None or X_test is None:
            return None
        proba = np.asarray(estimator.predict_proba(X_test), dtype=float)
    else:
        proba = np.asarray(y_score, dtype=float)
        if proba.ndim == 1:
            proba = np.c_[1 - proba, proba]
    if proba.shape[0] != y.shape[0]:
        raise ValueError(f"{proba.shape[0]} predictions for {y.shape[0]} test labels.")
    classes = np.arange(proba.shape[1]) if classes is None else np.asarray(classes)
    note = ""
    if proba.shape[1] == 2:
        pos = int(np.flatnonzero(classes == 1)[0]) if np.any(classes == 1) else 1
        score = proba[:, pos]
        y_bin = (y == classes[pos]).astype(int)
        positive = class_name(classes[pos], target_names)
        negative = class_name(classes[1 - pos], target_names)
    else:
        # several disease classes: summarise "any disease" vs normal (class 0)
        pos = None
        score = 1.0 - proba[:, 0]
        y_bin = (y != classes[0]).astype(int)
        positive = "any disease"
        negative = class_name(classes[0], target_names)
        note = (
            f"{proba.shape[1]} classes: the metrics below are for any disease versus "
            f"{class_name(classes[0], target_names)} (disease score = 1 - P(normal))."
        )
    return {
        "y_bin": y_bin,
        "score": score,
        "proba": proba,
        "classes": classes,
        "pos": pos,
        "positive": positive,
        "negative": negative,
        "note": note,
    }


def _save(out_dir, name, fig, alt, caption):
    import matplotlib.pyplot as plt

    filename = f"{name}.png"
    png = fig_to_png(fig, out_dir / filename)
    plt.close(fig)
    return figure_html(png, alt, caption, filename)


def _safe(label, func):
    """Run one report section; a failure becomes a message instead of no report."""
    try:
        return func()
    except Exception as exc:  # noqa: BLE001 - the report must still be written
        warnings.warn(f"report section {label!r} failed: {exc!r}", RuntimeWarning, stacklevel=3)
        return not_available(f"{label} could not be produced: {type(exc).__name__}: {exc}")


def _stress_section(out_dir, results):
    from xraynet.robustness import StressTestDisplay, stress_summary

    disp = StressTestDisplay.from_results(results)
    fig = _save(
        out_dir,
        "stress_test",
        disp.figure_,
        "stress test",
        "ROC AUC and specificity of the model on the test images under simulated "
        "acquisition shifts, by severity; dashed: the clean images.",
    )
    s = stress_summary(results)
    text = (
        f"<p>Clean ROC AUC {fmt_number(s['clean_roc_auc'])}; mean under shift "
        f"{fmt_number(s['shifted_roc_auc'])}, worst {fmt_number(s['worst_roc_auc'])} "
        f"({esc(s['worst_auc_shift'])}). Worst specificity {fmt_number(s['worst_specificity'])}"
        f" ({esc(s['worst_specificity_shift'])}), worst sensitivity "
        f"{fmt_number(s['worst_sensitivity'])} ({esc(s['worst_sensitivity_shift'])}), at "
        f"threshold {fmt_number(results.attrs.get('threshold', float('nan')))}.</p>"
    )
    shifted = results[results["severity"] > 0]
    pivot = shifted.pivot_table(
        index="shift", columns="severity", values=["roc_auc", "specificity"], sort=False
    )
    header = ["shift"] + [f"{m.replace('roc_auc', 'AUC')} s{sev}" for m, sev in pivot.columns]
    rows = [[str(i)] + [fmt_number(v) for v in rec] for i, rec in pivot.iterrows()]
    note = (
        '<p class="note">The shifts are simulated (exposure, contrast, gamma, blur, noise, '
        "JPEG re-compression, lower resolution, rotation, collimation): they show how "
        "fragile the operating point is, not how the model does on another hospital's "
        "films, which only an external test set can show.</p>"
    )
    return fig + text + table_html(header, rows) + note


def write_report(
    out_dir,
    comparison=None,
    *,
    leaderboard=None,
    estimator=None,
    X_test=None,
    y_test=None,
    target_names=None,
    y_score=None,
    title="xraynet report",
    threshold=None,
    stress_results=None,
    n_bootstraps=1000,
    n_gradcam=4,
    random_state=0,
    provenance=None,
):
    """Write a self-contained ``report.html`` about a model comparison and its winner.

    Figures are embedded in the page as base64 PNGs and also written as
    separate PNG files next to it. Sections: leaderboard; the winner's test
    metrics with bootstrap confidence intervals; ROC curve; confusion matrix;
    training curves (Keras estimators, also as the last step of a
    Pipeline); most confident correct / incorrect predictions; Grad-CAM
    (Keras estimators); provenance (how the result was produced: command,
    versions, seed, data and counts per class, patient grouping, models,
    selection rule, threshold and its rule); for a run on the Kermany
    films or PneumoniaMNIST, the data sets' citations (Kermany et al. 2018;
    MedMNIST v2, Yang et al. 2023). Sections that do not apply say so ("not
    available for this model"). Every text taken from the data is
    HTML-escaped.

    Parameters
    ----------
    out_dir : str or path-like
        Folder to write to (created if missing).
    comparison : xraynet.model_selection.ModelComparison or None, default=None
        A fitted comparison: its leaderboard (winner highlighted), winner and
        decision threshold are used unless given explicitly below.
    leaderboard : pandas.DataFrame or None, default=None
        A leaderboard (``ModelComparison.leaderboard_`` or
        :func:`~xraynet.model_selection.compare_models`); the row named
        ``attrs["best_model_name_"]`` is highlighted.
    estimator : fitted classifier or None, default=None
        The model to report on (anything with ``predict_proba``; Pipelines
        included); default ``comparison.best_estimator_``.
    X_test : ndarray of shape (n, h, w[, c]) or None, default=None
        Held-out test images.
    y_test : array-like of shape (n,) or None, default=None
        Their labels (0 = normal).
    target_names : sequence of str or None, default=None
        Class names indexed by label.
    y_score : array-like or None, default=None
        Precomputed ``predict_proba(X_test)`` (or disease probabilities);
        used instead of calling the estimator.
    title : str, default="xraynet report"
        Title of the page.
    threshold : float or None, default=None
        Decision threshold on the disease probability for the metrics,
        confusion matrix and ROC marker; None takes the model's own
        (``comparison.threshold_``, a ``threshold_`` of the estimator, else 0.5).
    stress_results : pandas.DataFrame or None, default=None
        A :func:`xraynet.robustness.stress_test` table of the model on the
        test images: adds the section "Robustness to acquisition shift".
    n_bootstraps : int, default=1000
        Bootstrap resamples for the confidence intervals.
    n_gradcam : int, default=4
        Incorrect and correct test images (each) shown with Grad-CAM.
    random_state : int, default=0
        Seed of the bootstrap resamples.
    provenance : dict or None, default=None
        A provenance record (:func:`provenance_record`, as written into
        ``metrics.json``), shown in the section "Provenance"; its data
        source (or a ``"dataset"`` entry) naming Kermany's data or
        PneumoniaMNIST adds the section "Data-set citations". None: the
        section says no record was given.

    Returns
    -------
    path : pathlib.Path
        ``out_dir / "report.html"``.

    Examples
    --------
    >>> from xraynet.report import write_report  # doctest: +SKIP
    >>> comp = ModelComparison().fit(X, y)  # doctest: +SKIP
    >>> write_report("out", comp, X_test=X_test, y_test=y_test,
    ...              target_names=["NORMAL", "PNEUMONIA"])  # doctest: +SKIP
    """
    from xraynet.plotting import (
        ConfusionMatrixDisplay,
        GradCAMDisplay,
        PredictionGridDisplay,
        RocCurvesDisplay,
        TrainingHistoryDisplay,
    )

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if target_names is not None:
        target_names = [str(t) for t in target_names]
    best_name = None
    if comparison is not None:
        check_is_fitted(comparison, "leaderboard_")
        leaderboard = comparison.leaderboard_ if leaderboard is None else leaderboard
        estimator = comparison.best_estimator_ if estimator is None else estimator
        best_name = comparison.best_name_
        if threshold is None:
            threshold = comparison.threshold_
    if threshold is None:
        threshold = decision_threshold(estimator) if estimator is not None else 0.5
    name = _model_name(estimator, leaderboard, best_name)
    sections = []

    # -- leaderboard
    if leaderboard is not None and len(leaderboard):
        primary = leaderboard.attrs.get("primary_metric")
        if best_name is not None and not leaderboard.attrs.get("best_model_name_"):
            leaderboard = leaderboard.copy()
            leaderboard.attrs["best_model_name_"] = best_name
        body = leaderboard_html(leaderboard)
        body += '<p class="note">Cross-validated scores on the training data'
        body += f", sorted by {esc(primary)}" if primary else ""
        body += "; the highlighted row is the selected model.</p>"
        if "error" in leaderboard.columns:
            failed = leaderboard.index[leaderboard["error"].astype(str).str.len() > 0].tolist()
            if failed:
                body += f'<p class="note">Failed: {esc(", ".join(map(str, failed)))}.</p>'
    else:
        body = not_available("No leaderboard was given.")
    sections.append(("leaderboard", "Model comparison", body))

    images = None
    if X_test is not None:
        try:
            images = check_image_array(X_test, name="X_test")
        except ValueError:
            images = None
    scored = None
    if y_test is not None:
        scored = _safe(
            "Scoring the test set",
            lambda: _scores(estimator, X_test, y_score, y_test, target_names),
        )
        if isinstance(scored, str):
            sections.append(("metrics", "Test-set performance", scored))
            scored = None
    y_test_arr = None if y_test is None else np.asarray(y_test).ravel()

    # -- metrics with confidence intervals
    if scored is not None:
        y_bin, score, proba, classes = (scored[k] for k in ("y_bin", "score", "proba", "classes"))
        pos, positive, note = scored["pos"], scored["positive"], scored["note"]
        negative = scored["negative"]

        def metrics_section():
            summary = classification_summary(
                y_bin,
                score,
                threshold=threshold,
                n_bootstraps=n_bootstraps,
                random_state=random_state,
            )
            summary.to_csv(out_dir / "test_metrics.csv")
            labels = summary.attrs["labels"]
            pct = int(round(summary.attrs["confidence"] * 100))
            rows = []
            for key, rec in summary.iterrows():
                if key in ("TP", "FP", "TN", "FN"):
                    rows.append([labels[key], str(int(rec["value"])), ""])
                else:
                    ci = (
                        ""
                        if np.isnan(rec["ci_low"])
                        else f"{fmt_number(rec['ci_low'])} – {fmt_number(rec['ci_high'])}"
                    )
                    rows.append([labels[key], fmt_number(rec["value"]), ci])

            def key(k):
                rec = summary.loc[k]
                ci = (
                    ""
                    if np.isnan(rec["ci_low"])
                    else f" ({fmt_number(rec['ci_low'])}–{fmt_number(rec['ci_high'])})"
                )
                return f"<b>{fmt_number(rec['value'])}</b>{ci}"

            text = (
                f'<p class="headline">ROC AUC {key("roc_auc")} · sensitivity '
                f"{key('sensitivity')} · specificity {key('specificity')} · accuracy "
                f"{key('accuracy')}</p>"
            )
            text += (
                f"<p>{esc(name)} on {len(y_bin)} held-out test images "
                f"({int(y_bin.sum())} {esc(positive)}, "
                f"{int(len(y_bin) - y_bin.sum())} {esc(negative)}). "
                f"Positive class: {esc(positive)}; an image is called positive when its "
                f"probability is ≥ {threshold:g}.</p>"
            )
            if note:
                text += f'<p class="note">{esc(note)}</p>'
            text += table_html(["metric", "value", f"{pct}% CI"], rows)
            text += (
                f'<p class="note">Intervals: percentile bootstrap over '
                f"{summary.attrs['n_bootstraps']} resamples of the test images. "
                "Also saved as <code>test_metrics.csv</code>.</p>"
            )
            return text

        sections.append(("metrics", "Test-set performance", _safe("Metrics", metrics_section)))

        def roc_section():
            disp = RocCurvesDisplay.from_predictions(
                {name: (y_bin, score)},
                operating_threshold=threshold,
                title=f"ROC curve on the test set: {name}",
            )
            return _save(
                out_dir,
                "roc_curve",
                disp.figure_,
                "ROC curve",
                f"ROC curve; the dot marks the operating point at threshold {threshold:g}.",
            )

        if len(np.unique(y_bin)) < 2:
            only = positive if y_bin.any() else negative
            body = not_available(
                f"ROC curve: not available; every test image is {only}, and a ROC "
                "curve needs both normal and disease images."
            )
        else:
            body = _safe("ROC curve", roc_section)
        sections.append(("roc", "ROC curve", body))

        def cm_section():
            if pos is not None:
                y_pred = np.where(score >= threshold, classes[pos], classes[1 - pos])
            else:
                y_pred = classes[np.argmax(proba, axis=1)]
            disp = ConfusionMatrixDisplay.from_predictions(
                y_test_arr,
                y_pred,
                target_names=target_names,
                title=f"Confusion matrix on the test set: {name}",
            )
            return _save(
                out_dir,
                "confusion_matrix",
                disp.figure_,
                "confusion matrix",
                "Counts, and the share of each true class (rows).",
            )

        sections.append(("confusion", "Confusion matrix", _safe("Confusion matrix", cm_section)))
    else:
        sections.append(
            (
                "metrics",
                "Test-set performance",
                not_available("No test data given (estimator or y_score, and y_test, are needed)."),
            )
        )

    # -- training curves
    history = (
        getattr(final_estimator(estimator), "history_", None) if estimator is not None else None
    )
    if history:

        def history_section():
            disp = TrainingHistoryDisplay.from_estimator(
                estimator, title=f"Training history: {name}"
            )
            return _save(
                out_dir,
                "training_history",
                disp.figure_,
                "training curves",
                "Accuracy and loss per epoch; dotted lines: learning-rate reductions.",
            )

        body = _safe("Training curves", history_section)
    else:
        body = not_available(
            f"Training curves: not available for this model ({name}); only "
            "the Keras networks record a per-epoch history."
        )
    sections.append(("training", "Training curves", body))

    # -- predictions and Grad-CAM
    if scored is not None and images is not None and len(images) == len(y_test_arr):
        proba, classes = scored["proba"], scored["classes"]
        y_idx = (
            np.searchsorted(classes, y_test_arr) if np.all(np.isin(y_test_arr, classes)) else None
        )

        def grid_section():
            disp = PredictionGridDisplay.from_predictions(images, y_idx, proba, target_names)
            return _save(
                out_dir,
                "predictions",
                disp.figure_,
                "prediction examples",
                "The most confident mistakes and correct calls on the test set.",
            )

        body = (
            _safe("Prediction examples", grid_section)
            if y_idx is not None
            else not_available("Prediction examples: test labels do not match the model classes.")
        )
        sections.append(("predictions", "Prediction examples", body))

        if estimator is not None and _is_keras(estimator) and y_idx is not None:

            def gradcam_section():
                pred = proba.argmax(axis=1)
                conf = proba.max(axis=1)
                wrong = np.flatnonzero(pred != y_idx)
                right = np.flatnonzero(pred == y_idx)
                wrong = wrong[np.argsort(-conf[wrong], kind="stable")][:n_gradcam]
                right = right[np.argsort(-conf[right], kind="stable")][:n_gradcam]
                idx = np.r_[wrong, right].astype(int)
                disp = GradCAMDisplay.from_estimator(
                    _explained(estimator),
                    images[idx],
                    y_test_arr[idx],
                    target_names,
                    title=f"Grad-CAM: {len(wrong)} most confident mistakes, then "
                    f"{len(right)} correct calls",
                )
                return _save(
                    out_dir,
                    "gradcam",
                    disp.figure_,
                    "Grad-CAM",
                    "Each X-ray and the regions that drove the predicted class "
                    "(red = strongest evidence). Captions in red: wrong prediction.",
                )

            body = _safe("Grad-CAM", gradcam_section)
        else:
            body = not_available(
                f"Grad-CAM: not available for this model ({name}); it needs a "
                "convolutional Keras network (CNNClassifier, ResNetClassifier, "
                "TransferClassifier)."
            )
        sections.append(("gradcam", "Grad-CAM", body))
    else:
        reason = "no test images given" if images is None else "no test labels or predictions"
        sections.append(
            (
                "predictions",
                "Prediction examples",
                not_available(f"Prediction examples and Grad-CAM: {reason}."),
            )
        )

    if stress_results is not None:
        sections.append(
            (
                "robustness",
                "Robustness to acquisition shift",
                _safe("Robustness", lambda: _stress_section(out_dir, stress_results)),
            )
        )

    if provenance is not None:
        sections.append(
            (
                "provenance",
                "Provenance",
                _safe("Provenance", lambda: provenance_section(provenance)),
            )
        )
        cites = _safe("Data-set citations", lambda: citations_section(provenance))
        if cites:
            sections.append(("citations", "Data-set citations", cites))
    else:
        sections.append(
            (
                "provenance",
                "Provenance",
                not_available(
                    "No provenance record was given (write_report(..., "
                    "provenance=provenance_record(...)))."
                ),
            )
        )

    from xraynet import __version__

    when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta = f"Model: <b>{esc(name)}</b> · generated {esc(when)} by xraynet {esc(__version__)}"
    if target_names:
        meta += f" · classes: {esc(', '.join(target_names))}"
    path = out_dir / "report.html"
    path.write_text(page(title, meta, sections), encoding="utf-8")
    return path
