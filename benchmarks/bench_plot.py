"""``dipsim run --plot`` and ``dipsim report`` of one relation with 10,000 events, beside 100.

The scenario is January 2024's machine, actors, types and variables with N events of its own
types on its one relation PAK-IRN, over ten years (2015-2024), clustered as news is: most
events fall in a few busy weeks a year, the rest scattered. Each command runs in a fresh
process (``python -m simulator ...``, output to a temporary folder), timed by wall clock; the
figure is the median over rounds, and the baseline is the same command on 100 events measured
in the same rounds, so the ratio says how the cost grows (100x the events: a linear cost would
be 100x, the label placement before issue 14 was quadratic).

Also timed, in this process: the label placement alone (``plots.labels.place``) of N labels on
N markers, as crowded as 100 on the timeline's axis, against 100, to show it near linear on its
own (the timeline numbers at most the 59 events its key lists).

The floor (issue 14): both commands under 10 s at 10,000 events.

Run from the repository root::

    .venv/bin/python benchmarks/bench_plot.py              # 3 rounds, ~1 min
    .venv/bin/python benchmarks/bench_plot.py --quick      # 1 round, 1,000 events
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TYPES = ("phone_call", "summon_diplomat", "make_statement", "military_strike", "make_visit")
FLOOR_SECONDS = 10.0
BASELINE_EVENTS = 100


def big_scenario(folder: Path, events: int) -> Path:
    """A ten-year scenario with ``events`` events on PAK-IRN, most in busy weeks (seeded)."""
    base = yaml.safe_load((ROOT / "scenarios" / "jan2024.yaml").read_text(encoding="utf-8"))
    keep = ("dipsim", "actors", "event_types", "machine", "variables", "relations")
    doc = {key: base[key] for key in keep if key in base}
    doc["title"] = f"{events:,} events (bench_plot)"
    doc["sources"] = {"bench": {"publisher": "bench_plot", "title": "Events made up"}}
    first, last = dt.date(2015, 1, 1), dt.date(2024, 12, 31)
    doc["start"], doc["end"] = first.isoformat(), last.isoformat()
    days = (last - first).days
    rng = random.Random(events)
    busy = sorted(rng.randrange(days - 14) for _ in range(20))  # two busy fortnights a year
    dates = sorted(
        first
        + dt.timedelta(
            days=rng.choice(busy) + rng.randrange(14) if rng.random() < 0.8 else rng.randrange(days)
        )
        for _ in range(events)
    )
    head = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    # PyYAML writes a code such as 039 unquoted (it is no YAML number); dipsim wants it quoted.
    head = re.sub(r"(cameo: )'?(\d+)'?", r'\1"\2"', head)
    lines = [
        f"- {{id: e{k:06d},date: {day.isoformat()},type: {TYPES[k % len(TYPES)]},"
        f"actor: {'PAK' if k % 2 else 'IRN'},target: {'IRN' if k % 2 else 'PAK'},"
        f"summary: Event {k}.,source: {{ref: bench}}}}"
        for k, day in enumerate(dates)
    ]
    path = folder / f"big-{events}.yaml"
    path.write_text(head + "events:\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the process and what it waited for: Graphviz) of
    ``python -m simulator ARGS`` in a fresh process (it must succeed). On a shared machine the
    wall time grows with the load; the CPU time much less."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "simulator", *args], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def placement_seconds(n: int) -> float:
    """CPU seconds of placing ``n`` labels on ``n`` markers, as crowded whatever ``n``: 100
    markers on a 1,500 x 400 pixel axis, 10,000 on one 100 times as wide (at a fixed size the
    crowding, not the algorithm, would set the cost: every place overlaps every box near it)."""
    from simulator.plots.labels import place

    rng = random.Random(n)
    width = 15.0 * n
    xs = sorted(rng.uniform(0, width) for _ in range(n))
    markers = [(x, 200 + rng.uniform(-150, 150), 8.0) for x in xs]
    start = time.process_time()
    place(markers, [str(i + 1) for i in range(n)], 10.0, 1.0, (0.0, 0.0, width, 400.0))
    return time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1 round of 1,000 events")
    opts = parser.parse_args(argv)
    rounds, events = (1, 1_000) if opts.quick else (opts.rounds, opts.events)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = {n: big_scenario(folder, n) for n in (BASELINE_EVENTS, events)}
        commands: dict[str, Callable[[Path], list[str]]] = {
            "run --plot": lambda p: [
                "run",
                "--no-cache",  # the full load every round, not a cache hit after the first
                str(p),
                "-o",
                str(folder / "t.txt"),
                "--plot",
                str(folder / "t.png"),
            ],
            "report": lambda p: ["report", str(p), "-o", str(folder / "r.html")],
        }
        figures: dict[tuple[str, int], list[tuple[float, float]]] = {}
        for _ in range(rounds):
            for name, args in commands.items():
                for n, path in paths.items():
                    figures.setdefault((name, n), []).append(timed(args(path)))
        print(f"{rounds} round(s), median seconds per command, a fresh process each")
        print(f"load average now: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
        head = f"{BASELINE_EVENTS:,} events"
        print(f"{'command':<11} {'':<5} {head:>11} {events:>8,} events  ratio  floor < 10 s")
        for name in commands:
            for i, kind in enumerate(("wall", "CPU")):
                small = statistics.median(f[i] for f in figures[name, BASELINE_EVENTS])
                big = statistics.median(f[i] for f in figures[name, events])
                verdict = "met" if big < FLOOR_SECONDS else "MISSED"
                print(
                    f"{name:<11} {kind:<5} {small:>11.2f} {big:>15.2f}  {big / small:>5.1f}x  "
                    f"{verdict}"
                )
    small_p = min(placement_seconds(BASELINE_EVENTS) for _ in range(3))
    big_p = min(placement_seconds(events) for _ in range(max(rounds, 1)))
    print(
        f"label placement alone: {BASELINE_EVENTS:,} labels {small_p * 1000:.1f} ms, "
        f"{events:,} labels {big_p * 1000:.1f} ms, ratio {big_p / small_p:.0f}x for "
        f"{events / BASELINE_EVENTS:.0f}x the labels"
    )


if __name__ == "__main__":
    main()
