"""What a run can meet that loading cannot see: expressions failing on a run's values, delays
past the calendar, what-if shifts off it, limits past their maxima. Each is a located message
and exit status 2 (or an error of `dipsim check`), never a traceback."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli
from simulator.core.errors import SimulationError
from simulator.engine.simulation import Simulator
from simulator.scenario.limits import MAXIMA, Limits
from simulator.scenario.loading import load_scenario

#: A scenario with one strike, one rule answering it, and one guarded transition; the rule's
#: guard, probability and delay, and the transition's guard, are filled in per test.
TEMPLATE = """\
dipsim: 1
title: run-time
start: 2024-01-01
end: {end}
sources:
  src: {{publisher: test}}
actors:
  AAA: {{name: A}}
  BBB: {{name: B}}
event_types:
  strike: {{codes: {{goldstein: -10}}}}
  talk: {{codes: {{goldstein: 1}}}}
machine:
  states: [calm, tense]
  initial: calm
  transitions:
    - {{trigger: strike, source: calm, dest: tense, guard: "{transition}"}}
    - {{trigger: talk, source: tense, dest: calm}}
variables:
  tension: {{initial: 0.1, per_goldstein: -0.03}}
relations:
  - pair: [AAA, BBB]
events:
  - {{id: s1, date: 2024-01-02, type: strike, actor: AAA, target: BBB, summary: s,
      source: {{ref: src}}}}
rules:
  - id: r1
    when: {{type: strike, guard: "{guard}"}}
    respond: {{type: talk, actor: target, target: actor}}
    probability: {probability}
    delay: {delay}
"""


def write(
    tmp_path: Path,
    *,
    guard: str = "tension > 0",
    probability: str = "1",
    delay: str = "{fixed: 1}",
    transition: str = "tension >= 0",
    end: str = "2024-01-31",
    name: str = "s.yaml",
) -> Path:
    path = tmp_path / name
    path.write_text(
        TEMPLATE.format(
            guard=guard, probability=probability, delay=delay, transition=transition, end=end
        ),
        encoding="utf-8",
    )
    return path


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_clean(result: Result, status: int) -> None:
    """The exit status, and no traceback: every exception dipsim's own."""
    assert result.exit_code == status, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output


# ---- 6. run-time errors in rules and guards are located messages ----------------------------

#: (where, text) -> the key path and the words of the message.
FAILING = [
    ("guard", "tension / 0 > 1", "rules[0].when.guard", "float division by zero"),
    ("guard", "tension % 0 > 1", "rules[0].when.guard", "modulo"),
    ("guard", "10**10**10 > 0", "rules[0].when.guard", "too large for floating point"),
    ("guard", "log(0) > 0", "rules[0].when.guard", "math domain error"),
    # Booleans are integers to Python: an exact power tower of them would run for ever.
    (
        "guard",
        "(true+true)**(true+true)**(true+true)**(true+true)**(true+true)**(true+true) > 0",
        "rules[0].when.guard",
        "too large for floating point",
    ),
    ("guard", "(-tension) ** 0.5", "rules[0].when.guard", "has no real value"),
    ("probability", '"tension / 0"', "rules[0].probability", "float division by zero"),
    ("probability", '"(-tension) ** 0.5"', "rules[0].probability", "has no real value"),
    ("probability", '"log(tension - 1)"', "rules[0].probability", "math domain error"),
    ("probability", '"1e308 * 10 - 1e308 * 10"', "rules[0].probability", "NaN"),
    ("transition", "sqrt(-1 - tension) > 0", "machine.transitions[0].guard", "math domain"),
]


@pytest.mark.parametrize(("where", "text", "key", "words"), FAILING)
def test_an_expression_failing_in_a_run_is_a_located_message(
    tmp_path: Path, where: str, text: str, key: str, words: str
) -> None:
    path = write(tmp_path, **{where: text})
    for args in ([], ["--runs", "3"]):
        result = invoke("run", path, *args)
        assert_clean(result, 2)
        # file:line:col: key.path: ... at the guard or probability, on the line that writes it.
        found = re.search(
            rf"error: {re.escape(str(path))}:(\d+):(\d+): {re.escape(key)}: ", result.output
        )
        assert found, result.output
        line = path.read_text(encoding="utf-8").splitlines()[int(found[1]) - 1]
        assert text.strip('"') in line
        assert "cannot be evaluated (tension=" in result.output
        assert words in result.output


