"""The trace table and the outcomes table of ``run --runs`` fit the width they are given, or
the terminal's (issue 13 item 7), and the trace table marks the dates a source does not report
(item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import cli
from simulator.engine.montecarlo import run_many
from simulator.engine.outcomes import Outcomes
from simulator.engine.simulation import simulate
from simulator.engine.trace import Trace
from simulator.report.outcomes import outcomes_table
from simulator.report.table import INFERRED, trace_table
from simulator.report.table_layout import fit
from simulator.scenario.loading import load_scenario
from tests.conftest import JAN2024, SCENARIOS, scenario_files


@pytest.fixture(scope="module")
def jan2024() -> Trace:
    return simulate(load_scenario(JAN2024), seed=0)


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize("width", [60, 80, 100, 120])
def test_no_line_of_the_jan2024_table_is_wider_than_asked(jan2024: Trace, width: int) -> None:
    """At every width each event still has its row (date first), its id and its summary."""
    table = trace_table(jan2024, width=width)
    assert widest(table) <= width
    lines = table.splitlines()
    for r in jan2024.records:
        assert any(line.startswith(r.date_text) for line in lines)
        assert r.event in table
    # Whole summaries, whatever the wrapping (a line may break after a hyphen).
    letters = "".join(table.split())
    assert all("".join(r.summary.split()) in letters for r in jan2024.records)


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_every_scenario_fits_60_columns(path: Path) -> None:
    assert widest(trace_table(simulate(load_scenario(path), seed=0), width=60)) <= 60


def test_columns_that_do_not_fit_move_under_the_row(jan2024: Trace) -> None:
    """At 80 columns the relation and the parties leave the row for the line under it, in
    the header as in each block; at 120 all are on the row (at 100 the relation leaves it too:
    January 2024's times of day make the date column 17 wide)."""
    lines = trace_table(jan2024, width=80).splitlines()
    assert lines[2].split() == ["date", "type", "state", "tension"]
    assert lines[3].strip() == "relation, actor → target"
    assert lines[5].split()[1:3] == ["military_strike", "▼"]
    assert lines[6].strip() == "IRN-IRQ, IRN → IRQ"
    wide = trace_table(jan2024, width=120).splitlines()
    assert wide[2].split()[:3] == ["date", "relation", "type"]
    assert trace_table(jan2024, width=100).splitlines()[2].split()[:3] == ["date", "type", "actor"]


def test_the_layout_drops_the_least_essential_columns_first() -> None:
    names = ["date", "relation", "type", "marker", "parties", "state", "variable"]
    widths = [10, 8, 20, 1, 14, 27, 7]
    assert fit(names, widths, 120).details == ()
    assert [names[i] for i in fit(names, widths, 80).details] == ["relation", "parties"]
    assert [names[i] for i in fit(names, widths, 60).row] == ["date", "marker", "state", "variable"]
    # Nothing left to drop: the date and the marker stay, however narrow.
    assert [names[i] for i in fit(names, widths, 5).row] == ["date", "marker"]


def test_inferred_dates_are_marked_and_say_why(jan2024: Trace) -> None:
    """An inferred date has a mark after it, and its block ends with the date's note."""
    table = trace_table(jan2024, width=100)
    inferred = [r for r in jan2024.records if r.date_basis == "inferred"]
    reported = [r for r in jan2024.records if r.date_basis == "reported"]
    assert inferred
    assert reported
    rows = [line.split()[0] for line in table.splitlines() if line[:4].isdigit()]
    expected = [
        r.date_text + (INFERRED if r.date_basis == "inferred" else "") for r in jan2024.records
    ]
    assert rows == expected
    words = " ".join(table.split())
    for r in inferred:
        assert r.date_note is not None
        assert f"{INFERRED} date inferred: {' '.join(r.date_note.split())}" in words


def run(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, ["run", str(JAN2024), *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_default_width_is_the_terminals(jan2024: Trace) -> None:
    """Without --width the table fits COLUMNS; --width wins; without either (a pipe), 100."""
    assert run(env={"COLUMNS": "80"}) == trace_table(jan2024, width=80)
    assert run("--width", "120", env={"COLUMNS": "80"}) == trace_table(jan2024, width=120)
    assert run() == trace_table(jan2024, width=100)
    # A terminal's width is taken from 60 to 120 columns (--width may ask for more).
    assert run(env={"COLUMNS": "40"}) == trace_table(jan2024, width=60)
    assert run(env={"COLUMNS": "300"}) == trace_table(jan2024, width=120)


def test_a_file_is_100_columns_whatever_the_terminal(jan2024: Trace, tmp_path: Path) -> None:
    out = tmp_path / "table.txt"
    run("--out", str(out), env={"COLUMNS": "80"})
    assert out.read_text(encoding="utf-8") == trace_table(jan2024, width=100)


@pytest.fixture(scope="module")
def retaliation() -> Outcomes:
    return run_many(load_scenario(SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml"), 300, 0)


@pytest.mark.parametrize("width", [60, 80, 100, 120])
def test_no_line_of_the_outcomes_table_is_wider_than_asked(
    retaliation: Outcomes, width: int
) -> None:
    """Every state keeps its row; each of its numbers is on the row or on the line under it."""
    table = outcomes_table(retaliation, width=width)
    assert widest(table) <= width
    lines = table.splitlines()
    for rel in retaliation.relations:
        first = lines.index(rel.relation)
        for s in rel.states:
            at = next(i for i in range(first, len(lines)) if lines[i].startswith(s.state + " "))
            numbers = " ".join(lines[at : at + 2]).replace(",", " ").split()
            assert f"{s.mean_days:.1f}" in numbers
            assert f"{s.ended.share:.1%}" in numbers
            assert f"{s.reached.share:.1%}" in numbers
            assert sum("–" in n and n.endswith("%") for n in numbers) >= 2  # the intervals


def test_the_outcomes_tables_intervals_move_under_the_row(retaliation: Outcomes) -> None:
    """Below its 86 columns the two intervals leave the row together, for the line under it
    (headed under the heading row); at 100 the table is all on the row, as it always was."""
    lines = outcomes_table(retaliation, width=80).splitlines()
    head = lines.index("PAK-IRN") + 1
    assert lines[head].split() == [
        "state",
        "ended",
        "in",
        "reached",
        "mean",
        "days",
        "days",
        "to",
        "reach",
    ]
    assert lines[head + 1].strip() == "ended in 95% CI, reached 95% CI"
    assert lines[head + 3].split() == ["normal", "89.3%", "100.0%", "4.6", "0.0"]
    assert lines[head + 4].strip() == "85.3–92.4%, 98.7–100.0%"
    wide = outcomes_table(retaliation, width=100).splitlines()
    assert wide[head].split()[:4] == ["state", "ended", "in", "95%"]
    assert wide[head + 2].split() == [
        "normal",
        "89.3%",
        "85.3–92.4%",
        "100.0%",
        "98.7–100.0%",
        "4.6",
        "0.0",
    ]
