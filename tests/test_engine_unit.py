"""Unit tests of :mod:`simulator.engine.simulation`: order, variables, guards, stopping."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from simulator.core.errors import ScenarioError
from simulator.engine import simulation as engine
from simulator.engine.machine import RelationMachine
from simulator.engine.simulation import Simulator, days_since, event_effects, simulate
from simulator.engine.trace import Trace
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario
from simulator.scenario.yamlread import dump_yaml

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "poke", "source": "calm", "dest": "tense"},
    {"trigger": "soothe", "source": "tense", "dest": "calm"},
    {"trigger": "snap", "source": ["calm", "tense"], "dest": "broken", "guard": "tension >= 0.6"},
]
EVENT_TYPES: dict[str, Any] = {
    "poke": {},
    "soothe": {},
    "snap": {},
    "note": {},
    "strike": {"codes": {"cameo": "195", "goldstein": -10.0}},
}


def event(ident: str, date: str, type_: str = "note", **extra: Any) -> dict[str, Any]:
    """An event of AAA on BBB, citing a public source."""
    return {
        "id": ident,
        "date": date,
        "type": type_,
        "actor": "AAA",
        "target": "BBB",
        "summary": f"Event {ident}.",
        "source": {"ref": "web"},
        **extra,
    }


def build(
    tmp_path: Path,
    events: list[dict[str, Any]],
    variables: dict[str, Any] | None = None,
    relations: list[dict[str, Any]] | None = None,
    transitions: list[dict[str, Any]] | None = None,
) -> Scenario:
    """Write a small scenario (2024-01-01 .. 2024-01-10) as YAML and load it."""
    data = {
        "dipsim": 1,
        "title": "Engine test",
        "start": "2024-01-01",
        "end": "2024-01-10",
        "sources": {"web": {"publisher": "Somebody"}},
        "actors": {"AAA": {"name": "A"}, "BBB": {"name": "B"}, "CCC": {"name": "C"}},
        "event_types": EVENT_TYPES,
        "machine": {
            "states": ["calm", "tense", "broken"],
            "initial": "calm",
            "transitions": TRANSITIONS if transitions is None else transitions,
        },
        "variables": (
            {"tension": {"min": 0, "max": 1, "initial": 0.5}} if variables is None else variables
        ),
        "relations": [{"pair": ["AAA", "BBB"]}] if relations is None else relations,
        "events": events,
    }
    path = tmp_path / "scenario.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    return load_scenario(path)


def tension(trace: Trace) -> list[float]:
    """The tension recorded after each event."""
    return [r.variables["tension"] for r in trace.records]


# --- time and order ---------------------------------------------------------------------------


def test_days_since_counts_from_midnight_of_start() -> None:
    """Simulated time is days, as a float, since midnight of the start date."""
    start = dt.date(2024, 1, 1)
    assert days_since(start, dt.datetime(2024, 1, 1)) == 0.0
    assert days_since(start, dt.datetime(2024, 1, 2, 6)) == 1.25
    assert days_since(start, dt.datetime(2024, 1, 31, 12)) == 30.5


def test_events_play_in_time_order_with_file_order_breaking_ties(tmp_path: Path) -> None:
    """Events play by date; events of the same date keep the order the file lists them in."""
    s = build(
        tmp_path,
        [
            event("late", "2024-01-04"),
            event("first-of-day", "2024-01-02"),
            event("second-of-day", "2024-01-02"),
            event("middle", "2024-01-03"),
            event("third-of-day", "2024-01-02"),
        ],
    )
    trace = simulate(s)
    assert [r.event for r in trace.records] == [
        "first-of-day",
        "second-of-day",
        "third-of-day",
        "middle",
        "late",
    ]
    assert [r.t for r in trace.records] == [1.0, 1.0, 1.0, 2.0, 3.0]


def test_timed_event_comes_after_untimed_events_of_its_date(tmp_path: Path) -> None:
    """An event with a time of day comes after the untimed events of its date (they are at
    00:00), whatever the file order, and its simulated time includes the hour."""
    s = build(
        tmp_path,
        [
            event("morning", "2024-01-02", time="09:00"),
            event("untimed", "2024-01-02"),
            event("evening", "2024-01-02", time="18:00"),
            event("dawn", "2024-01-02", time="06:00"),
        ],
    )
    trace = simulate(s)
    assert [r.event for r in trace.records] == ["untimed", "dawn", "morning", "evening"]
    assert [r.t for r in trace.records] == [1.0, 1.25, 1.375, 1.75]
    assert trace.records[2].when == dt.datetime(2024, 1, 2, 9, 0)


# --- variables --------------------------------------------------------------------------------


def test_decay_is_exponential_towards_rest(tmp_path: Path) -> None:
    """Between events a variable moves towards its resting value by the factor
    ``(1 - decay_per_day) ** days``, for whole and fractional gaps alike."""
    variables = {"tension": {"min": 0, "max": 1, "initial": 0.5, "rest": 0.1, "decay_per_day": 0.5}}
    s = build(
        tmp_path,
        [event("two-days", "2024-01-03"), event("half-day-more", "2024-01-03", time="12:00")],
        variables,
    )
    after_two_days = 0.1 + (0.5 - 0.1) * 0.5**2
    after_half_day = 0.1 + (after_two_days - 0.1) * 0.5**0.5
    assert after_two_days == pytest.approx(0.2)
    assert tension(simulate(s)) == [round(after_two_days, 6), round(after_half_day, 6)]


def test_decay_towards_initial_when_no_rest_is_given(tmp_path: Path) -> None:
    """Without ``rest``, a variable relaxes towards its initial value."""
    variables = {"tension": {"min": 0, "max": 1, "initial": 0.2, "decay_per_day": 0.5}}
    s = build(
        tmp_path,
        [event("up", "2024-01-01", effects={"tension": 0.4}), event("later", "2024-01-02")],
        variables,
    )
    assert tension(simulate(s)) == [0.6, round(0.2 + 0.4 * 0.5, 6)]


def test_no_decay_keeps_the_value(tmp_path: Path) -> None:
    """A variable with no decay keeps its value between events."""
    s = build(
        tmp_path,
        [event("up", "2024-01-01", effects={"tension": 0.25}), event("later", "2024-01-09")],
    )
    assert tension(simulate(s)) == [0.75, 0.75]


def test_effects_are_added(tmp_path: Path) -> None:
    """An event's effects are added to the relation's variables."""
    s = build(
        tmp_path,
        [
            event("up", "2024-01-02", effects={"tension": 0.25}),
            event("down", "2024-01-03", effects={"tension": -0.5}),
        ],
    )
    assert tension(simulate(s)) == [0.75, 0.25]


def test_per_goldstein_derives_the_change_from_the_codes(tmp_path: Path) -> None:
    """With ``per_goldstein``, an event changes the variable by ``per_goldstein × goldstein``:
    its type's Goldstein value, or the event's own when it gives one; no value, no change."""
    variables = {"tension": {"min": 0, "max": 1, "initial": 0.5, "per_goldstein": -0.03}}
    s = build(
        tmp_path,
        [
            event("strike", "2024-01-02", "strike"),
            event("mild-strike", "2024-01-03", "strike", codes={"goldstein": 5.0}),
            event("uncoded", "2024-01-04", "note"),
        ],
        variables,
    )
    assert [event_effects(s, e) for e in s.events] == [
        {"tension": pytest.approx(0.3)},
        {"tension": pytest.approx(-0.15)},
        {},
    ]
    assert tension(simulate(s)) == [0.8, 0.65, 0.65]


def test_explicit_effects_override_per_goldstein(tmp_path: Path) -> None:
    """An explicit ``effects`` entry wins over the Goldstein-derived change."""
    variables = {"tension": {"min": 0, "max": 1, "initial": 0.5, "per_goldstein": -0.03}}
    s = build(
        tmp_path, [event("strike", "2024-01-02", "strike", effects={"tension": 0.05})], variables
    )
    assert event_effects(s, s.events[0]) == {"tension": 0.05}
    assert tension(simulate(s)) == [0.55]


def test_values_are_clamped_to_the_bounds(tmp_path: Path) -> None:
    """A variable never leaves ``[min, max]``: effects that would push it out stop at the
    bound."""
    variables = {"tension": {"min": -1, "max": 2, "initial": 0.5}}
    s = build(
        tmp_path,
        [
            event("way-up", "2024-01-02", effects={"tension": 5}),
            event("way-down", "2024-01-03", effects={"tension": -50}),
            event("back-up", "2024-01-04", effects={"tension": 0.5}),
        ],
        variables,
    )
    assert tension(simulate(s)) == [2.0, -1.0, -0.5]


def test_guards_read_the_variables_after_the_effects(tmp_path: Path) -> None:
    """A guard sees the variables with the event's own effects applied."""
    s = build(
        tmp_path,
        [
            event("too-weak", "2024-01-02", "snap", effects={"tension": 0.05}),
            event("strong-enough", "2024-01-03", "snap", effects={"tension": 0.05}),
        ],
    )
    records = simulate(s).records
    assert [(r.variables["tension"], r.outcome, r.after) for r in records] == [
        (0.55, "guard_failed", "calm"),
        (0.6, "transition", "broken"),
    ]


