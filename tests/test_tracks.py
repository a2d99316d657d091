"""Parallel tracks (``tracks:``) and decay by state (``decay_in``, ``rest_in``): the format, the
engine, and what each output shows of them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given

from simulator.check.expectations import judge
from simulator.core.errors import ScenarioError, SimulationError
from simulator.engine.montecarlo import run_many, summarize, summarize_outline
from simulator.engine.simulation import Simulator, dynamics, simulate
from simulator.engine.trace import Trace
from simulator.report.formats import trace_to_csv, trace_to_json
from simulator.report.table import trace_table
from simulator.scenario.loading import load_scenario, scenario_from_text
from simulator.scenario.model import Scenario, TrackSpec
from tests.conftest import ROOT
from tests.strategies import scenarios

EXAMPLE = ROOT / "scenarios" / "examples" / "economic-track.yaml"

TEXT = """\
dipsim: 1
title: Tracks
start: 2024-01-01
end: 2024-01-31
sources:
  wire: {publisher: Example Wire}
actors:
  AAA: {name: Country A}
  BBB: {name: Country B}
event_types:
  recall: {codes: {goldstein: -4.0}}
  freeze: {codes: {goldstein: -8.0}}
  mobilise: {codes: {goldstein: -6.0}}
machine:
  states: [calm, recalled]
  initial: calm
  transitions:
    - {trigger: recall, source: calm, dest: recalled}
tracks:
  economic:
    states: [normal, sanctions]
    initial: normal
    transitions:
      - {trigger: freeze, source: normal, dest: sanctions, guard: tension >= threshold}
  military:
    states: [peacetime, alert]
    initial: peacetime
    transitions:
      - {trigger: mobilise, source: peacetime, dest: alert}
      - {trigger: recall, source: peacetime, dest: alert}
parameters:
  threshold: 0.3
variables:
  tension: {initial: 0.1, per_goldstein: -0.05, decay_per_day: 0.5, decay_in: {recalled: 0.0}}
relations:
  - pair: [AAA, BBB]
events:
  - {id: e1, date: 2024-01-02, type: freeze, actor: AAA, target: BBB, summary: A freeze.,
     source: {ref: wire}}
  - {id: e2, date: 2024-01-03, type: recall, actor: AAA, target: BBB, summary: A recall.,
     source: {ref: wire}}
  - {id: e3, date: 2024-01-04, type: freeze, actor: AAA, target: BBB, summary: A freeze.,
     source: {ref: wire}}
"""


def _load(text: str = TEXT) -> Scenario:
    return scenario_from_text(text, "t.yaml")


def _steps(trace: Trace, track: str) -> list[tuple[str, str, str, str]]:
    return [
        (r.event, step.before, step.after, step.outcome)
        for r in trace.records
        if (step := r.track_step(track)) is not None
    ]


# --- the engine ---------------------------------------------------------------------------------


def test_each_track_fires_through_its_own_transitions() -> None:
    trace = simulate(_load())
    # e1: tension 0.1 + 0.4 = 0.5 >= 0.3, the freeze moves the economic track only.
    assert _steps(trace, "economic") == [
        ("e1", "normal", "sanctions", "transition"),
        ("e2", "sanctions", "sanctions", "no_transition"),
        ("e3", "sanctions", "sanctions", "no_transition"),
    ]
    # The recall moves the machine and the military track alike, each by its own transition.
    assert _steps(trace, "military") == [
        ("e1", "peacetime", "peacetime", "no_transition"),
        ("e2", "peacetime", "alert", "transition"),
        ("e3", "alert", "alert", "no_transition"),
    ]
    assert [(r.before, r.after, r.outcome) for r in trace.records] == [
        ("calm", "calm", "no_transition"),
        ("calm", "recalled", "transition"),
        ("recalled", "recalled", "no_transition"),
    ]
    assert trace.final[0].tracks == {"economic": "sanctions", "military": "alert"}
    assert trace.tracks == ("economic", "military")


def test_a_track_guard_reads_the_variables_and_parameters() -> None:
    # With a threshold above the tension after e1 (0.5), the freeze fails its guard.
    trace = simulate(_load(TEXT.replace("threshold: 0.3", "threshold: 0.9")))
    assert _steps(trace, "economic")[0] == ("e1", "normal", "normal", "guard_failed")


def test_a_design_point_rebinds_a_track_guard() -> None:
    """A batch's point that changes a parameter a track guard reads runs as a fresh Simulator."""
    base = _load()
    sim = Simulator(base)
    point = base.model_copy(update={"parameters": {"threshold": 0.9}})
    derived = sim.derive(point)
    assert trace_to_json(derived.run()) == trace_to_json(Simulator(point).run())
    assert derived.tracks[0][1] is not sim.tracks[0][1]  # the guard was compiled again
    same = sim.derive(base.model_copy(update={"parameters": {"threshold": 0.3}}))
    assert same.tracks[0][1] is sim.tracks[0][1]


