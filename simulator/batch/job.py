"""The work of a batch, as workers see it: a picklable job, chunks of run ids, and rows.

Run ``r`` of a batch is design point ``r // replications``, replication ``r % replications``,
with the seed ``derive_seed(seed, point, replication)`` (``derive_seed(seed, replication)``
with common random numbers) — so a row depends on nothing but the spec and ``r``, whichever
worker ran it and in whatever chunk. A worker keeps the simulators it
built in a cache keyed by the job's fingerprint and the point, so each design point's scenario
is edited and its machine built once per worker, not once per run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.check.expectations import first_violation, judge
from simulator.core.errors import DipsimError, SimulationError, format_key_path
from simulator.engine.montecarlo import RunSummary, summarize, summarize_outline
from simulator.engine.seeds import derive_seed
from simulator.engine.simulation import Simulator
from simulator.engine.slots import SlotPlan, Swept
from simulator.engine.trace import Trace, track_key
from simulator.scenario.assign import Assigner, assign_values
from simulator.scenario.model import Scenario
from simulator.scenario.whatif import parse_path, select

Column = tuple[str, str]
Row = dict[str, Any]

#: Simulators a worker keeps (one per design point), least recently used dropped first.
CACHE_SIZE = 64


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to run any run of the batch (picklable)."""

    fingerprint: str
    scenario: Scenario
    paths: tuple[str, ...]
    points: tuple[tuple[Any, ...], ...]
    replications: int
    seed: int
    metrics: tuple[str, ...]
    relations: tuple[str, ...]
    parameter_columns: tuple[str, ...]
    until: dt.date | None
    common_seeds: bool = False

    @property
    def runs(self) -> int:
        """Runs in the batch (0 for the copy sent to workers, which carries no design)."""
        return len(self.points) * self.replications


@dataclass(frozen=True, slots=True)
class Chunk:
    """Runs ``start`` (included) to ``stop`` (excluded), sent to a worker as one task, with the
    values of the design points they belong to (from point ``first_point`` on), so that a task
    carries its own slice of the design and never the whole of it."""

    id: int
    start: int
    stop: int
    first_point: int = 0
    points: tuple[tuple[Any, ...], ...] = ()


def chunks(job: Job, size: int, skip: frozenset[int] = frozenset()) -> Iterator[Chunk]:
    """The chunks of the job's runs, ``size`` runs each, except those in ``skip`` (lazily)."""
    for i, start in enumerate(range(0, job.runs, size)):
        if i not in skip:
            stop = min(start + size, job.runs)
            first, last = start // job.replications, (stop - 1) // job.replications
            yield Chunk(i, start, stop, first, job.points[first : last + 1])


def for_workers(job: Job) -> Job:
    """The job as sent with every chunk: without the design, which chunks carry in slices."""
    return dataclasses.replace(job, points=())


def scenario_at(job: Job, values: tuple[Any, ...], base: Scenario | None = None) -> Scenario:
    """The scenario of a design point: the base (``job.scenario``, or ``base``, equal to it)
    with every parameter set by its path, each value validated where it lives
    (``assign_values``; what that cannot do, the reference path ``set_values`` does, with the
    same result)."""
    scenario = job.scenario if base is None else base
    if not job.paths:
        return scenario
    return assign_values(scenario, zip(job.paths, values, strict=True))


_cache: OrderedDict[tuple[str, int, int], Simulator | DipsimError] = OrderedDict()
#: The Simulator of each job's base scenario, which a design point's is derived from, the
#: Assigner that sets a point's values on the base's scenario, and the base prepared with the
#: swept numbers as slots (engine.slots), when every path is one a run reads at run time.
#: Per thread (a Dask worker may run tasks in several): a plan's slots are written per run.
_bases: dict[tuple[str, int], tuple[Simulator, Assigner, SlotPlan | None]] = {}
# The caches are shared by a worker's threads.
_cache_lock = threading.Lock()


def swept(scenario: Scenario, paths: Sequence[str]) -> Swept | None:
    """What ``paths`` move that a run reads at run time (``engine.slots``), or ``None`` when
    some path is structural (an event's date, a ``per_goldstein``, a delay, a new key ...):
    then every point is derived."""
    parameters: list[str] = []
    chances: list[tuple[int, str]] = []
    variables: set[str] = set()
    try:
        for path in paths:
            parts = parse_path(path)
            match parts:
                case ["parameters", str(name)] if name in scenario.parameters:
                    parameters.append(name)
                case ["rules", str() | int() as selector, "probability"]:
                    ids = [{"id": r.id} for r in scenario.rules]
                    index = select(ids, selector, path)
                    chances.append((index, scenario.rules[index].id))
                case ["variables", str(name), str(field), *_] if (
                    name in scenario.variables and field in _VARIABLE_FIELDS
                ):
                    variables.add(field)
                case _:
                    return None
    except DipsimError:  # a path the reference path refuses: it says how, at every point
        return None
    return Swept(tuple(parameters), tuple(chances), frozenset(variables))