def test_outcomes_and_states_are_recorded(tmp_path: Path) -> None:
    """Each record has the state before and after and the outcome of firing the event's
    type."""
    s = build(
        tmp_path,
        [
            event("p", "2024-01-02", "poke"),
            event("p-again", "2024-01-03", "poke"),
            event("s", "2024-01-04", "soothe"),
        ],
    )
    assert [(r.before, r.after, r.outcome) for r in simulate(s).records] == [
        ("calm", "tense", "transition"),
        ("tense", "tense", "no_transition"),
        ("tense", "calm", "transition"),
    ]


def test_record_carries_the_event_codes_and_citation(tmp_path: Path) -> None:
    """A record carries the event's ids, parties, codes (from its type), first citation and
    summary, with ``script`` as its cause."""
    s = build(tmp_path, [event("hit", "2024-01-02", "strike", target=["BBB"])])
    (r,) = simulate(s).records
    assert (r.event, r.type, r.actor, r.target, r.relation) == (
        "hit",
        "strike",
        "AAA",
        ("BBB",),
        "AAA-BBB",
    )
    assert (r.cameo, r.goldstein, r.source, r.quote) == ("195", -10.0, "web", None)
    assert (r.summary, r.cause) == ("Event hit.", "script")


# --- stopping ---------------------------------------------------------------------------------


