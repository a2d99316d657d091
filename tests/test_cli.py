"""Tests of the ``dipsim`` command line, through click's CliRunner and as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli
from simulator.engine.trace import Trace
from tests.conftest import ROOT

SCENARIO = """\
dipsim: 1
title: CLI test
start: 2024-01-01
end: 2024-01-10
sources:
  web: {publisher: Somebody}
actors:
  AAA: {name: A}
  BBB: {name: B}
event_types:
  poke: {codes: {cameo: "195", goldstein: -10.0}}
machine:
  states: [calm, tense]
  initial: calm
  transitions:
    - {trigger: poke, source: calm, dest: tense, guard: "tension >= 0.2"}
variables:
  tension: {min: 0, max: 1, initial: 0.1}
relations:
  - pair: [AAA, BBB]
events:
  - id: first
    date: 2024-01-02
    type: poke
    actor: AAA
    target: BBB
    summary: A pokes B.
    effects: {tension: 0.3}
    source: {ref: web}
  - id: second
    date: 2024-01-05
    type: poke
    actor: BBB
    target: AAA
    summary: B pokes A.
    source: {ref: web}
"""


def invoke(*args: str | Path) -> Result:
    """Run ``dipsim ARGS`` in-process; exceptions that escape the CLI are not swallowed."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    """A small valid scenario file."""
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture
def invalid(tmp_path: Path) -> Path:
    """A scenario file with two problems: a misspelt state and an unknown actor."""
    path = tmp_path / "invalid.yaml"
    text = SCENARIO.replace("dest: tense,", "dest: tens,").replace(
        "    target: BBB", "    target: BBX"
    )
    path.write_text(text, encoding="utf-8")
    return path


# --- run --------------------------------------------------------------------------------------


def test_run_prints_a_table(scenario: Path) -> None:
    """``run`` prints the trace as a table for people by default."""
    result = invoke("run", scenario)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "CLI test  (seed 0, 2024-01-01 .. 2024-01-10)"
    assert "A pokes B." in result.stdout
    assert lines[-1] == "final: AAA-BBB tense (tension 0.40)"
    assert result.stderr == ""


def test_run_table_of_jan2024(jan2024_path: Path) -> None:
    """The January 2024 replay runs as a table, with its quotes."""
    result = invoke("run", jan2024_path)
    assert result.exit_code == 0
    assert result.stdout.startswith("Pakistan–Iran crisis, January 2024  (seed 0, ")
    assert "[article-a]" in result.stdout


def test_run_json(scenario: Path) -> None:
    """``--format json`` prints the whole trace as JSON a program can read back."""
    result = invoke("run", scenario, "--format", "json", "--seed", "5")
    assert result.exit_code == 0
    trace = Trace.from_dict(json.loads(result.stdout))
    assert trace.seed == 5
    assert [(r.event, r.outcome, r.after) for r in trace.records] == [
        ("first", "transition", "tense"),
        ("second", "no_transition", "tense"),
    ]


def test_run_csv(scenario: Path) -> None:
    """``--format csv`` prints a header and one row per event."""
    result = invoke("run", scenario, "--format", "csv")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "t,date,date_basis,event_id,type,actor,target,relation,before,after,outcome,tension,"
        "cameo,goldstein,source,cause,summary,quote,date_note,note,citations"
    )
    assert len(lines) == 3
    assert lines[1].startswith(
        "1.0,2024-01-02,reported,first,poke,AAA,BBB,AAA-BBB,calm,tense,transition,"
    )


def test_unknown_format_is_a_usage_error(scenario: Path) -> None:
    """A format that does not exist is refused with exit status 2."""
    result = invoke("run", scenario, "--format", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of 'table', 'json', 'csv'" in result.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_out_writes_the_file_atomically_and_prints_nothing(
    scenario: Path, tmp_path: Path, fmt: str
) -> None:
    """``--out`` writes what would be printed to the file, prints nothing, and leaves no
    temporary file beside it."""
    folder = tmp_path / "results" / "nested"
    out = folder / f"trace.{fmt}"
    result = invoke("run", scenario, "--format", fmt, "--out", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert sorted(p.name for p in folder.iterdir()) == [out.name]
    assert out.read_text(encoding="utf-8") == invoke("run", scenario, "--format", fmt).stdout


def test_out_replaces_an_existing_file(scenario: Path, tmp_path: Path) -> None:
    """``--out`` replaces a file that is already there."""
    out = tmp_path / "trace.json"
    out.write_text("old", encoding="utf-8")
    assert invoke("run", scenario, "--format", "json", "-o", out).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["title"] == "CLI test"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.yaml", "trace.json"]


def test_invalid_scenario_leaves_out_untouched(invalid: Path, tmp_path: Path) -> None:
    """When the scenario is invalid, ``--out`` writes nothing."""
    out = tmp_path / "trace.json"
    result = invoke("run", invalid, "--out", out)
    assert result.exit_code == 2
    assert not out.exists()


def test_until_stops_after_that_day(scenario: Path) -> None:
    """``--until`` stops the run at the end of that day."""
    result = invoke("run", scenario, "--format", "json", "--until", "2024-01-04")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["stop"] == "2024-01-04"
    assert [r["event_id"] for r in data["records"]] == ["first"]


def test_until_before_start_is_refused(scenario: Path) -> None:
    """``--until`` before the scenario's start exits with status 2 and says why."""
    result = invoke("run", scenario, "--until", "2023-12-31")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: --until 2023-12-31 is before the scenario's start 2024-01-01\n"
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2024-13-01", "'2024-13-01' is not a date: there is no month 13"),
        ("tomorrow", "'tomorrow' is not a date written YYYY-MM-DD (e.g. 2024-01-07)"),
        ("2024-02-30", "'2024-02-30' is not a date: February 2024 has 29 days"),
        ("2023-02-29", "'2023-02-29' is not a date: February 2023 has 28 days"),
        ("20240115", "'20240115' is not a date written YYYY-MM-DD (e.g. 2024-01-07)"),
        ("2024-1-05", "'2024-1-05' is not a date written YYYY-MM-DD (e.g. 2024-01-07)"),
        ("9" * 5000, f"{'9' * 37!r}... is not a date written YYYY-MM-DD"),
    ],
)
def test_bad_until_text_is_a_usage_error(scenario: Path, text: str, why: str) -> None:
    """``--until`` that is not a date exits with status 2 and says why, as the loader does."""
    result = invoke("run", scenario, "--until", text)
    assert result.exit_code == 2
    assert f"Invalid value for '--until': {why}" in result.stderr
    assert len(result.stderr) < 400, "a long value is cut, not quoted whole"


