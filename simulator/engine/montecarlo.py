"""Monte Carlo: run one scenario many times with derived seeds and summarise the outcomes.

Run ``k`` of ``run_many(scenario, runs, seed)`` uses the seed ``derive_seed(seed, k)``
(:mod:`simulator.engine.seeds`), so a run's result is a function of ``(seed, k)`` only. Each run
is reduced at once to a small :class:`RunSummary` (:mod:`simulator.engine.summary`; no trace is
made), and the summaries are folded into :class:`~simulator.engine.outcomes.Outcomes` **in run
order** (:mod:`simulator.engine.tally`), whatever the number of worker processes or the size of
the chunks they were sent in — so the outcomes (floating-point sums included) are identical for
any ``workers`` and ``chunk_size``.

The runs go in chunks of consecutive runs. Each chunk is folded where it ran into a
:class:`~simulator.engine.tally.ChunkTally` (counts, and the floats to add up in run order), and
this process merges the chunk tallies in chunk order: what crosses between processes is a few
kB per chunk, not a summary per run. With ``workers > 1`` the chunks go to a
:class:`concurrent.futures.ProcessPoolExecutor` using the ``spawn`` start method (asked of a
context; the global start method is never touched). Each worker builds its
:class:`~simulator.engine.simulation.Simulator` once, when it starts, and then receives chunks of
a few hundred runs: a task carries a tenth of a second of work or more, so that sending it and
its results back costs little beside the work.

The result types and the statistics (Wilson intervals, quantiles) are in
:mod:`simulator.engine.outcomes`, re-exported here, as are the summary and the tally.
"""

from __future__ import annotations

import collections
import datetime as dt
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

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
from simulator.engine.summary import RelationRun, RunSummary, summarize, summarize_outline
from simulator.engine.tally import TOP_PATHS, ChunkTally, OutcomeTally
from simulator.scenario.model import Scenario

#: Bounds of the default chunk size (runs per task sent to a worker); see default_chunk_size.
MIN_CHUNK, MAX_CHUNK = 200, 500
#: Chunks sent ahead per worker: enough that a worker never waits for the parent.
IN_FLIGHT = 3

Progress = Callable[[int, int], None]


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
    # Made as they are sent, not listed: a count of chunks may be larger than memory.
    chunks = ((seed, lo, min(lo + size, runs), until) for lo in range(0, runs, size))
    count = -(-runs // size)
    sim = Simulator(scenario)  # in the pool's case, this fails early and in this process
    tally = OutcomeTally(scenario)
    done = 0
    for chunk_tally in _results(sim, chunks, count, workers):
        tally.merge(chunk_tally)
        done += chunk_tally.runs
        if progress is not None:
            progress(done, runs)
    return tally.outcomes(seed, until)


_Chunk = tuple[int, int, int, dt.date | None]  # master seed, first run, end (exclusive), until


def _results(
    sim: Simulator, chunks: Iterator[_Chunk], count: int, workers: int
) -> Iterator[ChunkTally]:
    """Each of the ``count`` chunks' runs, folded, in chunk order."""
    if workers == 1:
        for chunk in chunks:
            yield _run_chunk_with(sim, chunk)
        return
    method = multiprocessing.get_start_method(allow_none=True)
    pool = ProcessPoolExecutor(
        max_workers=min(workers, count),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(sim.scenario,),
    )
    try:
        # A few chunks per worker in flight, sent as earlier ones come back (pool.map would
        # submit every chunk at once: memory growing with --runs); results come in run order.
        pending: collections.deque[Future[ChunkTally]] = collections.deque()
        for chunk in chunks:
            pending.append(pool.submit(_run_chunk, chunk))
            if len(pending) >= IN_FLIGHT * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        # On an error or Ctrl-C, drop the chunks not started; wait for those running (short).
        pool.shutdown(wait=True, cancel_futures=True)
        # Starting a spawn process fixes the *global* start method as a side effect (CPython's
        # spawn.get_preparation_data asks for it): put back "not set yet", as we found it.
        if method is None and multiprocessing.get_start_method(allow_none=True) is not None:
            multiprocessing.set_start_method(None, force=True)


def _run_chunk_with(sim: Simulator, chunk: _Chunk) -> ChunkTally:
    master, lo, hi, until = chunk
    tally = ChunkTally()
    for k in range(lo, hi):
        run_seed = derive_seed(master, k)
        try:
            # the summary is all that is kept of a run; each run draws its uncertain dates
            outline = sim.outline(run_seed, until, draw_dates=True)
        except SimulationError as err:
            raise SimulationError(f"run {k} (seed {run_seed}): {err}", err.key_path) from None
        tally.add(summarize_outline(outline))
    return tally


_worker_simulator: Simulator | None = None


def _start_worker(scenario: Scenario) -> None:
    """Pool initialiser: build the worker's Simulator once; leave Ctrl-C to the parent."""
    global _worker_simulator  # noqa: PLW0603  # one Simulator per worker process, by design
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_simulator = Simulator(scenario)


def _run_chunk(chunk: _Chunk) -> ChunkTally:
    if _worker_simulator is None:
        raise RuntimeError("worker used before _start_worker ran")
    return _run_chunk_with(_worker_simulator, chunk)


__all__ = [
    "POOL_MIN_RUNS",
    "TOP_PATHS",
    "ChunkTally",
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
