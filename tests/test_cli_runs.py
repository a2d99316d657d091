"""`dipsim run --runs N [--workers N]`: Monte Carlo from the command line, and its progress line."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli
from simulator.cli.run import Progress
from simulator.engine.montecarlo import POOL_MIN_RUNS, auto_workers
from tests.conftest import ROOT


def invoke(*args: str | Path) -> Result:
    """Run ``dipsim ARGS`` in-process; exceptions that escape the CLI are not swallowed."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_runs_prints_the_outcome_table(jan2024_path: Path) -> None:
    """--runs 50 --seed 3 prints the outcomes, stating the runs and the seed; nothing on stderr."""
    result = invoke("run", jan2024_path, "--runs", "50", "--seed", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "Pakistan–Iran crisis, January 2024",
        "50 runs from seed 3 (run k: derive_seed(3, k)), 2024-01-15 .. 2024-01-31",
    ]
    assert "  100.0%  50  normal → strained → envoys_recalled → restored → normal" in lines
    assert result.stderr == ""


def test_runs_json(jan2024_path: Path) -> None:
    """--format json gives the outcomes as JSON, with the seed and the number of runs."""
    result = invoke("run", jan2024_path, "--runs", "50", "--seed", "3", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["runs"], data["seed"], data["stop"]) == (50, 3, "2024-01-31")
    assert [r["relation"] for r in data["relations"]] == ["PAK-IRN", "IRN-IRQ"]


def test_runs_csv_and_until(jan2024_path: Path) -> None:
    """--format csv gives a row per (relation, state); --until stops every run."""
    result = invoke("run", jan2024_path, "--runs", "5", "--format", "csv", "--until", "2024-01-16")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 8
    pak_irn = {r["state"]: r for r in rows if r["relation"] == "PAK-IRN"}
    assert pak_irn["strained"]["ended"] == "5"  # on the 16th, after Iran's strikes
    assert pak_irn["restored"]["reached"] == "0"


def test_runs_out_writes_the_file(jan2024_path: Path, tmp_path: Path) -> None:
    """--out writes the outcomes to the file and nothing to stdout."""
    out = tmp_path / "outcomes.json"
    result = invoke("run", jan2024_path, "--runs", "4", "--format", "json", "--out", out)
    assert (result.exit_code, result.stdout) == (0, "")
    assert json.loads(out.read_text(encoding="utf-8"))["runs"] == 4


def test_one_run_is_the_trace_byte_for_byte(jan2024_path: Path) -> None:
    """--runs 1 (and --workers, which it ignores) prints exactly the single-run trace."""
    plain = invoke("run", jan2024_path, "--seed", "5", "--format", "json").stdout
    assert invoke("run", jan2024_path, "--seed", "5", "--format", "json", "--runs", "1").stdout == (
        plain
    )
    assert invoke("run", jan2024_path, "--runs", "1", "--workers", "2").stdout == (
        invoke("run", jan2024_path).stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "0"], "Invalid value for '--runs': 0 is not in the range x>=1."),
        (["--workers", "-1"], "Invalid value for '--workers' / '-j': -1 is not in the range x>=0."),
        (["--runs", "many"], "Invalid value for '--runs': 'many' is not a valid integer range."),
    ],
)
def test_bad_runs_or_workers_exit_2(jan2024_path: Path, args: list[str], message: str) -> None:
    """--runs below 1 or --workers below 0 is a usage error (status 2) naming the option."""
    result = CliRunner().invoke(cli, ["run", str(jan2024_path), *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_invalid_scenario_with_runs_exits_2(tmp_path: Path) -> None:
    """A scenario problem is reported as for one run: status 2, located, nothing on stdout."""
    path = tmp_path / "bad.yaml"
    path.write_text("dipsim: 1\ntitle: [\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(path), "--runs", "10"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: {path}:")


def test_workers_in_a_real_process(jan2024_path: Path) -> None:
    """The console script with --workers 2 (spawned worker processes) prints what one process
    prints, and nothing on stderr when it is not a terminal."""
    dipsim = str(Path(sys.executable).parent / "dipsim")
    args = ["run", str(jan2024_path), "--runs", "30", "--seed", "8", "--format", "json"]
    done = subprocess.run(
        [dipsim, *args, "--workers", "2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == invoke(*args).stdout


# --- the progress line --------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_line_on_a_terminal() -> None:
    """On a terminal, after the delay: one line rewritten with \\r, then wiped when done."""
    stream, clock = _Terminal(), _Clock()
    progress = Progress(stream, delay=0.5, clock=clock)
    clock.now += 0.2
    progress(500, 10_000)  # too early: nothing
    assert stream.getvalue() == ""
    clock.now += 0.8
    progress(3_400, 10_000)
    clock.now += 1.0
    progress(10_000, 10_000)
    line_1 = "\r 3,400/10,000 runs  3,400 runs/s"
    line_2 = "\r 10,000/10,000 runs  5,000 runs/s"
    assert stream.getvalue() == line_1 + line_2
    progress.close()
    assert stream.getvalue() == line_1 + line_2 + "\r" + " " * (len(line_2) - 1) + "\r"


def test_progress_line_pads_over_a_longer_one() -> None:
    """A shorter line is padded with spaces so nothing of the previous one is left showing."""
    stream, clock = _Terminal(), _Clock()
    progress = Progress(stream, delay=0.0, clock=clock)
    clock.now += 1.0
    progress(10_000, 10_000)
    clock.now += 99.0
    progress(10_000, 10_000)
    first, second = stream.getvalue().split("\r")[1:]
    assert len(second) == len(first)
    assert second.rstrip() == " 10,000/10,000 runs  100 runs/s"


def test_no_progress_when_not_a_terminal() -> None:
    """Redirected to a file or a pipe, stderr gets no progress line at all."""
    stream, clock = io.StringIO(), _Clock()
    progress = Progress(stream, delay=0.0, clock=clock)
    clock.now += 5.0
    progress(1_000, 2_000)
    progress.close()
    assert stream.getvalue() == ""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_during_runs_exits_130(workers: str) -> None:
    """SIGINT (Ctrl-C) during --runs ends with status 130 and one line, as `dipsim batch` does,
    in this process or with a pool of workers; no traceback, nothing on standard output."""
    whatif = ROOT / "scenarios" / "whatif" / "retaliation-kills-iranians.yaml"
    command = [sys.executable, "-m", "simulator", "run", str(whatif), "--runs", "10000000"]
    proc = subprocess.Popen(
        [*command, "--workers", workers],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)  # loaded and running (10^7 runs take an hour)
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out) == (130, "")
    assert err.strip() == "interrupted"


def test_workers_default_to_every_core_when_the_work_pays_for_them() -> None:
    """--workers 0 (the default of run and batch): every core, but small jobs stay in this
    process; the help states the threshold the library uses."""
    assert auto_workers(POOL_MIN_RUNS - 1) == 1
    assert auto_workers(POOL_MIN_RUNS) == (os.cpu_count() or 1)
    for command in ("run", "batch"):
        option = next(p for p in cli.commands[command].params if p.name == "workers")
        assert option.default == 0
    help_text = invoke("run", "--help").stdout
    assert f"under {POOL_MIN_RUNS:,} runs, this process" in " ".join(help_text.split())
