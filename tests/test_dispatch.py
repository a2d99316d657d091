"""The dispatch table fires exactly as ``transitions`` does.

``RelationMachine.fire`` walks a table read back from the ``transitions`` Machine once it is
built; ``fire_through_transitions`` asks ``transitions`` itself (``Event.trigger``). On every
shipped scenario's machine (every state, every trigger, the variable values its runs meet, and
values that break a guard) and on random machines with guards, the two give the same outcome,
the same new state, and the same error with the same words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.engine.machine import RelationMachine
from simulator.engine.simulation import Simulator
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import MachineSpec
from tests.conftest import scenario_files
from tests.strategies import TRIGGER_POOL, machine_data


def both(machine: RelationMachine, state: str, trigger: str, variables: dict[str, Any]) -> None:
    results = []
    for fire in (machine.fire, machine.fire_through_transitions):
        model = machine.new_model(state)
        try:
            outcome: Any = fire(model, trigger, variables)
        except Exception as err:
            outcome = (type(err), str(err))
        results.append((outcome, model.state))
    assert results[0] == results[1], (state, trigger, variables)


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_every_shipped_machine(path: Path) -> None:
    scenario = load_scenario(path)
    sim = Simulator(scenario)
    machine = sim.machine
    triggers = sorted(machine.triggers | set(scenario.event_types))
    seen = [dict(r.variables) for seed in range(4) for r in sim.run(seed=seed).records]
    names = list(scenario.variables)
    odd = [dict.fromkeys(names, v) for v in (0.0, -1.0, 1e300, float("inf"))]
    for variables in [*seen[:40], *odd] or [{}]:
        for state in machine.states:
            for trigger in triggers:
                both(machine, state, trigger, variables)


@given(
    data=machine_data(with_variable=True),
    fired=st.lists(
        st.tuples(st.sampled_from(TRIGGER_POOL), st.floats(-1, 2, allow_nan=False)), max_size=20
    ),
)
def test_random_machines_with_guards(data: dict[str, Any], fired: list[tuple[str, float]]) -> None:
    spec = MachineSpec.model_validate(data)
    machine = RelationMachine(spec)
    fast, reference = machine.new_model(), machine.new_model()
    for trigger, x in fired:
        for state in spec.state_names:
            both(machine, state, trigger, {"x": x})
        assert machine.fire(fast, trigger, {"x": x}) == machine.fire_through_transitions(
            reference, trigger, {"x": x}
        )
        assert fast.state == reference.state


def test_a_guard_that_cannot_be_evaluated_says_so_either_way() -> None:
    spec = MachineSpec.model_validate(
        {
            "states": ["a", "b"],
            "initial": "a",
            "transitions": [{"trigger": "go", "source": "a", "dest": "b", "guard": "1 / x > 1"}],
        }
    )
    machine = RelationMachine(spec)
    with pytest.raises(Exception, match=r"guard '1 / x > 1' cannot be evaluated \(x=0\)"):
        machine.fire(machine.new_model(), "go", {"x": 0.0})
    both(machine, "a", "go", {"x": 0.0})


def fires_alike(a: RelationMachine, b: RelationMachine, variables: list[dict[str, Any]]) -> None:
    for values in variables:
        for state in a.states:
            for trigger in sorted(a.triggers):
                one, two = a.new_model(state), b.new_model(state)
                results = []
                for machine, model in ((a, one), (b, two)):
                    try:
                        outcome: Any = machine.fire(model, trigger, values)
                    except Exception as err:
                        outcome = (type(err), str(err))
                    results.append((outcome, model.state))
                assert results[0] == results[1], (state, trigger, values)


@given(
    limit=st.floats(-1, 2, allow_nan=False),
    again=st.floats(-1, 2, allow_nan=False),
    xs=st.lists(st.floats(-1, 2, allow_nan=False), min_size=1, max_size=5),
)
def test_a_rebound_machine_fires_as_one_built_with_its_constants(
    limit: float, again: float, xs: list[float]
) -> None:
    """A design point that changes a parameter rebinds the guards; it fires as a new machine
    built with that parameter would, and so does a rebinding of a rebinding."""
    spec = MachineSpec.model_validate(
        {
            "states": ["a", "b", "c"],
            "initial": "a",
            "transitions": [
                {"trigger": "go", "source": ["a", "b"], "dest": "b", "guard": "x < limit"},
                {"trigger": "go", "source": "*", "dest": "c"},
                {"trigger": "back", "source": "c", "dest": "a", "guard": "x * 2 >= limit"},
                {"trigger": "stay", "source": "a", "dest": "a", "guard": "x > 0.5"},
            ],
        }
    )
    base = RelationMachine(spec, {"limit": 0.3})
    values = [{"x": x} for x in xs]
    once = base.rebound({"limit": limit})
    fires_alike(once, RelationMachine(spec, {"limit": limit}), values)
    fires_alike(once.rebound({"limit": again}), RelationMachine(spec, {"limit": again}), values)
    with pytest.raises(RuntimeError, match="fires through its table only"):
        once.fire_through_transitions(once.new_model(), "go", {"x": 0.0})


def test_the_shipped_what_if_rebound_to_other_thresholds() -> None:
    scenario = load_scenario(
        Path(__file__).parent.parent / "scenarios/whatif/retaliation-kills-iranians.yaml"
    )
    base = Simulator(scenario).machine
    seen = [dict(r.variables) for r in Simulator(scenario).run(seed=3).records]
    for threshold in (0.0, 0.05, 0.2, 1.0):
        constants = {**scenario.parameters, "return_at_most": threshold}
        fires_alike(base.rebound(constants), RelationMachine(scenario.machine, constants), seen)
