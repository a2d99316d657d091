"""A Sobol batch of about 10^6 runs, end to end on 2 workers, and its analysis: peak memory.

The floor (the issue): ``dipsim batch`` of a 10^6-run Sobol design on 2 workers stays under
300 MB resident, all processes together. The spec is ``scenarios/batches/restoration-sobol.yaml``
(four parameters of ``retaliation-kills-iranians.yaml``, final states and first-entry days of
PAK-IRN, common seeds) with Saltelli's scheme at second order — N × (2D + 2) = 10 N points for
D = 4 — and N and the replications chosen for the size asked (10^6: N = 4,096, 25 replications,
1,024,000 runs). It is written to a temporary folder and run as the command line runs it:

    python -m simulator batch SPEC --out RESULTS.parquet --workers 2 --quiet
    python -m simulator analyze RESULTS.parquet --outcome final:normal --format json

each a subprocess whose process tree (the command, its workers, multiprocessing's resource
tracker) is sampled every 0.2 s with psutil: the peak of the sum of RSS over the tree (shared
pages are counted once per process, so the sum overstates), the peak of the command alone, the
most processes seen. Printed beside them: wall time, runs/s, the load average before and after.

The baseline, in the same run: the same spec at about 10^4 runs (N = 64, 16 replications), so
the ratio of the peaks says whether memory grows with the runs. ``--quick`` runs only that one.

Run from anywhere::

    .venv/bin/python benchmarks/bench_sobol_rss.py            # 10^4, then 10^6 runs (~6 min)
    .venv/bin/python benchmarks/bench_sobol_rss.py --quick    # 10^4 runs (~15 s)
    .venv/bin/python benchmarks/bench_sobol_rss.py --runs 200000
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _process import ROOT, SAMPLE_EVERY, Peak, loads, machine, peak_memory

SCENARIO = ROOT / "scenarios" / "whatif" / "retaliation-kills-iranians.yaml"
FLOOR_MB = 300.0
MB = 2**20
BASELINE_RUNS = 10_000
PARAMETERS = 4  # D: the parameters below

SPEC = """\
dipsim_batch: 1
title: What decides restoration? (Sobol indices, {runs:,} runs)
scenario: {scenario}
parameters:
  - {{path: "rules[iranian-counter-strike].probability", name: counter_strike_p, low: 0.0,
      high: 1.0}}
  - {{path: parameters.return_at_most, name: return_at_most, low: 0.05, high: 0.3}}
  - {{path: variables.tension.decay_per_day, name: decay, low: 0.02, high: 0.2}}
  - {{path: event_types.make_statement.codes.goldstein, name: statement_goldstein, low: -2.0,
      high: 2.0}}
design: {{kind: sobol, points: {points}, second_order: true}}
replications: {replications}
seed: 2024
seeds: common
metrics: [final_state, first_entered]
relations: [PAK-IRN]
"""


def sizes(runs: int) -> tuple[int, int]:
    """Saltelli's base sample N (a power of 2) and the replications for about ``runs`` runs."""
    replications = 25 if runs >= 100_000 else 16
    per_base = (2 * PARAMETERS + 2) * replications
    return 2 ** max(0, round(math.log2(runs / per_base))), replications


def write_spec(folder: Path, runs: int) -> tuple[Path, int, int]:
    """The spec for about ``runs`` runs; its path, design points and runs."""
    points, replications = sizes(runs)
    design = points * (2 * PARAMETERS + 2)
    path = folder / f"sobol-{design * replications}.yaml"
    text = SPEC.format(
        runs=design * replications,
        scenario=json.dumps(str(SCENARIO)),
        points=points,
        replications=replications,
    )
    path.write_text(text, encoding="utf-8")
    return path, design, design * replications


