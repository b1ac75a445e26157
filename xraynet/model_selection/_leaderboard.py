"""The leaderboard DataFrame: a pandas DataFrame whose ``attrs`` are shared, not copied.

pandas deep-copies ``DataFrame.attrs`` into every derived object (a column,
``board.round(3)``, ``board.loc[...]``). The leaderboard keeps the refit
winner in ``attrs["best_model_"]``, and deep-copying a fitted Keras model
takes about a second and returns a different object. These subclasses pass
``attrs`` on by reference instead, so ``board["roc_auc_mean"].attrs["best_model_"]
is board.attrs["best_model_"]``. Everything else is plain pandas.
"""

import pandas as pd

__all__ = ["Leaderboard"]


def _share_attrs(self, other, method, kwargs, base):
    """Run pandas' ``__finalize__`` without its deepcopy of ``attrs``, then share them."""
    sources = list(getattr(other, "input_objs", None) or [other])
    saved = [(o, o._attrs) for o in sources if isinstance(o, pd.core.generic.NDFrame)]
    for o, _ in saved:
        o._attrs = {}
    try:
        base.__finalize__(self, other, method=method, **kwargs)
    finally:
        for o, attrs in saved:
            o._attrs = attrs
    if saved and saved[0][1]:
        first = saved[0][1]
        same = all(a.keys() == first.keys() and all(a[k] is first[k] for k in first)
                   for _, a in saved)
        if same:
            self._attrs = dict(first)
    return self


class LeaderboardColumn(pd.Series):
    """A column / row of a :class:`Leaderboard` (a Series sharing its ``attrs``)."""

    @property
    def _constructor(self):
        return LeaderboardColumn

    @property
    def _constructor_expanddim(self):
        return Leaderboard

    def __finalize__(self, other, method=None, **kwargs):
        return _share_attrs(self, other, method, kwargs, pd.Series)


class Leaderboard(pd.DataFrame):
    """Result of :func:`xraynet.model_selection.compare_models` (a pandas DataFrame).

    Identical to a DataFrame except that derived objects share ``attrs``
    (which hold the fitted ``best_model_``) instead of deep-copying them.
    """

    @property
    def _constructor(self):
        return Leaderboard

    @property
    def _constructor_sliced(self):
        return LeaderboardColumn

    def __finalize__(self, other, method=None, **kwargs):
        return _share_attrs(self, other, method, kwargs, pd.DataFrame)
