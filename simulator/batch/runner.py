"""Running a batch: design points × replications, in chunks, on a backend, into a sink.

The flow is one way: spec → design points → a :class:`~simulator.batch.job.Job` and its chunks
→ a backend runs chunks wherever its workers are → each finished chunk is written at once,
atomically, to the result sink and counted in the summary → the sink assembles the results file.
Nothing accumulates: at any time the parent holds the chunks in flight and the summary counts.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.batch.backends import Backend, ProcessBackend, make_backend
from simulator.batch.design import Point, check_size, column_kind, design_points, grid_values
from simulator.batch.job import Job, chunks, columns, for_workers, run_chunk, scenario_at
from simulator.batch.journal import MANIFEST, fingerprint_of
from simulator.batch.sinks import ResultSink, SinkError, read_rows
from simulator.batch.spec import BatchSpec, LoadedSpec, load_batch_spec, spec_problem
from simulator.batch.summary import CLAIM_PREFIXES, Tally
from simulator.core.errors import BatchError, DipsimError
from simulator.core.files import read_regular, write_atomically
from simulator.scenario.loading import DEFAULT_LIMITS, Limits, load_scenario
from simulator.scenario.model import Scenario

#: Runs per task unless the spec or the caller says otherwise: about a fifth of a second of work
#: at this machine's ~400 µs per run, far above a Dask task's ~1.5 ms of overhead.
DEFAULT_CHUNK = 500

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BatchResult:
    """What a finished batch produced.

    Attributes:
        path: The results file (one row per run, sorted by run id).
        runs: Rows in the file.
        errors: Runs that raised (each is a row with its error and seed).
        points: Design points.
        summary: Final-state shares per design point (of the first relation recorded).
        seconds: Wall time of this call (a resumed batch counts only the new work).
        rerun: Parts a resume found missing or damaged, with why; their chunks ran again.
    """

    path: Path
    runs: int
    errors: int
    points: int
    summary: Tally
    seconds: float
    rerun: tuple[str, ...] = ()

    def rows(self) -> Iterator[dict[str, Any]]:
        """Stream the results back, row by row."""
        return read_rows(self.path)

    def to_pandas(self) -> Any:
        """The results as a pandas DataFrame (needs pandas: ``pip install 'dipsim[pandas]'``)."""
        try:
            import pandas as pd
        except ImportError:
            raise BatchError("to_pandas needs pandas: pip install 'dipsim[pandas]'") from None
        suffix = self.path.suffix
        if suffix == ".parquet":
            return pd.read_parquet(self.path)
        if suffix == ".csv":
            return pd.read_csv(self.path)
        return pd.read_json(self.path, lines=True)


def prepare(
    loaded: LoadedSpec,
    chunk_size: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    *,
    apart: bool = False,
) -> tuple[Job, list[tuple[str, str]], int]:
    """The job, its result columns and its chunk size, after checking every parameter path
    on the base scenario (a typo fails here, at once, rather than as a million error rows).
    ``apart``: make a sampled design in a process of its own (:func:`design_apart`)."""
    spec = loaded.spec
    scenario = load_scenario(loaded.scenario_path, limits)
    if spec.until is not None and spec.until < scenario.start:
        raise BatchError(
            f"until {spec.until.isoformat()} is before the scenario's start "
            f"{scenario.start.isoformat()}"
        )
    relations = _relations(spec, scenario)
    points = design_apart(spec, limits) if apart else design_points(spec, limits)
    job = Job(
        fingerprint="",
        scenario=scenario,
        paths=tuple(p.path for p in spec.parameters),
        points=tuple(points),
        replications=spec.replications,
        seed=spec.seed,
        common_seeds=spec.seeds == "common",
        metrics=spec.metrics,
        relations=relations,
        parameter_columns=tuple(p.column for p in spec.parameters),
        until=spec.until,
    )
    _check_paths(job, loaded, limits)
    size = chunk_size or spec.chunk_size or DEFAULT_CHUNK
    job = dataclasses.replace(job, fingerprint=f"{fingerprint(spec, scenario)}:{size}")
    kinds = [column_kind([pt[i] for pt in points]) for i in range(len(spec.parameters))]
    return job, columns(job, kinds), size


def design_apart(spec: BatchSpec, limits: Limits = DEFAULT_LIMITS) -> list[Point]:
    """The design's points (:func:`~simulator.batch.design.design_points`, the same plain
    values), a sampled design's made in a short-lived spawned process: scipy and SALib (about
    130 MB resident) then never load into this process, which lives as long as the batch,
    beside its workers. A grid needs neither and is made here, as is every design's size check
    (at once, with its message)."""
    if spec.design.kind == "grid" or not spec.parameters:
        return design_points(spec, limits)
    check_size(spec, limits)
    with ProcessBackend(1) as elsewhere:
        made = elsewhere.map_unordered(functools.partial(design_points, limits=limits), [spec])
        return next(made)


def fingerprint(spec: BatchSpec, scenario: Scenario) -> str:
    """Identifies the runs a spec makes: the spec and the scenario as loaded (what-ifs it
    extends and their edits included), so --resume refuses results of another batch."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(spec.model_dump_json().encode())
    digest.update(scenario.model_dump_json().encode())
    return digest.hexdigest()


