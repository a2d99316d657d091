"""What a batch came to: outcome shares per group of runs, with 95% Wilson intervals.

A :class:`Tally` reads result rows one at a time (from a running batch or from a results file),
keeping only counts per group, so it summarises a million rows in constant memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.batch.sinks import read_rows
from simulator.engine.outcomes import wilson_interval

#: Metric columns are named after their relation: ``PAK-IRN.final_state``; a relation's place
#: on a parallel track after both: ``SAU-CAN:economic.final_state``.
METRIC_COLUMN = re.compile(r"^[A-Z][A-Z0-9_]*-[A-Z][A-Z0-9_]*(:[A-Za-z_][A-Za-z0-9_]*)?\.")
#: Columns of the ``expectations`` metric: ``expect.<id>``, ``invariant.<id>``.
CLAIM_PREFIXES = ("expect.", "invariant.")
#: Columns every results file has besides parameters and metrics.
FIXED_COLUMNS = ("run_id", "point", "replication", "seed", "error")


def parameter_columns(columns: Iterable[str]) -> list[str]:
    """The parameter columns of a results file: neither fixed nor a metric (a relation's, or
    whether an expectation or invariant held)."""
    return [
        c
        for c in columns
        if c not in FIXED_COLUMNS
        and not METRIC_COLUMN.match(c)
        and not c.startswith(CLAIM_PREFIXES)
    ]


def relations_in(columns: Iterable[str]) -> list[str]:
    """The relations whose final states a results file records, in column order."""
    return [
        c.removesuffix(".final_state")
        for c in columns
        if c.endswith(".final_state") and METRIC_COLUMN.match(c)
    ]


def machine_order(columns: Iterable[str], relation: str) -> list[str]:
    """The machine's states as a results file's columns tell them (``days_in_state`` and
    ``first_entered`` columns list every state in the machine's order), or none."""
    order: list[str] = []
    for c in columns:
        for kind in ("days", "first"):
            prefix = f"{relation}.{kind}."
            if c.startswith(prefix) and c.removeprefix(prefix) not in order:
                order.append(c.removeprefix(prefix))
    return order


def typed_rows(path: Path) -> Iterator[dict[str, Any]]:
    """A results file's rows with their numbers as numbers: a CSV file holds text, whose numbers
    are read back here (so that groups sort by value); Parquet and JSON Lines are typed already.

    Raises:
        SinkError: No such file, or not a results format (at once, not on the first row).
    """
    rows = read_rows(path)
    return map(typed_row, rows) if Path(path).suffix == ".csv" else rows


def typed_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row read from CSV with its numbers as numbers (``"0.5"`` -> ``0.5``, ``"3"`` -> ``3``)."""
    return {k: _typed(v) for k, v in row.items()}


def _typed(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


@dataclass
class Group:
    """Counts of one group of runs: all runs, runs with an error, final states."""

    runs: int = 0
    errors: int = 0
    states: dict[str, int] = field(default_factory=dict)
    claims: dict[str, int] = field(default_factory=dict)  # claim column -> runs where it held

    def count(self, row: Mapping[str, Any], relation: str, claims: Sequence[str] = ()) -> bool:
        """Count one result row; ``False`` when the run ended in an error (no state to count).

        ``claims`` are the ``expect.*``/``invariant.*`` columns to count where they held.
        """
        self.runs += 1
        if row.get("error"):
            self.errors += 1
            return False
        state = row.get(f"{relation}.final_state")
        if state is not None:
            self.states[str(state)] = self.states.get(str(state), 0) + 1
        for name in claims:
            # True from Parquet and JSON Lines; "true" from CSV.
            if row.get(name) in (True, "true"):
                self.claims[name] = self.claims.get(name, 0) + 1
        return True

    def add(self, other: Group) -> None:
        """Merge another group's counts into this one."""
        self.runs += other.runs
        self.errors += other.errors
        for s, n in other.states.items():
            self.states[s] = self.states.get(s, 0) + n

    @property
    def ok(self) -> int:
        return self.runs - self.errors


@dataclass(frozen=True, order=True)
class Bin:
    """A group of a numeric column's values: ``[low, high)``, or ``[low, high]`` for the last."""

    low: float
    high: float
    last: bool = False

    def __str__(self) -> str:
        return f"[{self.low:.4g}, {self.high:.4g}{']' if self.last else ')'}"


class Bins:
    """Numeric columns cut into ``n`` bins of equal width over the values seen (see
    :meth:`widen`); other values, and columns of one value, stay as they are."""

    def __init__(self, columns: Sequence[str], n: int) -> None:
        self.n = n
        self.ranges: dict[str, tuple[float, float]] = {}
        self._columns = tuple(columns)

    def widen(self, row: Mapping[str, Any]) -> None:
        """Take a row's values into the ranges (a first pass over the rows)."""
        for c in self._columns:
            v = row.get(c)
            if isinstance(v, int | float) and not isinstance(v, bool):
                low, high = self.ranges.get(c, (v, v))
                self.ranges[c] = (min(low, v), max(high, v))

    def of(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The row with each binned column's value replaced by its :class:`Bin`."""
        out = dict(row)
        for c, (low, high) in self.ranges.items():
            v = row.get(c)
            if not isinstance(v, int | float) or isinstance(v, bool) or high == low:
                continue  # not a number, or a column with one value: nothing to cut
            width = (high - low) / self.n
            i = min(int((v - low) / width), self.n - 1)
            out[c] = Bin(
                low + i * width, high if i == self.n - 1 else low + (i + 1) * width, i == self.n - 1
            )
        return out


class Tally:
    """Counts of final states per group of runs, fed row by row."""

    def __init__(
        self,
        by: Sequence[str],
        relation: str,
        claims: Sequence[str] = (),
        order: Sequence[str] = (),
    ) -> None:
        self.by = tuple(by)
        self.relation = relation
        self.claims = tuple(claims)  # expect.*/invariant.* columns, counted where they held
        self.order = tuple(order)  # the machine's states: columns in this order, when known
        self.groups: dict[tuple[Any, ...], Group] = {}

    def add(self, row: Mapping[str, Any]) -> None:
        """Count one result row."""
        key = tuple(row.get(c) for c in self.by)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group()
        group.count(row, self.relation, self.claims)

    @property
    def runs(self) -> int:
        return sum(g.runs for g in self.groups.values())

    @property
    def errors(self) -> int:
        return sum(g.errors for g in self.groups.values())

    def states(self) -> list[str]:
        """Every final state seen: in the machine's order when it is known (so that two
        summaries have their columns in the same order), else most common overall first."""
        totals: dict[str, int] = {}
        for g in self.groups.values():
            for s, n in g.states.items():
                totals[s] = totals.get(s, 0) + n
        known = [s for s in self.order if s in totals]
        return known + sorted((s for s in totals if s not in known), key=lambda s: (-totals[s], s))

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain data (shares and intervals over the runs without error)."""
        out = []
        for key, g in sorted(self.groups.items(), key=lambda kv: _sort_key(kv[0])):
            ok = g.runs - g.errors
            shares = {s: _share(g.states.get(s, 0), ok) for s in self.states()}
            out.append(
                {
                    "group": {
                        c: str(v) if isinstance(v, Bin) else v
                        for c, v in zip(self.by, key, strict=True)
                    },
                    "runs": g.runs,
                    "errors": g.errors,
                    "final_states": shares,
                    "claims_held": {c: _share(g.claims.get(c, 0), ok) for c in self.claims},
                }
            )
        return {
            "relation": self.relation,
            "by": list(self.by),
            "runs": self.runs,
            "errors": self.errors,
            "groups": out,
        }

    def table(self, limit: int = 50) -> str:
        """A table for people: one line per group, the share ending in each state [95% CI]; then,
        if the results record them, the share of runs in which each claim held."""
        lines = [f"final state of {self.relation}, share of runs [95% Wilson interval]"]
        lines += self._grid(self.states(), lambda g, s: g.states.get(s, 0), limit)
        if self.claims:
            lines.append("")
            lines.append("claims held, share of runs [95% Wilson interval]")
            lines += self._grid(self.claims, lambda g, c: g.claims.get(c, 0), limit)
        lines.append(f"{self.runs:,} runs, {self.errors:,} with errors")
        return "\n".join(lines) + "\n"

    def _grid(
        self, columns: Sequence[str], count: Callable[[Group, str], int], limit: int
    ) -> list[str]:
        """Header, rule and one line per group: ``count(group, column)`` as a share of its runs
        without error, with its interval."""
        head = [*self.by, "runs", *columns]
        rows = []
        for key, g in sorted(self.groups.items(), key=lambda kv: _sort_key(kv[0])):
            ok = g.runs - g.errors
            cells = [_fmt(v) for v in key] + [
                f"{g.runs:,}" + (f" ({g.errors} err)" if g.errors else "")
            ]
            for c in columns:
                n = count(g, c)
                low, high = wilson_interval(n, ok)
                cells.append(
                    f"{100 * n / ok:.1f}% [{100 * low:.1f}–{100 * high:.1f}]" if ok else "–"
                )
            rows.append(cells)
        shown = rows[:limit]
        widths = [
            max(len(h), *(len(r[i]) for r in shown)) if shown else len(h)
            for i, h in enumerate(head)
        ]
        lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
        lines.append("  ".join("-" * w for w in widths))
        lines += [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in shown
        ]
        if len(rows) > limit:
            lines.append(f"... {len(rows) - limit} more groups (see --format json)")
        return lines


def _share(count: int, ok: int) -> dict[str, Any]:
    low, high = wilson_interval(count, ok)
    return {"count": count, "share": count / ok if ok else None, "low": low, "high": high}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "–" if value is None else str(value)


def _sort_key(key: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    # Numbers before text, None last: groups sort the same whatever their value types.
    return tuple(
        (0, v.low)
        if isinstance(v, Bin)
        else (0, v)
        if isinstance(v, int | float)
        else (2, "")
        if v is None
        else (1, str(v))
        for v in key
    )
