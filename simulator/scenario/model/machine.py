"""The relation machine, the variables attached to relations, and the relations themselves."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictBool, model_validator

from simulator.scenario.model.base import (
    ExpressionField,
    Frozen,
    Name,
    Pair,
    Text,
    as_tuple,
    invalid,
    one_or_many,
)
from simulator.scenario.traits import (
    DIPLOMATIC,
    MachineSpecTraits,
    RelationSpecTraits,
    VariableSpecTraits,
)


def _state_item(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class StateSpec(Frozen):
    """A relation state."""

    name: Name
    description: Text = ""
    final: StrictBool = False


class TransitionSpec(Frozen):
    """A transition: ``trigger`` moves a relation from a ``source`` state to ``dest``."""

    trigger: Name
    source: Annotated[
        tuple[str, ...],
        Field(min_length=1),
        BeforeValidator(as_tuple, json_schema_input_type=one_or_many(str)),
    ]
    dest: Name
    guard: ExpressionField | None = None
    note: Text = ""


class MachineSpec(MachineSpecTraits, Frozen):
    """The relation state machine shared by every relation of the scenario."""

    states: Annotated[
        tuple[
            Annotated[
                StateSpec, BeforeValidator(_state_item, json_schema_input_type=str | StateSpec)
            ],
            ...,
        ],
        Field(min_length=1),
    ]
    initial: Name
    transitions: tuple[TransitionSpec, ...] = ()


__all__ = ["DIPLOMATIC"]  # defined with the types' behaviour (simulator.scenario.traits)


class TrackSpec(MachineSpec):
    """A parallel track: a machine of its own that every relation also carries (an economic
    track, a military posture), fired by the same events through its own transitions."""

    description: Text = ""


class VariableSpec(VariableSpecTraits, Frozen):
    """A number attached to every relation (e.g. ``tension``)."""

    min: float = 0.0
    max: float = 1.0
    initial: float | None = None
    rest: float | None = None
    decay_per_day: float = Field(default=0.0, ge=0.0, le=1.0)
    per_goldstein: float = 0.0
    description: Text = ""
    #: Per diplomatic state: the decay and the resting value while a relation is in it (the
    #: single values above hold in every state not named).
    decay_in: dict[Name, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(default_factory=dict)
    rest_in: dict[Name, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bounds(self) -> VariableSpec:
        if self.min > self.max:
            raise invalid(f"min {self.min} is greater than max {self.max}")
        for key in ("initial", "rest"):
            value = getattr(self, key)
            if value is not None and not self.min <= value <= self.max:
                raise invalid(f"{key} {value} is outside [{self.min}, {self.max}]")
        for state, value in self.rest_in.items():
            if not self.min <= value <= self.max:
                raise invalid(f"rest_in.{state} {value} is outside [{self.min}, {self.max}]")
        return self


class RelationSpec(RelationSpecTraits, Frozen):
    """A relation between two actors, with its own state and variables."""

    pair: Pair
    initial: Name | None = None
    variables: dict[Name, float] = Field(default_factory=dict)
    note: Text = ""
