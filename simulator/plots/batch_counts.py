"""A batch's result rows counted for its figure: runs, errors and final states per group."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulator.batch.summary import (
    Group,
    machine_order,
    parameter_columns,
    relations_in,
    typed_row,
)
from simulator.core.errors import DipsimError

#: A numeric parameter with more distinct values than this is cut into bins (for the x axis).
MAX_X_VALUES = 12
X_BINS = 8


#: Counts of one group of runs: the batch summary's own group (one way of counting rows).
Cell = Group


@dataclass
class BatchCounts:
    """What a batch's rows come to for the figure, kept small: counts per (facet, x) value."""

    columns: list[str]
    relation: str
    x: str
    facet: str | None
    reach_column: str | None
    cells: dict[tuple[Any, Any], Cell] = field(default_factory=dict)
    days: dict[Any, list[float]] = field(default_factory=dict)  # per x value, runs that reached
    ok: dict[Any, int] = field(default_factory=dict)  # per x value, runs without error
    span: float | None = None  # days a run lasts, if the days_in_state columns tell


def count_batch(
    rows: Iterator[Mapping[str, Any]],
    relation: str | None,
    x: str | None,
    facet: str | None,
    state: str | None,
) -> BatchCounts:
    first = next(rows, None)
    if first is None:
        raise DipsimError("the results have no rows")
    columns = list(first)
    relations = relations_in(columns)
    if not relations:
        raise DipsimError("the results record no final states (no <A>-<B>.final_state column)")
    rel = relation or relations[0]
    if rel not in relations:
        raise DipsimError(f"relation {rel!r}: the results record {', '.join(relations)}")
    params = parameter_columns(columns)
    x_col = x or (params[0] if params else "point")
    for name in (x_col, facet):
        if name is not None and name not in columns:
            raise DipsimError(f"no column {name!r}; columns: {', '.join(columns)}")
    reached = _reach_state(columns, rel, state)
    counts = BatchCounts(
        columns, rel, x_col, facet, None if reached is None else f"{rel}.first.{reached}"
    )
    for row in (first, *rows):
        _count_row(counts, typed_row(row))
    return counts


def _reach_state(columns: Sequence[str], relation: str, state: str | None) -> str | None:
    """The state whose days-to-reach are drawn, if the results have them (``first_entered``)."""
    prefix = f"{relation}.first."
    recorded = [c.removeprefix(prefix) for c in columns if c.startswith(prefix)]
    if state is not None:
        if state not in recorded:
            raise DipsimError(
                f"the results have no {prefix}{state} column (first_entered of {state!r})"
            )
        return state
    if not recorded:
        return None
    return "restored" if "restored" in recorded else recorded[-1]


def _count_row(counts: BatchCounts, row: Mapping[str, Any]) -> None:
    xv = row.get(counts.x)
    fv = row.get(counts.facet) if counts.facet else None
    cell = counts.cells.get((xv, fv))
    if cell is None:
        cell = counts.cells[(xv, fv)] = Cell()
    if not cell.count(row, counts.relation):
        return
    if counts.span is None:
        spent = [v for k, v in row.items() if k.startswith(f"{counts.relation}.days.")]
        if spent and all(isinstance(v, int | float) for v in spent):
            counts.span = float(sum(spent))
    if counts.reach_column is not None:
        counts.ok[xv] = counts.ok.get(xv, 0) + 1
        day = row.get(counts.reach_column)
        if isinstance(day, int | float):
            counts.days.setdefault(xv, []).append(float(day))


def batch_states(counts: BatchCounts) -> list[str]:
    """The final states seen, in the machine's order where the columns tell it."""
    seen: dict[str, int] = {}
    for cell in counts.cells.values():
        for s, n in cell.states.items():
            seen[s] = seen.get(s, 0) + n
    machine = machine_order(counts.columns, counts.relation)
    ordered = [s for s in machine if s in seen]
    return ordered + sorted((s for s in seen if s not in ordered), key=lambda s: -seen[s])


def _sort_key(value: Any) -> tuple[int, Any]:
    # Numbers before text, None last, as `dipsim summarize` sorts its groups.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, value)
    return (2, "") if value is None else (1, str(value))


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def group_values(
    cells: Mapping[tuple[Any, Any], Cell], axis: int
) -> dict[Any, tuple[str, float | None]]:
    """Each value of one coordinate -> its group's label and numeric position.

    Few values, or text: one group per value (numbers at their value, text evenly spaced). Many
    numeric values (a sampled design): equal-width bins, each at its centre.
    """
    values = sorted({key[axis] for key in cells}, key=_sort_key)
    if not _numeric(values):
        return {v: (_fmt(v), None) for v in values}
    limit = MAX_X_VALUES if axis == 0 else 6
    if len(values) <= limit:
        return {v: (_fmt(v), float(v)) for v in values}
    bins = X_BINS if axis == 0 else 4
    low, high = float(values[0]), float(values[-1])
    width = (high - low) / bins
    out: dict[Any, tuple[str, float | None]] = {}
    for v in values:
        k = min(bins - 1, int((float(v) - low) / width))
        a, b = low + k * width, low + (k + 1) * width
        out[v] = (f"{a:.3g}\u2013{b:.3g}", (a + b) / 2)
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "\u2013" if value is None else str(value)


def merged_cells(
    counts: BatchCounts,
    x_groups: Mapping[Any, tuple[str, float | None]],
    facet_label: str,
    facet_groups: Mapping[Any, tuple[str, float | None]],
) -> dict[str, Cell]:
    """The cells of one facet, merged by x group (label -> cell), in x order."""
    merged: dict[str, Cell] = {}
    for label, _ in dict.fromkeys(x_groups.values()):
        merged[label] = Cell()
    for (xv, fv), cell in counts.cells.items():
        if facet_groups[fv][0] == facet_label:
            merged[x_groups[xv][0]].add(cell)
    return {k: v for k, v in merged.items() if v.runs}
