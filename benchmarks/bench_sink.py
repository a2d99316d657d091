"""The results sink's cost per chunk as a batch grows: 10^2, 10^3 and 10^4 chunks.

Each size writes that many chunks of a few rows through ``ResultSink.write_chunk`` (a part
written to a temporary file, synced and renamed, then its digest appended to the journal and
synced), then ``finish`` (every part checked against the journal, the results file assembled).
The per-chunk cost is timed apart for writing and finishing. The baseline, in the same run, is
the least a durable chunk can cost here: the same bytes written to a temporary file, synced and
renamed, with nothing recorded (``bare``): the disk's own cost per synced file, which drifts
from size to size on a shared machine, so the floor is judged on the ratio. The floor (issue
11): writing a chunk costs the same, in units of ``bare``, within 1.5× from 10^2 to 10^4
chunks (the spread of the raw figures is printed too). Before, the manifest was rewritten
whole after every chunk: 1,000 chunks took 19.6 s of sink time and 16,000 chunks 385 s.

Run from anywhere::

    .venv/bin/python benchmarks/bench_sink.py            # 10^2, 10^3, 10^4 chunks
    .venv/bin/python benchmarks/bench_sink.py --quick    # 10, 10^2, 10^3: a smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.batch.sinks import ResultSink  # noqa: E402
from simulator.core.files import write_atomically  # noqa: E402

COLUMNS = [("run_id", "int"), ("state", "str"), ("tension", "float"), ("error", "str")]
ROWS = 4
FLOOR = 1.5


def rows(chunk: int) -> list[dict[str, object]]:
    return [
        {"run_id": chunk * ROWS + k, "state": "restored", "tension": 0.25 + k, "error": None}
        for k in range(ROWS)
    ]


def measure(folder: Path, chunks: int) -> tuple[float, float, float]:
    """Seconds per chunk: written through the sink, finished, and written bare. The bare write
    of each chunk comes right before its sink write, so both meet the disk in the same mood."""
    out = Path(tempfile.mkdtemp(prefix=f"sink-{chunks}-", dir=folder)) / "results.csv"
    bare_dir = Path(tempfile.mkdtemp(prefix=f"bare-{chunks}-", dir=folder))
    data = b"".join(f"{r['run_id']},restored,{r['tension']},\r\n".encode() for r in rows(0))
    sink_s = bare_s = 0.0
    with ResultSink(out, COLUMNS, "bench", resume=False) as sink:
        for c in range(chunks):
            t0 = time.perf_counter()
            write_atomically(bare_dir / f"part-{c:06d}.csv", lambda f: f.write(data), durable=True)
            t1 = time.perf_counter()
            sink.write_chunk(c, rows(c))
            t2 = time.perf_counter()
            bare_s += t1 - t0
            sink_s += t2 - t1
        t3 = time.perf_counter()
        sink.finish()
        finish_s = time.perf_counter() - t3
    return sink_s / chunks, finish_s / chunks, bare_s / chunks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="10, 100 and 1,000 chunks.")
    args = parser.parse_args(argv)
    sizes = (10, 100, 1_000) if args.quick else (100, 1_000, 10_000)
    print(
        f"bench_sink: {ROWS} rows per chunk, CSV; Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print()
    print(
        f"{'chunks':>7}  {'write ms/chunk':>14}  {'finish ms/chunk':>15}  {'bare ms/chunk':>13}"
        f"  {'× bare':>6}"
    )
    per_chunk: list[float] = []
    ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench_sink-", dir=ROOT) as tmp:
        folder = Path(tmp)
        measure(folder, 10)  # warm-up: imports, the file system's first allocations
        for n in sizes:
            write, finish, bare = measure(folder, n)
            per_chunk.append(write)
            ratios.append(write / bare)
            print(
                f"{n:>7,}  {write * 1e3:14.3f}  {finish * 1e3:15.3f}  {bare * 1e3:13.3f}"
                f"  {write / bare:6.2f}"
            )
    spread = max(ratios) / min(ratios)
    raw = max(per_chunk) / min(per_chunk)
    verdict = "floor met" if spread <= FLOOR else "floor NOT met"
    print()
    print(
        f"floor: writing a chunk costs the same (× bare) within {FLOOR}× from {sizes[0]:,} to "
        f"{sizes[-1]:,} chunks — measured {spread:.2f}× (highest / lowest ratio; raw ms "
        f"{raw:.2f}×): {verdict}"
    )


if __name__ == "__main__":
    main()
