"""What dipsim writes is data, never instructions (simulator/core/text.py, docs/cli.md "Output
and exit status"):

- terminal control characters in a scenario's texts are shown as escape text in everything a
  command prints (tables, messages, JSON escapes them), so a summary cannot set the clipboard
  (OSC 52), clear the screen or hide a link (OSC 8);
- a CSV text cell a spreadsheet would take for a formula gets a ``'`` first, numbers never, and
  the results reader drops it again;
- every JSON output is strict JSON: a number that is not finite is ``null``.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.batch.formats import Column
from simulator.batch.sinks import ResultSink, read_rows
from simulator.batch.summary import typed_rows
from simulator.cli import cli
from simulator.core.text import csv_cell, csv_uncell, finite, json_text, printable
from simulator.engine.simulation import simulate
from simulator.report.formats import trace_to_csv
from simulator.report.outcomes import outcomes_csv
from simulator.scenario.loading import load_scenario
from tests.conftest import ROOT
from tests.programs import GRAPHVIZ

#: What no text output may hold: C0 but newline and tab, DEL, C1, bidi overrides.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: The colours dipsim paints with (SGR sequences), the only escape codes it may print itself.
SGR = re.compile("\x1b\\[[0-9;]*m")
#: Texts that set the clipboard, clear the screen, hide a link, reverse what follows.
CLIPBOARD = "\x1b]52;c;QUFB\x07\x1b[2J"
HYPERLINK = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"
EVIL = f"{CLIPBOARD} {HYPERLINK} \u202eesrever\u202c \r\x7f\x85\x9b31m\x00"

#: The one CSV guard: first characters that make a spreadsheet formula (OWASP).
GUARDED = ("=", "+", "-", "@", "\t", "\r")


def _q(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (JSON's escapes are YAML's too)."""
    return json.dumps(text)


def scenario_text(
    title: str = "T",
    summary: str = "S",
    quote: str = "Q",
    description: str = "D",
    variables: str = "  tension: {initial: 0.1, per_goldstein: -0.03}\n",
) -> str:
    return f"""\
dipsim: 1
title: {_q("x" + title)}
start: 2024-01-01
end: 2024-01-10
sources:
  s: {{publisher: {_q("P" + description)}, url: "https://example.org", title: {_q(description)}}}
actors:
  AAA: {{name: {_q("A" + description)}}}
  BBB: {{name: B}}
event_types:
  poke:
    description: {_q(description)}
    codes: {{goldstein: -1.0}}
machine:
  states: [{{name: calm, description: {_q(description)}}}, tense]
  initial: calm
  transitions:
    - {{trigger: poke, source: calm, dest: tense}}
    - {{trigger: poke, source: tense, dest: calm}}
variables:
{variables}relations:
  - pair: [AAA, BBB]
events:
  - id: e1
    date: 2024-01-02
    type: poke
    actor: AAA
    target: BBB
    summary: {_q(summary)}
    note: {_q(description)}
    source: {{ref: s, quote: {_q(quote)}}}
"""


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def assert_inert(result: Result, painted: bool = False) -> None:
    """No terminal control character in what the command printed (but its own colours)."""
    for stream in (result.stdout, result.stderr):
        text = SGR.sub("", stream) if painted else stream
        found = FORBIDDEN.search(text)
        assert found is None, f"{found[0]!r} in {stream!r}"


# --- 3. terminal control characters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("a\x07b\x00", "a\\x07b\\x00"),
        ("\r\x7f\x85\x9f", "\\x0d\\x7f\\x85\\x9f"),
        ("\u202eabc\u2066\u2069", "\\u202eabc\\u2066\\u2069"),
        ("line\nnext\ttab — ünï 中文 🙂", "line\nnext\ttab — ünï 中文 🙂"),
    ],
)
def test_printable_shows_controls_as_escape_text(text: str, shown: str) -> None:
    assert printable(text) == shown


@given(st.text())
def test_printable_leaves_no_control_character(text: str) -> None:
    shown = printable(text)
    assert FORBIDDEN.search(shown) is None
    assert printable(shown) == shown  # once is enough
    if FORBIDDEN.search(text) is None:
        assert shown == text


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    path = tmp_path / "evil.yaml"
    path.write_text(scenario_text(EVIL, EVIL, EVIL, EVIL), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["run"],
        ["run", "--format", "json"],
        ["run", "--format", "csv"],
        ["run", "--runs", "3"],
        ["run", "--runs", "3", "--format", "json"],
        ["run", "--runs", "3", "--format", "csv"],
        ["check"],
        ["check", "--format", "json"],
        ["graph"],
        ["graph", "--format", "dot"],
        ["graph", "--trace"],
    ],
)
def test_no_command_prints_a_scenarios_control_characters(evil: Path, args: list[str]) -> None:
    result = invoke(*args, evil)
    assert result.exit_code == 0, result.output
    assert_inert(result)


