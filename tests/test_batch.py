"""Batches end to end: the same answer on every backend, nothing lost on a kill, the CLI."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.batch.runner import run_batch
from simulator.batch.sinks import read_rows
from simulator.batch.spec import load_batch_spec
from simulator.cli import cli
from tests.conftest import BATCHES, ROOT, SCENARIOS

WHATIF = SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml"


def small_spec(tmp_path: Path, replications: int = 10, extra: str = "") -> Path:
    """A grid of 3 × 2 points over a stochastic what-if."""
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"""dipsim_batch: 1
scenario: {WHATIF}
parameters:
  - {{path: "rules[iranian-counter-strike].probability", name: p, values: [0.0, 0.5, 1.0]}}
  - {{path: parameters.return_at_most, name: threshold, values: [0.1, 0.25]}}
replications: {replications}
seed: 99
{extra}""",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("backend", "workers", "chunk"),
    [("local", 2, 7), ("local", 1, 60), ("dask", 2, 13), ("sequential", 1, 1000)],
)
def test_same_results_on_every_backend_and_chunk_size(
    tmp_path: Path, backend: str, workers: int, chunk: int
) -> None:
    """The results file (sorted by run id) is byte for byte the one the sequential backend
    writes with one chunk size, whatever the backend, worker count and chunk size — Dask on a
    real LocalCluster included."""
    spec = small_spec(tmp_path)
    reference = run_batch(spec, "sequential", out=tmp_path / "ref.parquet", chunk_size=11)
    other = run_batch(spec, backend, workers, out=tmp_path / "other.parquet", chunk_size=chunk)
    assert reference.runs == other.runs == 60
    assert reference.path.read_bytes() == other.path.read_bytes()
    assert [r["run_id"] for r in other.rows()] == list(range(60))


def test_rows_summary_and_dataframe(tmp_path: Path) -> None:
    """run_batch returns the rows (streamed from the file), a per-point summary and a pandas
    DataFrame; probability 0 never strains the return, so every such run ends normal."""
    result = run_batch(small_spec(tmp_path), "sequential", out=tmp_path / "r.csv")
    rows = list(result.rows())
    assert len(rows) == 60
    assert {r["PAK-IRN.final_state"] for r in rows if r["p"] == "0.0"} == {"normal"}
    summary = result.summary.to_dict()
    assert summary["runs"] == 60
    assert len(summary["groups"]) == 6
    frame = result.to_pandas()
    assert list(frame["run_id"]) == list(range(60))


def test_failing_runs_become_error_rows(tmp_path: Path) -> None:
    """A run that raises (here a guard that cannot be evaluated) becomes a row with its error and
    seed; the batch counts the errors and goes on with the other runs."""
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"""dipsim_batch: 1
scenario: {WHATIF}
parameters:
  - path: "machine.transitions[militant_attack].guard"
    name: guard
    values: ["tension >= 0.6", "log(tension - 2) > 0"]
replications: 4
""",
        encoding="utf-8",
    )
    result = run_batch(path, "sequential", out=tmp_path / "r.jsonl")
    rows = list(result.rows())
    failed = [r for r in rows if r["error"]]
    # The guard is read only when the attack meets a restored relation: not in every run.
    assert result.runs == 8
    assert 1 <= result.errors == len(failed) <= 4
    assert {r["point"] for r in failed} == {1}
    assert all("math domain error" in str(r["error"]) for r in failed)
    assert all(isinstance(r["seed"], int) for r in failed)
    assert all(r["PAK-IRN.final_state"] is None for r in failed)
    assert result.summary.to_dict()["errors"] == result.errors


def test_a_parameter_path_typo_fails_at_once(tmp_path: Path) -> None:
    """A parameter path that leads nowhere is an error before any run starts."""
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"dipsim_batch: 1\nscenario: {WHATIF}\nparameters:\n"
        '  - {path: "rules[nope].probability", values: [0.5]}\n',
        encoding="utf-8",
    )
    with pytest.raises(Exception, match="nothing named 'nope'"):
        run_batch(path, "sequential", out=tmp_path / "r.csv")


def _batch_command(spec: Path, out: Path, *more: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "simulator",
        "batch",
        str(spec),
        "--out",
        str(out),
        "--backend",
        "sequential",
        "--chunk-size",
        "25",
        "--quiet",
        *more,
    ]


def _killed_mid_batch(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A 900-run spec (36 chunks), the results of an uninterrupted run of it, and the results
    path of a run killed with SIGKILL once it had written three parts."""
    spec = small_spec(tmp_path, replications=150)
    whole = tmp_path / "whole.csv"
    subprocess.run(_batch_command(spec, whole), check=True, cwd=ROOT, timeout=300)
    cut = tmp_path / "cut.csv"
    proc = subprocess.Popen(_batch_command(spec, cut), cwd=ROOT)
    parts = Path(f"{cut}.parts")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(parts.glob("part-*"))) < 3:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return spec, whole, cut


