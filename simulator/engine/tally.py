"""Folding run summaries into :class:`~simulator.engine.outcomes.Outcomes`, in run order.

:meth:`OutcomeTally.add` folds one :class:`~simulator.engine.summary.RunSummary` at a time: the
reference. :func:`~simulator.engine.montecarlo.run_many` does not send summaries from its
workers, though (unpickling and folding them one by one cost the parent a tenth of a run's
time, on the cores the workers need): a worker folds its chunk of consecutive runs into a
:class:`ChunkTally` — counts, and every float that the outcomes add up or rank, kept in run
order in a compact ``array`` — and the parent folds the chunk tallies, in chunk order, with
:meth:`OutcomeTally.merge`. The counts merge exactly, and each day count is added to its running
sum one at a time in run order, exactly as :meth:`OutcomeTally.add` adds it, so merging the
chunk tallies of any cutting of the runs leaves the tally as adding their summaries one by one
would, to the last bit of every floating-point sum (``tests/test_tally.py``).
"""

from __future__ import annotations

import datetime as dt
import operator
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import reduce

from simulator.engine.outcomes import (
    DaysToReach,
    Outcomes,
    PathCount,
    Proportion,
    RelationOutcomes,
    StateOutcome,
)
from simulator.engine.summary import RelationRun, RunSummary, track_key
from simulator.scenario.model import Scenario

#: How many of the most common state paths an ``Outcomes`` keeps per relation.
TOP_PATHS = 5


def _floats() -> array[float]:
    return array("d")


class _RelationChunk:
    """What a chunk of runs did to one relation: counts, and the floats in run order."""

    __slots__ = ("days", "ended", "entered", "paths")

    def __init__(self) -> None:
        self.ended: Counter[str] = Counter()
        self.paths: Counter[tuple[str, ...]] = Counter()
        # Per state, in order of first appearance: each run's days in it, in run order (the
        # parent adds them to its sums in this order), and each first-entry time.
        self.days: dict[str, array[float]] = {}
        self.entered: dict[str, array[float]] = {}

    def add(self, run: RelationRun) -> None:
        self.ended[run.final] += 1
        self.paths[run.path] += 1
        for floats, pairs in ((self.days, run.days), (self.entered, run.entered)):
            for state, value in pairs:
                values = floats.get(state)
                if values is None:
                    values = floats[state] = _floats()
                values.append(value)

    def __reduce__(self) -> tuple[object, ...]:
        return _relation_chunk, (self.ended, self.paths, self.days, self.entered)


def _relation_chunk(
    ended: Counter[str],
    paths: Counter[tuple[str, ...]],
    days: dict[str, array[float]],
    entered: dict[str, array[float]],
) -> _RelationChunk:
    part = _RelationChunk()
    part.ended, part.paths, part.days, part.entered = ended, paths, days, entered
    return part


class ChunkTally:
    """Consecutive runs folded where they ran (a worker), to be merged by an
    :class:`OutcomeTally` in run order; pickles small (a few kB for hundreds of runs)."""

    __slots__ = ("by_cause", "by_type", "log_runs", "relations", "runs")

    def __init__(self) -> None:
        self.runs = 0
        self.relations: dict[str, _RelationChunk] = {}
        self.by_cause: Counter[str] = Counter()
        self.by_type: Counter[str] = Counter()
        self.log_runs: Counter[str] = Counter()

    def add(self, summary: RunSummary) -> None:
        """Fold the next run's summary (runs are added in run order)."""
        self.runs += 1
        relations = self.relations
        for run in summary.relations:
            part = relations.get(run.relation)
            if part is None:
                part = relations[run.relation] = _RelationChunk()
            part.add(run)
        _count(self.by_cause, summary.by_cause)
        _count(self.by_type, summary.by_type)
        self.log_runs.update(summary.log_kinds)

    def __reduce__(self) -> tuple[object, ...]:
        fields = (self.runs, self.relations, self.by_cause, self.by_type, self.log_runs)
        return _chunk_tally, fields


def _chunk_tally(
    runs: int,
    relations: dict[str, _RelationChunk],
    by_cause: Counter[str],
    by_type: Counter[str],
    log_runs: Counter[str],
) -> ChunkTally:
    tally = ChunkTally()
    tally.runs, tally.relations = runs, relations
    tally.by_cause, tally.by_type, tally.log_runs = by_cause, by_type, log_runs
    return tally


def _count(counter: Counter[str], pairs: Iterable[tuple[str, int]]) -> None:
    # Counter.update(dict(pairs)), without the dict: a key with a count of 0 is kept, as there.
    get = counter.get
    for key, n in pairs:
        counter[key] = get(key, 0) + n


