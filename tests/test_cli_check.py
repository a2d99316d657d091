"""``dipsim check`` through click's runner and as a real process: output and exit status."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli
from tests.conftest import JAN2024, ROOT, SCENARIOS

STOCHASTIC = SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml"


def dipsim(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="dipsim")


def whatif(tmp_path: Path, body: str, name: str = "w.yaml", base: Path = STOCHASTIC) -> Path:
    path = tmp_path / name
    path.write_text(f"extends: {base}\n" + textwrap.dedent(body), encoding="utf-8")
    return path


def test_the_replay_passes_its_checks() -> None:
    result = dipsim("check", JAN2024)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == str(JAN2024)
    assert (
        "  expectations and invariants (one run, seed 0: nothing in the scenario is random):"
        in (lines)
    )
    passes = [line for line in lines if line.startswith("    PASS  ")]
    assert len(passes) == 8  # six claims (one a stays claim) and two invariants
    assert not [line for line in lines if "FAIL" in line]
    assert lines[-1] == "  result: ok"


def test_the_replay_passes_even_strictly() -> None:
    """Its findings are all notes: an event that only records what happened is no mistake."""
    result = dipsim("check", JAN2024, "--strict")
    assert result.exit_code == 0, result.output
    assert "  analysis: 0 error(s), 0 warning(s), 15 note(s) (--notes lists them)" in result.stdout
    noted = dipsim("check", JAN2024, "--notes").stdout
    assert noted.count(": info: ") == 15


def test_a_removed_premise_is_warned_by_check_and_diff(tmp_path: Path) -> None:
    """A what-if that removes Iran's strike but keeps the return of ambassadors: `check` counts a
    warning (and fails with --strict), `diff` warns on stderr and still reports, status 0."""
    path = whatif(
        tmp_path,
        """
        dipsim: 1
        edits:
          - remove: iran-strikes-pakistan
            keep: ambassadors-return
        """,
        base=JAN2024,
    )
    checked = dipsim("check", path)
    assert "1 warning(s)" in checked.stdout
    assert "[premise-gone]" in checked.stdout
    assert dipsim("check", path, "--strict").exit_code == 1
    compared = dipsim("diff", JAN2024, path)
    assert compared.exit_code == 0
    assert "event 'ambassadors-return' (ambassadors_return) fires a transition" in compared.stderr
    assert "[premise-gone]" not in compared.stdout
    plain = dipsim("diff", JAN2024, SCENARIOS / "whatif" / "no-retaliation.yaml")
    assert plain.stderr == ""


def test_a_failed_expectation_exits_1_with_its_evidence(tmp_path: Path) -> None:
    path = whatif(
        tmp_path,
        """
        expect:
          - {relation: PAK-IRN, final: normal, at_least: 0.95}
          - {relation: PAK-IRN, reaches: envoys_recalled, by: 2024-01-17}
        """,
    )
    result = dipsim("check", path, "--runs", "200")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "expectations and invariants (200 runs, seeds derived from 0):" in out
    assert "    FAIL  expect[0] PAK-IRN ends in normal in at least 95% of runs\n" in out
    assert "% of 200 runs (95% interval " in out
    assert "    PASS  expect[1] PAK-IRN reaches envoys_recalled by 2024-01-17\n" in out
    assert out.endswith("  result: FAILED (1 failing)\n")


def test_an_invalid_scenario_exits_2_and_the_others_are_still_checked(tmp_path: Path) -> None:
    bad = whatif(
        tmp_path, "expect:\n  - {final: nromal}\n", base=SCENARIOS / "examples" / "first.yaml"
    )
    result = dipsim("check", bad, JAN2024)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {bad}:3:13: expect[0].final: unknown state 'nromal'")
    assert "did you mean 'normal'?" in result.stderr
    assert "Traceback" not in result.output
    assert f"{JAN2024}\n" in result.stdout
    assert "  result: ok" in result.stdout


def test_json_output_carries_every_verdict(tmp_path: Path) -> None:
    result = dipsim("check", JAN2024, "--format", "json")
    assert result.exit_code == 0
    (report,) = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["runs"] == 1
    assert [r["item"] for r in report["results"]] == [
        *(f"expect[{i}]" for i in range(6)),
        "invariants[0]",
        "invariants[1]",
    ]
    assert all(r["passed"] for r in report["results"])
    assert {f["severity"] for f in report["findings"]} <= {"error", "warning", "info"}


def test_strict_makes_warnings_fail(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        textwrap.dedent(
            """
            dipsim: 1
            title: t
            start: 2024-01-01
            end: 2024-01-31
            actors: {AAA: {name: A}, BBB: {name: B}}
            machine:
              states: [normal, lost]
              initial: normal
            relations: [{pair: [AAA, BBB]}]
            """
        ),
        encoding="utf-8",
    )
    relaxed = dipsim("check", path)
    strict = dipsim("check", path, "--strict")
    assert relaxed.exit_code == 0, relaxed.output
    assert "warning: machine.states[1]: " in relaxed.stdout
    assert "[unreachable-state]" in relaxed.stdout
    assert strict.exit_code == 1


def test_explore_prints_the_shortest_counterexample(tmp_path: Path) -> None:
    path = whatif(
        tmp_path,
        """
        invariants:
          - {id: calm, relation: PAK-IRN, never: envoys_recalled}
        """,
        base=JAN2024,
    )
    result = dipsim("check", path, "--explore", "100", "--seed", "2")
    assert result.exit_code == 1
    out = result.stdout
    assert "  explore: 100 random sequences of " in out
    assert "    FAIL  invariants[0] calm: PAK-IRN: envoys_recalled is never entered\n" in out
    assert "; shortest counterexample: 1 event(s), run seed " in out
    assert "          broken: " in out


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("max_bytes", "is not NAME=N"),
        ("max_byte=5", "no limit 'max_byte' (did you mean 'max_bytes'?)"),
        ("max_bytes=lots", "max_bytes: 'lots' is not a whole number"),
        ("max_bytes=0", "max_bytes: a limit is at least 1, not 0"),
    ],
)
def test_bad_limit_options_are_usage_errors(option: str, message: str) -> None:
    result = dipsim("check", JAN2024, "--limit", option)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_limit_can_be_lowered_and_raised() -> None:
    lowered = dipsim("check", JAN2024, "--limit", "max_bytes=1000")
    assert lowered.exit_code == 2
    assert "(limit max_bytes=1000; raise it with --limit max_bytes=N)" in lowered.stderr
    raised = dipsim("run", JAN2024, "--limit", "max_bytes=100_000_000")
    assert raised.exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["run", "scenarios/jan2024.yaml"],
        ["check", "scenarios/jan2024.yaml"],
        ["diff", "scenarios/jan2024.yaml", "scenarios/whatif/no-retaliation.yaml"],
        ["graph", "scenarios/jan2024.yaml"],
        ["batch", "scenarios/batches/counter-strike-sweep.yaml", "-o", "unused.csv"],
    ],
    ids=lambda a: a[0],
)
def test_every_command_that_reads_input_takes_limit(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--limit reaches the reader in every command: a tiny max_bytes refuses the first file."""
    monkeypatch.chdir(ROOT)
    result = dipsim(*args, "--limit", "max_bytes=10")
    assert result.exit_code == 2, result.output
    assert "too big (limit max_bytes=10; raise it with --limit max_bytes=N)" in result.stderr
    assert not (ROOT / "unused.csv").exists()


def test_colour_marks_verdicts_only_when_asked_or_on_a_terminal(tmp_path: Path) -> None:
    path = whatif(tmp_path, "expect:\n  - {relation: PAK-IRN, final: normal}\n")
    coloured = dipsim("check", path, "--runs", "50", "--color").stdout
    assert "\x1b[31m\x1b[1mFAIL\x1b[0m  expect[0]" in coloured
    assert "\x1b[32m\x1b[1mPASS\x1b[0m  invariants[0]" in coloured
    assert "  result: \x1b[31m\x1b[1mFAILED\x1b[0m (1 failing)" in coloured
    plain = dipsim("check", path, "--runs", "50").stdout  # CliRunner's output is no terminal
    assert "\x1b[" not in plain
    assert plain == click.unstyle(coloured)
    out = tmp_path / "check.txt"
    dipsim("check", path, "--runs", "50", "--color", "--out", out)
    assert "\x1b[" not in out.read_text(encoding="utf-8")


def test_check_as_a_real_process() -> None:
    """The console script, end to end: status, stdout, nothing on stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "check", "scenarios/jan2024.yaml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.rstrip().endswith("result: ok")
