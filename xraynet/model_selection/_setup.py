"""Turn the ``models`` and ``cv`` arguments of a comparison into objects."""

from numbers import Integral

from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, check_cv

__all__ = ["resolve_cv", "resolve_models"]


def resolve_models(models, image_size, random_state):
    """Ordered dict name -> unfitted estimator from the ``models`` argument."""
    from ._zoo import default_models

    if models is None:
        return default_models(image_size=image_size, random_state=random_state)
    if isinstance(models, dict):
        if not models:
            raise ValueError("models must not be empty.")
        return dict(models)
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    names = list(dict.fromkeys(models))
    if not names:
        raise ValueError("models must not be empty.")
    # default_models refuses unknown names, naming them and the zoo's
    return default_models(image_size=image_size, random_state=random_state, names=names)


def resolve_cv(cv, groups, random_state):
    """The splitter: (Stratified)(Group)KFold for an int, else ``check_cv``."""
    if cv is None:
        cv = 5
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 folds; got {cv}.")
        if groups is not None:
            return StratifiedGroupKFold(n_splits=int(cv), shuffle=True, random_state=random_state)
        return StratifiedKFold(n_splits=int(cv), shuffle=True, random_state=random_state)
    return check_cv(cv, classifier=True)
