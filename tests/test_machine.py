"""Unit tests of the relation state machine (:mod:`simulator.engine.machine`)."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.engine.machine import Outcome, RelationMachine, RelationModel
from simulator.scenario.model import MachineSpec


def machine(
    transitions: list[dict[str, Any]], states: tuple[str, ...] = ("a", "b", "c")
) -> RelationMachine:
    """A machine over ``states`` (initial: the first) with ``transitions``."""
    spec = MachineSpec.model_validate(
        {"states": list(states), "initial": states[0], "transitions": transitions}
    )
    return RelationMachine(spec)


BASIC: list[dict[str, Any]] = [
    {"trigger": "go", "source": "a", "dest": "b"},
    {"trigger": "back", "source": ["b", "c"], "dest": "a"},
    {"trigger": "up", "source": "b", "dest": "c", "guard": "x >= 0.5"},
]


def test_built_once_from_the_spec() -> None:
    """A machine knows its states, initial state and triggers once built."""
    m = machine(BASIC)
    assert m.states == ("a", "b", "c")
    assert m.initial == "a"
    assert m.triggers == frozenset({"go", "back", "up"})


def test_new_model_starts_in_the_initial_state_or_the_one_given() -> None:
    """A new relation starts in the machine's initial state unless told otherwise."""
    m = machine(BASIC)
    assert m.new_model().state == "a"
    assert m.new_model("c").state == "c"
    assert isinstance(m.new_model(), RelationModel)


@pytest.mark.parametrize(
    ("state", "trigger", "handled"),
    [
        ("a", "go", True),
        ("b", "go", False),
        ("b", "back", True),
        ("c", "back", True),
        ("a", "back", False),
        ("b", "up", True),
        ("a", "nothing", False),
    ],
)
def test_handles_says_whether_a_transition_leaves_the_state(
    state: str, trigger: str, handled: bool
) -> None:
    """``handles`` is true when some transition for the trigger leaves the state, guards
    aside."""
    assert machine(BASIC).handles(state, trigger) is handled


def test_fire_moves_the_relation() -> None:
    """Firing a trigger with a transition out of the current state moves the relation."""
    m = machine(BASIC)
    rel = m.new_model()
    assert m.fire(rel, "go", {}) is Outcome.TRANSITION
    assert rel.state == "b"
    assert m.fire(rel, "back", {}) is Outcome.TRANSITION
    assert rel.state == "a"


def test_fire_without_a_transition_from_the_state() -> None:
    """A trigger with no transition out of the current state leaves it: ``no_transition``."""
    m = machine(BASIC)
    rel = m.new_model()
    assert m.fire(rel, "back", {}) is Outcome.NO_TRANSITION
    assert rel.state == "a"
    assert m.fire(rel, "unknown_trigger", {}) is Outcome.NO_TRANSITION
    assert rel.state == "a"


def test_fire_with_a_false_guard() -> None:
    """A transition whose guard is false does not fire: ``guard_failed``, state unchanged."""
    m = machine(BASIC)
    rel = m.new_model("b")
    assert m.fire(rel, "up", {"x": 0.4}) is Outcome.GUARD_FAILED
    assert rel.state == "b"
    assert m.fire(rel, "up", {"x": 0.5}) is Outcome.TRANSITION
    assert rel.state == "c"


def test_guards_read_the_variables_passed_to_fire() -> None:
    """A guard reads exactly the variables given to ``fire``, each call afresh."""
    m = machine([{"trigger": "t", "source": "a", "dest": "b", "guard": "x > y"}])
    for x, y, moved in [(1.0, 2.0, False), (2.0, 1.0, True)]:
        rel = m.new_model()
        outcome = m.fire(rel, "t", {"x": x, "y": y})
        assert (outcome is Outcome.TRANSITION) is moved


def test_first_transition_whose_guard_holds_wins() -> None:
    """Transitions for one trigger are tried in declaration order; the first whose guard holds
    fires."""
    m = machine(
        [
            {"trigger": "t", "source": "a", "dest": "b", "guard": "x > 0.8"},
            {"trigger": "t", "source": "a", "dest": "c", "guard": "x > 0.5"},
            {"trigger": "t", "source": "a", "dest": "a"},
        ]
    )
    for x, dest in [(0.9, "b"), (0.6, "c"), (0.1, "a")]:
        rel = m.new_model()
        assert m.fire(rel, "t", {"x": x}) is Outcome.TRANSITION
        assert rel.state == dest


def test_every_guard_false_is_guard_failed() -> None:
    """When every transition for the trigger has a false guard, the outcome is
    ``guard_failed``."""
    m = machine(
        [
            {"trigger": "t", "source": "a", "dest": "b", "guard": "x > 0.8"},
            {"trigger": "t", "source": "a", "dest": "c", "guard": "x > 0.5"},
        ]
    )
    rel = m.new_model()
    assert m.fire(rel, "t", {"x": 0.1}) is Outcome.GUARD_FAILED
    assert rel.state == "a"


def test_star_source_leaves_every_state() -> None:
    """A transition from ``'*'`` leaves every state."""
    m = machine([{"trigger": "reset", "source": "*", "dest": "a"}])
    for state in ("a", "b", "c"):
        assert m.handles(state, "reset")
        rel = m.new_model(state)
        assert m.fire(rel, "reset", {}) is Outcome.TRANSITION
        assert rel.state == "a"


def test_self_transition_is_a_transition() -> None:
    """A transition back to the same state counts as a ``transition``."""
    m = machine([{"trigger": "stay", "source": "b", "dest": "b"}])
    rel = m.new_model("b")
    assert m.fire(rel, "stay", {}) is Outcome.TRANSITION
    assert rel.state == "b"


def test_one_machine_serves_many_relations_independently() -> None:
    """One machine moves many relations, each keeping its own state."""
    m = machine(BASIC)
    first, second, third = m.new_model(), m.new_model(), m.new_model("b")
    m.fire(first, "go", {})
    assert (first.state, second.state, third.state) == ("b", "a", "b")
    m.fire(third, "up", {"x": 1.0})
    m.fire(second, "go", {})
    m.fire(first, "back", {})
    assert (first.state, second.state, third.state) == ("a", "b", "c")


def test_outcome_values_are_the_trace_words() -> None:
    """Outcomes are text, and their values are the words written in traces."""
    assert [o.value for o in Outcome] == ["transition", "guard_failed", "no_transition"]
    assert all(isinstance(o, str) for o in Outcome)
