"""The traced inference step behind ``predict_proba``.

``model.predict`` runs Keras' generic loop (data adapter, callbacks, a
``tf.function`` retraced for new batch shapes) and Keras 3's batch
normalization as separate element-wise ops -- under ``mixed_bfloat16`` even
cast to float32 and back around them, four passes over the largest
activations of the seed CNN. Inference here is:

* one ``tf.function`` per network with a free batch dimension (traced once,
  the short last batch included), fed ``uint8`` batches cast inside the
  graph;
* the network re-wired (same layer objects, same variables, nothing copied)
  with every 4-D channels-last ``BatchNormalization`` computed by
  TensorFlow's fused inference kernel (``FusedBatchNormV3``,
  ``is_training=False``; bfloat16/float16 data with float32 statistics).

Measured on the seed CNN at 150 px on 2 cores (AVX-512 BF16), 600 images,
interleaved rounds, against the same traced Keras graph: fused batch norms
1.11x (float32) and 1.68x (bfloat16); outputs equal within 2e-8 (float32) /
5e-5 (bfloat16) in probability. ``benchmarks/bench_training.py`` compares
``predict_proba`` with the seed's ``model.predict``.
"""

import keras
import tensorflow as tf

__all__ = ["inference_function"]


class _FusedInferenceBatchNorm(keras.layers.Layer):
    """Inference-mode batch normalization of ``bn`` by the fused kernel (not saved)."""

    def __init__(self, bn, **kwargs):
        super().__init__(dtype=bn.dtype_policy, name=f"{bn.name}_fused", **kwargs)
        self.bn = bn

    def call(self, x):
        bn = self.bn
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(
            x,
            bn.gamma,
            bn.beta,
            bn.moving_mean,
            bn.moving_variance,
            epsilon=float(bn.epsilon),
            is_training=False,
            data_format="NHWC",
        )
        return y

    def compute_output_shape(self, input_shape):
        return input_shape


def _fusable(layer, args, kwargs):
    if not isinstance(layer, keras.layers.BatchNormalization):
        return False
    if len(args) != 1 or kwargs.get("mask") is not None:
        return False
    shape = getattr(args[0], "shape", None)
    if shape is None or len(shape) != 4:
        return False
    axis = layer.axis if isinstance(layer.axis, int) else None
    return (
        axis in (-1, 3)
        and layer.center
        and layer.scale
        and keras.backend.standardize_dtype(args[0].dtype) in ("float32", "bfloat16", "float16")
    )


def fused_inference_model(model):
    """``model`` re-wired with fused inference batch norms, or ``model`` itself.

    Shares every layer and variable with ``model`` (later weight changes show
    through). Falls back to ``model`` when it has no fusable batch norm or
    cannot be re-wired (subclassed models, exotic layers).
    """
    found = []

    def call_function(layer, *args, **kwargs):
        if _fusable(layer, args, kwargs):
            found.append(layer)
            return _FusedInferenceBatchNorm(layer)(args[0])
        return layer(*args, **kwargs)

    try:
        clone = keras.models.clone_model(
            model, clone_function=lambda layer: layer, call_function=call_function, recursive=True
        )
    except Exception:  # pragma: no cover - a network clone_model cannot rebuild
        return model
    return clone if found else model


def inference_function(model, input_shape):
    """A traced ``uint8 (None, *input_shape) -> float32 outputs`` step of ``model``."""
    network = fused_inference_model(model)
    spec = tf.TensorSpec((None, *(int(s) for s in input_shape)), tf.uint8)

    @tf.function(input_signature=[spec], autograph=False)
    def infer(images):
        out = network(tf.cast(images, tf.float32), training=False)
        return tf.cast(out, tf.float32)

    # Traced here, not at the first call: TensorFlow counts the traces made by calls per
    # function *code*, so after a few fitted models (a search, folds) every new estimator's
    # first prediction would log a "triggered tf.function retracing" warning although each
    # function is traced exactly once. A trace made ahead of the calls is not counted.
    infer.get_concrete_function()
    return infer
