"""Where a what-if's trace departs from its base's: the debrief a class discusses.

:func:`diff_traces` compares two :class:`~simulator.engine.trace.Trace` objects (nothing else: a
trace
read back from JSON is as good as a fresh one); :func:`diff_json` renders the result for programs
and :func:`simulator.report.diff_table.diff_table` for people. Records are read by attribute
only, so fields that the engine adds later (e.g. ``caused_by``) do not disturb the comparison.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.core.text import json_text
from simulator.engine.trace import Record, RelationEnd, Trace, track_key

#: 2: an event's id is `event_id` (it was `event`), as in traces (format 2).
DIFF_FORMAT = 2
ARROW = "→"


@dataclass(frozen=True, slots=True)
class Departure:
    """The first place where the two traces' records differ.

    Attributes:
        date: The day of the departure (the earlier of the two records' days).
        index: Position of the first differing record (the same in both traces).
        base: The base's record there, or None when the base has no more records.
        whatif: The what-if's record there, or None when it has no more records.
    """

    date: dt.date
    index: int
    base: Record | None
    whatif: Record | None


@dataclass(frozen=True, slots=True)
class VariableDifference:
    """The first place where the variables differ while the records still agree.

    ``event`` is None when the records agree throughout and only the final values differ.
    """

    date: dt.date
    event: str | None
    relation: str
    base: dict[str, float]
    whatif: dict[str, float]


@dataclass(frozen=True, slots=True)
class EventChange:
    """An event (same id, same relation) in both traces that differs.

    ``changed`` names what differs: ``date``, ``type``, ``parties`` (actor or targets),
    ``state`` (state before or after, or outcome) and/or ``tracks`` (its steps on the parallel
    tracks).
    """

    base: Record
    whatif: Record
    changed: tuple[str, ...]

    @property
    def moved(self) -> bool:
        """True when the event happens at another date or time in the what-if."""
        return "date" in self.changed


@dataclass(frozen=True, slots=True)
class StateGap:
    """Days ``first`` .. ``last`` on which ``relation`` ends the day in different states.

    A state is None on days outside that trace's span (or for a relation it does not have).
    """

    relation: str
    first: dt.date
    last: dt.date
    base: str | None
    whatif: str | None


@dataclass(frozen=True, slots=True)
class FinalPair:
    """A relation's final state and variables in each trace (None where it is absent)."""

    relation: str
    base: RelationEnd | None
    whatif: RelationEnd | None

    @property
    def same(self) -> bool:
        return (
            self.base is not None
            and self.whatif is not None
            and self.base.state == self.whatif.state
            and self.base.tracks == self.whatif.tracks
            and same_values(self.base.variables, self.whatif.variables)
        )


@dataclass(frozen=True, slots=True)
class TraceDiff:
    """Everything :func:`diff_traces` found; see its docstring."""

    base: Trace
    whatif: Trace
    departure: Departure | None
    variable_departure: VariableDifference | None
    only_in_base: tuple[Record, ...]
    only_in_whatif: tuple[Record, ...]
    changed: tuple[EventChange, ...]
    states: tuple[StateGap, ...]
    final: tuple[FinalPair, ...]

    @property
    def identical(self) -> bool:
        """True when the records, the variables, the daily states and the finals all agree."""
        return (
            self.departure is None
            and self.variable_departure is None
            and not self.states
            and all(f.same for f in self.final)
        )


def record_key(r: Record) -> tuple[object, ...]:
    # A record's steps on the parallel tracks are part of it (none without tracks).
    return (
        r.event,
        r.relation,
        r.when,
        r.type,
        r.actor,
        r.target,
        r.before,
        r.after,
        r.outcome,
        r.actors,
        r.stance,
        r.sides,
        r.tone,
        r.tracks,
    )


def diff_traces(base: Trace, whatif: Trace) -> TraceDiff:
    """Compare a what-if's trace with its base's.

    Finds: the first record where they differ (event, relation, time, type, parties, state
    before and after, outcome); the first difference in variables while records agree; the
    events present in one trace only and those present in both but moved or changed (events are
    matched by id and relation, the k-th occurrence with the k-th); for each relation and day,
    the end-of-day states where they differ, collapsed into date ranges; the final states.
    """
    departure: Departure | None = None
    agreed = min(len(base.records), len(whatif.records))
    for i, (b, w) in enumerate(zip(base.records, whatif.records, strict=False)):
        if record_key(b) != record_key(w):
            agreed = i
            break
    if agreed < max(len(base.records), len(whatif.records)):
        b_rec = base.records[agreed] if agreed < len(base.records) else None
        w_rec = whatif.records[agreed] if agreed < len(whatif.records) else None
        days = [r.when.date() for r in (b_rec, w_rec) if r is not None]
        departure = Departure(min(days), agreed, b_rec, w_rec)
    only_base, only_whatif, changed = _match_events(base.records, whatif.records)
    return TraceDiff(
        base=base,
        whatif=whatif,
        departure=departure,
        variable_departure=_first_variable_difference(base, whatif, agreed, departure is None),
        only_in_base=only_base,
        only_in_whatif=only_whatif,
        changed=changed,
        states=(*_state_gaps(base, whatif), *_track_gaps(base, whatif)),
        final=_finals(base, whatif),
    )


def same_value(a: float | None, b: float | None) -> bool:
    """Whether two values of a variable are the same, NaN included (NaN is not equal to itself,
    yet a variable that is NaN in both traces does not differ)."""
    return a == b or (a is not None and b is not None and math.isnan(a) and math.isnan(b))


def same_values(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two sets of variables are the same (:func:`same_value`)."""
    return a.keys() == b.keys() and all(same_value(a[n], b[n]) for n in a)


def _differing(
    a: dict[str, float], b: dict[str, float]
) -> tuple[dict[str, float], dict[str, float]]:
    names = [n for n in dict.fromkeys([*a, *b]) if not same_value(a.get(n), b.get(n))]
    return {n: a[n] for n in names if n in a}, {n: b[n] for n in names if n in b}


def _first_variable_difference(
    base: Trace, whatif: Trace, agreed: int, records_same: bool
) -> VariableDifference | None:
    for b, w in zip(base.records[:agreed], whatif.records[:agreed], strict=True):
        if not same_values(b.variables, w.variables):
            bv, wv = _differing(b.variables, w.variables)
            return VariableDifference(b.when.date(), b.event, b.relation, bv, wv)
    if records_same:
        for pair in _finals(base, whatif):
            b_end, w_end = pair.base, pair.whatif
            if (
                b_end is not None
                and w_end is not None
                and not same_values(b_end.variables, w_end.variables)
            ):
                bv, wv = _differing(b_end.variables, w_end.variables)
                day = min(base.stop, whatif.stop)
                return VariableDifference(day, None, pair.relation, bv, wv)
    return None


def _occurrences(records: Iterable[Record]) -> dict[tuple[str, str, int], Record]:
    seen: dict[tuple[str, str], int] = {}
    found: dict[tuple[str, str, int], Record] = {}
    for r in records:
        n = seen.get((r.event, r.relation), 0)
        seen[(r.event, r.relation)] = n + 1
        found[(r.event, r.relation, n)] = r
    return found


def _match_events(
    base: Sequence[Record], whatif: Sequence[Record]
) -> tuple[tuple[Record, ...], tuple[Record, ...], tuple[EventChange, ...]]:
    b_occ, w_occ = _occurrences(base), _occurrences(whatif)
    changes: list[EventChange] = []
    for key, b in b_occ.items():
        w = w_occ.get(key)
        if w is None:
            continue
        changed = tuple(
            name
            for name, differs in (
                ("date", b.when != w.when),
                ("type", b.type != w.type),
                ("parties", _parties(b) != _parties(w)),
                ("state", (b.before, b.after, b.outcome) != (w.before, w.after, w.outcome)),
                ("tracks", b.tracks != w.tracks),
            )
            if differs
        )
        if changed:
            changes.append(EventChange(b, w, changed))
    return (
        tuple(r for k, r in b_occ.items() if k not in w_occ),
        tuple(r for k, r in w_occ.items() if k not in b_occ),
        tuple(changes),
    )


def relations_of(base: Trace, whatif: Trace) -> list[str]:
    names = [f.relation for t in (base, whatif) for f in t.final]
    names += [r.relation for t in (base, whatif) for r in t.records]
    return list(dict.fromkeys(names))


def _daily_states(
    trace: Trace, relations: list[str], days: list[dt.date]
) -> dict[str, list[str | None]]:
    """Each relation's end-of-day state on each day (as ``Trace.states_on``, in one sweep)."""
    state: dict[str, str] = {r.relation: r.before for r in reversed(trace.records)}
    for end in trace.final:
        state.setdefault(end.relation, end.state)
    records = sorted(trace.records, key=lambda r: r.when)
    out: dict[str, list[str | None]] = {rel: [] for rel in relations}
    i = 0
    for day in days:
        while i < len(records) and records[i].when.date() <= day:
            state[records[i].relation] = records[i].after
            i += 1
        inside = trace.start <= day <= trace.stop
        for rel in relations:
            out[rel].append(state.get(rel) if inside else None)
    return out


def _state_gaps(base: Trace, whatif: Trace) -> tuple[StateGap, ...]:
    first, last = min(base.start, whatif.start), max(base.stop, whatif.stop)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    relations = relations_of(base, whatif)
    b_states, w_states = (_daily_states(t, relations, days) for t in (base, whatif))
    gaps: list[StateGap] = []
    for rel in relations:
        run: StateGap | None = None
        for day, b, w in zip(days, b_states[rel], w_states[rel], strict=True):
            if b == w:
                run = None
            elif run is not None and (run.base, run.whatif) == (b, w):
                gaps[-1] = run = StateGap(rel, run.first, day, b, w)
            else:
                run = StateGap(rel, day, day, b, w)
                gaps.append(run)
    order = {rel: i for i, rel in enumerate(relations)}
    return tuple(sorted(gaps, key=lambda g: (g.first, order[g.relation])))


def _track_gaps(base: Trace, whatif: Trace) -> tuple[StateGap, ...]:
    """The days on which a relation's place on a parallel track differs, as its
    ``relation:track`` (after the relations' own gaps)."""
    return tuple(
        StateGap(track_key(g.relation, track), g.first, g.last, g.base, g.whatif)
        for track in dict.fromkeys([*base.tracks, *whatif.tracks])
        for g in _state_gaps(base.on_track(track), whatif.on_track(track))
    )


def _finals(base: Trace, whatif: Trace) -> tuple[FinalPair, ...]:
    b_end = {f.relation: f for f in base.final}
    w_end = {f.relation: f for f in whatif.final}
    names = dict.fromkeys([*b_end, *w_end])
    return tuple(FinalPair(rel, b_end.get(rel), w_end.get(rel)) for rel in names)


# --- for programs -------------------------------------------------------------------------------


def _parties(r: Record) -> tuple[object, ...]:
    """Who took part and how: every actor, the targets, the stance and its tone here."""
    return (r.parties, r.target, r.stance, r.sides, r.tone)


def _record_dict(r: Record | None) -> dict[str, Any] | None:
    if r is None:
        return None
    full = r.to_dict()
    # An act of several parties or a third party's carries them, as in its trace.
    extra = {k: full[k] for k in ("actors", "stance", "sides", "tone") if k in full}
    return {
        "date": r.date_text,
        "event_id": r.event,
        "type": r.type,
        "actor": r.actor,
        "target": list(r.target),
        "relation": r.relation,
        "before": r.before,
        "after": r.after,
        "outcome": r.outcome,
        "cause": r.cause,
        # getattr: caused_by is new in traces; a trace from before it still compares.
        "caused_by": list(getattr(r, "caused_by", ())),
    } | extra


def _end_dict(e: RelationEnd | None) -> dict[str, Any] | None:
    return None if e is None else {"state": e.state, "variables": dict(e.variables)}


def _trace_dict(t: Trace) -> dict[str, Any]:
    return {
        "title": t.title,
        "seed": t.seed,
        "start": t.start.isoformat(),
        "stop": t.stop.isoformat(),
    }


def diff_to_dict(d: TraceDiff) -> dict[str, Any]:
    """The diff as plain data, keys in a fixed order (see docs/cli.md, ``dipsim diff``)."""
    dep = d.departure
    var = d.variable_departure
    return {
        "diff_format": DIFF_FORMAT,
        "identical": d.identical,
        "base": _trace_dict(d.base),
        "whatif": _trace_dict(d.whatif),
        "departure": None
        if dep is None
        else {
            "date": dep.date.isoformat(),
            "index": dep.index,
            "base": _record_dict(dep.base),
            "whatif": _record_dict(dep.whatif),
        },
        "variable_departure": None
        if var is None
        else {
            "date": var.date.isoformat(),
            "event_id": var.event,
            "relation": var.relation,
            "base": dict(var.base),
            "whatif": dict(var.whatif),
        },
        "only_in_base": [_record_dict(r) for r in d.only_in_base],
        "only_in_whatif": [_record_dict(r) for r in d.only_in_whatif],
        "changed": [
            {
                "event_id": c.base.event,
                "relation": c.base.relation,
                "changed": list(c.changed),
                "base": _record_dict(c.base),
                "whatif": _record_dict(c.whatif),
            }
            for c in d.changed
        ],
        "states": [
            {
                "relation": g.relation,
                "from": g.first.isoformat(),
                "to": g.last.isoformat(),
                "base": g.base,
                "whatif": g.whatif,
            }
            for g in d.states
        ],
        "final": [
            {
                "relation": f.relation,
                "same": f.same,
                "base": _end_dict(f.base),
                "whatif": _end_dict(f.whatif),
            }
            for f in d.final
        ],
    }


def diff_json(d: TraceDiff) -> str:
    """The diff as indented JSON, byte for byte the same for the same two traces (a number that
    is not finite is ``null``)."""
    return json_text(diff_to_dict(d)) + "\n"


# --- for people ---------------------------------------------------------------------------------
