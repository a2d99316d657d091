"""The scenario: immutable, validated types for everything a scenario file declares.

These pydantic models are the single description of format version 1. The loader feeds
them plain data read from YAML; ``dipsim schema`` prints their JSON Schema for editors.
Checks that need the whole scenario (names that must resolve, dates inside the
scenario's span) live in :mod:`simulator.scenario.validation`, which reports them with locations.
"""

from simulator.scenario.model.base import FORMAT_VERSION, PLOVER_TYPES, relation_id
from simulator.scenario.model.edits import (
    EDIT_KINDS,
    AddEvent,
    AddRule,
    Edit,
    RemoveEvents,
    RemoveRule,
    ReplaceEvent,
    SetValue,
    ShiftEvents,
    parse_edit,
)
from simulator.scenario.model.events import (
    Actor,
    Citation,
    Codes,
    DateClaim,
    EventSpec,
    EventType,
    Source,
    UncertainDate,
)
from simulator.scenario.model.expect import (
    EXPECT_KINDS,
    INVARIANT_KINDS,
    ExpectSpec,
    InvariantSpec,
    key_field,
)
from simulator.scenario.model.machine import (
    DIPLOMATIC,
    MachineSpec,
    RelationSpec,
    StateSpec,
    TrackSpec,
    TransitionSpec,
    VariableSpec,
)
from simulator.scenario.model.rules import Delay, EventPattern, LogNormal, Response, RuleSpec
from simulator.scenario.model.scenario import MAX_RESPONSES, Scenario
from simulator.scenario.parties import Reach

__all__ = [
    "DIPLOMATIC",
    "EDIT_KINDS",
    "EXPECT_KINDS",
    "FORMAT_VERSION",
    "INVARIANT_KINDS",
    "MAX_RESPONSES",
    "PLOVER_TYPES",
    "Actor",
    "AddEvent",
    "AddRule",
    "Citation",
    "Codes",
    "DateClaim",
    "Delay",
    "Edit",
    "EventPattern",
    "EventSpec",
    "EventType",
    "ExpectSpec",
    "InvariantSpec",
    "LogNormal",
    "MachineSpec",
    "Reach",
    "RelationSpec",
    "RemoveEvents",
    "RemoveRule",
    "ReplaceEvent",
    "Response",
    "RuleSpec",
    "Scenario",
    "SetValue",
    "ShiftEvents",
    "Source",
    "StateSpec",
    "TrackSpec",
    "TransitionSpec",
    "UncertainDate",
    "VariableSpec",
    "key_field",
    "parse_edit",
    "relation_id",
]
