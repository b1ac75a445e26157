"""Raw pixels as features, the tabular counterpart of HOG features."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from ._hog import _check_images, _check_same_size, _image_tags

__all__ = ["ImageFlattener"]


class ImageFlattener(TransformerMixin, BaseEstimator):
    """Raw pixels as features: uint8 images -> float32 rows scaled to [0, 1].

    The tabular counterpart of :class:`HOGTransformer`, used by
    ``make_random_forest(features="pixels")``.

    Attributes
    ----------
    input_shape_ : tuple of (int, int, int)
        Height, width and channels seen in :meth:`fit`.
    n_output_features_ : int
        ``height * width * channels``.

    Examples
    --------
    >>> import numpy as np
    >>> from xraynet.classical import ImageFlattener
    >>> X = np.full((2, 4, 4, 1), 255, dtype=np.uint8)
    >>> ImageFlattener().fit_transform(X).shape
    (2, 16)
    """

    _parameter_constraints = {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the image shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])
            uint8 images.
        y : None
            Ignored.

        Returns
        -------
        self : ImageFlattener
        """
        images = _check_images(X)
        self.input_shape_ = tuple(int(s) for s in images.shape[1:])
        self.n_output_features_ = int(np.prod(self.input_shape_))
        return self

    def transform(self, X):
        """Flatten the images to float32 rows in [0, 1].

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels])
            uint8 images shaped like those seen in :meth:`fit`.

        Returns
        -------
        pixels : ndarray of shape (n_samples, ``n_output_features_``), dtype float32
        """
        check_is_fitted(self, "input_shape_")
        images = _check_images(X)
        _check_same_size(images, self.input_shape_[:2], type(self).__name__)
        if images.shape[3] != self.input_shape_[2]:
            raise ValueError(
                f"X images have {images.shape[3]} channel(s) but this ImageFlattener "
                f"was fitted on {self.input_shape_[2]}-channel images."
            )
        return images.reshape(len(images), -1).astype(np.float32) * np.float32(1 / 255)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features: ``pixel0``, ``pixel1``, ...

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_output_features_")
        return np.asarray([f"pixel{i}" for i in range(self.n_output_features_)], dtype=object)

    def __sklearn_tags__(self):
        return _image_tags(super().__sklearn_tags__())
