"""The three results formats — Parquet (pyarrow, optional), CSV and JSON Lines — each able to
write a part, assemble parts into one file by streaming them, and read rows back.

pyarrow comes from the ``batch`` extra and is imported only when a Parquet file is written or
read; writer options are fixed so that the same rows always give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import IO, Any, Protocol

from simulator.core.errors import DipsimError, printable, quoted
from simulator.core.files import open_regular
from simulator.core.text import csv_cell, csv_uncell, json_text

Column = tuple[str, str]
"""A result column: its name and kind (``"int"``, ``"float"``, ``"str"`` or ``"bool"``)."""
Value = int | float | str | bool | None

KINDS = ("int", "float", "str", "bool")
FORMATS = (".parquet", ".csv", ".jsonl")
#: Rows per Parquet row group in the results file: large enough for readers, small enough that
#: assembling holds little (memory while finishing is about one row group plus one part).
ROW_GROUP_ROWS = 32_768
#: Fixed Parquet writer options, so that the same rows always give the same bytes.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "version": "2.6",
    "use_dictionary": True,
    "write_statistics": True,
}
#: The first (and last) four bytes of every Parquet file.
PARQUET_MAGIC = b"PAR1"
#: The pyarrow type of each kind (``pyarrow.<name>()``).
ARROW_TYPES = {"int": "int64", "float": "float64", "str": "string", "bool": "bool_"}


class SinkError(DipsimError):
    """Results cannot be written, resumed or read as asked."""


def missing_extra(module: str, extra: str, purpose: str = "writing .parquet") -> SinkError:
    """The error for an optional dependency that is not installed, naming the extra to install."""
    return SinkError(f"{purpose} needs {module}: pip install 'dipsim[{extra}]'")


def suffix_of(path: Path) -> str:
    if path.suffix not in FORMATS:
        raise SinkError(
            f"{path}: results files are {', '.join(FORMATS)}, not {path.suffix or 'no suffix'!r}"
        )
    return path.suffix


def pyarrow_modules(purpose: str) -> tuple[ModuleType, ModuleType]:
    try:
        import pyarrow  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.parquet  # type: ignore[import-untyped,unused-ignore]
    except ImportError as err:
        raise missing_extra("pyarrow", "batch", purpose) from err
    return pyarrow, pyarrow.parquet


class _Format(Protocol):
    def write_part(self, file: IO[bytes], rows: Iterable[list[Value]]) -> int: ...

    def assemble(self, parts: Sequence[Path], file: IO[bytes]) -> None: ...

    def read(self, path: Path) -> Iterator[dict[str, object]]: ...


def format_for(path: Path, columns: Sequence[Column] | None, purpose: str) -> _Format:
    """The format of ``path``; ``columns`` are None only for reading without them."""
    suffix = suffix_of(path)
    if suffix == ".parquet":
        return _Parquet(columns, purpose)
    if suffix == ".csv":
        return _Csv(columns)
    return _Jsonl(columns)


def _copy_parts(parts: Sequence[Path], file: IO[bytes]) -> None:
    for part in parts:
        with part.open("rb") as source:
            shutil.copyfileobj(source, file)


class _Jsonl:
    """One JSON object per line, keys in column order; parts are whole lines, copied as bytes.

    A number that is not finite (a variable at an infinite bound) is ``null``, as in every JSON
    dipsim writes (:func:`~simulator.core.text.json_text`); Parquet keeps it.
    """

    def __init__(self, columns: Sequence[Column] | None) -> None:
        self._names = [name for name, _ in columns or ()]

    def write_part(self, file: IO[bytes], rows: Iterable[list[Value]]) -> int:
        count = 0
        for row in rows:
            line = json_text(
                dict(zip(self._names, row, strict=True)), indent=None, separators=(",", ":")
            )
            file.write(line.encode() + b"\n")
            count += 1
        return count

    def assemble(self, parts: Sequence[Path], file: IO[bytes]) -> None:
        _copy_parts(parts, file)

    def read(self, path: Path) -> Iterator[dict[str, object]]:
        for number, line in text_lines(path, "JSON Lines"):
            try:
                row = json.loads(line)
            except ValueError as err:
                raise SinkError(f"{path}:{number}: not a JSON row ({err})") from err
            yield row


class _Csv:
    """RFC 4180: a header row, then rows; None is an empty field, booleans ``true``/``false``.

    Text is written by :func:`~simulator.core.text.csv_cell` (a ``'`` before what a
    spreadsheet would take for a formula) and read back by ``csv_uncell``, which drops that
    ``'`` again, so texts round-trip exactly; numbers are numbers, so ``-0.5`` is never guarded.
    Parts hold rows without the header, so assembling writes the header and copies bytes.
    """

    def __init__(self, columns: Sequence[Column] | None) -> None:
        self._columns = columns
        self._names = [name for name, _ in columns or ()]

    def _write_rows(self, file: IO[bytes], rows: Iterable[Sequence[Value]]) -> int:
        text = io.TextIOWrapper(file, encoding="utf-8", newline="")
        writer = csv.writer(text)  # lines end in \r\n (RFC 4180), so a lone \r in text is quoted
        count = 0
        for row in rows:
            writer.writerow(row)  # None as "", floats by repr (exact), ints and text as they are
            count += 1
        text.flush()
        text.detach()  # the caller owns the file
        return count

    def write_part(self, file: IO[bytes], rows: Iterable[list[Value]]) -> int:
        kinds = [kind for _, kind in self._columns or ()]
        flags = [i for i, kind in enumerate(kinds) if kind == "bool"]
        texts = [i for i, kind in enumerate(kinds) if kind == "str"]
        return self._write_rows(file, (_csv_cells(row, flags, texts) for row in rows))

    def assemble(self, parts: Sequence[Path], file: IO[bytes]) -> None:
        self._write_rows(file, [[csv_cell(name) for name in self._names]])
        _copy_parts(parts, file)

    def read(self, path: Path) -> Iterator[dict[str, object]]:
        reader = csv.reader(line for _, line in text_lines(path, "CSV"))
        try:
            yield from self._rows(path, reader)
        except csv.Error as err:  # a NUL, a field over the csv module's limit
            raise SinkError(f"{path}:{reader.line_num}: not CSV ({err})") from None

    def _rows(self, path: Path, reader: Any) -> Iterator[dict[str, object]]:
        header = [csv_uncell(name) for name in next(reader, [])]
        if self._columns is None:
            kinds = ["str"] * len(header)
        elif header == self._names:
            kinds = [kind for _, kind in self._columns]
        else:
            shown = quoted(",".join(header), 200)
            raise SinkError(f"{path}: the header {shown} is not the columns {self._names}")
        for fields in reader:
            if len(fields) != len(header):
                raise SinkError(
                    f"{path}:{reader.line_num}: {len(fields)} fields, not {len(header)}"
                )
            try:
                values = [_csv_value(k, f) for k, f in zip(kinds, fields, strict=True)]
            except ValueError as err:
                raise SinkError(f"{path}:{reader.line_num}: {err}") from err
            yield dict(zip(header, values, strict=True))


def _csv_cells(row: list[Value], flags: list[int], texts: list[int]) -> list[Value]:
    for i in flags:
        if row[i] is not None:
            row[i] = "true" if row[i] else "false"
    for i in texts:
        value = row[i]
        if isinstance(value, str):
            row[i] = csv_cell(value)
    return row


def _csv_value(kind: str, text: str) -> Value:
    if text == "":
        return None
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        if text not in ("true", "false"):
            raise ValueError(f"{text!r} is not true or false")
        return text == "true"
    return csv_uncell(text)


class _Parquet:
    """Parquet through pyarrow: a part is a small file; the results file is one stream of them.

    Assembling reads one part at a time and writes row groups of exactly ``ROW_GROUP_ROWS`` rows,
    each one contiguous array per column, so the bytes do not depend on where chunks began.
    """

    def __init__(self, columns: Sequence[Column] | None, purpose: str) -> None:
        self._pa, self._pq = pyarrow_modules(f"{purpose} .parquet")
        pa = self._pa
        self._schema = pa.schema(
            [pa.field(name, getattr(pa, ARROW_TYPES[kind])()) for name, kind in columns or ()]
        )

    def write_part(self, file: IO[bytes], rows: Iterable[list[Value]]) -> int:
        pa = self._pa
        values = list(zip(*rows, strict=True)) or [() for _ in self._schema]
        arrays = [
            pa.array(column, type=field.type)
            for column, field in zip(values, self._schema, strict=True)
        ]
        table = pa.Table.from_arrays(arrays, schema=self._schema)
        self._pq.write_table(table, file, compression="zstd")
        return int(table.num_rows)

    def assemble(self, parts: Sequence[Path], file: IO[bytes]) -> None:
        pa, pq = self._pa, self._pq
        with pq.ParquetWriter(file, self._schema, **PARQUET_OPTIONS) as writer:
            pending: Any = pa.Table.from_batches([], schema=self._schema)
            for part in parts:
                pending = pa.concat_tables([pending, pq.read_table(part, schema=self._schema)])
                while pending.num_rows >= ROW_GROUP_ROWS:
                    whole = pending.slice(0, ROW_GROUP_ROWS).combine_chunks()
                    writer.write_table(whole, row_group_size=ROW_GROUP_ROWS)
                    pending = pending.slice(ROW_GROUP_ROWS)
            if pending.num_rows:
                writer.write_table(pending.combine_chunks(), row_group_size=ROW_GROUP_ROWS)

    def read(self, path: Path) -> Iterator[dict[str, object]]:
        # Checked first (pyarrow's own open would wait on a FIFO), then read by pyarrow from
        # the path: through a Python file object, reading would hold more memory.
        open_regular(path).close()
        try:
            for batch in self._pq.ParquetFile(path).iter_batches(batch_size=1_024):
                yield from batch.to_pylist()
        except (self._pa.ArrowException, OSError, ValueError) as err:
            raise damaged_parquet(path, err) from None


def damaged_parquet(path: Path, err: Exception) -> SinkError:
    """What is wrong with a Parquet file pyarrow cannot read: not Parquet at all (by its first
    bytes), or damaged (pyarrow's reason, on one line)."""
    try:
        with open_regular(path) as file:
            head = file.read(4)
    except OSError:
        head = b""
    if not head:
        return SinkError(f"{path}: not a Parquet file: it is empty")
    if head != PARQUET_MAGIC:
        return SinkError(f"{path}: not a Parquet file (it does not begin with PAR1){_named(head)}")
    reason = printable(" ".join(str(err).split()))[:200]
    return SinkError(f"{path}: a damaged Parquet file, cut short or changed ({reason})")


def _named(head: bytes) -> str:
    """A hint when a file's first bytes say it is text (a CSV or JSON Lines file misnamed)."""
    return "; it looks like text: is it CSV or JSON Lines?" if head.isascii() else ""


def text_lines(path: Path, kind: str) -> Iterator[tuple[int, str]]:
    """The lines of a text results file (line ends kept), numbered from 1, each checked to be
    UTF-8; a Parquet file named as text is said to be one."""
    with open_regular(path) as file:
        for number, raw in enumerate(file, start=1):
            if number == 1 and raw.startswith(PARQUET_MAGIC):
                raise SinkError(f"{path}: this is a Parquet file, not {kind}: name it .parquet")
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as err:
                raise SinkError(
                    f"{path}:{number}: not UTF-8 text (byte 0x{raw[err.start]:02x} at column "
                    f"{len(raw[: err.start].decode('utf-8', 'replace')) + 1})"
                ) from None
            yield number, line
