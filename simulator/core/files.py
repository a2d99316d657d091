"""Writing files atomically: a temporary file beside the target, then a rename.

A reader never sees half a file, and an interrupted write leaves the old file (or none) — for
results, figures and reports alike. The file gets the permissions a plain ``open`` would give
it (``0o666`` less the umask), not the owner-only mode of :func:`tempfile.mkstemp`.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from simulator.core.errors import DipsimError

_T = TypeVar("_T")


@functools.cache
def _default_mode() -> int:
    # The umask can only be read by setting it; done once, and set straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomically(
    final: Path,
    write: Callable[[IO[bytes]], _T],
    *,
    suffix: str = "",
    durable: bool = False,
    replace: bool = True,
) -> _T:
    """Write ``final`` through a temporary file in its folder, then rename it into place.

    Args:
        final: The file to write; its folder must exist.
        write: Writes the content to the open binary file; its result is returned.
        suffix: Ends the temporary file's name (so leftovers of a crash can be recognised).
        durable: Sync the file and its folder to disk before returning (for results that a
            resumed batch relies on).
        replace: With False, never replace a file that appeared at ``final`` meanwhile (the
            temporary file is linked into place, which fails if the name is taken).

    Raises:
        FileExistsError: ``replace`` is False and ``final`` exists.
        OSError: The file could not be written; the temporary file is removed.
    """
    handle, temporary = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as file:
            if hasattr(os, "fchmod"):
                os.fchmod(file.fileno(), _default_mode())
            result = write(file)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        if replace:
            os.replace(temporary, final)
        else:
            _link_into_place(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if durable and hasattr(os, "O_DIRECTORY"):  # POSIX: the rename is durable once synced
        folder = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return result


def _link_into_place(temporary: str, final: Path) -> None:
    try:
        os.link(temporary, final)  # atomic, and refuses an existing name
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: check, then rename (a small window)
        if final.exists():
            raise FileExistsError(17, os.strerror(17), str(final)) from None
        os.replace(temporary, final)
        return
    os.unlink(temporary)


def save_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, making its folder if needed.

    Raises:
        DipsimError: The folder cannot be made or the file cannot be written (with why).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DipsimError(
            f"{path}: cannot create the folder {path.parent}: {err.strerror or err}"
        ) from None
    try:
        write_atomically(path, lambda f: f.write(data))
    except OSError as err:
        raise DipsimError(f"{path}: cannot write: {err.strerror or err}") from None
    return path


__all__ = ["save_bytes", "write_atomically"]
