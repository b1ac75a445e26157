"""Model selection: compare the model zoo with cross-validation, pick the winner."""

from ._zoo import available_models, default_models

__all__ = ["available_models", "compare_models", "default_models", "select_model"]


def __getattr__(name):
    # compare_models pulls in pandas and scikit-learn: import it on first use so
    # that ``xraynet --help`` (which lists the zoo) stays fast.
    if name in ("compare_models", "select_model"):
        from . import _compare

        return getattr(_compare, name)
    raise AttributeError(f"module 'xraynet.model_selection' has no attribute {name!r}")


def __dir__():
    return __all__
