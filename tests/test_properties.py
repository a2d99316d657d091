"""Properties of the machine and the engine, over random scenarios and event sequences."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from simulator.engine.machine import Outcome, RelationMachine
from simulator.engine.reference import reference_fold
from simulator.engine.simulation import Simulator, simulate
from simulator.engine.trace import Trace
from simulator.report.formats import trace_to_json
from simulator.scenario.loading import scenario_from_text, scenario_to_yaml
from simulator.scenario.model import MachineSpec, Scenario
from tests.strategies import GUARDS, TRIGGER_POOL, machine_data, scenarios


@given(scenarios())
def test_engine_agrees_with_reference_fold(scenario: Scenario) -> None:
    """The engine's states, outcomes and variables equal a plain fold of the transition table."""
    trace = simulate(scenario)
    fold = reference_fold(scenario)
    got = [(r.event, r.relation, r.before, r.after, r.outcome, r.variables) for r in trace.records]
    want = [(f.event, f.relation, f.before, f.after, f.outcome, f.variables) for f in fold]
    assert got == want


@given(scenarios())
def test_states_are_declared(scenario: Scenario) -> None:
    """Every state in a trace is one the machine declares."""
    declared = set(scenario.machine.state_names)
    trace = simulate(scenario)
    for r in trace.records:
        assert r.before in declared
        assert r.after in declared
    assert {f.state for f in trace.final} <= declared


@given(scenarios())
def test_times_never_decrease(scenario: Scenario) -> None:
    """Records come in time order, and their dates agree with their times."""
    trace = simulate(scenario)
    times = [r.t for r in trace.records]
    assert times == sorted(times)
    assert [r.when for r in trace.records] == sorted(r.when for r in trace.records)


@given(scenarios())
def test_before_is_previous_after(scenario: Scenario) -> None:
    """Each record's state before equals the state after of the previous record of its relation,
    the first one starts from the relation's initial state, and the last one ends in its final."""
    trace = simulate(scenario)
    current = {r.id: r.initial or scenario.machine.initial for r in scenario.relations}
    for rec in trace.records:
        assert rec.before == current[rec.relation]
        if rec.outcome != Outcome.TRANSITION:
            assert rec.after == rec.before
        current[rec.relation] = rec.after
    assert {f.relation: f.state for f in trace.final} == current


@given(scenarios(), st.integers(0, 2**32))
def test_same_input_same_seed_same_bytes(scenario: Scenario, seed: int) -> None:
    """The same scenario and seed give the same trace, byte for byte, from fresh simulators."""
    first = trace_to_json(Simulator(scenario).run(seed=seed))
    second = trace_to_json(Simulator(scenario).run(seed=seed))
    assert first == second
    assert json.loads(first)["seed"] == seed


@given(scenarios())
def test_trace_round_trip(scenario: Scenario) -> None:
    """A trace serialised to plain data (through JSON text) reads back equal."""
    trace = simulate(scenario)
    assert Trace.from_dict(json.loads(trace_to_json(trace))) == trace


@given(scenarios(max_events=10))
def test_scenario_round_trip(scenario: Scenario) -> None:
    """A scenario dumped to YAML loads back equal."""
    text = scenario_to_yaml(scenario)
    note(text)
    assert scenario_from_text(text) == scenario


@given(scenarios())
def test_reused_simulator_is_stateless(scenario: Scenario) -> None:
    """Running one Simulator twice gives the same trace as two fresh ones: runs share nothing."""
    sim = Simulator(scenario)
    assert sim.run(seed=1) == sim.run(seed=1) == Simulator(scenario).run(seed=1)


class RelationMachineModel(RuleBasedStateMachine):
    """The shared relation machine against a model: a dict lookup over the transition table.

    Several relations (tiny models) share one machine; random triggers with random variable
    values are fired on random relations, and each outcome and state must equal the table's.
    """

    def __init__(self) -> None:
        super().__init__()
        self.spec: MachineSpec | None = None
        self.machine: RelationMachine | None = None
        self.models: list[Any] = []
        self.expected: list[str] = []

    @initialize(data=machine_data(with_variable=True), relations=st.integers(1, 4))
    def build(self, data: dict[str, Any], relations: int) -> None:
        self.spec = MachineSpec.model_validate(data)
        self.machine = RelationMachine(self.spec)
        self.models = [self.machine.new_model() for _ in range(relations)]
        self.expected = [self.spec.initial] * relations

    @precondition(lambda self: self.machine is not None)
    @rule(data=st.data(), trigger=st.sampled_from(TRIGGER_POOL), x=st.floats(0, 1))
    def fire(self, data: st.DataObject, trigger: str, x: float) -> None:
        assert self.machine is not None
        assert self.spec is not None
        i = data.draw(st.integers(0, len(self.models) - 1))
        state = self.expected[i]
        want = Outcome.NO_TRANSITION
        for t in self.spec.transitions:
            if t.trigger == trigger and (state in t.source or "*" in t.source):
                if t.guard is None or t.guard({"x": x}):
                    self.expected[i] = t.dest
                    want = Outcome.TRANSITION
                    break
                want = Outcome.GUARD_FAILED
        assert self.machine.fire(self.models[i], trigger, {"x": x}) == want

    @invariant()
    def states_match(self) -> None:
        assert [m.state for m in self.models] == self.expected

    @invariant()
    def states_declared(self) -> None:
        if self.spec is not None:
            assert all(m.state in self.spec.state_names for m in self.models)


TestRelationMachine = RelationMachineModel.TestCase


def test_guard_pool_is_valid() -> None:
    """The guards the strategies draw from parse and read only ``x`` (else they test nothing)."""
    from simulator.core.expressions import parse_expression

    for text in GUARDS:
        assert parse_expression(text).names == frozenset({"x"})


def test_engine_agrees_with_fold_on_every_scenario_without_rules() -> None:
    """On every shipped scenario, with its rules switched off, the engine and the reference fold
    agree record for record (parameters in guards included)."""
    from simulator.scenario.loading import load_scenario
    from tests.conftest import scenario_files

    checked = 0
    for path in scenario_files():
        scenario = load_scenario(path)
        scripted = scenario.model_copy(update={"rules": ()})
        got = [
            (r.event, r.before, r.after, r.outcome, r.variables) for r in simulate(scripted).records
        ]
        want = [
            (f.event, f.before, f.after, f.outcome, f.variables) for f in reference_fold(scripted)
        ]
        assert got == want, path.name
        checked += 1
    assert checked >= 10
