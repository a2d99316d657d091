"""A plain reference implementation of a replay, for tests and benchmarks.

:func:`reference_fold` replays a scenario's scripted events with nothing but a loop over the
transition table: no SimPy, no ``transitions``. The engine must agree with it exactly; the
benchmarks use it as the floor a run's cost is compared with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from simulator.scenario.model import Scenario


@dataclass(frozen=True, slots=True)
class FoldStep:
    """One event as the reference fold saw it."""

    event: str
    relation: str
    before: str
    after: str
    outcome: str
    variables: dict[str, float]


def reference_fold(scenario: Scenario, until: dt.date | None = None) -> list[FoldStep]:
    """Replay ``scenario``'s events by folding them over the transition table.

    Semantics (those documented for the engine): events in time order, ties in file order; per
    event, the relation's variables decay exponentially towards rest (the rest and decay of the
    state the relation is in, where ``decay_in``/``rest_in`` name it), the event's effects are
    added and clamped, and the first transition (in declaration order) for the event's type whose
    source matches and whose guard holds fires (guards read the scenario's parameters too).
    Response rules are not played: the fold replays the scripted events only.
    """
    stop = scenario.end if until is None else min(until, scenario.end)
    origin = dt.datetime.combine(scenario.start, dt.time())
    horizon = dt.datetime.combine(stop, dt.time()) + dt.timedelta(days=1)
    relations = {frozenset(r.pair): r for r in scenario.relations}
    state = {r.id: scenario.initial_state(r) for r in scenario.relations}
    values = {r.id: scenario.initial_values(r) for r in scenario.relations}
    last = {r.id: 0.0 for r in scenario.relations}
    order = sorted(range(len(scenario.events)), key=lambda i: (scenario.events[i].when, i))
    steps: list[FoldStep] = []
    work = [(i, r) for i in order for r in scenario.reach(scenario.events[i])]
    for i, reach in work:
        e = scenario.events[i]
        if e.when >= horizon:
            break
        rid = relations[frozenset(reach.pair)].id
        t = (e.when - origin).total_seconds() / 86_400.0
        vals = values[rid]
        gap = t - last[rid]
        if gap > 0.0:
            for name, spec in scenario.variables.items():
                # As in the state the relation has been in since its last event (decay_in).
                rest, rate = spec.decay_for(state[rid])
                if rate and gap > 0.0:
                    vals[name] = rest + (vals[name] - rest) * (1.0 - rate) ** gap
            last[rid] = t
        goldstein = reach.goldstein(scenario.codes_of(e).goldstein)
        for name, spec in scenario.variables.items():
            if name in e.effects:
                delta = e.effects[name]
            elif spec.per_goldstein and goldstein is not None:
                delta = spec.per_goldstein * goldstein
            else:
                continue
            vals[name] = min(spec.max, max(spec.min, vals[name] + delta))
        before = state[rid]
        outcome = "no_transition"
        for tr in scenario.machine.transitions:
            if tr.trigger != e.type or not (before in tr.source or "*" in tr.source):
                continue
            if tr.guard is None or tr.guard.bind(scenario.parameters)(vals):
                state[rid] = tr.dest
                outcome = "transition"
                break
            outcome = "guard_failed"
        steps.append(
            FoldStep(
                e.id, rid, before, state[rid], outcome, {k: round(v, 6) for k, v in vals.items()}
            )
        )
    return steps
