"""A batch's results on disk: chunks written atomically beside the results file, then assembled.

Results are written as *parts*, one per chunk of runs, in a folder beside the results file
(``results.parquet.parts/part-000003.parquet``). Each part is written to a temporary file,
synced and renamed into place, and only then recorded in the folder's journal with its rows,
size and SHA-256 (:mod:`simulator.batch.journal`: a manifest written once, a journal appended
once per chunk, a lock). So a batch killed at any moment leaves whole parts and a journal naming
exactly the chunks it may trust, and writing costs the same per chunk at the ten-thousandth
chunk as at the first. A re-run with ``resume`` checks every recorded part against its size and
digest, runs again the chunks whose part is missing or damaged, and skips the others;
:meth:`ResultSink.finish` checks every part again, streams them, one at a time and in chunk
order, into the results file (never replacing a file of that name) and removes the folder. A
damaged part found there stops the assembly with every part kept, naming the part.

The results file's suffix picks the format: ``.parquet`` (pyarrow, from the ``batch`` extra,
imported only when a Parquet file is written or read), ``.csv`` or ``.jsonl``. A row is written
the same way whichever chunk brings it, and Parquet row groups are cut every
:data:`ROW_GROUP_ROWS` rows rather than at chunk boundaries, so the file's bytes depend on its
rows alone: not on chunk sizes, worker counts or interruptions.
"""

from __future__ import annotations

import json
import numbers
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from simulator.batch.formats import (
    ARROW_TYPES,
    FORMATS,
    KINDS,
    ROW_GROUP_ROWS,
    Column,
    SinkError,
    Value,
    damaged_parquet,
    format_for,
    missing_extra,
    pyarrow_modules,
    suffix_of,
)
from simulator.batch.journal import (
    JOURNAL,
    MANIFEST,
    MANIFEST_VERSION,
    Entry,
    FolderLock,
    Journal,
    LockHeldError,
    OsErrors,
    digest,
    read_journal,
    read_manifest,
)
from simulator.core.files import NotRegularFileError, kind_of, open_regular, write_atomically

_TEMP = ".tmp"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_T = TypeVar("_T")


