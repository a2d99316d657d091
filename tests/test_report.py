"""Unit tests of the outputs made from traces (:mod:`simulator.report`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

from simulator.engine.simulation import simulate
from simulator.engine.trace import Record, RelationEnd, Trace
from simulator.report.formats import CSV_FIELDS, CSV_TAIL, trace_to_csv, trace_to_json
from simulator.report.table import trace_table
from simulator.scenario.loading import load_scenario


@pytest.fixture(scope="module")
def jan2024(jan2024_path: Path) -> Trace:
    """The January 2024 replay's trace."""
    return simulate(load_scenario(jan2024_path), seed=0)


def record(
    event: str = "e1",
    *,
    before: str = "calm",
    after: str = "tense",
    outcome: str = "transition",
    target: tuple[str, ...] = ("BBB",),
    variables: dict[str, float] | None = None,
    quote: str | None = "A struck B on Tuesday",
    summary: str = "A strikes B.",
    when: dt.datetime = dt.datetime(2024, 1, 2),
) -> Record:
    """A record of an event of AAA on BBB, with defaults for what a test does not care about."""
    return Record(
        t=(when - dt.datetime(2024, 1, 1)).total_seconds() / 86_400,
        when=when,
        event=event,
        type="strike",
        actor="AAA",
        target=target,
        relation="AAA-BBB",
        before=before,
        after=after,
        outcome=outcome,
        variables={"tension": 0.5} if variables is None else variables,
        cameo="195",
        goldstein=-10.0,
        source="art",
        quote=quote,
        summary=summary,
    )


def trace_of(*records: Record, variables: tuple[str, ...] = ("tension",)) -> Trace:
    """A one-relation trace of ``records``."""
    return Trace(
        title="Test",
        seed=3,
        start=dt.date(2024, 1, 1),
        stop=dt.date(2024, 1, 10),
        records=records,
        final=(
            RelationEnd(
                "AAA-BBB", records[-1].after if records else "calm", dict.fromkeys(variables, 0.25)
            ),
        ),
        variables=variables,
    )


# --- table ------------------------------------------------------------------------------------


def test_table_lines_fit_the_default_width(jan2024: Trace) -> None:
    """Every line of the January 2024 table fits in 100 columns."""
    lines = trace_table(jan2024, width=100).splitlines()
    too_long = [line for line in lines if len(line) > 100]
    assert too_long == []


def test_table_has_every_summary_and_quote(jan2024: Trace) -> None:
    """The table holds each event's summary and quote, wrapped: the words are all there in
    order. An event resting on a public source without a quote (Iraq's recall, Pakistan's
    suspension of visits) shows the source alone."""
    table = trace_table(jan2024, width=100)
    # The wrap may break a line after a word's hyphen ("Amir-" / "Abdollahian"): join it again.
    flat = re.sub(r"(\w)- (\w)", r"\1-\2", " ".join(table.split()))
    for r in jan2024.records:
        assert " ".join(r.summary.split()) in flat
        if r.quote is None:
            assert f" [{r.source}]" in flat
        else:
            assert f"“{' '.join(r.quote.split())}” [{r.source}]" in flat
    assert sum(r.quote is not None for r in jan2024.records) >= 20


def test_table_wraps_long_summaries_within_width() -> None:
    """A long summary and quote are wrapped onto indented lines no longer than the width."""
    long = "word " * 60
    table = trace_table(trace_of(record(summary=long.strip(), quote=long.strip())), width=60)
    body = table.splitlines()[4:-2]
    assert len(body) > 3
    assert all(len(line) <= 60 for line in body[1:])
    assert all(line.startswith(" " * 12) for line in body[1:])


def test_table_header_and_final_line() -> None:
    """The table starts with the title, seed and span, and ends with each relation's final
    state and tension."""
    lines = trace_table(trace_of(record())).splitlines()
    assert lines[0] == "Test  (seed 3, 2024-01-01 .. 2024-01-10)"
    assert lines[2].split() == ["date", "type", "actor", "→", "target", "state", "tension"]
    assert lines[-1] == "final: AAA-BBB tense (tension 0.25)"


@pytest.mark.parametrize(
    ("before", "after", "outcome", "cell"),
    [
        ("calm", "tense", "transition", "calm → tense"),
        ("tense", "tense", "transition", "tense (again)"),
        ("calm", "calm", "guard_failed", "calm (guard not met)"),
        ("calm", "calm", "no_transition", "calm (unchanged)"),
    ],
)
def test_state_cell_for_each_outcome(before: str, after: str, outcome: str, cell: str) -> None:
    """The state column says what the event did: a move, a self-transition, a guard not met,
    or no transition."""
    table = trace_table(trace_of(record(before=before, after=after, outcome=outcome)))
    row = table.splitlines()[4]
    assert row.startswith("2024-01-02  strike")
    assert f"  {cell}  " in row


def test_table_cites_source_without_quote() -> None:
    """An event without a quote shows its source id alone."""
    table = trace_table(trace_of(record(quote=None)))
    assert "              [art]" in table.splitlines()


