"""The report's "Robustness to acquisition shift" section (write_report(stress_results=...))."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from xraynet.classical import ImageFlattener  # noqa: E402
from xraynet.report import write_report  # noqa: E402
from xraynet.robustness import stress_test  # noqa: E402


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 30)
    X = rng.integers(40, 140, (60, 20, 20, 1))
    X[y == 1, 5:15, 5:15] += 80
    X = X.astype(np.uint8)
    clf = make_pipeline(ImageFlattener(), LogisticRegression(C=0.05, max_iter=500)).fit(X, y)
    return clf, X, y


def test_section_has_figure_pivot_and_caveat(case, tmp_path):
    clf, X, y = case
    table = stress_test(clf, X, y, shifts=["darker", "jpeg"], severities=(1, 3))
    html = write_report(
        tmp_path, estimator=clf, X_test=X, y_test=y, n_bootstraps=50, stress_results=table
    ).read_text(encoding="utf-8")
    section = html[html.index('<section id="robustness">') :]
    section = section[: section.index("</section>")]
    assert "Robustness to acquisition shift" in section and "simulated" in section
    assert "<img" in section and (tmp_path / "stress_test.png").stat().st_size > 1000
    for head in ("AUC s1", "AUC s3", "specificity s1", "specificity s3"):
        assert f"<th>{head}</th>" in section
    auc = table.set_index(["shift", "severity"])["roc_auc"]
    assert f"<td>{auc[('jpeg', 3)]:.3f}</td>" in section
    assert '<a href="#robustness">' in html


def test_no_section_without_results_and_a_bad_table_degrades(case, tmp_path):
    clf, X, y = case
    html = write_report(
        tmp_path / "a", estimator=clf, X_test=X, y_test=y, n_bootstraps=50
    ).read_text(encoding="utf-8")
    assert "Robustness to acquisition shift" not in html
    with pytest.warns(RuntimeWarning, match="Robustness"):
        path = write_report(
            tmp_path / "b",
            estimator=clf,
            X_test=X,
            y_test=y,
            n_bootstraps=50,
            stress_results=pd.DataFrame({"a": [1]}),
        )
    assert "Robustness could not be produced" in path.read_text(encoding="utf-8")
