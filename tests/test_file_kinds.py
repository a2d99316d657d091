"""Files that are not regular files, and names that are not UTF-8.

Writing replaces a file whole (a temporary file renamed over it), so only a regular file is
ever replaced: a FIFO, a device or a directory given as an output is refused (exit 2) and left
as it was, and a symbolic link is followed to the file it names, which is rewritten while the
link stays. Reading refuses anything but a regular file before a byte is read, so that a FIFO
given as input cannot block dipsim. FIFOs are made in ``tmp_path``; a test that could block
runs dipsim as a real process with a timeout.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import cli
from simulator.core import files
from simulator.core.errors import DipsimError, ScenarioError
from simulator.scenario.loading import load_scenario
from simulator.scenario.yamlread import Limits, read_source_text

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "scenarios" / "examples" / "minimal.yaml"
JAN2024 = ROOT / "scenarios" / "jan2024.yaml"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")


def dipsim(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m simulator ARGS`` in a real process importing this tree (not an install)."""
    path = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=cwd,
        capture_output=True,
        encoding="utf-8",
        errors="backslashreplace",  # a name that is not UTF-8 may come out as its bytes
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": path},
        check=False,
    )


def assert_fifo_refused(status: int, stderr: str, fifo: Path) -> None:
    """Exit 2 with a message saying what the file is, no traceback, and the FIFO left as is."""
    assert status == 2, stderr
    assert "is a FIFO (named pipe), not a regular file" in stderr
    assert "Traceback" not in stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def small_spec(tmp_path: Path) -> Path:
    """A batch spec of three runs of a scenario beside it."""
    (tmp_path / "minimal.yaml").write_bytes(MINIMAL.read_bytes())
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "dipsim_batch: 1\nscenario: minimal.yaml\nreplications: 3\nseed: 1\n", encoding="utf-8"
    )
    return spec


def small_results(folder: Path, name: str) -> Path:
    """The results file ``folder/name`` of the small batch, made by ``dipsim batch``."""
    out = folder / name
    made = CliRunner().invoke(cli, ["batch", str(small_spec(folder)), "--out", str(out), "-q"])
    assert made.exit_code == 0, made.output
    return out


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small results file (CSV) that summarize and analyze can read."""
    return small_results(tmp_path_factory.mktemp("results"), "r.csv")


#: Every option that names a file dipsim writes: the command line, OUT standing for the file.
OUTPUTS = {
    "run -o": ["run", str(MINIMAL), "-o", "OUT"],
    "run --plot": ["run", str(MINIMAL), "--plot", "OUT.svg"],
    "check -o": ["check", str(MINIMAL), "-o", "OUT"],
    "diff -o": ["diff", str(MINIMAL), str(MINIMAL), "-o", "OUT"],
    "graph -o": ["graph", str(MINIMAL), "-o", "OUT"],
    "report -o": ["report", str(MINIMAL), "-o", "OUT"],
    "schema -o": ["schema", "-o", "OUT"],
    "batch --out": ["batch", "SPEC", "--out", "OUT.csv", "-q"],
    "summarize -o": ["summarize", "RESULTS", "-o", "OUT"],
    "summarize --plot": ["summarize", "RESULTS", "--plot", "OUT.svg"],
    "analyze --plot": ["analyze", "RESULTS", "--outcome", "final:normal", "--plot", "OUT.svg"],
}


def _command(name: str, out: Path, tmp_path: Path, results: Path) -> list[str]:
    words = {"SPEC": str(small_spec(tmp_path)), "RESULTS": str(results)}
    line = []
    for word in OUTPUTS[name]:
        if word.startswith("OUT"):
            line.append(str(out))
        else:
            line.append(words.get(word, word))
    return line


@needs_fifo
@pytest.mark.parametrize("name", OUTPUTS)
def test_a_fifo_given_as_output_is_refused_and_left_alone(
    name: str, tmp_path: Path, results: Path
) -> None:
    """Exit 2, a message naming the option and what the file is; the FIFO is still a FIFO."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = CliRunner().invoke(cli, _command(name, fifo, tmp_path, results))
    assert_fifo_refused(result.exit_code, result.stderr, fifo)


