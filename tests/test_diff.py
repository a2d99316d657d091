"""Tests of ``dipsim diff`` and :mod:`simulator.report.diff`: where a what-if departs from its base.

Until what-if files (``extends:``) land, the what-ifs here are plain copies of
``scenarios/jan2024.yaml`` edited as text: an event removed, an event shifted, a variable's
decay changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli
from simulator.engine.simulation import simulate
from simulator.engine.trace import Record, RelationEnd, Trace
from simulator.report.diff import StateGap, TraceDiff, diff_json, diff_traces
from simulator.report.diff_table import diff_table
from simulator.scenario.loading import load_scenario
from tests.conftest import JAN2024

Edit = Callable[[str], str]

#: The keys of ``diff_json``'s document, in order (docs/cli.md documents them).
TOP_KEYS = [
    "diff_format",
    "identical",
    "base",
    "whatif",
    "departure",
    "variable_departure",
    "only_in_base",
    "only_in_whatif",
    "changed",
    "states",
    "final",
]
RECORD_KEYS = [
    "date",
    "event_id",
    "type",
    "actor",
    "target",
    "relation",
    "before",
    "after",
    "outcome",
    "cause",
    "caused_by",
]


def remove_pakistan_strike(text: str) -> str:
    """Remove Pakistan's 18 January strike, and the mentions of it in other events' causes."""
    start = text.index("  - id: pakistan-strikes-iran\n")
    stop = text.index("  - id: iran-summons-pakistani-envoy\n")
    text = text[:start] + text[stop:]
    text = text.replace("    caused_by: [pakistan-strikes-iran]\n", "")
    text = text.replace(", pakistan-strikes-iran]", "]")
    assert "pakistan-strikes-iran" not in text
    return text


def shift_return(day: str) -> Edit:
    """Move the ambassadors' return from 26 January to ``day``."""

    def edit(text: str) -> str:
        start = text.index("  - id: ambassadors-return\n")
        at = text.index("    date: 2024-01-26\n", start)
        return text[:at] + f"    date: {day}\n" + text[at + len("    date: 2024-01-26\n") :]

    return edit


def faster_decay(text: str) -> str:
    """Tension relaxes twice as fast: variables change, no state does."""
    assert text.count("decay_per_day: 0.1\n") == 1
    return text.replace("decay_per_day: 0.1\n", "decay_per_day: 0.2\n")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a copy of jan2024.yaml with its sources, for edited variants beside it."""
    where = tmp_path_factory.mktemp("whatif")
    shutil.copytree(JAN2024.parent / "sources", where / "sources")
    shutil.copy(JAN2024, where / "base.yaml")
    return where


def variant(folder: Path, name: str, edit: Edit) -> Path:
    """Write ``edit`` applied to jan2024.yaml as ``folder/name.yaml``."""
    path = folder / f"{name}.yaml"
    path.write_text(edit(JAN2024.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def run(path: Path) -> Trace:
    return simulate(load_scenario(path), seed=0)


@pytest.fixture(scope="module")
def base(folder: Path) -> Trace:
    """The January 2024 replay's trace."""
    return run(folder / "base.yaml")


def diff_with(folder: Path, base: Trace, name: str, edit: Edit) -> TraceDiff:
    return diff_traces(base, run(variant(folder, name, edit)))


# --- the comparison ---------------------------------------------------------------------------


def test_identical_traces_do_not_depart(base: Trace) -> None:
    """A trace compared with itself: no departure, nothing in one only, no state differences."""
    d = diff_traces(base, base)
    assert d.departure is None
    assert d.variable_departure is None
    assert (d.only_in_base, d.only_in_whatif, d.changed, d.states) == ((), (), (), ())
    assert d.identical
    assert all(f.same for f in d.final)
    assert "does not depart from the base" in diff_table(d)


