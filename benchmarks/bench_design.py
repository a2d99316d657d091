"""Sampled designs against grids: the cost of a design point, one run per point.

Issue 11's first floor: a Latin hypercube of 20,000 points × 1 run takes at most 1.5× the time
of 20 points × 1,000 replications on the same spec (the same scenario, parameters and runs),
on the ``sequential`` backend (this process: the figure is the cost per run and per point, not
how well workers share it), written to ``.csv``. The spec is the counter-strike what-if
(``scenarios/whatif/retaliation-kills-iranians.yaml``) with three parameters: Iran's chance of
striking back, the tension below which ambassadors return, and tension's daily decay.

The baseline is the grid: 20 points whose scenarios are built once each, then run 1,000 times.
The ratio says what making a design point costs beside running it. Before the timed rounds, a
small batch of each kind runs once untimed, so that what a process pays once (importing scipy
for the hypercube, building the validators of the models a point sets) falls on neither.

How the verdict is kept from the machine's noise (as ``bench_startup.py`` does): on a shared
2-core machine the grid's own time per run moved by ±40% from one round to the next, so two
medians taken apart (the grid's, the hypercube's) could land anywhere between 1.4× and 1.85×
of each other. So the two batches run in rounds, back to back, the order alternated from round
to round (so that neither always runs first, in a warmer or a quieter moment); the ratio is
taken within each round (hypercube / grid, the two measured a few seconds apart) and the
figure is the median of those paired ratios, with min over min beside it (each batch's best
round: the closest to its cost on a quiet machine). What is measured is unchanged — the same
two designs, the same number of runs, whole batches — only how the rounds are paired. CPU time
of this process is reported the same way beside the wall clock: other processes' turns fall on
the two batches unevenly, and CPU time leaves them out (the floor is judged on wall time).

Run from anywhere::

    .venv/bin/python benchmarks/bench_design.py            # 20,000 runs each, 5 rounds
    .venv/bin/python benchmarks/bench_design.py --quick    # 2,000 runs each, 3 rounds
    .venv/bin/python benchmarks/bench_design.py --rounds 9
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.batch.runner import run_batch  # noqa: E402

WHATIF = ROOT / "scenarios" / "whatif" / "retaliation-kills-iranians.yaml"
FLOOR = 1.5
GRID_POINTS = 20


def spec(folder: Path, name: str, design: dict[str, object], replications: int) -> Path:
    parameters = [
        {"path": "rules[iranian-counter-strike].probability", "name": "p", "low": 0.0, "high": 1.0},
        {"path": "parameters.return_at_most", "name": "ret", "low": 0.05, "high": 0.3},
        {"path": "variables.tension.decay_per_day", "name": "decay", "low": 0.02, "high": 0.2},
    ]
    if design["kind"] == "grid":  # 20 points: 5 × 2 × 2
        for p, steps in zip(parameters, (5, 2, 2), strict=True):
            p["steps"] = steps
    doc = {
        "dipsim_batch": 1,
        "scenario": str(WHATIF),
        "parameters": parameters,
        "design": design,
        "replications": replications,
        "seed": 11,
        "metrics": ["final_state"],
        "relations": ["PAK-IRN"],
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def timed(path: Path, folder: Path, tag: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds of this process for one batch."""
    start, cpu = time.perf_counter(), time.process_time()
    run_batch(path, "sequential", out=folder / f"{tag}.csv")
    return time.perf_counter() - start, time.process_time() - cpu


def paired(lhs: list[float], grid: list[float]) -> tuple[float, float]:
    """The median of the round-by-round ratios (hypercube / grid), and min over min."""
    ratios = [h / g for h, g in zip(lhs, grid, strict=True)]
    return statistics.median(ratios), min(lhs) / min(grid)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2,000 runs each, 3 rounds.")
    parser.add_argument(
        "--rounds", type=int, default=None, metavar="N", help="rounds (default 5; 3 with --quick)"
    )
    args = parser.parse_args(argv)
    runs = 2_000 if args.quick else 20_000
    rounds = args.rounds if args.rounds is not None else (3 if args.quick else 5)
    if rounds < 1:
        parser.error(f"--rounds must be at least 1, not {rounds}")
    print(
        f"bench_design: {runs:,} runs per batch, sequential backend, {rounds} paired round(s); "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    times: dict[str, list[float]] = {"grid": [], "lhs": []}
    cpus: dict[str, list[float]] = {"grid": [], "lhs": []}
    with tempfile.TemporaryDirectory(prefix="bench_design-") as tmp:
        folder = Path(tmp)
        grid = spec(folder, "grid", {"kind": "grid"}, runs // GRID_POINTS)
        lhs = spec(folder, "lhs", {"kind": "lhs", "points": runs}, 1)
        warm: list[tuple[str, dict[str, object], int]] = [
            ("warm-grid", {"kind": "grid"}, 5),
            ("warm-lhs", {"kind": "lhs", "points": 100}, 1),
        ]
        for name, design, replications in warm:
            timed(spec(folder, name, design, replications), folder, name)
        for r in range(rounds):
            order = [("grid", grid), ("lhs", lhs)]
            for name, path in order if r % 2 == 0 else order[::-1]:
                wall, cpu = timed(path, folder, f"{name}-{r}")
                times[name].append(wall)
                cpus[name].append(cpu)
    print()
    print(f"{'batch':<40}  {'median s':>8}  {'min s':>6}  {'µs/run':>7}  {'CPU s':>6}")
    labels = {
        "grid": f"grid: {GRID_POINTS} points × {runs // GRID_POINTS:,} runs",
        "lhs": f"Latin hypercube: {runs:,} points × 1 run",
    }
    for name, label in labels.items():
        wall = statistics.median(times[name])
        print(
            f"{label:<40}  {wall:8.2f}  {min(times[name]):6.2f}  {wall / runs * 1e6:7.0f}  "
            f"{statistics.median(cpus[name]):6.2f}"
        )
    print(
        "\nper round (hypercube / grid): wall "
        + ", ".join(f"{h / g:.2f}" for h, g in zip(times["lhs"], times["grid"], strict=True))
        + "; CPU "
        + ", ".join(f"{h / g:.2f}" for h, g in zip(cpus["lhs"], cpus["grid"], strict=True))
    )
    per_point = (min(times["lhs"]) - min(times["grid"])) / runs * 1e3
    print(f"cost of a design point beyond its run (min over min): {per_point:.3f} ms")
    ratio, best = paired(times["lhs"], times["grid"])
    cpu_ratio, cpu_best = paired(cpus["lhs"], cpus["grid"])
    print(
        f"CPU time of this process: the hypercube {cpu_ratio:.2f}× the grid "
        f"(min/min {cpu_best:.2f}×)"
    )
    verdict = "floor met" if ratio <= FLOOR else "floor NOT met"
    print(
        f"floor: the hypercube ≤ {FLOOR}× the grid — measured {ratio:.2f}× the grid (median of "
        f"paired rounds; min/min {best:.2f}×): {verdict}"
    )


if __name__ == "__main__":
    main()
