"""Files written whole or not at all.

Every file echo-theory writes for a user (a sampled series, a plot, a saved prediction file)
goes through ``atomic_output``: the bytes go to a temporary file in the target's own folder
(so the final rename stays on one file system and is atomic), which is flushed to disk and
renamed over the target only once writing has succeeded. An error or an interrupt removes the
temporary file and leaves any existing file of that name as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import EchoTheoryError

_NAME_MAX = 255  # bytes in one path component on the usual file systems


def check_output_path(path: str | os.PathLike, what: str = "output") -> Path:
    """Check, before any work starts, that ``path`` can be written: its folder exists and is
    writable and searchable, and its name is not too long. Returns it as a ``Path``."""
    path = Path(path)
    name = path.name
    if not name or name in (".", ".."):
        raise EchoTheoryError(f"{what} {str(path)!r} is not a file name")
    if len(os.fsencode(name)) > _NAME_MAX - 16:  # room for the temporary file's suffix
        raise EchoTheoryError(f"{what}: the file name is {len(os.fsencode(name))} bytes, too long to write")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        is_dir = folder.is_dir()
    except OSError as error:
        raise EchoTheoryError(f"{what}: cannot reach the folder {str(folder)!r}: {error.strerror}") from None
    if not is_dir:
        raise EchoTheoryError(f"{what}: the folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise EchoTheoryError(f"{what}: cannot write in the folder {str(folder)!r} (permission denied)")
    if path.is_dir():
        raise EchoTheoryError(f"{what}: {str(path)!r} is a folder")
    # Permissions are not the whole story (root passes every check, /proc refuses new files):
    # create and remove the kind of temporary file atomic_output will write.
    try:
        descriptor, probe = tempfile.mkstemp(prefix=".echo-theory.", suffix=".part", dir=folder)
    except OSError as error:
        message = f"{what}: cannot write in the folder {str(folder)!r}: {error.strerror}"
        raise EchoTheoryError(message) from None
    os.close(descriptor)
    os.unlink(probe)
    return path


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, mode: str = "wb") -> Iterator:
    """Open a temporary file beside ``path`` for writing; on success it replaces ``path``.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_output(target, "w") as handle:
    ...     _ = handle.write("whole")
    >>> target.read_text()
    'whole'
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_output writes with mode 'wb' or 'w', not {mode!r}")
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as error:
        raise EchoTheoryError(f"cannot write {str(path)!r}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file 0600; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise EchoTheoryError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
        raise