#: A variable's fields a run reads through the tuples ``engine.slots`` makes again per point
#: (``per_goldstein`` is not one: the scripted steps' effects are made from it).
_VARIABLE_FIELDS = frozenset(
    {"min", "max", "initial", "rest", "decay_per_day", "decay_in", "rest_in"}
)


def _base(job: Job) -> tuple[Simulator, Assigner, SlotPlan | None]:
    key = (job.fingerprint, threading.get_ident())
    with _cache_lock:
        found = _bases.get(key)
    if found is None:
        sim = Simulator(job.scenario)
        what = swept(sim.scenario, job.paths) if job.paths else None
        # On the base's own scenario, not the job's: each chunk's job arrives unpickled, with
        # a scenario equal to the base's but not the same objects, and derive keeps what it
        # built only for parts that are the very same objects.
        found = (sim, Assigner(sim.scenario, job.paths), SlotPlan(sim, what) if what else None)
        with _cache_lock:
            for other in [k for k in _bases if k[0] != job.fingerprint]:
                del _bases[other]  # one job at a time is the rule; never more than one kept
            _bases[key] = found
    return found


def _simulator(job: Job, point: int, values: tuple[Any, ...]) -> Simulator | DipsimError:
    key = (job.fingerprint, point, threading.get_ident())
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    base, assign, plan = _base(job)
    try:
        if not job.paths:
            found = base
        else:
            # The values set on the base's own scenario (see _base): derive then keeps what
            # the base built from the parts they leave as they are.
            scenario = assign(values)
            made = plan.point(scenario) if plan is not None else None
            found = made if made is not None else base.derive(scenario)
    except DipsimError as err:
        found = err  # every run of this point becomes an error row, with its seed
    if job.replications > 1:  # with one run per point, a point is never asked for again
        with _cache_lock:
            _cache[key] = found
            if len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return found


def run_chunk(job: Job, chunk: Chunk) -> tuple[int, list[Row]]:
    """Run a chunk; return its id and one row per run. A run that raises becomes a row with
    its error and seed (never a silent drop)."""
    rows = []
    for run in range(chunk.start, chunk.stop):
        point, replication = divmod(run, job.replications)
        seed = run_seed(job, point, replication)
        row: Row = {"run_id": run, "point": point, "replication": replication, "seed": seed}
        values = chunk.points[point - chunk.first_point]
        row.update(zip(job.parameter_columns, values, strict=True))
        sim = _simulator(job, point, values)
        try:
            if isinstance(sim, DipsimError):
                raise sim
            if _needs_trace(job):
                trace = sim.run(seed=seed, until=job.until, draw_dates=True)
                row.update(metrics(job, trace, sim.scenario))
            else:  # the metrics come from the summary alone: no records are made
                outline = sim.outline(seed=seed, until=job.until, draw_dates=True)
                summary = summarize_outline(outline)
                row.update(summary_metrics(job, summary))
            row["error"] = None
        except Exception as err:
            row["error"] = _error_text(err)
        rows.append(row)
    return chunk.id, rows


def _error_text(err: Exception) -> str:
    """An error row's ``Type: message``; a failed run's names the scenario key at fault
    (``rules[0].probability``), as the command line's message does."""
    key_path = err.key_path if isinstance(err, SimulationError) else ()
    where = f"{format_key_path(key_path)}: " if key_path else ""
    return f"{type(err).__name__}: {where}{err}"


def run_seed(job: Job, point: int, replication: int) -> int:
    """The seed of a run: from its point and replication, or, with common random numbers, from
    its replication alone (the same draws at every point)."""
    if job.common_seeds:
        return derive_seed(job.seed, replication)
    return derive_seed(job.seed, point, replication)


#: The metrics read from the run's records (or judged on its trace), not from its summary.
_FROM_TRACE = frozenset({"variables", "expectations"})


def _needs_trace(job: Job) -> bool:
    return not _FROM_TRACE.isdisjoint(job.metrics)


def summary_metrics(job: Job, summary: RunSummary) -> Row:
    """The metrics of one run that its summary holds (final state, days in each state, when
    each was first entered, transitions), per relation, as flat columns."""
    return metrics(job, None, None, summary)


