"""Shared plumbing of the Keras image classifiers.

``BaseImageClassifier`` is a plain scikit-learn estimator
(``ClassifierMixin, BaseEstimator``) with an explicit ``__init__``: parameters,
``get_params``/``set_params`` (nested ones such as
``augmentation__rotation_range``), ``clone``, ``repr``, ``score`` and the
estimator tags are scikit-learn's own, through the MRO. ``__sklearn_tags__``
only adds what differs from a tabular classifier (image input, determinism
given ``random_state``).

scikeras is used for what it does well and for nothing else: importing it
makes ``keras.Model`` (and Keras losses, metrics and optimizers) picklable and
deep-copyable, by saving the network to an in-memory ``.keras`` archive
(``scikeras._saving_utils.pack_keras_model`` / ``unpack_keras_model``,
installed as ``keras.Model.__reduce__`` / ``__deepcopy__`` by
``scikeras/__init__.py``). That is what lets a fitted estimator, which holds
its network in ``model_``, go through ``pickle``/``joblib`` and
``copy.deepcopy``. Its ``KerasClassifier`` wrapper is not used: under
scikit-learn >= 1.6 it declares no estimator tags (``is_classifier`` is False,
``GridSearchCV(scoring="roc_auc")`` scores NaN), builds ``get_params`` from the
instance ``__dict__`` and handles tabular data only.

``fit`` validates 4-D uint8 images, holds out a stratified (optionally
patient-grouped) validation part, and feeds uint8 batches through
:class:`~xraynet.models._feeding.ImageBatches`, augmenting training batches
only; ``predict_proba`` runs one traced inference function per network
(``_inference.py``).

Extension API for subclasses (keep these names stable):

* ``__init__``: explicit keyword parameters (no ``**kwargs``) storing the
  common parameters (``epochs, batch_size, learning_rate, optimizer,
  augmentation, class_weight, validation_fraction, early_stopping,
  precision, random_state, verbose``) plus the subclass's own, unchanged.
* ``_build_network(self, input_shape, n_outputs) -> keras.Model``
  (required): uncompiled; float input holding 0-255 values, rescaling
  inside; ``n_outputs == 1`` -> one sigmoid unit (positive class
  ``classes_[1]``), else ``n_outputs`` softmax units. Custom layers must be
  registered with ``keras.saving.register_keras_serializable`` (no
  ``Lambda``) so that ``.keras`` files load with ``safe_mode=True``. It is
  called under the ``precision``'s Keras dtype policy (layers created
  without ``dtype`` take it); build the output layer with
  ``dtype="float32"`` so that probabilities and the loss stay float32 (a
  non-float32 output gets a float32 cast layer appended).
* ``_min_input_size`` (class attribute or property): smallest height/width.
* ``_check_params(self)``: extend with ``super()._check_params()`` first.
* ``_callbacks(self, has_validation) -> list`` of Keras callbacks: extend
  the base list (learning-rate recorder, ReduceLROnPlateau, EarlyStopping).
* ``_make_optimizer(self) -> keras.optimizers.Optimizer``: a fresh optimizer
  from ``optimizer`` at ``learning_rate``.
"""

import threading
import warnings
from numbers import Integral, Real

import keras
import numpy as np
import scikeras  # noqa: F401  (makes keras.Model picklable / deep-copyable)
import tensorflow as tf
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..utils import check_image_array, check_random_state_int
from ..utils._validation import NonBoolInterval
from ._feeding import ImageBatches, split_validation
from ._fit_plumbing import (
    EARLY_STOPPING_PATIENCE,
    EpochProgress,
    RecordLearningRate,
    make_optimizer,
    seeded_keras,
)
from ._inference import inference_function
from ._precision import check_precision, precision_scope, resolve_precision

__all__ = ["BaseImageClassifier"]


