"""Monte Carlo throughput: runs per second of ``run_many`` on 1 and 2 workers, against the fold.

What ``dipsim run scenarios/jan2024.yaml --runs 10000 [--workers 2]`` does after loading the
scenario — ``run_many(scenario, 10_000, seed, workers)``: derive each run's seed, run it,
reduce its trace to a summary, fold the summaries into outcomes — timed beside
:func:`simulator.engine.reference.reference_fold` (a plain loop over the transition table, no
SimPy, no
``transitions``, no summaries), the baseline: ``× fold`` is the time per run over the fold's.
Also timed: the bare ``Simulator.run`` loop over the same seeds (what the summaries and the
fold into outcomes add to it) and the start-up of a pool of 2 worker processes on its own
(``run_many`` of 2 runs), which the 2-worker figure includes, as the command line pays it.

Every case is timed in every round, in an order rotated from round to round, so that noise from
the rest of the machine falls on all of them alike; a warm-up round with a tenth of the runs
comes first. Figures are the median and the best over rounds. Before timing, the outcomes of 1
and 2 workers are checked to be identical (they must do the same work).

Run from anywhere::

    .venv/bin/python benchmarks/bench_montecarlo.py            # 10,000 runs, 3 rounds
    .venv/bin/python benchmarks/bench_montecarlo.py --quick    # 400 runs, 1 round (a smoke run)
    .venv/bin/python benchmarks/bench_montecarlo.py --scenario scenarios/whatif/X.yaml

With a scenario that has response rules, the fold replays its scripted events only (it knows no
rules), so it is a floor rather than the same work; the report says so.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.engine.montecarlo import run_many
from simulator.engine.reference import reference_fold
from simulator.engine.seeds import derive_seed
from simulator.engine.simulation import Simulator
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "jan2024.yaml"

ONE = "run_many(workers=1)"
TWO = "run_many(workers=2)"
LOOP = "Simulator.run loop"
FOLD = "reference_fold"
START = "pool start-up (2 workers, 2 runs)"


@dataclass(frozen=True)
class Case:
    """One thing to time: ``call(seed, runs)`` does ``runs`` runs (or the pool start-up)."""

    label: str
    call: Callable[[int, int], object]
    share: float = 1.0  # fraction of the runs this case does per round (the fold: fewer)


def time_round(case: Case, seed: int, runs: int) -> float:
    """Seconds per run of ``case`` (for START: seconds in all), from one call."""
    n = max(1, round(runs * case.share))
    start = time.perf_counter()
    case.call(seed, n)
    elapsed = time.perf_counter() - start
    return elapsed if case.label == START else elapsed / n


def measure(cases: list[Case], rounds: int, runs: int) -> dict[str, list[float]]:
    """Seconds per run of each case over ``rounds`` interleaved rounds, after a warm-up round."""
    for case in cases:
        time_round(case, 0, max(50, runs // 10))
    times: dict[str, list[float]] = {c.label: [] for c in cases}
    for r in range(rounds):
        shift = r % len(cases)
        for case in cases[shift:] + cases[:shift]:
            times[case.label].append(time_round(case, r + 1, runs))
    return times


def machine_line() -> str:
    """What the figures were measured on."""
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )


def paired_ratio(times: dict[str, list[float]], label: str) -> float:
    """Median over rounds of ``label``'s time per run over the fold's in the same round."""
    return statistics.median(t / f for t, f in zip(times[label], times[FOLD], strict=True))


def check_same_outcomes(scenario: Scenario, runs: int) -> None:
    """Refuse to time the pool unless it gives exactly what one process gives."""
    if run_many(scenario, runs, 7) != run_many(scenario, runs, 7, workers=2, chunk_size=7):
        raise SystemExit(
            "run_many gives different outcomes on 1 and 2 workers: timing them side by side "
            "would compare different work"
        )


def report(
    scenario: Scenario,
    path: Path,
    times: dict[str, list[float]],
    rounds: int,
    runs: int,
) -> str:
    """The results as plain text: a table, then the headline figures."""
    labels = [ONE, TWO, LOOP, FOLD]
    width = max(len(label) for label in [*labels, START])
    rules = len(getattr(scenario, "rules", ()))
    lines = [
        f"bench_montecarlo: {path.name} ({len(scenario.events)} events, {rules} rules), "
        f"{runs:,} runs per case, {rounds} interleaved rounds (after 1 warm-up); "
        f"{machine_line()}",
        f"baseline: {FOLD}; × fold = median over rounds of (time per run / the fold's in the "
        "same round)",
    ]
    if rules:
        lines.append(
            "note: the scenario has response rules; the fold replays its scripted events only "
            "(a floor, not the same work)"
        )
    lines += [
        "",
        f"{'case':<{width}}  {'runs/s':>8}  {'best':>8}  {'µs/run':>7}  {'× fold':>6}",
        f"{'-' * width}  {'-' * 8}  {'-' * 8}  {'-' * 7}  {'-' * 6}",
    ]
    for label in labels:
        median, best = statistics.median(times[label]), min(times[label])
        lines.append(
            f"{label:<{width}}  {1 / median:8,.0f}  {1 / best:8,.0f}  {median * 1e6:7.1f}  "
            f"{paired_ratio(times, label):6.2f}"
        )
    start = statistics.median(times[START])
    lines.append(
        f"{START:<{width}}  {start * 1e3:8.0f} ms (median; best {min(times[START]) * 1e3:.0f})"
    )
    one, two = statistics.median(times[ONE]), statistics.median(times[TWO])
    steady = (two * runs - start) / runs
    added = statistics.median(o - p for o, p in zip(times[ONE], times[LOOP], strict=True))
    lines += [
        "",
        f"{runs:,} runs: {1 / one:,.0f} runs/s on 1 worker, {1 / two:,.0f} runs/s on 2 "
        f"({one / two:.2f}× one worker; {1 / steady:,.0f} runs/s once the pool has started); "
        f"reference_fold {1 / statistics.median(times[FOLD]):,.0f} runs/s on one core",
        f"per run, the summaries and the fold into outcomes add {added * 1e6:.0f} µs "
        f"(median over rounds) to Simulator.run's {statistics.median(times[LOOP]) * 1e6:.0f} µs",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse the options, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="400 runs, 1 round: a smoke run (a few seconds)."
    )
    parser.add_argument(
        "--runs", type=int, default=None, metavar="N", help="runs per case (default 10,000)."
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        metavar="N",
        help="interleaved rounds (default 3; 1 with --quick).",
    )
    parser.add_argument(
        "--scenario",
        type=Path,
        default=SCENARIO,
        metavar="PATH",
        help="the scenario to run (default scenarios/jan2024.yaml).",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    runs = args.runs if args.runs is not None else (400 if args.quick else 10_000)
    if rounds < 1 or runs < 2:
        parser.error(f"--rounds must be at least 1 and --runs at least 2, not {rounds}, {runs}")

    scenario = load_scenario(args.scenario)
    sim = Simulator(scenario)
    check_same_outcomes(scenario, min(runs, 50))
    folded = scenario
    try:
        reference_fold(scenario)
    except KeyError as err:  # the fold knows no parameters: a guard that reads one fails
        folded = load_scenario(SCENARIO)
        print(f"note: reference_fold cannot replay {args.scenario.name} ({err!r}); the baseline is")
        print(f"      the fold of {SCENARIO.name} instead")

    def loop(seed: int, n: int) -> None:
        for k in range(n):
            sim.run(derive_seed(seed, k))

    def fold(_seed: int, n: int) -> None:
        for _ in range(n):
            reference_fold(folded)

    cases = [
        Case(ONE, lambda seed, n: run_many(scenario, n, seed)),
        Case(TWO, lambda seed, n: run_many(scenario, n, seed, workers=2)),
        Case(LOOP, loop),
        Case(FOLD, fold, share=0.25),
        Case(START, lambda seed, _: run_many(scenario, 2, seed, workers=2, chunk_size=1)),
    ]
    print(report(scenario, args.scenario, measure(cases, rounds, runs), rounds, runs))


if __name__ == "__main__":
    main()
