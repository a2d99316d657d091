"""`dipsim run` on a terminal: colours when (and only when) they belong, and ``--step``.

Colour rules (simulator/cli/step.py, ``use_color``): never in an ``--out`` file; else as
``--color``/``--no-color`` say; else none with ``NO_COLOR`` set (not empty) or ``TERM=dumb``;
else colour when standard output is a terminal. The table (simulator/report/table.py) marks
each event ▼ conflict, ▲ cooperation or · neither in plain text too, and leads each summary
with the event's id.

Click's test runner never gives the command a terminal, so the tests that need one replace
``stdout_is_terminal`` / ``stdin_is_terminal`` (the runner does feed ``click.getchar`` from its
input). Two tests run dipsim in a real process: one with a pipe, one with a pseudo-terminal.
"""

from __future__ import annotations

import datetime as dt
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli, step
from simulator.core.palette import state_palette
from simulator.engine.simulation import simulate
from simulator.engine.trace import Record, RelationEnd, Trace
from simulator.report.table import (
    CONFLICT,
    COOPERATION,
    NEUTRAL,
    Role,
    TableStyle,
    goldstein_marker,
    state_role,
    table_parts,
    trace_table,
)
from simulator.scenario.loading import load_scenario
from tests.conftest import JAN2024, ROOT, scenario_files

FIRST = ROOT / "scenarios" / "examples" / "first.yaml"
ESC = "\x1b["


def green(text: str) -> str:
    return f"\x1b[32m{text}\x1b[0m"


def red(text: str) -> str:
    return f"\x1b[31m{text}\x1b[0m"


def in_palette(states: tuple[str, ...], state: str) -> str:
    """``state`` as the terminal paints it: the nearest xterm colour to its figures' colour."""
    return f"\x1b[38;5;{state_palette(states)[state].ansi256}m{state}\x1b[0m"


def bold(text: str) -> str:
    return f"\x1b[1m{text}\x1b[0m"


def dipsim(
    *args: str,
    env: dict[str, str | None] | None = None,
    keys: str | None = None,
) -> Result:
    """``dipsim ARGS`` through click's runner, from the repository root, without NO_COLOR or
    TERM from the environment unless ``env`` gives them."""
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(
            cli,
            list(args),
            prog_name="dipsim",
            env={"NO_COLOR": None, "TERM": None, **(env or {})},
            input=keys,
            terminal_width=100,
        )
    finally:
        os.chdir(cwd)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture
def tty_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard output counts as a terminal."""
    monkeypatch.setattr(step, "stdout_is_terminal", lambda: True)


@pytest.fixture
def tty_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input counts as a terminal (keys come from the runner's input)."""
    monkeypatch.setattr(step, "stdin_is_terminal", lambda: True)


def plain_table(path: Path = JAN2024) -> str:
    """What ``dipsim run PATH`` prints without colour."""
    return trace_table(simulate(load_scenario(path), seed=0))


# --- The renderer: roles, markers, and painting that takes no columns -------------------------


@pytest.mark.parametrize(
    ("count", "roles"),
    [
        (1, ["calm"]),
        (2, ["calm", "crisis"]),
        (3, ["calm", "uneasy", "crisis"]),
        (4, ["calm", "uneasy", "grave", "crisis"]),
        (5, ["calm", "uneasy", "uneasy", "grave", "crisis"]),
        (6, ["calm", "uneasy", "uneasy", "grave", "grave", "crisis"]),
    ],
)
def test_states_take_their_role_from_their_position(count: int, roles: list[str]) -> None:
    """First calm, last crisis, those between split into a calmer and a graver half, whatever
    the states are called."""
    states = [f"s{i}" for i in range(count)]
    assert [state_role(s, states) for s in states] == [Role(r) for r in roles]
    assert state_role("elsewhere", states) is None


@pytest.mark.parametrize(
    ("goldstein", "marker", "role"),
    [
        (-10.0, CONFLICT, Role.CONFLICT),
        (-0.5, CONFLICT, Role.CONFLICT),
        (3.5, COOPERATION, Role.COOPERATION),
        (0.0, NEUTRAL, Role.NEUTRAL),
        (None, NEUTRAL, Role.NEUTRAL),
        (float("nan"), NEUTRAL, Role.NEUTRAL),
    ],
)
def test_goldstein_markers(goldstein: float | None, marker: str, role: Role) -> None:
    assert goldstein_marker(goldstein) == (marker, role)


def tagged(text: str, role: Role) -> str:
    """A painter that shows roles as text, to test what is painted without escape codes."""
    return f"<{role.value}:{text}>"


