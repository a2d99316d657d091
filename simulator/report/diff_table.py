"""A trace diff as text for people: the headline, both traces side by side from the point of
departure, the events that differ, the states by date, and the finals."""

from __future__ import annotations

import datetime as dt
import difflib
import textwrap

from simulator.engine.trace import Record, RelationEnd, parties_text
from simulator.report.diff import (
    ARROW,
    Departure,
    EventChange,
    TraceDiff,
    VariableDifference,
    record_key,
    relations_of,
    same_value,
)

DATE_W = 10  # the date column: YYYY-MM-DD


def _state_cell(r: Record) -> str:
    """The state change as the trace table shows it (``a → b``, ``a (unchanged)``, ...)."""
    # Repeated from report.table rather than imported: report modules read traces only.
    # Each parallel track the event moved follows: ``; economic: normal → restricted``.
    moved = "".join(
        f"; {x.track}: {x.before} {ARROW} {x.after}" for x in r.tracks if x.before != x.after
    )
    if r.outcome == "transition":
        if r.before != r.after:
            return f"{r.before} {ARROW} {r.after}{moved}"
        return f"{r.after} (again){moved}"
    if r.outcome == "guard_failed":
        return f"{r.after} (guard not met){moved}"
    return f"{r.after} (unchanged){moved}"


def _describe(r: Record) -> str:
    return f"{r.event} ({r.type}, {parties_text(r, f' {ARROW} ')}): {r.relation} " + (
        _state_cell(r)
    )


def _pair(a: float | None, b: float | None) -> tuple[str, str]:
    """Two values shown with 2 decimals, or with more when 2 would hide their difference."""
    shown = tuple("—" if x is None else f"{x:.2f}" for x in (a, b))
    if shown[0] == shown[1] and a != b:
        shown = tuple("—" if x is None else f"{x:.6g}" for x in (a, b))
    return shown[0], shown[1]


def _variables_text(v: VariableDifference) -> str:
    where = f"after {v.event} on {v.relation}" if v.event else f"at the end, on {v.relation}"
    values = ", ".join(
        "{} {} | {}".format(n, *_pair(v.base.get(n), v.whatif.get(n)))
        for n in dict.fromkeys([*v.base, *v.whatif])
    )
    return f"{where}: {values} (base | what-if)"


def _side(label: str, r: Record | None, day: dt.date, marks: dict[int, str]) -> str:
    if r is None:
        return f"{label}: no further event."
    text = _describe(r) + (f" [{marks[id(r)]}]" if id(r) in marks else "")
    if r.when.date() > day:
        return f"{label}: nothing more that day; next, on {r.date_text}, {text}."
    return f"{label}: {text}."


def _headline(d: TraceDiff) -> str:
    dep, var = d.departure, d.variable_departure
    b_marks, w_marks = _marks(d)
    if dep is not None:
        text = (
            f"The what-if departs from the base on {dep.date.isoformat()}. "
            f"{_side('Base', dep.base, dep.date, b_marks)} "
            f"{_side('What-if', dep.whatif, dep.date, w_marks)}"
        )
        if var is not None:
            text += (
                f" Variables differ earlier, from {var.date.isoformat()}, {_variables_text(var)}."
            )
        return text
    same = "the same events on the same dates with the same state changes"
    if var is not None:
        return (
            f"The what-if does not depart from the base: {same}. Only variables differ, from "
            f"{var.date.isoformat()}, {_variables_text(var)}."
        )
    if not d.identical:
        return f"The what-if does not depart from the base ({same}), but the runs cover other days."
    return f"The what-if does not depart from the base: {same}, and the same variables."


def _wrap(text: str, width: int, indent: str = "", more: str = "  ") -> list[str]:
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent + more,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _marks(d: TraceDiff) -> tuple[dict[int, str], dict[int, str]]:
    """Notes for the side-by-side cells, keyed by ``id()`` of the record they belong to."""
    base = {id(r): "only in the base" for r in d.only_in_base}
    whatif = {id(r): "only in the what-if" for r in d.only_in_whatif}
    for c in d.changed:
        if c.moved:
            base[id(c.base)] = f"moved to {c.whatif.date_text}"
            whatif[id(c.whatif)] = f"moved from {c.base.date_text}"
    return base, whatif


def _cell(r: Record | None, width: int, marks: dict[int, str], multi: bool) -> list[str]:
    if r is None:
        return ["—"]
    time = f"{r.date_text[11:]} " if len(r.date_text) > DATE_W else ""
    where = f"{r.relation} " if multi else ""
    text = f"{time}{r.event}: {r.type}, {where}{_state_cell(r)}"
    notes = [marks[id(r)]] if id(r) in marks else []
    if r.cause != "script":
        notes.append(r.cause)
    text += "".join(f" [{n}]" for n in notes)
    return _wrap(text, width)


