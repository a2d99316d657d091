"""Response rules in the engine: chances, delays, roles, cancellation, caps and ties."""

from __future__ import annotations

import random
import statistics
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.engine.responses import sample_delay
from simulator.engine.simulation import Simulator, simulate
from simulator.engine.trace import Trace
from simulator.scenario.model import Delay, Scenario
from tests.strategies import TRIGGER_POOL, scenario_data


def scenario(
    rules: list[dict[str, Any]], events: list[dict[str, Any]] | None = None, **extra: Any
) -> Scenario:
    """A two-actor scenario with a strike/talk machine and the given rules."""
    data: dict[str, Any] = {
        "dipsim": 1,
        "title": "rules",
        "start": "2024-01-01",
        "end": "2024-01-31",
        "sources": {"src": {"publisher": "test"}},
        "actors": {"AAA": {"name": "A"}, "BBB": {"name": "B"}, "CCC": {"name": "C"}},
        "event_types": {
            "strike": {"codes": {"goldstein": -10}},
            "talk": {"codes": {"goldstein": 1}},
            "agree": {"codes": {"goldstein": 7}},
        },
        "machine": {
            "states": ["calm", "tense", "war"],
            "initial": "calm",
            "transitions": [
                {"trigger": "strike", "source": "calm", "dest": "tense"},
                {"trigger": "strike", "source": "tense", "dest": "war", "guard": "x >= limit"},
                {"trigger": "agree", "source": ["tense", "war"], "dest": "calm"},
            ],
        },
        "variables": {"x": {"initial": 0.1, "per_goldstein": -0.03}},
        "parameters": {"limit": 0.8},
        "relations": [{"pair": ["AAA", "BBB"]}, {"pair": ["AAA", "CCC"]}],
        "events": events
        if events is not None
        else [
            ev("s1", "2024-01-02", "strike", "AAA", "BBB", "A strikes B"),
        ],
        "rules": rules,
    }
    data.update(extra)
    return Scenario.model_validate(data)


def ev(id_: str, date: str, type_: str, actor: str, target: str, summary: str) -> dict[str, Any]:
    """A scripted event citing the test source."""
    return {
        "id": id_,
        "date": date,
        "type": type_,
        "actor": actor,
        "target": target,
        "summary": summary,
        "source": {"ref": "src"},
    }


#: A strike, then an agreement the next day on the same relation.
STRIKE_THEN_DEAL = [
    ev("s1", "2024-01-02", "strike", "AAA", "BBB", "A strikes B"),
    ev("deal", "2024-01-03", "agree", "AAA", "BBB", "deal"),
]


def strike_back(**changes: Any) -> dict[str, Any]:
    """B strikes back at A after a strike by A."""
    rule: dict[str, Any] = {
        "id": "back",
        "when": {"type": "strike", "actor": "AAA"},
        "respond": {"type": "strike", "summary": "B strikes back"},
        "delay": 2,
    }
    rule.update(changes)
    return rule


def responses(trace: Trace, rule: str | None = None) -> list[Any]:
    return [
        r
        for r in trace.records
        if r.cause != "script" and (rule is None or r.cause == f"rule:{rule}")
    ]


def test_response_is_recorded_with_its_cause_and_time() -> None:
    """A response is applied at trigger time + delay, by the resolved roles, named rule#n, with
    cause ``rule:<id>`` and the trigger in caused_by."""
    trace = simulate(scenario([strike_back()]))
    (r,) = responses(trace)
    assert (r.event, r.type, r.actor, r.target) == ("back#1", "strike", "BBB", ("AAA",))
    assert (r.t, r.date_text, r.relation) == (3.0, "2024-01-04", "AAA-BBB")
    assert (r.cause, r.caused_by, r.summary) == ("rule:back", ("s1",), "B strikes back")
    assert (r.before, r.after) == ("tense", "tense")  # x = 0.7 < limit 0.8: the guard holds


def test_parameters_reach_guards() -> None:
    """A guard reads a scenario parameter: lowering ``limit`` lets the response escalate."""
    trace = simulate(scenario([strike_back()], parameters={"limit": 0.6}))
    assert responses(trace)[0].after == "war"


@given(st.integers(0, 2**32), st.sampled_from([0.0, 1.0]))
def test_probability_zero_never_one_always(seed: int, p: float) -> None:
    """A rule with probability 0 never fires and one with probability 1 always fires, whatever
    the seed."""
    trace = Simulator(scenario([strike_back(probability=p)])).run(seed=seed)
    assert len(responses(trace)) == (1 if p == 1.0 else 0)