def test_a_track_guard_that_fails_names_its_key_path() -> None:
    text = TEXT.replace("guard: tension >= threshold", "guard: 1 / (tension - tension) > 1")
    with pytest.raises(SimulationError) as info:
        simulate(_load(text))
    assert info.value.key_path == ("tracks", "economic", "transitions", 0, "guard")
    assert "event 'e1'" in str(info.value)


def test_decay_by_state() -> None:
    """Tension decays by half a day, but not at all while the envoys are recalled."""
    trace = simulate(_load())
    by_id = {r.event: r.variables["tension"] for r in trace.records}
    # e2 (recall, +0.2) a day after e1 (0.5, decayed half-way to 0.1 = 0.3): 0.5.
    assert by_id["e2"] == pytest.approx(0.5)
    # e3 a day later: no decay while recalled, +0.4, clamped to 1.
    assert by_id["e3"] == pytest.approx(0.9)
    # To the end (27 days, still recalled): unchanged.
    assert trace.final[0].variables["tension"] == pytest.approx(0.9)
    curve = dynamics(_load())
    assert curve.decay_of("tension", "recalled") is None
    assert curve.decay_of("tension", "calm") == curve.decay["tension"]


@given(scenarios())
def test_without_tracks_nothing_changes(scenario: Scenario) -> None:
    """A track beside the machine leaves the machine's trace as it was, byte for byte once the
    track's fields are taken out; a copy of the machine as a track steps as the machine does;
    and a trace without tracks has no trace of them."""
    scenario = scenario.model_copy(
        update={
            "relations": tuple(r.model_copy(update={"initial": None}) for r in scenario.relations)
        }
    )
    plain = json.loads(trace_to_json(simulate(scenario)))
    assert "tracks" not in plain
    assert all("tracks" not in r for r in plain["records"])
    assert all("tracks" not in f for f in plain["final"])
    copy = TrackSpec.model_validate(scenario.machine.model_dump())
    tracked = scenario.model_copy(update={"tracks": {"copy": copy}})
    trace = simulate(tracked)
    assert _steps(trace, "copy") == [(r.event, r.before, r.after, r.outcome) for r in trace.records]
    stripped = json.loads(trace_to_json(trace))
    del stripped["tracks"]
    for item in (*stripped["records"], *stripped["final"]):
        del item["tracks"]
    assert stripped == plain


@given(scenarios())
def test_decay_in_of_the_usual_values_changes_nothing(scenario: Scenario) -> None:
    """``decay_in``/``rest_in`` that repeat a variable's own values in every state give the
    trace the variable's single values give."""
    states = scenario.machine.state_names
    variables = {
        name: spec.model_copy(
            update={
                "decay_in": dict.fromkeys(states, spec.decay_per_day),
                "rest_in": dict.fromkeys(states, spec.rest_value),
            }
        )
        for name, spec in scenario.variables.items()
    }
    by_state = scenario.model_copy(update={"variables": variables})
    assert trace_to_json(simulate(by_state)) == trace_to_json(simulate(scenario))


def test_the_outline_summarises_the_tracks_as_the_trace_does() -> None:
    sim = Simulator(_load())
    assert summarize_outline(sim.outline(seed=3)) == summarize(sim.run(seed=3))
    keys = [r.relation for r in summarize(sim.run()).relations]
    assert keys == ["AAA-BBB", "AAA-BBB:economic", "AAA-BBB:military"]


