import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

from xraynet.plotting import (  # noqa: E402
    ClassBalanceDisplay,
    ConfusionMatrixDisplay,
    ImageGridDisplay,
    PredictionGridDisplay,
    RocCurvesDisplay,
    TrainingHistoryDisplay,
)

NAMES = ["NORMAL", "PNEUMONIA"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _save(disp, tmp_path, name):
    path = tmp_path / f"{name}.png"
    disp.figure_.savefig(path, dpi=60)
    assert path.stat().st_size > 2000
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def _texts(fig):
    return " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


@pytest.fixture(scope="module")
def data(pneumoniamnist_small):
    Xtr, ytr, Xte, yte = pneumoniamnist_small
    flat = FunctionTransformer(lambda X: X.reshape(len(X), -1) / 255.0)
    a = make_pipeline(flat, LogisticRegression(C=0.01, max_iter=500)).fit(Xtr, ytr)
    b = make_pipeline(flat, LogisticRegression(C=1e-5, max_iter=500)).fit(Xtr, ytr)
    return Xtr, ytr, Xte, yte, a, b


def test_class_balance(tmp_path):
    disp = ClassBalanceDisplay.from_targets({"train": [0, 1, 1, 1], "test": [0, 0, 1]}, NAMES)
    _save(disp, tmp_path, "balance")
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == NAMES
    assert disp.counts.loc["PNEUMONIA", "train"] == 3
    legend = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert legend == ["train (n=4)", "test (n=3)"]
    assert "75%" in _texts(disp.figure_)
    # default names for 0/1 labels, a single split
    disp = ClassBalanceDisplay.from_targets(np.array([0, 1, 1]))
    assert "disease (1)" in [t.get_text() for t in disp.ax_.get_xticklabels()]


def test_image_grid(tmp_path, data):
    Xtr, ytr = data[:2]
    disp = ImageGridDisplay.from_images(Xtr, ytr, NAMES, n_per_class=3)
    _save(disp, tmp_path, "grid")
    assert disp.axes_.shape == (2, 3)
    assert disp.axes_[1, 0].get_ylabel().startswith("PNEUMONIA")
    with pytest.raises(ValueError, match="labels"):
        ImageGridDisplay.from_images(Xtr, ytr[:5])


def test_training_history(tmp_path):
    history = {
        "loss": [0.7, 0.5, 0.4, 0.3, 0.25],
        "val_loss": [0.72, 0.55, 0.5, 0.52, 0.6],
        "accuracy": [0.6, 0.7, 0.8, 0.85, 0.9],
        "val_accuracy": [0.6, 0.68, 0.75, 0.74, 0.73],
        "learning_rate": [1e-3, 1e-3, 1e-4, 1e-4, 1e-5],
    }
    disp = TrainingHistoryDisplay.from_history(history)
    _save(disp, tmp_path, "history")
    assert disp.lr_drops_ == [(3, 1e-4), (5, 1e-5)]
    assert disp.best_epoch_ == 3
    acc_ax, loss_ax = disp.axes_
    assert acc_ax.get_title() == "Accuracy" and loss_ax.get_title() == "Loss"
    assert acc_ax.get_xlabel() == "Epoch"
    labels = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert {"training", "validation", "learning rate reduced"} <= set(labels)

    class Est:
        history_ = history

    pipe = make_pipeline(FunctionTransformer(), LogisticRegression())
    pipe.steps[-1] = ("net", Est())
    assert TrainingHistoryDisplay.from_estimator(pipe).best_epoch_ == 3
    with pytest.raises(ValueError, match="no training history"):
        TrainingHistoryDisplay.from_estimator(LogisticRegression())
    # loss only (no validation, no accuracy) still draws
    TrainingHistoryDisplay.from_history({"loss": [1.0, 0.5]})


def test_confusion_matrix(tmp_path, data):
    *_, Xte, yte, a, _ = data
    disp = ConfusionMatrixDisplay.from_estimator(a, Xte, yte, target_names=NAMES)
    _save(disp, tmp_path, "cm")
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == NAMES
    assert disp.ax_.get_ylabel() == "True class"
    assert "of true" in disp.text_[1, 1].get_text()
    # hand-computed, and an absent predicted class still gets its column
    disp = ConfusionMatrixDisplay.from_predictions([0, 0, 1, 1], [0, 0, 0, 0], target_names=NAMES)
    np.testing.assert_array_equal(disp.confusion_matrix, [[2, 0], [2, 0]])
    assert disp.text_[1, 0].get_text() == "2\n100.0% of true"


def test_roc_curves(tmp_path, data):
    *_, Xte, yte, a, b = data
    disp = RocCurvesDisplay.from_estimator(
        {"LogReg": a, "LogReg weak": b}, Xte, yte, operating_threshold=0.5
    )
    _save(disp, tmp_path, "roc")
    legend = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert all("AUC = " in t for t in legend if "threshold" not in t)
    assert any(t.startswith("chance") for t in legend)
    assert legend[0].startswith(max(disp.aucs_, key=disp.aucs_.get))
    assert "sensitivity" in disp.ax_.get_ylabel()
    y = np.array([0, 0, 1, 1])
    disp = RocCurvesDisplay.from_predictions(
        {"m": (y, np.array([[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]]))}
    )
    assert disp.aucs_["m"] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="single class"):
        RocCurvesDisplay.from_predictions({"m": ([1, 1], [0.2, 0.4])})


def test_prediction_grid(tmp_path, data):
    *_, Xte, yte, a, _ = data
    disp = PredictionGridDisplay.from_estimator(
        a, Xte, yte, NAMES, n_wrong=4, n_correct=4, n_cols=4
    )
    _save(disp, tmp_path, "pred")
    conf = disp.confidence
    assert np.all(np.diff(conf[disp.wrong_indices_]) <= 0)
    assert np.all(yte[disp.wrong_indices_] != disp.y_pred[disp.wrong_indices_])
    text = _texts(disp.figure_)
    assert "Incorrect predictions" in text and "true: NORMAL" in text
    # no mistakes: the section says so
    disp = PredictionGridDisplay.from_predictions(Xte[:3], [0, 1, 1], [0.1, 0.9, 0.8], NAMES)
    assert len(disp.wrong_indices_) == 0 and "none" in _texts(disp.figure_)
