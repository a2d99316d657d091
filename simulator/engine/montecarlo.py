"""Monte Carlo: run one scenario many times with derived seeds and summarise the outcomes.

Run ``k`` of ``run_many(scenario, runs, seed)`` uses the seed ``derive_seed(seed, k)``
(:mod:`simulator.engine.seeds`), so a run's result is a function of ``(seed, k)`` only. Each run's
trace is reduced at once to a small :class:`RunSummary` (the trace itself is dropped), and the
summaries are folded into :class:`~simulator.engine.outcomes.Outcomes` **in run order**, whatever
the
number of worker processes or the size of the chunks they were sent in — so the outcomes
(floating-point sums included) are identical for any ``workers`` and ``chunk_size``.

With ``workers > 1`` the runs go to a :class:`concurrent.futures.ProcessPoolExecutor` using the
``spawn`` start method (asked of a context; the global start method is never touched). Each
worker builds its :class:`~simulator.engine.simulation.Simulator` once, when it starts, and then
receives
chunks of a few hundred runs: a task carries a tenth of a second of work or more, so that
sending it and its results back costs little beside the work.

The result types and the statistics (Wilson intervals, quantiles) are in
:mod:`simulator.engine.outcomes`, re-exported here.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from operator import attrgetter

from simulator.core.errors import SimulationError
from simulator.engine.outcomes import (
    DaysToReach,
    Outcomes,
    PathCount,
    Proportion,
    RelationOutcomes,
    StateOutcome,
    wilson_interval,
)
from simulator.engine.seeds import derive_seed
from simulator.engine.simulation import Simulator
from simulator.engine.trace import Outline, Trace
from simulator.scenario.model import Scenario

#: How many of the most common state paths an ``Outcomes`` keeps per relation.
TOP_PATHS = 5
#: Bounds of the default chunk size (runs per task sent to a worker); see default_chunk_size.
MIN_CHUNK, MAX_CHUNK = 200, 500

Progress = Callable[[int, int], None]


# --- one run ------------------------------------------------------------------------------------


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
        relations: One entry per relation, in the scenario's order.
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
    return RunSummary(
        seed=outline.seed,
        horizon=horizon,
        relations=tuple(
            _relation_run(end.relation, end.state, moves.get(end.relation, []), horizon)
            for end in outline.final
        ),
        by_type=tuple(sorted(outline.by_type.items())),
        by_cause=tuple(sorted(outline.by_cause.items())),
        log_kinds=tuple(sorted({e.kind for e in outline.log})),
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


# --- folding runs into outcomes -----------------------------------------------------------------


class _RelationTally:
    def __init__(self, relation: str, states: Sequence[str]) -> None:
        self.relation = relation
        self.states = list(states)
        self.ended: Counter[str] = Counter()
        self.reached: Counter[str] = Counter()
        self.days: dict[str, float] = dict.fromkeys(self.states, 0.0)
        self.entered: dict[str, list[float]] = {s: [] for s in self.states}
        self.paths: Counter[tuple[str, ...]] = Counter()

    def add(self, run: RelationRun) -> None:
        self.ended[run.final] += 1
        self.paths[run.path] += 1
        for state, days in run.days:
            if state not in self.days:  # not a state of the machine: cannot happen, but show it
                self.states.append(state)
                self.days[state], self.entered[state] = 0.0, []
            self.days[state] += days
        for state, t in run.entered:
            self.reached[state] += 1
            self.entered[state].append(t)

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
    """Folds :class:`RunSummary` objects, added in run order, into :class:`Outcomes`.

    Keeps counts, sums and each state's first-entry times (one float per run that reached it),
    never the summaries themselves.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        states = scenario.machine.state_names
        self.relations = {r.id: _RelationTally(r.id, states) for r in scenario.relations}
        self.by_cause: Counter[str] = Counter()
        self.by_type: Counter[str] = Counter()
        self.log_runs: Counter[str] = Counter()
        self.runs = 0

    def add(self, summary: RunSummary) -> None:
        self.runs += 1
        for run in summary.relations:
            self.relations[run.relation].add(run)
        self.by_cause.update(dict(summary.by_cause))
        self.by_type.update(dict(summary.by_type))
        self.log_runs.update(summary.log_kinds)

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


# --- running ------------------------------------------------------------------------------------


