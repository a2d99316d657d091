"""Which of the table's columns fit on an event's row at a given width, and which move to the
line under it.

A row that is wider than the terminal wraps mid-word and the table falls apart, so a row never
is: the less essential columns leave the row, lowest first, until it fits, and their cells are
shown together on a *details* line under the row, indented under the second column like the
summary (whose lines are wrapped to the width anyway). The date and the conflict/cooperation
marker always stay; what leaves first is what the rest of the block says again or a reader
needs least to follow the story: the relation and the parties (the summary names them), then
the event type, then the variable, and last the state.

The outcomes table of ``dipsim run --runs`` is laid out the same way, with its own order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: The columns that may leave the row, in the order they do.
DROP_ORDER = ("relation", "parties", "type", "variable", "state")
#: Between the cells of a row.
GAP = 2


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each column goes.

    Attributes:
        row: The positions (in the full list of columns) of those on the row, in order.
        details: The positions of those on the details line under it, in order.
    """

    row: tuple[int, ...]
    details: tuple[int, ...]


def row_width(widths: Sequence[int]) -> int:
    """The columns a row of cells this wide takes, gaps included."""
    return sum(widths) + GAP * max(len(widths) - 1, 0)


def fit(
    names: Sequence[str],
    widths: Sequence[int],
    width: int,
    order: Sequence[str | tuple[str, ...]] = DROP_ORDER,
) -> Layout:
    """The columns ``names`` (each ``widths`` wide) laid out to fit ``width`` columns.

    Columns leave the row in ``order`` (:data:`DROP_ORDER` by default; a tuple of names leave
    together) until it fits; if it still does not (with nothing left but the columns ``order``
    does not name), it is as narrow as it can be.
    """
    row = list(range(len(names)))
    for group in order:
        if row_width([widths[i] for i in row]) <= width:
            break
        for name in (group,) if isinstance(group, str) else group:
            if name in names:
                row.remove(names.index(name))
    details = tuple(i for i in range(len(names)) if i not in row)
    return Layout(tuple(row), details)
