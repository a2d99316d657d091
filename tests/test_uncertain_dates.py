"""Uncertain dates (issue 14, item 4): months, ranges and disputed dates in the format, the replay
point and the per-run draws in the engine, the claims that depend on the draw in ``check``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from simulator.check.checker import DATE_DRAWS, check_scenario
from simulator.cli import cli
from simulator.core.errors import ScenarioError
from simulator.engine.montecarlo import run_many
from simulator.engine.simulation import Simulator, simulate
from simulator.engine.trace import Record
from simulator.report.check import check_text
from simulator.scenario.loading import load_scenario, load_scenario_with_origin, scenario_from_text
from simulator.scenario.model import Scenario, UncertainDate
from simulator.scenario.whatif import shift_events

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "examples" / "uncertain-dates.yaml"
BASE = (ROOT / "tests" / "bad" / "29-malformed-date.yaml").read_text(encoding="utf-8")


def with_date(date: str, extra: str = "") -> str:
    """The corpus's small scenario with its one event dated ``date`` (YAML text)."""
    body = "\n".join(line for line in BASE.split("\n") if not line.startswith("#"))
    return body.replace("date: 2024-1-2", f"date: {date}{extra}")


def loaded(date: str, extra: str = "") -> Scenario:
    return scenario_from_text(with_date(date, extra), "s.yaml")


def refused(date: str, extra: str = "") -> str:
    with pytest.raises(ScenarioError) as info:
        loaded(date, extra)
    return str(info.value)


# --- the format ---------------------------------------------------------------------------------


def test_a_day_is_a_day_and_not_uncertain() -> None:
    e = loaded("2024-01-02").events[0]
    assert e.uncertain_date() is None
    assert e.day == dt.date(2024, 1, 2)


def test_a_month_is_accepted_and_stands_for_its_days() -> None:
    """'2018-10' used to be refused as "not a date"; it is any day of the month."""
    e = loaded("2024-01").events[0]
    date = e.uncertain_date()
    assert date is not None
    assert date.spans == ((dt.date(2024, 1, 1), dt.date(2024, 1, 31)),)
    assert e.day == dt.date(2024, 1, 1)  # the replay point: the earliest day
    assert loaded("{month: 2024-01}").events[0].uncertain_date() == e.uncertain_date()


def test_a_range_replays_at_its_first_day_or_the_stated_point() -> None:
    e = loaded("{between: [2024-01-16, 2024-01-17]}").events[0]
    date = e.uncertain_date()
    assert e.day == dt.date(2024, 1, 16)
    assert date is not None
    assert date.latest == dt.date(2024, 1, 17)
    stated = loaded("{between: [2024-01-16, 2024-01-17], replay: 2024-01-17}").events[0]
    assert stated.day == dt.date(2024, 1, 17)


def test_a_disputed_date_has_its_alternatives_and_their_sources() -> None:
    e = loaded(
        "\n      disputed:\n        - {date: 2024-01-05, source: {ref: wire}}"
        "\n        - {date: 2024-01, source: [{ref: wire, note: the month only}]}"
    ).events[0]
    date = e.uncertain_date()
    assert date is not None
    assert date.disputed is not None
    assert [c.date for c in date.disputed] == ["2024-01-05", "2024-01"]
    assert date.disputed[1].source[0].note == "the month only"
    assert date.spans == (
        (dt.date(2024, 1, 5), dt.date(2024, 1, 5)),
        (dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
    )
    assert e.day == dt.date(2024, 1, 1)


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2024-13", "s.yaml:26:11: events[0].date: '2024-13' is not a month: there is no month 13"),
        ("2024-1", "'2024-1' is not a month written YYYY-MM (e.g. 2018-10)"),
        ("{between: [2024-01-05, 2024-01-02]}", "ends before it starts"),
        ("{between: [2024-01-02, 2024-01-40]}", "events[0].date.between[1]: '2024-01-40' is not"),
        ("{between: [2024-01-02, 2024-01-04], replay: 2024-01-05}", "not one of the possible"),
        ("{month: 2024-01, between: [2024-01-02, 2024-01-04]}", "(got month and between)"),
        ("{between: [2024-01-30, 2024-02-02]}", "is not all inside the scenario's span"),
        ("{replay: 2024-01-03}", "(got none of them)"),
    ],
)
def test_a_wrong_uncertain_date_is_refused_located(date: str, message: str) -> None:
    assert message in refused(date)


def test_end_date_gets_a_hint_for_ranges_not_did_you_mean_date() -> None:
    text = refused("2024-01-02", "\n    end_date: 2024-01-04")
    assert "did you mean" not in text
    assert "events[0].end_date: unknown key 'end_date': " in text
    assert "date: {between: [FIRST, LAST]}" in text


