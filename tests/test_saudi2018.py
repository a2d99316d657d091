"""The Saudi Arabia–Canada case of 2018–2023, whole (issue 14's "done when"): the scenario
tells the story its sources tell, on both tracks, and the outputs show it as it is."""

from __future__ import annotations

import datetime as dt

import matplotlib
import pytest
from click.testing import CliRunner

from simulator.check.checker import check_scenario
from simulator.cli import cli
from simulator.engine.simulation import dynamics, simulate
from simulator.engine.trace import Record, Trace, window
from simulator.plots import timeline_figure
from simulator.plots.key import INFERRED_NOTE, UNCERTAIN_NOTE_TEXT
from simulator.report.check import check_text
from simulator.report.html.checks import checks_section
from simulator.scenario.loading import load_scenario, load_scenario_with_origin
from simulator.scenario.model import Scenario
from tests.conftest import SCENARIOS

matplotlib.use("Agg")

SAUDI = SCENARIOS / "saudi-canada-2018.yaml"
NO_GULF = SCENARIOS / "whatif" / "saudi-no-gulf-backing.yaml"
NO_TWEET = SCENARIOS / "whatif" / "saudi-no-tweet.yaml"
REL = "SAU-CAN"


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(SAUDI)


@pytest.fixture(scope="module")
def trace(scenario: Scenario) -> Trace:
    return simulate(scenario)


def _record(trace: Trace, event: str) -> Record:
    """The record of an act (each event here is on the one relation, so it has one)."""
    (record,) = (r for r in trace.records if r.event == event)
    return record


@pytest.mark.parametrize(
    ("day", "diplomatic", "economic"),
    [
        (dt.date(2018, 8, 1), "normal", "normal"),
        (dt.date(2018, 8, 2), "strained", "normal"),  # Freeland's tweet
        (dt.date(2018, 8, 5), "envoys_recalled", "restricted"),  # expulsion, new trade frozen
        (dt.date(2018, 8, 6), "envoys_recalled", "sanctions"),  # scholarships suspended
        (dt.date(2022, 11, 18), "envoys_recalled", "sanctions"),  # the leaders meet at APEC
        (dt.date(2023, 5, 23), "envoys_recalled", "sanctions"),
        (dt.date(2023, 5, 24), "restored", "sanctions"),  # ambassadors named; no measure lifted
        (dt.date(2023, 6, 30), "restored", "sanctions"),
    ],
)
def test_each_track_is_in_the_sources_state_on_each_date(
    trace: Trace, day: dt.date, diplomatic: str, economic: str
) -> None:
    assert trace.states_on(day)[REL] == diplomatic
    assert trace.states_on(day, "economic")[REL] == economic


def test_the_five_measures_are_counted_and_each_moves_the_economic_track(trace: Trace) -> None:
    """Trade, scholarships, wheat, flights and medical programmes: five measures in force."""
    measures = [r for r in trace.records if r.type in {"freeze_trade", "suspend_programme"}]
    assert [r.variables["measures"] for r in measures if r.event != "trainees-leave"] == [
        1.0,
        2.0,
        3.0,
        4.0,
        5.0,
    ]
    assert trace.final[0].tracks == {"economic": "sanctions"}


def test_third_parties_are_marked_by_their_effect_on_sau_can(trace: Trace) -> None:
    """The Gulf allies' solidarity (coded +3.4) raises tension between Riyadh and Ottawa; the
    appeals to both sides lower it. None is an act of one side on the other."""
    gulf = _record(trace, "gulf-allies-back-riyadh")
    assert (gulf.stance, gulf.goldstein, gulf.bearing) == ("supports", 3.4, -3.4)
    for event in ("britain-urges-restraint", "usa-urges-settlement", "pompeo-calls-freeland"):
        r = _record(trace, event)
        assert r.stance == "mediates", event
        assert r.bearing is not None, event
        assert r.bearing > 0, event


def test_tension_stays_meaningful_over_the_years(trace: Trace) -> None:
    """Never pinned at the ceiling (each act's share shows), high while the envoys are away,
    relaxing once they are back."""
    values = [r.variables["tension"] for r in trace.records]
    assert max(values) < 1.0
    away = [r for r in trace.records if r.after == "envoys_recalled" and r.when.year > 2018]
    assert away
    assert all(0.55 < r.variables["tension"] < 0.65 for r in away)
    assert trace.final[0].variables["tension"] < 0.15


def test_without_gulf_backing_the_states_are_the_same_and_tension_lower(trace: Trace) -> None:
    alt = simulate(load_scenario(NO_GULF))
    day = dt.date(2018, 8, 6)
    assert alt.states_on(day) == trace.states_on(day)
    base = _record(trace, "scholarships-suspended").variables["tension"]
    what_if = _record(alt, "scholarships-suspended").variables["tension"]
    assert base - what_if == pytest.approx(3.4 * 0.015)