@given(
    scenario_data(max_events=15),
    st.integers(0, 2**16),
    st.sampled_from([0.0, 1.0]),
    st.sampled_from(TRIGGER_POOL),
)
def test_probability_extremes_on_random_scenarios(
    data: dict[str, Any], seed: int, p: float, trigger: str
) -> None:
    """On random scenarios, a rule of probability 0 adds nothing to the replay, and one of
    probability 1 responds to every matching scripted event (with no cap and no limit hit)."""
    data["rules"] = [
        {
            "id": "r",
            "when": {"type": trigger},
            "respond": {"type": "zz_response"},
            "probability": p,
            "delay": 0.5,
        }
    ]
    data["event_types"]["zz_response"] = {}
    trace = Simulator(Scenario.model_validate(data)).run(seed=seed)
    matching = [
        r
        for r in trace.records
        if r.cause == "script"
        and r.type == trigger
        and r.t + 0.5 < (trace.stop - trace.start).days + 1
    ]
    got = [r for r in trace.records if r.cause == "rule:r"]
    if p == 0.0:
        assert got == []
    else:
        assert sorted(r.caused_by[0] for r in got) == sorted(r.event for r in matching)


def test_same_seed_same_trace_different_seeds_differ() -> None:
    """A stochastic rule replays identically for one seed, and varies across seeds."""
    sim = Simulator(scenario([strike_back(probability=0.5, delay={"uniform": [0, 5]})]))
    assert sim.run(seed=7) == sim.run(seed=7)
    outcomes = {tuple((r.event, r.t) for r in responses(sim.run(seed=s))) for s in range(30)}
    assert len(outcomes) > 5


def test_cancel_on_cancels_a_pending_response() -> None:
    """A pending response is cancelled by a later matching event on its relation; the trace's log
    says so, and nothing is applied."""
    events = STRIKE_THEN_DEAL
    trace = simulate(scenario([strike_back(cancel_on={"type": "agree"})], events))
    assert responses(trace) == []
    (entry,) = trace.log
    assert (entry.kind, entry.rule, entry.event, entry.when.day) == (
        "cancelled",
        "back",
        "back#1",
        3,
    )
    assert entry.message == "back#1 (due 2024-01-04 00:00) cancelled by deal"


def test_cancel_on_ignores_other_relations_and_types() -> None:
    """An agreement on another relation, or an event of another type, cancels nothing."""
    events = [
        ev("s1", "2024-01-02", "strike", "AAA", "BBB", "A strikes B"),
        ev("deal", "2024-01-03", "agree", "AAA", "CCC", "deal elsewhere"),
        ev("chat", "2024-01-03", "talk", "AAA", "BBB", "talk"),
    ]
    trace = simulate(scenario([strike_back(cancel_on={"type": "agree"})], events))
    assert [r.event for r in responses(trace)] == ["back#1"]
    assert trace.log == ()


def test_cascade_cap_is_reported() -> None:
    """A rule that answers itself stops at max_responses, and the log reports the cap and how many
    responses it held back."""
    loop = {"id": "loop", "when": {"type": "strike"}, "respond": {"type": "strike"}, "delay": 1}
    trace = simulate(scenario([loop], max_responses=5))
    assert len(responses(trace)) == 5
    cap = [e for e in trace.log if e.kind == "cap"]
    assert len(cap) == 1
    assert cap[0].count == 1
    assert cap[0].message == (
        "the run reached its cap of 5 responses (max_responses); 1 more was not scheduled"
    )


def test_max_fires_limits_one_rule() -> None:
    """max_fires bounds how often one rule responds in a run."""
    loop = {
        "id": "loop",
        "when": {"type": "strike"},
        "respond": {"type": "strike"},
        "delay": 1,
        "max_fires": 3,
    }
    assert len(responses(simulate(scenario([loop])))) == 3


def test_response_pending_at_stop_is_logged() -> None:
    """A response due after the end of the run is not applied; the log names it."""
    trace = simulate(scenario([strike_back(delay=40)]))
    assert responses(trace) == []
    (entry,) = trace.log
    assert entry.kind == "pending"
    assert entry.message == "back#1 was still pending at the stop (due 2024-02-11 00:00)"


def test_roles_and_named_relation() -> None:
    """A response by a named actor on a named relation acts there, not on the trigger's."""
    rule = strike_back(
        respond={"actor": "CCC", "target": ["AAA"], "type": "strike", "relation": ["AAA", "CCC"]}
    )
    (r,) = responses(simulate(scenario([rule])))
    assert (r.actor, r.target, r.relation, r.after) == ("CCC", ("AAA",), "AAA-CCC", "tense")


def test_disabled_rule_does_not_fire() -> None:
    """enabled: false switches a rule off."""
    assert responses(simulate(scenario([strike_back(enabled=False)]))) == []


def test_pattern_state_and_guard() -> None:
    """``when.state`` matches the state after the event; ``when.guard`` reads the variables."""
    assert (
        responses(simulate(scenario([strike_back(when={"type": "strike", "state": "calm"})]))) == []
    )
    assert (
        len(responses(simulate(scenario([strike_back(when={"actor": "AAA", "state": "tense"})]))))
        == 1
    )
    assert responses(simulate(scenario([strike_back(when={"guard": "x > 0.9"})]))) == []


