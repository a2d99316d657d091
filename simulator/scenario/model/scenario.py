"""The scenario: one file's machine, actors, relations, variables, events and rules."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from simulator.scenario.model.base import ActorCode, Date, Frozen, Name, Text
from simulator.scenario.model.events import Actor, Codes, EventSpec, EventType, Source
from simulator.scenario.model.expect import ExpectSpec, InvariantSpec
from simulator.scenario.model.machine import (
    DIPLOMATIC,
    MachineSpec,
    RelationSpec,
    TrackSpec,
    VariableSpec,
)
from simulator.scenario.model.parties import Reach, reach
from simulator.scenario.model.rules import RuleSpec

#: Default cap on the responses one run may schedule (see ``max_responses``).
MAX_RESPONSES = 1000


class Scenario(Frozen):
    """One scenario file, validated: machine, actors, relations, variables and events."""

    dipsim: Literal[1] = Field(description="format version")
    title: Annotated[str, Field(min_length=1, max_length=500)]
    description: Text = ""
    start: Date
    end: Date
    sources: dict[str, Source] = Field(default_factory=dict)
    actors: Annotated[dict[ActorCode, Actor], Field(min_length=1)]
    event_types: dict[Name, EventType] = Field(default_factory=dict)
    machine: MachineSpec
    variables: dict[Name, VariableSpec] = Field(default_factory=dict)
    relations: Annotated[tuple[RelationSpec, ...], Field(min_length=1)]
    events: tuple[EventSpec, ...] = ()
    parameters: dict[Name, float] = Field(default_factory=dict)
    rules: tuple[RuleSpec, ...] = ()
    max_responses: Annotated[int, Field(ge=0)] = MAX_RESPONSES
    expect: tuple[ExpectSpec, ...] = ()
    invariants: tuple[InvariantSpec, ...] = ()
    tracks: dict[Name, TrackSpec] = Field(default_factory=dict)

    def codes_of(self, event: EventSpec) -> Codes:
        """An event's codes: its type's codes with the event's own codes on top."""
        base = self.event_types[event.type].codes if event.type in self.event_types else Codes()
        return base.merged(event.codes)

    def initial_state(self, relation: RelationSpec) -> str:
        """The state a relation starts in: its own ``initial``, else the machine's."""
        return relation.initial or self.machine.initial

    def track_states(self, track: str | None) -> tuple[str, ...]:
        """The states of a track (``None`` or ``diplomatic``: the machine's), or ``()``."""
        if track is None or track == DIPLOMATIC:
            return self.machine.state_names
        spec = self.tracks.get(track)
        return spec.state_names if spec is not None else ()

    @property
    def track_orders(self) -> dict[str, tuple[str, ...]]:
        """Each parallel track's states, calm to crisis (as outputs order and colour them)."""
        return {name: track.state_names for name, track in self.tracks.items()}

    def as_track(self, track: str) -> Scenario:
        """This scenario with the parallel track ``track`` in the machine's place, every
        relation starting in the track's initial state: how outputs and the analysis made for
        the machine read a track (``diplomatic``: the scenario itself)."""
        if track == DIPLOMATIC:
            return self
        relations = tuple(r.model_copy(update={"initial": None}) for r in self.relations)
        return self.model_copy(update={"machine": self.tracks[track], "relations": relations})

    def initial_values(self, relation: RelationSpec) -> dict[str, float]:
        """A relation's variables at the start: its own values, else each variable's initial."""
        return {
            name: relation.variables.get(name, spec.initial_value)
            for name, spec in self.variables.items()
        }

    def relation(self, pair: tuple[str, str]) -> RelationSpec | None:
        """The declared relation between two actors, whichever way round."""
        wanted = frozenset(pair)
        return next((r for r in self.relations if frozenset(r.pair) == wanted), None)

    def reach(self, event: EventSpec) -> tuple[Reach, ...]:
        """The declared relations ``event`` reaches and its tone on each (see
        :mod:`simulator.scenario.model.parties`); none if it reaches none (validation says
        why)."""
        return reach(self, event)[0]