def _side_by_side(d: TraceDiff, dep: Departure, width: int) -> list[str]:
    col = max((width - DATE_W - 4) // 2, 20)
    b_marks, w_marks = _marks(d)
    multi = len(relations_of(d.base, d.whatif)) > 1
    days: dict[dt.date, tuple[list[Record], list[Record]]] = {}
    for side, records in enumerate((d.base.records, d.whatif.records)):
        for r in records[dep.index :]:
            days.setdefault(r.when.date(), ([], []))[side].append(r)
    lines = [
        f"{'date':<{DATE_W}}  {'base':<{col}}  what-if",
        f"{'-' * DATE_W}  {'-' * col}  {'-' * col}",
    ]
    for day in sorted(days):
        bs, ws = days[day]
        rows: list[tuple[Record | None, Record | None]] = []
        matcher = difflib.SequenceMatcher(
            None, [(r.event, r.relation) for r in bs], [(r.event, r.relation) for r in ws], False
        )
        for _, b0, b1, w0, w1 in matcher.get_opcodes():
            for k in range(max(b1 - b0, w1 - w0)):
                rows.append(
                    (bs[b0 + k] if b0 + k < b1 else None, ws[w0 + k] if w0 + k < w1 else None)
                )
        label = day.isoformat()
        for b, w in rows:
            left = _cell(b, col, b_marks, multi)
            same = b is not None and w is not None and record_key(b) == record_key(w)
            right = ["same"] if same else _cell(w, col, w_marks, multi)
            for k in range(max(len(left), len(right))):
                bl = left[k] if k < len(left) else ""
                wl = right[k] if k < len(right) else ""
                lines.append(f"{label:<{DATE_W}}  {bl:<{col}}  {wl}".rstrip())
                label = ""
    return lines


def _events(d: TraceDiff, width: int) -> list[str]:
    """The events that differ, one per line, under four labels."""

    def state(c: EventChange, r: Record) -> str:
        kind = {"type", "parties"} & set(c.changed)
        return (f"{r.type} {parties_text(r, f' {ARROW} ')}, " if kind else "") + (_state_cell(r))

    groups = {
        "only in the base:": [f"{r.date_text}  {r.event}" for r in d.only_in_base],
        "only in the what-if:": [f"{r.date_text}  {r.event}" for r in d.only_in_whatif],
        "moved:": [
            f"{c.base.event}  {c.base.date_text} {ARROW} {c.whatif.date_text}"
            for c in d.changed
            if c.moved
        ],
        "changed:": [
            f"{c.base.event}  {state(c, c.base)} | {state(c, c.whatif)}"
            for c in d.changed
            if set(c.changed) - {"date"}
        ],
    }
    lines = ["Events that differ"]
    for label, items in groups.items():
        for k, text in enumerate(items or ["none"]):
            lines += _wrap(f"{label if k == 0 else '':<21}{text}", width, "  ", " " * 21)
    return lines


def _states(d: TraceDiff, width: int) -> list[str]:
    lines = ["States that differ, at the end of each day (base | what-if)"]
    if not d.states:
        return [*lines, "  none: every relation is in the same state on every day"]
    rel_w = max(len(g.relation) for g in d.states)
    for g in d.states:
        span = g.first.isoformat()
        if g.last != g.first:
            span += f" .. {g.last.isoformat()}"
        text = f"{span:<24}  {g.relation:<{rel_w}}  {g.base or '—'} | {g.whatif or '—'}"
        lines += _wrap(text, width, "  ", " " * (26 + rel_w))
    return lines


def _finals_lines(d: TraceDiff, width: int) -> list[str]:
    names = list(dict.fromkeys([*d.base.variables, *d.whatif.variables]))
    shown = "tension" if "tension" in names else (names[0] if names else None)

    def end(e: RelationEnd | None, other: RelationEnd | None) -> str:
        if e is None:
            return "—"
        wanted = [
            v
            for v in names
            if v == shown
            or other is None
            or not same_value(e.variables.get(v), other.variables.get(v))
        ]
        values = [
            f"{v} {_pair(e.variables.get(v), None if other is None else other.variables.get(v))[0]}"
            for v in wanted
            if v in e.variables
        ]
        tracks = "".join(f", {track} {state}" for track, state in e.tracks.items())
        return e.state + tracks + (f" ({', '.join(values)})" if values else "")

    rows = [(f.relation, end(f.base, f.whatif), end(f.whatif, f.base), f.same) for f in d.final]
    widths = [max([len(str(r[i])) for r in rows] + [0]) for i in range(3)]
    lines = ["Final states (base | what-if)"]
    for rel, b, w, same in rows:
        text = (
            f"{rel:<{widths[0]}}  {b:<{widths[1]}} | {w:<{widths[2]}}  {'' if same else 'differs'}"
        )
        lines += _wrap(text.rstrip(), width, "  ", " " * (4 + widths[0]))
    return lines


def diff_table(d: TraceDiff, width: int = 100) -> str:
    """The debrief as text: headline, both traces side by side from the departure, events that
    differ, state differences by date, and final states; wrapped to ``width`` columns."""
    lines: list[str] = []
    for label, t in (("base:", d.base), ("what-if:", d.whatif)):
        head = f"{label:<10}{t.title}  (seed {t.seed}, {t.start} .. {t.stop})"
        lines += _wrap(head, width, more=" " * 10)
    lines += ["", *_wrap(_headline(d), width, more="")]
    if d.departure is not None:
        lines += ["", *_side_by_side(d, d.departure, width), "", *_events(d, width)]
    lines += ["", *_states(d, width), "", *_finals_lines(d, width)]
    return "\n".join(lines) + "\n"
