"""WEIS codes and citations of a data file's rows and records, from the file to every output: a
WEIS-coded scenario loads, runs and is shown as WEIS (table, JSON, CSV, HTML report); rows and
records are looked for in their file and shown where a quote would be."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from simulator.cli import cli
from simulator.core.errors import ScenarioError
from simulator.engine.simulation import simulate
from simulator.engine.trace import Trace
from simulator.report.formats import trace_to_csv, trace_to_json
from simulator.report.html.build import build_report
from simulator.report.table import trace_table
from simulator.scenario.citing import SourceTexts, listed, place_text
from simulator.scenario.limits import DEFAULT_LIMITS, Limits
from simulator.scenario.loading import load_scenario
from tests.conftest import ROOT, SCENARIOS

EXAMPLE = SCENARIOS / "examples" / "weis-gulf-1980.yaml"
GULF = SCENARIOS / "sources" / "gulf-weis-1980-09.csv"
ICEWS = ROOT / "tests" / "data" / "icews-2018-06-01.tab"


@pytest.fixture(scope="module")
def trace() -> Trace:
    return simulate(load_scenario(EXAMPLE), seed=0)


# --- WEIS codes in every output --------------------------------------------------------------


def test_a_weis_coded_scenario_runs_with_its_codes_as_weis(trace: Trace) -> None:
    assert [(r.event, r.cameo, r.weis, r.goldstein) for r in trace.records] == [
        ("iraq-destroys", None, "222", -8.7),
        ("iraq-engages", None, "223", -10.0),
    ]
    assert [r.code for r in trace.records] == [("WEIS", "222"), ("WEIS", "223")]
    assert trace.final[0].state == "war"


def test_a_weis_coded_scenario_checks_clean() -> None:
    """No codebook finding (its WEIS codes are WEIS codes, at the WEIS table's values), its
    claim holds, its rows are in their file."""
    result = CliRunner().invoke(cli, ["check", str(EXAMPLE), "--strict", "--notes"])
    assert result.exit_code == 0, result.output
    assert "analysis: nothing found" in result.output
    assert "PASS  expect[0] at-war-from-22-september" in result.output


def test_the_json_trace_has_weis_and_where_and_reads_back_the_same(trace: Trace) -> None:
    data = json.loads(trace_to_json(trace))
    first = data["records"][0]
    assert (first["cameo"], first["weis"]) == (None, "222")
    assert first["citations"] == [
        {"ref": "keds", "quote": None, "note": None, "where": "row 14 of gulf-weis-1980-09.csv"}
    ]
    assert Trace.from_dict(data) == trace


def test_json_without_weis_or_where_reads_as_before(trace: Trace) -> None:
    """A trace written before WEIS codes and rows (no such keys) still reads."""
    data = json.loads(trace_to_json(simulate(load_scenario(SCENARIOS / "examples" / "first.yaml"))))
    assert all("weis" not in r for r in data["records"])
    assert all("where" not in c for r in data["records"] for c in r["citations"])
    old = Trace.from_dict(data)
    assert all(r.weis is None and r.where is None for r in old.records)
    assert old.records[0].code == ("CAMEO", "195")


def test_the_csv_has_a_weis_column_beside_cameo_only_when_a_record_has_one(trace: Trace) -> None:
    rows = list(csv.DictReader(io.StringIO(trace_to_csv(trace))))
    assert [(r["cameo"], r["weis"]) for r in rows] == [("", "222"), ("", "223")]
    assert "rows 24, 25 of gulf-weis-1980-09.csv" in rows[1]["citations"]
    header = next(csv.reader(io.StringIO(trace_to_csv(trace))))
    assert header[header.index("cameo") + 1] == "weis"
    plain = simulate(load_scenario(SCENARIOS / "examples" / "first.yaml"))
    assert "weis" not in next(csv.reader(io.StringIO(trace_to_csv(plain))))


def test_the_table_shows_the_rows_where_a_quote_would_be(trace: Trace) -> None:
    text = trace_table(trace, width=200)
    assert "row 14 of gulf-weis-1980-09.csv [keds]" in text
    assert "rows 24, 25 of gulf-weis-1980-09.csv [keds]" in text
    assert "“row" not in text  # not in quotation marks: it is no quote


def test_the_html_report_labels_the_code_weis_and_cites_the_rows() -> None:
    page = build_report(EXAMPLE, runs=2).html
    assert '<abbr title="WEIS event code">WEIS</abbr> 223' in page
    assert "CAMEO</abbr>" not in page
    assert '<p class="cite rows">rows 24, 25 of gulf-weis-1980-09.csv</p>' in page


# --- rows and records looked for in their file -------------------------------------------------

SCENARIO = """\
dipsim: 1
title: Cited rows and records
start: 2018-06-01
end: 2018-06-30
sources:
  icews: {file: icews.tab}
  keds: {file: gulf.csv}
actors:
  BGD: {name: Bangladesh}
  VNM: {name: Vietnam}
event_types:
  consult: {codes: {cameo: "040", goldstein: 1.0}}
machine:
  states: [normal]
  initial: normal
relations:
  - pair: [BGD, VNM]
events:
  - {id: e1, date: 2018-06-01, type: consult, actor: BGD, target: VNM, summary: s, source: CITED}
"""


def load(tmp_path: Path, cited: str, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """The problems of the scenario citing ``cited`` (empty when it loads)."""
    shutil.copy(ICEWS, tmp_path / "icews.tab")
    shutil.copy(GULF, tmp_path / "gulf.csv")
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("CITED", cited), encoding="utf-8")
    try:
        load_scenario(path, limits)
    except ScenarioError as err:
        return [str(p).replace(str(path), "s.yaml") for p in err.problems]
    return []


def test_records_that_are_whole_fields_are_found(tmp_path: Path) -> None:
    assert load(tmp_path, '{ref: icews, records: ["32889836", "32891064"]}') == []
    # An id that is only part of a field, or a field of another kind, is not a record's id.
    assert load(tmp_path, '{ref: icews, records: ["3288983"]}') == [
        "s.yaml:19:115: events[0].source.records[0]: record '3288983' not found in icews.tab (a "
        "record id is a whole field: between tabs, commas or line ends)"
    ]


def test_a_field_in_double_quotes_is_found(tmp_path: Path) -> None:
    assert load(tmp_path, "{ref: keds, rows: [1]}") == []  # the data files copied
    (tmp_path / "ids.csv").write_text('id,code\n"A-17",040\n', encoding="utf-8")
    text = '{ref: ids, records: ["A-17"]}'
    path = tmp_path / "s.yaml"
    scenario = SCENARIO.replace("CITED", text).replace(
        "sources:\n", "sources:\n  ids: {file: ids.csv}\n"
    )
    path.write_text(scenario, encoding="utf-8")
    assert load_scenario(path).events[0].source[0].records == ("A-17",)


def test_the_last_line_is_a_row_and_the_one_after_is_not(tmp_path: Path) -> None:
    lines = GULF.read_text(encoding="utf-8").count("\n")
    assert load(tmp_path, f"{{ref: keds, rows: [1, {lines}]}}") == []
    (problem,) = load(tmp_path, f"{{ref: keds, rows: [1, {lines + 1}]}}")
    assert problem.endswith(f"rows[1]: row {lines + 1} past the end of gulf.csv ({lines} lines)")


def test_a_data_file_past_max_bytes_is_scanned_for_its_rows(tmp_path: Path) -> None:
    """A file cited only by rows or records is scanned a line at a time, whatever its size: its
    rows are checked past max_bytes (a file read whole as text, uncited or quoted, is still
    refused past it: icews.tab here)."""
    tight = dataclasses.replace(DEFAULT_LIMITS, max_bytes=900)  # the scenario, not its data
    assert len(SCENARIO) < 900 < GULF.stat().st_size
    lines = GULF.read_bytes().count(b"\n")
    assert load(tmp_path, "{ref: keds, rows: [999]}", tight) == [
        "s.yaml:6:17: sources.icews.file: source file 'icews.tab' cannot be read (paths are "
        "relative to the scenario file)",
        f"s.yaml:19:111: events[0].source.rows[0]: row 999 past the end of gulf.csv ({lines} "
        "lines)",
    ]


def test_a_citation_of_rows_runs_and_cites_them(tmp_path: Path) -> None:
    assert load(tmp_path, "{ref: keds, rows: [2, 3, 4, 5]}") == []
    (record,) = simulate(load_scenario(tmp_path / "s.yaml")).records
    assert (record.quote, record.where) == (None, "rows 2, 3 … (4 rows) of gulf.csv")


# --- the text outputs show ---------------------------------------------------------------------


def test_place_text_names_rows_or_records_and_cuts_long_lists() -> None:
    assert place_text([1203, 1207], None, "keds.csv") == "rows 1203, 1207 of keds.csv"
    assert place_text([5], None, "k.csv") == "row 5 of k.csv"
    many = [1203, 1207, *range(1300, 1310)]
    assert place_text(many, None, "k.csv") == "rows 1203, 1207 … (12 rows) of k.csv"
    assert place_text(None, ["32889836"], "e.tab") == "record 32889836 of e.tab"
    assert place_text(None, None, "k.csv") is None


@given(st.lists(st.integers(1, 10**9), min_size=1, max_size=50))
def test_listed_shows_short_lists_whole_and_long_ones_with_their_count(rows: list[int]) -> None:
    text = listed(rows, "row")
    if len(rows) <= 3:
        assert text.endswith(", ".join(map(str, rows)))
        assert "…" not in text
    else:
        assert text == f"rows {rows[0]}, {rows[1]} … ({len(rows)} rows)"


@given(
    st.lists(st.from_regex(r"[A-Za-z0-9]{1,10}", fullmatch=True), min_size=1, unique=True),
    st.sampled_from(["\t", ","]),
    st.booleans(),
)
def test_a_record_id_is_found_as_a_whole_field_and_only_so(
    ids: list[str], sep: str, newline_at_end: bool
) -> None:
    text = "id\n" + "\n".join(sep.join(ids[i : i + 3]) for i in range(0, len(ids), 3))
    texts = SourceTexts({"s": text + ("\n" if newline_at_end else "")})
    assert texts.missing_records("s", ids) == []
    parts = [i[:-1] for i in ids if len(i) > 1 and i[:-1] not in ids and i[:-1] != "id"]
    assert texts.missing_records("s", parts) == parts
    lines = 1 + -(-len(ids) // 3)
    assert texts.missing_rows("s", [1, lines, lines + 1]) == ([lines + 1], lines)