def test_plain_table_marks_events_and_leads_summaries_with_ids() -> None:
    """Without colour: a marker column after the event type, the id before each summary."""
    lines = plain_table(FIRST).splitlines()
    assert lines[2].split() == ["date", "type", "actor", "→", "target", "state", "tension"]
    assert lines[3].split()[2] == "-"  # the marker column's rule
    # The date column is one wider for the mark of the inferred dates (2024-01-17*).
    assert lines[4].startswith("2024-01-16   military_strike      ▼  IRN → PAK")
    assert lines[5] == (
        "             iran-strikes-pakistan: Iran strikes what it calls militant bases in "
        "Pakistan's"
    )
    agreement = next(line for line in lines if "agree_to_deescalate" in line)
    assert "agree_to_deescalate  ▲  PAK → IRN" in agreement
    assert ESC not in "\n".join(lines)


def test_painted_table_paints_states_markers_and_ids() -> None:
    """The painter gets each state with its role by position, each marker, each id."""
    style = TableStyle(paint=tagged, states=("normal", "strained", "envoys_recalled"))
    text = trace_table(simulate(load_scenario(FIRST)), style=style)
    assert "<calm:normal> → <uneasy:strained>" in text
    assert "<uneasy:strained> → <crisis:envoys_recalled>" in text
    assert "<conflict:▼>" in text
    assert "<cooperation:▲>" in text
    assert "<event_id:pakistan-recalls-ambassador>: Pakistan recalls" in text
    assert text.rstrip().endswith("final: PAK-IRN <crisis:envoys_recalled> (tension 0.18)")


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_colour_takes_no_columns(path: Path) -> None:
    """For every shipped scenario, the coloured table without its escape codes is the plain
    table byte for byte: colour changes nothing else, alignment included."""
    scenario = load_scenario(path)
    trace = simulate(scenario)
    style = step.table_style(True, scenario.machine.state_names)
    coloured = trace_table(trace, style=style)
    assert ESC in coloured
    assert click.unstyle(coloured) == trace_table(trace)


def test_parts_make_the_table() -> None:
    """--step prints the parts in order: together they are the table."""
    trace = simulate(load_scenario(JAN2024))
    parts = table_parts(trace)
    assert len(parts.events) == len(trace.records)
    assert parts.head + "".join(parts.events) + parts.tail == trace_table(trace)
    assert all(block.endswith("\n") for block in (parts.head, *parts.events, parts.tail))


def test_responses_keep_their_id_on_the_rule_line() -> None:
    """A response's id is on its ↳ line, not repeated before its summary."""
    text = plain_table(ROOT / "scenarios" / "whatif" / "reactions-as-rules.yaml")
    assert (
        # Indented under the type: the date column holds a time of day and the inferred mark.
        " " * 19
        + "Pakistan recalls its ambassador from Tehran in protest at the strikes.\n"
        + " " * 19
        + "↳ recall#1: rule recall, in response to iran-strikes-pakistan\n"
    ) in text
    assert "recall#1: Pakistan" not in text


def test_an_event_without_summary_shows_its_id() -> None:
    """An empty summary still leaves the id under the row (and a neutral marker for no
    Goldstein value)."""
    record = Record(
        t=1.0,
        when=dt.datetime(2024, 1, 2),
        event="e1",
        type="talk",
        actor="AAA",
        target=("BBB",),
        relation="AAA-BBB",
        before="calm",
        after="calm",
        outcome="no_transition",
        variables={},
        cameo=None,
        goldstein=None,
        source=None,
        quote=None,
        summary="",
    )
    trace = Trace(
        "T",
        0,
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 3),
        (record,),
        (RelationEnd("AAA-BBB", "calm", {}),),
    )
    lines = trace_table(trace).splitlines()
    assert lines[4] == "2024-01-02  talk  ·  AAA → BBB       calm (unchanged)"
    assert lines[5] == "            e1"


# --- When the CLI colours ----------------------------------------------------------------------


def test_color_forced_paints_states_by_position_and_markers() -> None:
    """--color: the January 2024 states in the palette's colours, from bluish green (normal,
    listed first) to vermillion (envoys_recalled, listed last), markers red and green, ids
    bold."""
    # jan2024 lists normal, restored, strained, envoys_recalled.
    states = load_scenario(JAN2024).machine.state_names
    normal, restored, strained, recalled = (
        in_palette(states, s) for s in ("normal", "restored", "strained", "envoys_recalled")
    )
    assert "\x1b[38;5;166m" in recalled  # vermillion's nearest
    out = dipsim("run", "scenarios/jan2024.yaml", "--color").stdout
    assert f"{normal} → {strained}" in out
    assert f"{strained} → {recalled}" in out
    assert f"{recalled} → {restored}" in out
    assert f"  {red(CONFLICT)}  " in out
    assert f"  {green(COOPERATION)}  " in out
    assert f"  \x1b[90m{NEUTRAL}\x1b[0m  " in out
    assert bold("iran-strikes-pakistan") + ": Iran strikes" in out
    assert click.unstyle(out) == plain_table()


