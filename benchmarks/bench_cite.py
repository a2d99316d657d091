"""Loading a scenario whose events cite a big data file's rows or records, as an imported one will.

Every event of an imported scenario cites the lines (``rows``) or record ids (``records``) of its
data file instead of a quote, and loading checks that the file has them: its lines counted, its
fields gathered, once per file (``simulator/scenario/citing.py``). This script makes a data file
near the source size limit (tab-separated, a record id first on each line: 85,000 lines, about
4.5 MB) and a scenario of 10,000 events (the January 2024 machine and types), each citing three
rows, or three records, of it, and times ``load_scenario`` of each in this process, round by
round, the three in turn:

* **none** (the baseline): the same events citing a source named by its publisher, no file;
* **rows**: each event cites three line numbers of the file;
* **records**: each event cites three record ids of the file.

It prints the median CPU seconds of each load and its ratio to the baseline: the cost of
looking for the rows and records.

Run from the repository root::

    .venv/bin/python benchmarks/bench_cite.py            # 10,000 events, 5 rounds
    .venv/bin/python benchmarks/bench_cite.py --quick    # 1,000 events, 1 round
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from simulator.scenario.loading import load_scenario
from simulator.scenario.yamlread import dump_yaml

ROOT = Path(__file__).resolve().parent.parent
TYPES = ("phone_call", "summon_diplomat", "make_statement", "military_strike", "make_visit")
LINES = 85_000


def data_file(folder: Path) -> Path:
    """A tab-separated file of coded events: a header, then ``LINES - 1`` records."""
    rows = (
        f"{40_000_000 + k}\t2018-06-01\tPakistan\t040\tIran\tSome Publisher"
        for k in range(LINES - 1)
    )
    path = folder / "events.tab"
    path.write_text("id\tdate\tsource\tcode\ttarget\tpublisher\n" + "\n".join(rows) + "\n")
    return path


def scenario(folder: Path, events: int, cite: str) -> Path:
    """January 2024's machine and types with ``events`` events, each citing as ``cite`` says."""
    base = yaml.safe_load((ROOT / "scenarios" / "jan2024.yaml").read_text(encoding="utf-8"))
    keep = ("dipsim", "title", "actors", "event_types", "machine", "variables", "relations")
    doc = {key: base[key] for key in keep if key in base}
    doc["title"] = f"{events:,} events citing {cite} (bench_cite)"
    doc["sources"] = {"data": {"file": "events.tab"}, "none": {"publisher": "bench_cite"}}
    doc["start"], doc["end"] = "2000-01-01", "2099-12-31"
    first, days = dt.date(2000, 1, 1), (dt.date(2099, 12, 31) - dt.date(2000, 1, 1)).days
    lines = []
    for k in range(events):
        at = [2 + (k * 7919 + j * 104729) % (LINES - 1) for j in range(3)]
        ids = [f'"{40_000_000 + row - 2}"' for row in at]  # quoted: a record id is text
        source = {
            "none": "{ref: none}",
            "rows": f"{{ref: data, rows: [{', '.join(map(str, at))}]}}",
            "records": f"{{ref: data, records: [{', '.join(ids)}]}}",
        }[cite]
        lines.append(
            f"- {{id: e{k:06d},date: {(first + dt.timedelta(days=k * days // events)).isoformat()},"
            f"type: {TYPES[k % len(TYPES)]},actor: {'PAK' if k % 2 else 'IRN'},"
            f"target: {'IRN' if k % 2 else 'PAK'},summary: Event {k}.,source: {source}}}"
        )
    path = folder / f"{cite}.yaml"
    path.write_text(dump_yaml(doc) + "events:\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def cpu_of_load(path: Path) -> float:
    start = time.process_time()
    load_scenario(path)
    return time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1,000 events, one round.")
    parser.add_argument("--rounds", type=int, default=5, help="Rounds (default 5).")
    args = parser.parse_args(argv)
    events, rounds = (1_000, 1) if args.quick else (10_000, args.rounds)
    with tempfile.TemporaryDirectory(prefix="bench_cite-") as tmp:
        folder = Path(tmp)
        size = data_file(folder).stat().st_size
        paths = {cite: scenario(folder, events, cite) for cite in ("none", "rows", "records")}
        print(
            f"bench_cite: {events:,} events, each citing 3 rows or records of a "
            f"{size / 1e6:.1f} MB file of {LINES:,} lines; {rounds} round(s); Python "
            f"{platform.python_version()}, {os.cpu_count()} CPUs, load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        got: dict[str, list[float]] = {cite: [] for cite in paths}
        cwd = Path.cwd()
        os.chdir(folder)  # the data file is found beside the scenario, inside the working folder
        try:
            for r in range(rounds):
                for cite in list(paths) if r % 2 == 0 else list(reversed(paths)):
                    got[cite].append(cpu_of_load(paths[cite]))
        finally:
            os.chdir(cwd)
    median = {cite: statistics.median(times) for cite, times in got.items()}
    print()
    print(f"{'citing':<8}  {'load CPU s':>10}  {'× none':>7}")
    for cite, cpu in median.items():
        print(f"{cite:<8}  {cpu:10.3f}  {cpu / median['none']:7.2f}")


if __name__ == "__main__":
    main()