def _relations(spec: BatchSpec, scenario: Scenario) -> tuple[str, ...]:
    known = [r.id for r in scenario.relations]
    if spec.relations is None:
        return tuple(known)
    by_either = {frozenset(r.pair): r.id for r in scenario.relations}
    out = []
    for name in spec.relations:
        rid = by_either.get(frozenset(name.split("-", 1)))
        if rid is None:
            raise BatchError(
                f"relations: no relation {name!r} in the scenario; it has {', '.join(known)}"
            )
        out.append(rid)
    return tuple(out)


def _check_paths(job: Job, loaded: LoadedSpec, limits: Limits) -> None:
    """Apply the first design point to the base, and in a grid each value of each parameter
    alone; a failure is placed at the parameter (its value, its path) at fault."""
    spec = loaded.spec
    if not job.points:
        raise BatchError("the design has no points")
    grid = spec.design.kind == "grid"
    try:
        scenario_at(job, job.points[0])
    except DipsimError as err:
        # Which parameter? Each of the point's values alone on the base, to place the message.
        for i, value in enumerate(job.points[0]):
            _check_value(job, loaded, limits, i, value)
        message = f"the design's first point cannot be applied to the scenario: {err}"
        raise spec_problem(loaded, ("parameters",), message, limits) from None
    for i, p in enumerate(spec.parameters):
        for value in grid_values(p) if grid else ():
            _check_value(job, loaded, limits, i, value)


def _check_value(job: Job, loaded: LoadedSpec, limits: Limits, i: int, value: Any) -> None:
    from simulator.scenario.whatif import InvalidResultError, set_value

    p = loaded.spec.parameters[i]
    try:
        set_value(job.scenario, p.path, value)
    except InvalidResultError as err:
        at: tuple[str | int, ...] = ("parameters", i)
        if p.values is not None and value in p.values:
            at = (*at, "values", p.values.index(value))
        shown = repr(value) if isinstance(value, str) else f"{value}"
        message = f"the value {shown[:40]} makes the scenario invalid: {err}"
        raise spec_problem(loaded, at, message, limits) from None
    except DipsimError as err:
        raise spec_problem(loaded, ("parameters", i, "path"), str(err), limits) from None


