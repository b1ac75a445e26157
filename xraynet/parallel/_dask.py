"""Dask worker set-up for Keras model selection (optional ``dask[distributed]``)."""

import os
import re
import shutil
import subprocess
import sys
import zlib

from ._tensorflow import configure_tensorflow, resolve_n_threads

try:  # optional dependency: the class still imports (and documents) without it
    from distributed import WorkerPlugin as _WorkerPluginBase
except ImportError:  # pragma: no cover - exercised only without dask installed
    _WorkerPluginBase = object

__all__ = ["TensorFlowWorkerPlugin", "detect_gpus"]


def detect_gpus():
    """Number of NVIDIA GPUs this process may use, without importing TensorFlow.

    ``CUDA_VISIBLE_DEVICES`` decides when it is set (``""`` / ``"-1"`` -> 0);
    otherwise ``nvidia-smi -L`` is asked; 0 when neither says anything.

    Returns
    -------
    n_gpus : int

    Examples
    --------
    >>> from xraynet.parallel import detect_gpus
    >>> detect_gpus() >= 0
    True
    """
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = [d for d in visible.split(",") if d.strip()]
        return 0 if not ids or ids[0].strip() == "-1" else len(ids)
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return 0
    try:
        out = subprocess.run(
            [exe, "-L"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


def _worker_index(worker):
    """A small int per worker: its integer name (LocalCluster, ``--name``,
    ``--nworkers`` suffix), else a stable hash of its address."""
    name = getattr(worker, "name", None)
    if isinstance(name, int) and not isinstance(name, bool):
        return name
    match = re.search(r"(\d+)$", str(name)) if name is not None else None
    if match:
        return int(match.group(1))
    return zlib.crc32(str(worker.address).encode())


class TensorFlowWorkerPlugin(_WorkerPluginBase):
    """Configure TensorFlow in every Dask worker before it trains anything.

    Register it once per client; every current and future worker (including
    one that Dask restarts after a crash) runs :meth:`setup`, which calls
    :func:`configure_tensorflow` with

    * ``n_threads`` intra-op threads (default: the worker's own thread
      count, so several workers on one machine do not oversubscribe its
      cores; TensorFlow's thread pool is shared by the worker's tasks);
    * one GPU per worker, assigned round-robin by worker number (the
      integer worker name that ``LocalCluster`` and ``dask worker --name``
      give, else a hash of the worker address) when GPUs exist, and every
      GPU hidden when ``gpus=0``;
    * GPU memory growth on.

    After each task, when the worker runs nothing else and Keras is
    loaded, :func:`keras.backend.clear_session` releases the Keras global
    state of the previous candidate (``clear_session=True``).

    Parameters
    ----------
    n_threads : int or None, default=None
        Intra-op threads per worker process, joblib-style (``-1`` = all
        cores). ``None`` uses the worker's ``nthreads``.
    gpus : None, int or list of int, default=None
        GPUs to share out: ``None`` detects them (:func:`detect_gpus`,
        without importing TensorFlow), an int is a *count* (``0`` = CPU only;
        ``configure_tensorflow(gpu=0)``, an *index*, means the first GPU),
        a list gives the GPU indices to use. Worker ``i`` gets
        ``gpus[i % len(gpus)]``: start no more workers per machine than
        GPUs to keep one Keras fit per GPU.
    memory_growth : bool, default=True
        Grow GPU memory on demand instead of reserving it all at start-up.
    clear_session : bool, default=True
        Clear the Keras session between tasks.

    Attributes
    ----------
    settings_ : dict
        On each worker after :meth:`setup`: what :func:`configure_tensorflow`
        returned, plus ``"worker_index"``.
    n_cleared_ : int
        On each worker: how many times the Keras session was cleared.

    Notes
    -----
    TensorFlow settings belong to a process: use process workers (the
    default of ``LocalCluster`` and ``dask worker``), not
    ``LocalCluster(processes=False)``, whose workers share one TensorFlow.

    Examples
    --------
    >>> from dask.distributed import Client, LocalCluster  # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> client.register_plugin(TensorFlowWorkerPlugin())  # doctest: +SKIP
    """

    name = "xraynet-tensorflow"
    idempotent = True

    def __init__(self, n_threads=None, gpus=None, memory_growth=True, clear_session=True):
        self.n_threads = n_threads
        self.gpus = gpus
        self.memory_growth = memory_growth
        self.clear_session = clear_session

    def __repr__(self):
        return (
            f"{type(self).__name__}(n_threads={self.n_threads!r}, gpus={self.gpus!r}, "
            f"memory_growth={self.memory_growth!r}, clear_session={self.clear_session!r})"
        )

    def _gpu_ids(self):
        gpus = self.gpus
        if gpus is None:
            gpus = detect_gpus()
        if isinstance(gpus, bool) or not isinstance(gpus, (int, list, tuple, range)):
            raise ValueError(f"gpus must be None, an int or a list of ints, got {gpus!r}.")
        if isinstance(gpus, int):
            if gpus < 0:
                raise ValueError(f"gpus must be >= 0, got {gpus}.")
            return list(range(gpus))
        return [int(g) for g in gpus]

    def setup(self, worker):
        """Configure TensorFlow in ``worker`` (called by Dask)."""
        self._worker = worker
        index = _worker_index(worker)
        n_threads = resolve_n_threads(self.n_threads)
        if n_threads is None:
            n_threads = max(1, int(worker.state.nthreads))
        ids = self._gpu_ids()
        if ids:
            gpu = ids[index % len(ids)]
        else:
            # No GPU to share (or gpus=0): hide them only if asked explicitly.
            gpu = "cpu" if self.gpus is not None else None
        settings = configure_tensorflow(
            n_threads=n_threads, gpu=gpu, memory_growth=self.memory_growth
        )
        settings["worker_index"] = index
        self.settings_ = settings

    def transition(self, key, start, finish, **kwargs):
        """Clear the Keras session when a task leaves ``executing`` (called by Dask)."""
        if not self.clear_session or start != "executing" or "keras" not in sys.modules:
            return
        worker = getattr(self, "_worker", None)
        if worker is None or worker.state.executing_count > 0:
            return  # another task may be building a model right now
        import keras

        policy = keras.config.dtype_policy()
        keras.backend.clear_session(free_memory=True)
        keras.config.set_dtype_policy(policy)
        self.n_cleared_ = getattr(self, "n_cleared_", 0) + 1

    def teardown(self, worker):
        """Drop the reference to the worker (called by Dask)."""
        self._worker = None
