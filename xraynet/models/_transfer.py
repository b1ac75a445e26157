"""Transfer learning over ``keras.applications`` backbones."""

import os
from numbers import Integral, Real

import keras
from keras import layers
from sklearn.utils._param_validation import RealNotInt, StrOptions

from ..utils._validation import NonBoolInterval
from ._backbones import BACKBONES, backbone_spec, build_transfer
from ._base import BaseImageClassifier

__all__ = ["BACKBONES", "TransferClassifier", "build_transfer"]


def _layers_to_unfreeze(base, trainable):
    """Backbone layers trained in phase 2 (batch norms stay frozen)."""
    candidates = [layer for layer in base.layers if layer.weights]
    if trainable == "all":
        chosen = candidates
    elif isinstance(trainable, Integral):
        chosen = candidates[len(candidates) - int(trainable) :] if trainable else []
    else:
        chosen = candidates[len(candidates) - round(float(trainable) * len(candidates)) :]
    return [layer for layer in chosen if not isinstance(layer, layers.BatchNormalization)]


class _UnfreezeBackbone(keras.callbacks.Callback):
    """Phase 2 of fine-tuning: unfreeze backbone layers, new optimizer at a lower rate."""

    def __init__(self, at_epoch, trainable, make_optimizer):
        super().__init__()
        self.at_epoch = at_epoch
        self.trainable = trainable
        self.make_optimizer = make_optimizer

    def on_epoch_begin(self, epoch, logs=None):
        if epoch != self.at_epoch:
            return
        model = self.model
        base = model.get_layer("backbone")
        base.trainable = True
        keep = {id(layer) for layer in _layers_to_unfreeze(base, self.trainable)}
        for layer in base.layers:
            layer.trainable = id(layer) in keep
        optimizer = self.make_optimizer()
        if model.dtype_policy.name == "mixed_float16":
            # what compile() does for mixed_float16 networks
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        optimizer.build(model.trainable_variables)
        model.optimizer = optimizer
        model.make_train_function(force=True)