def test_graphviz_draws_no_control_characters(evil: Path) -> None:
    """Graphviz copies label texts into its SVG; the DOT it is given shows them instead."""
    GRAPHVIZ.require()
    result = CliRunner().invoke(cli, ["graph", str(evil), "--format", "svg", "--trace"])
    assert result.exit_code == 0, result.output
    svg = result.stdout_bytes.decode("utf-8")
    assert FORBIDDEN.search(svg) is None
    assert "\\x1b]8;;" in svg  # the title's OSC 8 link, shown


def test_the_table_shows_what_the_texts_hold(evil: Path) -> None:
    out = invoke("run", evil).stdout
    assert "\\x1b]52;c;QUFB\\x07\\x1b[2J" in out  # visible, and says what was there
    assert "\\u202eesrever" in out


def test_diff_prints_no_control_characters(evil: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(scenario_text(HYPERLINK, "other " + EVIL), encoding="utf-8")
    for fmt in ("table", "json"):
        result = invoke("diff", evil, other, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert_inert(result)


def test_json_keeps_the_texts_exactly(evil: Path) -> None:
    """JSON escapes control characters its own way, which a JSON reader undoes."""
    trace = json.loads(invoke("run", evil, "--format", "json").stdout)
    assert trace["title"] == "x" + EVIL
    assert trace["records"][0]["summary"] == EVIL


@pytest.mark.parametrize("command", [["run"], ["check"]])
def test_colours_are_the_only_escape_codes(evil: Path, command: list[str]) -> None:
    result = invoke(*command, evil, "--color")
    assert SGR.search(result.stdout), "painted"
    assert_inert(result, painted=True)


def test_out_files_hold_no_control_characters(evil: Path, tmp_path: Path) -> None:
    for fmt in ("table", "json", "csv"):
        out = tmp_path / f"trace.{fmt}"
        assert invoke("run", evil, "--format", fmt, "--out", out).exit_code == 0
        assert FORBIDDEN.search(out.read_text(encoding="utf-8")) is None


def test_error_messages_show_control_characters(tmp_path: Path) -> None:
    # A message of dipsim's own (no such scenario) and one of click's (RESULTS must exist).
    for args in (["run", f"{tmp_path}/a{CLIPBOARD}.yaml"], ["summarize", f"b{HYPERLINK}.csv"]):
        result = invoke(*args)
        assert result.exit_code == 2
        assert "\\x1b" in result.stderr
        assert_inert(result)


def test_a_batchs_summary_shows_control_characters(tmp_path: Path) -> None:
    """Text parameter values reach the summary's group columns; results keep them exactly."""
    (tmp_path / "s.yaml").write_text(scenario_text(), encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "dipsim_batch: 1\nscenario: s.yaml\nparameters:\n  - path: events[e1].summary\n"
        f"    name: said\n    values: [{_q(CLIPBOARD)}, {_q('=1+1')}]\n"
        "design: {kind: grid}\nreplications: 2\nseed: 1\n",
        encoding="utf-8",
    )
    for suffix in (".csv", ".jsonl"):
        out = tmp_path / f"results{suffix}"
        result = invoke("batch", spec, "--backend", "sequential", "--out", out)
        assert result.exit_code == 0, result.output
        assert_inert(result)
        assert {row["said"] for row in read_rows(out)} == {CLIPBOARD, "=1+1"}
        for fmt in ("table", "json"):
            summary = invoke("summarize", out, "--format", fmt)
            assert summary.exit_code == 0, summary.output
            assert_inert(summary)


#: Text with terminal controls mixed in (no surrogates: YAML cannot carry them).
_CONTROLS = st.sampled_from(
    [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]] + [chr(c) for c in range(0x202A, 0x202F)]
)
_TEXT = st.text(
    st.one_of(_CONTROLS, st.characters(codec="utf-8", max_codepoint=0xFFFF)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=20)
@given(title=_TEXT, summary=_TEXT, quote=_TEXT, description=_TEXT)
def test_random_texts_with_controls_never_reach_the_terminal(
    tmp_path_factory: pytest.TempPathFactory, title: str, summary: str, quote: str, description: str
) -> None:
    folder = tmp_path_factory.mktemp("texts")
    path = folder / "s.yaml"
    path.write_text(scenario_text(title, summary, quote, description), encoding="utf-8")
    other = folder / "o.yaml"
    other.write_text(scenario_text(summary, quote, title, description), encoding="utf-8")
    commands: list[list[str | Path]] = [
        ["run", path],
        ["run", path, "--format", "json"],
        ["run", path, "--format", "csv"],
        ["run", path, "--runs", "2"],
        ["check", path],
        ["diff", path, other],
    ]
    for args in commands:
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        assert_inert(result)


def test_the_cli_prints_only_through_echo_and_write() -> None:
    """click.echo is called in cli/common.py alone, so every printed text passes printable."""
    for module in (ROOT / "simulator" / "cli").glob("*.py"):
        if module.name == "common.py":
            continue
        calls = [
            node
            for node in ast.walk(ast.parse(module.read_text(encoding="utf-8")))
            if isinstance(node, ast.Attribute) and node.attr in ("echo", "secho")
            if isinstance(node.value, ast.Name) and node.value.id == "click"
        ]
        assert not calls, f"{module.name} calls click.echo: use cli.common.echo or write"


# --- 4. CSV cells are not formulas -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),  # a text that looks guarded is guarded too: reading back is exact
        ("'plain", "'plain"),
        ("plain=1", "plain=1"),
        ("", ""),
    ],
)
def test_csv_cell_guards_formulas(text: str, cell: str) -> None:
    assert csv_cell(text) == cell
    assert csv_uncell(cell) == text


