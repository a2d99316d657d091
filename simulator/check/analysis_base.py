"""What the static analysis's checks share: a finding, the scenario prepared once, small helpers.

:mod:`simulator.check.analysis` (states, triggers, guards, premises) and
:mod:`simulator.check.analysis_rules` (rules and their cascades) build on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

from simulator.check.intervals import Approx, Guards
from simulator.core.errors import KeyPath, Location, format_key_path
from simulator.core.expressions import Expression
from simulator.scenario.model import EventPattern, RuleSpec, Scenario, TransitionSpec

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the analysis found, at the YAML location of the thing concerned."""

    severity: Severity
    code: str
    location: Location
    key_path: KeyPath
    message: str

    def __str__(self) -> str:
        path = format_key_path(self.key_path)
        where = f"{path}: " if path else ""
        return f"{self.location}: {self.severity}: {where}{self.message} [{self.code}]"


class Raw(NamedTuple):
    """A finding before it is located."""

    severity: Severity
    code: str
    path: KeyPath
    message: str


# --- The scenario, prepared -------------------------------------------------------------------


class Context:
    """What several checks need: states, transitions' sources, guards, the rules that can fire."""

    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.states = scenario.machine.state_names
        bounds = {name: (v.min, v.max) for name, v in scenario.variables.items()}
        self.guards = Guards(bounds, scenario.parameters)
        # A trigger some track's transitions take is handled too (the event moves that track).
        self.handled = {
            t.trigger for m in (scenario.machine, *scenario.tracks.values()) for t in m.transitions
        }
        # Rules that may fire at all: enabled, a chance above 0, fires left, a possible guard.
        self.live = [
            (i, r)
            for i, r in enumerate(scenario.rules)
            if r.enabled
            and r.probability != 0.0
            and r.max_fires != 0
            and not self.guards.never(self.approx(r.when.guard))
        ]
        self.active, self.produced = self._fixed_point()

    def approx(self, guard: Expression | None) -> Approx:
        return self.guards.approx(None if guard is None else guard.text)

    def sources(self, t: TransitionSpec) -> tuple[str, ...]:
        return self.states if "*" in t.source else t.source

    def _fixed_point(self) -> tuple[list[tuple[int, RuleSpec]], set[str]]:
        """The live rules some event can set off, and every event type a run can produce."""
        produced = {e.type for e in self.s.events}
        active: dict[int, RuleSpec] = {}
        grew = True
        while grew:
            grew = False
            for i, r in self.live:
                if i not in active and may_match_type(r.when, produced):
                    active[i] = r
                    produced.add(r.respond.type)
                    grew = True
        return sorted(active.items()), produced


def may_match_type(p: EventPattern, types: set[str]) -> bool:
    return bool(types) if p.type is None else not types.isdisjoint(p.type)


def quote_names(names: Iterable[str], limit: int = 4) -> str:
    items = [repr(n) for n in names]
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" and {more} more" if more > 0 else "")


def describe(i: int, t: TransitionSpec) -> str:
    source = ", ".join(t.source)
    return f"transitions[{i}] ({t.trigger}: {source} → {t.dest})"


__all__ = ["Context", "Finding", "Raw", "Severity", "describe", "may_match_type", "quote_names"]
