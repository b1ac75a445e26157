"""Results folders that are written all at once: stage, lock, rename."""

import os
from pathlib import Path

from ._common import CLIError


class ResultsFolder:
    """Stage a run's results in a hidden sibling folder; publish them by renaming at the end.

    ``with ResultsFolder(out) as staging:`` checks before any training that
    ``out``'s parent can be written, refuses a second run on the same folder
    while a first one holds its lock, and on success replaces ``out`` as a
    whole, so a reader never sees a mix of two runs. An exception or Ctrl-C
    leaves the previous results untouched and removes the staging folder.
    """

    def __init__(self, out):
        self.out = Path(out)

    def _lock(self):
        for _ in range(2):
            try:
                fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    pid = int(self.lock.read_text().strip() or 0)
                except (OSError, ValueError):
                    pid = 0
                if pid and _alive(pid):
                    raise CLIError(
                        f"--out {str(self.out)!r} is in use by another xraynet run "
                        f"(pid {pid}); wait for it to finish or choose another "
                        "--out"
                    ) from None
                self.lock.unlink(missing_ok=True)  # left by a run that died
                continue
            except OSError as exc:
                raise CLIError(
                    f"--out {str(self.out)!r} cannot be written: {exc.strerror}"
                ) from None
            with os.fdopen(fd, "w") as f:
                f.write(str(os.getpid()))
            return
        raise CLIError(f"--out {str(self.out)!r}: cannot take the lock {self.lock}")

    def __enter__(self):
        import tempfile

        if self.out.exists() and not self.out.is_dir():  # never replace a user's file
            raise CLIError(f"--out {str(self.out)!r} exists and is not a folder")
        parent = self.out.absolute().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CLIError(f"--out {str(self.out)!r} cannot be created: {exc.strerror}") from None
        self.lock = parent / f".{self.out.name}.lock"
        self._lock()
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=parent))
            umask = os.umask(0)
            os.umask(umask)
            self.staging.chmod(0o777 & ~umask)  # mkdtemp's 0700 would outlive the rename
        except OSError as exc:
            self.lock.unlink(missing_ok=True)
            raise CLIError(f"--out {str(self.out)!r} cannot be written: {exc.strerror}") from None
        return self.staging

    def __exit__(self, exc_type, exc, tb):
        import shutil

        try:
            if exc_type is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
                return False
            old = None
            if self.out.exists():
                old = self.out.absolute().parent / f".{self.out.name}.old-{os.getpid()}"
                self.out.rename(old)
            self.staging.rename(self.out)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            self.lock.unlink(missing_ok=True)
        return False


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
