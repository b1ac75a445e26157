"""Classical (non-deep) baselines on uint8 image batches.

- :class:`HOGTransformer`: Histogram of Oriented Gradients features
  (scikit-image compatible, vectorised, threaded).
- :class:`ImageFlattener`: raw pixels as float32 features in [0, 1].
- :func:`make_hog_svm`: HOG -> StandardScaler -> calibrated SVM pipeline.
- :func:`make_random_forest`: HOG or pixels -> random forest pipeline.
"""

from ._flatten import ImageFlattener
from ._hog import HOGTransformer
from ._pipelines import make_hog_svm, make_random_forest

__all__ = ["HOGTransformer", "ImageFlattener", "make_hog_svm", "make_random_forest"]
