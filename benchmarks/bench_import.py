"""``dipsim import`` of a big event-data file: rows per second beside Python's csv module, and
the memory it takes at two file sizes.

Issue 15 (item 2): an import streams the file ("memory that does not grow with the file"). This
script writes a synthetic KEDS CSV (``date,source,target,code``, 30 years, codes of every type
of the shipped CAMEO mapping and some it leaves out) in which 200 records are the dyad's
(``EGYGOV``/``ISRMIL`` and ``EGY``/``ISR``, spread evenly) and the rest are between other
actors, as in a real file where one dyad is a small part of the records; at two sizes, 4× apart.
Each measure runs in a fresh process, round by round, the order alternated:

* **import**: ``dipsim import FILE --dyad EGY-ISR -o OUT`` (the click command, in-process in
  that fresh process, after its modules and tables are loaded): wall seconds, and the peak RSS
  it adds (``ru_maxrss`` after minus before). The scenario made is validated as ``check``
  reads it, which scans the cited records file a line at a time for its rows (of any size: no
  limit to raise);
* **stream**: the pass over the file alone (``eventdata.importer.import_records``: the file
  read line by line, the records folded into the scenario's events), the same measures;
* **csv** (the baseline): Python's ``csv.reader`` over the same file, every row read, nothing
  done with it: the floor of reading the rows in Python.

The ratio ``× csv`` is paired per round (seconds over csv's seconds in the same round, the
median over rounds). Memory: the peak added at the larger size over the smaller one's; a pass
that read the file whole, or kept its rows, would make it grow about 4×.

Run from the repository root::

    .venv/bin/python benchmarks/bench_import.py            # 300,000 and 1,200,000 rows, 3 rounds
    .venv/bin/python benchmarks/bench_import.py --quick    # 20,000 and 80,000 rows, 1 round
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DYAD_ROWS = 200
OTHERS = ["USA", "USAGOV", "IRN", "IRNMIL", "SYR", "LBN", "JOR", "RUS", "FRA", "GBR", "IRQ"]
#: import: the whole command; stream: the pass over the file alone; csv: the baseline.
CASES = ("import", "stream", "csv")
CODES = ["042", "036", "112", "190", "010", "161", "057", "0871", "020", "1823"]

#: Run in a fresh process: wall seconds and the peak RSS (KB) added by ``dipsim import`` or by
#: the csv module's reading.
_MEASURE = r"""
import csv, json, resource, sys, time
case, path, out = sys.argv[1:4]
if case == "csv":
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    rows = 0
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)  # the header, as the import reads it: not a row
        for _ in reader:
            rows += 1
    seconds = time.perf_counter() - start
    events = 0
else:
    import re
    from pathlib import Path
    from simulator.cli import cli
    from simulator.eventdata import importer, mapping, tables
    from simulator.eventdata.select import Selection
    import simulator.cli.import_, simulator.scenario.yamlread
    tables.code_table("cameo"), tables.code_table("weis"), tables.countries()
    cameo = set(tables.code_table("cameo").names)
    rules = mapping.load_mapping(mapping.default_mapping_path("cameo"), cameo)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if case == "stream":  # the pass over the file alone, to the scenario's data
        made = importer.import_records(
            Path(path), rules, Selection((("EGY", "ISR"),)), relative_to=Path(path).parent
        )
        rows, events = made.tally.rows, made.tally.events
    else:  # the whole command, its scenario validated as check reads it
        cli.main(["import", path, "--dyad", "EGY-ISR", "-o", out], standalone_mode=False)
        head = " ".join(l[2:].strip() for l in open(out, encoding="utf-8") if l.startswith("# "))
        found = re.search(r"([\d,]+) rows: ([\d,]+) kept as ([\d,]+) events", head)
        rows, events = (int(found[i].replace(",", "")) for i in (1, 3))
    seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "kb": peak - before, "rows": rows, "events": events}))