class TransferClassifier(BaseImageClassifier):
    """Image classifier on a ``keras.applications`` backbone (transfer learning).

    Gray images are repeated to three channels and resized inside the network
    (to ``input_size``, by default their own size enlarged to the backbone's
    32-pixel minimum), then pass the backbone's own ``preprocess_input``, the
    backbone without its ImageNet top, global average pooling, dropout and a
    new sigmoid unit (two classes) or softmax layer.

    With pretrained ``weights`` training runs in two phases: for
    ``head_epochs`` epochs only the new head learns (backbone frozen), then
    the layers chosen by ``trainable`` are unfrozen and training continues
    with a fresh optimizer at ``fine_tune_learning_rate``; batch-norm layers
    of a pretrained backbone stay frozen in inference mode throughout. With
    ``weights=None`` the whole network is trained from scratch in one phase,
    with batch-norm momentum 0.9 instead of the ``keras.applications`` 0.999
    (whose moving statistics barely leave their initial values in a few
    epochs, so that the network predicted a constant: CV AUC 0.50 on
    PneumoniaMNIST after 4 epochs, vs 0.78 after 2 epochs with 0.9).

    Parameters
    ----------
    backbone : {"mobilenetv2", "resnet50", "densenet121", "efficientnetb0", "vgg16"}, \
default="mobilenetv2"
        The ``keras.applications`` architecture.
    weights : None, "imagenet" or path, default=None
        ``None``: random initialisation (no download). ``"imagenet"``: Keras
        downloads the ImageNet weights (an ``OSError`` explains how to pass a
        local file when that fails). A path: a local ``.weights.h5`` (Keras 3)
        or legacy ``.h5`` file of the backbone built with
        ``include_top=False``.
    trainable : "all", "head", float in (0, 1] or int, default="all"
        What is trained after the head phase when ``weights`` is pretrained:
        the whole backbone, nothing more (``"head"``: feature extraction),
        the top fraction or the top ``n`` weighted layers of the backbone.
        With ``weights=None`` only ``"all"`` is allowed.
    input_size : None, int or (int, int), default=None
        Size the images are resized to inside the network. ``None`` keeps
        the training size, enlarged to 32 px when smaller. Larger sizes (96
        to 224) suit ImageNet weights better but cost quadratically more.
    dropout : float, default=0.2
        Dropout rate of the head.
    head_epochs : int or None, default=None
        Epochs of phase 1 with pretrained weights (``None``: a third of
        ``epochs``, at least 1). Ignored for ``weights=None`` and
        ``trainable="head"`` (only the head trains, for all epochs).
    fine_tune_learning_rate : float or None, default=None
        Learning rate of phase 2 (``None``: ``learning_rate / 10``).
    backbone_kwargs : dict or None, default=None
        Extra arguments of the backbone constructor, e.g. ``{"alpha": 0.35}``
        for a slimmer MobileNetV2.
    epochs : int, default=10
        Passes over the training data (both phases together).
    batch_size : int, default=32
        Images per gradient step.
    learning_rate : float, default=1e-3
        Learning rate of the head phase (or of the whole training from scratch).
    optimizer : {"rmsprop", "adam", "adamw", "sgd"} or keras optimizer, default="adam"
        Optimizer (a fresh one per fit and per phase).
    augmentation : :class:`xraynet.Augmenter` or None, default=None
        Random transformations applied to every training batch (never to
        validation or prediction data). Do not flip chest X-rays horizontally.
    class_weight : None, "balanced" or dict, default="balanced"
        Per-class weights multiplied into the sample weights.
    validation_fraction : float, default=0.1
        Stratified held-out part of the training data for the learning-rate
        schedule and early stopping. 0 disables it.
    early_stopping : bool or int, default=False
        Stop when the validation loss stops improving (int: patience,
        ``True``: 3) and restore the best weights.
    precision : {"auto", "float32", "bfloat16", "mixed_float16"}, default="float32"
        Compute precision of the network (a Keras dtype policy on its layers
        only; variables, output and loss stay float32). ``"auto"`` is
        ``"bfloat16"`` on CPUs with AVX-512 BF16 / AMX and GPUs of compute
        capability >= 8, else ``"float32"``; ``precision_`` tells which.
    random_state : int, RandomState or None, default=None
        Seed for weights, split, shuffling, dropout and augmentation.
    verbose : int, default=0
        0 silent; 1 a progress bar over the epochs on stderr (tqdm; batch and
        last epoch's metrics in its postfix); 2 Keras' own line per epoch.

    Attributes
    ----------
    model_ : keras.Model
        The fitted network; ``model_.get_layer("backbone")`` is the backbone.
    classes_ : ndarray of shape (n_classes,)
        Class labels; ``classes_[1]`` is the positive class of binary problems.
    n_classes_ : int
        Number of classes.
    input_shape_ : tuple of int
        ``(height, width, channels)`` seen in ``fit``.
    history_ : dict of str -> list of float
        Per-epoch Keras metrics over both phases, with ``"learning_rate"``.

    See Also
    --------
    xraynet.ResNetClassifier : A small residual network trained from scratch.

    Examples
    --------
    >>> import numpy as np
    >>> from xraynet.models import TransferClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, size=(16, 28, 28, 1), dtype=np.uint8)
    >>> y = np.arange(16) % 2
    >>> clf = TransferClassifier(backbone_kwargs={"alpha": 0.35}, epochs=1,
    ...                          batch_size=8, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    #: Images are resized in the graph; below 8 px there is nothing to enlarge.
    _min_input_size = 8

    # backbone: a str here, the known names (case-insensitive) in _check_params;
    # input_size pairs are checked where the network is built.
    _parameter_constraints = {
        **BaseImageClassifier._parameter_constraints,
        "backbone": [str],
        "weights": [None, str, os.PathLike],
        "trainable": [
            StrOptions({"all", "head"}),
            NonBoolInterval(Integral, 0, None, closed="left"),
            NonBoolInterval(RealNotInt, 0, 1, closed="right"),
        ],
        "input_size": [None, NonBoolInterval(Integral, 1, None, closed="left"), "array-like"],
        "dropout": [NonBoolInterval(Real, 0, 1, closed="left")],
        "head_epochs": [None, NonBoolInterval(Integral, 1, None, closed="left")],
        "fine_tune_learning_rate": [None, NonBoolInterval(Real, 0, None, closed="neither")],
        "backbone_kwargs": [None, dict],
    }

    def __init__(
        self,
        backbone="mobilenetv2",
        weights=None,
        trainable="all",
        input_size=None,
        dropout=0.2,
        head_epochs=None,
        fine_tune_learning_rate=None,
        backbone_kwargs=None,
        epochs=10,
        batch_size=32,
        learning_rate=1e-3,
        optimizer="adam",
        augmentation=None,
        class_weight="balanced",
        validation_fraction=0.1,
        early_stopping=False,
        precision="float32",
        random_state=None,
        verbose=0,
    ):
        self.backbone = backbone
        self.weights = weights
        self.trainable = trainable
        self.input_size = input_size
        self.dropout = dropout
        self.head_epochs = head_epochs
        self.fine_tune_learning_rate = fine_tune_learning_rate
        self.backbone_kwargs = backbone_kwargs
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

    # -- validation -------------------------------------------------------
    def _check_params(self):
        """What the constraints cannot say: a known backbone, trainable vs weights."""
        super()._check_params()
        backbone_spec(self.backbone)  # case-insensitive; the message lists the choices
        if self.weights is None and self.trainable != "all":
            raise ValueError(
                f"trainable={self.trainable!r} needs pretrained weights; with weights=None "
                "the whole network is trained from scratch (use trainable='all')."
            )

    # -- phases -----------------------------------------------------------
    def _phase1_epochs(self):
        """Epochs with a frozen backbone (0: train everything from the start)."""
        if self.weights is None:
            return 0
        if self.trainable == "head":
            return int(self.epochs)
        n = self.head_epochs if self.head_epochs is not None else max(1, int(self.epochs) // 3)
        return min(int(n), int(self.epochs))

    def _build_network(self, input_shape, n_outputs):
        """Backbone plus head (uncompiled); the backbone is frozen for phase 1."""
        model = build_transfer(
            input_shape,
            n_outputs,
            backbone=self.backbone,
            weights=self.weights,
            input_size=self.input_size,
            dropout=float(self.dropout),
            backbone_kwargs=self.backbone_kwargs,
        )
        if self._phase1_epochs() > 0:
            model.get_layer("backbone").trainable = False
        return model

    def _fine_tune_optimizer(self):
        lr = self.fine_tune_learning_rate
        if lr is None:
            lr = float(self.learning_rate) / 10
        saved = self.learning_rate
        try:
            self.learning_rate = lr
            return self._make_optimizer()
        finally:
            self.learning_rate = saved

    def _callbacks(self, has_validation):
        callbacks = super()._callbacks(has_validation)
        start = self._phase1_epochs()
        if 0 < start < int(self.epochs) and self.trainable != "head":
            # first, so that the other callbacks see the new optimizer
            callbacks.insert(0, _UnfreezeBackbone(start, self.trainable, self._fine_tune_optimizer))
        return callbacks
