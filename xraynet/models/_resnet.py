"""Compact residual network for small grayscale chest X-rays."""

from numbers import Integral, Real

import keras
from keras import layers

from ..utils._validation import NonBoolInterval
from ._backbones import HEAD_NAME, SCRATCH_BN_MOMENTUM
from ._base import BaseImageClassifier

__all__ = ["ResNetClassifier", "build_resnet"]


def _stem_downsamplings(size, target=40):
    """Number of stride-2 reductions that bring ``size`` to at most ``target``."""
    n = 0
    while size > target:
        size = (size + 1) // 2
        n += 1
    return n


def _residual_block(x, filters, stride, name):
    shortcut = x
    y = layers.Conv2D(
        filters,
        3,
        strides=stride,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
        name=f"{name}_conv1",
    )(x)
    y = layers.BatchNormalization(momentum=SCRATCH_BN_MOMENTUM, name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv2D(
        filters,
        3,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
        name=f"{name}_conv2",
    )(y)
    y = layers.BatchNormalization(momentum=SCRATCH_BN_MOMENTUM, name=f"{name}_bn2")(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(
            filters,
            1,
            strides=stride,
            use_bias=False,
            kernel_initializer="he_normal",
            name=f"{name}_proj",
        )(shortcut)
        shortcut = layers.BatchNormalization(momentum=SCRATCH_BN_MOMENTUM, name=f"{name}_proj_bn")(
            shortcut
        )
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def build_resnet(input_shape, n_outputs, *, width=16, depth=3, blocks=1, dropout=0.3):
    """Build an uncompiled compact residual network.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)`` of the uint8-valued input images.
    n_outputs : int
        1 for a binary problem (sigmoid output), else the number of classes
        (softmax output).
    width : int, default=16
        Number of filters of the first stage; every later stage doubles it.
    depth : int, default=3
        Number of residual stages; every stage after the first halves the
        resolution.
    blocks : int, default=1
        Residual blocks per stage.
    dropout : float, default=0.3
        Dropout rate before the classification layer.

    Returns
    -------
    model : keras.Model
        The uncompiled network; its input takes 0-255 values.
    """
    h, w = int(input_shape[0]), int(input_shape[1])
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    n_down = _stem_downsamplings(min(h, w))
    x = layers.Conv2D(
        width,
        3,
        strides=2 if n_down else 1,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
        name="stem_conv",
    )(x)
    x = layers.BatchNormalization(momentum=SCRATCH_BN_MOMENTUM, name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    if n_down > 1:
        x = layers.MaxPooling2D(2 ** (n_down - 1), padding="same", name="stem_pool")(x)
    filters = width
    for stage in range(depth):
        for b in range(blocks):
            stride = 2 if (stage > 0 and b == 0) else 1
            x = _residual_block(x, filters, stride, name=f"stage{stage + 1}_block{b + 1}")
        filters *= 2
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    if n_outputs == 1:
        outputs = layers.Dense(1, activation="sigmoid", name=HEAD_NAME, dtype="float32")(x)
    else:
        outputs = layers.Dense(n_outputs, activation="softmax", name=HEAD_NAME, dtype="float32")(x)
    return keras.Model(inputs, outputs, name="xraynet_resnet")


class ResNetClassifier(BaseImageClassifier):
    """Compact residual network for small grayscale chest X-rays.

    A 3x3 convolution stem, ``depth`` residual stages of ``blocks`` basic
    blocks each (two 3x3 convolutions with batch normalisation and an
    identity or 1x1-projection shortcut; every stage after the first halves
    the resolution and doubles the filters), global average pooling,
    dropout and a sigmoid unit (two classes) or a softmax layer. Images
    larger than 40 px are first reduced by a stride-2 stem (and max pooling)
    to at most 40 px, so the cost stays small from 28 px (PneumoniaMNIST) to
    150 px or more. With the defaults it has about 78,000 parameters at any
    input size.

    Parameters
    ----------
    width : int, default=16
        Filters of the stem and first stage (doubled at every later stage).
    depth : int, default=3
        Number of residual stages.
    blocks : int, default=1
        Residual blocks per stage.
    dropout : float, default=0.3
        Dropout rate before the output layer.
    epochs : int, default=15
        Passes over the training data.
    batch_size : int, default=64
        Images per gradient step.
    learning_rate : float, default=2e-3
        Initial learning rate (reduced by 0.3 after 2 epochs without
        validation-accuracy gain when a validation part exists).
    optimizer : {"rmsprop", "adam", "adamw", "sgd"} or keras optimizer, default="adamw"
        Optimizer (a fresh one per fit; ``learning_rate`` overrides its rate).
    augmentation : :class:`xraynet.Augmenter` or None, default=None
        Random transformations applied to every training batch of every
        epoch (never to validation or prediction data), e.g.
        ``Augmenter(rotation_range=5, zoom_range=0.1, width_shift_range=0.08,
        height_shift_range=0.08)``. Do not flip chest X-rays horizontally.
    class_weight : None, "balanced" or dict, default="balanced"
        Per-class weights multiplied into the sample weights (chest X-ray
        sets are usually imbalanced).
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
    xraynet.CNNClassifier : The seed network.
    xraynet.TransferClassifier : ImageNet backbones from ``keras.applications``.

    Examples
    --------
    >>> import numpy as np
    >>> from xraynet.models import ResNetClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, size=(20, 28, 28, 1), dtype=np.uint8)
    >>> y = np.arange(20) % 2
    >>> clf = ResNetClassifier(epochs=1, batch_size=8, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:3]).shape
    (3, 2)
    """

    #: Below 8 px the last stage would see a single padded pixel.
    _min_input_size = 8

    _parameter_constraints = {
        **BaseImageClassifier._parameter_constraints,
        "width": [NonBoolInterval(Integral, 1, None, closed="left")],
        "depth": [NonBoolInterval(Integral, 1, None, closed="left")],
        "blocks": [NonBoolInterval(Integral, 1, None, closed="left")],
        "dropout": [NonBoolInterval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        width=16,
        depth=3,
        blocks=1,
        dropout=0.3,
        epochs=15,
        batch_size=64,
        learning_rate=2e-3,
        optimizer="adamw",
        augmentation=None,
        class_weight="balanced",
        validation_fraction=0.1,
        early_stopping=False,
        precision="float32",
        random_state=None,
        verbose=0,
    ):
        self.width = width
        self.depth = depth
        self.blocks = blocks
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.augmentation = augmentation
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose

    def _build_network(self, input_shape, n_outputs):
        """The residual network (uncompiled) for ``input_shape`` and ``n_outputs``."""
        return build_resnet(
            input_shape,
            n_outputs,
            width=int(self.width),
            depth=int(self.depth),
            blocks=int(self.blocks),
            dropout=float(self.dropout),
        )
