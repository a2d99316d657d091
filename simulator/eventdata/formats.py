"""The rows of an event-data file, one at a time, whatever its format.

Three families of files, each read line by line (a file of any size is read in constant memory):

- ``keds``: KEDS/TABARI records, ``date source target code``: tab-separated TABARI output
  (dates ``YYMMDD``, ``YYYYMMDD`` or ``YYYY-MM-DD``, no header) or a CSV with a header naming
  ``date``, ``source``, ``target`` and ``code`` (as the KEDS data sets are published for R);
- ``icews``: the ICEWS event export (tab-separated, a header with ``Event ID``, ``Event Date``,
  ``Source Country``, ``Target Country``, ``CAMEO Code``); its actors are countries by name;
- ``gdelt``: GDELT 1.0 (57 or 58 columns) and 2.0 (61 columns) event rows, tab-separated without a
  header; ``GLOBALEVENTID``, ``SQLDATE``, ``Actor1Code``, ``Actor2Code`` and ``EventCode`` are
  read, the row's own Goldstein value is not (the table's is used for every format).

A row that cannot be read is a :class:`BadRow` with its reason, never dropped unseen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Literal

Format = Literal["keds", "icews", "gdelt"]
FORMATS: tuple[Format, ...] = ("keds", "icews", "gdelt")

#: Longest line read whole; a longer one is a bad row (a file with no line breaks is not read
#: into memory at once).
MAX_LINE = 64 * 1024

#: GDELT's columns by position: 1.0 has 57 (58 with SOURCEURL, from April 2013), 2.0 has 61;
#: the first 35 (the event's id, date, actors and codes) are the same in both.
GDELT_COLUMNS = {57: "GDELT 1.0", 58: "GDELT 1.0", 61: "GDELT 2.0"}
_GDELT_ID, _GDELT_DATE, _GDELT_ACTOR1, _GDELT_ACTOR2, _GDELT_CODE = 0, 1, 5, 15, 26

#: ICEWS's header names of the columns read.
ICEWS_NEEDS = ("Event ID", "Event Date", "Source Country", "Target Country", "CAMEO Code")
ICEWS_NAMES = ("Source Name", "Target Name")

_CODE = re.compile(r"^[0-9]{2,4}$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DIGITS = re.compile(r"^\d{6}$|^\d{8}$")


@dataclass(frozen=True, slots=True)
class Row:
    """One record as read: where it is, when, who did what to whom (codes as written)."""

    line: int
    record: str | None  # the file's own id of the record, where it has one
    date: dt.date
    source: str
    target: str
    code: str
    #: ICEWS: whether each actor is the state itself, not a part of it (its name is the
    #: country's); ``None`` where the format tells it by the actor code.
    whole: tuple[bool, bool] | None = None


@dataclass(frozen=True, slots=True)
class BadRow:
    """A line that is not a record: why, in a few words (the kind is what reports count)."""

    line: int
    #: "malformed row", "malformed date", "missing actor", "not UTF-8", "line too long"; "no
    #: header" (ICEWS) ends the file's reading
    kind: str
    detail: str


def detect_format(first: str) -> Format | None:
    """The format a file's first line shows, or ``None`` when it shows none."""
    cells = first.rstrip("\r\n").split("\t")
    if all(name in cells for name in ICEWS_NEEDS):
        return "icews"
    if len(cells) in GDELT_COLUMNS and cells[0].isdigit() and _DIGITS.match(cells[1]):
        return "gdelt"
    head = [_cell(c).lower() for c in first.rstrip("\r\n").split(",")]
    if {"date", "source", "target", "code"} <= set(head):
        return "keds"
    if 4 <= len(cells) <= 12 and _date(cells[0]) is not None and _CODE.match(cells[3].strip()):
        return "keds"
    return None


def _date(text: str) -> dt.date | None:
    """``YYYY-MM-DD``, ``YYYYMMDD`` or TABARI's ``YYMMDD`` (years 00-29 are 2000-2029, 30-99
    are 1930-1999: KEDS data begin in 1979), or ``None``."""
    text = text.strip()
    try:
        found = _ISO.match(text)
        if found:
            return dt.date(int(found[1]), int(found[2]), int(found[3]))
        if _DIGITS.match(text):
            if len(text) == 8:
                return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
            yy = int(text[:2])
            return dt.date(2000 + yy if yy < 30 else 1900 + yy, int(text[2:4]), int(text[4:]))
    except ValueError:  # a day or month out of range
        return None
    return None


def _cell(text: str) -> str:
    """A CSV cell without its spaces and quotes: R's ``write.csv`` (how the KEDS data sets are
    often passed on) quotes every text, ``"1982-08-05","EGY","ISR","042"``."""
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _short(text: str, most: int = 24) -> str:
    return repr(text) if len(text) <= most else repr(text[: most - 3] + "...")


