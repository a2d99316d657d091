"""Sampled designs against grids: the cost of a design point, one run per point.

Issue 11's first floor: a Latin hypercube of 20,000 points × 1 run takes at most 1.5× the time
of 20 points × 1,000 replications on the same spec (the same scenario, parameters and runs).
Both batches run here, one after the other in every round (the order rotated), on the
``sequential`` backend (this process: the figure is the cost per run and per point, not how
well workers share it), written to ``.csv``. The spec is the counter-strike what-if
(``scenarios/whatif/retaliation-kills-iranians.yaml``) with three parameters: Iran's chance of
striking back, the tension below which ambassadors return, and tension's daily decay.

The baseline is the grid: 20 points whose scenarios are built once each, then run 1,000 times.
The ratio says what making a design point costs beside running it. Before the timed rounds, a
small batch of each kind runs once untimed, so that what a process pays once (importing scipy
for the hypercube, building the validators of the models a point sets) falls on neither.

Run from anywhere::

    .venv/bin/python benchmarks/bench_design.py            # 20,000 runs each, 2 rounds
    .venv/bin/python benchmarks/bench_design.py --quick    # 2,000 runs each, 1 round
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2,000 runs each, one round.")
    args = parser.parse_args(argv)
    runs = 2_000 if args.quick else 20_000
    rounds = 1 if args.quick else 2
    print(
        f"bench_design: {runs:,} runs per batch, sequential backend, {rounds} round(s); Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load average "
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
    g, h = statistics.median(times["grid"]), statistics.median(times["lhs"])
    gc, hc = statistics.median(cpus["grid"]), statistics.median(cpus["lhs"])
    print()
    print(f"{'batch':<40}  {'wall s':>7}  {'µs/run':>7}  {'CPU s':>7}")
    print(
        f"{f'grid: {GRID_POINTS} points × {runs // GRID_POINTS:,} runs':<40}  {g:7.2f}  "
        f"{g / runs * 1e6:7.0f}  {gc:7.2f}"
    )
    print(
        f"{f'Latin hypercube: {runs:,} points × 1 run':<40}  {h:7.2f}  {h / runs * 1e6:7.0f}  "
        f"{hc:7.2f}"
    )
    per_point = (h - g) / runs * 1e3
    print(f"\ncost of a design point beyond its run: {per_point:.2f} ms")
    # On a shared machine the wall clock also counts other processes' turns, which fall on the
    # two batches unevenly; this process's CPU time is shown beside it.
    print(f"CPU time of this process: the hypercube {hc / gc:.2f}× the grid")
    ratio = h / g
    verdict = "floor met" if ratio <= FLOOR else "floor NOT met"
    print(f"floor: the hypercube ≤ {FLOOR}× the grid — measured {ratio:.2f}× the grid: {verdict}")


if __name__ == "__main__":
    main()