@given(st.text())
def test_csv_cells_round_trip_and_never_start_a_formula(text: str) -> None:
    cell = csv_cell(text)
    assert csv_uncell(cell) == text
    assert not cell.startswith(GUARDED)


def _first_cells(csv_text: str, column: str) -> list[str]:
    import csv
    import io

    return [row[column] for row in csv.DictReader(io.StringIO(csv_text))]


def test_trace_csv_guards_text_but_not_numbers(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(scenario_text(summary="=HYPERLINK(1)", quote="-1 in a quote"), encoding="utf-8")
    text = trace_to_csv(simulate(load_scenario(path)))
    assert _first_cells(text, "summary") == ["'=HYPERLINK(1)"]
    assert _first_cells(text, "quote") == ["'-1 in a quote"]
    assert _first_cells(text, "goldstein") == ["-1.0"]  # a number, not a text cell


def test_outcomes_csv_guards_text_but_not_numbers() -> None:
    from simulator.engine.montecarlo import run_many

    scenario = load_scenario(ROOT / "scenarios" / "examples" / "first.yaml")
    text = outcomes_csv(run_many(scenario, 3, 0, 1))
    for line in text.splitlines()[1:]:
        assert not line.split(",")[2].startswith(("'", *GUARDED))


#: A results file's columns: a text column and a float column.
COLUMNS: list[Column] = [("run", "int"), ("said", "str"), ("share", "float")]
AWKWARD = ["=1+1", "-5", "+x", "@x", "\tx", "\rx", "'=x", "''@x", "'plain", "plain", "-"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_results_files_round_trip_guarded_texts(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"results{suffix}"
    rows: list[dict[str, object]] = [
        {"run": i, "said": text, "share": -0.5} for i, text in enumerate(AWKWARD)
    ]
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        sink.write_chunk(0, rows)
        sink.finish()
    assert list(read_rows(out, COLUMNS)) == rows
    assert [row["said"] for row in read_rows(out)] == AWKWARD  # without the columns' kinds
    typed = list(typed_rows(out))
    assert [row["share"] for row in typed] == [-0.5] * len(AWKWARD)
    raw = out.read_text(encoding="utf-8")
    if suffix == ".csv":
        import csv
        import io

        cells = list(csv.reader(io.StringIO(raw, newline="")))[1:]
        assert all(not cell[1].startswith(GUARDED) for cell in cells)
        assert {cell[2] for cell in cells} == {"-0.5"}  # numbers are never guarded
    else:
        assert '"said":"=1+1"' in raw  # JSON Lines keeps text raw


def test_run_csv_from_the_command_guards_formulas(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(scenario_text(summary="@SUM(A1:A9)"), encoding="utf-8")
    out = invoke("run", path, "--format", "csv").stdout
    assert _first_cells(out, "summary") == ["'@SUM(A1:A9)"]


# --- 5. valid JSON only ------------------------------------------------------------------------


def strict(text: str) -> Any:
    """JSON as a strict parser reads it: NaN and Infinity are errors."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


#: A variable that starts at -inf (its min) and one that decays from -inf to NaN (-inf × 0).
INFINITE = (
    "  down: {min: -.inf, max: .inf, per_goldstein: 1.0}\n"
    "  up: {min: -.inf, max: .inf, rest: 0, decay_per_day: 1.0}\n"
    "  tension: {initial: 0.1, per_goldstein: -0.03}\n"
)


def test_json_text_writes_non_finite_numbers_as_null() -> None:
    data = {"a": float("inf"), "b": [float("-inf"), float("nan"), 1.5], "c": {"d": (2.0,)}}
    assert strict(json_text(data, indent=None)) == {
        "a": None,
        "b": [None, None, 1.5],
        "c": {"d": [2.0]},
    }
    assert finite(float("nan")) is None
    assert json_text("\x7f\x85\u202e\x1b") == '"\\u007f\\u0085\\u202e\\u001b"'


@pytest.fixture
def infinite(tmp_path: Path) -> Path:
    path = tmp_path / "inf.yaml"
    path.write_text(scenario_text(variables=INFINITE), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--format", "json"],
        ["run", "--runs", "3", "--format", "json"],
        ["check", "--format", "json"],
    ],
)
def test_json_outputs_are_strict_with_infinite_bounds(infinite: Path, args: list[str]) -> None:
    result = invoke(*args, infinite)
    assert result.exit_code == 0, result.output
    strict(result.stdout)


def test_run_json_writes_null_for_what_is_not_finite(infinite: Path) -> None:
    trace = strict(invoke("run", infinite, "--format", "json").stdout)
    assert trace["records"][0]["variables"] == {"down": None, "up": None, "tension": 0.13}


def test_diff_json_is_strict_with_infinite_bounds(infinite: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(scenario_text(summary="other", variables=INFINITE), encoding="utf-8")
    result = invoke("diff", infinite, other, "--format", "json")
    assert result.exit_code == 0, result.output
    strict(result.stdout)


def test_batch_json_outputs_are_strict_with_infinite_bounds(infinite: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"dipsim_batch: 1\nscenario: {infinite.name}\nparameters:\n"
        "  - {path: variables.tension.per_goldstein, name: g, values: [-0.03, -0.05]}\n"
        "design: {kind: grid}\nreplications: 2\nseed: 1\n",
        encoding="utf-8",
    )
    out = tmp_path / "results.jsonl"
    result = invoke("batch", spec, "--backend", "sequential", "--out", out, "--format", "json")
    assert result.exit_code == 0, result.output
    strict(result.stdout)
    rows = [strict(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows
    assert all(row["AAA-BBB.down.final"] is None for row in rows), rows[0]
    summary = invoke("summarize", out, "--format", "json")
    assert summary.exit_code == 0, summary.output
    strict(summary.stdout)


def test_every_json_dumps_refuses_nan() -> None:
    """Every json.dumps in the package says allow_nan=False, so a NaN that slips past
    json_text's null raises instead of writing invalid JSON."""
    for module in (ROOT / "simulator").rglob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("dumps", "dump")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "json"
            ):
                flags = {k.arg: k.value for k in node.keywords}
                value = flags.get("allow_nan")
                where = f"{module.relative_to(ROOT)}:{node.lineno}: json.{node.func.attr}"
                assert isinstance(value, ast.Constant), f"{where} without allow_nan=False"
                assert value.value is False, f"{where} without allow_nan=False"


def test_a_variable_nan_in_both_traces_does_not_differ(infinite: Path) -> None:
    """NaN is not equal to itself, yet a variable NaN in base and what-if is no difference."""
    result = invoke("diff", infinite, infinite)
    assert result.exit_code == 0, result.output
    assert "does not depart" in result.stdout
    assert "Only variables differ" not in result.stdout
    found = strict(invoke("diff", infinite, infinite, "--format", "json").stdout)
    assert found["identical"] is True, found


def test_library_warnings_show_control_characters(evil: Path, tmp_path: Path) -> None:
    """matplotlib warns of a glyph it cannot draw, quoting it: the warning is made printable."""
    pytest.importorskip("matplotlib")
    result = invoke("run", evil, "--plot", tmp_path / "timeline.svg")
    assert result.exit_code == 0, result.output
    assert "Glyph 27" in result.stderr  # the escape character of the title, not drawn
    assert_inert(result)