@pytest.mark.parametrize(("where", "text", "key", "words"), FAILING)
def test_check_runs_the_scenario_and_reports_a_failing_run(
    tmp_path: Path, where: str, text: str, key: str, words: str
) -> None:
    """`check` does not say "result: ok" of a scenario whose runs fail, claims or none."""
    path = write(tmp_path, **{where: text})
    result = invoke("check", path)
    assert_clean(result, 1)
    assert "result: ok" not in result.output
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: error: {re.escape(key)}: ", result.output)
    assert "[run-error]" in result.output


def test_check_finds_a_failure_of_some_draws_only(tmp_path: Path) -> None:
    """A rule with a chance fails only in the runs that draw it: check runs a few seeds."""
    path = write(tmp_path, probability="0.3", guard="tension / (tension - 0.4) > 0")
    result = invoke("check", path)
    assert_clean(result, 1)
    assert "rules[0].when.guard: run " in result.output


def test_a_batch_run_failing_is_an_error_row_naming_the_key(tmp_path: Path) -> None:
    write(tmp_path, guard="tension / 0 > 1")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "dipsim_batch: 1\nscenario: s.yaml\nparameters:\n"
        "  - {path: variables.tension.initial, values: [0.1, 0.2]}\n",
        encoding="utf-8",
    )
    out = tmp_path / "r.jsonl"
    result = invoke("batch", spec, "--out", out, "--backend", "sequential")
    assert_clean(result, 0)
    rows = out.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2
    assert all("SimulationError: rules[0].when.guard: event 's1'" in row for row in rows)


def test_the_key_path_survives_worker_processes_and_simpy(tmp_path: Path) -> None:
    """SimPy re-raises a process's error as type(e)(*e.args), pickling the same way."""
    import pickle

    err = SimulationError("boom", ("rules", 0, "probability"))
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.key_path) == ("boom", ("rules", 0, "probability"))
    assert type(err)(*err.args).key_path == err.key_path
    sim = Simulator(load_scenario(write(tmp_path, guard="tension / 0 > 1")))
    with pytest.raises(SimulationError) as caught:
        sim.run(0)
    assert caught.value.key_path == ("rules", 0, "when", "guard")


# ---- 7. times past the calendar --------------------------------------------------------------


@pytest.mark.parametrize(
    ("delay", "key"),
    [
        ("{fixed: 1e9}", "rules[0].delay.fixed"),
        ("{fixed: 3000000}", "rules[0].delay.fixed"),
        ("{fixed: 100000000000000000000000000000000}", "rules[0].delay.fixed"),
        ("{uniform: [0, 1e308]}", "rules[0].delay.uniform[1]"),
        ("{triangular: [0, 1, 1e300]}", "rules[0].delay.triangular[2]"),
        ("{exponential: 1e308}", "rules[0].delay.exponential"),
        ("{exponential: 1000000}", "rules[0].delay.exponential"),
        ("{lognormal: {median: 1e9, sigma: 1}}", "rules[0].delay.lognormal.median"),
        ("{lognormal: {median: 1, sigma: 1000}}", "rules[0].delay.lognormal.sigma"),
    ],
)
def test_an_absurd_delay_is_refused_where_it_is_written(
    tmp_path: Path, delay: str, key: str
) -> None:
    path = write(tmp_path, delay=delay)
    for command in ("run", "check"):
        result = invoke(command, path)
        assert_clean(result, 2)
        assert re.search(rf"{re.escape(str(path))}:\d+:\d+: {re.escape(key)}: ", result.output)
        assert "at most" in result.output or "less than or equal to 10" in result.output


