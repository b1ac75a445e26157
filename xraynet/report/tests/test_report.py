import base64
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import sklearn  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

from xraynet.report import write_report  # noqa: E402
from xraynet.report._html import esc  # noqa: E402

NAMES = ["NORMAL", "PNEUMONIA"]


def _board(best):
    board = pd.DataFrame(
        {
            "roc_auc_mean": [0.912, 0.871],
            "roc_auc_sd": [0.011, 0.02],
            "accuracy_mean": [0.85, 0.8],
            "accuracy_sd": [0.01, 0.03],
            "fit_time": [12.3, 0.4],
            "score_time": [0.2, 0.01],
            "error": ["", ""],
        },
        index=pd.Index([best, "other_model"], name="model"),
    )
    board.attrs.update(primary_metric="roc_auc", best_model_name_=best)
    return board


def _images_in(html):
    uris = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    return [base64.b64decode(u) for u in uris]


def _check_common(path, best):
    assert path.name == "report.html" and path.is_file()
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert best in html and "other_model" in html
    assert "0.912 ± 0.011" in html  # leaderboard mean ± sd
    assert 'class="best"' in html
    assert "Sensitivity" in html and "95% CI" in html
    pngs = _images_in(html)
    assert len(pngs) >= 3 and all(p[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert "http://" not in html and "https://" not in html  # self-contained
    for name in ("roc_curve.png", "confusion_matrix.png", "predictions.png"):
        assert (path.parent / name).stat().st_size > 1000
    assert (path.parent / "test_metrics.csv").is_file()
    return html, pngs


def test_report_for_sklearn_pipeline(tmp_path, pneumoniamnist_small):
    Xtr, ytr, Xte, yte = pneumoniamnist_small
    flat = FunctionTransformer(lambda X: X.reshape(len(X), -1) / 255.0)
    pipe = make_pipeline(flat, LogisticRegression(C=0.01, max_iter=500)).fit(Xtr, ytr)
    path = write_report(
        tmp_path / "out",
        leaderboard=_board("logreg"),
        estimator=pipe,
        X_test=Xte,
        y_test=yte,
        target_names=NAMES,
        n_bootstraps=200,
    )
    html, pngs = _check_common(path, "logreg")
    assert len(pngs) == 3
    assert html.count("not available for this model") == 2  # training curves and Grad-CAM
    assert not (path.parent / "gradcam.png").exists()


def test_report_for_keras_estimator(tmp_path, pneumoniamnist_small):
    pytest.importorskip("xraynet.models")
    from xraynet.explain.tests._fitted import fitted_cnn

    Xtr, ytr, Xte, yte = pneumoniamnist_small
    est = fitted_cnn(Xtr, ytr)  # shared with the Grad-CAM tests
    path = write_report(
        tmp_path,
        leaderboard=_board("cnn"),
        estimator=est,
        X_test=Xte,
        y_test=yte,
        target_names=NAMES,
        n_bootstraps=100,
        n_gradcam=2,
    )
    html, pngs = _check_common(path, "cnn")
    assert len(pngs) == 5
    assert "not available" not in html
    assert (tmp_path / "gradcam.png").is_file() and (tmp_path / "training_history.png").is_file()


def test_report_degrades_gracefully(tmp_path):
    # only a leaderboard
    html = write_report(tmp_path / "a", leaderboard=_board("m")).read_text()
    assert "No test data given" in html and not _images_in(html)
    # precomputed scores, no estimator, no images, no names
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, 80)
    score = np.clip(0.4 * y + 0.6 * rng.rand(80), 0, 1)
    html = write_report(tmp_path / "b", y_test=y, y_score=score, n_bootstraps=50).read_text()
    assert len(_images_in(html)) == 2  # ROC and confusion matrix
    assert "no test images given" in html
    # a failing section becomes a message, not an exception
    with pytest.warns(RuntimeWarning, match="failed"):
        html = write_report(tmp_path / "c", y_test=y, y_score=score[:10]).read_text()
    assert "could not be produced" in html


def test_report_multiclass_scores(tmp_path):
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], 30)
    proba = rng.dirichlet([1, 1, 1], size=90) + np.eye(3)[y]
    proba /= proba.sum(axis=1, keepdims=True)
    html = write_report(
        tmp_path,
        y_test=y,
        y_score=proba,
        n_bootstraps=50,
        target_names=["normal", "bacterial", "viral"],
    ).read_text()
    assert "any disease versus normal" in html
    assert "(60 any disease, 30 normal)" in html
    assert len(_images_in(html)) == 2


def test_report_shows_provenance_and_data_set_citations(tmp_path, pneumoniamnist_small):
    from xraynet.report import provenance_record
    from xraynet.report._model_card import _KERMANY, _MEDMNIST

    Xtr, ytr, Xte, yte = pneumoniamnist_small
    flat = FunctionTransformer(lambda X: X.reshape(len(X), -1) / 255.0)
    pipe = make_pipeline(flat, LogisticRegression(C=0.01, max_iter=500)).fit(Xtr, ytr)
    record = provenance_record(
        command=["xraynet", "compare", "--dataset", "pneumoniamnist", "--note", "<b>x&y</b>"],
        random_state=7,
        data_source="pneumoniamnist",
        y=ytr,
        target_names=NAMES,
        groups=False,
        models=["logreg", "hog_svm"],
        selection_rule="shifted_balanced_accuracy",
        threshold=0.37,
        threshold_rule="out-of-fold Youden J",
        extra={"cv": 3, "site": "<script>alert(1)</script>"},
    )
    path = write_report(
        tmp_path,
        estimator=pipe,
        X_test=Xte,
        y_test=yte,
        target_names=NAMES,
        n_bootstraps=50,
        provenance=record,
    )
    html = path.read_text(encoding="utf-8")
    section = html[html.index('<section id="provenance">') :]
    for text in (
        "xraynet compare --dataset pneumoniamnist --note &lt;b&gt;x&amp;y&lt;/b&gt;",
        "Random seed</td><td>7<",
        "200 (NORMAL: 100, PNEUMONIA: 100)",
        "Patient grouping</td><td>off",
        "logreg, hog_svm",
        "shifted_balanced_accuracy",
        "0.370",
        "out-of-fold Youden J",
        f"scikit-learn {sklearn.__version__}",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "not a medical device",
    ):
        assert text in section, text
    assert "<script>" not in html and "<b>x" not in html
    assert '<a href="#citations">' in html
    citations = html[html.index('<section id="citations">') :]
    for cite in (_KERMANY, _MEDMNIST):  # the model card's own wording
        assert esc(cite) in citations
    assert "doi:10.1016/j.cell.2018.02.010" in citations

    # another hospital's folder: provenance, no public data-set citation
    record = provenance_record(data_source="/data/hospital_b/test", groups=np.arange(10))
    html = write_report(tmp_path / "b", provenance=record).read_text(encoding="utf-8")
    assert "Patient grouping</td><td>on (10 patients)" in html
    assert '<section id="citations">' not in html and "doi:10.1016" not in html
    html = write_report(tmp_path / "c").read_text(encoding="utf-8")
    assert "No provenance record was given" in html