def test_removing_the_strike_departs_on_18_january(folder: Path, base: Trace) -> None:
    """Without Pakistan's strike the what-if departs on 2024-01-18, where the base has the strike
    and the what-if the next event of that day; the strike is in the base only."""
    d = diff_with(folder, base, "no-strike", remove_pakistan_strike)
    assert d.departure is not None
    assert d.departure.date == dt.date(2024, 1, 18)
    assert d.departure.base is not None
    assert d.departure.whatif is not None
    assert d.departure.base.event == "pakistan-strikes-iran"
    assert d.departure.whatif.event == "iran-summons-pakistani-envoy"
    assert [r.event for r in d.only_in_base] == ["pakistan-strikes-iran"]
    assert d.only_in_whatif == ()
    assert not d.identical
    headline = " ".join(diff_table(d).split("\n\n")[1].split())
    assert headline.startswith("The what-if departs from the base on 2024-01-18. Base: ")
    assert "pakistan-strikes-iran (military_strike, PAK → IRN)" in headline


def test_shifting_the_return_moves_it_and_keeps_the_relation_recalled(
    folder: Path, base: Trace
) -> None:
    """With the ambassadors back on 30 January: the return is reported moved, later events on
    PAK-IRN changed, and PAK-IRN's daily state differs from 26 January to the end."""
    d = diff_with(folder, base, "late-return", shift_return("2024-01-30"))
    assert d.departure is not None
    assert d.departure.date == dt.date(2024, 1, 26)
    assert d.departure.base is not None
    assert d.departure.base.event == "ambassadors-return"
    moved = [c for c in d.changed if c.moved]
    assert [(c.base.event, c.whatif.date_text) for c in moved] == [
        ("ambassadors-return", "2024-01-30")
    ]
    assert {c.base.event for c in d.changed if "state" in c.changed} == {
        "saravan-killings",
        "foreign-minister-visit",
        "pledge-dialogue-liaison",
        "pledge-border-markets-mechanism",
    }
    assert d.only_in_base == d.only_in_whatif == ()
    day = dt.date
    assert d.states == (
        StateGap("PAK-IRN", day(2024, 1, 26), day(2024, 1, 28), "restored", "envoys_recalled"),
        StateGap("PAK-IRN", day(2024, 1, 29), day(2024, 1, 29), "normal", "envoys_recalled"),
        StateGap("PAK-IRN", day(2024, 1, 30), day(2024, 1, 31), "normal", "restored"),
    )
    pak_irn = next(f for f in d.final if f.relation == "PAK-IRN")
    assert pak_irn.base is not None
    assert pak_irn.whatif is not None
    assert (pak_irn.base.state, pak_irn.whatif.state) == ("normal", "restored")
    table = diff_table(d)
    assert "  2024-01-26 .. 2024-01-28  PAK-IRN  restored | envoys_recalled" in table
    assert "[moved to 2024-01-30]" in table
    assert "ambassadors-return  2024-01-26 → 2024-01-30" in table


def test_state_differences_end_where_the_relation_agrees_again(folder: Path, base: Trace) -> None:
    """With the return on 28 January, PAK-IRN differs on 26 and 27 January only: from the 28th
    both traces have the relation restored, and the visit makes both normal."""
    d = diff_with(folder, base, "return-28", shift_return("2024-01-28"))
    assert d.states == (
        StateGap(
            "PAK-IRN", dt.date(2024, 1, 26), dt.date(2024, 1, 27), "restored", "envoys_recalled"
        ),
    )
    assert {f.relation: f.whatif.state for f in d.final if f.whatif} == {
        "PAK-IRN": "normal",
        "IRN-IRQ": "envoys_recalled",
    }


def test_a_change_to_variables_only_is_reported_as_such(folder: Path, base: Trace) -> None:
    """Faster decay changes tension but no state: no departure, and the first variable
    difference is named (after the first event that follows a gap: Iraq's summons of
    16 January, a day after Iran's strike on Iraq)."""
    d = diff_with(folder, base, "fast-decay", faster_decay)
    assert d.departure is None
    assert d.states == ()
    var = d.variable_departure
    assert var is not None
    assert (var.date, var.event, var.relation) == (
        dt.date(2024, 1, 16),
        "iraq-summons-iranian-envoy",
        "IRN-IRQ",
    )
    assert set(var.base) == set(var.whatif) == {"tension"}
    assert var.base["tension"] != var.whatif["tension"]
    assert not d.identical
    table = " ".join(diff_table(d).split())
    assert "does not depart from the base" in table
    assert "Only variables differ, from 2024-01-16, after iraq-summons-iranian-envoy" in table


