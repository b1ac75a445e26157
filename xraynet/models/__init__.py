"""Keras image classifiers with a scikit-learn API.

``BaseImageClassifier`` is the shared base: a plain scikit-learn estimator
(``ClassifierMixin, BaseEstimator``); scikeras is imported only to make its
fitted ``keras.Model`` picklable. ``CNNClassifier`` is the seed network.
``save_model``/``load_model`` write and read files that are safe to load:
``.keras`` (a network), ``.skops`` (scikit-learn objects) or ``.xraynet``
(scikit-learn objects holding networks); pickles only with ``trusted=True``.
"""

from ._base import BaseImageClassifier
from ._cnn import CNNClassifier
from ._persistence import load_model, save_model
from ._resnet import ResNetClassifier, build_resnet
from ._transfer import BACKBONES, TransferClassifier, build_transfer

__all__ = [
    "BACKBONES",
    "BaseImageClassifier",
    "CNNClassifier",
    "ResNetClassifier",
    "TransferClassifier",
    "build_resnet",
    "build_transfer",
    "load_model",
    "save_model",
]