def test_trace_round_trip_with_tracks() -> None:
    trace = simulate(_load())
    assert Trace.from_dict(json.loads(trace_to_json(trace))) == trace


# --- the format ---------------------------------------------------------------------------------


def test_the_example_loads_and_says_what_it_claims() -> None:
    scenario = load_scenario(EXAMPLE)
    assert list(scenario.tracks) == ["economic"]
    trace = simulate(scenario)
    assert all(judge(e, trace, scenario).held for e in scenario.expect)
    # The claims about the track bite: on the machine's trace they would fail.
    wrong = scenario.expect[1].model_copy(update={"state": "sanctions"})
    assert not judge(wrong, trace, scenario).held
    # The evidence names the track it was read on, as the claim's sentence does.
    verdict = judge(wrong, trace, scenario)
    assert verdict.evidence.startswith("SAU-CAN (economic) on 2018-08-05: restricted"), verdict
    assert judge(scenario.expect[0], trace, scenario).evidence.startswith("SAU-CAN on ")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "decay_in: {recalled: 0.0}",
            "decay_in: {recalled: 1.5}",
            "t.yaml:34:90: variables.tension.decay_in.recalled: input should be less than or "
            "equal to 1 (got 1.5)",
        ),
        (
            "decay_per_day: 0.5, decay_in",
            "decay_per_day: 0.5, rest_in: {calm: 2}, decay_in",
            "t.yaml:34:12: variables.tension: rest_in.calm 2.0 is outside [0.0, 1.0]",
        ),
        (
            "  economic:\n    states: [normal, sanctions]",
            "  economic:\n    states: [normal, sanctions]\n    colour: red",
            "t.yaml:22:5: tracks.economic.colour: unknown key 'colour'",
        ),
    ],
)
def test_shape_problems_are_located(old: str, new: str, message: str) -> None:
    assert old in TEXT
    with pytest.raises(ScenarioError) as info:
        _load(TEXT.replace(old, new))
    assert str(info.value.problems[0]).startswith(message)


def test_a_track_with_an_event_expectation_is_refused() -> None:
    text = TEXT + "expect:\n  - {event: e1, outcome: accepted, track: economic}\n"
    with pytest.raises(ScenarioError) as info:
        _load(text)
    assert "'track' goes with state, stays, reaches, never or final, not with 'event'" in str(
        info.value.problems[0]
    )


def test_an_expectation_names_a_state_of_its_track() -> None:
    text = TEXT + "expect:\n  - {track: economic, final: alert}\n"
    with pytest.raises(ScenarioError) as info:
        _load(text)
    assert str(info.value.problems[0]) == (
        "t.yaml:45:30: expect[0].final: unknown state of track economic 'alert'; known: "
        "normal, sanctions"
    )


# --- outputs ------------------------------------------------------------------------------------


def test_table_json_and_csv_show_every_track() -> None:
    trace = simulate(_load())
    table = trace_table(trace)
    header = table.splitlines()[2]
    assert "economic" in header
    assert "military" in header
    assert "normal → sanctions" in table
    assert "peacetime → alert" in table
    assert "final: AAA-BBB recalled, economic sanctions, military alert" in table
    rows = trace_to_csv(trace).splitlines()
    assert rows[0].startswith(
        "t,date,date_basis,event_id,type,actor,target,relation,before,after,outcome,"
        "economic.before,economic.after,economic.outcome,"
        "military.before,military.after,military.outcome,tension,"
    )
    assert ",normal,sanctions,transition,peacetime,peacetime,no_transition," in rows[1]


def test_monte_carlo_outcomes_per_track() -> None:
    outcomes = run_many(_load(), runs=5, seed=1)
    names = [r.relation for r in outcomes.relations]
    assert names == ["AAA-BBB", "AAA-BBB:economic", "AAA-BBB:military"]
    economic = outcomes.relations[1]
    ended = {s.state: s.ended.count for s in economic.states}
    assert ended == {"normal": 0, "sanctions": 5}


