"""Citations of a data file's rows and records: how every output names them, and whether the file
has them.

An event imported from coded event data cites the lines it was coded from (``rows``, 1 = the
file's first line) or the records' ids (``records``: an ICEWS Event ID, a GDELT GLOBALEVENTID)
instead of a verbatim quote. Outputs show such a citation where a quote would stand, as
``rows 1203, 1207 of keds.csv``; ``SourceTexts`` says which rows or records the file lacks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from simulator.core.files import DataFile

#: How many items a long list shows before its count (``rows 1203, 1207 … (12 rows)``).
SHOWN = 2

#: What delimits a field in a data file: tabs (ICEWS, GDELT), commas (CSV) and line ends.
_FIELD_END = re.compile(r"[\t,\n]")


def listed(items: Sequence[object], noun: str, quote: bool = False) -> str:
    """``rows 1203, 1207``, ``row 5``, ``records '7', '9' … (12 records)``: a list named by
    its noun, abbreviated past three items."""
    shown = [repr(str(x)) if quote else str(x) for x in items]
    name = noun if len(items) == 1 else f"{noun}s"
    if len(shown) <= SHOWN + 1:
        return f"{name} {', '.join(shown)}"
    return f"{name} {', '.join(shown[:SHOWN])} … ({len(items)} {name})"


def place_text(
    rows: Sequence[int] | None, records: Sequence[str] | None, file: str | None
) -> str | None:
    """Where in its data file a citation points, as outputs show it in place of a quote
    (``rows 1203, 1207 of keds.csv``), or None for a citation of neither rows nor records."""
    if rows:
        what = listed(rows, "row")
    elif records:
        what = listed(records, "record")
    else:
        return None
    return f"{what} of {file}" if file else what


def _line_count(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def _fields(text: str) -> frozenset[str]:
    # A CSV field may be written in double quotes: "32889836" is the record 32889836.
    return frozenset(f.strip('"') for f in _FIELD_END.split(text))


@dataclass
class SourceTexts:
    """The cited files' texts (None: unreadable, too big ...), each looked at as a check
    needs it, once: whitespace-normalised for quotes, its lines counted, its fields gathered."""

    texts: Mapping[str, str | DataFile | None]
    _normalised: dict[str, str] = field(default_factory=dict, init=False)
    _lines: dict[str, int] = field(default_factory=dict, init=False)
    _fields: dict[str, frozenset[str]] = field(default_factory=dict, init=False)

    def normalised(self, sid: str) -> str | None:
        text = self.texts.get(sid)
        if not isinstance(text, str):  # unread, or a data file scanned for its rows
            return None
        if sid not in self._normalised:
            self._normalised[sid] = normalise(text)
        return self._normalised[sid]

    def missing_rows(self, sid: str, rows: Sequence[int]) -> tuple[list[int], int] | None:
        """The rows past the file's end, with its line count (None: the file is not read)."""
        text = self.texts.get(sid)
        if text is None:
            return None
        if isinstance(text, DataFile):
            return [r for r in rows if r > text.lines], text.lines
        if sid not in self._lines:
            self._lines[sid] = _line_count(text)
        count = self._lines[sid]
        return [r for r in rows if r > count], count

    def missing_records(self, sid: str, records: Sequence[str]) -> list[str] | None:
        """The record ids found in no field of the file (None: the file is not read)."""
        text = self.texts.get(sid)
        if text is None:
            return None
        if isinstance(text, DataFile):
            return [r for r in records if r not in text.found]
        if sid not in self._fields:
            self._fields[sid] = _fields(text)
        return [r for r in records if r not in self._fields[sid]]


def normalise(text: str) -> str:
    """A text with every run of whitespace one space: how a quote is looked for in its file."""
    return " ".join(text.split())


__all__ = ["SHOWN", "SourceTexts", "listed", "normalise", "place_text"]
