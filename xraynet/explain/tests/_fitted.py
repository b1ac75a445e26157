"""One small fitted CNNClassifier shared by the explain and report tests (fit once per session)."""

_CACHE = {}


def fitted_cnn(X, y):
    """CNNClassifier fitted 1 epoch on the session's ``pneumoniamnist_small`` training split."""
    if "cnn" not in _CACHE:
        from xraynet.models import CNNClassifier

        _CACHE["cnn"] = CNNClassifier(epochs=1, batch_size=32, random_state=0).fit(X, y)
    return _CACHE["cnn"]