def test_table_shows_time_of_day() -> None:
    """An event at a time of day shows it in the date column."""
    table = trace_table(trace_of(record(when=dt.datetime(2024, 1, 2, 9, 30))))
    assert table.splitlines()[4].startswith("2024-01-02T09:30  strike")


# --- JSON -------------------------------------------------------------------------------------


def test_json_parses_and_round_trips(jan2024: Trace) -> None:
    """The JSON output parses, and reading it back gives the same trace."""
    data = json.loads(trace_to_json(jan2024))
    assert data["trace_format"] == 2
    assert data["seed"] == 0
    assert len(data["records"]) == len(jan2024.records)
    assert Trace.from_dict(data) == jan2024


def test_json_round_trips_times_of_day_and_missing_quotes() -> None:
    """Times of day, missing quotes and several targets survive the JSON round trip."""
    trace = trace_of(
        record("e1", when=dt.datetime(2024, 1, 2, 18, 45), quote=None),
        record("e2", target=("BBB", "CCC")),
    )
    assert Trace.from_dict(json.loads(trace_to_json(trace))) == trace


def test_json_of_format_1_is_read() -> None:
    """A trace written before format 2 (an event's id under ``event``, no date basis, notes or
    citations) is read back, as a reported date with no notes."""
    data = trace_of(record("e1")).to_dict()
    data["trace_format"] = 1
    for r in data["records"]:
        r["event"] = r.pop("event_id")
        for key in ("date_basis", "date_note", "note", "citations"):
            del r[key]
    (r,) = Trace.from_dict(data).records
    assert (r.event, r.date_basis, r.date_note, r.note, r.citations) == (
        "e1",
        "reported",
        None,
        None,
        (),
    )


def test_json_and_csv_carry_date_basis_notes_and_every_citation(
    jan2024: Trace, jan2024_path: Path
) -> None:
    """Each record says how its date is known, with the event's notes and all its citations,
    in JSON and in CSV alike (issue 13 item 6)."""
    scenario = load_scenario(jan2024_path)
    events = {e.id: e for e in scenario.events}
    scripted = [r for r in jan2024.records if r.cause == "script"]
    data = json.loads(trace_to_json(jan2024))["records"]
    rows = list(csv.DictReader(io.StringIO(trace_to_csv(jan2024))))
    assert any(events[r.event].date_basis == "inferred" for r in scripted)
    assert any(len(events[r.event].source) > 1 for r in scripted)
    for r, d, row in zip(jan2024.records, data, rows, strict=True):
        if r.cause != "script":
            assert d["date_basis"] == row["date_basis"] == "simulated"
            continue
        e = events[r.event]
        cited = [{"ref": c.ref, "quote": c.quote, "note": c.note} for c in e.source]
        assert d["date_basis"] == row["date_basis"] == e.date_basis
        assert d["date_note"] == e.date_note
        assert row["date_note"] == (e.date_note or "")
        assert d["note"] == (e.note or None)
        assert row["note"] == e.note
        assert d["citations"] == json.loads(row["citations"]) == cited
        assert (d["source"], d["quote"]) == (e.source[0].ref, e.source[0].quote)


def test_json_is_the_same_for_the_same_run(jan2024: Trace, jan2024_path: Path) -> None:
    """The same run gives the same JSON text, byte for byte."""
    again = simulate(load_scenario(jan2024_path), seed=0)
    assert trace_to_json(again) == trace_to_json(jan2024)


# --- CSV --------------------------------------------------------------------------------------


def test_csv_header_has_one_column_per_variable() -> None:
    """The CSV header is the record fields, one column per variable, then codes and text."""
    trace = trace_of(
        record(variables={"tension": 0.5, "trust": 0.25}), variables=("tension", "trust")
    )
    header = next(csv.reader(io.StringIO(trace_to_csv(trace))))
    assert header == [*CSV_FIELDS, "tension", "trust", *CSV_TAIL]


def test_csv_rows_join_targets_with_semicolons() -> None:
    """Each record is a row; several targets are joined with ``;``; a missing quote is
    empty."""
    trace = trace_of(
        record("e1", target=("BBB", "CCC"), quote=None, variables={"tension": 0.5, "trust": 0.25}),
        variables=("tension", "trust"),
    )
    rows = list(csv.DictReader(io.StringIO(trace_to_csv(trace))))
    assert len(rows) == 1
    row = rows[0]
    assert row["target"] == "BBB;CCC"
    assert (row["tension"], row["trust"]) == ("0.5", "0.25")
    assert (row["event_id"], row["date"], row["outcome"], row["quote"]) == (
        "e1",
        "2024-01-02",
        "transition",
        "",
    )


def test_csv_of_jan2024_has_a_row_per_record(jan2024: Trace) -> None:
    """The January 2024 CSV has one row per record, with the tension column."""
    rows = list(csv.DictReader(io.StringIO(trace_to_csv(jan2024))))
    assert [r["event_id"] for r in rows] == [r.event for r in jan2024.records]
    assert [float(r["tension"]) for r in rows] == [r.variables["tension"] for r in jan2024.records]
