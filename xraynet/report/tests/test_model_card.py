import pytest
from sklearn.linear_model import LogisticRegression

from xraynet.model_selection import evaluate
from xraynet.report import provenance_record, write_model_card

NAMES = ["NORMAL", "PNEUMONIA"]


@pytest.fixture(scope="module")
def real_metrics(pneumoniamnist_small):
    Xtr, ytr, Xte, yte = pneumoniamnist_small
    flat = lambda X: X.reshape(len(X), -1) / 255.0  # noqa: E731
    clf = LogisticRegression(C=0.01, max_iter=500).fit(flat(Xtr), ytr)
    m = evaluate(clf, flat(Xte), yte, target_names=NAMES, n_bootstraps=200)
    m.pop("proba")
    return m, ytr


def test_model_card_from_a_real_record(tmp_path, real_metrics):
    metrics, ytr = real_metrics
    rec = provenance_record(
        command="xraynet compare --dataset pneumoniamnist",
        random_state=0,
        data_source="pneumoniamnist",
        y=ytr,
        target_names=NAMES,
        models=["logreg"],
        selection_rule="roc_auc",
        threshold=0.5,
        threshold_rule="default 0.5",
    )
    path = write_model_card(
        tmp_path / "out",
        rec,
        metrics,
        model_name="logreg",
        subgroups={"roc_auc": {"female": 0.91, "male": 0.88}},
    )
    text = path.read_text(encoding="utf-8")
    assert path.name == "model_card.md"
    for heading in (
        "## Intended use",
        "## Data",
        "## Splits",
        "## Model",
        "## Performance",
        "## Subgroups",
        "## Limitations",
        "## Ethical considerations",
        "## Citations",
    ):
        assert heading in text
    lo, hi = metrics["ci95"]["roc_auc"]
    assert f"| ROC AUC | {metrics['roc_auc']:.3f} | {lo:.3f} – {hi:.3f} |" in text
    assert "| female | 0.910 |" in text
    assert "NORMAL: 100, PNEUMONIA: 100" in text
    assert "Paediatric, single centre" in text and "Guangzhou" in text
    assert "not a medical device" in text
    assert "doi:10.1016/j.cell.2018.02.010" in text and "doi:10.1038/s41597-022-01721-8" in text
    assert "Grouped by patient: no" in text and "inflates the scores" in text
    assert "xraynet compare --dataset pneumoniamnist" in text


def test_model_card_other_data_has_no_kermany_claims(tmp_path, real_metrics):
    metrics, _ = real_metrics
    rec = provenance_record(data_source="/data/hospital_b", groups=True)
    text = write_model_card(tmp_path, rec, metrics).read_text(encoding="utf-8")
    assert "Guangzhou" not in text and "doi:10.1016" not in text
    assert "cite your data" in text and "No subgroup analysis" in text
    assert "Grouped by patient: yes" in text