def test_a_misspelt_date_key_still_gets_did_you_mean() -> None:
    assert "(did you mean 'date'?)" in refused("2024-01-02", "\n    dat: 2024-01-04")


def test_a_cause_must_come_first_on_every_draw() -> None:
    """A cause dated within 2-12 January may be drawn after an effect of 10 January: refused.
    Narrowed to end on 10 January, it is accepted (equal days keep the file's order)."""
    effect = (
        "\n  - {id: talk-1, date: 2024-01-10, type: talk, actor: AAA, target: BBB, "
        "summary: Talks., source: {ref: wire}, caused_by: first-strike}"
    )
    with pytest.raises(ScenarioError) as info:
        scenario_from_text(with_date("{between: [2024-01-02, 2024-01-12]}") + effect, "s.yaml")
    text = str(info.value)
    assert "cause 'first-strike' may come after this event when dates are drawn" in text
    assert "events[1].caused_by" in text
    ok = scenario_from_text(with_date("{between: [2024-01-02, 2024-01-10]}") + effect, "s.yaml")
    assert ok.events[1].caused_by == ("first-strike",)


def test_shifting_an_uncertain_date_moves_every_possible_day() -> None:
    scenario = loaded("{between: [2024-01-02, 2024-01-04], replay: 2024-01-03}")
    moved = shift_events(scenario, ["first-strike"], by=2).events[0].uncertain_date()
    assert moved == UncertainDate(
        between=(dt.date(2024, 1, 4), dt.date(2024, 1, 6)), replay=dt.date(2024, 1, 5)
    )
    month = shift_events(loaded("2024-01"), ["first-strike"], by=-0.0).events[0].uncertain_date()
    assert month is not None
    assert month.spans == ((dt.date(2024, 1, 1), dt.date(2024, 1, 31)),)


# --- the engine ---------------------------------------------------------------------------------


def _days(records: tuple[Record, ...], event: str) -> dt.date:
    return next(r.when.date() for r in records if r.event == event)


def test_a_replay_plays_each_uncertain_date_at_its_replay_point() -> None:
    trace = simulate(EXAMPLE)
    assert _days(trace.records, "embassy-urges-release") == dt.date(2018, 8, 3)
    assert _days(trace.records, "saudi-blocks-grain") == dt.date(2018, 8, 6)
    assert _days(trace.records, "trainees-leave") == dt.date(2018, 9, 1)
    note = next(r.date_note for r in trace.records if r.event == "saudi-expels-ambassador")
    assert note == "date uncertain: 2018-08-05 or 2018-08-06; a replay plays it on 2018-08-05"


def test_runs_that_draw_dates_are_seeded_and_stay_in_the_possible_days() -> None:
    sim = Simulator(EXAMPLE)
    scenario = sim.scenario
    dates = {e.id: e.uncertain_date() for e in scenario.events}
    spans = {event: date.spans for event, date in dates.items() if date is not None}
    seen: dict[str, set[dt.date]] = {event: set() for event in spans}
    for seed in range(60):
        trace = sim.run(seed, draw_dates=True)
        assert trace == sim.run(seed, draw_dates=True)  # the same seed, the same days
        order = [r.event for r in trace.records]
        assert order.index("embassy-urges-release") < order.index("saudi-expels-ambassador")
        assert [r.t for r in trace.records] == sorted(r.t for r in trace.records)
        for event, possible in spans.items():
            day = _days(trace.records, event)
            assert any(a <= day <= b for a, b in possible)
            seen[event].add(day)
    # Every alternative of a disputed date comes up, and many days of a month.
    assert seen["saudi-expels-ambassador"] == {dt.date(2018, 8, 5), dt.date(2018, 8, 6)}
    assert len(seen["trainees-leave"]) > 10


def test_monte_carlo_draws_the_dates_per_run() -> None:
    """Half the runs have the expulsion on 6 August, after the 5 August check: the state on 5
    August differs between runs, so the outcomes are not one run's."""
    outcomes = run_many(load_scenario(EXAMPLE), 200, seed=1, workers=1)
    assert outcomes.runs == 200
    sim = Simulator(EXAMPLE)
    first = {sim.run(k, draw_dates=True).records[2].when.date() for k in range(20)}
    assert len(first) > 1


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_a_scenario_of_days_runs_the_same_drawing_dates_or_not(seed: int) -> None:
    """Nothing is drawn for a scenario whose dates are all days: the rules' draws, hence every
    trace, are the same as before uncertain dates existed."""
    sim = _WHATIF_SIM
    assert sim.run(seed, draw_dates=True) == sim.run(seed)
    assert sim.outline(seed, draw_dates=True) == sim.outline(seed)


