"""One run reduced to what Monte Carlo outcomes need: :class:`RunSummary`.

A run's trace (:func:`summarize`) or its outline (:func:`summarize_outline`, what
``Simulator.outline`` keeps of a run: the same summary, without the trace) becomes one small
summary per run: per relation, the final state, the path of states, the days spent in each and
when each was first entered; the records by type and by cause; the kinds of log entries.
:mod:`simulator.engine.tally` folds summaries into outcomes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from simulator.engine.trace import Outline, Trace, track_key


@dataclass(frozen=True, slots=True)
class RelationRun:
    """What one run did to one relation.

    Attributes:
        relation: Relation id.
        final: The state when the run stopped.
        path: The states visited, in order, starting with the initial state; a state repeated
            by consecutive records is listed once.
        days: ``(state, days)`` for each state visited, in order of first entry: the days spent
            in it between the start and the stop (all its visits together).
        entered: ``(state, t)`` for each state visited, in order of first entry: the time (days
            since the start) it was first entered; the initial state at ``0.0``.
    """

    relation: str
    final: str
    path: tuple[str, ...]
    days: tuple[tuple[str, float], ...]
    entered: tuple[tuple[str, float], ...]

    def __reduce__(self) -> tuple[type[RelationRun], tuple[object, ...]]:
        # Rebuilt from positional fields: pickles in half the time of the slots default,
        # which counts when a worker sends back hundreds of summaries per chunk.
        return RelationRun, (self.relation, self.final, self.path, self.days, self.entered)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run reduced to what Monte Carlo outcomes need (small; pickles cheaply).

    Attributes:
        seed: The run's seed.
        horizon: Days simulated (from the start to the end of the stop day).
        relations: One entry per relation, in the scenario's order; then one per relation and
            parallel track, named ``relation:track``.
        by_type: ``(event type, records)`` pairs, sorted by type.
        by_cause: ``(cause, records)`` pairs (``"script"``, ``"rule:<id>"``), sorted by cause.
        log_kinds: The kinds of the trace's log entries (e.g. ``"cap"``), sorted, each once.
    """

    seed: int
    horizon: float
    relations: tuple[RelationRun, ...]
    by_type: tuple[tuple[str, int], ...]
    by_cause: tuple[tuple[str, int], ...]
    log_kinds: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[type[RunSummary], tuple[object, ...]]:
        fields = (self.seed, self.horizon, self.relations, self.by_type, self.by_cause)
        return RunSummary, (*fields, self.log_kinds)


def summarize(trace: Trace, horizon: float | None = None) -> RunSummary:
    """Reduce a trace to a :class:`RunSummary`, reading the trace only.

    Args:
        trace: The run's trace.
        horizon: Days simulated; by default the whole days from ``trace.start`` to the end of
            ``trace.stop`` (what the engine plays). Records after it are not counted in ``days``.
    """
    if horizon is None:
        horizon = float((trace.stop - trace.start).days + 1)
    records = trace.records
    # Only the records that change a state shape a relation's path (most records change none).
    return _summary(
        Outline(
            seed=trace.seed,
            start=trace.start,
            stop=trace.stop,
            final=trace.final,
            moves=tuple(
                (r.relation, r.t, r.before, r.after) for r in records if r.after != r.before
            ),
            by_type=Counter(map(_type_of, records)),
            by_cause=Counter(map(_cause_of, records)),
            # A trace read from an older file has no log.
            log=getattr(trace, "log", ()),
            track_moves=tuple(
                (r.relation, x.track, r.t, x.before, x.after)
                for r in records
                for x in r.tracks
                if x.after != x.before
            )
            if trace.tracks
            else (),
        ),
        horizon,
    )


def summarize_outline(outline: Outline) -> RunSummary:
    """The :class:`RunSummary` of a run from its outline (``Simulator.outline``): the same
    summary that :func:`summarize` makes of the run's trace, without the trace."""
    return _summary(outline, float((outline.stop - outline.start).days + 1))


def _summary(outline: Outline, horizon: float) -> RunSummary:
    horizon = max(horizon, 0.0)
    moves: dict[str, list[tuple[float, str, str]]] = {}
    for relation, t, before, after in outline.moves:
        moves.setdefault(relation, []).append((t, before, after))
    relations = tuple(
        _relation_run(end.relation, end.state, moves.get(end.relation, []), horizon)
        for end in outline.final
    )
    if outline.final and outline.final[0].tracks:
        relations += _track_runs(outline, horizon)
    return RunSummary(
        seed=outline.seed,
        horizon=horizon,
        relations=relations,
        by_type=tuple(sorted(outline.by_type.items())),
        by_cause=tuple(sorted(outline.by_cause.items())),
        log_kinds=tuple(sorted({e.kind for e in outline.log})),
    )


def outline_counts(
    steps: Sequence[Any],
    played: int,
    by_prefix: dict[int, dict[str, int]],
    responses: Mapping[tuple[str, str], int],
) -> dict[str, dict[str, int]]:
    """An outline's records by type and by cause (``by_type``, ``by_cause``), as counting its
    trace's records gives them: the first ``played`` of the scripted ``steps`` (each with a
    ``type``; their counts kept in ``by_prefix``, per number played) and the responses applied,
    per (type, cause)."""
    if played not in by_prefix:
        by_prefix[played] = dict(Counter(step.type for step in steps[:played]))
    by_type = dict(by_prefix[played])
    by_cause = {"script": played} if played else {}
    for (kind, cause), n in responses.items():
        by_type[kind] = by_type.get(kind, 0) + n
        by_cause[cause] = by_cause.get(cause, 0) + n
    return {"by_type": by_type, "by_cause": by_cause}


def _track_runs(outline: Outline, horizon: float) -> tuple[RelationRun, ...]:
    """Each relation's place on each parallel track, summarised as a relation of its own named
    ``relation:track`` (track_key), in the order of the relations, then of the tracks."""
    moves: dict[str, list[tuple[float, str, str]]] = {}
    for relation, track, t, before, after in outline.track_moves:
        moves.setdefault(track_key(relation, track), []).append((t, before, after))
    return tuple(
        _relation_run(key, state, moves.get(key, []), horizon)
        for end in outline.final
        for track, state in end.tracks.items()
        if (key := track_key(end.relation, track))
    )


_type_of = attrgetter("type")
_cause_of = attrgetter("cause")


def _relation_run(
    relation: str, final: str, moves: list[tuple[float, str, str]], horizon: float
) -> RelationRun:
    # The state before the first move is the initial state; with no move, it never changed.
    state = moves[0][1] if moves else final
    path = [state]
    days = {state: 0.0}
    entered = {state: 0.0}
    since = 0.0
    for t, _, after in moves:
        if after == state:
            continue
        now = min(max(t, since), horizon)
        days[state] += now - since
        since, state = now, after
        path.append(state)
        days.setdefault(state, 0.0)
        entered.setdefault(state, now)
    days[state] += horizon - since
    return RelationRun(relation, final, tuple(path), tuple(days.items()), tuple(entered.items()))


__all__ = [
    "RelationRun",
    "RunSummary",
    "outline_counts",
    "summarize",
    "summarize_outline",
    "track_key",
]
