"""The cost of one simulated run of scenarios/jan2024.yaml, against the reference fold.

``Simulator(scenario).run(seed)`` (the Simulator built once, as a batch does) is timed beside
:func:`simulator.engine.reference.reference_fold` — a plain loop over the transition table, no
SimPy, no
``transitions`` — which is the baseline: the ratio says what the engine's machinery costs over
the bare semantics. Also timed, as one-off costs: building a Simulator, ``simulate()`` (build +
run) and ``load_scenario`` (read, parse, validate).

Every case is timed in every round, in an order rotated from round to round, so that noise
from the rest of the machine falls on all of them alike; a round times a batch of calls and
divides. Figures are the median and the minimum over rounds. The garbage collector stays on,
as in real use. Before timing, the engine's trace is checked against the fold's, so the two
are known to do the same work.

Run from anywhere::

    .venv/bin/python benchmarks/bench_run.py             # 50 rounds
    .venv/bin/python benchmarks/bench_run.py --quick     # a smoke run (about a second)
    .venv/bin/python benchmarks/bench_run.py --profile   # also a cProfile breakdown of run()
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.engine.reference import reference_fold
from simulator.engine.simulation import Simulator, simulate
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "jan2024.yaml"

RUN = "Simulator.run(seed)"
FOLD = "reference_fold(scenario)"


@dataclass(frozen=True)
class Case:
    """One thing to time: ``call(i)`` for ``i`` in ``range(per_round)``, shown in ``unit``."""

    label: str
    call: Callable[[int], object]
    per_round: int
    unit: str  # "µs" or "ms"


def time_round(case: Case) -> float:
    """Seconds per call of ``case``, from one batch of ``case.per_round`` calls."""
    call = case.call
    start = time.perf_counter()
    for i in range(case.per_round):
        call(i)
    return (time.perf_counter() - start) / case.per_round


def measure(cases: list[Case], rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each case, ``rounds`` interleaved rounds after one warm-up round."""
    for case in cases:
        time_round(case)
    times: dict[str, list[float]] = {c.label: [] for c in cases}
    for r in range(rounds):
        shift = r % len(cases)
        for case in cases[shift:] + cases[:shift]:
            times[case.label].append(time_round(case))
    return times


def check_same_work(scenario: Scenario, sim: Simulator) -> int:
    """Refuse to compare the engine with the fold unless they replay the same steps.

    Returns:
        The number of events replayed.
    """
    engine = [
        (r.event, r.relation, r.before, r.after, r.outcome, r.variables) for r in sim.run(0).records
    ]
    fold = [
        (s.event, s.relation, s.before, s.after, s.outcome, s.variables)
        for s in reference_fold(scenario)
    ]
    if engine != fold:
        first = next(
            (i for i, (a, b) in enumerate(zip(engine, fold, strict=False)) if a != b),
            min(len(engine), len(fold)),
        )
        raise SystemExit(
            f"the engine's trace and reference_fold disagree on {SCENARIO.name} "
            f"from step {first} (engine {engine[first : first + 1]}, "
            f"fold {fold[first : first + 1]}); "
            "timing them side by side would compare different work"
        )
    return len(engine)


def machine_line() -> str:
    """What the figures were measured on."""
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )


def paired_ratio(times: dict[str, list[float]], label: str) -> float:
    """Median over rounds of ``label``'s time over the fold's in the same round.

    Pairing by round cancels slow drifts in the machine's load that the plain ratio of medians
    would keep.
    """
    return statistics.median(t / f for t, f in zip(times[label], times[FOLD], strict=True))


def report(
    cases: list[Case], times: dict[str, list[float]], rounds: int, events: int, first_load: float
) -> str:
    """The results as plain text: a table, then the headline ratio."""
    scale = {"µs": 1e6, "ms": 1e3}
    width = max(len(c.label) for c in cases)
    lines = [
        f"bench_run: {SCENARIO.name} ({events} events), {rounds} interleaved rounds "
        f"(after 1 warm-up); {machine_line()}",
        f"baseline: {FOLD}; × fold = median over rounds of (case / fold in the same round)",
        "",
        f"{'case':<{width}}  {'median':>10}  {'min':>10}  {'× fold':>7}  {'calls/s':>8}",
        f"{'-' * width}  {'-' * 10}  {'-' * 10}  {'-' * 7}  {'-' * 8}",
    ]
    for c in cases:
        median, fastest = statistics.median(times[c.label]), min(times[c.label])
        k = scale[c.unit]
        lines.append(
            f"{c.label:<{width}}  {median * k:7.1f} {c.unit}  {fastest * k:7.1f} "
            f"{c.unit}  {paired_ratio(times, c.label):7.2f}  {1 / median:8.0f}"
        )
    run_median = statistics.median(times[RUN])
    fold_median = statistics.median(times[FOLD])
    lines += [
        "",
        f"one run: {run_median * 1e6:.1f} µs (min {min(times[RUN]) * 1e6:.1f}) = "
        f"{paired_ratio(times, RUN):.2f} × reference_fold ({fold_median * 1e6:.1f} µs, "
        f"min {min(times[FOLD]) * 1e6:.1f}); {1 / run_median:,.0f} runs/s on one core",
        f"first load_scenario in this process (cold): {first_load * 1e3:.1f} ms",
    ]
    return "\n".join(lines)


def profile(sim: Simulator, runs: int) -> str:
    """A cProfile breakdown of ``runs`` calls of ``sim.run``: top 15 by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for seed in range(runs):
        sim.run(seed)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(15)
    heading = (
        f"cProfile of Simulator.run: {runs} runs, top 15 by cumulative time "
        f"(divide ncalls and times by {runs} for one run; cProfile inflates times)"
    )
    return f"{heading}\n{'=' * len(heading)}\n{out.getvalue().strip()}"


def main(argv: list[str] | None = None) -> None:
    """Parse the options, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="3 short rounds: a smoke run (about a second)."
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        metavar="N",
        help="interleaved rounds (default 50; 3 with --quick).",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile breakdown of Simulator.run."
    )
    args = parser.parse_args(argv)
    rounds = args.rounds if args.rounds is not None else (3 if args.quick else 50)
    if rounds < 1:
        parser.error(f"--rounds must be at least 1, not {rounds}")
    # Calls per round of the sub-millisecond cases: small batches interleave finely, so a burst
    # of load from elsewhere lands on every case rather than on one case's whole batch.
    batch = 10 if args.quick else 50

    start = time.perf_counter()
    scenario = load_scenario(SCENARIO)
    first_load = time.perf_counter() - start
    sim = Simulator(scenario)
    events = check_same_work(scenario, sim)

    cases = [
        Case(RUN, sim.run, batch, "µs"),
        Case(FOLD, lambda _: reference_fold(scenario), batch, "µs"),
        Case("Simulator(scenario)", lambda _: Simulator(scenario), batch // 2, "µs"),
        Case("simulate(scenario, seed)", lambda seed: simulate(scenario, seed), batch // 2, "µs"),
        Case("load_scenario(path)", lambda _: load_scenario(SCENARIO), 1, "ms"),
    ]
    print(report(cases, measure(cases, rounds), rounds, events, first_load))
    if args.profile:
        print()
        print(profile(sim, 20 if args.quick else 200))


if __name__ == "__main__":
    main()
