"""What a batch has written, kept beside its parts: a manifest, a journal, a lock.

The *manifest* (``manifest.json``) is written once, when a batch starts: the format version, the
batch's fingerprint, the results format and columns. The *journal* (``journal.jsonl``) gets one
line per finished chunk, appended and synced to disk after the chunk's part is safely in place:
its id, rows, size in bytes and SHA-256. Appending costs the same at the ten-thousandth chunk as
at the first (the manifest used to be rewritten whole after every chunk, which grew with the
number of chunks). A kill can leave at most a torn last line, which is ignored: its chunk runs
again. The *lock* (``lock``, held with ``flock`` while a sink is open) keeps two batches, or two
``--resume``\\s of one, from writing the same folder at once; the system drops it when the
process dies, so a killed batch never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from simulator.batch.formats import SinkError
from simulator.core.files import NotRegularFileError, open_regular, read_regular, regular_fd

try:
    import fcntl
except ImportError:  # not POSIX: no lock is taken (documented in docs/batches.md)
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
JOURNAL = "journal.jsonl"
LOCK = "lock"
#: 2: manifest written once, chunks in the journal (1 listed them in the manifest).
MANIFEST_VERSION = 2


@dataclass(frozen=True, slots=True)
class Entry:
    """A chunk written: its part's rows, size in bytes and SHA-256."""

    chunk: int
    rows: int
    size: int
    sha256: str

    def line(self) -> bytes:
        fields = {"chunk": self.chunk, "rows": self.rows, "size": self.size, "sha256": self.sha256}
        return json.dumps(fields, separators=(",", ":"), allow_nan=False).encode() + b"\n"


class LockHeldError(Exception):
    """Another process holds the folder's lock."""


class FolderLock:
    """An exclusive ``flock`` on ``folder/lock``, taken at once or not at all."""

    def __init__(self, folder: Path) -> None:
        # Opened as a regular file only: a FIFO planted in the folder must not block.
        fd = regular_fd(folder / LOCK, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self._file: IO[bytes] | None = os.fdopen(fd, "ab")
        if fcntl is None:
            return
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            raise LockHeldError from None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the flock
            self._file = None


def fingerprint_of(path: Path) -> str | None:
    """The fingerprint a manifest records, or None when it cannot be read."""
    with contextlib.suppress(OSError, ValueError, AttributeError, NotRegularFileError):
        found = json.loads(read_regular(path).decode("utf-8")).get("fingerprint")
        return found if isinstance(found, str) else None
    return None


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest's fields; ``ValueError`` when it is not one dipsim wrote."""
    found = json.loads(read_regular(path))
    if not isinstance(found, dict):
        raise ValueError("not a JSON object")
    if found.get("version") != MANIFEST_VERSION:
        raise ValueError(
            f"version {found.get('version')!r}, not {MANIFEST_VERSION}: written by another "
            "version of dipsim"
        )
    return found


def read_journal(path: Path) -> tuple[dict[int, Entry], int]:
    """The chunks the journal records, by id (a later line for a chunk replaces an earlier),
    and how many of its bytes hold them (where the next entry must go).

    A last line without its newline, or one that does not parse, is what a kill mid-append
    leaves: it is ignored, and so is everything after a line that does not parse.
    """
    entries: dict[int, Entry] = {}
    try:
        data = read_regular(path)
    except FileNotFoundError:
        return entries, 0
    good = 0
    for line in data.split(b"\n")[:-1]:  # the text after the last newline is torn or empty
        try:
            fields = json.loads(line)
            entry = Entry(
                int(fields["chunk"]), int(fields["rows"]), int(fields["size"]), fields["sha256"]
            )
        except (ValueError, TypeError, KeyError):
            break
        if not isinstance(entry.sha256, str) or min(entry.chunk, entry.rows, entry.size) < 0:
            break
        entries[entry.chunk] = entry
        good += len(line) + 1
    return entries, good


class Journal:
    """The journal, open for appending: each line is written whole and synced to disk."""

    def __init__(self, path: Path, *, keep: int = 0) -> None:
        """Open ``path`` for appending after its first ``keep`` bytes (those ``read_journal``
        accepted: whatever follows them, a torn line or worse, would hide the next entries)."""
        self._fd: int | None = regular_fd(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.ftruncate(self._fd, keep)

    def append(self, entry: Entry) -> None:
        assert self._fd is not None, "the journal is closed"
        line = entry.line()
        written = os.write(self._fd, line)
        if written != len(line):  # a short write: the disk is full, say
            raise OSError(28, os.strerror(28))
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def digest(path: Path) -> tuple[int, str]:
    """The size in bytes and the SHA-256 of a file."""
    sha = hashlib.sha256()
    size = 0
    with open_regular(path) as f:
        while block := f.read(1 << 16):  # small blocks: finishing holds about one part at most
            sha.update(block)
            size += len(block)
    return size, sha.hexdigest()


#: What an OSError's errno means to someone whose batch stopped writing.
_WHY = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "a file would grow past the largest size allowed here",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


class OsErrors:
    """Turns an OSError while writing into a SinkError that says what happened, where, and
    that the finished chunks are kept for ``--resume``."""

    def __init__(self, where: Path, parts_dir: Path) -> None:
        self.where = where
        self.parts_dir = parts_dir

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not isinstance(exc, OSError) or isinstance(exc, FileExistsError):
            return
        why = _WHY.get(exc.errno or 0) or exc.strerror or str(exc)
        raise SinkError(
            f"{self.where}: cannot write: {why}; the chunks finished so far are kept in"
            f" {self.parts_dir}: fix that, then run the same command with --resume"
        ) from exc


__all__ = [
    "JOURNAL",
    "LOCK",
    "MANIFEST",
    "MANIFEST_VERSION",
    "Entry",
    "FolderLock",
    "Journal",
    "LockHeldError",
    "OsErrors",
    "digest",
    "fingerprint_of",
    "read_journal",
    "read_manifest",
]
