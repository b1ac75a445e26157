"""Model selection: compare candidates clean and under acquisition shift, keep the winner."""

from ._zoo import (
    available_models,
    default_model_names,
    default_models,
    describe_models,
    shift_robust_augmentation,
)

__all__ = [
    "ModelComparison",
    "ProbabilityEnsemble",
    "available_models",
    "compare_models",
    "default_model_names",
    "default_models",
    "describe_models",
    "evaluate",
    "patient_holdout_split",
    "select_model",
    "shift_robust_augmentation",
]

# The rest pulls in pandas and scikit-learn's model selection: import it on
# first use so that ``xraynet --help`` (which lists the zoo) stays fast.
_LAZY = {
    "ModelComparison": "_comparison",
    "ProbabilityEnsemble": "_ensemble",
    "compare_models": "_compare",
    "select_model": "_compare",
    "evaluate": "_evaluation",
    "patient_holdout_split": "_evaluation",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'xraynet.model_selection' has no attribute {name!r}")


def __dir__():
    return __all__
