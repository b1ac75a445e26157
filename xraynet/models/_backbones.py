"""``keras.applications`` backbones and the transfer network built on them."""

import os
from numbers import Integral

import keras
from keras import layers

__all__ = ["BACKBONES", "SCRATCH_BN_MOMENTUM", "backbone_spec", "build_transfer"]

#: Batch-norm momentum of a backbone trained from scratch (``weights=None``).
#: ``keras.applications`` builds its batch norms with momentum 0.999 (made for
#: long ImageNet trainings): after a few epochs their moving statistics are
#: still those of the random initialisation, so the network in inference mode
#: predicted a constant (MobileNetV2 alpha 0.35 on PneumoniaMNIST, 4 epochs:
#: CV AUC 0.499, balanced accuracy 0.500). With 0.9 the statistics follow the
#: weights (AUC 0.776 after 2 epochs). Pretrained backbones keep their own.
SCRATCH_BN_MOMENTUM = 0.9

#: Name of the output (probability) layer of every xraynet network: the seed CNN,
#: the ResNet and the backbones, so ``model_.get_layer(HEAD_NAME)`` finds the head
#: whatever the estimator. ``keras.applications`` calls its classifier layer the same.
HEAD_NAME = "predictions"

# name -> (keras.applications constructor, module holding preprocess_input,
#          smallest accepted input size, the size the ImageNet weights were trained at)
BACKBONES = {
    "mobilenetv2": ("MobileNetV2", "mobilenet_v2", 32, 224),
    "resnet50": ("ResNet50", "resnet", 32, 224),
    "densenet121": ("DenseNet121", "densenet", 32, 224),
    "efficientnetb0": ("EfficientNetB0", "efficientnet", 32, 224),
    "vgg16": ("VGG16", "vgg16", 32, 224),
}


def backbone_spec(backbone):
    """Look up a backbone by name.

    Parameters
    ----------
    backbone : str
        One of the keys of ``BACKBONES`` (case-insensitive).

    Returns
    -------
    constructor : callable
        The ``keras.applications`` model function.
    preprocess_input : callable
        Its preprocessing, applied to 0-255 RGB input.
    min_size : int
        Smallest height/width the backbone accepts.
    default_size : int
        Input size of its ImageNet weights.
    """
    if not isinstance(backbone, str) or backbone.lower() not in BACKBONES:
        raise ValueError(f"Unknown backbone={backbone!r}; choose one of {sorted(BACKBONES)}.")
    ctor, module, min_size, default_size = BACKBONES[backbone.lower()]
    app = keras.applications
    return getattr(app, ctor), getattr(app, module).preprocess_input, min_size, default_size


@keras.saving.register_keras_serializable(package="xraynet")
class BackbonePreprocess(layers.Layer):
    """A backbone's own ``preprocess_input`` (on 0-255 RGB values) as a layer."""

    def __init__(self, backbone, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone

    def call(self, inputs):
        return backbone_spec(self.backbone)[1](inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "backbone": self.backbone}


def _target_size(input_shape, input_size, min_size, backbone):
    h, w = int(input_shape[0]), int(input_shape[1])
    if input_size is None:
        return max(h, min_size), max(w, min_size)
    given = input_size
    if isinstance(input_size, Integral) and not isinstance(input_size, bool):
        input_size = (int(input_size), int(input_size))
    try:
        th, tw = (int(v) for v in input_size)
    except (TypeError, ValueError):
        raise ValueError(
            f"input_size must be None, an int or a (height, width) pair; got {input_size!r}."
        ) from None
    if min(th, tw) < min_size:
        raise ValueError(
            f"input_size={given!r} is too small for backbone={backbone!r}, which "
            f"needs at least {min_size}x{min_size} pixels."
        )
    return th, tw


def _make_backbone(backbone, weights, shape, backbone_kwargs):
    ctor = backbone_spec(backbone)[0]
    kwargs = dict(backbone_kwargs or {})
    if weights is None:
        model = ctor(include_top=False, weights=None, input_shape=shape, **kwargs)
        for layer in model.layers:  # see SCRATCH_BN_MOMENTUM
            if isinstance(layer, layers.BatchNormalization):
                layer.momentum = SCRATCH_BN_MOMENTUM
        return model
    if isinstance(weights, str) and weights == "imagenet":
        try:
            return ctor(include_top=False, weights="imagenet", input_shape=shape, **kwargs)
        except Exception as exc:
            raise OSError(
                f"Could not get the ImageNet weights of backbone={backbone!r} ({exc}). "
                "Without network access, save them on a machine that has it with "
                f"keras.applications.{ctor.__name__}(include_top=False, weights='imagenet')"
                ".save_weights('backbone.weights.h5') (or use the no-top .h5 file Keras "
                "downloads to ~/.keras/models) and pass weights='/path/to/that/file'."
            ) from exc
    if not isinstance(weights, (str, os.PathLike)):
        raise ValueError(
            f"weights must be None, 'imagenet' or the path of a weights file; got {weights!r}."
        )
    path = os.fspath(weights)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"weights file {path!r} does not exist (weights must be None, 'imagenet' or "
            f"the path of a no-top {backbone!r} weights file, .weights.h5 or .h5)."
        )
    if not path.endswith((".h5", ".hdf5")):
        raise ValueError(
            f"weights file {path!r} must be a Keras .weights.h5 or legacy .h5 file of the "
            f"{backbone!r} backbone without its top (include_top=False)."
        )
    model = ctor(include_top=False, weights=None, input_shape=shape, **kwargs)
    try:
        model.load_weights(path)
    except Exception as exc:
        raise ValueError(
            f"Could not load weights file {path!r} into backbone={backbone!r} "
            f"(include_top=False, input {shape}): {exc}"
        ) from exc
    return model