def test_invalid_scenario_exits_2_with_located_errors(invalid: Path) -> None:
    """An invalid scenario exits with status 2, one ``error:`` line per problem with
    ``file:line:col``, a count, and no traceback."""
    result = invoke("run", invalid)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {invalid}:16:43: machine.transitions[0].dest: unknown state 'tens' "
        "(did you mean 'tense'?); known: calm, tense",
        f"error: {invalid}:26:13: events[0].target: unknown actor 'BBX' "
        "(did you mean 'BBB'?); known: AAA, BBB",
        "2 problems found",
    ]
    assert "Traceback" not in result.output


def test_missing_file_exits_2(tmp_path: Path) -> None:
    """A scenario file that does not exist exits with status 2: no such file."""
    missing = tmp_path / "missing.yaml"
    result = invoke("run", missing)
    assert result.exit_code == 2
    assert result.stderr == f"error: {missing}: no such file\n"


def test_yaml_error_exits_2(tmp_path: Path) -> None:
    """A file that is not valid YAML exits with status 2, located."""
    path = tmp_path / "broken.yaml"
    path.write_text("a: [1, 2\n", encoding="utf-8")
    result = invoke("run", path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}:2:1: invalid YAML: expected ',' or ']', but got '<stream end>'; the [ at "
        "line 1, column 4 is not closed where it should be (a text that starts with it is quoted)\n"
    )