@pytest.mark.parametrize("name", ["run -o", "report -o", "batch --out", "summarize -o"])
def test_a_directory_given_as_output_is_refused(name: str, tmp_path: Path, results: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    result = CliRunner().invoke(cli, _command(name, folder, tmp_path, results))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert folder.is_dir()


@pytest.mark.parametrize(
    "name", ["run -o", "check -o", "diff -o", "graph -o", "report -o", "schema -o", "summarize -o"]
)
def test_a_symlink_given_as_output_is_followed_and_kept(
    name: str, tmp_path: Path, results: Path
) -> None:
    """The file the link names gets the output; the link stays a link."""
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.txt"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    result = CliRunner().invoke(cli, _command(name, link, tmp_path, results))
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8") not in ("", "old")
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["out.txt"]


def test_a_batch_written_through_a_symlink_lands_in_its_file(tmp_path: Path) -> None:
    """Results are never overwritten, so the link names a file still to be made."""
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "r.csv"
    link = tmp_path / "r.csv"
    link.symlink_to(target)
    result = CliRunner().invoke(cli, ["batch", str(small_spec(tmp_path)), "--out", str(link), "-q"])
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8").startswith("run_id,")


@needs_fifo
def test_a_fifo_output_in_a_real_process_is_refused_without_blocking(tmp_path: Path) -> None:
    """``dipsim run -o FIFO`` in a real process: refused at once (no open that would wait for a
    reader, no rename over the pipe)."""
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    done = dipsim("run", str(MINIMAL), "-o", "p", cwd=tmp_path, timeout=30)
    assert_fifo_refused(done.returncode, done.stderr, fifo)
    assert "'p' is a FIFO (named pipe), not a regular file" in done.stderr


@needs_fifo
def test_a_fifo_appearing_as_a_batch_record_is_not_replaced(tmp_path: Path) -> None:
    """Files a command names itself (the batch's record beside its results) are held to the
    same rule: the FIFO is refused with a message, exit 2, and left."""
    record = tmp_path / "r.csv.batch.json"
    os.mkfifo(record)
    result = CliRunner().invoke(
        cli, ["batch", str(small_spec(tmp_path)), "--out", str(tmp_path / "r.csv"), "-q"]
    )
    assert_fifo_refused(result.exit_code, result.stderr, record)


@needs_fifo
def test_a_fifo_in_place_of_the_parts_folder_or_its_journal_is_refused(tmp_path: Path) -> None:
    """The parts folder beside the results, and the journal in it, are dipsim's own; something
    else there is named (exit 2), not written through or waited on."""
    out = tmp_path / "r.csv"
    parts = tmp_path / "r.csv.parts"
    os.mkfifo(parts)
    batch = ["batch", str(small_spec(tmp_path)), "--out", str(out), "-q"]
    result = CliRunner().invoke(cli, batch)
    assert result.exit_code == 2, result.output
    assert f"{parts} is a FIFO (named pipe), not the folder of this batch's parts" in result.stderr
    parts.unlink()
    parts.mkdir()
    os.mkfifo(parts / "journal.jsonl")
    result = CliRunner().invoke(cli, [*batch, "--resume"])
    assert_fifo_refused(result.exit_code, result.stderr, parts / "journal.jsonl")


@needs_fifo
def test_write_atomically_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    with pytest.raises(files.NotRegularFileError, match="is a FIFO"):
        files.write_atomically(fifo, lambda f: f.write(b"x"))
    with pytest.raises(DipsimError, match="only a regular file is ever replaced"):
        files.save_bytes(fifo, b"x")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]  # no temporary file left


def test_save_bytes_through_a_dangling_symlink_creates_its_file(tmp_path: Path) -> None:
    link = tmp_path / "figure.svg"
    link.symlink_to(tmp_path / "made.svg")
    files.save_bytes(link, b"<svg/>")
    assert link.is_symlink()
    assert (tmp_path / "made.svg").read_bytes() == b"<svg/>"


# --- inputs -------------------------------------------------------------------------------------


@needs_fifo
@pytest.mark.parametrize("command", ["check", "run", "graph", "report", "batch"])
def test_a_fifo_given_as_input_is_refused_without_blocking(command: str, tmp_path: Path) -> None:
    """``mkfifo f.yaml; dipsim check f.yaml`` used to wait for ever for a writer."""
    os.mkfifo(tmp_path / "f.yaml")
    extra = ["-o", "r.html"] if command == "report" else []
    done = dipsim(command, "f.yaml", *extra, cwd=tmp_path, timeout=30)
    assert done.returncode == 2, done.stderr
    kind = "batch spec file" if command == "batch" else "scenario file"
    assert f"error: f.yaml: is a FIFO (named pipe), not a {kind}" in done.stderr
    assert "Traceback" not in done.stderr


