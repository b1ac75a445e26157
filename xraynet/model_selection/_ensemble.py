"""A classifier that averages the probabilities of already fitted classifiers."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from xraynet.utils._validation import NonBoolInterval

__all__ = ["ProbabilityEnsemble"]


class ProbabilityEnsemble(ClassifierMixin, BaseEstimator):
    """Average the class probabilities of fitted classifiers; predict at a stored threshold.

    The winner of a :class:`ModelComparison` is, by default, the average of its
    cross-validation fold models: they are trained already, so the ensemble
    costs no extra training, and averaging several independently trained
    networks steadies the operating point, which for a single network swings
    by many points of sensitivity from one training run to the next.

    Parameters
    ----------
    estimators : list of fitted classifiers
        Every one must have ``predict_proba`` and the same ``classes_``.
        They are used as they are: :meth:`fit` does not retrain them.
    threshold : float in (0, 1), default=0.5
        Decision threshold on the averaged probability of the disease class
        (``classes_[1]``) for binary problems; ignored for more classes
        (most probable class).

    Attributes
    ----------
    estimators_ : list of fitted classifiers
        The members (the same objects as ``estimators``).
    classes_ : ndarray of shape (n_classes,)
        Class labels shared by the members.
    threshold_ : float
        The decision threshold ``predict`` uses.

    See Also
    --------
    ModelComparison : Builds one from the fold models of the winner.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xraynet.model_selection import ProbabilityEnsemble
    >>> X = np.arange(20, dtype=float).reshape(-1, 1); y = (X[:, 0] > 9).astype(int)
    >>> members = [LogisticRegression(C=c).fit(X, y) for c in (0.1, 1.0)]
    >>> ens = ProbabilityEnsemble(members, threshold=0.5).fit()
    >>> ens.predict([[2.0], [17.0]]).tolist()
    [0, 1]
    """

    _parameter_constraints = {
        "estimators": [list, tuple],  # non-empty, fitted, same classes: checked by hand
        "threshold": [NonBoolInterval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, estimators, *, threshold=0.5):
        self.estimators = estimators
        self.threshold = threshold

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Check the members; nothing is trained.

        Parameters
        ----------
        X, y : ignored
            Accepted for API compatibility.

        Returns
        -------
        self : ProbabilityEnsemble
        """
        members = list(self.estimators)
        if not members:
            raise ValueError("estimators must be a non-empty list of fitted classifiers.")
        for i, est in enumerate(members):
            if not hasattr(est, "predict_proba"):
                raise ValueError(f"estimators[{i}] ({type(est).__name__}) has no predict_proba.")
            check_is_fitted(est)
        classes = np.asarray(members[0].classes_)
        for i, est in enumerate(members[1:], 1):
            if not np.array_equal(np.asarray(est.classes_), classes):
                raise ValueError(
                    f"estimators[{i}] has classes {list(est.classes_)}; "
                    f"estimators[0] has {list(classes)}."
                )
        self.estimators_ = members
        self.classes_ = classes
        self.threshold_ = float(self.threshold)
        return self

    def predict_proba(self, X):
        """Mean of the members' class probabilities.

        Parameters
        ----------
        X : array-like
            What the members take (images, or paths for loader pipelines).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        total = None
        for est in self.estimators_:
            p = np.asarray(est.predict_proba(X), dtype=np.float64)
            total = p if total is None else total + p
        return total / len(self.estimators_)

    def predict(self, X):
        """Disease where its averaged probability reaches ``threshold_`` (binary).

        Parameters
        ----------
        X : array-like

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        if len(self.classes_) == 2:
            return self.classes_[(proba[:, 1] >= self.threshold_).astype(int)]
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.input_tags.two_d_array = True
        return tags