class _RelationTally:
    def __init__(self, relation: str, states: Sequence[str]) -> None:
        self.relation = relation
        self.states = list(states)
        self.ended: Counter[str] = Counter()
        self.reached: Counter[str] = Counter()
        self.days: dict[str, float] = dict.fromkeys(self.states, 0.0)
        self.entered: dict[str, array[float]] = {s: _floats() for s in self.states}
        self.paths: Counter[tuple[str, ...]] = Counter()

    def _ensure(self, state: str) -> None:
        if state not in self.days:  # not a state of the machine: cannot happen, but show it
            self.states.append(state)
            self.days[state], self.entered[state] = 0.0, _floats()

    def add(self, run: RelationRun) -> None:
        self.ended[run.final] += 1
        self.paths[run.path] += 1
        for state, days in run.days:
            self._ensure(state)
            self.days[state] += days
        for state, t in run.entered:
            self.reached[state] += 1
            self.entered[state].append(t)

    def merge(self, part: _RelationChunk) -> None:
        self.ended.update(part.ended)
        self.paths.update(part.paths)
        for state, addends in part.days.items():
            self._ensure(state)
            # One at a time, in run order: the very sum that add() makes.
            self.days[state] = reduce(operator.add, addends, self.days[state])
        for state, times in part.entered.items():
            self._ensure(state)
            self.reached[state] += len(times)
            self.entered[state].extend(times)

    def outcomes(self, runs: int) -> RelationOutcomes:
        ranked = sorted(self.paths.items(), key=lambda item: (-item[1], " → ".join(item[0])))
        return RelationOutcomes(
            relation=self.relation,
            states=tuple(
                StateOutcome(
                    state=s,
                    ended=Proportion.of(self.ended[s], runs),
                    reached=Proportion.of(self.reached[s], runs),
                    mean_days=self.days[s] / runs,
                    days_to_reach=DaysToReach.of(self.entered[s]) if self.entered[s] else None,
                )
                for s in self.states
            ),
            paths=tuple(PathCount(p, n, n / runs) for p, n in ranked[:TOP_PATHS]),
            distinct_paths=len(ranked),
        )


class OutcomeTally:
    """Folds runs, in run order, into :class:`Outcomes`: one :class:`RunSummary` at a time
    (:meth:`add`) or a chunk of them folded elsewhere (:meth:`merge`), alike.

    Keeps counts, sums and each state's first-entry times (one float per run that reached it),
    never the summaries themselves.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        states = scenario.machine.state_names
        self.relations = {r.id: _RelationTally(r.id, states) for r in scenario.relations}
        # Each relation's place on each parallel track is tallied as a relation of its own.
        for r in scenario.relations:
            for name, track in scenario.tracks.items():
                key = track_key(r.id, name)
                self.relations[key] = _RelationTally(key, track.state_names)
        self.by_cause: Counter[str] = Counter()
        self.by_type: Counter[str] = Counter()
        self.log_runs: Counter[str] = Counter()
        self.runs = 0

    def add(self, summary: RunSummary) -> None:
        """Fold the next run."""
        self.runs += 1
        for run in summary.relations:
            self.relations[run.relation].add(run)
        self.by_cause.update(dict(summary.by_cause))
        self.by_type.update(dict(summary.by_type))
        self.log_runs.update(summary.log_kinds)

    def merge(self, chunk: ChunkTally) -> None:
        """Fold the next runs, folded into ``chunk`` (the runs right after those folded so far)."""
        self.runs += chunk.runs
        for relation, part in chunk.relations.items():
            self.relations[relation].merge(part)
        self.by_cause.update(chunk.by_cause)
        self.by_type.update(chunk.by_type)
        self.log_runs.update(chunk.log_runs)

    def outcomes(self, seed: int, until: dt.date | None = None) -> Outcomes:
        if self.runs == 0:
            raise ValueError("no runs to summarise")
        end = self.scenario.end
        return Outcomes(
            title=self.scenario.title,
            seed=seed,
            runs=self.runs,
            start=self.scenario.start,
            stop=end if until is None else min(until, end),  # as Simulator.run stops
            relations=tuple(t.outcomes(self.runs) for t in self.relations.values()),
            by_cause=tuple(sorted(self.by_cause.items())),
            by_type=tuple(sorted(self.by_type.items())),
            log_runs=tuple(sorted(self.log_runs.items())),
        )


__all__ = ["TOP_PATHS", "ChunkTally", "OutcomeTally"]