def metrics(
    job: Job,
    trace: Trace | None,
    scenario: Scenario | None = None,
    summary: RunSummary | None = None,
) -> Row:
    """The recorded metrics of one run, per relation, as flat columns (then, if asked, whether
    each of ``scenario``'s expectations and invariants held: the point's scenario, by default
    the job's). Without a trace, only the metrics of ``summary``."""
    if summary is None:
        assert trace is not None, "a trace or its summary"
        summary = summarize(trace)
    out: Row = {}
    wanted = set(job.metrics)
    by_relation = {r.relation: r for r in summary.relations}
    finals = {f.relation: f for f in trace.final} if trace is not None else {}
    if trace is None:
        assert "variables" not in wanted, "the variables metric reads the records"
    for rid, states in _units(job):
        rel = by_relation[rid]
        if "final_state" in wanted:
            out[f"{rid}.final_state"] = rel.final
        if "days_in_state" in wanted:
            days = dict(rel.days)
            for state in states:
                out[f"{rid}.days.{state}"] = round(days.get(state, 0.0), 9)
        if "first_entered" in wanted:
            entered = dict(rel.entered)
            for state in states:
                out[f"{rid}.first.{state}"] = entered.get(state)
        if "transitions" in wanted:
            out[f"{rid}.transitions"] = len(rel.path) - 1
        if "variables" in wanted and rid in finals:
            assert trace is not None
            out.update(_variables(job, trace, rid, finals[rid].variables))
    if "expectations" in wanted:
        assert trace is not None, "claims are judged on the trace"
        out.update(_claims(scenario or job.scenario, trace))
    return out


def _units(job: Job) -> list[tuple[str, tuple[str, ...]]]:
    """What has a state, with its states in order: each relation (its diplomatic machine), then
    each relation's place on each parallel track (``relation:track``, see ``track_key``)."""
    scenario = job.scenario
    units = [(rid, scenario.machine.state_names) for rid in job.relations]
    units += [
        (track_key(rid, name), track.state_names)
        for rid in job.relations
        for name, track in scenario.tracks.items()
    ]
    return units


def claim_columns(scenario: Scenario) -> list[str]:
    """``expect.<id or index>`` per expectation, ``invariant.<id or index>`` per invariant."""
    return [f"expect.{e.id or i}" for i, e in enumerate(scenario.expect)] + [
        f"invariant.{v.id or i}" for i, v in enumerate(scenario.invariants)
    ]


def _claims(scenario: Scenario, trace: Trace) -> Row:
    held = [judge(e, trace, scenario).held for e in scenario.expect] + [
        first_violation(v, trace, scenario) is None for v in scenario.invariants
    ]
    return dict(zip(claim_columns(scenario), held, strict=True))


def _variables(job: Job, trace: Trace, rid: str, final: dict[str, float]) -> Row:
    spec = next(r for r in job.scenario.relations if r.id == rid)
    highest = job.scenario.initial_values(spec)
    for r in trace.records:
        if r.relation == rid:
            for name, value in r.variables.items():
                highest[name] = max(highest[name], value)
    out: Row = {}
    for name in job.scenario.variables:
        out[f"{rid}.{name}.max"] = round(max(highest[name], final[name]), 6)
        out[f"{rid}.{name}.final"] = final[name]
    return out


def columns(job: Job, parameter_kinds: Sequence[str]) -> list[Column]:
    """The results columns, in order: run coordinates, parameters, metrics, error."""
    cols: list[Column] = [
        ("run_id", "int"),
        ("point", "int"),
        ("replication", "int"),
        ("seed", "int"),
    ]
    cols += list(zip(job.parameter_columns, parameter_kinds, strict=True))
    wanted = set(job.metrics)
    for rid, states in _units(job):
        if "final_state" in wanted:
            cols.append((f"{rid}.final_state", "str"))
        if "days_in_state" in wanted:
            cols += [(f"{rid}.days.{s}", "float") for s in states]
        if "first_entered" in wanted:
            cols += [(f"{rid}.first.{s}", "float") for s in states]
        if "transitions" in wanted:
            cols.append((f"{rid}.transitions", "int"))
        if "variables" in wanted and rid in job.relations:
            for name in job.scenario.variables:
                cols += [(f"{rid}.{name}.max", "float"), (f"{rid}.{name}.final", "float")]
    if "expectations" in wanted:
        cols += [(name, "bool") for name in claim_columns(job.scenario)]
    cols.append(("error", "str"))
    return cols
