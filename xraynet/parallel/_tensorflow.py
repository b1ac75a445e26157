"""Process-level TensorFlow settings: threads, visible GPUs, GPU memory growth.

TensorFlow reads these settings once, when its runtime starts (the first op,
model or device query). :func:`configure_tensorflow` therefore works in two
ways:

* **before TensorFlow is imported** it only sets environment variables
  (``CUDA_VISIBLE_DEVICES``, ``TF_FORCE_GPU_ALLOW_GROWTH``,
  ``TF_NUM_INTRAOP_THREADS``, ``TF_NUM_INTEROP_THREADS``), so calling it
  never imports TensorFlow (useful for workers that only run scikit-learn
  models);
* **after the import but before the runtime starts** it also applies them
  through ``tf.config``;
* **once the runtime has started** a setting that differs from the active
  one cannot be applied any more: it is skipped with a warning.
"""

import os
import sys
import warnings
from numbers import Integral

from xraynet.utils import check_n_jobs

__all__ = ["configure_tensorflow", "resolve_n_threads"]

_CPU_ONLY = ("cpu", "none")
# [CUDA_VISIBLE_DEVICES before our last change, the value we wrote]: repeated
# calls index into the same GPUs (it is only read when CUDA starts).
_VISIBLE_WRITTEN = []


def resolve_n_threads(n_jobs):
    """Turn a joblib-style ``n_jobs`` into a positive thread count (or None).

    Parameters
    ----------
    n_jobs : int or None
        ``None`` -> ``None`` (leave the library default), a positive int ->
        itself, a negative int -> ``cpu_count + 1 + n_jobs`` (``-1`` = all
        cores, ``-2`` = all but one), at least 1.

    Returns
    -------
    n_threads : int or None

    Examples
    --------
    >>> resolve_n_threads(2)
    2
    >>> resolve_n_threads(None) is None
    True
    """
    if n_jobs is None:
        return None
    check_n_jobs(n_jobs, name="n_threads")
    if n_jobs > 0:
        return int(n_jobs)
    return max(1, (os.cpu_count() or 1) + 1 + int(n_jobs))


def _parse_gpu(gpu):
    """``None`` (leave as is), ``[]`` (hide all GPUs) or a list of GPU indices."""
    if gpu is None:
        return None
    if gpu is False or (isinstance(gpu, str) and gpu.lower() in _CPU_ONLY):
        return []
    if isinstance(gpu, Integral) and not isinstance(gpu, bool):
        gpu = [gpu]
    try:
        ids = [int(g) for g in gpu]
        if any(isinstance(g, bool) or not isinstance(g, Integral) or g < 0 for g in gpu):
            raise TypeError
    except (TypeError, ValueError):
        raise ValueError(
            "gpu must be None, 'cpu', a GPU index (int >= 0) or a list of GPU indices; "
            f"got {gpu!r}."
        ) from None
    if len(set(ids)) != len(ids):
        raise ValueError(f"gpu lists a device twice: {gpu!r}.")
    return ids


def _tf_context():
    """TensorFlow's eager context if TensorFlow is imported, else None."""
    if "tensorflow" not in sys.modules:
        return None
    from tensorflow.python.eager import context

    return context.context()


def _runtime_started(ctx):
    return ctx is not None and getattr(ctx, "_context_handle", None) is not None


def _devices_listed(ctx):
    return ctx is not None and getattr(ctx, "_physical_devices", None) is not None


def _threads_active(what, value):
    """True when the started runtime already uses ``value`` threads (API or env)."""
    import tensorflow as tf

    if what.startswith("intra"):
        current, env = (
            tf.config.threading.get_intra_op_parallelism_threads(),
            "TF_NUM_INTRAOP_THREADS",
        )
    else:
        current, env = (
            tf.config.threading.get_inter_op_parallelism_threads(),
            "TF_NUM_INTEROP_THREADS",
        )
    return current == value or (current == 0 and os.environ.get(env) == str(value))


def _warn(what, why):
    warnings.warn(
        f"configure_tensorflow: could not set {what}: {why}. Call it before "
        "TensorFlow runs its first operation (e.g. in a Dask worker plugin's setup "
        "or at the top of the script).",
        UserWarning,
        stacklevel=3,
    )


