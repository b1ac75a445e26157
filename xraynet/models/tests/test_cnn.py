"""The seed CNN: architecture, determinism, input sizes."""

import numpy as np
import pytest

from xraynet.models import CNNClassifier


def test_seed_architecture_parameter_count():
    model = CNNClassifier()._build_network((150, 150, 1), 1)
    assert model.count_params() == 1_246_401
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert non_trainable == 1_088
    assert model.output_shape == (None, 1)
    assert model.layers[-1].activation.__name__ == "sigmoid"
    names = [type(layer).__name__ for layer in model.layers]
    assert names.count("Conv2D") == 5 and names.count("BatchNormalization") == 5
    assert names.count("MaxPooling2D") == 5 and names.count("Dropout") == 4
    assert names[1] == "Rescaling"
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert [c.filters for c in convs] == [32, 64, 64, 128, 256]
    assert all(c.kernel_size == (3, 3) and c.padding == "same" for c in convs)
    # momentum 0.9 (seed: Keras' 0.99, whose lagging moving statistics made the
    # fitted network call most normal images pneumonia); no parameter changes
    bns = [layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"]
    assert all(bn.momentum == pytest.approx(0.9) for bn in bns)


def test_softmax_head_and_other_shapes():
    model = CNNClassifier()._build_network((28, 28, 3), 4)
    assert model.output_shape == (None, 4)
    assert model.layers[-1].activation.__name__ == "softmax"
    assert model.input_shape == (None, 28, 28, 3)


def test_determinism_with_random_state(pneumoniamnist_small):
    Xtr, ytr, Xte, _ = pneumoniamnist_small
    params = dict(epochs=1, batch_size=20, random_state=0)
    np.random.seed(123)
    expected = np.random.rand()
    np.random.seed(123)
    p1 = CNNClassifier(**params).fit(Xtr, ytr).predict_proba(Xte)
    assert np.random.rand() == expected  # the global numpy random state is restored
    p2 = CNNClassifier(**params).fit(Xtr, ytr).predict_proba(Xte)
    np.testing.assert_array_equal(p1, p2)


def test_rgb_input_and_learning(pneumoniamnist_small):
    Xtr, ytr, Xte, yte = pneumoniamnist_small
    rgb = np.repeat(Xtr[::2], 3, axis=-1)
    clf = CNNClassifier(
        epochs=3, batch_size=20, learning_rate=1e-3, random_state=0, validation_fraction=0
    ).fit(rgb, ytr[::2])
    assert clf.input_shape_ == (28, 28, 3)
    assert len(clf.history_["loss"]) == 3
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]  # it trains
    with pytest.raises(ValueError, match="channel"):
        clf.predict(Xte)


def test_too_small_images_rejected():
    X = np.zeros((4, 8, 8, 1), np.uint8)
    with pytest.raises(ValueError, match=r"8x8 pixels; this model needs at least 16x16"):
        CNNClassifier().fit(X, [0, 1, 0, 1])


def test_probabilities_calibrated_at_threshold_half(pneumoniamnist_small):
    # With the seed's batch-norm momentum 0.99 the moving statistics lagged the
    # weights: AUC fine but P(pneumonia) ~0.87 for every image, balanced accuracy
    # 0.50 at threshold 0.5 here (0.98 train / 0.86 held out with momentum 0.9, held-out
    # images then from the test split, AMD EPYC; 0.955 / 0.93 with val ones, Intel Xeon).
    from sklearn.metrics import balanced_accuracy_score

    Xtr, ytr, Xte, yte = pneumoniamnist_small
    # float32 pinned: the thresholds hold for this seed's float32 run (seed-to-seed
    # spread of balanced accuracy here is 0.7-0.95 in either precision)
    clf = CNNClassifier(
        epochs=5, batch_size=8, validation_fraction=0, precision="float32", random_state=0
    ).fit(Xtr, ytr)
    assert balanced_accuracy_score(ytr, clf.predict(Xtr)) > 0.9
    assert balanced_accuracy_score(yte, clf.predict(Xte)) > 0.75
    assert clf.predict_proba(Xte)[yte == 0, 1].mean() < 0.5


def test_verbose_1_shows_an_epoch_bar_on_stderr_and_0_nothing(capsys):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (16, 16, 16, 1), dtype=np.uint8)
    y = np.arange(16) % 2
    CNNClassifier(epochs=1, batch_size=8, validation_fraction=0, verbose=0).fit(X, y)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    CNNClassifier(epochs=2, batch_size=8, validation_fraction=0, verbose=1).fit(X, y)
    out, err = capsys.readouterr()
    assert out == ""  # not Keras' own progress bar (stdout)
    assert "CNNClassifier" in err and "2/2" in err and "epoch" in err
    assert "loss=" in err and "learning_rate=" in err  # the last epoch's metrics
