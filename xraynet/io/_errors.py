"""The exception raised when an image file cannot be read."""

import os

__all__ = ["ImageLoadError"]


class ImageLoadError(ValueError):
    """An image file could not be loaded.

    A subclass of :class:`ValueError`, so ``except ValueError`` still catches
    it. The message names the file and the reason.

    Parameters
    ----------
    path : str or path-like
        The file that could not be loaded.
    reason : str
        Why, e.g. ``"file not found"`` or ``"truncated JPEG (no end-of-image
        marker)"``.

    Attributes
    ----------
    path : str
        The file that could not be loaded.
    reason : str
        Why it could not be loaded.

    Examples
    --------
    >>> from xraynet.io import ImageLoadError, read_image
    >>> try:
    ...     read_image("no/such/file.png")
    ... except ImageLoadError as exc:
    ...     print(exc.reason)
    file not found
    """

    def __init__(self, path, reason):
        self.path = os.fspath(path) if isinstance(path, os.PathLike) else str(path)
        self.reason = str(reason)
        super().__init__(f"cannot load image {self.path!r}: {self.reason}")

    def __reduce__(self):
        # keep the exception picklable (it crosses process boundaries in joblib)
        return (type(self), (self.path, self.reason))
