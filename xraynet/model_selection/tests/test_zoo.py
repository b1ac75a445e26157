"""The default model zoo: names, settings, scikit-learn conventions."""

import pytest
from sklearn.base import clone, is_classifier

from xraynet.model_selection import available_models, default_models


def test_available_models_order_and_copy():
    names = available_models()
    assert names == ["seed_cnn", "resnet", "mobilenetv2", "hog_svm", "random_forest"]
    names.append("x")  # callers get a copy
    assert "x" not in available_models()


def test_default_models_are_fresh_unfitted_classifiers():
    from xraynet.models import CNNClassifier, ResNetClassifier, TransferClassifier

    zoo = default_models(random_state=3)
    assert list(zoo) == available_models()
    assert isinstance(zoo["seed_cnn"], CNNClassifier)
    assert isinstance(zoo["resnet"], ResNetClassifier)
    assert isinstance(zoo["mobilenetv2"], TransferClassifier)
    assert zoo["mobilenetv2"].backbone == "mobilenetv2" and zoo["mobilenetv2"].weights is None
    for name, est in zoo.items():
        assert is_classifier(est), name
        assert hasattr(est, "predict_proba"), name
        assert not hasattr(est, "classes_"), name  # unfitted
        clone(est)  # scikit-learn compatible parameters
        seeds = {v for k, v in est.get_params().items() if k.endswith("random_state")}
        assert seeds == {3}, name
    assert default_models()["seed_cnn"] is not default_models()["seed_cnn"]


def test_quick_and_epochs_override():
    full, quick = default_models(), default_models(quick=True)
    for name in ("seed_cnn", "resnet", "mobilenetv2"):
        assert quick[name].epochs == 1 < full[name].epochs
        assert default_models(epochs=7)[name].epochs == 7
    assert (
        quick["random_forest"].get_params()["rf__n_estimators"]
        < (full["random_forest"].get_params()["rf__n_estimators"])
    )


@pytest.mark.parametrize("size, cell", [(28, 8), (64, 8), (128, 16), (224, 28)])
def test_hog_cell_scales_with_image_size(size, cell):
    params = default_models(image_size=size)["hog_svm"].get_params()
    assert params["hog__pixels_per_cell"] == cell