def test_guard_that_cannot_be_evaluated_exits_2(tmp_path: Path) -> None:
    """A guard that cannot be evaluated on the run's values (a division by zero) is reported
    as invalid input, with exit status 2, not as a crash."""
    path = tmp_path / "div.yaml"
    path.write_text(
        SCENARIO.replace('guard: "tension >= 0.2"', 'guard: "1 / (tension - 0.4) > 0"'),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["run", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")


# --- schema, version, help --------------------------------------------------------------------


def test_schema_is_json_with_the_scenario_keys() -> None:
    """``schema`` prints a JSON Schema with properties for the scenario's keys (what-ifs and
    batch specs: tests/test_schema.py)."""
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "dipsim file: scenario, what-if, batch spec or mapping (format 1)"
    scenario = schema["$defs"]["Scenario"]["properties"]
    assert {"events", "machine", "actors", "relations", "variables"} <= set(scenario)
    assert "transitions" in schema["$defs"]["MachineSpec"]["properties"]
    assert "quote" in schema["$defs"]["Citation"]["properties"]


def test_schema_out(tmp_path: Path) -> None:
    """``schema --out`` writes the schema to a file and prints nothing."""
    out = tmp_path / "schema.json"
    result = invoke("schema", "--out", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "WhatIf" in json.loads(out.read_text(encoding="utf-8"))["$defs"]


def test_version() -> None:
    """``--version`` prints the installed version."""
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"dipsim, version {version('dipsim')}\n"


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_the_commands(flag: str) -> None:
    """``--help`` lists the commands run and schema."""
    result = invoke(flag)
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:", 1)[1].split()
    assert "run" in commands
    assert "schema" in commands


def test_run_help_lists_the_options() -> None:
    """``run --help`` lists its options."""
    result = invoke("run", "--help")
    assert result.exit_code == 0
    for option in ("--format", "--out", "--until", "--seed", "--width"):
        assert option in result.stdout


# --- real processes ---------------------------------------------------------------------------


def run_process(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a real process, capturing its text output."""
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_python_m_simulator_runs_jan2024_as_json(root: Path) -> None:
    """``python -m simulator run scenarios/jan2024.yaml --format json`` prints the trace."""
    done = run_process(
        sys.executable,
        "-m",
        "simulator",
        "run",
        "scenarios/jan2024.yaml",
        "--format",
        "json",
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["title"] == "Pakistan–Iran crisis, January 2024"
    assert data["start"] == "2024-01-15"
    assert len(data["records"]) > 0
    assert Trace.from_dict(data).records[0].relation in {"PAK-IRN", "IRN-IRQ"}


def test_console_script_help() -> None:
    """The installed ``dipsim`` console script (next to this Python) prints its help."""
    script = Path(sys.executable).parent / "dipsim"
    if not script.exists():
        pytest.skip(f"no console script at {script}")
    done = run_process(script, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: dipsim [OPTIONS] COMMAND [ARGS]...")
    assert "run" in done.stdout.split("Commands:", 1)[1]


def test_invalid_file_in_a_real_process_exits_2_without_traceback(invalid: Path) -> None:
    """A real process given an invalid scenario exits with status 2, prints located errors on
    stderr and no traceback."""
    done = run_process(sys.executable, "-m", "simulator", "run", invalid)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0].startswith(f"error: {invalid}:16:43: ")


def test_out_that_cannot_be_written_exits_2(tmp_path: Path) -> None:
    """``--out`` under a path that is a file is refused with a message and exit 2, no traceback."""
    blocker = tmp_path / "f"
    blocker.write_text("", encoding="utf-8")
    result = invoke("run", ROOT / "scenarios" / "examples" / "minimal.yaml", "--out", blocker / "x")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {blocker / 'x'}: cannot create the folder {blocker}: File exists\n"
    )


def test_every_command_says_what_it_does_in_one_whole_sentence() -> None:
    """`dipsim --help` lists each command with a whole sentence, never cut with '...', even in
    an 80-column terminal (where click leaves 80 - 6 - the longest name for it)."""
    room = 80 - 6 - max(len(name) for name in cli.commands)
    for name, command in cli.commands.items():
        short = command.get_short_help_str(room)
        assert short.endswith("."), (name, short)
        assert not short.endswith("..."), (name, short)


def test_an_option_means_the_same_on_every_command() -> None:
    """--format names the output for people `table` wherever it is offered (graph's formats are
    kinds of picture, import's the records' format it reads); --workers, --seed, --out and
    --limit have one meaning and default."""
    seen: dict[str, list[tuple[str, click.Option]]] = {}
    for name, command in cli.commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                seen.setdefault(param.opts[0], []).append((name, param))
    for name, option in seen["--format"]:
        choices = list(getattr(option.type, "choices", []))
        if name not in {"graph", "import"}:
            assert choices[0] == "table", (name, choices)
            assert option.default == "table", (name, option.default)
            assert set(choices) <= {"table", "json", "csv"}, (name, choices)
    for opt in ("--workers", "--seed", "--limit"):
        defaults = {repr(p.default) for _, p in seen[opt]}
        assert len(defaults) == 1, (opt, defaults)
