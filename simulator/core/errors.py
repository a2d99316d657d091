"""dipsim's errors: one root, and located problems for bad input.

Every error dipsim raises on purpose derives from :class:`DipsimError`, so a caller
(the CLI above all) can tell "the input is wrong" from "dipsim has a bug".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

KeyPath = tuple[str | int, ...]


class DipsimError(Exception):
    """Root of every error dipsim raises deliberately."""


@dataclass(frozen=True, slots=True)
class Location:
    """Where a problem sits in a source file (1-based line and column)."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        file = printable(self.file)  # a name may hold control characters or undecodable bytes
        if self.line is None:
            return file
        if self.column is None:
            return f"{file}:{self.line}"
        return f"{file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, with where it is and the key path to it."""

    location: Location
    key_path: KeyPath
    message: str

    def __str__(self) -> str:
        path = format_key_path(self.key_path)
        return (
            f"{self.location}: {path}: {self.message}"
            if path
            else (f"{self.location}: {self.message}")
        )


class ScenarioError(DipsimError):
    """A scenario (or other input file) is invalid; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("ScenarioError needs at least one problem")
        # Every message quotes at most a prefix of any value (cut_quotes): a file read by
        # mistake (``extends: /etc/passwd``) or a huge value is never printed whole.
        self.problems: tuple[Problem, ...] = tuple(
            p if _QUOTE.search(p.message) is None else Problem(p.location, p.key_path, cut)
            for p in problems
            for cut in (cut_quotes(p.message),)
        )
        super().__init__("\n".join(str(p) for p in self.problems))


class ExpressionError(DipsimError):
    """A guard or probability expression is not in dipsim's small, safe language.

    ``offset`` is the 0-based character position in the expression text, when known;
    ``key_path`` is where the expression is written in the scenario, when known (an expression
    that fails on a run's values: the engine knows which guard or probability it was).
    """

    def __init__(self, message: str, offset: int | None = None, key_path: KeyPath = ()) -> None:
        self.offset = offset
        self.key_path = key_path
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        # Raised in worker processes too: the default pickling would keep the message only.
        return (type(self), (str(self), self.offset, self.key_path))


class BatchError(DipsimError):
    """A batch cannot run: a missing optional library, a bad parameter path, results in the way."""


class SimulationError(DipsimError):
    """A run could not go on: e.g. a guard that cannot be evaluated on the run's values.

    ``key_path`` is the scenario key at fault (``("rules", 0, "probability")``), when known,
    so that a caller holding the scenario's file can locate it (``file:line:col``).
    """

    def __init__(self, message: str, key_path: KeyPath = ()) -> None:
        self.key_path = key_path
        # Both in ``args``: SimPy re-raises a process's exception as ``type(e)(*e.args)``, and
        # pickling (worker processes) rebuilds it the same way.
        super().__init__(message, key_path)

    def __str__(self) -> str:
        return str(self.args[0])


def shown_path(path: Path) -> str:
    """A path as a person would write it: relative to the working folder when it lies inside it
    (what-ifs hold their bases' resolved paths), else as it is."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


#: How much of a value a message quotes: enough to recognise it, never a whole file's worth.
QUOTED_MOST = 60


def _cut(text: str) -> str:
    """A name in a list, cut like a quoted value (a declared name may be 200 characters)."""
    return text if len(text) <= QUOTED_MOST else text[: QUOTED_MOST - 3] + "..."


def printable(text: str) -> str:
    """``text`` with every character that is not printable (control characters, which a
    terminal may obey, and the undecodable bytes of a file name) written as its escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def quoted(value: object, most: int = QUOTED_MOST) -> str:
    """A value (a text, a path, ...) quoted for a message: ``repr``'s quotes and escapes, cut to
    ``most`` characters (``'abc...``) so that a long value, or a file read by mistake, is never
    printed whole."""
    text = repr(str(value) if isinstance(value, Path) else value)
    return text if len(text) <= most else text[: most - 3] + "..."


#: A message quoting a longer text than this has not cut it itself (:func:`quoted` cuts to
#: :data:`QUOTED_MOST`, expressions to 80): :func:`cut_quotes` does.
UNCUT_QUOTE = 100
#: A quoted text as ``repr`` writes it, longer than :data:`UNCUT_QUOTE`, not starting inside a
#: word (so that the apostrophe of "scenario's" starts none).
_LONG = f"{{{UNCUT_QUOTE - 1},}}"
_QUOTE = re.compile(rf"""(?<![\w'"])(?:'(?:[^'\\\n]|\\.){_LONG}'|"(?:[^"\\\n]|\\.){_LONG}")""")


def cut_quotes(message: str) -> str:
    """``message`` with every quoted text in it longer than :data:`UNCUT_QUOTE` characters cut
    to its first :data:`QUOTED_MOST` (``'abc...``), as :func:`quoted` would have quoted it."""
    return _QUOTE.sub(lambda m: m.group()[: QUOTED_MOST - 3] + "...", message)


def format_key_path(path: KeyPath) -> str:
    """Render ``("events", 3, "date")`` as ``events[3].date`` (a key longer than
    :data:`QUOTED_MOST` cut, and written printable)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = printable(_cut(part))
            out += f".{key}" if out else key
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix for a misspelt name, or ``""``."""
    import difflib  # only when a name is wrong: it costs ~10 ms to import, on every start

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {quoted(close[0])}?)" if close else ""


def unknown_name(kind: str, name: str, known: Iterable[str]) -> str:
    """``unknown state 'x' (did you mean 'y'?); known: a, b, c`` (the first dozen names)."""
    known = list(known)
    listing = ", ".join(map(_cut, known[:12])) + (", ..." if len(known) > 12 else "")
    hint = did_you_mean(name, known)
    return f"unknown {kind} {quoted(name)}{hint}; known: {listing or 'none'}"
