"""Reading and writing files the user names, safely.

Writing is atomic: a temporary file beside the target, then a rename. A reader never sees half
a file, and an interrupted write leaves the old file (or none) — for results, figures and
reports alike. The file gets the permissions a plain ``open`` would give it (``0o666`` less the
umask), not the owner-only mode of :func:`tempfile.mkstemp`.

A rename replaces whatever has the name, so only regular files are ever replaced: a symbolic
link is followed to the file it names (which is then written atomically in its own folder),
and a FIFO, a device, a socket or a directory is refused (:func:`output_target`) — a rename
would otherwise swap ``/dev/full`` or a named pipe for a plain file. Reading opens without
blocking and refuses anything but a regular file (:func:`open_regular`), so a FIFO or a device
given as input is refused at once instead of blocking or being read without end.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import shlex
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from simulator.core.errors import DipsimError, printable, quoted, shown_path

_T = TypeVar("_T")


@functools.cache
def _default_mode() -> int:
    # The umask can only be read by setting it; done once, and set straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


class NotRegularFileError(DipsimError):
    """A path names something that is not a regular file (a FIFO, a device, a directory, ...)."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        self.kind = kind
        super().__init__(f"{path}: is {kind}, not a regular file")


def kind_of(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` is, for messages (``"a FIFO (named pipe)"``)."""
    kinds = (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((kind for test, kind in kinds if test(mode)), "not a regular file")


def output_target(path: Path) -> Path:
    """The file that writing ``path`` replaces: ``path`` itself, or for a symbolic link the file
    it leads to (resolved through every link, so the link is kept and its file rewritten).

    Raises:
        NotRegularFileError: What is there is not a regular file (a FIFO, a device, a socket, a
            directory): it is never replaced.
    """
    final = Path(os.path.realpath(path)) if os.path.islink(path) else path
    try:
        mode = os.stat(final).st_mode
    except (OSError, ValueError):  # nothing there yet (or a name the system refuses: said later)
        return final
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(path, kind_of(mode))
    return final


def open_regular(path: Path) -> IO[bytes]:
    """Open ``path`` for reading if it is a regular file (after following links).

    Raises:
        NotRegularFileError: ``path`` is not a regular file (see :func:`regular_fd`).
        OSError: It cannot be opened (missing, no permission, ...).
        ValueError: The path has a NUL character.
    """
    return os.fdopen(regular_fd(path, os.O_RDONLY), "rb")


def read_regular(path: Path, most: int | None = None) -> bytes:
    """The bytes of the regular file ``path`` (at most ``most`` of them); raises as
    :func:`open_regular` does."""
    with open_regular(path) as file:
        return file.read() if most is None else file.read(most)


@dataclass(frozen=True)
class Read:
    """One file :func:`read_bounded` was asked for: the bytes and size it got, or the name of
    the error it raised (``data`` is then None)."""

    path: Path
    data: bytes | None
    size: int
    error: str = ""
    #: A file read a line at a time (:func:`scan_data_file`): no bytes kept, their digest.
    digest: str | None = None


#: The reads of the innermost ``recording_reads`` block, if one is running.
_READS: ContextVar[list[Read] | None] = ContextVar("dipsim_reads", default=None)


@contextmanager
def recording_reads() -> Iterator[list[Read]]:
    """Every :func:`read_bounded` call in the block, in order: what a loaded scenario was made
    from (the validated-scenario cache keys its entry on exactly those bytes)."""
    log: list[Read] = []
    token = _READS.set(log)
    try:
        yield log
    finally:
        _READS.reset(token)


def read_bounded(path: Path, most: int) -> tuple[bytes, int]:
    """The bytes of the regular file ``path`` and its size; a file over ``most`` bytes is not
    read at all (and one that grows while read is cut at ``most + 1``). Raises as
    :func:`open_regular` does."""
    log = _READS.get()
    try:
        with open_regular(path) as f:
            size = os.fstat(f.fileno()).st_size
            raw = b"" if size > most else f.read(most + 1)
    except (OSError, ValueError, DipsimError) as err:
        if log is not None:
            log.append(Read(path, None, 0, type(err).__name__))
        raise
    size = size if size > most else len(raw)
    if log is not None:
        log.append(Read(path, raw, size))
    return raw, size


@dataclass(frozen=True)
class DataFile:
    """What a scan of a data file (a CSV or tab-separated file of records) found: its lines, and
    which of the fields looked for it has."""

    lines: int
    found: frozenset[str]


#: The field separators of data files: tabs (ICEWS, GDELT), commas (CSV) and line ends.
_FIELDS = re.compile(rb"[\t,\r\n]")
#: Longest line read at once while scanning (a longer one is read in pieces).
_SCAN_LINE = 1 << 16


def scan_data_file(path: Path, wanted: frozenset[str]) -> DataFile:
    """Count the lines of the regular file ``path`` and find which of ``wanted`` occur in it as
    whole fields (between tabs, commas and line ends; a field in double quotes counts), reading
    it a line at a time: memory does not grow with the file, whatever its size, and its bytes
    need not be UTF-8. The read is listed for ``recording_reads`` with a digest of the bytes
    (a cached scenario citing the file is checked against it, :func:`data_digest`).

    Raises as :func:`open_regular` does.
    """
    from hashlib import blake2b  # here: importing hashlib at start-up costs every command ~8 ms

    log = _READS.get()
    want = {w.encode("utf-8", "surrogateescape") for w in wanted}
    longest = max(map(len, want), default=0) + 2  # a field longer cannot be one (quotes aside)
    found: set[bytes] = set()
    digest, size, lines, ends_open = blake2b(digest_size=32), 0, 0, False
    carry = b""  # the start of a field a piece of a long line broke off (at most `longest`)
    try:
        with open_regular(path) as f:
            while piece := f.readline(_SCAN_LINE):
                digest.update(piece)
                size += len(piece)
                if not ends_open:
                    lines += 1
                ends_open = not piece.endswith(b"\n")
                if not want:
                    continue
                fields = _FIELDS.split(carry + piece)
                carry = fields.pop()[: longest + 1] if ends_open else b""
                found.update(w for w in (c.strip(b'"') for c in fields) if w in want)
            if carry.strip(b'"') in want:  # the last field of a file without a final line end
                found.add(carry.strip(b'"'))
    except (OSError, ValueError, DipsimError) as err:
        if log is not None:
            log.append(Read(path, None, 0, type(err).__name__))
        raise
    if log is not None:
        log.append(Read(path, None, size, digest=f"stream {size} {digest.hexdigest()}"))
    return DataFile(lines, frozenset(w.decode("utf-8", "surrogateescape") for w in found))


def data_digest(path: Path) -> str:
    """The digest :func:`scan_data_file` lists for ``path``'s read (``error NAME`` if it cannot
    be read), computed the same way."""
    log: list[Read] = []
    token = _READS.set(log)
    try:
        scan_data_file(path, frozenset())
    except (OSError, ValueError, DipsimError) as err:
        return f"error {type(err).__name__}"
    finally:
        _READS.reset(token)
    return log[-1].digest or ""


def regular_fd(path: Path, flags: int, mode: int = 0o666) -> int:
    """``os.open(path, flags, mode)`` for a regular file only, as a blocking descriptor.

    Opened without blocking, so that a FIFO with no writer (or no reader) does not hang the
    open, then checked: a FIFO, a device, a socket or a directory is refused before a byte is
    read or written.

    Raises:
        NotRegularFileError: ``path`` is not a regular file.
        OSError: It cannot be opened. ValueError: The path has a NUL character.
    """
    nonblocking = flags | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, nonblocking, mode)
    except IsADirectoryError:
        raise NotRegularFileError(path, "a directory") from None
    except OSError as err:
        if err.errno == errno.ENXIO:  # a FIFO opened for writing with no reader
            raise NotRegularFileError(path, "a FIFO (named pipe)") from None
        raise
    try:
        kind = os.fstat(handle).st_mode
        if not stat.S_ISREG(kind):
            raise NotRegularFileError(path, kind_of(kind))
        os.set_blocking(handle, True)
    except BaseException:
        os.close(handle)
        raise
    return handle


def allowed_roots(top: Path, allow: Iterable[Path] = ()) -> tuple[Path, ...]:
    """The folders whose trees the paths written inside ``top`` (and inside the files it names)
    may reach: the working folder, ``top``'s own folder and each folder of ``allow``, with
    symbolic links resolved. (See "Paths inside files" in docs/checking.md for why.)"""
    folders = [Path.cwd(), Path(top).absolute().parent, *allow]
    return tuple(dict.fromkeys(Path(os.path.realpath(folder)) for folder in folders))


def outside(target: Path, roots: Iterable[Path]) -> Path | None:
    """``target`` with its links resolved when that lies outside every folder of ``roots``
    (a link leading out counts as out), else ``None``."""
    real = Path(os.path.realpath(target))
    if any(real == root or root in real.parents for root in roots):
        return None
    return real


def outside_message(written: str, real: Path, roots: Iterable[Path]) -> str:
    """Why the path ``written`` in a file is refused, and how to allow it. The value written is
    quoted (and cut, like any value); the paths are shown as a person would write them
    (relative to the working folder inside it), unquoted so that they are not cut."""
    folders = ", ".join(_shown(r) for r in roots)
    allow = shlex.quote(_shown(real.parent))
    return (
        f"{quoted(written)} leads to {_shown(real)}, outside the folders dipsim reads from "
        f"({folders}); to read it, allow its folder: --allow-path {allow}"
    )


def _shown(path: Path) -> str:
    text = printable(shown_path(path))
    return text if len(text) <= 300 else text[:297] + "..."  # the path of a long value written


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
        NotRegularFileError: ``final`` (or the file its link leads to) is not a regular file.
        FileExistsError: ``replace`` is False and ``final`` exists.
        OSError: The file could not be written; the temporary file is removed.
    """
    final = output_target(final)
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
            # Checked again just before the rename: something other than a regular file may
            # have taken the name while the content was written.
            output_target(final)
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
    except NotRegularFileError as err:
        raise DipsimError(f"{err}: only a regular file is ever replaced") from None
    except OSError as err:
        raise DipsimError(f"{path}: cannot write: {err.strerror or err}") from None
    return path


__all__ = [
    "NotRegularFileError",
    "Read",
    "allowed_roots",
    "kind_of",
    "open_regular",
    "output_target",
    "outside",
    "outside_message",
    "read_bounded",
    "read_regular",
    "recording_reads",
    "regular_fd",
    "save_bytes",
    "write_atomically",
]