def run_batch(
    spec: BatchSpec | LoadedSpec | str | Path,
    backend: str | Backend = "local",
    workers: int | None = None,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> BatchResult:
    """Run a batch and write its results.

    Args:
        spec: A batch spec file, or one already loaded.
        backend: ``"sequential"``, ``"local"`` (a pool of worker processes) or ``"dask"``; or a
            backend object (see :mod:`simulator.batch.backends`).
        workers: Worker processes (default: every core).
        out: The results file: ``.parquet``, ``.csv`` or ``.jsonl`` (default: the spec's name
            with ``.parquet``, beside it).
        resume: Keep the chunks an interrupted run of the same spec wrote, run only the rest.
        scheduler: A running Dask scheduler's address (``dask`` only; else a local cluster).
        chunk_size: Runs per task (part of what ``resume`` checks: resume with the same size).
        progress: Called with (runs done, runs in all) after each chunk.
        limits: Bounds on the spec and scenario files (see
        :class:`simulator.scenario.yamlread.Limits`).

    Raises:
        DipsimError: The spec or scenario is invalid, a library is missing, or the results
            file cannot be written. KeyboardInterrupt stops the batch with finished chunks kept.
    """
    started = time.perf_counter()
    loaded = _loaded(spec, limits)
    # With worker processes, a sampled design's libraries stay out of this process.
    apart = (backend if isinstance(backend, str) else backend.name) != "sequential"
    job, cols, size = prepare(loaded, chunk_size, limits, apart=apart)
    out_path = Path(out) if out is not None else loaded.path.with_suffix(".parquet")
    relation = job.relations[0] if job.relations else ""
    claims = [name for name, _ in cols if name.startswith(CLAIM_PREFIXES)]
    order = job.scenario.machine.state_names
    tally = Tally(job.parameter_columns or ("point",), relation, claims, order)
    with _open_sink(out_path, cols, job.fingerprint, resume) as sink:
        done_chunks = sink.completed()
        done = sum(c.stop - c.start for c in chunks(job, size) if c.id in done_chunks)
        if progress is not None:
            progress(done, job.runs)
        todo = chunks(job, size, done_chunks)
        engine = make_backend(backend, workers, scheduler) if isinstance(backend, str) else backend
        with engine:
            task = functools.partial(run_chunk, for_workers(job))
            for chunk_id, rows in engine.map_unordered(task, todo):
                sink.write_chunk(chunk_id, rows)
                for row in rows:
                    tally.add(row)
                done += len(rows)
                if progress is not None:
                    progress(done, job.runs)
        expected = -(-job.runs // size)
        if sink.chunks_written != expected:
            raise BatchError(
                f"{sink.chunks_written} of {expected} chunks were written; the "
                "parts are kept: run again with --resume"
            )
        rerun = tuple(sink.damaged)
        path = sink.finish()
    record_spec(path, loaded, job.fingerprint)
    if done_chunks:
        # Rows kept from an interrupted run were not seen here: count the whole file once.
        tally = _tally_file(path, tally.by, relation, tally.claims, tally.order)
    return BatchResult(
        path,
        tally.runs,
        tally.errors,
        len(job.points),
        tally,
        time.perf_counter() - started,
        rerun,
    )


#: Beside a results file ``R``, ``R.batch.json`` says which spec made it (``dipsim analyze``
#: reads it when no ``--spec`` is given).
SPEC_RECORD = ".batch.json"


def record_spec(results: Path, loaded: LoadedSpec, fingerprint: str) -> Path:
    """Write, beside ``results``, which batch spec made them (its path and fingerprint)."""
    record = Path(f"{results}{SPEC_RECORD}")
    text = json.dumps(
        {
            "dipsim_batch_results": 1,
            "spec": str(loaded.path.resolve()),
            "fingerprint": fingerprint,
            "design": loaded.spec.design.kind,
        },
        indent=2,
        allow_nan=False,
    )
    try:
        write_atomically(record, lambda f: f.write(text.encode() + b"\n"))
    except OSError as err:
        raise BatchError(
            f"{record}: cannot write the record of the spec ({err.strerror or err}); the results "
            f"are complete in {results}: give --spec to dipsim analyze"
        ) from None
    return record


def spec_of(results: Path) -> Path:
    """The spec recorded beside ``results`` (see :func:`record_spec`).

    Raises:
        BatchError: No record, or one that is not dipsim's.
    """
    record = Path(f"{results}{SPEC_RECORD}")
    try:
        found = json.loads(read_regular(record, 100_000))
        spec = found["spec"] if isinstance(found, dict) else None
    except FileNotFoundError:
        raise BatchError(
            f"no --spec given and no {record.name} beside {results}: give the batch spec "
            "that made the results with --spec"
        ) from None
    except (OSError, ValueError, KeyError) as err:
        raise BatchError(
            f"{record}: not a record of the spec that made the results ({err})"
        ) from None
    if not isinstance(spec, str):
        raise BatchError(f"{record}: not a record of the spec that made the results")
    return Path(spec)


def _open_sink(out: Path, cols: list[tuple[str, str]], mark: str, resume: bool) -> ResultSink:
    try:
        return ResultSink(out, cols, mark, resume)
    except SinkError:
        if resume:
            # The same batch with another chunk size: say so, rather than "another spec".
            kept = fingerprint_of(Path(f"{out}.parts") / MANIFEST)
            base, _, size = mark.rpartition(":")
            if kept is not None and kept.rpartition(":")[0] == base and kept != mark:
                raise BatchError(
                    f"the interrupted run wrote chunks of {kept.rpartition(':')[2]} runs, this "
                    f"one would write {size}: resume with --chunk-size "
                    f"{kept.rpartition(':')[2]}"
                ) from None
        raise


def _loaded(spec: BatchSpec | LoadedSpec | str | Path, limits: Limits) -> LoadedSpec:
    if isinstance(spec, LoadedSpec):
        return spec
    if isinstance(spec, BatchSpec):
        # A spec built in Python: its scenario path is relative to the working directory.
        scenario = (Path.cwd() / spec.scenario).resolve()
        if not scenario.is_file():
            raise BatchError(f"no scenario file {spec.scenario!r} (relative to {Path.cwd()})")
        return LoadedSpec(spec, Path.cwd() / "batch.yaml", scenario)
    return load_batch_spec(spec, limits)


def _tally_file(
    path: Path,
    by: tuple[str, ...],
    relation: str,
    claims: tuple[str, ...],
    order: tuple[str, ...],
) -> Tally:
    tally = Tally(by, relation, claims, order)
    for row in read_rows(path):
        tally.add(row)
    return tally