def test_color_follows_the_machine_not_the_names() -> None:
    """A three-state machine: its middle state is orange, its last vermillion."""
    states = ("normal", "strained", "envoys_recalled")
    assert load_scenario(FIRST).machine.state_names == states
    out = dipsim("run", "scenarios/examples/first.yaml", "--color").stdout
    strained = in_palette(states, "strained")
    assert strained == "\x1b[38;5;178mstrained\x1b[0m"
    assert f"{in_palette(states, 'normal')} → {strained}" in out
    assert f"{strained} → {in_palette(states, 'envoys_recalled')}" in out


def test_terminal_gets_colour(tty_stdout: None) -> None:
    out = dipsim("run", "scenarios/jan2024.yaml").stdout
    assert ESC in out
    assert click.unstyle(out) == plain_table()


def test_pipe_gets_no_colour() -> None:
    """Click's runner is not a terminal, as a pipe or a redirect is not: plain text, byte for
    byte the table."""
    assert dipsim("run", "scenarios/jan2024.yaml").stdout == plain_table()


@pytest.mark.parametrize("value", ["1", "true", "0", "no"])
def test_no_color_set_means_no_colour(tty_stdout: None, value: str) -> None:
    """NO_COLOR set to anything but "" turns colour off, even on a terminal (no-color.org)."""
    result = dipsim("run", "scenarios/jan2024.yaml", env={"NO_COLOR": value})
    assert result.stdout == plain_table()


def test_empty_no_color_is_not_set(tty_stdout: None) -> None:
    assert ESC in dipsim("run", "scenarios/jan2024.yaml", env={"NO_COLOR": ""}).stdout


def test_dumb_terminal_gets_no_colour(tty_stdout: None) -> None:
    result = dipsim("run", "scenarios/jan2024.yaml", env={"TERM": "dumb"})
    assert result.stdout == plain_table()


def test_no_color_option_on_a_terminal(tty_stdout: None) -> None:
    assert dipsim("run", "scenarios/jan2024.yaml", "--no-color").stdout == plain_table()


def test_color_option_wins_over_no_color_variable() -> None:
    """An explicit option beats the environment, as no-color.org asks (for `less -R`)."""
    assert ESC in dipsim("run", "scenarios/jan2024.yaml", "--color", env={"NO_COLOR": "1"}).stdout