@pytest.mark.parametrize(
    "delay",
    [
        "{exponential: 36500}",
        "{lognormal: {median: 36500, sigma: 10}}",
        "{triangular: [0, 36500, 36500]}",
        "{uniform: [36500, 36500]}",
    ],
)
def test_the_widest_delays_allowed_run_for_every_seed(tmp_path: Path, delay: str) -> None:
    """The longest delays the format allows, drawn from their tails, land after the run's end,
    even past the calendar (a log-normal's): they stay pending, and the log says when they were
    due. (An exponential delay of 1,000,000 days used to crash for seeds 2 and 8 only.)"""
    path = write(tmp_path, delay=delay)
    sim = Simulator(load_scenario(path))
    logs = [e.message for seed in range(40) for e in sim.run(seed).log]
    assert logs
    assert all("was still pending at the stop (due " in m for m in logs)
    if "lognormal" in delay:
        assert any("past the calendar's last day, 9999-12-31" in m for m in logs)
    for seed in (2, 8):
        assert_clean(invoke("run", path, "--seed", str(seed)), 0)


def test_a_response_due_past_the_calendar_is_logged_not_dated(tmp_path: Path) -> None:
    """A scenario that ends on the calendar's last day: its stop has no date after it."""
    text = write(tmp_path, delay="{fixed: 36500}", end="9999-12-31").read_text(encoding="utf-8")
    path = tmp_path / "late.yaml"
    path.write_text(text.replace("date: 2024-01-02", "date: 9999-12-30"), encoding="utf-8")
    trace = Simulator(load_scenario(path)).run(0)
    (entry,) = trace.log
    assert entry.kind == "pending"
    assert "days after the start, past the calendar's last day, 9999-12-31" in entry.message
    result = invoke("run", path)
    assert_clean(result, 0)


@pytest.mark.parametrize("by", ["1000000000000000000000000000000", "1e30", "-1e300"])
def test_a_shift_off_the_calendar_is_an_edit_error(tmp_path: Path, by: str) -> None:
    write(tmp_path, name="base.yaml")
    whatif = tmp_path / "w.yaml"
    whatif.write_text(
        f"dipsim: 1\nextends: base.yaml\ntitle: w\nedits:\n  - shift: s1\n    by: {by}\n",
        encoding="utf-8",
    )
    commands: list[list[str | Path]] = [
        ["run", whatif],
        ["check", whatif],
        ["report", whatif, "-o", tmp_path / "r.html"],
    ]
    for args in commands:
        result = invoke(*args)
        assert_clean(result, 2)
        assert f"{whatif}:5:5: edits[0]: shifting event 's1' by " in result.output
        assert "off the calendar" in result.output


# ---- 9. limits have maxima -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MAXIMA))
def test_a_limit_above_its_maximum_is_refused(tmp_path: Path, name: str) -> None:
    path = write(tmp_path)
    for value in (str(MAXIMA[name] + 1), "99999999999999999999999"):
        result = invoke("run", path, "--limit", f"{name}={value}")
        assert_clean(result, 2)
        assert f"{name}: a limit is at most {MAXIMA[name]:,}" in result.output
    assert_clean(invoke("run", path, "--limit", f"{name}={MAXIMA[name]}"), 0)
    too_many: dict[str, Any] = {name: 10**30}
    with pytest.raises(ValueError, match="at most"):
        Limits(**too_many)


def test_a_failure_in_a_whatifs_base_is_placed_in_the_base(tmp_path: Path) -> None:
    """The rule is written in the base: run, diff, report and check all say so."""
    base = write(tmp_path, guard="tension / 0 > 1", name="base.yaml")
    whatif = tmp_path / "w.yaml"
    whatif.write_text(
        "dipsim: 1\nextends: base.yaml\ntitle: w\nparameters: {p: 1}\n", encoding="utf-8"
    )
    line = next(
        i + 1
        for i, text in enumerate(base.read_text(encoding="utf-8").splitlines())
        if "/ 0" in text
    )
    commands: list[list[str | Path]] = [
        ["run", whatif],
        ["diff", base, whatif],
        ["report", whatif, "-o", tmp_path / "r.html"],
    ]
    for args in commands:
        result = invoke(*args)
        assert_clean(result, 2)
        assert re.search(rf"base\.yaml:{line}:\d+: rules\[0\]\.when\.guard: ", result.output), (
            args,
            result.output,
        )
    result = invoke("check", whatif)
    assert_clean(result, 1)
    assert re.search(rf"base\.yaml:{line}:\d+: error: rules\[0\]\.when\.guard: ", result.output)