def test_until_stops_at_the_end_of_that_day(tmp_path: Path) -> None:
    """``until`` keeps every event of that day, late ones too, and none after it."""
    s = build(
        tmp_path,
        [
            event("before", "2024-01-02"),
            event("last-minute", "2024-01-03", time="23:59"),
            event("next-midnight", "2024-01-04"),
            event("later", "2024-01-08"),
        ],
    )
    trace = simulate(s, until=dt.date(2024, 1, 3))
    assert [r.event for r in trace.records] == ["before", "last-minute"]
    assert trace.stop == dt.date(2024, 1, 3)


def test_final_variables_are_decayed_to_the_stop(tmp_path: Path) -> None:
    """The final variables are decayed to the end of the last day run."""
    variables = {"tension": {"min": 0, "max": 1, "initial": 0.1, "decay_per_day": 0.5}}
    s = build(tmp_path, [event("up", "2024-01-02", effects={"tension": 0.8})], variables)
    # The event is at t = 1; the end of 2024-01-03 is t = 3; the end of 2024-01-10 is t = 10.
    stopped = simulate(s, until=dt.date(2024, 1, 3))
    assert stopped.records[0].variables == {"tension": 0.9}
    assert stopped.final[0].variables == {"tension": round(0.1 + 0.8 * 0.5**2, 6)}
    full = simulate(s)
    assert full.stop == dt.date(2024, 1, 10)
    assert full.final[0].variables == {"tension": round(0.1 + 0.8 * 0.5**9, 6)}


def test_until_after_the_end_stops_at_the_end(tmp_path: Path) -> None:
    """An ``until`` after the scenario's end runs to the end and no further."""
    s = build(tmp_path, [event("e", "2024-01-10")])
    trace = simulate(s, until=dt.date(2024, 3, 1))
    assert trace.stop == dt.date(2024, 1, 10)
    assert [r.event for r in trace.records] == ["e"]


def test_until_the_start_runs_the_first_day(tmp_path: Path) -> None:
    """``until`` equal to the start runs just the first day."""
    s = build(tmp_path, [event("first", "2024-01-01"), event("second", "2024-01-02")])
    assert [r.event for r in simulate(s, until=dt.date(2024, 1, 1)).records] == ["first"]


def test_final_state_of_each_relation(tmp_path: Path) -> None:
    """The trace ends with each relation's state, in declaration order."""
    s = build(tmp_path, [event("p", "2024-01-02", "poke")])
    (end,) = simulate(s).final
    assert (end.relation, end.state) == ("AAA-BBB", "tense")


# --- several relations ------------------------------------------------------------------------


