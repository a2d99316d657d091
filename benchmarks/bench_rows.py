"""Per-run CPU of a run that makes a row, now against the code before issue 11 (side by side).

For each stochastic what-if named by issue 11 (``retaliation-kills-iranians``,
``escalation-machine``, ``china-mediation-early``, ``return-delayed-lognormal``), the CPU time
of one run that ends in a run summary — what ``dipsim run --runs`` and a batch (without the
``variables`` and ``expectations`` metrics) do per run: ``summarize(Simulator.run(seed))``
before, ``summarize_outline(Simulator.outline(seed))`` now, which give the same summary
(``tests/test_outline.py``) — is measured in a fresh process for each of two trees,
interleaved round by round so that the machine's noise falls on both alike:

* **before**: the package as it was at ``--baseline`` (default ``9987d68``, the last commit
  before issue 11's engine work), unpacked with ``git archive`` into a temporary folder;
* **now**: this checkout.

Beside them, the reference fold (``reference_fold(scenario)``: the scripted events as a plain
loop, no SimPy, no ``transitions``, no rules) in the same process as *now*, as in
``bench_run.py``. µs are medians over rounds; ``× before`` is paired (each round's *now* over
the same round's *before*, then the median). The floor (issue 11): *now* at most 0.5× *before*
on each of the four.

Run from the repository root (git must know the baseline commit)::

    .venv/bin/python benchmarks/bench_rows.py            # 2,000 runs per measure, 5 rounds
    .venv/bin/python benchmarks/bench_rows.py --quick    # 300 runs, 1 round
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
from pathlib import Path

from _process import ROOT, run_in, unpack

WHATIFS = (
    "retaliation-kills-iranians",
    "escalation-machine",
    "china-mediation-early",
    "return-delayed-lognormal",
)
FLOOR = 0.5

#: Run in a fresh process with PYTHONPATH set to one tree: µs of CPU per run, and per fold.
_MEASURE = """
import json, sys, time
from simulator.scenario.loading import load_scenario
from simulator.engine.simulation import Simulator
from simulator.engine.montecarlo import summarize
from simulator.engine.reference import reference_fold
scenario = load_scenario(sys.argv[1])
runs = int(sys.argv[2])
sim = Simulator(scenario)
if hasattr(sim, "outline"):  # what run_many and a batch do now: no records made
    from simulator.engine.montecarlo import summarize_outline
    def one(seed):
        return summarize_outline(sim.outline(seed=seed))
else:  # before: the trace, then its summary
    def one(seed):
        return summarize(sim.run(seed=seed))
for seed in range(200):
    one(seed)
start = time.process_time()
for seed in range(runs):
    one(seed)
run = (time.process_time() - start) / runs
start = time.process_time()
for _ in range(runs):
    reference_fold(scenario)
fold = (time.process_time() - start) / runs
print(json.dumps({"run": run * 1e6, "fold": fold * 1e6}))
"""


def measure(tree: Path, scenario: Path, runs: int) -> dict[str, float]:
    result: dict[str, float] = json.loads(run_in(tree, _MEASURE, scenario, runs))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="300 runs, one round.")
    parser.add_argument("--baseline", default="9987d68", metavar="REV", help="the 'before' commit")
    args = parser.parse_args(argv)
    runs, rounds = (300, 1) if args.quick else (2_000, 5)
    print(
        f"bench_rows: µs of CPU per run to its summary, {runs:,} runs × {rounds} rounds, "
        f"before = {args.baseline}; Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_rows-") as tmp:
        before_tree = unpack(args.baseline, Path(tmp))
        for name in WHATIFS:
            scenario = ROOT / "scenarios" / "whatif" / f"{name}.yaml"
            before: list[float] = []
            now: list[float] = []
            fold: list[float] = []
            for r in range(rounds):
                pair = [("before", before_tree), ("now", ROOT)]
                for label, tree in pair if r % 2 == 0 else pair[::-1]:
                    got = measure(tree, scenario, runs)
                    (before if label == "before" else now).append(got["run"])
                    if label == "now":
                        fold.append(got["fold"])
            b, n, f = statistics.median(before), statistics.median(now), statistics.median(fold)
            # Paired: each round's now over the same round's before, then the median.
            paired = statistics.median(x / y for x, y in zip(now, before, strict=True))
            rows.append((name, b, n, f, paired))
    print()
    print(
        f"{'what-if':<28}  {'before µs':>9}  {'now µs':>7}  {'× before':>8}  {'fold µs':>7}"
        f"  {'× fold':>6}"
    )
    for name, b, n, f, paired in rows:
        print(f"{name:<28}  {b:9.0f}  {n:7.0f}  {paired:8.2f}  {f:7.0f}  {n / f:6.2f}")
    worst = max(paired for *_, paired in rows)
    verdict = "floor met" if worst <= FLOOR else "floor NOT met"
    print(f"\nfloor: now ≤ {FLOOR}× before on each — worst {worst:.2f}× before: {verdict}")


if __name__ == "__main__":
    main()