def _float32_outputs(model):
    """``model`` itself when its outputs are float32, else with a float32 cast appended.

    The xraynet networks build their output layer with ``dtype="float32"``;
    this is the safety net for subclasses that do not.
    """
    if all(keras.backend.standardize_dtype(t.dtype) == "float32" for t in model.outputs):
        return model
    outputs = [
        keras.layers.Activation("linear", dtype="float32", name=f"float32_output_{i}")(t)
        for i, t in enumerate(model.outputs)
    ]
    return keras.Model(model.inputs, outputs[0] if len(outputs) == 1 else outputs, name=model.name)


class BaseImageClassifier(ClassifierMixin, BaseEstimator):
    """Base class of the xraynet Keras image classifiers (not used directly).

    Subclasses define an explicit ``__init__`` and ``_build_network``; the
    base class provides ``fit``, ``predict``, ``predict_proba``, ``score``,
    ``save`` and the scikit-learn plumbing (tags, parameters, cloning,
    pickling).

    Parameters
    ----------
    epochs : int
        Passes over the training data.
    batch_size : int
        Images per gradient step (and per prediction batch).
    learning_rate : float
        Initial learning rate of the optimizer.
    optimizer : {"rmsprop", "adam", "adamw", "sgd"}, keras optimizer class or instance
        A fresh optimizer is created at every ``fit`` (an instance is copied
        from its config); ``learning_rate`` always overrides its rate.
    augmentation : :class:`xraynet.Augmenter` or None
        Any object with ``augment(X_uint8, rng) -> X_uint8``. Applied to
        every training batch of every epoch, never to validation or
        prediction data.
    class_weight : None, "balanced" or dict
        Weights per class label, multiplied into ``sample_weight``.
    validation_fraction : float in [0, 1)
        Held-out stratified part of the training data used for
        ``ReduceLROnPlateau`` (and early stopping). 0 disables it.
    early_stopping : bool or int
        Stop when the validation loss (training loss without validation
        data) stops improving and restore the best weights; an int gives the
        patience (``True`` means 3).
    precision : {"auto", "float32", "bfloat16", "mixed_float16"}
        Numerical precision of the network, applied as a Keras dtype policy
        to its layers only (Keras' global policy is left alone).
        ``"bfloat16"`` is Keras' ``"mixed_bfloat16"`` (bfloat16 compute,
        float32 variables), ``"mixed_float16"`` is for GPUs; the output
        layer and the loss are float32 in every case. ``"auto"`` picks
        ``"bfloat16"`` on CPUs with AVX-512 BF16 / AMX and on GPUs of compute
        capability >= 8, else ``"float32"`` (``precision_`` tells which).
    random_state : int, RandomState or None
        Seeds Keras, the split, shuffling and augmentation and enables
        TensorFlow op determinism during ``fit``: two fits on CPU give
        identical predictions. ``None`` is non-deterministic.
    verbose : int
        0 silent; 1 a tqdm progress bar over the epochs on stderr (batch and
        last epoch's metrics in its postfix, redrawn at most every 30 s when
        stderr is not a terminal); 2 Keras' own line per epoch on stdout.

    Attributes
    ----------
    model_ : keras.Model
        The fitted network.
    classes_ : ndarray of shape (n_classes,)
        Sorted class labels; for two classes ``classes_[1]`` is the positive
        class (the sigmoid output).
    n_classes_ : int
        Number of classes.
    input_shape_ : tuple of int
        ``(height, width, channels)`` of the training images.
    history_ : dict of str -> list of float
        Keras metrics per epoch, including ``"learning_rate"``.
    precision_ : str
        The precision used: ``"float32"``, ``"bfloat16"`` or
        ``"mixed_float16"`` (``precision`` with ``"auto"`` resolved).
    """

    #: Smallest height/width the network accepts (None: no limit).
    _min_input_size = None

    #: Augment training batch k+1 in a background thread while Keras trains
    #: on batch k (see ``ImageBatches``); results do not depend on it.
    _prefetch_batches = True

    # Types and ranges of the shared parameters (subclasses add theirs with
    # ``{**BaseImageClassifier._parameter_constraints, ...}``); the optimizer name
    # is checked where it is built (case-insensitive), precision and cross-parameter
    # checks in ``_check_params``.
    _parameter_constraints = {
        "epochs": [NonBoolInterval(Integral, 1, None, closed="left")],
        "batch_size": [NonBoolInterval(Integral, 1, None, closed="left")],
        "learning_rate": [NonBoolInterval(Real, 0, None, closed="neither")],
        "optimizer": [str, type, keras.optimizers.Optimizer],
        "augmentation": [None, HasMethods(["augment"])],
        "class_weight": [None, StrOptions({"balanced"}), dict],
        "validation_fraction": [NonBoolInterval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean", NonBoolInterval(Integral, 1, None, closed="left")],
        # check_precision's message lists the values in their documented order
        "precision": "no_validation",
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        epochs=12,
        batch_size=32,
        learning_rate=1e-3,
        optimizer="rmsprop",
        augmentation=None,
        class_weight=None,
        validation_fraction=0.1,
        early_stopping=False,
        precision="float32",
        random_state=None,
        verbose=0,
    ):
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

    # ------------------------------------------------------------------
    # scikit-learn plumbing (parameters, clone, repr and score: BaseEstimator / ClassifierMixin)
    # ------------------------------------------------------------------
    def __sklearn_tags__(self):
        # ClassifierMixin sets estimator_type="classifier", ClassifierTags()
        # (multi_class) and target_tags.required.
        tags = super().__sklearn_tags__()
        tags.target_tags.one_d_labels = True
        # Input is a 4-D (n, height, width, channels) uint8 image batch (or
        # 3-D (n, height, width)); no tabular 2-D data, no NaN, no sparse.
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        tags.input_tags.positive_only = True
        tags.non_deterministic = getattr(self, "random_state", None) is None
        tags.requires_fit = True
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    def __getstate__(self):
        # the traced prediction function is a cache: rebuilt on demand
        state = dict(super().__getstate__())
        state.pop("_predict_cache", None)
        return state

    # ------------------------------------------------------------------
    # hooks for subclasses
    # ------------------------------------------------------------------
    def _build_network(self, input_shape, n_outputs):
        """Return an uncompiled ``keras.Model`` (implemented by subclasses).

        Parameters
        ----------
        input_shape : tuple of int
            ``(height, width, channels)``.
        n_outputs : int
            1 for binary problems (sigmoid), else the number of classes
            (softmax).
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement _build_network(input_shape, n_outputs)"
        )

    # ------------------------------------------------------------------
    # fit
    # ------------------------------------------------------------------
    def _check_params(self):
        """Validate ``_parameter_constraints``; subclasses add their own checks after."""
        self._validate_params()  # also when called directly, not through fit
        check_precision(self.precision)

    def _make_optimizer(self):
        return make_optimizer(self.optimizer, float(self.learning_rate))

    def _split_validation(self, y, groups, seed):
        """Indices (train, val) of the held-out validation part (val may be None)."""
        return split_validation(
            y, groups, float(self.validation_fraction), seed, owner=type(self).__name__
        )

    def _tqdm_progress(self):
        """``verbose=1`` (or True): xraynet's epoch bar instead of Keras' progress bar."""
        return self.verbose == 1

    def _callbacks(self, has_validation):
        callbacks = [RecordLearningRate()]
        if has_validation:
            callbacks.append(
                keras.callbacks.ReduceLROnPlateau(
                    monitor="val_accuracy",
                    patience=2,
                    factor=0.3,
                    min_lr=1e-6,
                    # with the bar, the learning rate is in its postfix instead
                    verbose=int(self.verbose > 0 and not self._tqdm_progress()),
                )
            )
        es = self.early_stopping
        if es is not None and bool(es):
            is_flag = isinstance(es, (bool, np.bool_))
            patience = EARLY_STOPPING_PATIENCE if is_flag else int(es)
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss" if has_validation else "loss",
                    patience=patience,
                    restore_best_weights=True,
                )
            )
        return callbacks

    @staticmethod
    def _reset_keras_session():
        """Release Keras' global state before building a new model.

        Only done from the main thread (Keras' global state is thread-local
        and other threads may be building models). Already fitted models
        keep working: they own their variables. The global dtype policy is
        preserved.
        """
        if threading.current_thread() is not threading.main_thread():
            return
        policy = keras.config.dtype_policy()
        keras.backend.clear_session(free_memory=False)  # gc.collect costs ~0.5 s per fit
        keras.config.set_dtype_policy(policy)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, groups=None, sample_weight=None):
        """Build a fresh network and train it on images ``X`` with labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])
            uint8 images (0-255), or floats in [0, 1] / [0, 255].
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        groups : array-like of shape (n_samples,), default=None
            Patient ids: the validation part then holds whole patients.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-image weights (multiplied with ``class_weight``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._check_params()
        X = check_image_array(X, name="X", min_size=self._min_input_size)
        y = column_or_1d(np.asarray(y), warn=True)
        if len(y) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} images but y has {len(y)} labels.")
        check_classification_targets(y)
        classes, y_enc = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y holds a single class ({classes.tolist()[0]!r}); a classifier needs at least 2."
            )
        weights = np.ones(len(y), dtype=np.float32)
        if sample_weight is not None:
            sample_weight = column_or_1d(np.asarray(sample_weight, dtype=np.float32))
            if len(sample_weight) != len(y):
                raise ValueError(
                    f"sample_weight must hold one weight per image: got {len(sample_weight)} "
                    f"weights for {len(y)} images."
                )
            bad = np.flatnonzero(~np.isfinite(sample_weight) | (sample_weight < 0))
            if bad.size:
                raise ValueError(
                    f"sample_weight must be finite and >= 0; {bad.size} are not, e.g. "
                    f"sample_weight[{bad[0]}] = {sample_weight[bad[0]]}."
                )
            weights *= sample_weight
        if self.class_weight is not None:
            weights *= compute_sample_weight(self.class_weight, y).astype(np.float32)
        use_weights = sample_weight is not None or self.class_weight is not None

        seed = check_random_state_int(self.random_state)
        self.classes_ = classes
        self.n_classes_ = len(classes)
        self.input_shape_ = tuple(int(s) for s in X.shape[1:])
        n_outputs = 1 if self.n_classes_ == 2 else self.n_classes_
        y_fit = y_enc.astype(np.float32 if n_outputs == 1 else np.int32)

        train, val = self._split_validation(y_enc, groups, seed)
        X_train, y_train, w_train = (
            (X, y_fit, weights) if val is None else (X[train], y_fit[train], weights[train])
        )
        train_data = ImageBatches(
            X_train,
            y_train,
            w_train if use_weights else None,
            batch_size=self.batch_size,
            shuffle=True,
            augmenter=self.augmentation,
            seed=seed,
            prefetch=self._prefetch_batches,
        )
        val_data = None
        if val is not None:
            val_data = ImageBatches(X[val], y_fit[val], batch_size=self.batch_size)

        precision = resolve_precision(self.precision)
        if precision == "mixed_float16" and not tf.config.list_physical_devices("GPU"):
            warnings.warn(
                f"{type(self).__name__}(precision='mixed_float16') is meant for GPUs; "
                "without one float16 is emulated and slow (use 'bfloat16' or 'auto').",
                UserWarning,
                stacklevel=2,
            )
        self._reset_keras_session()
        with seeded_keras(seed):
            with precision_scope(precision):
                model = self._build_network(self.input_shape_, n_outputs)
            model = _float32_outputs(model)
            model.compile(
                optimizer=self._make_optimizer(),
                loss=(
                    "binary_crossentropy" if n_outputs == 1 else "sparse_categorical_crossentropy"
                ),
                metrics=["accuracy"],
            )
            history = model.fit(
                train_data,
                validation_data=val_data,
                epochs=int(self.epochs),
                callbacks=self._callbacks(val is not None)
                + ([EpochProgress(type(self).__name__)] if self._tqdm_progress() else []),
                verbose=0 if self._tqdm_progress() else self.verbose,
                shuffle=False,  # ImageBatches reshuffles itself (seeded)
            )
        self.model_ = model
        self.precision_ = precision
        # filled by the first predict: predict rebinds no attribute (check_dict_unchanged)
        self._predict_cache = {}
        self.history_ = {k: [float(v) for v in vals] for k, vals in history.history.items()}
        return self

    # ------------------------------------------------------------------
    # predict
    # ------------------------------------------------------------------
    def _check_predict_input(self, X):
        check_is_fitted(self)
        X = check_image_array(X, name="X")
        if tuple(X.shape[1:]) != tuple(self.input_shape_):
            h, w, c = self.input_shape_
            raise ValueError(
                f"X has images of shape {X.shape[1:]}; this {type(self).__name__} was "
                f"fitted on {h}x{w} images with {c} channel(s). Resize/convert them "
                f"the same way (e.g. xraynet.ImageLoader(size={h}))."
            )
        return X

    #: Prediction batches hold about this many pixels (256 images at 150x150x1),
    #: between 32 and 1024 images and never fewer than ``batch_size``.
    _predict_batch_pixels = 256 * 150 * 150

    def _predict_batch_size(self):
        h, w, c = self.input_shape_
        n = self._predict_batch_pixels // max(1, int(h) * int(w) * int(c))
        return max(int(self.batch_size), min(1024, max(32, int(n))))

    def _predict_function(self):
        """The traced inference step of ``model_``: uint8 batch -> float32 outputs.

        Traced once per network (the batch dimension is left free, so the
        short last batch reuses the trace), with fused inference batch norms
        (see ``_inference.py``), and cached on the estimator, keyed by the
        network: refitting or assigning ``model_`` rebuilds it. The cache is
        neither a parameter nor pickled. Its holder (a dict) is created by
        ``fit``, so that predicting fills it but sets or rebinds no attribute
        of the estimator (scikit-learn's ``check_dict_unchanged``); an
        estimator unpickled or loaded from a file gets one at its first
        prediction.
        """
        model = self.model_
        cache = self.__dict__.get("_predict_cache")
        if cache is None:
            cache = self._predict_cache = {}
        if cache.get("model") is model:
            return cache["function"]
        infer = inference_function(model, self.input_shape_)
        cache.clear()
        cache.update(model=model, function=infer)
        return infer

    def _raw_outputs(self, X):
        """float32 network outputs for the validated uint8 images ``X``."""
        infer = self._predict_function()
        step = self._predict_batch_size()
        if X.dtype != np.uint8:  # check_image_array returns uint8 images
            X = X.astype(np.uint8)
        parts = [infer(X[i : i + step]).numpy() for i in range(0, X.shape[0], step)]
        if not parts:
            return np.empty((0, int(self.model_.outputs[0].shape[-1])), dtype=np.float32)
        return np.concatenate(parts)

    def predict_proba(self, X):
        """Class probabilities.

        Runs one traced inference function per fitted network (no
        per-call retracing, no Keras ``predict`` loop) on large batches
        (about 256 images at 150 px, up to 1024 small ones), in the
        network's ``precision_``; the network's output is float32.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])
            Images of the training size.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), dtype float64
            Columns follow ``classes_``.
        """
        X = self._check_predict_input(X)
        out = self._raw_outputs(X).astype(np.float64)
        if out.shape[1] == 1:
            p = np.clip(out[:, 0], 0.0, 1.0)
            return np.column_stack([1.0 - p, p])
        return out / out.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class label per image.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # ------------------------------------------------------------------
    # persistence
    # ------------------------------------------------------------------
    def save(self, path):
        """Save the fitted estimator to a ``.keras`` file.

        The file is a regular Keras archive (the network, loadable with
        ``keras.saving.load_model``) plus an ``xraynet_estimator.json`` entry
        holding the estimator class, parameters, ``classes_`` and
        ``history_``. Reload it with :func:`xraynet.load_model`.

        Parameters
        ----------
        path : str or path-like
            Destination ending in ``.keras``.

        Returns
        -------
        path : pathlib.Path
        """
        from ._keras_archive import save_keras_estimator

        return save_keras_estimator(self, path)
