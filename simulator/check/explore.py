"""Hunting invariant violations with random event sequences (``dipsim check --explore N``).

The scenario's own events are the vocabulary: each random sequence draws events from them (with
their types, codes and effects, and their actors and relations), plus one plain event for every
declared event type that no scripted event uses, and spaces them 0 to 8 days apart so that
variables decay between them. Each sequence replaces the scenario's events and runs through the
real engine, rules included; every invariant is checked on the trace.

The generator is seeded (``random.Random``), so ``--explore N --seed S`` finds the same thing
every time. A violating sequence is shrunk greedily: events are dropped one at a time as long
as the same invariant still breaks (with the same run seed), until no single event can go. The
shortest shrunk counterexample per invariant is reported, with the number of sequences that
broke it. Events stay within the scenario's span (those that would fall after its end happen on
its last day).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simulator.check.expectations import first_violation, invariant_label
from simulator.core.errors import SimulationError
from simulator.engine.seeds import derive_seed
from simulator.engine.simulation import Simulator
from simulator.engine.trace import Trace
from simulator.scenario.model import EventSpec, Scenario

#: Days between consecutive events of a sequence, drawn uniformly from this list (repeats give
#: weight: most events are close together, as in a crisis).
GAPS = (0, 0, 1, 1, 1, 2, 2, 3, 5, 8)
#: Longest sequence generated.
MAX_LENGTH = 12
#: Index used for "the run raised an error" among the invariants' results.
RUN_ERROR = -1
#: After this many shrunk counterexamples to an invariant in a row that are no shorter than
#: the best, later ones are counted but not shrunk (shrinking costs up to length² runs).
PATIENCE = 20


@dataclass(frozen=True, slots=True)
class Step:
    """One event of a random sequence: which template, and how many days after the last."""

    template: int
    gap: int


@dataclass(frozen=True, slots=True)
class Counterexample:
    """The shortest sequence found that breaks an invariant, and the run that shows it."""

    invariant: int  # index in scenario.invariants, or RUN_ERROR
    label: str
    sequence: int  # which of the N sequences it was found in (before shrinking)
    seed: int
    found: int  # in how many of the N sequences the invariant broke
    events: tuple[EventSpec, ...]
    trace: Trace | None
    violation: str


@dataclass(frozen=True, slots=True)
class ExploreResult:
    sequences: int
    seed: int
    templates: int
    counterexamples: tuple[Counterexample, ...]
    invariants: int


def templates(scenario: Scenario) -> tuple[EventSpec, ...]:
    """The events sequences are drawn from: one per distinct scripted event (type, actor,
    target, codes, effects), then one plain event per declared type no event uses."""
    seen: dict[tuple[object, ...], EventSpec] = {}
    for e in scenario.events:
        key = (
            e.type,
            e.actor,
            e.target,
            e.relation,
            e.relations,
            e.stance,
            e.sides,
            e.codes,
            tuple(sorted(e.effects.items())),
        )
        seen.setdefault(key, e)
    out = list(seen.values())
    used = {e.type for e in out}
    first = scenario.relations[0].pair
    citation = scenario.events[0].source if scenario.events else None
    for name in scenario.event_types:
        if name in used or citation is None:
            continue
        out.append(
            EventSpec.model_construct(
                id=f"any-{name}",
                date=scenario.start,
                time=None,
                type=name,
                actor=(first[0],),
                target=(first[1],),
                relation=None,
                summary=f"a {name} event (explored)",
                codes=None,
                effects={},
                source=citation,
                date_basis="reported",
                date_note=None,
                caused_by=(),
                note="",
            )
        )
    return tuple(out)


class Explorer:
    """Runs random sequences of a scenario's events and checks its invariants on each."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.templates = templates(scenario)

    def events(self, steps: Sequence[Step]) -> tuple[EventSpec, ...]:
        day = self.scenario.start
        out = []
        for k, step in enumerate(steps):
            # Sequences stay within the scenario's span: events that would fall after its end
            # pile up on the last day.
            day = min(day + dt.timedelta(days=step.gap), self.scenario.end)
            t = self.templates[step.template]
            out.append(
                t.model_copy(
                    update={"id": f"e{k + 1}-{t.id}", "date": day, "time": None, "caused_by": ()}
                )
            )
        return tuple(out)

    def run(self, steps: Sequence[Step], seed: int) -> tuple[Trace | None, dict[int, str]]:
        """The run of ``steps`` and the invariants it breaks (index -> where)."""
        variant = self.scenario.model_copy(update={"events": self.events(steps), "expect": ()})
        try:
            trace = Simulator(variant).run(seed)
        except SimulationError as err:
            return None, {RUN_ERROR: str(err)}
        broken = {}
        for i, inv in enumerate(self.scenario.invariants):
            where = first_violation(inv, trace, self.scenario)
            if where is not None:
                broken[i] = where
        return trace, broken

    def shrink(self, steps: list[Step], seed: int, invariant: int) -> list[Step]:
        """Drop events one at a time while ``invariant`` still breaks; repeat until none can go."""
        changed = True
        while changed:
            changed = False
            for j in range(len(steps)):
                shorter = steps[:j] + steps[j + 1 :]
                if invariant in self.run(shorter, seed)[1]:
                    steps, changed = shorter, True
                    break
        return steps


def explore(
    scenario: Scenario,
    sequences: int,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> ExploreResult:
    """Run ``sequences`` random event sequences and report the shortest counterexample to each
    invariant broken (and to "the run raises no error")."""
    explorer = Explorer(scenario)
    rng = random.Random(seed)
    best: dict[int, Counterexample] = {}
    found: dict[int, int] = {}
    stale: dict[int, int] = {}  # shrinks in a row that found nothing shorter
    count = len(explorer.templates)
    for k in range(sequences if count else 0):
        steps = [
            Step(rng.randrange(count), rng.choice(GAPS)) for _ in range(rng.randint(1, MAX_LENGTH))
        ]
        run_seed = derive_seed(seed, k)
        _, broken = explorer.run(steps, run_seed)
        for index in broken:
            found[index] = found.get(index, 0) + 1
            if index in best and (len(best[index].events) <= 1 or stale[index] >= PATIENCE):
                continue  # nothing shorter than one event to find, or little hope of it
            small = explorer.shrink(list(steps), run_seed, index)
            if index in best and len(best[index].events) <= len(small):
                stale[index] += 1
                continue
            stale[index] = 0
            trace, again = explorer.run(small, run_seed)
            label = (
                "runs raise no error"
                if index == RUN_ERROR
                else invariant_label(scenario.invariants[index], scenario)
            )
            best[index] = Counterexample(
                index, label, k, run_seed, 0, explorer.events(small), trace, again[index]
            )
        if progress is not None:
            progress(k + 1, sequences)
    return ExploreResult(
        sequences,
        seed,
        count,
        tuple(dataclasses.replace(best[i], found=found[i]) for i in sorted(best)),
        len(scenario.invariants),
    )


__all__ = ["Counterexample", "ExploreResult", "Explorer", "Step", "explore", "templates"]