"""


def synthetic(path: Path, rows: int) -> int:
    """A KEDS CSV of ``rows`` records, :data:`DYAD_ROWS` of them EGY-ISR; its size in bytes."""
    rnd = random.Random(rows)
    every = rows // DYAD_ROWS
    with path.open("w", encoding="utf-8") as f:
        f.write("date,source,target,code\n")
        for i in range(rows):
            day = dt.date(1980 + i * 30 // rows, rnd.randint(1, 12), rnd.randint(1, 28))
            if i % every == 0:
                source, target = ("EGYGOV", "ISR") if i % 2 else ("ISRMIL", "EGY")
            else:
                source, target = rnd.sample(OTHERS, 2)
            f.write(f"{day},{source},{target},{rnd.choice(CODES)}\n")
    return path.stat().st_size


def measure(case: str, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, case, str(path), str(path.with_suffix(".yaml"))],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=path.parent,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(
            f"{case} of {path.name} failed ({done.returncode}):\n{done.stderr[-2000:]}"
        )
    found: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20,000 and 80,000 rows, 1 round.")
    parser.add_argument("--rounds", type=int, default=3, help="Rounds (default 3).")
    parser.add_argument("--rows", type=int, default=300_000, help="The smaller file's rows.")
    args = parser.parse_args(argv)
    small, rounds = (20_000, 1) if args.quick else (args.rows, args.rounds)
    sizes = (small, 4 * small)
    with tempfile.TemporaryDirectory(prefix="bench_import-") as tmp:
        files = {n: Path(tmp) / f"records-{n}.csv" for n in sizes}
        megabytes = {n: synthetic(files[n], n) / 1e6 for n in sizes}
        print(
            f"bench_import: {' and '.join(f'{n:,}' for n in sizes)} rows "
            f"({' and '.join(f'{megabytes[n]:.1f}' for n in sizes)} MB), {DYAD_ROWS} of the dyad "
            f"in each; {rounds} round(s); Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        got: dict[tuple[str, int], list[dict[str, float]]] = {
            (case, n): [] for n in sizes for case in CASES
        }
        for r in range(rounds):
            order = list(got) if r % 2 == 0 else list(reversed(got))
            for case, n in order:
                got[case, n].append(measure(case, files[n]))
    for (case, n), measures in got.items():
        if any(m["rows"] != n for m in measures) or (
            case != "csv" and any(m["events"] < DYAD_ROWS // 2 for m in measures)
        ):
            raise SystemExit(f"{case} of {n:,} rows did not read every row: {measures}")
    report(got, sizes, megabytes)


def report(
    got: dict[tuple[str, int], list[dict[str, float]]],
    sizes: tuple[int, int],
    megabytes: dict[int, float],
) -> None:
    """Seconds, rows/s and the paired ratio to csv of each case, then the peaks."""
    print()
    print(
        f"{'case':<7}  {'rows':>10}  {'MB':>5}  {'seconds':>7}  {'rows/s':>10}  {'× csv':>6}  "
        f"{'peak MB added':>13}"
    )
    peak: dict[tuple[str, int], float] = {}
    for case in CASES:
        for n in sizes:
            mine, base = got[case, n], got["csv", n]
            seconds = statistics.median(m["seconds"] for m in mine)
            ratio = statistics.median(
                a["seconds"] / b["seconds"] for a, b in zip(mine, base, strict=True)
            )
            peak[case, n] = statistics.median(m["kb"] for m in mine) / 1024
            print(
                f"{case:<7}  {n:>10,}  {megabytes[n]:5.1f}  {seconds:7.2f}  {n / seconds:10,.0f}  "
                f"{ratio:5.1f}×  {peak[case, n]:13.1f}"
            )
    low, high = sizes
    for case in ("import", "stream"):
        grows = peak[case, high] / max(peak[case, low], 0.1)
        print(
            f"{case}: peak memory added {peak[case, high]:.1f} MB at {high:,} rows, "
            f"{peak[case, low]:.1f} MB at {low:,}: {grows:.2f}× for 4× the rows and the file"
        )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
