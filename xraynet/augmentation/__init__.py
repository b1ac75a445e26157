"""Random image augmentation for training chest X-ray models.

:class:`Augmenter` is a scikit-learn transformer (``fit_transform`` augments,
``transform`` is the identity) whose :meth:`Augmenter.augment` method the Keras
estimators call on every training batch.
"""

from ._augmenter import Augmenter

__all__ = ["Augmenter"]
