"""Design points as run-time parameters: a worker's Simulator whose swept numbers live in slots.

A batch sets the same few paths at every design point. ``Simulator.derive`` keeps what a point
leaves as it was, but still binds again every guard that reads a moved parameter and compiles
again every rule that reads one (most of what a point cost beside its run). Here the worker
prepares the job's scenario once with the swept numbers read at run time instead: its guards
and chances are bound to a :class:`~simulator.core.expressions.Slots` dict (a constant of it
is read at every call, not compiled in), a swept rule probability is a chance that reads its
slot, and a point is then the base's Simulator with the point's scenario and the values of
its slots, written into the dict when a run starts. Nothing is compiled per point.

What is read at run time only, and so may live in a slot: a parameter (every guard and chance
reads it through the slots), a rule's ``probability`` when it is a number, and the variables'
decay, resting and initial values and bounds (not a slot: the few tuples the run reads are
made again from the point's scenario, which is cheap). Anything else — event dates, a
variable's ``per_goldstein`` (the scripted steps' effects), delays, patterns — is structural
and keeps ``derive``. The values themselves are those of the point's scenario, which the
Assigner validated as before (each value by its field's own validator, located errors): this
module never sees an unchecked value.

The slots dict is shared by every Simulator made from one plan, so a plan belongs to one
thread (``batch.job`` keeps one per worker thread); a run writes its point's values before it
plays (``_Slotted._play``), so points may interleave between runs, never within one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from simulator.core.expressions import Slots
from simulator.engine.decays import decaying_by_state, variable_decay
from simulator.engine.machine import RelationMachine
from simulator.engine.responses import Rule, compile_rules, rules_by_type
from simulator.engine.simulation import Simulator

if TYPE_CHECKING:  # not at run time: a cached scenario is run without pydantic (see cache)
    from simulator.scenario.model import Scenario


@dataclass(frozen=True)
class Swept:
    """What a job's paths move that a run reads at run time (see the module's note).

    Attributes:
        parameters: The names of the swept ``parameters``.
        chances: The places in ``rules`` of the rules whose ``probability`` is swept, with
            their ids (a point whose rule there has another id is not one of this plan's).
        variables: The fields of the variables that move (``decay_per_day``, ``rest``,
            ``initial``, ``min`` ...): what a run reads of them is made again per point.
    """

    parameters: tuple[str, ...] = ()
    chances: tuple[tuple[int, str], ...] = ()
    variables: frozenset[str] = frozenset()


def _chance_key(index: int) -> str:
    # Not a parameter's name (names are identifiers), so the two kinds share one dict.
    return f"rules[{index}].probability"


class SlotPlan:
    """A Simulator prepared once with the swept numbers as slots; ``plan.point(scenario)`` is
    the Simulator of a design point's scenario (a variant of the base's that differs only in
    what ``swept`` says), or ``None`` when the point must be derived (a chance that is an
    expression at this point, a rule moved to another place)."""

    def __init__(self, base: Simulator, swept: Swept) -> None:
        self.swept = swept
        scenario = base.scenario
        self.slots = slots = Slots({k: float(v) for k, v in scenario.parameters.items()})
        live = Simulator.__new__(Simulator)
        live.__dict__.update(base.__dict__)
        if swept.parameters:
            # Every guard and chance that reads a parameter reads it from the slots.
            live.machine = RelationMachine(scenario.machine, slots)
            live.tracks = tuple(
                (name, RelationMachine(spec, slots, ("tracks", name)))
                for name, spec in scenario.tracks.items()
            )
        if swept.parameters or swept.chances:
            rules = compile_rules(scenario, base._index, constants=slots)
            rules = tuple(_slotted(rule, swept, slots) for rule in rules)
            live.rules = rules
            live._rules_for, live._kinds_of = rules_by_type(rules, scenario.event_types)
        self._live = live

    def point(self, scenario: Scenario) -> Simulator | None:
        """The Simulator of ``scenario``, a design point: the plan's, with its slot values."""
        values: dict[str, float] = {}
        for name in self.swept.parameters:
            values[name] = float(scenario.parameters[name])
        rules = scenario.rules
        for index, rule_id in self.swept.chances:
            if index >= len(rules) or rules[index].id != rule_id:
                return None
            chance = rules[index].probability
            if not isinstance(chance, float):  # an expression here: compiled by derive
                return None
            values[_chance_key(index)] = chance
        sim = _Slotted.__new__(_Slotted)
        sim.__dict__.update(self._live.__dict__)
        sim.scenario = scenario
        sim.slotted = (self.slots, values)
        if self.swept.variables:
            _variables_of(sim, scenario, self.swept.variables)
        return sim


class _Slotted(Simulator):
    """A design point's Simulator: the plan's, writing its values into the slots as each run
    starts (the plan's slots are shared by its points)."""

    slotted: tuple[Slots, dict[str, float]]

    def _play(self, *args: Any, **kwargs: Any) -> Any:
        slots, values = self.slotted
        slots.update(values)
        return super()._play(*args, **kwargs)


def _slotted(rule: Rule, swept: Swept, slots: Mapping[str, float]) -> Rule:
    """``rule`` with its chance read from its slot, if its probability is swept."""
    if all(index != rule.index for index, _ in swept.chances):
        return rule
    key = _chance_key(rule.index)
    return replace(rule, probability=lambda _values: slots[key])


#: The fields of a variable that decay reads (``rest`` falls back on ``initial``).
_DECAY_FIELDS = frozenset({"decay_per_day", "rest", "initial", "decay_in", "rest_in"})


def _variables_of(sim: Simulator, scenario: Scenario, fields: frozenset[str]) -> None:
    """What a run reads of the variables, made from ``scenario`` as ``Simulator`` makes it:
    only what the moved ``fields`` reach (the rest is the plan's, made from the same values).
    The variables' names and order never move (a path cannot add one and keep the plan)."""
    if not fields.isdisjoint(_DECAY_FIELDS):
        sim._decaying = tuple((name, *d) for name, d in variable_decay(scenario).items())
        if sim._decaying_in is not None or not fields.isdisjoint({"decay_in", "rest_in"}):
            sim._decaying_in = decaying_by_state(scenario)
    if "initial" in fields:
        sim._initial_values = tuple(scenario.initial_values(r) for r in scenario.relations)
    if not fields.isdisjoint({"min", "max"}):
        sim._bounds = {name: (spec.min, spec.max) for name, spec in scenario.variables.items()}