def test_out_file_never_gets_colour(tty_stdout: None, tmp_path: Path) -> None:
    """--out writes plain text even with --color on a terminal."""
    out = tmp_path / "t.txt"
    result = dipsim("run", "scenarios/jan2024.yaml", "--color", "--out", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == plain_table()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_programs_formats_get_no_colour(fmt: str) -> None:
    """--color only paints the table: JSON and CSV stay as they are."""
    coloured = dipsim("run", "scenarios/jan2024.yaml", "--format", fmt, "--color").stdout
    assert coloured == dipsim("run", "scenarios/jan2024.yaml", "--format", fmt).stdout
    assert ESC not in coloured


def test_width_and_until_with_colour() -> None:
    """Colour keeps --width and --until as they are."""
    args = ("run", "scenarios/jan2024.yaml", "--until", "2024-01-17", "--width", "70")
    out = dipsim(*args, "--color").stdout
    assert click.unstyle(out) == dipsim(*args).stdout


def test_piped_process_gets_no_escape_codes() -> None:
    """A real `python -m simulator run ... | cat`: the pipe gets plain text."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "run", "scenarios/jan2024.yaml"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env=env,
        check=True,
    )
    text = done.stdout.decode("utf-8")
    assert "\x1b" not in text
    assert text == plain_table()


# --- --step -------------------------------------------------------------------------------------


def jan2024_parts() -> tuple[str, list[str], str]:
    parts = table_parts(simulate(load_scenario(JAN2024)))
    return parts.head, list(parts.events), parts.tail


def test_step_walks_every_event(tty_stdin: None) -> None:
    """Enter, space and n each show the next event (the right arrow, one read of three
    characters on a terminal, is tested on a real one below); standard output gets the whole
    table as without --step, the prompts (on standard error) count the events."""
    head, events, tail = jan2024_parts()
    total = len(events)
    result = dipsim("run", "scenarios/jan2024.yaml", "--step", keys="\r n" * total)
    assert result.exit_code == 0, result.output
    assert result.stdout == head + "".join(events) + tail
    assert result.stdout == plain_table()
    for k in range(1, total):
        assert f"event {k}/{total} · Enter: next · q: quit" in result.stderr
    assert f"event {total}/{total}" not in result.stderr  # the last event goes on to the end


def test_step_shows_one_event_per_key(tty_stdin: None) -> None:
    """Before each key, the event shown is the one the prompt counts (prompts and output
    interleaved in the order a terminal shows them)."""
    head, events, _ = jan2024_parts()
    result = dipsim("run", "scenarios/jan2024.yaml", "--step", keys="\r\rq")
    prompt = f"event {{}}/{len(events)} · Enter: next · q: quit"
    wipe = "\r" + " " * len(prompt.format(1)) + "\r"
    assert result.output.startswith(
        head + events[0] + prompt.format(1) + wipe + events[1] + prompt.format(2) + wipe + events[2]
    )


def test_step_q_stops_early(tty_stdin: None) -> None:
    """q after two keys: three events, then where it stopped, status 0, no final line."""
    head, events, _ = jan2024_parts()
    result = dipsim("run", "scenarios/jan2024.yaml", "--step", keys="\r\rq")
    assert result.exit_code == 0
    assert result.stdout == (
        head + "".join(events[:3]) + f"\nstopped at event 3/{len(events)} (2024-01-16)\n"
    )
    assert "final:" not in result.output


def test_step_ignores_other_keys_and_stops_at_end_of_input(tty_stdin: None) -> None:
    """Unknown keys do nothing; running out of input (Ctrl-D) stops like q."""
    head, events, _ = jan2024_parts()
    result = dipsim("run", "scenarios/jan2024.yaml", "--step", keys="xb?\r")
    assert result.exit_code == 0
    assert result.stdout == (
        head + "".join(events[:2]) + f"\nstopped at event 2/{len(events)} (2024-01-16)\n"
    )


def test_step_with_until_seed_and_colour(tty_stdin: None) -> None:
    """--until shortens the walk, --seed is in the head, --color paints the events."""
    args = ["run", "scenarios/jan2024.yaml", "--until", "2024-01-16", "--seed", "4"]
    result = dipsim(*args, "--step", "--color", keys="\r" * 4)
    assert result.exit_code == 0
    assert "event 1/5 · Enter" in result.stderr
    assert "(seed 4, 2024-01-15 .. 2024-01-16)" in result.stdout
    assert red(CONFLICT) in result.stdout
    assert click.unstyle(result.stdout) == dipsim(*args).stdout


def test_step_of_a_scenario_without_events(tty_stdin: None) -> None:
    """Nothing to step through: the head and the final line, no prompt."""
    result = dipsim("run", "scenarios/examples/minimal.yaml", "--step")
    assert result.exit_code == 0
    assert result.stdout == plain_table(ROOT / "scenarios" / "examples" / "minimal.yaml")
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--runs", "5"], "--step shows one run; it cannot be used with --runs 5."),
        (["--format", "json"], "--step shows the table; it cannot be used with --format json."),
        (["--format", "csv"], "--step shows the table; it cannot be used with --format csv."),
        (["--out", "t.txt"], "--step shows the table on the terminal; it cannot be used with"),
    ],
)
def test_step_refuses_what_it_cannot_show(
    tty_stdin: None, options: list[str], message: str
) -> None:
    result = dipsim("run", "scenarios/jan2024.yaml", "--step", *options)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Try 'dipsim run --help' for help." in result.stderr
    assert result.stdout == ""
    assert not (ROOT / "t.txt").exists()


def test_step_needs_a_terminal_for_its_keys() -> None:
    """Standard input not a terminal (a pipe, a file): a usage error, status 2."""
    result = dipsim("run", "scenarios/jan2024.yaml", "--step", keys="\r\r\r")
    assert result.exit_code == 2
    assert "--step waits for keys, but standard input is not a terminal" in result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_step_on_a_real_terminal() -> None:
    """dipsim in a pseudo-terminal: colour on by itself, keys read raw by click.getchar."""
    master, child = os.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm"
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "run", "scenarios/examples/first.yaml", "--step"],
        cwd=ROOT,
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
    )
    os.close(child)
    seen = b""

    def wait_for(text: str, timeout: float = 30.0) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text.encode() not in seen:
            assert time.monotonic() < deadline, f"{text!r} never came; got {seen!r}"
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child has exited (Linux)
                    chunk = b""
                assert chunk, f"output ended before {text!r}; got {seen!r}"
                seen += chunk
        # click.getchar puts the terminal in raw mode only once it reads: give it the time.
        time.sleep(0.3)

    try:
        wait_for("event 1/4")
        os.write(master, b"\r")
        wait_for("event 2/4")
        os.write(master, b"\x1b[C")
        wait_for("event 3/4")
        os.write(master, b"q")
        wait_for("stopped at event 3/4 (2024-01-18)")
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    text = seen.decode("utf-8")
    assert red(CONFLICT) in text
    assert "event 4/4" not in text
    assert "final:" not in text
