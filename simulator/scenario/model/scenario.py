"""The scenario: one file's machine, actors, relations, variables, events and rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from simulator.scenario.model.base import ActorCode, Date, Frozen, Name, Text
from simulator.scenario.model.events import Actor, Codes, EventSpec, EventType, Source
from simulator.scenario.model.expect import ExpectSpec, InvariantSpec
from simulator.scenario.model.machine import (
    MachineSpec,
    RelationSpec,
    TrackSpec,
    VariableSpec,
)
from simulator.scenario.model.rules import RuleSpec
from simulator.scenario.parties import Reach
from simulator.scenario.traits import ScenarioTraits

#: Default cap on the responses one run may schedule (see ``max_responses``).
MAX_RESPONSES = 1000


class Scenario(ScenarioTraits, Frozen):
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

    if TYPE_CHECKING:  # the traits' methods, typed for the models (defined in ScenarioTraits)

        def codes_of(self, event: EventSpec) -> Codes: ...

        def relation(self, pair: tuple[str, str]) -> RelationSpec | None: ...

        def as_track(self, track: str) -> Scenario: ...

        def reach(self, event: EventSpec) -> tuple[Reach, ...]: ...