_WHATIF_SIM = Simulator(ROOT / "scenarios" / "whatif" / "retaliation-kills-iranians.yaml")


# --- check --------------------------------------------------------------------------------------


def test_check_reports_the_claims_that_depend_on_the_draw() -> None:
    report = check_scenario(load_scenario_with_origin(EXAMPLE))
    assert all(r.passed for r in report.results)  # both hold at the replay point
    assert report.draw_runs == DATE_DRAWS
    assert [r.name for r in report.draw_dependent] == ["expect[0]"]  # ruptured on 5 August
    assert 0 < report.draw_dependent[0].held < DATE_DRAWS
    text = check_text(report)
    assert "1 claim(s) depend on the draw" in text
    assert "DRAW  expect[0] ruptured-on-5-august" in text
    assert report.failures() == 0
    assert report.failures(strict=True) == 1


def test_check_of_a_scenario_of_days_draws_nothing() -> None:
    report = check_scenario(load_scenario_with_origin(ROOT / "scenarios" / "jan2024.yaml"))
    assert (report.draw_runs, report.draw_dependent) == (0, ())
    assert "uncertain dates" not in check_text(report)


# --- --from / --until ---------------------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_run_from_shows_the_trace_from_that_day() -> None:
    code, out = invoke("run", str(EXAMPLE), "--from", "2022-11-01", "--width", "100")
    assert code == 0
    assert "(seed 0, 2022-11-01 .. 2023-06-30)" in out
    assert "leaders-meet-at-apec" in out
    assert "relations-restored" in out
    assert "freeland-urges-release" not in out
    assert "ruptured (unchanged)" in out  # the state there is the run's, not the initial one


def test_run_from_until_in_json_counts_t_from_the_first_day() -> None:
    code, out = invoke(
        "run", str(EXAMPLE), "--from", "2018-08-05", "--until", "2018-08-06", "--format", "json"
    )
    assert code == 0
    assert '"start": "2018-08-05"' in out
    assert '"stop": "2018-08-06"' in out
    assert '"t": 0.0' in out
    assert "freeland-urges-release" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2017-01-01"), "--from 2017-01-01 is outside the scenario's span"),
        (("--from", "2019-01-01", "--until", "2018-12-01"), "--until 2018-12-01 is before --from"),
        (("--from", "2019-01-01", "--runs", "5"), "it does not go with --runs"),
        (("--from", "2019-13-01"), "'2019-13-01' is not a date"),
    ],
)
def test_a_wrong_window_is_refused(args: tuple[str, ...], message: str) -> None:
    code, out = invoke("run", str(EXAMPLE), *args)
    assert code == 2
    assert message in out
    assert "Traceback" not in out


