"""Training plumbing shared by the Keras estimators of ``_base.py``.

Optimizer construction, the learning-rate recorder callback and the seeded,
deterministic context in which networks are built and trained.
"""

import contextlib
import random

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.framework import config as _tf_config

__all__ = [
    "EARLY_STOPPING_PATIENCE",
    "OPTIMIZERS",
    "EpochProgress",
    "RecordLearningRate",
    "make_optimizer",
    "seeded_keras",
]

OPTIMIZERS = {
    "rmsprop": keras.optimizers.RMSprop,
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "sgd": keras.optimizers.SGD,
}
EARLY_STOPPING_PATIENCE = 3


class RecordLearningRate(keras.callbacks.Callback):
    """Put the optimizer's learning rate into the epoch logs (-> history_)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and "learning_rate" not in logs:
            logs["learning_rate"] = float(np.asarray(self.model.optimizer.learning_rate))


class EpochProgress(keras.callbacks.Callback):
    """A tqdm bar over the epochs on stderr, in place of Keras' own progress bar.

    The postfix shows the batch within the current epoch (redrawn at most
    every ``mininterval``: 0.1 s in a terminal, 30 s in a log file) and the
    metrics of the last finished epoch. Put it after the callbacks that add
    to the epoch logs (``RecordLearningRate``) so that it sees their values.

    Parameters
    ----------
    desc : str
        Text before the bar (the estimator's class name).
    """

    def __init__(self, desc):
        super().__init__()
        self.desc = desc
        self._bar = None
        self._last = ""

    def on_train_begin(self, logs=None):
        from ..utils._progress import progress_bar

        self._bar = progress_bar(
            self.params.get("epochs"), self.desc, verbose=True, unit="epoch", leave=None
        )
        self._last = ""

    def on_train_batch_end(self, batch, logs=None):
        steps = self.params.get("steps")
        where = f"batch {batch + 1}" + (f"/{steps}" if steps else "")
        self._bar.set_postfix_str(where + self._last, refresh=False)
        self._bar.update(0)  # redraws at most every mininterval

    def on_epoch_end(self, epoch, logs=None):
        self._last = "".join(
            f", {k}={float(v):.4g}" for k, v in (logs or {}).items() if np.ndim(v) == 0
        )
        self._bar.set_postfix_str(self._last[2:], refresh=False)
        self._bar.update(1)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _private_default_seeds(seed):
    """Draw Keras' default layer seeds from a private ``random.Random(seed)``.

    Keras seeds every initializer / dropout layer created without a seed from
    Python's process-global ``random`` module, which ``set_random_seed`` seeds.
    Any other thread drawing from ``random`` meanwhile (a Dask worker's event
    loop, a web server) shifts those seeds, so fits in a Dask worker were not
    reproducible. ``random.Random(seed)`` starts in the state ``random.seed(seed)``
    gives, so single-threaded results are unchanged. Returns the undo callable.
    """
    try:
        from keras.src.random import seed_generator as _seed_generator
    except ImportError:  # pragma: no cover - Keras moved its private module
        _seed_generator = None
    if seed is None or not hasattr(_seed_generator, "python_random"):
        return lambda: None
    previous = _seed_generator.python_random
    _seed_generator.python_random = random.Random(seed)

    def restore():
        _seed_generator.python_random = previous

    return restore


def make_optimizer(opt, lr):
    """A fresh Keras optimizer from a name, class or instance, at rate ``lr``."""
    if isinstance(opt, str):
        try:
            return OPTIMIZERS[opt.lower()](learning_rate=lr)
        except KeyError:
            raise ValueError(
                f"optimizer must be one of {sorted(OPTIMIZERS)}, a keras optimizer "
                f"class or instance; got {opt!r}."
            ) from None
    if isinstance(opt, type) and issubclass(opt, keras.optimizers.Optimizer):
        return opt(learning_rate=lr)
    if isinstance(opt, keras.optimizers.Optimizer):
        config = dict(opt.get_config(), learning_rate=lr)
        return type(opt).from_config(config)
    raise ValueError(
        f"optimizer must be one of {sorted(OPTIMIZERS)}, a keras optimizer class "
        f"or instance; got {opt!r}."
    )


@contextlib.contextmanager
def seeded_keras(seed):
    """Seed Keras and enable TensorFlow op determinism inside the block.

    ``seed=None`` changes nothing. NumPy's and Python's global random states,
    Keras' default-seed source and the determinism flag are restored on exit.
    """
    determinism_was_on = _tf_config.is_op_determinism_enabled()
    np_state, py_state = np.random.get_state(), random.getstate()
    restore_default_seeds = _private_default_seeds(seed)
    try:
        if seed is not None:
            keras.utils.set_random_seed(seed)
            tf.config.experimental.enable_op_determinism()
        yield
    finally:
        restore_default_seeds()
        if seed is not None:
            np.random.set_state(np_state)
            random.setstate(py_state)
            if not determinism_was_on:
                _tf_config.disable_op_determinism()