def default_chunk_size(runs: int, workers: int) -> int:
    """Runs per task: about four tasks per worker, so that the load evens out, but never fewer
    than ``MIN_CHUNK`` runs (a tenth of a second of work, so that the cost of sending a task and
    its results stays small beside it) nor more than ``MAX_CHUNK`` (progress stays lively)."""
    return max(MIN_CHUNK, min(MAX_CHUNK, -(-runs // (4 * max(workers, 1)))))


#: Below this many runs, ``workers=0`` runs in this process: spawned workers each import dipsim
#: and build their simulator first, which costs more than it saves on little work (here, 5,000
#: runs of retaliation-kills-iranians took 2.0 s in one process and 2.1 s on two workers; 10,000
#: took 5.3 s and 3.8 s).
POOL_MIN_RUNS = 5_000


def auto_workers(runs: int) -> int:
    """What ``workers=0`` means for ``runs`` runs: every CPU, unless the work is too small."""
    return 1 if runs < POOL_MIN_RUNS else os.cpu_count() or 1


def run_many(
    scenario: Scenario,
    runs: int,
    seed: int,
    workers: int = 1,
    progress: Progress | None = None,
    *,
    until: dt.date | None = None,
    chunk_size: int | None = None,
) -> Outcomes:
    """Run ``scenario`` ``runs`` times and summarise the outcomes.

    Args:
        scenario: The scenario.
        runs: How many runs (at least 1); run ``k`` uses the seed ``derive_seed(seed, k)``.
        seed: The master seed, recorded in the outcomes.
        workers: Processes to run in: 1 runs in this process; more start a pool of that many
            ``spawn`` processes (no more than there are chunks); 0 chooses (:func:`auto_workers`):
            every CPU from ``POOL_MIN_RUNS`` runs, else this process.
        progress: Called as ``progress(done, runs)`` after each chunk, in run order.
        until: Stop each run at the end of this day (as ``Simulator.run``).
        chunk_size: Runs per task (default: :func:`default_chunk_size`). It changes nothing in
            the result, only how the work is cut up.

    Raises:
        ValueError: ``runs`` or ``chunk_size`` below 1, ``workers`` below 0.
        SimulationError: A run could not go on; the message names the run and its seed.
    """
    for name, value in (("runs", runs), ("chunk_size", chunk_size)):
        if value is not None and value < 1:
            raise ValueError(f"{name} must be at least 1, not {value}")
    if workers < 0:
        raise ValueError(f"workers must be at least 0, not {workers}")
    workers = workers or auto_workers(runs)
    size = chunk_size or default_chunk_size(runs, workers)
    chunks = [(seed, lo, min(lo + size, runs), until) for lo in range(0, runs, size)]
    sim = Simulator(scenario)  # in the pool's case, this fails early and in this process
    tally = OutcomeTally(scenario)
    done = 0
    for summaries in _results(sim, chunks, workers):
        for summary in summaries:
            tally.add(summary)
        done += len(summaries)
        if progress is not None:
            progress(done, runs)
    return tally.outcomes(seed, until)


_Chunk = tuple[int, int, int, dt.date | None]  # master seed, first run, end (exclusive), until


def _results(sim: Simulator, chunks: list[_Chunk], workers: int) -> Iterator[list[RunSummary]]:
    """Each chunk's summaries, in chunk order."""
    if workers == 1:
        for chunk in chunks:
            yield _run_chunk_with(sim, chunk)
        return
    method = multiprocessing.get_start_method(allow_none=True)
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(sim.scenario,),
    )
    try:
        # map() yields in submission order: results are folded in run order.
        yield from pool.map(_run_chunk, chunks)
    finally:
        # On an error or Ctrl-C, drop the chunks not started; wait for those running (short).
        pool.shutdown(wait=True, cancel_futures=True)
        # Starting a spawn process fixes the *global* start method as a side effect (CPython's
        # spawn.get_preparation_data asks for it): put back "not set yet", as we found it.
        if method is None and multiprocessing.get_start_method(allow_none=True) is not None:
            multiprocessing.set_start_method(None, force=True)


def _run_chunk_with(sim: Simulator, chunk: _Chunk) -> list[RunSummary]:
    master, lo, hi, until = chunk
    summaries = []
    for k in range(lo, hi):
        run_seed = derive_seed(master, k)
        try:
            outline = sim.outline(run_seed, until)  # the summary is all that is kept of a run
        except SimulationError as err:
            raise SimulationError(f"run {k} (seed {run_seed}): {err}", err.key_path) from None
        summaries.append(summarize_outline(outline))
    return summaries


_worker_simulator: Simulator | None = None


def _start_worker(scenario: Scenario) -> None:
    """Pool initialiser: build the worker's Simulator once; leave Ctrl-C to the parent."""
    global _worker_simulator  # noqa: PLW0603  # one Simulator per worker process, by design
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_simulator = Simulator(scenario)


def _run_chunk(chunk: _Chunk) -> list[RunSummary]:
    if _worker_simulator is None:
        raise RuntimeError("worker used before _start_worker ran")
    return _run_chunk_with(_worker_simulator, chunk)


__all__ = [
    "POOL_MIN_RUNS",
    "DaysToReach",
    "OutcomeTally",
    "Outcomes",
    "PathCount",
    "Proportion",
    "RelationOutcomes",
    "RelationRun",
    "RunSummary",
    "StateOutcome",
    "auto_workers",
    "default_chunk_size",
    "run_many",
    "summarize",
    "summarize_outline",
    "wilson_interval",
]