def test_graph_draws_a_track() -> None:
    from simulator.graph import choose_track, diagram, to_mermaid

    scenario = _load()
    drawn = diagram(scenario, simulate(scenario), track="economic")
    text = to_mermaid(drawn)
    assert "normal --> sanctions: freeze" in text
    assert "1. 2024-01-02 e1" in text
    with pytest.raises(Exception, match="did you mean 'economic'"):
        choose_track(scenario, "economc")


def test_diff_sees_a_track_that_differs() -> None:
    from simulator.report.diff import diff_traces

    base = simulate(_load())
    other = simulate(_load(TEXT.replace("threshold: 0.3", "threshold: 0.9")))
    d = diff_traces(base, other)
    assert not d.identical
    gaps = [(g.relation, g.base, g.whatif) for g in d.states]
    assert ("AAA-BBB:economic", "sanctions", "normal") in gaps
    assert next(c.changed for c in d.changed) == ("tracks",)


def test_check_analyses_each_track(tmp_path: Path) -> None:
    from simulator.check.checker import check_scenario
    from simulator.scenario.loading import load_scenario_with_origin

    text = TEXT.replace("states: [peacetime, alert]", "states: [peacetime, alert, war]")
    path = tmp_path / "tracks.yaml"
    path.write_text(text, encoding="utf-8")
    report = check_scenario(load_scenario_with_origin(path))
    found = [(f.code, f.key_path) for f in report.findings]
    assert ("unreachable-state", ("tracks", "military", "states", 2)) in found
    # The freeze is taken by a track: not an unhandled trigger of the machine.
    assert not any(code == "unhandled-trigger" for code, _ in found)


def test_timeline_has_a_band_per_track() -> None:
    pytest.importorskip("matplotlib")
    from simulator.plots import timeline_figure

    scenario = _load()
    figure = timeline_figure(
        simulate(scenario), dynamics=dynamics(scenario), track_states=scenario.track_orders
    )
    labels = [ax.get_ylabel() for ax in figure.axes]
    assert "economic" in labels
    assert "military" in labels
    # The band of the economic track lists its states in the scenario's order.
    band = figure.axes[labels.index("economic")]
    assert [t.get_text() for t in band.get_yticklabels()] == ["normal", "sanctions"]
    assert not math.isnan(band.get_xlim()[1])


def test_the_goldstein_axis_words_do_not_meet_in_a_figure_with_a_track() -> None:
    """With a track's band the events' panel is short; its two axis words still stay apart."""
    pytest.importorskip("matplotlib")
    from simulator.plots import timeline_figure

    scenario = load_scenario(ROOT / "scenarios" / "india-pakistan-2019.yaml")
    figure = timeline_figure(
        simulate(scenario), dynamics=dynamics(scenario), track_states=scenario.track_orders
    )
    figure.canvas.draw()
    words = {
        t.get_text(): t.get_window_extent()
        for ax in figure.axes
        for t in ax.texts
        if t.get_text() in ("cooperation", "conflict")
    }
    assert set(words) == {"cooperation", "conflict"}
    assert words["conflict"].y1 < words["cooperation"].y0


def test_the_report_shows_every_track() -> None:
    pytest.importorskip("matplotlib")
    from simulator.report.html.build import build_report

    page = build_report(EXAMPLE).html
    assert "Track economic and the run's path" in page
    # The glance's row of the track, and the events' steps on it.
    assert 'data-track="economic"><th scope="row">SAU-CAN<br><small>track economic' in page
    assert "on the machine; 2 moved a track's state." in page
    assert page.count('<small class="track" data-track="economic">') == 9


def test_a_whatif_changes_a_track_keeping_its_other_keys(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(TEXT, encoding="utf-8")
    whatif = tmp_path / "whatif.yaml"
    whatif.write_text(
        "dipsim: 1\nextends: base.yaml\ntitle: What if\n"
        "tracks:\n  economic:\n    transitions:\n"
        "      - {trigger: recall, source: normal, dest: sanctions}\n",
        encoding="utf-8",
    )
    scenario = load_scenario(whatif)
    assert scenario.tracks["economic"].state_names == ("normal", "sanctions")
    assert list(scenario.tracks) == ["economic", "military"]
    assert _steps(simulate(scenario), "economic")[1] == ("e2", "normal", "sanctions", "transition")