class ResultSink:
    """Chunked, atomic, resumable results for one batch.

    Leaving the ``with`` block without :meth:`finish` (an error, Ctrl-C) keeps the written
    chunks for a later ``resume``. ``rows_written`` and ``chunks_written`` count every chunk in
    the journal, those kept from an earlier, interrupted run included; ``damaged`` names the
    recorded parts that a resume found missing or changed, and runs again.
    """

    def __init__(
        self, out: Path, columns: Sequence[Column], fingerprint: str, resume: bool
    ) -> None:
        self.out = Path(out)
        self.columns: tuple[Column, ...] = _checked_columns(columns)
        self.parts_dir = Path(f"{self.out}.parts")
        self._format = format_for(self.out, self.columns, "writing")
        self._values = _RowCheck(self.columns)
        self._fingerprint = fingerprint
        self._chunks: dict[int, Entry] = {}
        self.damaged: list[str] = []
        self._finished = False
        self._lock: FolderLock | None = None
        self._journal: Journal | None = None
        if self.out.exists():
            raise SinkError(
                f"{self.out} exists already: delete it or choose another --out"
                " (results are never overwritten)"
            )
        try:
            self._open(resume)
        except BaseException:
            self.close()
            raise

    def _open(self, resume: bool) -> None:
        if self.parts_dir.exists() and not self.parts_dir.is_dir():
            kind = kind_of(self.parts_dir.stat().st_mode)
            raise SinkError(
                f"{self.parts_dir} is {kind}, not the folder of this batch's parts: move it "
                "away, or choose another --out"
            )
        with self._os_errors(self.parts_dir):
            self.parts_dir.mkdir(parents=True, exist_ok=True)
            try:
                self._lock = FolderLock(self.parts_dir)
            except LockHeldError:
                raise SinkError(
                    f"{self.parts_dir} is being written by another dipsim batch (it holds the"
                    " folder's lock): wait for it to end, or choose another --out"
                ) from None
            manifest = self.parts_dir / MANIFEST
            kept = manifest.exists()
            if kept and not resume:
                raise SinkError(
                    f"{self.parts_dir} holds the results of an unfinished batch: pass --resume"
                    " to finish it, or delete the folder to start again"
                )
            journaled = 0
            if kept:
                self._check_manifest(manifest)
                entries, journaled = read_journal(self.parts_dir / JOURNAL)
                self._chunks = self._trusted(entries)
            # Temporary files are what a killed writer leaves behind; none is ever trusted.
            for stray in [
                *self.parts_dir.glob(f".*{_TEMP}"),
                *self.out.parent.glob(f".{self.out.name}.*{_TEMP}"),
            ]:
                stray.unlink(missing_ok=True)
            self._journal = Journal(self.parts_dir / JOURNAL, keep=journaled)
            if not kept:
                self._write_manifest()

    def __enter__(self) -> ResultSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Every written chunk is already safe on disk: only the lock and the journal are let go.
        self.close()

    def close(self) -> None:
        """Let go of the folder (its lock and journal); what was written stays."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def rows_written(self) -> int:
        """Rows in the chunks written so far (resumed chunks included)."""
        return sum(e.rows for e in self._chunks.values())

    @property
    def chunks_written(self) -> int:
        """Chunks written so far (resumed chunks included)."""
        return len(self._chunks)

    def completed(self) -> frozenset[int]:
        """The ids of the chunks already written, which a resumed batch skips."""
        return frozenset(self._chunks)

    def write_chunk(self, chunk_id: int, rows: Iterable[Mapping[str, object]]) -> None:
        """Write one chunk's rows as a part, atomically, and record it in the journal.

        A row may leave columns out (they are None) but may not bring columns the batch does
        not have. Rows are streamed to the part; only a Parquet part gathers its chunk's rows.
        """
        self._check_open()
        if isinstance(chunk_id, bool) or not isinstance(chunk_id, int) or chunk_id < 0:
            raise SinkError(f"a chunk id is a whole number ≥ 0, not {chunk_id!r}")
        if chunk_id in self._chunks:
            raise SinkError(f"chunk {chunk_id} was written already ({self._part(chunk_id)})")
        part = self._part(chunk_id)
        with self._os_errors(part):
            count = write_atomically(
                part,
                lambda file: self._format.write_part(file, self._values(rows)),
                suffix=_TEMP,
                durable=True,
            )
            entry = Entry(chunk_id, count, *digest(part))
            assert self._journal is not None
            self._journal.append(entry)
        self._chunks[chunk_id] = entry

    def finish(self) -> Path:
        """Check every part, assemble the results file from them in chunk order, then remove
        the parts. A part that does not match its journal entry stops it, every part kept.

        Chunks are ranges of run ids, so chunk order is run-id order. Whether every chunk of the
        batch was written is the caller's to check (see :meth:`completed`).
        """
        self._check_open()
        parts = [self._part(chunk_id) for chunk_id in sorted(self._chunks)]
        for chunk_id in sorted(self._chunks):
            damage = self._damage(self._chunks[chunk_id])
            if damage:
                raise SinkError(
                    f"{self._part(chunk_id)} is damaged ({damage}); every part is kept: run"
                    " the same command with --resume to run that chunk again"
                )
        with self._os_errors(self.out):
            try:
                write_atomically(
                    self.out,
                    lambda file: self._format.assemble(parts, file),
                    suffix=_TEMP,
                    durable=True,
                    replace=False,
                )
            except FileExistsError:
                raise SinkError(
                    f"{self.out} appeared while the batch ran: it is left alone, and the parts"
                    f" are kept in {self.parts_dir} (move that file, then --resume)"
                ) from None
            # The manifest goes first: a folder without one holds nothing a resume would trust.
            (self.parts_dir / MANIFEST).unlink()
            self.close()
            shutil.rmtree(self.parts_dir)
        self._finished = True
        return self.out

    def _part(self, chunk_id: int) -> Path:
        return self.parts_dir / f"part-{chunk_id:06d}{self.out.suffix}"

    def _check_open(self) -> None:
        if self._finished:
            raise SinkError(f"the results in {self.out} are finished; nothing more can be written")

    def _damage(self, entry: Entry) -> str:
        """What is wrong with a recorded part ("" when it is as written)."""
        part = self._part(entry.chunk)
        try:
            size, sha = digest(part)
        except FileNotFoundError:
            return "it is missing"
        except NotRegularFileError as err:
            return f"it is {err.kind}, not a regular file"
        except OSError as err:
            return f"it cannot be read: {err.strerror}"
        if size != entry.size:
            return f"{size:,} bytes where {entry.size:,} were written"
        if sha != entry.sha256:
            return "its bytes are not those written (SHA-256 differs)"
        return ""

    def _trusted(self, entries: dict[int, Entry]) -> dict[int, Entry]:
        """The recorded chunks whose parts are as written; the others are noted and run again."""
        trusted = {}
        for chunk_id, entry in sorted(entries.items()):
            damage = self._damage(entry)
            if damage:
                self.damaged.append(f"{self._part(chunk_id).name}: {damage}")
                self._part(chunk_id).unlink(missing_ok=True)
            else:
                trusted[chunk_id] = entry
        return trusted

    def _header(self) -> dict[str, object]:
        return {
            "version": MANIFEST_VERSION,
            "fingerprint": self._fingerprint,
            "format": self.out.suffix,
            "columns": [list(column) for column in self.columns],
        }

    def _write_manifest(self) -> None:
        text = json.dumps(self._header(), separators=(",", ":"), allow_nan=False).encode()
        write_atomically(
            self.parts_dir / MANIFEST, lambda file: file.write(text), suffix=_TEMP, durable=True
        )

    def _check_manifest(self, path: Path) -> None:
        try:
            found = read_manifest(path)
            theirs = (found["format"], found["fingerprint"], found["columns"])
        except (ValueError, TypeError, KeyError) as err:
            raise SinkError(
                f"{path} cannot be read ({err}): delete {self.parts_dir} to start again"
            ) from err
        ours = self._header()
        if theirs != (ours["format"], ours["fingerprint"], ours["columns"]):
            raise SinkError(
                f"the results in {self.parts_dir} were made by a different batch spec"
                f" (fingerprint {theirs[1]!r}, this spec {self._fingerprint!r}; or other"
                " columns): delete the folder to start again, or choose another --out"
            )

    def _os_errors(self, where: Path) -> OsErrors:
        return OsErrors(where, self.parts_dir)


def read_rows(path: Path, columns: Sequence[Column] | None = None) -> Iterator[dict[str, object]]:
    """Stream the rows of a results file (``.parquet``, ``.csv`` or ``.jsonl``), in file order.

    Parquet and JSONL values come back typed. CSV has no types: with ``columns`` its values are
    typed by their column's kind, without them they are text; an empty field is None either way
    (so an empty text value reads back as None).
    """
    path = Path(path)
    checked = None if columns is None else _checked_columns(columns)
    reader = format_for(path, checked, "reading")
    try:
        path.stat()
    except (OSError, ValueError):
        raise SinkError(f"no results file at {path}") from None
    return reader.read(path)


def read_columns(path: Path) -> list[Column] | None:
    """The columns of a Parquet results file (from its schema); None for CSV and JSONL."""
    path = Path(path)
    if suffix_of(path) != ".parquet":
        return None
    pa, pq = pyarrow_modules("reading .parquet")
    kinds = {str(getattr(pa, arrow)()): kind for kind, arrow in ARROW_TYPES.items()}
    kinds["large_string"] = "str"
    columns = []
    with open_regular(path) as file:
        try:
            schema = pq.read_schema(file)
        except (pa.ArrowException, OSError, ValueError) as err:
            raise damaged_parquet(path, err) from None
    for field in schema:
        kind = kinds.get(str(field.type))
        if kind is None:
            raise SinkError(f"{path}: column {field.name!r} is of type {field.type}, not dipsim's")
        columns.append((field.name, kind))
    return columns


def _checked_columns(columns: Sequence[Column]) -> tuple[Column, ...]:
    seen: set[str] = set()
    for name, kind in columns:
        if not isinstance(name, str) or not name:
            raise SinkError(f"a column name is non-empty text, not {name!r}")
        if name in seen:
            raise SinkError(f"column {name!r} is named twice")
        if kind not in KINDS:
            raise SinkError(f"column {name!r} has kind {kind!r}; kinds are {', '.join(KINDS)}")
        seen.add(name)
    return tuple((name, kind) for name, kind in columns)


class _RowCheck:
    """Rows as lists of checked values in column order.

    Checking value by value costs more than writing the row, so a row whose value types
    (``type(None)`` or exactly its column's type) were seen before in a row that needed no
    change passes with one lookup; only ints are still checked, for their 64-bit range.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        self._columns = columns
        self._names = [name for name, _ in columns]
        self._known = frozenset(self._names)
        self._fine: set[tuple[type, ...]] = set()
        self._ints = [i for i, (_, kind) in enumerate(columns) if kind == "int"]

    def __call__(self, rows: Iterable[Mapping[str, object]]) -> Iterator[list[Value]]:
        for row in rows:
            if not self._known.issuperset(row):
                unknown = sorted(row.keys() - self._known)
                raise SinkError(f"a row has columns the batch does not: {unknown}")
            values: list[Any] = list(map(row.get, self._names))
            types = tuple(map(type, values))
            if types not in self._fine or not self._ints_fit(values):
                values = [_checked_value(c, v) for c, v in zip(self._columns, values, strict=True)]
                if len(self._fine) < 1_000 and types == tuple(map(type, values)):
                    self._fine.add(types)
            yield values

    def _ints_fit(self, values: list[Any]) -> bool:
        ints = [values[i] for i in self._ints if values[i] is not None]
        return not ints or (min(ints) >= _INT64_MIN and max(ints) <= _INT64_MAX)


def _checked_value(column: Column, value: object) -> Value:
    """``value`` as a value of ``column`` (an int widened to float, say), or the error."""
    name, kind = column
    if value is None:
        return None
    if kind == "bool":
        if isinstance(value, bool):
            return value
    elif kind == "str":
        if isinstance(value, str):
            return value
    elif isinstance(value, bool):
        pass  # a bool is an int to Python, but never a number in the results
    elif kind == "int":
        if isinstance(value, numbers.Integral) and _INT64_MIN <= int(value) <= _INT64_MAX:
            return int(value)
    elif isinstance(value, numbers.Real):
        return float(value)
    size = " (64-bit)" if kind == "int" else ""
    raise SinkError(f"column {name!r} holds {kind} values{size}, not {value!r}")


__all__ = [
    "FORMATS",
    "JOURNAL",
    "KINDS",
    "MANIFEST",
    "ROW_GROUP_ROWS",
    "Column",
    "ResultSink",
    "SinkError",
    "Value",
    "missing_extra",
    "read_columns",
    "read_rows",
]