def test_relations_are_independent(tmp_path: Path) -> None:
    """Events on one relation change neither the state nor the variables of another; each
    relation starts from its own declared state and values."""
    variables = {"tension": {"min": 0, "max": 1, "initial": 0.1, "decay_per_day": 0.5}}
    relations: list[dict[str, Any]] = [
        {"pair": ["AAA", "BBB"]},
        {"pair": ["CCC", "AAA"], "initial": "tense", "variables": {"tension": 0.9}},
    ]
    s = build(
        tmp_path,
        [
            event("ab-1", "2024-01-02", "poke", effects={"tension": 0.4}),
            event("ca-1", "2024-01-03", "soothe", target="CCC"),
            event("ab-2", "2024-01-04", "note", actor="BBB", target="AAA"),
        ],
        variables,
        relations,
    )
    trace = simulate(s)
    assert [(r.event, r.relation, r.before, r.after) for r in trace.records] == [
        ("ab-1", "AAA-BBB", "calm", "tense"),
        ("ca-1", "CCC-AAA", "tense", "calm"),
        ("ab-2", "AAA-BBB", "tense", "tense"),
    ]
    # AAA-BBB: 0.1 -> decays to 0.1 on day 1 -> +0.4 = 0.5 -> two days later 0.1 + 0.4 / 4.
    # CCC-AAA: 0.9 -> two days of decay: 0.1 + 0.8 / 4; untouched by AAA-BBB's events.
    assert tension(trace) == [0.5, 0.3, 0.2]
    assert [(f.relation, f.state) for f in trace.final] == [
        ("AAA-BBB", "tense"),
        ("CCC-AAA", "calm"),
    ]


# --- reuse and seeds --------------------------------------------------------------------------


def test_simulator_reused_across_seeds_gives_identical_traces(tmp_path: Path) -> None:
    """One Simulator run many times, with any seeds, gives the same scripted trace each
    time; the seed is recorded in the trace."""
    s = build(
        tmp_path,
        [
            event("p", "2024-01-02", "poke", effects={"tension": 0.1}),
            event("snap", "2024-01-05", "snap"),
            event("s", "2024-01-06", "soothe"),
        ],
    )
    sim = Simulator(s)
    first = sim.run(seed=1)
    other_seed = sim.run(seed=7)
    again = sim.run(seed=1)
    assert first.seed == 1
    assert other_seed.seed == 7
    assert again == first
    assert dataclasses.replace(other_seed, seed=1) == first
    assert simulate(s, seed=1) == first


def test_machine_is_built_once_per_simulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Simulator builds its relation machine once and reuses it for every run."""
    built: list[RelationMachine] = []

    class Counting(RelationMachine):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(engine, "RelationMachine", Counting)
    s = build(tmp_path, [event("p", "2024-01-02", "poke")])
    sim = Simulator(s)
    for seed in range(3):
        sim.run(seed=seed)
    assert built == [sim.machine]


def test_runs_do_not_change_the_scenario(tmp_path: Path) -> None:
    """Running does not alter the scenario: a second simulator over it starts afresh."""
    s = build(tmp_path, [event("p", "2024-01-02", "poke", effects={"tension": 0.3})])
    before = s.model_dump()
    first = simulate(s)
    assert s.model_dump() == before
    assert simulate(s) == first


def test_guard_error_names_the_event_and_values() -> None:
    """A guard that cannot be evaluated stops the run with a SimulationError naming the event,
    the guard and the variable values (never a bare Python exception)."""
    from simulator import SimulationError
    from simulator.scenario.model import Scenario

    data = {
        "dipsim": 1,
        "title": "t",
        "start": "2024-01-01",
        "end": "2024-01-05",
        "actors": {"AAA": {"name": "A"}, "BBB": {"name": "B"}},
        "event_types": {"go": {}},
        "machine": {
            "states": ["s", "t"],
            "initial": "s",
            "transitions": [{"trigger": "go", "source": "s", "dest": "t", "guard": "log(x) > 0"}],
        },
        "variables": {"x": {"initial": 0.0}},
        "relations": [{"pair": ["AAA", "BBB"]}],
        "events": [
            {
                "id": "e1",
                "date": "2024-01-02",
                "type": "go",
                "actor": "AAA",
                "target": "BBB",
                "summary": "go",
                "source": {"ref": "p"},
            }
        ],
        "sources": {"p": {"publisher": "test"}},
    }
    with pytest.raises(SimulationError) as caught:
        simulate(Scenario.model_validate(data))
    assert str(caught.value) == (
        "event 'e1' (2024-01-02): guard 'log(x) > 0' cannot be evaluated (x=0): math domain "
        "error (the log of a number <= 0, or the square root of one < 0)"
    )
    assert caught.value.key_path == ("machine", "transitions", 0, "guard")


def test_a_path_is_loaded_and_anything_else_says_what_to_pass(tmp_path: Path) -> None:
    """simulate and Simulator take a Scenario or a scenario file's path (str or Path)."""
    path = Path(__file__).resolve().parent.parent / "scenarios" / "jan2024.yaml"
    expected = simulate(load_scenario(path), seed=2)
    assert simulate(str(path), seed=2) == expected
    assert Simulator(path).run(seed=2) == expected
    with pytest.raises(TypeError, match=r"expected a Scenario .* or the path of a scenario file"):
        simulate({"title": "not a scenario"})  # type: ignore[arg-type]
    with pytest.raises(ScenarioError):
        simulate(tmp_path / "missing.yaml")
