"""Scale-out helpers: TensorFlow process settings and Dask worker set-up.

Model selection itself needs nothing special: every xraynet estimator
pickles before and after fitting, so scikit-learn's searches and
:func:`xraynet.compare_models` run on any joblib backend, e.g.
``with joblib.parallel_backend("dask", scatter=[X, y]): search.fit(X, y)``.
See the *Scaling out* user guide page.
"""

from ._dask import TensorFlowWorkerPlugin, detect_gpus
from ._tensorflow import configure_tensorflow, resolve_n_threads

__all__ = ["TensorFlowWorkerPlugin", "configure_tensorflow", "detect_gpus", "resolve_n_threads"]
