"""Batch feeding for the Keras estimators: uint8 storage, per-batch float32.

Images stay ``uint8`` in memory (8x smaller than float64, 4x smaller than
float32); each batch is cast to float32 only when Keras asks for it. The
networks rescale by 1/255 themselves. Training batches are reshuffled every
epoch and, when an augmenter is given, augmented freshly for every batch of
every epoch. Validation and prediction batches are never augmented.

While Keras trains on batch ``k``, a background thread already builds
(gathers and augments) batch ``k + 1`` of the same epoch: NumPy's gather
and OpenCV's warps release the GIL, so the input pipeline overlaps the
training step instead of stalling it. Each batch is a pure function of
``(seed, epoch, batch index)``, so prefetching changes no result.
"""

import math
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
from sklearn.model_selection import (
    GroupShuffleSplit,
    StratifiedGroupKFold,
    StratifiedShuffleSplit,
)
from sklearn.utils.validation import column_or_1d

__all__ = ["ImageBatches", "split_validation"]


def split_validation(y, groups, fraction, seed, *, owner="estimator"):
    """Hold out a stratified validation part of the training data.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Encoded labels 0..n_classes-1.
    groups : array-like of shape (n_samples,) or None
        Patient ids; when given, whole patients go to either side
        (``StratifiedGroupKFold`` with ``round(1 / fraction)`` folds, else
        ``GroupShuffleSplit``).
    fraction : float in [0, 1)
        Share of the images to hold out; 0 disables validation.
    seed : int or None
        Random seed of the split.
    owner : str
        Name used in warnings.

    Returns
    -------
    train, val : ndarray of int, ndarray of int or None
        Indices; ``val`` is None (with a warning when ``fraction > 0``) when
        no split keeping every class in training is possible.
    """
    n = len(y)
    if fraction == 0:
        return np.arange(n), None
    n_classes = len(np.unique(y))
    n_val = math.ceil(fraction * n)
    if n_val < n_classes or n - n_val < n_classes or np.bincount(y).min() < 2:
        warnings.warn(
            f"{owner}: too few samples ({n}) for a stratified validation_fraction="
            f"{fraction}; training without validation data.",
            UserWarning,
            stacklevel=4,
        )
        return np.arange(n), None
    if groups is None:
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_val, random_state=seed)
        return next(splitter.split(np.zeros(n), y))
    groups = column_or_1d(groups)
    if len(groups) != n:
        raise ValueError(f"groups has {len(groups)} entries; X has {n} images.")
    n_groups = len(np.unique(groups))
    n_splits = max(2, round(1 / fraction))
    if n_groups >= n_splits and np.bincount(y).max() >= n_splits:
        # (StratifiedGroupKFold refuses n_splits above every class's count)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
            train, val = next(splitter.split(np.zeros(n), y, groups))
        if len(np.unique(y[train])) == n_classes:
            return train, val
    if n_groups >= 2:
        splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        train, val = next(splitter.split(np.zeros(n), y, groups))
        if len(np.unique(y[train])) == n_classes:
            return train, val
    warnings.warn(
        f"{owner}: could not hold out a validation part that keeps every class in "
        "training with these groups; training without validation data.",
        UserWarning,
        stacklevel=4,
    )
    return np.arange(n), None


class ImageBatches(keras.utils.PyDataset):
    """A Keras ``PyDataset`` over an in-memory uint8 image array.

    Parameters
    ----------
    X : ndarray of shape (n_samples, height, width, channels), dtype uint8
        Images (not copied).
    y : ndarray of shape (n_samples,) or None
        Encoded targets (float32 0/1 for binary, int class index otherwise).
        ``None`` yields input-only batches (prediction).
    sample_weight : ndarray of shape (n_samples,) or None
        Per-sample weights, yielded as a third element when given.
    batch_size : int
        Images per batch; the last batch may be smaller.
    shuffle : bool
        Draw a new permutation at the start of every epoch.
    augmenter : object with ``augment(X_uint8, rng)`` or None
        Applied to every batch (training only: pass ``None`` for validation
        and prediction data).
    seed : int or None
        Seed of the shuffling and augmentation streams. Batch ``i`` of epoch
        ``e`` uses ``numpy.random.default_rng([seed, e, i])``, so the stream
        does not depend on the order in which Keras requests batches.
    prefetch : bool
        Build batch ``i + 1`` in a background thread while Keras consumes
        batch ``i`` (only inside an epoch and only with an augmenter: plain
        gathers are too cheap to be worth a thread hop). The thread lives
        for one epoch.
    """

    def __init__(
        self,
        X,
        y=None,
        sample_weight=None,
        *,
        batch_size=32,
        shuffle=False,
        augmenter=None,
        seed=None,
        prefetch=True,
    ):
        super().__init__(workers=1, use_multiprocessing=False)
        self.X = X
        self.y = y
        self.sample_weight = sample_weight
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.augmenter = augmenter
        self.prefetch = bool(prefetch)
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        self.seed = int(seed)
        self.epoch = 0
        self._in_epoch = False
        self._order = self._permutation()
        self._lock = threading.Lock()
        self._executor = None
        self._pending = {}  # (epoch, index) -> Future of the batch

    def _permutation(self):
        n = self.X.shape[0]
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, self.epoch, 2**31]).permutation(n)

    def __len__(self):
        return math.ceil(self.X.shape[0] / self.batch_size)

    @property
    def num_batches(self):
        return len(self)

    def _batch(self, order, epoch, index, augment):
        """Batch ``index`` of epoch ``epoch``: a function of its arguments only."""
        sl = order[index * self.batch_size : (index + 1) * self.batch_size]
        if self.shuffle:
            sl = np.sort(sl)  # faster gather; order inside a batch is irrelevant
        xb = self.X[sl]
        if augment:
            rng = np.random.default_rng([self.seed, epoch, int(index)])
            xb = self.augmenter.augment(xb, rng)
        xb = xb.astype(np.float32)
        if self.y is None:
            return (xb,)
        if self.sample_weight is None:
            return xb, self.y[sl]
        return xb, self.y[sl], self.sample_weight[sl]

    def __getitem__(self, index):
        if index < 0 or index >= len(self):
            raise IndexError(f"batch {index} out of range [0, {len(self)})")
        index = int(index)
        # outside an epoch Keras only peeks at batches to infer their
        # shape/dtype, which augmentation does not change
        augment = self.augmenter is not None and self._in_epoch
        if not (augment and self.prefetch):
            return self._batch(self._order, self.epoch, index, augment)
        epoch, order = self.epoch, self._order
        with self._lock:
            future = self._pending.pop((epoch, index), None)
            nxt = index + 1
            if nxt < len(self) and (epoch, nxt) not in self._pending:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        max_workers=1, thread_name_prefix="xraynet-prefetch"
                    )
                self._pending[(epoch, nxt)] = self._executor.submit(
                    self._batch, order, epoch, nxt, True
                )
        if future is None:
            return self._batch(order, epoch, index, True)
        return future.result()

    def _stop_prefetching(self):
        with self._lock:
            pending, self._pending = self._pending, {}
            executor, self._executor = self._executor, None
        for future in pending.values():
            future.cancel()
        if executor is not None:
            executor.shutdown(wait=True)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.update(_lock=None, _executor=None, _pending={})
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def on_epoch_begin(self):
        self._in_epoch = True

    def on_epoch_end(self):
        self._stop_prefetching()
        self._in_epoch = False
        self.epoch += 1
        self._order = self._permutation()