def test_diff_reads_traces_only(folder: Path, base: Trace) -> None:
    """Traces read back from JSON give the same diff as fresh ones (reports read traces only)."""
    whatif = run(variant(folder, "late-return-2", shift_return("2024-01-30")))
    fresh = diff_traces(base, whatif)
    again = diff_traces(Trace.from_dict(base.to_dict()), Trace.from_dict(whatif.to_dict()))
    assert diff_json(again) == diff_json(fresh)


# --- hand-made traces: repeated ids (rule responses), a what-if that stops early ---------------


def _record(event: str, day: int, before: str, after: str, cause: str = "script") -> Record:
    return Record(
        t=float(day - 1),
        when=dt.datetime(2024, 1, day),
        event=event,
        type="strike",
        actor="AAA",
        target=("BBB",),
        relation="AAA-BBB",
        before=before,
        after=after,
        outcome="transition" if before != after else "no_transition",
        variables={"tension": 0.5},
        cameo=None,
        goldstein=None,
        source=None,
        quote=None,
        summary="",
        cause=cause,
    )


def _trace(*records: Record) -> Trace:
    return Trace(
        title="hand-made",
        seed=7,
        start=dt.date(2024, 1, 1),
        stop=dt.date(2024, 1, 6),
        records=records,
        final=(RelationEnd("AAA-BBB", records[-1].after, {"tension": 0.5}),),
        variables=("tension",),
    )


def test_repeated_ids_are_matched_occurrence_by_occurrence() -> None:
    """Rule responses may share an id: the k-th occurrence is matched with the k-th, so a
    second retaliation present in the base only is reported once, and its rule is shown."""
    first = _record("retaliation", 2, "calm", "tense", cause="rule:retaliation")
    second = _record("retaliation", 4, "tense", "tense", cause="rule:retaliation")
    base = _trace(first, second)
    whatif = _trace(first)
    d = diff_traces(base, whatif)
    assert d.departure is not None
    assert d.departure.whatif is None
    assert d.departure.base == second
    assert d.only_in_base == (second,)
    assert d.changed == ()
    table = diff_table(d)
    assert "What-if: no further event." in " ".join(table.split())
    assert "[rule:retaliation]" in table


def test_a_moved_response_is_one_change_not_two() -> None:
    """The same response one day later is reported as moved, and the daily states differ for
    that one day."""
    base = _trace(_record("retaliation", 2, "calm", "tense"))
    whatif = _trace(_record("retaliation", 3, "calm", "tense"))
    d = diff_traces(base, whatif)
    assert [c.changed for c in d.changed] == [("date",)]
    assert d.states == (
        StateGap("AAA-BBB", dt.date(2024, 1, 2), dt.date(2024, 1, 2), "tense", "calm"),
    )
    assert all(f.same for f in d.final)


# --- outputs --------------------------------------------------------------------------------


def test_json_parses_with_the_documented_keys(folder: Path, base: Trace) -> None:
    """diff_json is JSON with the documented keys in a fixed order, and records in the
    documented shape."""
    d = diff_with(folder, base, "no-strike-json", remove_pakistan_strike)
    data = json.loads(diff_json(d))
    assert list(data) == TOP_KEYS
    assert data["diff_format"] == 2
    assert data["identical"] is False
    assert list(data["base"]) == ["title", "seed", "start", "stop"]
    assert list(data["departure"]) == ["date", "index", "base", "whatif"]
    assert data["departure"]["date"] == "2024-01-18"
    assert list(data["departure"]["base"]) == RECORD_KEYS
    assert [r["event_id"] for r in data["only_in_base"]] == ["pakistan-strikes-iran"]
    assert data["only_in_whatif"] == []
    assert list(data["final"][0]) == ["relation", "same", "base", "whatif"]
    assert diff_json(d) == diff_json(dataclasses.replace(d))


