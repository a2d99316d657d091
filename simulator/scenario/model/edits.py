"""What-if files: ``extends`` another scenario and lists ``edits`` to it.

Each edit is one mapping with exactly one operation key (``remove``, ``add``, ``replace``,
``shift``, ``set``, ``add_rule``, ``remove_rule``) and that operation's options.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictBool, model_validator

from simulator.scenario.model.base import Date, EventId, Frozen, as_tuple, invalid, one_or_many
from simulator.scenario.model.events import EventSpec
from simulator.scenario.model.rules import RuleSpec

Ids = Annotated[
    tuple[EventId, ...],
    Field(min_length=1),
    BeforeValidator(as_tuple, json_schema_input_type=one_or_many(EventId)),
]


class RemoveEvents(Frozen):
    """Remove events, and (transitively) every event that names one of them in ``caused_by``,
    except those listed in ``keep`` (whose ``caused_by`` then drops the removed ids)."""

    remove: Ids
    keep: Annotated[
        tuple[EventId, ...], BeforeValidator(as_tuple, json_schema_input_type=one_or_many(EventId))
    ] = ()


class AddEvent(Frozen):
    """Add an event."""

    add: EventSpec


class ReplaceEvent(Frozen):
    """Change some fields of an event; the others stay as they are."""

    replace: EventId
    with_: dict[str, Any] = Field(alias="with", min_length=1)


class ShiftEvents(Frozen):
    """Move events in time: ``by`` a number of days, or ``to`` a date."""

    shift: Ids
    by: float | None = None
    to: Date | None = None
    with_consequences: StrictBool = False

    @model_validator(mode="after")
    def _by_or_to(self) -> ShiftEvents:
        if (self.by is None) == (self.to is None):
            raise invalid("a shift needs exactly one of 'by' (days) or 'to' (a date)")
        return self


class SetValue(Frozen):
    """Set any value of the scenario by its path, e.g. ``variables.tension.decay_per_day``,
    ``rules[retaliation].probability``, ``machine.transitions[militant_attack].guard``."""

    set: Annotated[str, Field(min_length=1, max_length=500)]
    value: Any


class AddRule(Frozen):
    """Add a response rule (or replace the rule with the same id)."""

    add_rule: RuleSpec


class RemoveRule(Frozen):
    """Remove a response rule."""

    remove_rule: EventId


EDIT_KINDS: dict[str, type[Frozen]] = {
    "remove": RemoveEvents,
    "add": AddEvent,
    "replace": ReplaceEvent,
    "shift": ShiftEvents,
    "set": SetValue,
    "add_rule": AddRule,
    "remove_rule": RemoveRule,
}

Edit = RemoveEvents | AddEvent | ReplaceEvent | ShiftEvents | SetValue | AddRule | RemoveRule


#: Other names users give the operations (from other tools' vocabularies), and the dipsim one.
_OTHER_NAMES = {
    "delete": "remove",
    "drop": "remove",
    "move": "shift",
    "insert": "add",
    "change": "replace",
    "update": "replace",
}


def parse_edit(data: Any) -> Edit:
    """The edit a mapping describes, chosen by its operation key.

    Raises:
        ValueError: No operation key, or more than one.
        pydantic.ValidationError: The operation's options are invalid.
    """
    if not isinstance(data, dict):
        raise ValueError(f"an edit is a mapping with one of {', '.join(EDIT_KINDS)}")
    ops = [k for k in EDIT_KINDS if k in data]
    if len(ops) != 1:
        found = ", ".join(ops) or "none"
        guessed = [f"{k!r} is {_OTHER_NAMES[k]!r}" for k in data if k in _OTHER_NAMES]
        also = f": {'; '.join(guessed)}" if guessed and not ops else ""
        raise ValueError(
            f"an edit has exactly one of {', '.join(EDIT_KINDS)} (found {found}){also}"
        )
    model: Any = EDIT_KINDS[ops[0]].model_validate(data)
    return model  # type: ignore[no-any-return]


__all__ = [
    "EDIT_KINDS",
    "AddEvent",
    "AddRule",
    "Edit",
    "RemoveEvents",
    "RemoveRule",
    "ReplaceEvent",
    "SetValue",
    "ShiftEvents",
    "parse_edit",
]
