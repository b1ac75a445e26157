"""Grad-CAM heatmaps for xraynet's Keras estimators.

Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", ICCV 2017: the feature maps of the last
convolutional stage, weighted by the spatially averaged gradient of the
class score, summed and passed through a ReLU.
"""

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from xraynet.utils import check_image_array

__all__ = ["gradcam"]


def _keras():
    import keras

    return keras


def _is_model(layer):
    return isinstance(layer, _keras().Model)


def _rank(layer):
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError):
        return None


def _is_conv(layer):
    from keras.src.layers.convolutional.base_conv import BaseConv

    return isinstance(layer, BaseConv)


def _is_activation(layer):
    keras = _keras()
    return isinstance(layer, (keras.layers.Activation, keras.layers.ReLU))


def _has_conv(model):
    return any(_is_model(lay) and _has_conv(lay) or _is_conv(lay) for lay in model.layers)


def _candidates(model, state):
    """Paths to every conv / activation layer (and backbone) with a spatial output."""
    out = []
    for layer in model.layers:
        if _is_model(layer):
            out.extend([layer] + p for p in _candidates(layer, state))
            if state["conv"] and _rank(layer) == 4:
                out.append([layer])
            continue
        if _is_conv(layer):
            state["conv"] = True
        if state["conv"] and _rank(layer) == 4 and (_is_conv(layer) or _is_activation(layer)):
            out.append([layer])
    return out


def _find_default(model, min_size=4):
    """The last spatial feature map at least ``min_size`` pixels wide, else the last one.

    With 28x28 inputs the last convolutional stages of a deep CNN are 2x2 or
    1x1, which makes a uniform (useless) heatmap, hence the size floor.
    """
    paths = _candidates(model, {"conv": False})
    if not paths:
        raise ValueError(f"model {model.name!r} has no spatial feature map after a Conv2D layer.")

    def size(path):
        h, w = path[-1].output.shape[1:3]
        return None if h is None or w is None else min(h, w)

    big = [p for p in paths if size(p) is None or size(p) >= min_size]
    return (big or paths)[-1]


def _find_named(model, name):
    for layer in model.layers:
        if layer is name or layer.name == name:
            return [layer]
        if _is_model(layer):
            sub = _find_named(layer, name)
            if sub:
                return [layer] + sub
    return None


def _resolve_estimator(estimator, images):
    """Return (keras model, images as the model sees them, original image array or None)."""
    keras = _keras()
    original = None
    if isinstance(estimator, Pipeline):
        try:
            original = check_image_array(images, name="images")
        except ValueError:
            original = None
        images = estimator[:-1].transform(images)
        estimator = estimator[-1]
    if isinstance(estimator, keras.Model):
        return estimator, images, original
    model = getattr(estimator, "model_", None)
    if model is None or not isinstance(model, keras.Model):
        try:
            from sklearn.utils.validation import check_is_fitted

            check_is_fitted(estimator)
        except (NotFittedError, TypeError) as exc:
            raise NotFittedError(
                f"{type(estimator).__name__} is not fitted: call fit() before gradcam()."
            ) from exc
        raise ValueError(
            f"gradcam() needs a fitted Keras estimator with a `model_` attribute "
            f"(CNNClassifier, ResNetClassifier, TransferClassifier); got "
            f"{type(estimator).__name__}, which has no Keras model."
        )
    return model, images, original


def _model_input_shape(model):
    try:
        shape = tuple(model.inputs[0].shape)
    except (AttributeError, ValueError, IndexError, TypeError):
        shape = tuple(getattr(model, "input_shape", (None, None, None, None)))
    return shape


def _output_in_graph(layer):
    """Output tensor of ``layer`` in its parent's graph (a nested Model's ``.output``
    is the tensor of its own graph, not of the call inside the parent)."""
    nodes = getattr(layer, "_inbound_nodes", None)
    if _is_model(layer) and nodes:
        return nodes[-1].output_tensors[0]
    return layer.output