def test_json_of_a_shift_lists_changes_and_state_ranges(folder: Path, base: Trace) -> None:
    """The JSON of a shifted event holds the change and the state ranges in plain data."""
    data = json.loads(diff_json(diff_with(folder, base, "late-j", shift_return("2024-01-30"))))
    assert data["changed"][0]["event_id"] == "ambassadors-return"
    assert data["changed"][0]["changed"] == ["date"]
    assert list(data["changed"][0]) == ["event_id", "relation", "changed", "base", "whatif"]
    assert data["states"][0] == {
        "relation": "PAK-IRN",
        "from": "2024-01-26",
        "to": "2024-01-28",
        "base": "restored",
        "whatif": "envoys_recalled",
    }


@pytest.mark.parametrize("width", [60, 80, 100])
@pytest.mark.parametrize(
    "edit",
    [remove_pakistan_strike, shift_return("2024-01-30"), faster_decay],
    ids=["remove", "shift", "decay"],
)
def test_the_table_fits_the_width(folder: Path, base: Trace, edit: Edit, width: int) -> None:
    """Every line of the debrief fits in ``width`` columns."""
    table = diff_table(diff_with(folder, base, f"fit-{width}", edit), width=width)
    assert [line for line in table.splitlines() if len(line) > width] == []


# --- the command line -------------------------------------------------------------------------


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["diff", *map(str, args)], catch_exceptions=False)


def test_cli_prints_the_table(folder: Path) -> None:
    """``dipsim diff BASE WHATIF`` prints the debrief and exits 0 although the traces differ."""
    whatif = variant(folder, "cli-late", shift_return("2024-01-30"))
    result = invoke(folder / "base.yaml", whatif)
    assert result.exit_code == 0, result.output
    assert "The what-if departs from the base on 2024-01-26." in result.output
    assert "Final states (base | what-if)" in result.output


def test_cli_exits_0_when_nothing_differs() -> None:
    """Comparing a scenario with itself is not an error either."""
    result = invoke(JAN2024, JAN2024)
    assert result.exit_code == 0
    assert "does not depart" in result.output


def test_cli_json_and_seed(folder: Path) -> None:
    """``--format json`` prints the diff as JSON; ``--seed`` is the seed of both runs."""
    whatif = variant(folder, "cli-json", remove_pakistan_strike)
    result = invoke(folder / "base.yaml", whatif, "--format", "json", "--seed", "5")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert list(data) == TOP_KEYS
    assert data["base"]["seed"] == data["whatif"]["seed"] == 5


def test_cli_out_writes_the_file(folder: Path, tmp_path: Path) -> None:
    """``--out FILE`` writes the table there and prints nothing."""
    whatif = variant(folder, "cli-out", shift_return("2024-01-30"))
    out = tmp_path / "reports" / "diff.txt"
    result = invoke(folder / "base.yaml", whatif, "--out", out, "--width", "80")
    assert result.exit_code == 0
    assert result.output == ""
    text = out.read_text(encoding="utf-8")
    assert text.startswith("base:     Pakistan–Iran crisis, January 2024")
    assert max(len(line) for line in text.splitlines()) <= 80


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    """A missing WHATIF exits 2 with a located message and prints nothing on stdout."""
    missing = tmp_path / "missing.yaml"
    result = invoke(JAN2024, missing)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {missing}: no such file\n"


def test_cli_reports_the_problems_of_both_files(tmp_path: Path) -> None:
    """When both files are invalid, the problems of both are reported at once."""
    result = invoke(tmp_path / "a.yaml", tmp_path / "b.yaml")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'a.yaml'}: no such file",
        f"error: {tmp_path / 'b.yaml'}: no such file",
        "2 problems found",
    ]


def test_cli_diff_in_a_real_process(folder: Path) -> None:
    """``python -m simulator diff`` in a real process prints JSON and exits 0."""
    whatif = variant(folder, "process", remove_pakistan_strike)
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "diff", "base.yaml", whatif.name, "--format", "json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=folder,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["departure"]["date"] == "2024-01-18"