def build_transfer(
    input_shape,
    n_outputs,
    *,
    backbone="mobilenetv2",
    weights=None,
    input_size=None,
    dropout=0.2,
    backbone_kwargs=None,
):
    """Build an uncompiled ``keras.applications`` backbone with a new head.

    Gray images are repeated to 3 channels and resized in the graph to
    ``input_size`` (default: their own size, enlarged to the backbone's
    minimum), then go through the backbone's own ``preprocess_input``, the
    backbone without its top, global average pooling, dropout and a sigmoid
    unit (``n_outputs == 1``) or a softmax layer.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)`` of the 0-255 valued input, channels 1 or 3.
    n_outputs : int
        1 (binary, sigmoid) or the number of classes (softmax).
    backbone : str, default="mobilenetv2"
        A key of ``BACKBONES``.
    weights : None, "imagenet" or path, default=None
        Random initialisation, the Keras ImageNet download, or a local no-top
        weights file (``.weights.h5`` or legacy ``.h5``). With ``None`` the
        backbone's batch norms get momentum ``SCRATCH_BN_MOMENTUM`` (0.9)
        instead of the ``keras.applications`` 0.999, whose moving statistics
        stay at their initial values during short trainings from scratch.
    input_size : None, int or (int, int), default=None
        Size the images are resized to inside the network.
    dropout : float, default=0.2
        Dropout rate of the head.
    backbone_kwargs : dict or None, default=None
        Extra arguments of the backbone constructor, e.g. ``{"alpha": 0.35}``
        for MobileNetV2.

    Returns
    -------
    model : keras.Model
        Its layer named ``"backbone"`` is the ``keras.applications`` model.
    """
    min_size = backbone_spec(backbone)[2]
    channels = int(input_shape[-1])
    if channels not in (1, 3):
        raise ValueError(f"images must have 1 or 3 channels, got {channels}.")
    th, tw = _target_size(input_shape, input_size, min_size, backbone)
    inputs = keras.Input(shape=tuple(int(s) for s in input_shape), name="image")
    x = inputs
    if channels == 1:
        x = layers.Concatenate(axis=-1, name="gray_to_rgb")([x, x, x])
    if (th, tw) != (int(input_shape[0]), int(input_shape[1])):
        x = layers.Resizing(th, tw, interpolation="bilinear", name="resize")(x)
    x = BackbonePreprocess(backbone.lower(), name="preprocess")(x)
    base = _make_backbone(backbone.lower(), weights, (th, tw, 3), backbone_kwargs)
    base.name = "backbone"
    # A pretrained backbone keeps its batch-norm statistics (inference mode)
    # even when fine-tuned; a random one learns them.
    x = base(x, training=False) if weights is not None else base(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    activation = "sigmoid" if n_outputs == 1 else "softmax"
    # float32 output (probabilities, loss) under any dtype policy
    outputs = layers.Dense(n_outputs, activation=activation, name=HEAD_NAME, dtype="float32")(x)
    return keras.Model(inputs, outputs, name=f"xraynet_{backbone.lower()}")
