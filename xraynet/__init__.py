"""xraynet: scikit-learn compatible chest X-ray classification.

The names a study uses most are importable from the top level (they are
listed in ``xraynet.__all__``), e.g. ``xraynet.ImageLoader`` or
``xraynet.CNNClassifier``; every public name lives in its sub-package
(``xraynet.datasets.patient_id_from_pattern``, ``xraynet.report.evaluate_model``...),
and the sub-packages are attributes of ``xraynet``. Names are resolved lazily so
that ``import xraynet`` (and ``xraynet --help``) does not start TensorFlow.
"""

import importlib

__version__ = "0.1.0.dev0"

# public name -> sub-package that defines it
_LAZY = {
    "ImageLoader": "xraynet.io",
    "ImageLoadError": "xraynet.io",
    "read_image": "xraynet.io",
    "read_mask": "xraynet.io",
    "load_image_folder": "xraynet.datasets",
    "load_image_table": "xraynet.datasets",
    "fetch_pneumoniamnist": "xraynet.datasets",
    "Augmenter": "xraynet.augmentation",
    "CNNClassifier": "xraynet.models",
    "ResNetClassifier": "xraynet.models",
    "TransferClassifier": "xraynet.models",
    "load_model": "xraynet.models",
    "save_model": "xraynet.models",
    "HOGTransformer": "xraynet.classical",
    "make_hog_svm": "xraynet.classical",
    "make_random_forest": "xraynet.classical",
    "ImageFlattener": "xraynet.classical",
    "sensitivity_score": "xraynet.metrics",
    "specificity_score": "xraynet.metrics",
    "classification_summary": "xraynet.metrics",
    "subgroup_report": "xraynet.metrics",
    "threshold_for_sensitivity": "xraynet.metrics",
    "gradcam": "xraynet.explain",
    "write_report": "xraynet.report",
    "ModelComparison": "xraynet.model_selection",
    "compare_models": "xraynet.model_selection",
    "stress_test": "xraynet.robustness",
    "select_model": "xraynet.model_selection",
    "default_models": "xraynet.model_selection",
    "available_models": "xraynet.model_selection",
}

_SUBPACKAGES = [
    "augmentation",
    "classical",
    "datasets",
    "explain",
    "io",
    "metrics",
    "model_selection",
    "models",
    "parallel",
    "plotting",
    "report",
    "robustness",
    "utils",
]

__all__ = sorted(_LAZY) + _SUBPACKAGES + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"xraynet.{name}")
    raise AttributeError(f"module 'xraynet' has no attribute {name!r}")


def __dir__():
    return __all__
