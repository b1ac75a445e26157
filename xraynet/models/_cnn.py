"""The seed project's convolutional network as a scikit-learn classifier."""

import keras
from keras import layers

from ._backbones import HEAD_NAME, SCRATCH_BN_MOMENTUM
from ._base import BaseImageClassifier

__all__ = ["CNNClassifier"]

#: Batch-norm momentum of the seed network. Keras' default 0.99 makes the
#: moving statistics lag the weights by ~100 steps: after 10 epochs at batch
#: 64 on PneumoniaMNIST (3,139 training images per CV fold) the network in
#: inference mode still predicted P(pneumonia) 0.71 on average for normal
#: images (balanced accuracy 0.63 at threshold 0.5, AUC 0.994; val_accuracy
#: stuck at the 0.742 class prior for 8 epochs, which also made
#: ReduceLROnPlateau cut the learning rate after 3 epochs). With 0.9: mean
#: P(pneumonia | normal) 0.06, balanced accuracy 0.97, AUC 0.996. The
#: momentum changes no weights, so the architecture (and the 1,246,401
#: parameters at 150x150x1) stays the seed's.
_BN_MOMENTUM = SCRATCH_BN_MOMENTUM  # the one from-scratch value, 0.9


class CNNClassifier(BaseImageClassifier):
    """Five-block CNN of the original pneumonia notebook, scikit-learn style.

    Architecture (3x3 'same' ReLU convolutions, stride 1; 2x2 max pooling,
    stride 2, 'same' padding): Conv32-BN-Pool, Conv64-Dropout(0.1)-BN-Pool,
    Conv64-BN-Pool, Conv128-Dropout(0.2)-BN-Pool, Conv256-Dropout(0.2)-BN-Pool,
    Flatten, Dense(128, relu), Dropout(0.2), then a sigmoid unit (two
    classes) or a softmax layer (more classes). On 150x150 grayscale images
    it has 1,246,401 parameters (1,088 non-trainable), exactly like the
    seed. The input size is taken from the training images (28x28 works).

    Unlike the seed (Keras' default 0.99), the batch-norm layers use
    momentum 0.9: with 0.99 their moving statistics lag the weights so much
    on short trainings that the fitted network called most normal images
    pneumonia at threshold 0.5 (balanced accuracy 0.63 vs 0.97 with 0.9 on
    a PneumoniaMNIST cross-validation fold, AUC unchanged ~0.995).

    Parameters
    ----------
    epochs : int, default=12
        Passes over the training data.
    batch_size : int, default=32
        Images per gradient step.
    learning_rate : float, default=1e-3
        Initial learning rate (reduced by 0.3 after 2 epochs without
        validation-accuracy gain when a validation part exists).
    optimizer : {"rmsprop", "adam", "adamw", "sgd"} or keras optimizer, default="rmsprop"
        Optimizer (a fresh one per fit; ``learning_rate`` overrides its rate).
    augmentation : :class:`xraynet.Augmenter` or None, default=None
        Random transformations applied to every training batch of every
        epoch (never to validation or prediction data). ``None`` trains on
        the images as they are; the seed notebook corresponds to
        ``augmentation=xraynet.Augmenter()`` (rotation 30, zoom 0.2, shifts
        0.1).
    class_weight : None, "balanced" or dict, default=None
        Per-class weights multiplied into the sample weights.
    validation_fraction : float, default=0.1
        Stratified held-out part of the training data for the learning-rate
        schedule and early stopping (whole patients when ``groups`` is given
        to ``fit``). 0 disables it.
    early_stopping : bool or int, default=False
        Stop when the validation loss stops improving (int: patience,
        ``True``: 3) and restore the best weights.
    precision : {"auto", "float32", "bfloat16", "mixed_float16"}, default="float32"
        Compute precision of the network (a Keras dtype policy on its layers
        only; variables, output and loss stay float32). ``"auto"`` is
        ``"bfloat16"`` on CPUs with AVX-512 BF16 / AMX and GPUs of compute
        capability >= 8, else ``"float32"``; ``precision_`` tells which.
    random_state : int, RandomState or None, default=None
        Seed for weights, split, shuffling, dropout and augmentation; an int
        makes CPU training reproducible.
    verbose : int, default=0
        0 silent; 1 a progress bar over the epochs on stderr (tqdm; batch and
        last epoch's metrics in its postfix); 2 Keras' own line per epoch.

    Attributes
    ----------
    model_ : keras.Model
        The fitted network.
    classes_ : ndarray of shape (n_classes,)
        Class labels; ``classes_[1]`` is the positive class of binary problems.
    n_classes_ : int
        Number of classes.
    input_shape_ : tuple of int
        ``(height, width, channels)`` seen in ``fit``.
    history_ : dict of str -> list of float
        Per-epoch Keras metrics (``loss``, ``accuracy``, ``val_loss``,
        ``val_accuracy``, ``learning_rate``).

    See Also
    --------
    xraynet.Augmenter : The batch augmentation to pass as ``augmentation``.
    xraynet.load_model : Reload an estimator written by :meth:`save`.

    Examples
    --------
    >>> import numpy as np
    >>> from xraynet.models import CNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, size=(20, 28, 28, 1), dtype=np.uint8)
    >>> y = np.arange(20) % 2
    >>> clf = CNNClassifier(epochs=1, batch_size=8, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:3]).shape
    (3, 2)
    """

    #: Five 2x poolings: below 16 px the last blocks see only padding.
    _min_input_size = 16

    # No __init__ of its own: BaseImageClassifier's signature and defaults are the
    # seed's training settings, which is exactly this estimator's parameter set.

    def _build_network(self, input_shape, n_outputs):
        """The seed CNN (uncompiled) for ``input_shape`` and ``n_outputs``."""

        def block(x, filters, dropout=None):
            x = layers.Conv2D(filters, 3, strides=1, padding="same", activation="relu")(x)
            if dropout:
                x = layers.Dropout(dropout)(x)
            x = layers.BatchNormalization(momentum=_BN_MOMENTUM)(x)
            return layers.MaxPool2D(2, strides=2, padding="same")(x)

        inputs = keras.Input(shape=tuple(input_shape), name="image")
        x = layers.Rescaling(1.0 / 255, name="rescale")(inputs)
        x = block(x, 32)
        x = block(x, 64, 0.1)
        x = block(x, 64)
        x = block(x, 128, 0.2)
        x = block(x, 256, 0.2)
        x = layers.Flatten()(x)
        x = layers.Dense(128, activation="relu")(x)
        x = layers.Dropout(0.2)(x)
        if n_outputs == 1:
            outputs = layers.Dense(1, activation="sigmoid", name=HEAD_NAME, dtype="float32")(x)
        else:
            outputs = layers.Dense(
                n_outputs, activation="softmax", name=HEAD_NAME, dtype="float32"
            )(x)
        return keras.Model(inputs, outputs, name="cnn")