def test_probability_expression_reads_variables_and_is_clamped() -> None:
    """A probability expression over variables is clamped to [0, 1]: 5 * x (x = 0.4) fires
    always, -x never."""
    assert len(responses(simulate(scenario([strike_back(probability="5 * x")])))) == 1
    assert responses(simulate(scenario([strike_back(probability="-x")]))) == []


def test_response_due_with_scripted_event_comes_after_it() -> None:
    """At one moment, scripted events come first and responses after them."""
    events = [
        ev("s1", "2024-01-02", "strike", "AAA", "BBB", "A strikes B"),
        ev("chat", "2024-01-04", "talk", "AAA", "BBB", "talk"),
    ]
    trace = simulate(scenario([strike_back()], events))
    assert [r.event for r in trace.records] == ["s1", "chat", "back#1"]


@pytest.mark.parametrize(
    ("delay", "low", "high"),
    [
        ({"fixed": 2}, 2, 2),
        ({"uniform": [1, 3]}, 1, 3),
        ({"triangular": [1, 2, 5]}, 1, 5),
        ({"exponential": 2}, 0, float("inf")),
        ({"lognormal": {"median": 2, "sigma": 0.5}}, 0, float("inf")),
    ],
)
def test_delays_stay_in_their_support(delay: dict[str, Any], low: float, high: float) -> None:
    """Every delay distribution draws inside its support."""
    d = Delay.model_validate(delay)
    rng = random.Random(1)
    draws = [sample_delay(d, rng) for _ in range(2000)]
    assert all(low <= x <= high for x in draws)


def test_delay_distributions_have_their_documented_centre() -> None:
    """With a fixed seed and 20,000 draws: uniform [1, 3] has mean 2, triangular [1, 2, 6] mean 3,
    exponential(mean 2) mean 2, lognormal(median 2) median 2 (within 3%)."""
    rng = random.Random(42)
    n = 20_000

    def draws(spec: dict[str, Any]) -> list[float]:
        d = Delay.model_validate(spec)
        return [sample_delay(d, rng) for _ in range(n)]

    assert statistics.fmean(draws({"uniform": [1, 3]})) == pytest.approx(2, rel=0.03)
    assert statistics.fmean(draws({"triangular": [1, 2, 6]})) == pytest.approx(3, rel=0.03)
    assert statistics.fmean(draws({"exponential": 2})) == pytest.approx(2, rel=0.03)
    assert statistics.median(draws({"lognormal": {"median": 2, "sigma": 0.5}})) == pytest.approx(
        2, rel=0.03
    )


def test_sampling_uses_only_random() -> None:
    """A delay draw consumes exactly one ``random()`` (none when fixed), so seeds replay the same
    on every Python version."""

    class Counting(random.Random):
        calls = 0

        def random(self) -> float:
            Counting.calls += 1
            return super().random()

    rng = Counting(3)
    for spec in (
        {"uniform": [1, 3]},
        {"triangular": [1, 2, 5]},
        {"exponential": 1},
        {"lognormal": {"median": 1, "sigma": 1}},
    ):
        sample_delay(Delay.model_validate(spec), rng)
    sample_delay(Delay.model_validate({"fixed": 1}), rng)
    assert Counting.calls == 4


@pytest.mark.parametrize(
    ("delay", "message"),
    [
        ({"uniform": [3, 1]}, "uniform delay bounds [3.0, 1.0] are in the wrong order"),
        ({"triangular": [1, 5, 2]}, "triangular delay [1.0, 5.0, 2.0] must be [low, mode, high]"),
        (
            {"fixed": 1, "uniform": [1, 2]},
            "a delay is exactly one of fixed, uniform, triangular, "
            "exponential, lognormal (got fixed, uniform)",
        ),
    ],
)
def test_bad_delays_are_refused(delay: dict[str, Any], message: str) -> None:
    """Delays that make no sense are refused with a message naming the problem."""
    with pytest.raises(ValueError, match=r".*") as caught:
        Delay.model_validate(delay)
    assert message in str(caught.value)


def test_table_marks_responses_and_prints_the_log() -> None:
    """The table names the rule and trigger under a response, and ends with the run's log."""
    from simulator.report.table import trace_table

    text = trace_table(simulate(scenario([strike_back()])))
    assert "            ↳ back#1: rule back, in response to s1\n" in text
    events = STRIKE_THEN_DEAL
    text = trace_table(simulate(scenario([strike_back(cancel_on={"type": "agree"})], events)))
    assert "2024-01-03  cancelled: back#1 (due 2024-01-04 00:00) cancelled by deal\n" in text