def configure_tensorflow(n_threads=None, gpu=None, memory_growth=True):
    """Set TensorFlow's thread pools, visible GPUs and GPU memory growth.

    Call it once per process, before TensorFlow runs anything: at the top of
    a script, or in each Dask worker (see :class:`TensorFlowWorkerPlugin`).
    It does not import TensorFlow. Settings that can no longer change (the
    TensorFlow runtime already started with other values) are skipped with a
    ``UserWarning``; calling it again with the active values is silent.

    Parameters
    ----------
    n_threads : int or None, default=None
        Intra-op threads (the threads one operation such as a convolution
        uses), joblib-style: ``-1`` = all cores. Inter-op threads are set to
        ``min(n_threads, 2)``. Use the number of cores a worker owns so that
        several workers on one machine do not oversubscribe its cores.
        ``None`` keeps TensorFlow's default (all cores).
    gpu : None, int, list of int or "cpu", default=None
        GPUs this process may use, as indices into the GPUs it currently
        sees (after any ``CUDA_VISIBLE_DEVICES`` already set); ``"cpu"`` (or
        ``[]``) hides every GPU. ``None`` keeps the visible devices as they
        are. One GPU per process is the rule for model selection: two Keras
        fits on one GPU compete for its memory. An int is an *index*:
        ``gpu=0`` is the first GPU, not "no GPU" (``TensorFlowWorkerPlugin``'s
        ``gpus=0``, a *count*, means CPU only; here that is ``gpu="cpu"``).
    memory_growth : bool or None, default=True
        Allocate GPU memory as needed instead of reserving (almost) all of
        it at start-up. ``None`` leaves it alone.

    Returns
    -------
    settings : dict
        ``{"n_threads", "gpu", "memory_growth", "applied", "skipped"}``: the
        requested values, how they were applied (``"environment"`` before
        the TensorFlow import, ``"tensorflow"`` through ``tf.config``) and the
        names of the settings that could not be applied.

    Examples
    --------
    >>> from xraynet.parallel import configure_tensorflow
    >>> settings = configure_tensorflow(n_threads=1, gpu="cpu")  # doctest: +SKIP
    """
    n_threads = resolve_n_threads(n_threads)
    gpu_ids = _parse_gpu(gpu)
    if memory_growth not in (None, True, False):
        raise ValueError(f"memory_growth must be a bool or None, got {memory_growth!r}.")

    ctx = _tf_context()
    started = _runtime_started(ctx)
    skipped = []

    # 1. Environment: read when TensorFlow creates its devices / thread pools.
    #    (The GPU choice is validated first so that an error changes nothing.)
    if not started:
        visible = None
        if gpu_ids is not None and not _devices_listed(ctx):
            current = os.environ.get("CUDA_VISIBLE_DEVICES")
            if _VISIBLE_WRITTEN and current == _VISIBLE_WRITTEN[1]:
                current = _VISIBLE_WRITTEN[0]  # index into the GPUs seen before our change
            if current is not None and current.strip() not in ("", "-1"):
                pool = [d.strip() for d in current.split(",") if d.strip()]
                bad = [i for i in gpu_ids if i >= len(pool)]
                if bad:
                    raise ValueError(
                        f"gpu index {bad[0]} out of range: CUDA_VISIBLE_DEVICES={current!r} "
                        f"lists {len(pool)} GPU(s)."
                    )
                chosen = [pool[i] for i in gpu_ids]
            else:
                chosen = [str(i) for i in gpu_ids]
            visible = (current, ",".join(chosen) if chosen else "-1")
        if n_threads is not None:
            os.environ["TF_NUM_INTRAOP_THREADS"] = str(n_threads)
            os.environ["TF_NUM_INTEROP_THREADS"] = str(min(n_threads, 2))
        if memory_growth is not None:
            os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] = "true" if memory_growth else "false"
        if visible is not None:
            _VISIBLE_WRITTEN[:] = list(visible)
            os.environ["CUDA_VISIBLE_DEVICES"] = visible[1]

    # 2. tf.config, when TensorFlow is already imported.
    if ctx is not None:
        import tensorflow as tf

        if n_threads is not None:
            for what, setter, value in (
                (
                    "intra-op threads",
                    tf.config.threading.set_intra_op_parallelism_threads,
                    n_threads,
                ),
                (
                    "inter-op threads",
                    tf.config.threading.set_inter_op_parallelism_threads,
                    min(n_threads, 2),
                ),
            ):
                if started and _threads_active(what, value):
                    continue
                try:
                    setter(value)
                except RuntimeError as exc:
                    skipped.append(what)
                    _warn(f"{what}={value}", exc)
        if gpu_ids is not None and _devices_listed(ctx):
            physical = tf.config.list_physical_devices("GPU")
            bad = [i for i in gpu_ids if i >= len(physical)]
            if bad:
                raise ValueError(
                    f"gpu index {bad[0]} out of range: TensorFlow sees {len(physical)} GPU(s)."
                )
            try:
                tf.config.set_visible_devices([physical[i] for i in gpu_ids], "GPU")
            except RuntimeError as exc:
                skipped.append("gpu")
                _warn(f"visible GPUs {gpu_ids}", exc)
        if memory_growth is not None:
            for dev in tf.config.list_physical_devices("GPU") if _devices_listed(ctx) else []:
                try:
                    if tf.config.experimental.get_memory_growth(dev) != memory_growth:
                        tf.config.experimental.set_memory_growth(dev, memory_growth)
                except RuntimeError as exc:
                    skipped.append("memory_growth")
                    _warn(f"memory growth on {dev.name}", exc)
                    break
    return {
        "n_threads": n_threads,
        "gpu": gpu_ids,
        "memory_growth": memory_growth,
        "applied": "tensorflow" if ctx is not None else "environment",
        "skipped": skipped,
    }
