"""YAML syntax errors with a fix, and every syntax error of a file in one pass.

PyYAML stops at a file's first syntax error and says what its parser found ("mapping values
are not allowed here"), not what the writer meant nor how to mend it. This module adds, for
the mistakes people make most, the fix (:func:`explain`), and looks for further syntax errors
after the first (:func:`syntax_problems`), so that a file's syntax errors come out in one pass
as its other problems do, rather than one per run.

Looking further: the parser cannot go on after an error, so the text is parsed again from the
next line where a new entry starts — a key or a ``- `` item no more indented than the faulty
line — behind made-up lines (``_:``, ``- _:``) that open, at the same indentations, the
collections that line is nested in. The parse goes only as far as its first error, each new
start is past the last error, and the number of new starts is capped (:data:`MOST_ATTEMPTS`),
so a file full of errors costs a few parses of it, not one per line. The parsing itself is
``yamlread``'s (passed in as ``find``: this module does not import ``yaml``), so the limits on
input hold, and the libyaml and Python parsers give the same messages (every one is PyYAML's).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from simulator.core.errors import Location, Problem

#: Syntax errors reported for one file, at most (the rest are found once these are fixed).
MOST_ERRORS = 10
#: Times the text is parsed again after the first error, at most (each costs up to a parse).
MOST_ATTEMPTS = 20

# YAML's line breaks (PyYAML counts lines by these, and so must the lines read here).
_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_ITEM = re.compile(r" *-(?: |$)")
# A key, plain or quoted, possibly after a list item's "- ": where an entry starts.
_KEY = re.compile(r" *(?:- +)*(?:[^\s#'\"\-?:,\[\]{}&*!|>%@`][^#]*?|'[^']*'|\"[^\"]*\") *:(?: |$)")
_SIMPLE = re.compile(r"(?P<lead> *(?:- +)?)(?P<key>[\w.-]+): +(?P<value>[^'\"\s].*?) *")
#: Scanner errors shown where the scan began (the quote, the line without a colon), not where
#: it gave up (the end of the file, the line after): the mistake is there.
_SHOWN_AT_START = {"while scanning a quoted scalar", "while scanning a simple key"}
_CHARACTER = re.compile(r"found character '(?P<char>[^']+)' that cannot start any token")


class _Mark(Protocol):
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


class Marked(Protocol):
    """A syntax error as PyYAML reports it (``yaml.MarkedYAMLError``): what and where."""

    @property
    def problem(self) -> str | None: ...
    @property
    def context(self) -> str | None: ...
    @property
    def problem_mark(self) -> _Mark | None: ...
    @property
    def context_mark(self) -> _Mark | None: ...


@dataclass(frozen=True)
class Fault:
    """A syntax error in the file's coordinates (0-based lines and columns, as PyYAML's)."""

    problem: str | None
    context: str | None
    line: int
    column: int
    context_line: int | None = None
    context_column: int | None = None

    @classmethod
    def of(cls, err: Marked, shift: int = 0) -> Fault:
        """The fault of a parser's error, its lines moved by ``shift`` (the fragment's start)."""
        mark = err.problem_mark or err.context_mark
        context = err.context_mark
        return cls(
            err.problem,
            err.context,
            mark.line + shift if mark else 0,
            mark.column if mark else 0,
            context.line + shift if context else None,
            context.column if context else None,
        )

    @property
    def start(self) -> int:
        """The line where the mistake starts: for a scanner's error (an unclosed quote, a key
        without its colon), where it began scanning; else where the parser stopped."""
        scanning = (self.context or "").startswith("while scanning")
        return self.context_line if scanning and self.context_line is not None else self.line


def syntax_problems(
    text: str, file: str, error: Marked, find: Callable[[str], Marked | None]
) -> list[Problem]:
    """The problems of a text whose parse failed with ``error``: that one and the syntax errors
    after it (``find`` parses a text as ``yamlread`` does and returns its first error)."""
    lines = _BREAKS.split(text)
    first = Fault.of(error)
    faults = [first, *_further(lines, first, find)]
    problems = []
    for fault in faults:
        line, column, message = explain(fault, lines)
        problems.append(
            Problem(Location(file, line + 1, column + 1), (), f"invalid YAML: {message}")
        )
    return problems


def reader_problem(text: str, file: str, position: int, character: str | int | None) -> Problem:
    """PyYAML's reader refuses a control character (NUL, escape, ...) with an offset only: the
    problem at its line and column."""
    before = text[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    code = character if isinstance(character, int) else ord(character) if character else 0
    message = f"invalid YAML: the character U+{code:04X} is not allowed in YAML text"
    return Problem(Location(file, line, column), (), message)


def _further(lines: list[str], fault: Fault, find: Callable[[str], Marked | None]) -> list[Fault]:
    found: list[Fault] = []
    at = 0
    for _ in range(MOST_ATTEMPTS):
        if len(found) + 1 >= MOST_ERRORS:
            break
        # Never before the last new start (a scan may have begun in the made-up lines), so
        # every new start is further on than the one before.
        start = min(max(fault.start, at), len(lines) - 1)
        resync = _resync(lines, start, _indent(lines[start]))
        if resync is None:
            break
        at = resync
        opening = _parents(lines, at)
        err = find("\n".join([*opening, *lines[at:]]))
        if err is None:
            break
        fault = Fault.of(err, shift=at - len(opening))
        if fault.line < at:  # in the made-up lines: nothing more can be told
            break
        # An alias whose anchor is above the new start is an artefact of starting there.
        if not (fault.problem or "").startswith("found undefined alias"):
            found.append(fault)
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _resync(lines: Sequence[str], after: int, indent: int) -> int | None:
    """The first line after ``after`` that starts an entry (a key or a ``- `` item) and is
    indented no more than ``indent``: the parse can start again there. (Not inside a block
    text, whose lines may look like keys: they are indented more than the line that opens it,
    which is found first.)"""
    for j in range(after + 1, len(lines)):
        line = lines[j]
        if _indent(line) <= indent and (_ITEM.match(line) or _KEY.match(line)):
            return j
    return None


def _parents(lines: Sequence[str], at: int) -> list[str]:
    """Made-up lines that open the collections line ``at`` is nested in, at the indentations
    of the real ones (``_:`` for a key, ``- _:`` for a list item), so that the text from ``at``
    on parses as it would in place. A key on its own at the same indentation as a ``- `` item
    owns it (YAML allows a list under a key without indenting it)."""
    need, item = _indent(lines[at]), bool(_ITEM.match(lines[at]))
    opening: list[str] = []
    for j in range(at - 1, -1, -1):
        if need == 0 and not item:
            break
        line = lines[j]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent, is_item = _indent(line), bool(_ITEM.match(line))
        if indent < need or (indent == need and item and not is_item):
            opening.append(" " * indent + ("- _:" if is_item else "_:"))
            need, item = indent, is_item
    return opening[::-1]


def explain(fault: Fault, lines: Sequence[str]) -> tuple[int, int, str]:
    """Where to show a fault (0-based line and column) and what to say: PyYAML's words, then
    the fix for the common mistakes (quote the value, spaces for tabs, close the quote)."""
    what = fault.problem or fault.context or "invalid YAML"
    line, column = fault.line, fault.column
    if fault.context in _SHOWN_AT_START and fault.context_line is not None:
        line, column = fault.context_line, fault.context_column or 0
    hint = _hint(fault, lines, line, column)
    return line, column, f"{what}; {hint}" if hint else what


def _hint(fault: Fault, lines: Sequence[str], line: int, column: int) -> str | None:
    text = lines[fault.line] if 0 <= fault.line < len(lines) else ""
    problem, context = fault.problem or "", fault.context or ""
    if problem == "mapping values are not allowed here":
        return _colon_hint(text, fault.column, lines, fault.line)
    character = _CHARACTER.fullmatch(problem)
    if character and character["char"] == "\\t":  # the repr of a tab
        return "use spaces instead: YAML does not allow tabs for indentation"
    if character and character["char"] in ("@", "`", "%"):
        return f"quote the value: YAML does not allow {character['char']} to start a plain value"
    if context == "while scanning a quoted scalar" and problem == "found unexpected end of stream":
        written = lines[line] if 0 <= line < len(lines) else ""
        quote = written[column] if column < len(written) else "quote"
        return f"this {quote} is never closed: end the value with the same quote"
    if context == "while scanning a simple key" and problem == "could not find expected ':'":
        return (
            "this line is neither 'key: value' nor a '- ' item: to go on with the value above, "
            "indent it more than its key, or quote the value"
        )
    after_quote = text[: fault.column].rstrip()[-1:] in ("'", '"')
    if problem == "expected <block end>, but found '<scalar>'" and after_quote:
        return (
            "a quoted value ends at its closing quote, so text after it is out of place: quote "
            "the whole value (a quote inside single quotes is written twice), or close a quote "
            "left open above"
        )
    if problem == "expected <block end>, but found '-'":
        return (
            "a '- ' item among the keys of a mapping: make every entry here a key, or put the "
            "list under a key of its own, indented"
        )
    if problem == "sequence entries are not allowed here":
        return "start the list on the line after its key, indented, or write it as [a, b]"
    if problem == "expected <block end>, but found '?'" and context.endswith("block collection"):
        return (
            "a key at the indentation of the list's '- ' items: indent it like the keys of its "
            "item, or start a new item with '- '"
        )
    if problem == "expected <block end>, but found '<block mapping start>'":
        return "check the indentation: the keys of one mapping start in the same column"
    opened = re.fullmatch(r"while parsing a flow (sequence|mapping)", context)
    if opened and fault.context_line is not None and fault.context_column is not None:
        bracket = "[" if opened[1] == "sequence" else "{"
        return (
            f"the {bracket} at line {fault.context_line + 1}, column {fault.context_column + 1} "
            "is not closed where it should be (a text that starts with it is quoted)"
        )
    return None


def _colon_hint(text: str, column: int, lines: Sequence[str], line: int) -> str | None:
    """``mapping values are not allowed here``: a ``': '`` inside a plain value (the common
    case), or a line indented more than the key above, which continues that key's value."""
    if ": " in text[:column]:
        simple = _SIMPLE.fullmatch(text)
        example = ""
        if simple and " #" not in simple["value"]:
            quoted = "'" + simple["value"].replace("'", "''") + "'"
            example = f" ({simple['key']}: {quoted})"
        return f"quote the value: a ': ' inside a plain value starts a mapping{example}"
    above = next((s for s in reversed(lines[:line]) if s.strip() and s.lstrip()[:1] != "#"), "")
    if _indent(text) > _indent(above):
        return (
            "this line is indented more than the one above, so it goes on with that value: "
            "line the keys of one mapping up in the same column"
        )
    return None


__all__ = [
    "MOST_ATTEMPTS",
    "MOST_ERRORS",
    "Fault",
    "Marked",
    "explain",
    "reader_problem",
    "syntax_problems",
]
