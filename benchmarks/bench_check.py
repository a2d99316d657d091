"""What `dipsim check` costs beyond the runs it makes, and how fast `--explore` hunts.

Two measurements, each against a baseline timed in the same rounds (the order rotated from round
to round, so that noise from the rest of the machine falls on both alike):

* **judging claims** — `check_scenario` on the stochastic what-if
  `scenarios/whatif/retaliation-kills-iranians.yaml` with five expectations added (one of each
  kind) beside the two invariants it inherits, over N runs; baseline: the bare
  `Simulator.run` loop over the same N derived seeds. The ratio is what judging costs on top of
  running (the static analysis is included: it runs once per check).
* **exploring** — `explore` of `scenarios/jan2024.yaml` (its invariants hold, so nothing is
  shrunk: the pure hunting rate), N random sequences; baseline: building a `Simulator` for the
  replay and running it once, N times (each explored sequence needs a simulator of its own).

Run from anywhere::

    .venv/bin/python benchmarks/bench_check.py            # 1,000 runs / sequences, 5 rounds
    .venv/bin/python benchmarks/bench_check.py --quick    # a smoke run (about 2 s)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from simulator.check.checker import check_scenario
from simulator.check.explore import explore
from simulator.engine.seeds import derive_seed
from simulator.engine.simulation import Simulator
from simulator.scenario.loading import LoadedScenario, load_scenario, load_scenario_with_origin
from simulator.scenario.model import ExpectSpec

ROOT = Path(__file__).resolve().parent.parent
WHATIF = ROOT / "scenarios" / "whatif" / "retaliation-kills-iranians.yaml"
REPLAY = ROOT / "scenarios" / "jan2024.yaml"

CLAIMS = (
    {"relation": "PAK-IRN", "state": "envoys_recalled", "date": "2024-01-20"},
    {"relation": "PAK-IRN", "reaches": "restored", "by": "2024-01-31", "at_least": 0.5},
    {"relation": "PAK-IRN", "never": "strained", "by": "2024-01-15"},
    {"event": "pakistan-strikes-iran", "outcome": "rejected"},
    {"relation": "PAK-IRN", "final": "normal", "at_least": 0.5},
)


def with_claims(loaded: LoadedScenario) -> LoadedScenario:
    expect = tuple(ExpectSpec.model_validate(c) for c in CLAIMS)
    return dataclasses.replace(
        loaded, scenario=loaded.scenario.model_copy(update={"expect": expect})
    )


def rounds_of(cases: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each case, one call per round each, the order rotated by round."""
    names = list(cases)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            started = time.perf_counter()
            cases[name]()
            times[name].append(time.perf_counter() - started)
    return times


def report(title: str, unit: str, n: int, times: dict[str, list[float]], base: str) -> None:
    print(f"\n{title}")
    print(f"{'case':<54} {'median s':>9} {'min s':>8} {unit:>12} {'× base':>8}")
    base_median = statistics.median(times[base])
    for name, t in times.items():
        median = statistics.median(t)
        rate = n / median
        print(
            f"{name:<54} {median:>9.3f} {min(t):>8.3f} {rate:>12,.0f} {median / base_median:>7.2f}×"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs and sequences per call")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="200 runs, 2 rounds")
    args = parser.parse_args()
    n, rounds = (200, 2) if args.quick else (args.runs, args.rounds)
    print(
        f"bench_check: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {n:,} runs/sequences per call, {rounds} rounds"
    )

    loaded = with_claims(load_scenario_with_origin(WHATIF))
    sim = Simulator(loaded.scenario)
    report_check = check_scenario(loaded, runs=n, seed=0)
    # Checked before timing: every claim is judged, on every run.
    if report_check.runs != n or len(report_check.results) != len(CLAIMS) + 2:
        raise SystemExit(f"check_scenario judged {len(report_check.results)} items")
    judging = rounds_of(
        {
            f"check_scenario (5 expect + 2 invariants, {n} runs)": lambda: check_scenario(
                loaded, runs=n, seed=0
            ),
            f"Simulator.run × {n} (baseline)": lambda: [
                sim.run(derive_seed(0, k)) for k in range(n)
            ],
        },
        rounds,
    )
    report(
        "judging claims on a stochastic what-if",
        "runs/s",
        n,
        judging,
        f"Simulator.run × {n} (baseline)",
    )

    replay = load_scenario(REPLAY)
    if explore(replay, 20, seed=0).counterexamples:
        raise SystemExit("the replay's invariants broke: nothing would be a pure hunting rate")
    exploring = rounds_of(
        {
            f"explore (jan2024, {n} sequences)": lambda: explore(replay, n, seed=0),
            f"Simulator(replay).run() × {n} (baseline)": lambda: [
                Simulator(replay).run(0) for _ in range(n)
            ],
        },
        rounds,
    )
    report(
        "exploring random event sequences",
        "per s",
        n,
        exploring,
        f"Simulator(replay).run() × {n} (baseline)",
    )


if __name__ == "__main__":
    main()