@needs_fifo
@pytest.mark.parametrize("command", ["summarize", "analyze"])
def test_a_fifo_given_as_results_is_refused_without_blocking(command: str, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "r.csv")
    extra = ["--outcome", "final:normal", "--spec", str(small_spec(tmp_path))]
    done = dipsim(command, "r.csv", *(extra if command == "analyze" else []), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "r.csv: is a FIFO (named pipe), not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


def _whatif(tmp_path: Path, extends: str) -> Path:
    path = tmp_path / "w.yaml"
    path.write_text(f"extends: {extends}\n", encoding="utf-8")
    return path


@needs_fifo
def test_a_fifo_or_a_device_as_extends_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "base.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(_whatif(tmp_path, "base.yaml"))
    (problem,) = info.value.problems
    assert problem.message == "extends 'base.yaml' is a FIFO (named pipe), not a regular file"
    zero = tmp_path / "zero"
    zero.symlink_to("/dev/zero")  # the device itself is only looked at, never opened
    with pytest.raises(ScenarioError) as info:
        load_scenario(_whatif(tmp_path, "zero"), Limits(allow_paths=(Path("/dev"),)))
    (problem,) = info.value.problems
    assert problem.message == "extends 'zero' is a character device, not a regular file"


@needs_fifo
def test_a_fifo_as_a_source_file_is_unreadable_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "article.txt")
    assert read_source_text(tmp_path / "article.txt") is None
    assert read_source_text(tmp_path) is None  # a directory


# --- names that are not UTF-8 -------------------------------------------------------------------

#: ``café.yaml`` in Latin-1: not UTF-8, so Python holds the name with a lone surrogate.
LATIN1 = os.fsdecode(b"caf\xe9")


@pytest.fixture
def latin1_scenario(tmp_path: Path) -> Path:
    path = tmp_path / f"{LATIN1}.yaml"
    try:
        path.write_bytes(MINIMAL.read_bytes())
    except (OSError, UnicodeEncodeError):  # a file system that only takes UTF-8 names
        pytest.skip("the file system refuses names that are not UTF-8")
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["run", "--format", "json"],
        ["run", "--runs", "3"],
        ["check"],
        ["check", "--format", "json"],
        ["graph"],
        ["graph", "--trace"],
        ["report"],
        ["diff", "SAME"],
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "file"])
def test_every_command_copes_with_a_file_name_that_is_not_utf8(
    command: list[str], to_file: bool, latin1_scenario: Path, tmp_path: Path
) -> None:
    """The name is shown escaped (``caf\\udce9``) where it is printed or written, never a
    UnicodeEncodeError; ``dipsim report`` used to fail writing the page."""
    words = [str(latin1_scenario) if w == "SAME" else w for w in command[1:]]
    out = tmp_path / f"out-{LATIN1}.txt"
    if command[0] == "report":
        words += ["-o", str(out) if to_file else "-"]
    elif to_file:
        words += ["-o", str(out)]
    done = dipsim(command[0], str(latin1_scenario), *words, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    if to_file:
        out.read_bytes().decode("utf-8")  # valid UTF-8 throughout


def test_batch_summarize_and_analyze_cope_with_names_that_are_not_utf8(tmp_path: Path) -> None:
    """A spec, its results and the summary all named in Latin-1."""
    spec = tmp_path / f"{LATIN1}.yaml"
    try:
        small_spec(tmp_path).rename(spec)
    except (OSError, UnicodeEncodeError):
        pytest.skip("the file system refuses names that are not UTF-8")
    results = tmp_path / f"{LATIN1}.csv"
    made = dipsim("batch", str(spec), "--out", str(results), "-q", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    done = dipsim("summarize", str(results), "-o", str(tmp_path / f"{LATIN1}.txt"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    analysed = dipsim("analyze", str(results), "--outcome", "final:normal", cwd=tmp_path)
    assert analysed.returncode == 0, analysed.stderr
    assert analysed.stdout.startswith("outcome: final:normal")


#: Outputs that cannot go to standard output: a figure, a batch's results file.
NOT_TO_STDOUT = {"run --plot", "batch --out", "summarize --plot", "analyze --plot"}


@pytest.mark.parametrize("name", OUTPUTS)
def test_a_dash_is_standard_output_or_refused_never_a_file_named_dash(
    name: str, tmp_path: Path, results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-o -`` writes to standard output as the option's default does; an output that cannot
    go there is refused (exit 2) instead of writing a file called ``-``."""
    command = _command(name, Path("-"), tmp_path, results)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, command)
    assert not (tmp_path / "-").exists()
    if name in NOT_TO_STDOUT:
        assert result.exit_code == 2, result.output
        assert "'-' (standard output) cannot take this output" in result.stderr
    else:
        assert result.exit_code == 0, result.output
        assert result.stdout.strip()