def _run(model, x, path, drop_last):
    """Forward pass returning (feature map of path[-1], output or pre-final activations)."""
    keras = _keras()
    head, rest = path[0], path[1:]
    layers = [lay for lay in model.layers if lay.__class__.__name__ != "InputLayer"]
    last = layers[-1] if drop_last else None
    functional = not isinstance(model, keras.Sequential) and getattr(model, "inputs", None)
    end = last.input if drop_last else model.outputs[0]
    if functional and not rest:
        conv, out = keras.Model(model.inputs, [_output_in_graph(head), end])(x, training=False)
        return conv, out
    if functional:
        # nested model (a backbone): run the graph before it, inside it, after it
        node = head._inbound_nodes[-1]
        if len(node.input_tensors) != 1 or len(node.output_tensors) != 1:
            raise ValueError(
                f"layer {path[-1].name!r} sits in nested model {head.name!r} with several "
                "inputs or outputs; pass layer= the name of a top-level layer."
            )
        before = keras.Model(model.inputs, node.input_tensors[0])
        conv, h = _run(head, before(x, training=False), rest, False)
        if end is node.output_tensors[0]:  # the backbone feeds the final layer directly
            return conv, h
        return conv, keras.Model(node.output_tensors[0], end)(h, training=False)
    conv = None
    for layer in layers:
        if layer is last:
            break
        if layer is head:
            if rest:
                conv, x = _run(layer, x, rest, False)
            else:
                x = layer(x, training=False)
                conv = x
        else:
            x = layer(x, training=False)
    return conv, x


def _final_dense(model):
    keras = _keras()
    last = [lay for lay in model.layers if lay.__class__.__name__ != "InputLayer"][-1]
    act = getattr(getattr(last, "activation", None), "__name__", None)
    if isinstance(last, keras.layers.Dense) and act in ("sigmoid", "softmax"):
        return last, act
    return None, None


