"""How variables decay between a relation's events: the engine's table of decays, and what a
timeline needs to draw the curves between records (``Dynamics``).

A variable decays by its own ``decay_per_day`` towards its ``rest``, unless the relation's
diplomatic state is one its ``decay_in``/``rest_in`` names: then by that state's values (the
state holds from the relation's last event to its next, so the decay stays exact).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.engine.trace import Decay, Dynamics

if TYPE_CHECKING:  # not at run time: a cached scenario is run without pydantic (see cache)
    from simulator.scenario.model import Scenario


def variable_decay(scenario: Scenario) -> dict[str, Decay]:
    """The scenario's variables that decay between a relation's events, with how they decay:
    what the engine applies, and what a timeline needs to draw the curves between records."""
    return {
        name: Decay(spec.rest_value, 1.0 - spec.decay_per_day)
        for name, spec in scenario.variables.items()
        if spec.decay_per_day != 0.0
    }


def _decays_in(scenario: Scenario) -> dict[str, dict[str, Decay | None]]:
    """Per diplomatic state that some variable's ``decay_in``/``rest_in`` names: how each such
    variable decays in it (None: not at all)."""
    named = {s for spec in scenario.variables.values() for s in (*spec.decay_in, *spec.rest_in)}
    by_state: dict[str, dict[str, Decay | None]] = {}
    for state in scenario.machine.state_names:
        if state not in named:
            continue
        by_state[state] = {}
        for name, spec in scenario.variables.items():
            if state in spec.decay_in or state in spec.rest_in:
                rest, rate = spec.decay_for(state)
                by_state[state][name] = Decay(rest, 1.0 - rate) if rate != 0.0 else None
    return by_state


def decaying_by_state(
    scenario: Scenario,
) -> dict[str, tuple[tuple[str, float, float], ...]] | None:
    """What decays in each state some ``decay_in``/``rest_in`` names, as the run reads it
    (name, rest, share kept per day); None when no variable decays by state."""
    by_state = _decays_in(scenario)
    if not by_state:
        return None
    usual = variable_decay(scenario)
    return {
        state: tuple(
            (name, *d)
            for name in scenario.variables
            if (d := (changed[name] if name in changed else usual.get(name))) is not None
        )
        for state, changed in by_state.items()
    }


def dynamics(scenario: Scenario) -> Dynamics:
    """How ``scenario``'s variables move between a trace's records (for a timeline)."""
    return Dynamics(
        variable_decay(scenario),
        {r.id: scenario.initial_values(r) for r in scenario.relations},
        _decays_in(scenario),
    )


__all__ = ["decaying_by_state", "dynamics", "variable_decay"]
