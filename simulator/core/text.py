"""Text as dipsim writes it: free of terminal controls, inert in spreadsheets, valid JSON.

Scenario and batch texts are data from files anyone may hand over, and dipsim prints them. Three
rules hold for everything it writes as text (tables, JSON, CSV, messages):

- **No terminal controls.** A C0 control character (except newline and tab, which layouts use),
  DEL, a C1 control character or a bidirectional override (U+202A–U+202E, U+2066–U+2069, the
  "Trojan Source" characters) is shown as its escape text, ``\\x1b`` or ``\\u202e``
  (:func:`printable`): an ``ESC ] 52`` sequence would otherwise set the reader's clipboard, an
  ``ESC [ 2J`` clear the screen, an OSC 8 sequence hide a link, an override reorder what is
  read. The escape text is visible and says what was there; it is not undone on reading (a
  backslash already in the text is not escaped). JSON escapes the same characters as
  ``\\u001b`` instead, which is exact (:func:`json_text`).
- **No spreadsheet formulas.** A CSV text cell beginning with ``=``, ``+``, ``-``, ``@``, tab or
  carriage return (OWASP's list) is written with a ``'`` before it (:func:`csv_cell`), which
  spreadsheets show as text; numbers are not text cells, so ``-0.5`` stays a number.
  :func:`csv_uncell` undoes it exactly, so a results file still round-trips its texts.
- **Valid JSON.** ``NaN`` and infinities are not JSON numbers: they are written as ``null``
  (as JavaScript's ``JSON.stringify`` does), and ``allow_nan=False`` makes any that slips
  through an error rather than invalid output.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

#: What :func:`printable` shows as escape text: C0 but tab and newline, DEL, C1, bidi controls.
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: What JSON leaves raw of those: ``json.dumps`` escapes C0 itself, not DEL, C1 or bidi.
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: A CSV text cell that a spreadsheet would read as a formula, or (with ``'`` before it) one
#: that carries the guard already: guarded too, so that :func:`csv_uncell` is exact.
_FORMULA = re.compile("'*[=+\\-@\t\r]")
#: The first characters of a cell that may need the guard (a quick test before the pattern).
_FORMULA_START = frozenset("'=+-@\t\r")


def _shown(found: re.Match[str]) -> str:
    code = ord(found[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with each terminal control character shown as its escape text (``\\x1b``)."""
    return CONTROLS.sub(_shown, text) if CONTROLS.search(text) else text


def printable_data(data: Any) -> Any:
    """Plain data (dicts, lists, texts, numbers) with :func:`printable` applied to every text,
    keys included."""
    if isinstance(data, str):
        return printable(data)
    if isinstance(data, dict):
        return {printable_data(k): printable_data(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [printable_data(v) for v in data]
    return data


def finite(data: Any) -> Any:
    """Plain data with every float that is not finite (``inf``, ``-inf``, ``nan``) as None."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite(v) for v in data]
    return data


def json_text(
    data: Any,
    indent: int | None = 2,
    *,
    ascii_only: bool = False,
    separators: tuple[str, str] | None = None,
) -> str:
    """``data`` as JSON that strict parsers accept and terminals cannot be steered by.

    Numbers that are not finite are ``null`` (:func:`finite`); DEL, C1 and bidi controls are
    ``\\u`` escapes like the C0 ones ``json.dumps`` escapes itself. No newline is added.
    """

    def dumps(value: Any) -> str:
        return json.dumps(
            value, indent=indent, ensure_ascii=ascii_only, allow_nan=False, separators=separators
        )

    try:  # most data is finite: walking it first would double the cost of a batch's row
        text = dumps(data)
    except ValueError:
        text = dumps(finite(data))
    # These characters are never JSON syntax, so outside strings they cannot occur.
    if ascii_only or not _JSON_RAW.search(text):
        return text
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def csv_cell(text: str) -> str:
    """A text cell for CSV, with a ``'`` before what a spreadsheet would take for a formula
    (``=``, ``+``, ``-``, ``@``, tab or carriage return first, after any ``'``).

    Control characters are left to the output: a results file keeps its texts exactly, and
    what a command prints passes through :func:`printable`.
    """
    if text and text[0] in _FORMULA_START and _FORMULA.match(text):
        return "'" + text
    return text


def csv_uncell(text: str) -> str:
    """A text cell read from CSV, without the ``'`` that :func:`csv_cell` put before it.

    Exact: a cell that starts with ``'`` and then, after any more ``'``, a guarded character was
    guarded by the writer (which guards every such text), so its first ``'`` is dropped.
    """
    if text.startswith("'") and _FORMULA.match(text, 1):
        return text[1:]
    return text
