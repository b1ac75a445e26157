"""A 3-class target (NORMAL / BACTERIA / VIRUS) through every estimator and compare_models.

Real Kermany images, labelled by subtype from their file names, 30 per class at
32 x 32 px (tiny and fast; the point is the plumbing, not the accuracy).
"""

import numpy as np
import pytest
from sklearn.metrics import make_scorer, roc_auc_score

from xraynet.classical import make_hog_svm, make_random_forest
from xraynet.datasets import load_image_folder
from xraynet.io import ImageLoader
from xraynet.metrics import sensitivity_score, specificity_score
from xraynet.model_selection import ModelComparison

N_PER_CLASS = 30
SIZE = 32


@pytest.fixture(scope="module")
def three_class(kermany_dir):
    data = load_image_folder(kermany_dir, subtype_from_filename=True)
    assert data.target_names.tolist() == ["NORMAL", "BACTERIA", "VIRUS"]
    rng = np.random.RandomState(0)
    idx = np.sort(
        np.concatenate(
            [
                rng.choice(np.flatnonzero(data.target == c), N_PER_CLASS, replace=False)
                for c in range(3)
            ]
        )
    )
    X = ImageLoader(size=SIZE).transform(data.filenames[idx])
    return X, data.target[idx], data.groups[idx]


def _per_class_sensitivity(label):
    def score(y_true, y_pred):
        return sensitivity_score(y_true, y_pred, average=None, labels=[0, 1, 2], zero_division=0.0)[
            label
        ]

    return make_scorer(score)


def _models():
    from xraynet.models import CNNClassifier, ResNetClassifier

    keras = dict(epochs=1, batch_size=16, random_state=0, verbose=0)
    return {
        "hog_svm": make_hog_svm(),
        "random_forest": make_random_forest(n_estimators=30, random_state=0),
        "cnn": CNNClassifier(**keras),
        "resnet": ResNetClassifier(**keras),
    }


def test_every_estimator_gives_3_class_probabilities(three_class):
    X, y, _ = three_class
    train, test = np.arange(len(y)) % 3 != 0, np.arange(len(y)) % 3 == 0
    for name, est in _models().items():
        est.fit(X[train], y[train])
        assert list(est.classes_) == [0, 1, 2], name
        proba = est.predict_proba(X[test])
        assert proba.shape == (test.sum(), 3), name
        np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-4, err_msg=name)
        pred = est.predict(X[test])
        assert set(np.unique(pred)) <= {0, 1, 2}, name
        auc = roc_auc_score(y[test], proba, multi_class="ovr")
        assert 0 <= auc <= 1, name
        sens = sensitivity_score(y[test], pred, average=None, labels=[0, 1, 2], zero_division=0.0)
        spec = specificity_score(y[test], pred, average=None, labels=[0, 1, 2], zero_division=0.0)
        assert sens.shape == spec.shape == (3,) and np.all((sens >= 0) & (sens <= 1)), name


def test_compare_models_3_class(three_class):
    from xraynet.models import CNNClassifier

    X, y, groups = three_class
    scoring = {
        "roc_auc": "roc_auc",
        **{
            f"sensitivity_{name}": _per_class_sensitivity(k)
            for k, name in enumerate(["normal", "bacteria", "virus"])
        },
    }
    models = {
        "hog_svm": make_hog_svm(),
        "cnn": CNNClassifier(epochs=1, batch_size=16, random_state=0, verbose=0),
    }
    comp = ModelComparison(
        models,
        cv=2,
        scoring=scoring,
        rank_by="roc_auc",
        stress_shifts=["darker"],
        stress_severities=(1,),
        verbose=0,
    ).fit(X, y, groups=groups)
    board = comp.leaderboard_
    assert set(board.index) == {"hog_svm", "cnn"}
    assert (board["error"] == "").all(), board["error"].to_dict()
    assert comp.rank_by_ == "roc_auc"
    for col in (
        "roc_auc_mean",
        "sensitivity_mean",
        "specificity_mean",
        "sensitivity_normal_mean",
        "sensitivity_bacteria_mean",
        "sensitivity_virus_mean",
        "balanced_accuracy_mean",
    ):
        values = board[col].to_numpy(float)
        assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1)), col
    # HOG + SVM separates normal from pneumonia even on 32 px crops
    assert board.loc["hog_svm", "roc_auc_mean"] > 0.6
    best = comp.best_estimator_
    assert best.predict_proba(X[:5]).shape == (5, 3)