def one_size(folder: Path, runs: int, workers: int) -> Sized:
    """Batch, then analyze, at about ``runs`` runs."""
    spec, points, runs = write_spec(folder, runs)
    results = folder / f"{spec.stem}.parquet"
    load = [loads()]
    say(f"{runs:,} runs ({points:,} points): batch, load {load[0]}")
    dipsim = [sys.executable, "-m", "simulator"]
    batch = peak_memory(
        [*dipsim, "batch", str(spec), "--out", str(results), "--workers", str(workers), "-q"],
        folder / "batch.log",
    )
    size = results.stat().st_size
    load.append(loads())
    say(f"{runs:,} runs: analyze, load {load[1]}")
    analysis = folder / "analysis.json"
    outcome = ["--outcome", "final:normal", "--format", "json", "--out", str(analysis)]
    analyze = peak_memory([*dipsim, "analyze", str(results), *outcome], folder / "analyze.log")
    found = json.loads(analysis.read_text(encoding="utf-8"))
    load.append(loads())
    results.unlink()
    return Sized(runs, points, size, batch, analyze, tuple(load), found)


@dataclass(frozen=True)
class Sized:
    """One size: the batch and the analysis, measured."""

    runs: int
    points: int
    results_bytes: int
    batch: Peak
    analyze: Peak
    loads: tuple[str, ...]  # before the batch, between, after the analysis
    found: dict[str, Any]


def say(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


def report(sizes_: list[Sized]) -> list[str]:
    header = (
        f"{'runs':>10}  {'points':>7}  {'command':<7}  {'wall s':>7}  {'runs/s':>7}  "
        f"{'tree MB':>7}  {'parent MB':>9}  {'procs':>5}  {'× base tree':>11}  load (1, 5, 15 min)"
    )
    lines = [header, "-" * len(header)]
    base = sizes_[0]
    for s in sizes_:
        for what, peak, base_peak, load in (
            ("batch", s.batch, base.batch, s.loads[0]),
            ("analyze", s.analyze, base.analyze, s.loads[1]),
        ):
            lines.append(
                f"{s.runs:>10,}  {s.points:>7,}  {what:<7}  {peak.seconds:7.1f}  "
                f"{s.runs / peak.seconds:7,.0f}  {peak.tree / MB:7.1f}  {peak.parent / MB:9.1f}  "
                f"{peak.processes:>5}  {peak.tree / base_peak.tree:11.2f}  {load}"
            )
    lines.append("")
    for s in sizes_:
        worst = max(s.batch.tree, s.analyze.tree) / MB
        verdict = "floor met" if worst < FLOOR_MB else "floor NOT met"
        lines.append(
            f"{s.runs:,} runs: results {s.results_bytes / MB:.1f} MB of Parquet; load after "
            f"{s.loads[2]}; peak of all processes {worst:.1f} MB (floor < {FLOOR_MB:.0f} MB: "
            f"{verdict}); analyze: {_indices(s.found)}"
        )
    return lines


def _indices(found: dict[str, Any]) -> str:
    rows = found.get("sobol")
    if not isinstance(rows, list):
        return f"keys {', '.join(found)}"
    return "; ".join(f"{r.get('parameter')} ST {r.get('ST')}" for r in rows if isinstance(r, dict))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="only the 10^4-run batch.")
    parser.add_argument("--runs", type=int, default=1_000_000, metavar="N", help="about N runs.")
    parser.add_argument("--workers", type=int, default=2, metavar="N", help="default 2.")
    args = parser.parse_args(argv)
    print(
        f"bench_sobol_rss: dipsim batch of a Sobol design (second order, {PARAMETERS} "
        f"parameters) on {args.workers} workers, then dipsim analyze, as subprocesses sampled "
        f"every {SAMPLE_EVERY} s with psutil; baseline: the same spec at ~{BASELINE_RUNS:,} runs "
        f"(× base tree: peak over the baseline's); {machine()}; MB = 2^20 bytes; "
        f"tree = sum of RSS over the command and its descendants (shared pages counted once per "
        f"process); load average at the start {loads()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench_sobol_rss-") as tmp:
        folder = Path(tmp)
        done = [one_size(folder, BASELINE_RUNS, args.workers)]
        if not args.quick:
            done.append(one_size(folder, args.runs, args.workers))
    print("\n".join(["", *report(done)]))


if __name__ == "__main__":
    main()
