"""GradCAMDisplay, drawn from precomputed heatmaps and from a fitted Keras model."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import xraynet.plotting  # noqa: E402
from xraynet.explain import GradCAMDisplay  # noqa: E402

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


def test_plotting_reexports_the_same_class():
    assert xraynet.plotting.GradCAMDisplay is GradCAMDisplay
    assert "GradCAMDisplay" not in xraynet.plotting.__all__  # documented once, in explain
    with pytest.raises(AttributeError, match="no attribute 'NotADisplay'"):
        xraynet.plotting.NotADisplay  # noqa: B018


def test_gradcam_display_from_heatmaps(tmp_path, pneumoniamnist_small):
    X = pneumoniamnist_small[2][:3]
    heat = np.linspace(0, 1, 3 * 28 * 28).reshape(3, 28, 28)
    disp = GradCAMDisplay.from_heatmaps(X, heat, ["a", "b", "c"], n_cols=2)
    _save(disp, tmp_path, "gradcam")
    assert disp.axes_.shape == (2, 4)
    with pytest.raises(ValueError, match="heatmaps must have shape"):
        GradCAMDisplay.from_heatmaps(X, heat[:, :10])


def test_gradcam_display_from_estimator(tmp_path, pneumoniamnist_small):
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    i = keras.Input((28, 28, 1))
    x = keras.layers.Rescaling(1 / 255)(i)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(i, keras.layers.Dense(1, activation="sigmoid")(x))

    class Est:
        model_ = model
        classes_ = np.array([0, 1])

        def predict_proba(self, X):
            p = model.predict(X.astype("float32"), verbose=0)
            return np.c_[1 - p, p]

    X, y = pneumoniamnist_small[2][:4], pneumoniamnist_small[3][:4]
    disp = GradCAMDisplay.from_estimator(Est(), X, y, NAMES)
    _save(disp, tmp_path, "gradcam_est")
    assert disp.heatmaps.shape == (4, 28, 28)
    assert "true: " in _texts(disp.figure_)
