"""Numerical precision of the Keras estimators (``precision`` parameter).

A precision is applied as a Keras dtype policy to the layers of the network
being built, never left in Keras' global state: :func:`precision_scope` sets
the global policy only while ``_build_network`` runs and restores it in a
``finally``. Variables always stay float32 ("mixed" policies); the output
layer is built with ``dtype="float32"`` (see :func:`output_dtype`) so the
probabilities and the loss are float32.

* ``"float32"``: everything float32.
* ``"bfloat16"``: Keras ``"mixed_bfloat16"``: convolutions and matmuls in
  bfloat16, float32 variables, batch-norm statistics, output and loss. Fast
  on CPUs with AVX-512 BF16 / AMX (oneDNN) and on GPUs of compute capability
  >= 8; it runs, slowly, everywhere else.
* ``"mixed_float16"``: Keras ``"mixed_float16"`` (GPUs; Keras adds loss
  scaling automatically).
* ``"auto"``: ``"bfloat16"`` where the hardware does bfloat16 natively
  (:func:`hardware_bfloat16`), else ``"float32"``.
"""

import contextlib
import functools
import os
import sys

import keras

__all__ = [
    "PRECISIONS",
    "check_precision",
    "hardware_bfloat16",
    "output_dtype",
    "precision_scope",
    "resolve_precision",
]

#: precision parameter value -> Keras dtype policy name.
PRECISIONS = {
    "float32": "float32",
    "bfloat16": "mixed_bfloat16",
    "mixed_float16": "mixed_float16",
}
_VALUES = ("auto",) + tuple(PRECISIONS)

#: Environment variable overriding what "auto" detects ("float32"/"bfloat16").
AUTO_ENV = "XRAYNET_AUTO_PRECISION"


def check_precision(precision):
    """Raise a ValueError naming the allowed values unless ``precision`` is one."""
    if not isinstance(precision, str) or precision not in _VALUES:
        raise ValueError(
            f"precision must be one of {', '.join(repr(v) for v in _VALUES)}; got {precision!r}."
        )


def _cpu_flags():
    """The CPU feature flags of /proc/cpuinfo (empty set elsewhere)."""
    if not sys.platform.startswith("linux"):
        return frozenset()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def _gpu_compute_capabilities():
    """Compute capabilities ``(major, minor)`` of the GPUs TensorFlow sees."""
    try:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        caps = []
        for gpu in gpus:
            cap = tf.config.experimental.get_device_details(gpu).get("compute_capability")
            caps.append(tuple(cap) if cap else (0, 0))
        return caps
    except Exception:  # pragma: no cover - no TensorFlow GPU support at all
        return []


@functools.cache
def hardware_bfloat16():
    """Whether this machine computes bfloat16 natively.

    True when TensorFlow sees GPUs and all have compute capability >= 8
    (Ampere and later), or, without GPUs, when the CPU has AVX-512 BF16 or
    AMX-BF16 (``avx512_bf16`` / ``amx_bf16`` in ``/proc/cpuinfo``; other
    systems count as without). ``XRAYNET_AUTO_PRECISION=float32|bfloat16``
    overrides the detection.
    """
    forced = os.environ.get(AUTO_ENV, "").strip().lower()
    if forced in ("float32", "bfloat16"):
        return forced == "bfloat16"
    caps = _gpu_compute_capabilities()
    if caps:
        return all(cap >= (8, 0) for cap in caps)
    return bool({"avx512_bf16", "amx_bf16"} & _cpu_flags())


def resolve_precision(precision):
    """The concrete precision ("float32", "bfloat16" or "mixed_float16")."""
    check_precision(precision)
    if precision == "auto":
        return "bfloat16" if hardware_bfloat16() else "float32"
    return precision


@contextlib.contextmanager
def precision_scope(precision):
    """Build layers under ``precision``'s dtype policy; restore the global one after.

    Keras layers take the global policy when they are created, so the
    network is built inside this block. The previous global policy is put
    back even when building fails: fitting never changes Keras' global state.
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(PRECISIONS[resolve_precision(precision)])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def output_dtype():
    """``dtype`` for output layers: float32 under every policy."""
    return "float32"