def gradcam(estimator, images, layer=None, class_index=None, *, batch_size=32):
    """Grad-CAM heatmaps: where in each X-ray the network found its evidence.

    Parameters
    ----------
    estimator : fitted Keras estimator, Pipeline ending in one, or keras.Model
        Any xraynet Keras estimator (it uses ``estimator.model_``). For a
        :class:`~sklearn.pipeline.Pipeline` the images go through the
        preceding steps first.
    images : array-like of shape (n_samples, height, width[, channels])
        Images as given to ``predict`` (uint8, 0-255).
    layer : str, keras layer or None, default=None
        The feature map to explain. Default: the output of the last
        convolutional layer, or of the activation after it (e.g. the ReLU
        closing a residual block), i.e. the final convolutional
        feature map (found inside nested backbones such as the
        ``keras.applications`` model of ``TransferClassifier`` too). Feature
        maps smaller than 4x4 are skipped when a larger one exists (a 1x1
        map gives a uniform heatmap; small 28x28 inputs reach it early).
    class_index : int, array-like of int or None, default=None
        Index into ``estimator.classes_`` of the class to explain, one for
        all images or one per image. Default: each image's predicted class.
    batch_size : int, default=32
        Images per forward/backward pass.

    Returns
    -------
    heatmaps : ndarray of shape (n_samples, height, width), float32
        In [0, 1] at the resolution of ``images`` (1 = strongest evidence;
        all zeros when no region supports the class).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted (a ``ValueError`` subclass).
    ValueError
        If the model has no convolutional layer, ``layer`` is unknown or not
        spatial, or the estimator is not a Keras model.

    Examples
    --------
    >>> from xraynet.explain import gradcam  # doctest: +SKIP
    >>> heatmaps = gradcam(fitted_cnn, X_test[:8])  # doctest: +SKIP
    """
    import cv2
    import tensorflow as tf

    model, X, original = _resolve_estimator(estimator, images)
    X = check_image_array(X, name="images")
    n, h, w, c = X.shape
    if not _has_conv(model):
        raise ValueError(
            f"Grad-CAM needs a convolutional network; model {model.name!r} has no Conv2D layer."
        )
    if layer is None:
        path = _find_default(model)
    else:
        path = _find_named(model, layer)
        if path is None:
            raise ValueError(f"layer={layer!r} is not a layer of model {model.name!r}.")
        if _rank(path[-1]) != 4:
            raise ValueError(
                f"layer={path[-1].name!r} has no spatial (n, h, w, c) output; choose a "
                "convolutional layer."
            )
    in_shape = _model_input_shape(model)
    Xm = X
    if len(in_shape) == 4:
        if in_shape[-1] == 3 and c == 1:
            Xm = np.repeat(Xm, 3, axis=-1)
        elif in_shape[-1] is not None and in_shape[-1] != Xm.shape[-1]:
            raise ValueError(f"images have {c} channel(s) but the model expects {in_shape[-1]}.")
        if (
            in_shape[1] is not None
            and in_shape[2] is not None
            and (in_shape[1], in_shape[2]) != (h, w)
        ):
            Xm = np.stack(
                [
                    cv2.resize(im, (in_shape[2], in_shape[1]), interpolation=cv2.INTER_AREA)
                    for im in Xm
                ]
            )
            if Xm.ndim == 3:
                Xm = Xm[..., None]
    dense, act = _final_dense(model)
    if class_index is not None:
        n_out = int(model.outputs[0].shape[-1])
        n_classes = 2 if n_out == 1 else n_out  # one sigmoid unit scores two classes
        raw_index = np.asarray(class_index)
        if (
            raw_index.dtype.kind not in "iu"
            or np.any(raw_index < 0)
            or np.any(raw_index >= n_classes)
        ):
            raise ValueError(
                f"class_index must be an integer in [0, {n_classes - 1}] (the model has "
                f"{n_classes} classes), or one per image; got {class_index!r}."
            )
        try:
            class_index = np.broadcast_to(raw_index.astype(int), (n,))
        except ValueError:
            raise ValueError(
                f"class_index must be one integer or one per image ({n}); "
                f"got {raw_index.size} values."
            ) from None
    maps = []
    for start in range(0, n, batch_size):
        xb = tf.convert_to_tensor(Xm[start : start + batch_size], dtype=tf.float32)
        with tf.GradientTape() as tape:
            conv, out = _run(model, xb, path, drop_last=dense is not None)
            if dense is not None:
                logits = tf.matmul(out, dense.kernel)
                if dense.use_bias:
                    logits = logits + dense.bias
                probs = tf.sigmoid(logits) if act == "sigmoid" else tf.nn.softmax(logits)
            else:
                logits = probs = out
            if probs.shape[-1] == 1:
                pred = tf.cast(probs[:, 0] >= 0.5, tf.int32).numpy()
            else:
                pred = tf.argmax(probs, axis=-1).numpy()
            idx = pred if class_index is None else class_index[start : start + batch_size]
            if logits.shape[-1] == 1:
                raw = (
                    logits[:, 0]
                    if dense is not None
                    else tf.math.log(tf.clip_by_value(logits[:, 0], 1e-7, 1.0))
                    - tf.math.log(tf.clip_by_value(1.0 - logits[:, 0], 1e-7, 1.0))
                )
                sign = tf.constant(np.where(idx == 1, 1.0, -1.0), dtype=raw.dtype)
                score = raw * sign
            else:
                score = tf.gather(logits, idx, axis=1, batch_dims=1)
        if start == 0:
            ref = np.asarray(model(xb, training=False))
            if ref.shape != tuple(probs.shape) or not np.allclose(ref, probs.numpy(), atol=1e-4):
                raise ValueError(
                    f"could not re-run model {model.name!r} layer by layer to reach "
                    f"{path[-1].name!r} (branching architecture around a nested model); "
                    "pass layer= the name of a top-level convolutional layer."
                )
        grads = tape.gradient(score, conv)
        if grads is None:
            raise ValueError(f"no gradient flows from the output to layer {path[-1].name!r}.")
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(weights * conv, axis=-1)).numpy().astype(np.float32)
        maps.append(cam)
    cams = np.concatenate(maps)
    out_h, out_w = original.shape[1:3] if original is not None else (h, w)
    result = np.empty((n, out_h, out_w), dtype=np.float32)
    for i, cam in enumerate(cams):
        cam = cv2.resize(cam, (out_w, out_h), interpolation=cv2.INTER_LINEAR)
        cam = np.maximum(cam, 0)
        top = cam.max()
        result[i] = cam / top if top > 0 else 0.0
    return result