def test_report_from_until_shows_the_window(tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    code, _ = invoke(
        "report", str(EXAMPLE), "--from", "2022-11-01", "--until", "2023-05-31", "-o", str(page)
    )
    assert code == 0
    html = page.read_text(encoding="utf-8")
    assert "relations-restored" in html
    assert "freeland-urges-release</" not in html
    code, out = invoke("report", str(EXAMPLE), "--from", "2024-01-01", "-o", str(page))
    assert code == 2
    assert "outside the scenario's span" in out


def test_the_report_lists_the_claims_that_depend_on_the_draw(tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    code, _ = invoke("report", str(EXAMPLE), "-o", str(page))
    assert code == 0
    html = page.read_text(encoding="utf-8")
    assert f"On {DATE_DRAWS:,} runs with the uncertain dates drawn, these claims depend" in html
    assert '<li data-item="expect[0]"><strong>expect[0]</strong> ruptured-on-5-august' in html
    assert "Date uncertain: 2018-08-05 or 2018-08-06; a replay plays it on 2018-08-05" in html


def test_run_draw_dates_shows_run_k_of_many_runs() -> None:
    """--draw-dates with --seed derive_seed(S, k) prints the trace run k of --runs drew."""
    from simulator.engine.seeds import derive_seed

    seed = derive_seed(0, 6)  # run 6 of seed 0: the expulsion drawn on 6 August
    code, out = invoke("run", str(EXAMPLE), "--seed", str(seed), "--draw-dates", "--format", "json")
    assert code == 0, out
    drawn = Simulator(EXAMPLE).run(seed, draw_dates=True)
    assert f'"seed": {seed}' in out
    assert _days(drawn.records, "saudi-expels-ambassador") == dt.date(2018, 8, 6)
    printed = {r["event_id"]: r["date"] for r in json.loads(out)["records"]}
    assert printed["saudi-expels-ambassador"] == "2018-08-06"
    assert printed == {r.event: r.when.date().isoformat() for r in drawn.records}
    code, replay = invoke("run", str(EXAMPLE), "--seed", str(seed), "--format", "json")
    replayed = {r["event_id"]: r["date"] for r in json.loads(replay)["records"]}
    assert replayed["saudi-expels-ambassador"] == "2018-08-05"  # the replay point


@pytest.mark.parametrize(
    ("date", "valid"),
    [
        ("2024-01-02", True),
        ("2024-01", True),
        ("{month: 2024-01}", True),
        ("{between: [2024-01-02, 2024-01-04], replay: 2024-01-03}", True),
        (
            "{disputed: [{date: 2024-01-02, source: {ref: wire}},"
            " {date: 2024-01, source: [{ref: wire}]}]}",
            True,
        ),
        ("{between: [2024-01-02]}", False),
        ("{end: 2024-01-04}", False),
        ("{disputed: [{date: 2024-01-02}, {date: 2024-01-03}]}", False),  # no sources
    ],
)
def test_dipsim_schema_accepts_the_forms_of_a_date(date: str, valid: bool) -> None:
    """`dipsim schema`'s JSON Schema takes every form the loader takes (an editor checks as you
    type), and refuses a range of one day or an alternative without its source."""
    jsonschema = pytest.importorskip("jsonschema", reason="the test extra is not installed")
    from simulator.scenario.yamlread import read_yaml

    code, out = invoke("schema")
    assert code == 0
    validator = jsonschema.Draft202012Validator(json.loads(out))
    data = read_yaml(with_date(date), "s.yaml").data
    assert validator.is_valid(data) is valid


def test_a_batch_draws_the_dates_per_run(tmp_path: Path) -> None:
    """Each run of a batch draws its uncertain dates from its own seed: the day the relation
    is first ruptured (4 or 5 days after the start: 5 or 6 August) varies between
    replications of one design point, and is the day that run's seed draws."""
    from simulator.batch.runner import run_batch
    from simulator.batch.sinks import read_rows

    (tmp_path / "case.yaml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "dipsim_batch: 1\ntitle: draws\nscenario: case.yaml\nparameters:\n"
        "  - {path: variables.tension.decay_per_day, name: decay, values: [0.01]}\n"
        "design: {kind: grid}\nreplications: 40\nseed: 3\nmetrics: [first_entered]\n",
        encoding="utf-8",
    )
    result = run_batch(spec, "sequential", out=tmp_path / "rows.csv")
    assert result.errors == 0
    rows = list(read_rows(result.path))
    days = [float(str(r["SAU-CAN.first.ruptured"])) for r in rows]
    assert set(days) == {4.0, 5.0}
    sim = Simulator(EXAMPLE)
    for row, day in list(zip(rows, days, strict=True))[:5]:
        trace = sim.run(int(str(row["seed"])), draw_dates=True)
        expelled = _days(trace.records, "saudi-expels-ambassador")
        assert day == (expelled - dt.date(2018, 8, 1)).days


def test_an_act_on_two_relations_is_drawn_one_day_for_both() -> None:
    """An appeal that reaches A-B and A-C (a step on each) happens on one drawn day."""
    text = with_date("{between: [2024-01-02, 2024-01-20]}").replace(
        "  - pair: [AAA, BBB]", "  - pair: [AAA, BBB]\n  - pair: [AAA, CCC]"
    )
    text = text.replace(
        "    target: BBB\n", "    target: [BBB, CCC]\n    relations: [AAA-BBB, AAA-CCC]\n"
    )
    sim = Simulator(scenario_from_text(text, "s.yaml"))
    days = set()
    for seed in range(30):
        records = sim.run(seed, draw_dates=True).records
        assert len(records) == 2
        assert records[0].when == records[1].when
        days.add(records[0].when.date())
    assert len(days) > 5


def test_an_outline_counts_the_events_a_drawn_run_played() -> None:
    """Stopped on 5 August, a run that drew the expulsion on 6 August played one event fewer:
    its outline's counts are those of its own steps, not of the replay's order."""
    sim = Simulator(EXAMPLE)
    stop = dt.date(2018, 8, 5)
    for seed in range(20):
        trace = sim.run(seed, until=stop, draw_dates=True)
        counts: dict[str, int] = {}
        for r in trace.records:
            counts[r.type] = counts.get(r.type, 0) + 1
        assert sim.outline(seed, until=stop, draw_dates=True).by_type == counts
