"""Loading a big legitimate scenario: libyaml's parser against PyYAML's Python parser.

Issue 12 (item 14): a 4 MB scenario of 40,000 events, inside every limit, took 24 s of CPU and
635 MB to load when every file was parsed by PyYAML's pure-Python parser. dipsim now parses
with libyaml's C parser where PyYAML has it, and reads its events straight into plain data
without positions (``simulator/scenario/yamlplain.py``), working positions out only when a
message needs one; whatever it is unsure of is read the located way, as before (the same
limits and refusals on every path: ``tests/test_yaml_parsers.py``, ``tests/test_yamlplain.py``).
This script makes such a file (the January 2024 scenario's machine, actors and event types,
with 40,000 scripted events of its own types over the years 2000–2099, each citing one source
without a text) and loads it with ``load_scenario`` in fresh processes, each path in turn,
round by round:

* **python**: ``yamlread._CLoader`` set to ``None``, so every file takes the Python parser and
  the located reading (the path of every load before libyaml was used; the floors' baseline);
* **nodes**: libyaml's events under the Python composer, every position kept (the fast reading
  made to give up at once): how dipsim loaded on libyaml before ``yamlplain``;
* **libyaml**: as dipsim runs.

Each process reports the CPU seconds of ``load_scenario`` and its peak RSS above the RSS it
had before loading (``ru_maxrss``, after every import). Floors (issue): the load at most 0.25×
the Python path's time, peak memory at most 0.5×.

Run from the repository root::

    .venv/bin/python benchmarks/bench_load.py            # 40,000 events, 3 rounds
    .venv/bin/python benchmarks/bench_load.py --quick    # 4,000 events, 1 round
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from simulator.scenario.yamlread import dump_yaml

ROOT = Path(__file__).resolve().parent.parent
TIME_FLOOR, MEMORY_FLOOR = 0.25, 0.5
TYPES = ("phone_call", "summon_diplomat", "make_statement", "military_strike", "make_visit")

#: Run in a fresh process: CPU seconds of the load and the peak RSS (KB) it added.
_MEASURE = """
import json, resource, sys, time
from simulator.scenario import yamlread
from simulator.scenario.loading import load_scenario
if sys.argv[2] == "python":
    yamlread._CLoader = None
elif sys.argv[2] == "nodes":
    yamlread.plain_data = lambda *args: None
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
scenario = load_scenario(sys.argv[1])
cpu = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"cpu": cpu, "kb": peak - before, "events": len(scenario.events)}))
"""


def big_scenario(folder: Path, events: int) -> Path:
    """The January 2024 scenario's machine, actors, types and variables with ``events`` events
    of its own types, one a day or so from 2000, each citing a source that has no text."""
    base = yaml.safe_load((ROOT / "scenarios" / "jan2024.yaml").read_text(encoding="utf-8"))
    keep = ("dipsim", "title", "actors", "event_types", "machine", "variables", "relations")
    doc = {key: base[key] for key in keep if key in base}
    doc["title"] = f"{events:,} events (bench_load)"
    doc["sources"] = {
        "bench": {"publisher": "bench_load", "title": "Events made up for a benchmark"}
    }
    doc["start"], doc["end"] = "2000-01-01", "2099-12-31"
    first = dt.date(2000, 1, 1)
    days = (dt.date(2099, 12, 31) - first).days
    head = dump_yaml(doc)  # CAMEO codes such as "039" stay quoted: unquoted, they are refused
    # One event a line, in flow style: about 120 bytes each, near the 4 MB file.
    lines = [
        f"- {{id: e{k:06d},date: {(first + dt.timedelta(days=k * days // events)).isoformat()},"
        f"type: {TYPES[k % len(TYPES)]},actor: {'PAK' if k % 2 else 'IRN'},"
        f"target: {'IRN' if k % 2 else 'PAK'},summary: Event {k}.,source: {{ref: bench}}}}"
        for k in range(events)
    ]
    path = folder / "big.yaml"
    path.write_text(head + "events:\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def measure(path: Path, parser: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), parser],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=path.parent,
    ).stdout
    found: dict[str, float] = json.loads(out)
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="4,000 events, one round.")
    parser.add_argument("--rounds", type=int, default=3, help="Rounds (default 3).")
    args = parser.parse_args(argv)
    events, rounds = (4_000, 1) if args.quick else (40_000, args.rounds)
    with tempfile.TemporaryDirectory(prefix="bench_load-") as tmp:
        path = big_scenario(Path(tmp), events)
        size = path.stat().st_size
        print(
            f"bench_load: {events:,} events, {size / 1e6:.1f} MB, {rounds} round(s); Python "
            f"{platform.python_version()}, {os.cpu_count()} CPUs, load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        got: dict[str, list[dict[str, float]]] = {"python": [], "nodes": [], "libyaml": []}
        for r in range(rounds):
            order = list(got) if r % 2 == 0 else list(reversed(got))
            for name in order:
                got[name].append(measure(path, name))
    for name, measures in got.items():
        assert all(m["events"] == events for m in measures), name
    cpu = {name: statistics.median(m["cpu"] for m in got[name]) for name in got}
    kb = {name: statistics.median(m["kb"] for m in got[name]) for name in got}
    print()
    print(f"{'parser':<10}  {'load CPU s':>10}  {'peak MB added':>13}")
    for name in got:
        print(f"{name:<10}  {cpu[name]:10.2f}  {kb[name] / 1024:13.0f}")
    print(
        f"libyaml against nodes (before yamlplain): {cpu['libyaml'] / cpu['nodes']:.2f}× the "
        f"time, {kb['libyaml'] / kb['nodes']:.2f}× the memory"
    )
    time_ratio = cpu["libyaml"] / cpu["python"]
    memory_ratio = kb["libyaml"] / kb["python"]
    for what, ratio, floor in (
        ("time", time_ratio, TIME_FLOOR),
        ("memory", memory_ratio, MEMORY_FLOOR),
    ):
        verdict = "floor met" if ratio <= floor else "floor NOT met"
        print(f"floor: {what} ≤ {floor}× the Python parser's — measured {ratio:.2f}×: {verdict}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