def lines(
    file: IO[bytes], progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, str | BadRow]]:
    """The file's lines as text, numbered from 1, or a :class:`BadRow` for a line that is not
    UTF-8 or is longer than :data:`MAX_LINE` (the rest of such a line is skipped unread into
    memory). ``progress`` is told the bytes read so far, now and then."""
    number, done = 0, 0
    while True:
        raw = file.readline(MAX_LINE + 1)
        if not raw:
            break
        number += 1
        done += len(raw)
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # the rest of the long line, a piece at a time
                raw = file.readline(MAX_LINE)
                done += len(raw)
            yield number, BadRow(number, "line too long", f"longer than {MAX_LINE:,} bytes")
        else:
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
                # A byte order mark (as spreadsheets save CSV) is not part of the first cell.
                yield number, text.removeprefix("\ufeff") if number == 1 else text
            except UnicodeDecodeError as err:
                yield number, BadRow(number, "not UTF-8", f"byte {err.start + 1} is not UTF-8")
        if progress is not None and number % 4096 == 0:
            progress(done)
    if progress is not None:
        progress(done)


def rows(fmt: Format, numbered: Iterator[tuple[int, str | BadRow]]) -> Iterator[Row | BadRow]:
    """The records of a file of format ``fmt`` (its numbered lines), bad ones included."""
    reader = {"keds": _keds, "icews": _icews, "gdelt": _gdelt}[fmt]
    return reader(numbered)


def _keds(numbered: Iterator[tuple[int, str | BadRow]]) -> Iterator[Row | BadRow]:
    columns: tuple[int, int, int, int] | None = None
    sep = "\t"
    for number, text in numbered:
        if isinstance(text, BadRow):
            yield text
            continue
        if not text.strip():
            continue
        if number == 1 and "\t" not in text and "," in text:
            head = [_cell(c).lower() for c in text.split(",")]
            if {"date", "source", "target", "code"} <= set(head):
                sep = ","
                columns = (
                    head.index("date"),
                    head.index("source"),
                    head.index("target"),
                    head.index("code"),
                )
                continue
        cells = text.split(sep)
        at = columns or (0, 1, 2, 3)
        if len(cells) <= max(at):
            yield BadRow(
                number, "malformed row", f"{len(cells)} columns, not date source target code"
            )
            continue
        day, source, target, code = (_cell(cells[i]) for i in at)
        yield _row(number, None, day, source, target, code)


def _icews(numbered: Iterator[tuple[int, str | BadRow]]) -> Iterator[Row | BadRow]:
    at: dict[str, int] | None = None
    width = 0
    for number, text in numbered:
        if isinstance(text, BadRow):
            yield text
            continue
        cells = text.split("\t")
        if at is None:
            missing = [n for n in ICEWS_NEEDS if n not in cells]
            if missing:
                # Not a bad row among good ones: nothing after it can be read (the importer
                # refuses the file).
                yield BadRow(number, "no header", f"not an ICEWS header (no {missing[0]!r} column)")
                return
            at = {name: cells.index(name) for name in ICEWS_NEEDS + ICEWS_NAMES if name in cells}
            width = len(cells)
            continue
        if not text.strip():
            continue
        if len(cells) != width:
            yield BadRow(number, "malformed row", f"{len(cells)} columns, the header has {width}")
            continue
        names = [cells[at[n]] if n in at else "" for n in ICEWS_NAMES]
        source, target = (cells[at[k]].strip() for k in ("Source Country", "Target Country"))
        whole = (names[0] == source, names[1] == target)
        yield _row(
            number,
            cells[at["Event ID"]].strip() or None,
            cells[at["Event Date"]],
            "" if source == "NA" else source,
            "" if target == "NA" else target,
            cells[at["CAMEO Code"]].strip(),
            whole,
        )


def _gdelt(numbered: Iterator[tuple[int, str | BadRow]]) -> Iterator[Row | BadRow]:
    for number, text in numbered:
        if isinstance(text, BadRow):
            yield text
            continue
        if not text.strip():
            continue
        cells = text.split("\t")
        if len(cells) not in GDELT_COLUMNS:
            yield BadRow(
                number,
                "malformed row",
                f"{len(cells)} columns (GDELT 1.0 has 57 or 58, 2.0 has 61)",
            )
            continue
        yield _row(
            number,
            cells[_GDELT_ID].strip() or None,
            cells[_GDELT_DATE],
            cells[_GDELT_ACTOR1].strip(),
            cells[_GDELT_ACTOR2].strip(),
            cells[_GDELT_CODE].strip(),
        )


def _row(
    number: int,
    record: str | None,
    date: str,
    source: str,
    target: str,
    code: str,
    whole: tuple[bool, bool] | None = None,
) -> Row | BadRow:
    day = _date(date)
    if day is None:
        return BadRow(number, "malformed date", f"{_short(date.strip())} is not a date")
    if not _CODE.match(code):
        return BadRow(number, "malformed code", f"{_short(code)} is not a 2-4 digit event code")
    if not source or not target:
        side = "source" if not source else "target"
        return BadRow(number, "missing actor", f"no {side} actor")
    return Row(number, record, day, source, target, code, whole)


__all__ = [
    "FORMATS",
    "GDELT_COLUMNS",
    "MAX_LINE",
    "BadRow",
    "Format",
    "Row",
    "detect_format",
    "lines",
    "rows",
]