def test_sigkill_then_resume_gives_the_uninterrupted_rows(tmp_path: Path) -> None:
    """A batch killed with SIGKILL mid-run and run again with --resume ends with exactly the
    file an uninterrupted run writes: nothing lost, nothing twice."""
    spec, whole, cut = _killed_mid_batch(tmp_path)
    parts = Path(f"{cut}.parts")
    written = len(list(parts.glob("part-*")))
    assert 3 <= written < 36, "the kill should land mid-batch"
    assert not cut.exists()
    refused = subprocess.run(
        _batch_command(spec, cut), cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2
    assert "--resume" in refused.stderr
    subprocess.run(_batch_command(spec, cut, "--resume"), check=True, cwd=ROOT, timeout=300)
    assert cut.read_bytes() == whole.read_bytes()
    assert not parts.exists()


def test_a_damaged_part_is_run_again_on_resume_and_said(tmp_path: Path) -> None:
    """A part changed on disk between a kill and --resume: the resume names it, runs its chunk
    again, and ends with the uninterrupted file."""
    spec, whole, cut = _killed_mid_batch(tmp_path)
    first = sorted(Path(f"{cut}.parts").glob("part-*"))[0]
    first.write_bytes(first.read_bytes()[:-10])
    done = subprocess.run(
        _batch_command(spec, cut, "--resume"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert f"note: resumed with {first.name}: " in done.stderr
    assert "that chunk ran again" in done.stderr
    assert cut.read_bytes() == whole.read_bytes()


def test_two_batches_aimed_at_one_out_do_not_interleave(tmp_path: Path) -> None:
    """While one batch writes --out X, a second aimed at X stops at once: exit 2, one located
    line, no traceback; the first finishes untouched."""
    spec = small_spec(tmp_path, replications=1_200)  # long enough to be caught running
    whole = tmp_path / "whole.csv"
    subprocess.run(_batch_command(spec, whole), check=True, cwd=ROOT, timeout=300)
    out = tmp_path / "shared.csv"
    first = subprocess.Popen(_batch_command(spec, out), cwd=ROOT, stderr=subprocess.PIPE)
    parts = Path(f"{out}.parts")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(parts.glob("part-*")) and first.poll() is None:
        time.sleep(0.02)
    assert first.poll() is None, "the first batch should still be running"
    for extra in ((), ("--resume",)):
        second = subprocess.run(
            _batch_command(spec, out, *extra), cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert second.returncode == 2, second.stderr
        assert "is being written by another dipsim batch" in second.stderr
        assert "Traceback" not in second.stderr
    first.communicate(timeout=300)
    assert first.returncode == 0
    assert out.read_bytes() == whole.read_bytes()


def test_cli_batch_prints_progress_summary_and_writes_results(tmp_path: Path) -> None:
    """`dipsim batch` writes the results file, reports runs and errors on stderr with plain
    progress lines (not a terminal), and prints the summary table."""
    out = tmp_path / "r.parquet"
    result = CliRunner().invoke(
        cli, ["batch", str(small_spec(tmp_path)), "--out", str(out), "--backend", "sequential"]
    )
    assert result.exit_code == 0, result.output
    assert out.exists()
    assert "60/60 runs (100%)" in result.stderr
    assert "60 runs (6 design points)" in result.stderr
    assert "0 runs raised an error" in result.stderr
    assert result.stdout.startswith("final state of PAK-IRN, share of runs [95% Wilson interval]")
    assert "60 runs, 0 with errors" in result.stdout


def test_cli_summarize_groups_by_any_column(tmp_path: Path) -> None:
    """`dipsim summarize` reads a results file back and groups by the columns asked for."""
    out = tmp_path / "r.jsonl"
    run_batch(small_spec(tmp_path), "sequential", out=out)
    result = CliRunner().invoke(cli, ["summarize", str(out), "--by", "p", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["by"] == ["p"]
    assert [g["group"]["p"] for g in doc["groups"]] == [0.0, 0.5, 1.0]
    assert [g["runs"] for g in doc["groups"]] == [20, 20, 20]
    bad = CliRunner().invoke(cli, ["summarize", str(out), "--by", "q"])
    assert bad.exit_code == 2
    assert "--by 'q': no such column" in bad.stderr


def test_cli_batch_errors_exit_2(tmp_path: Path) -> None:
    """A bad spec, or --scheduler without the dask backend, exits 2 with a message."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("dipsim_batch: 1\nscenario: nowhere.yaml\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", str(bad)])
    assert result.exit_code == 2
    assert "no scenario file 'nowhere.yaml'" in result.stderr
    result = CliRunner().invoke(cli, ["batch", str(small_spec(tmp_path)), "--scheduler", "x"])
    assert result.exit_code == 2
    assert "--scheduler goes with --backend dask" in result.output


def test_shipped_batch_specs_run(tmp_path: Path) -> None:
    """Each spec in scenarios/batches/ runs: one replication of each design point, and for a
    sampled design a smaller sample of the same kind (the suite stays quick: the Sobol spec has
    1,536 points, and each point's scenario is built anew)."""
    for path in sorted(BATCHES.glob("*.yaml")):
        loaded = load_batch_spec(path)
        design = loaded.spec.design
        if design.points is not None:
            design = design.model_copy(update={"points": 16 if design.kind == "sobol" else 8})
        smaller = loaded.spec.model_copy(update={"replications": 1, "design": design})
        once = dataclasses.replace(loaded, spec=smaller)
        result = run_batch(once, "sequential", out=tmp_path / f"{path.stem}.csv")
        assert result.errors == 0
        assert result.runs == result.points == sum(1 for _ in read_rows(result.path))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere() -> None:
    """On a terminal the batch shows a tqdm bar with runs/s and ETA; elsewhere a plain line
    every so often and at the end."""
    from simulator.cli.batch import BatchProgress

    tty = _Terminal()
    bar = BatchProgress(tty)
    bar(0, 1000)
    bar(400, 1000)
    bar(1000, 1000)
    bar.close()
    assert "1.00k/1.00k" in tty.getvalue()
    assert "run/s" in tty.getvalue()
    plain = io.StringIO()
    lines = BatchProgress(plain, every=3600)
    lines(400, 1000)
    lines(1000, 1000)
    assert plain.getvalue().startswith("1,000/1,000 runs (100%), ")
    assert plain.getvalue().count("\n") == 1


def test_until_before_the_start_is_refused(tmp_path: Path) -> None:
    """A batch whose until falls before the scenario's start is refused, as `dipsim run` does."""
    with pytest.raises(Exception, match="until 2023-12-31 is before the scenario's start"):
        run_batch(
            small_spec(tmp_path, extra="until: 2023-12-31\n"), "sequential", out=tmp_path / "r.csv"
        )


def test_resume_with_another_chunk_size_says_so(tmp_path: Path) -> None:
    """Resuming with a chunk size other than the interrupted run's names the size to use."""
    spec = small_spec(tmp_path)
    out = tmp_path / "r.csv"
    parts = Path(f"{out}.parts")
    parts.mkdir()
    from simulator.batch.runner import prepare
    from simulator.batch.spec import load_batch_spec

    job, cols, _ = prepare(load_batch_spec(spec), 20)
    from simulator.batch.sinks import ResultSink

    with ResultSink(out, cols, job.fingerprint, resume=True) as sink:
        sink.write_chunk(0, [])
    assert job.fingerprint.endswith(":20")
    with pytest.raises(Exception, match="resume with --chunk-size 20"):
        run_batch(spec, "sequential", out=out, resume=True, chunk_size=30)


def test_summarize_reads_csv_numbers_as_numbers(tmp_path: Path) -> None:
    """Summarising a CSV results file groups by numeric values in numeric order."""
    out = tmp_path / "r.csv"
    run_batch(small_spec(tmp_path), "sequential", out=out)
    result = CliRunner().invoke(cli, ["summarize", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    groups = [g["group"] for g in json.loads(result.stdout)["groups"]]
    assert [(g["p"], g["threshold"]) for g in groups][:3] == [(0.0, 0.1), (0.0, 0.25), (0.5, 0.1)]


def test_ctrl_c_stops_cleanly_and_keeps_finished_chunks(tmp_path: Path) -> None:
    """SIGINT (Ctrl-C) stops a batch with exit status 130, a one-line message and no traceback;
    the chunks it finished are kept, and --resume completes the same file as a clean run."""
    spec = small_spec(tmp_path, replications=150)
    whole = tmp_path / "whole.csv"
    subprocess.run(_batch_command(spec, whole), check=True, cwd=ROOT, timeout=300)
    cut = tmp_path / "cut.csv"
    proc = subprocess.Popen(_batch_command(spec, cut), cwd=ROOT, stderr=subprocess.PIPE, text=True)
    parts = Path(f"{cut}.parts")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(parts.glob("part-*"))) < 3:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted: finished chunks are kept" in err
    assert "Traceback" not in err
    assert len(list(parts.glob("part-*"))) >= 3
    subprocess.run(_batch_command(spec, cut, "--resume"), check=True, cwd=ROOT, timeout=300)
    assert cut.read_bytes() == whole.read_bytes()


def test_a_sampled_design_is_made_apart_the_same_and_its_libraries_stay_out(
    tmp_path: Path,
) -> None:
    """On worker processes a sampled design is made in a process of its own: the same points
    as in this process for every kind, the same results file as the sequential backend (which
    makes it here), and neither SALib nor scipy is imported by the batch's own process (pandas
    still is: pyarrow imports it to make an array)."""
    from simulator.batch.design import design_points
    from simulator.batch.runner import design_apart

    specs = {}
    for kind, points in (("sobol", 8), ("morris", 3), ("lhs", 5), ("random", 4), ("grid", None)):
        path = small_spec(tmp_path, 2, f"design: {{kind: {kind}, points: {points}}}\n")
        text = path.read_text(encoding="utf-8")
        if kind != "grid":
            text = text.replace("values: [0.0, 0.5, 1.0]", "low: 0.0, high: 1.0")
            text = text.replace("values: [0.1, 0.25]", "low: 0.05, high: 0.3")
        else:
            text = text.replace("design: {kind: grid, points: None}\n", "")
        path = tmp_path / f"{kind}.yaml"
        path.write_text(text, encoding="utf-8")
        specs[kind] = path
        spec = load_batch_spec(path).spec
        assert design_apart(spec) == design_points(spec), kind
    sobol = specs["sobol"]
    here = run_batch(sobol, "sequential", out=tmp_path / "here.parquet")
    script = (
        "import sys\n"
        "from simulator.batch.runner import run_batch\n"
        f"run_batch({str(sobol)!r}, 'local', 2, out={str(tmp_path / 'apart.parquet')!r})\n"
        "print(sorted({'SALib', 'scipy'} & {m.split('.')[0] for m in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "apart.parquet").read_bytes() == here.path.read_bytes()


def test_a_design_too_large_is_refused_before_anything_is_made_apart(tmp_path: Path) -> None:
    """The size check runs in this process, at once, with its message."""
    from simulator.batch.runner import design_apart
    from simulator.core.errors import BatchError
    from simulator.scenario.yamlread import DEFAULT_LIMITS

    path = small_spec(tmp_path, 1, "design: {kind: sobol, points: 1024}\n")
    text = path.read_text(encoding="utf-8").replace("values: [0.0, 0.5, 1.0]", "low: 0, high: 1")
    path.write_text(text.replace("values: [0.1, 0.25]", "low: 0.05, high: 0.3"), encoding="utf-8")
    limits = dataclasses.replace(DEFAULT_LIMITS, max_points=100)
    with pytest.raises(BatchError, match="4,096 points, more than"):
        design_apart(load_batch_spec(path).spec, limits)
