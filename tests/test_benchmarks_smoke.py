"""The benchmarks still run (their figures are read by people, never asserted here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("script", "marker"),
    [
        ("bench_startup.py", "× base"),
        ("bench_run.py", "× fold"),
        ("bench_montecarlo.py", "× fold"),
        ("bench_batch.py", "× 1 worker"),
        ("bench_check.py", "× base"),
        ("bench_sink.py", "× bare"),
        ("bench_design.py", "× the grid"),
        ("bench_workers.py", "× 1 worker"),
        ("bench_sobol_rss.py", "× base tree"),
        ("bench_load.py", "the Python parser's"),
        ("bench_plot.py", "label placement alone"),
        ("bench_cite.py", "× none"),
        ("bench_import.py", "× csv"),
    ],
)
def test_benchmark_quick_run(script: str, marker: str) -> None:
    """Each benchmark's --quick run exits 0 and prints its ratio column."""
    args = [sys.executable, str(ROOT / "benchmarks" / script), "--quick"]
    if script == "bench_run.py":
        args.append("--profile")
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert marker in done.stdout
