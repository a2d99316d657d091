"""A file's bytes as text: regular files only, never more than the limit, UTF-8 or a located
refusal. What :mod:`simulator.scenario.yamlread` reads a YAML file with, and what a scenario's
cited source files are read with (those are never refused: a source that cannot be read is
``None``, which the reference checks report)."""

from __future__ import annotations

from pathlib import Path

from simulator.core.errors import DipsimError, Location, Problem, ScenarioError

# Bounded reads of regular files live in core.files, which also lists them while a scenario
# loads (recording_reads: what the validated-scenario cache keys its entry on).
from simulator.core.files import DataFile, read_bounded, scan_data_file
from simulator.scenario.limits import DEFAULT_LIMITS, Limits, limit_hint


def read_source_text(path: Path, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """The text of a cited source file, or ``None`` when it cannot be read as UTF-8 text of at
    most ``limits.max_bytes`` bytes (missing, not a regular file, too big, not UTF-8, a bad
    path). Only regular files are read, as a YAML file is: a scenario citing
    ``/dev/zero``, ``/dev/stdin`` or a FIFO must not make dipsim read forever or block."""
    try:
        raw, size = read_bounded(path, limits.max_bytes)
        if size > limits.max_bytes:
            return None
        # As Path.read_text would: universal newlines (a byte-order mark is dropped, though).
        return raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except (OSError, ValueError, DipsimError):  # ValueError: a NUL in the path, or not UTF-8
        return None


def scan_source_data(path: Path, records: frozenset[str]) -> DataFile | None:
    """A cited data file's lines counted and ``records`` looked for, a line at a time (any size,
    any bytes: only its rows and records are cited, never quoted), or ``None`` when it cannot
    be read (missing, not a regular file, a bad path)."""
    try:
        return scan_data_file(path, records)
    except (OSError, ValueError, DipsimError):
        return None


def decode(raw: bytes, file: str, limits: Limits) -> str:
    """The text of a file's bytes: UTF-8 (a byte-order mark dropped), or a located refusal
    (too big, UTF-16, a NUL byte: binary, not UTF-8)."""
    if len(raw) > limits.max_bytes:
        raise ScenarioError([Problem(Location(file, 1, 1), (), too_big(len(raw), limits))])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        message = "the file is UTF-16 text; save it as UTF-8"
        raise ScenarioError([Problem(Location(file, 1, 1), (), message)])
    nul = raw.find(b"\x00")
    if nul >= 0:
        message = f"this is a binary file, not YAML text (a NUL byte at offset {nul})"
        raise ScenarioError([Problem(_byte_location(raw, nul, file), (), message)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        message = f"not valid UTF-8 (byte 0x{raw[err.start]:02x} at offset {err.start})"
        raise ScenarioError([Problem(_byte_location(raw, err.start, file), (), message)]) from None


def _byte_location(raw: bytes, offset: int, file: str) -> Location:
    """Line and column (in characters, as an editor counts them) of the byte at ``offset``."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    prefix = raw[line_start:offset].decode("utf-8", errors="replace")
    return Location(file, raw.count(b"\n", 0, offset) + 1, len(prefix) + 1)


def too_big(size: int | None, limits: Limits) -> str:
    """Why a file of ``size`` bytes is refused, and how to raise the limit."""
    shown = f"{size:,}" if size is not None else f"more than {limits.max_bytes:,}"
    return f"the file is {shown} bytes, too big {limit_hint('max_bytes', limits)}"
