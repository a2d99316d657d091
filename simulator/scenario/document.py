"""A document read from a YAML file: its plain data, and where each of its values is written.

Positions are only needed to place a message, and most files load without one. So a document
read the fast way (:mod:`simulator.scenario.yamlplain`) carries no positions: it carries the
text it was read from, and the positions are worked out from that text, once, the first time
something asks where a value is (:class:`Written`). A document read the located way, or made
up by the loader (a what-if's merged data, placed at an edit), has its tables from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulator.core.errors import KeyPath, Location, Problem

#: A key path's line and column (1-based), for values or for keys.
Positions = dict[KeyPath, tuple[int, int]]


class Written:
    """Where the values of a text are written, worked out from the text when first asked.

    ``data`` is the text's own data as read (a what-if's document moves on to merged data;
    whether a path is written in the file is a question about this one).
    """

    def __init__(
        self,
        data: Any,
        locate_all: Callable[[], tuple[Positions, Positions]] | None = None,
        tables: tuple[Positions, Positions] | None = None,
    ) -> None:
        self.data = data
        # ``locate_all``: a partial of module-level parts, so that a document pickles.
        self._locate_all = locate_all
        self._tables = tables

    @property
    def tables(self) -> tuple[Positions, Positions]:
        """The positions of the values and of the keys (read from the text on first use)."""
        if self._tables is None:
            self._tables = self._locate_all() if self._locate_all is not None else ({}, {})
            self._locate_all = None  # the text it holds is no longer needed
        return self._tables

    def has(self, path: KeyPath) -> bool:
        """Whether ``path`` names a value written in the text: the data as read holds a value
        at every written path and nowhere else (which is what the tables' keys are), so this
        needs no positions."""
        if self._tables is not None:
            return path in self._tables[0]
        current: Any = self.data
        for part in path:
            if (isinstance(current, dict) and part in current) or (
                isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
            ):
                current = current[part]  # type: ignore[index]  # a list's index is an int here
            else:
                return False
        return True


class Document:
    """Plain data read from a YAML file, with the position of every key path.

    ``positions`` maps a key path (``("events", 3, "date")``) to the 1-based line and column
    of its value, ``key_positions`` to those of its key; :meth:`locate` falls back to the
    nearest enclosing path. Either table given, or ``written`` (worked out when first needed).
    ``plain_digits``: the key paths of unquoted digits read as text (a leading zero: ``050``),
    which other YAML readers may take for a number; a field that must be text can refuse them.
    """

    def __init__(
        self,
        file: str,
        data: Any,
        positions: Positions | None = None,
        key_positions: Positions | None = None,
        *,
        written: Written | None = None,
        plain_digits: set[KeyPath] | None = None,
    ) -> None:
        self.file = file
        self.data = data
        self.plain_digits: set[KeyPath] = set() if plain_digits is None else plain_digits
        if written is None:
            tables = (
                {} if positions is None else positions,
                {} if key_positions is None else key_positions,
            )
            written = Written(data, tables=tables)
        self._written = written

    @property
    def positions(self) -> Positions:
        return self._written.tables[0]

    @property
    def key_positions(self) -> Positions:
        return self._written.tables[1]

    def has(self, path: KeyPath) -> bool:
        """Whether the file has a value at ``path`` (``path in positions``, without reading
        the positions when they have not been needed yet)."""
        return self._written.has(path)

    def moved_to(self, data: Any) -> Document:
        """Other data located by this document's positions (a what-if's merged scenario, whose
        keys are placed where the what-if writes them). Its ``plain_digits`` are not carried
        over: they are paths in this document's data (and checked there)."""
        return Document(self.file, data, written=self._written)

    def locate(self, path: KeyPath, *, key: bool = False) -> Location:
        """Where the value (or, with ``key=True``, the key) at ``path`` is written."""
        positions, key_positions = self._written.tables
        table = key_positions if key else positions
        probe = tuple(path)
        while True:
            if probe in table:
                line, col = table[probe]
                return Location(self.file, line, col)
            if key and probe in positions:
                line, col = positions[probe]
                return Location(self.file, line, col)
            if not probe:
                return Location(self.file, 1, 1)
            probe = probe[:-1]

    def problem(self, path: KeyPath, message: str, *, key: bool = False) -> Problem:
        """A :class:`Problem` located at ``path``."""
        return Problem(self.locate(path, key=key), path, message)
