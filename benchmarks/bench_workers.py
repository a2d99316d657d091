"""Monte Carlo on 2 workers against 1 worker, 10^5 runs, now and before (side by side).

The floor (the issue): ``run_many`` on 2 worker processes at least 1.8× as fast as on one
(``workers=1``: the runs in the calling process), on 10^5 runs of
``scenarios/whatif/retaliation-kills-iranians.yaml``, on a quiet machine — so the load average
is printed with every figure.

Each measure is one ``run_many(scenario, runs, seed, workers=W)`` in a fresh Python process with
``PYTHONPATH`` set to one tree (the process loads the scenario first; the time is the call's,
starting the pool of spawned workers included, as ``dipsim run --runs N --workers 2`` pays it):

* **now**: this checkout;
* **before**: the package at ``--baseline`` (default ``28abfa0``, where the workers sent back a
  summary per run for the parent to unpickle and fold), unpacked with ``git archive`` into a
  temporary folder; ``--baseline none`` leaves it out.

Every round measures every case once (1 and 2 workers, of each tree), in an order rotated from
round to round so that load from elsewhere falls on all alike, after a warm-up round of a tenth
of the runs. Printed per tree: wall seconds (median over rounds), runs/s, the ratio 1 worker / 2
workers paired per round (median; and best over best), the *steady* ratio (runs/s between the
first and the last chunk back, without the pool's start-up and the last chunk's wait), and the
CPU time per run of the parent process (all its threads: it merges what the workers send) and
of the workers (``RUSAGE_CHILDREN``, once the pool has been shut down). Before timing, the
outcomes of 1 and 2 workers, with small chunks, are checked identical.

Run from the repository root (git must know the baseline commit)::

    .venv/bin/python benchmarks/bench_workers.py            # 100,000 runs, 3 rounds (~8 min)
    .venv/bin/python benchmarks/bench_workers.py --quick    # 4,000 runs, 1 round, no baseline
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from _process import ROOT, loads, machine, unpack
from _process import run_in as python

SCENARIO = ROOT / "scenarios" / "whatif" / "retaliation-kills-iranians.yaml"
FLOOR = 1.8

#: Run in a fresh process with PYTHONPATH set to one tree: one run_many call, timed.
_MEASURE = """
import json, os, sys, time
from resource import RUSAGE_CHILDREN, RUSAGE_SELF, getrusage
from simulator.engine.montecarlo import run_many
from simulator.scenario.loading import load_scenario
scenario = load_scenario(sys.argv[1])
runs, seed, workers = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
chunks = []
load = os.getloadavg()[0]
usage = lambda: (getrusage(RUSAGE_SELF), getrusage(RUSAGE_CHILDREN))
self0, kids0 = usage()
start = time.perf_counter()
run_many(scenario, runs, seed, workers, lambda done, _: chunks.append((time.perf_counter(), done)))
wall = time.perf_counter() - start
self1, kids1 = usage()
cpu = lambda a, b: (b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime)
(t0, d0), (t1, d1) = chunks[0], chunks[-1]
print(json.dumps({
    "wall": wall, "parent_cpu": cpu(self0, self1), "workers_cpu": cpu(kids0, kids1),
    "steady": (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0, "load": load,
}))
"""

#: The outcomes of 1 and 2 workers (chunks of 37 runs) must be the same.
_CHECK = """
import sys
from simulator.engine.montecarlo import run_many
from simulator.scenario.loading import load_scenario
scenario = load_scenario(sys.argv[1])
same = run_many(scenario, 2_000, 5) == run_many(scenario, 2_000, 5, workers=2, chunk_size=37)
sys.exit(0 if same else 1)
"""


def measure(
    trees: dict[str, Path], scenario: Path, runs: int, rounds: int
) -> dict[tuple[str, int], list[dict[str, float]]]:
    """Every (tree, workers) case once per round, rotated; a warm-up round first."""
    cases = [(label, workers) for label in trees for workers in (1, 2)]
    for label, workers in cases:
        python(trees[label], _MEASURE, scenario, max(2_000, runs // 10), 0, workers)
    got: dict[tuple[str, int], list[dict[str, float]]] = {case: [] for case in cases}
    for r in range(rounds):
        shift = r % len(cases)
        for label, workers in cases[shift:] + cases[:shift]:
            m = json.loads(python(trees[label], _MEASURE, scenario, runs, r + 1, workers))
            got[label, workers].append(m)
            print(
                f"  round {r + 1}: {label:<6} {workers} worker(s) {m['wall']:7.2f} s  "
                f"load {m['load']:.2f}",
                file=sys.stderr,
                flush=True,
            )
    return got


def report(got: dict[tuple[str, int], list[dict[str, float]]], runs: int) -> list[str]:
    lines = [
        f"{'tree':<6}  {'workers':>7}  {'wall s':>7}  {'runs/s':>7}  {'× 1 worker':>10}  "
        f"{'best':>5}  {'steady ×':>8}  {'parent µs/run':>13}  {'workers µs/run':>14}",
    ]
    verdicts = []
    for label in dict.fromkeys(label for label, _ in got):
        one, two = got[label, 1], got[label, 2]
        paired = statistics.median(a["wall"] / b["wall"] for a, b in zip(one, two, strict=True))
        best = min(a["wall"] for a in one) / min(b["wall"] for b in two)
        steady = statistics.median(b["steady"] / a["steady"] for a, b in zip(one, two, strict=True))
        for workers, ms in ((1, one), (2, two)):
            wall = statistics.median(m["wall"] for m in ms)
            parent = statistics.median(m["parent_cpu"] for m in ms) / runs * 1e6
            kids = statistics.median(m["workers_cpu"] for m in ms) / runs * 1e6
            ratio = (
                f"{paired:10.2f}  {best:5.2f}  {steady:8.2f}"
                if workers == 2
                else (f"{1.0:10.2f}  {'':>5}  {'':>8}")
            )
            lines.append(
                f"{label:<6}  {workers:>7}  {wall:7.2f}  {runs / wall:7,.0f}  {ratio}  "
                f"{parent:13.1f}  {kids:14.1f}"
            )
        verdict = "floor met" if paired >= FLOOR else "floor NOT met"
        verdicts.append(f"{label}: 2 workers {paired:.2f}× one worker (floor {FLOOR}×): {verdict}")
    all_loads = [m["load"] for ms in got.values() for m in ms]
    lines += [
        "",
        *verdicts,
        f"load average (1 min) at the start of each measure: min {min(all_loads):.2f}, "
        f"median {statistics.median(all_loads):.2f}, max {max(all_loads):.2f}",
    ]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="4,000 runs, 1 round, no baseline.")
    parser.add_argument("--runs", type=int, default=None, metavar="N", help="default 100,000.")
    parser.add_argument("--rounds", type=int, default=None, metavar="N", help="default 3.")
    parser.add_argument(
        "--baseline", default=None, metavar="REV", help="'before' commit (default 28abfa0; none)."
    )
    parser.add_argument("--scenario", type=Path, default=SCENARIO, metavar="PATH")
    args = parser.parse_args(argv)
    runs = args.runs or (4_000 if args.quick else 100_000)
    rounds = args.rounds or (1 if args.quick else 3)
    baseline = args.baseline or ("none" if args.quick else "28abfa0")
    scenario = args.scenario.resolve()
    python(ROOT, _CHECK, scenario)  # exits non-zero if 1 and 2 workers differ
    print(
        f"bench_workers: run_many of {scenario.name}, {runs:,} runs per measure, {rounds} "
        f"interleaved rounds (after a warm-up), before = {baseline}; {machine()}; "
        f"load average at the start {loads()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench_workers-") as tmp:
        trees = {"now": ROOT}
        if baseline != "none":
            trees["before"] = unpack(baseline, Path(tmp))
        got = measure(trees, scenario, runs, rounds)
    print("\n".join(["", *report(got, runs), f"load average at the end {loads()}"]))


if __name__ == "__main__":
    main()