def test_without_the_tweet_nothing_breaks(trace: Trace) -> None:
    alt = simulate(load_scenario(NO_TWEET))
    assert [r.event for r in alt.records] == ["leaders-meet-at-apec"]
    assert alt.final[0].state == "normal"
    assert alt.final[0].tracks == {"economic": "normal"}


def test_a_window_keeps_the_tracks_and_the_decay_by_state(scenario: Scenario, trace: Trace) -> None:
    """--from 2022-01-01: the economic track is still shown, and tension at the window's start
    is the engine's (decayed at the envoys_recalled rate, 0.1% a day towards 0.6), not relaxed
    to calm at the default rate."""
    moves = dynamics(scenario)
    shown, at = window(trace, dt.date(2022, 1, 1), moves)
    assert shown.tracks == ("economic",)
    assert at.in_state == moves.in_state
    start = at.initial[REL]["tension"]
    apec = _record(trace, "leaders-meet-at-apec")
    decay = at.decay_of("tension", "envoys_recalled")
    assert decay is not None
    # The engine's value just before the meeting, less the meeting's own move (+1 x -0.015).
    assert decay.after(start, apec.t - (dt.date(2022, 1, 1) - trace.start).days) == pytest.approx(
        apec.variables["tension"] + 0.015
    )
    result = CliRunner().invoke(cli, ["run", str(SAUDI), "--from", "2022-01-01", "--width", "100"])
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if line.startswith("date"))
    assert "economic" in header.split()


def test_the_key_marks_a_month_only_date_as_uncertain(scenario: Scenario, trace: Trace) -> None:
    """trainees-leave is dated only by its month (and so inferred): the key gives it the
    uncertain mark, not the inferred one that would say its first day was worked out."""
    fig = timeline_figure(trace, states=scenario.machine.state_names)
    shown = [str(t.get_text()) for t in fig.findobj(matplotlib.text.Text)]
    line = next(t for t in shown if "trainees-leave" in t)
    assert "\u20071 Sep 2018~ trainees-leave" in line
    assert next(t for t in shown if "saudia-suspends-flights" in t).startswith("\u20077 Aug 2018* ")
    assert UNCERTAIN_NOTE_TEXT in shown
    assert INFERRED_NOTE in shown


def test_the_header_says_how_it_relates_to_the_three_examples() -> None:
    header = "".join(
        line for line in SAUDI.read_text(encoding="utf-8").splitlines(True) if line[:1] == "#"
    )
    for name in ("third-parties.yaml", "economic-track.yaml", "uncertain-dates.yaml"):
        assert f"examples/{name}" in header


def test_check_does_not_call_a_scenario_with_drawn_dates_not_random() -> None:
    """The verdicts' heading says the replay days are used, since the same report then draws
    the dates; a scenario whose dates are all days keeps "nothing ... is random"."""
    report = check_scenario(load_scenario_with_origin(SAUDI))
    assert report.draw_runs > 0
    # The one claim docs/modelling-your-own-crisis.md says depends on the expulsion's day.
    assert [r.name for r in report.draw_dependent] == ["expect[1]"]
    heading = "one run, seed 0, uncertain dates on their replay days: no rule draws at random"
    assert f"expectations and invariants ({heading}):" in check_text(report)
    assert "the uncertain dates on their replay days (no rule draws" in checks_section(report)
    assert "nothing in the scenario is random" not in checks_section(report)
    plain = check_scenario(load_scenario_with_origin(SCENARIOS / "jan2024.yaml"))
    assert plain.draw_runs == 0
    assert "nothing in the scenario is random" in check_text(plain)


def test_the_goldstein_axis_words_do_not_touch_under_a_track_band(
    scenario: Scenario, trace: Trace
) -> None:
    """With the economic band above it the Goldstein axis is short: its two words still stand
    apart, "cooperation" above zero and "conflict" below."""
    fig = timeline_figure(trace, states=scenario.machine.state_names)
    fig.draw_without_rendering()
    words = {
        str(t.get_text()): t.get_window_extent()
        for t in fig.findobj(matplotlib.text.Text)
        if t.get_text() in {"cooperation", "conflict"}
    }
    up, down = words["cooperation"], words["conflict"]
    assert down.y1 < up.y0
    ax = next(a for a in fig.axes if any(t.get_text() == "Goldstein value" for t in a.texts))
    zero = ax.transData.transform((0, 0))[1]
    assert down.y1 <= zero <= up.y0
