"""Claims a scenario makes about itself: ``expect`` items about a run, ``invariants`` over all.

An expectation is one checkable statement about the outcome (the state of a relation on a
date, a state reached by a date, a state never reached, the outcome of an event, the final
state); with ``at_least``/``at_most`` it becomes a bound on the share of runs in which the
statement holds. An invariant is a rule that must hold after every event of every run
(``restored`` is only entered from ``envoys_recalled``), checked on the runs ``dipsim check``
makes and hunted for by ``dipsim check --explore``.

Each item is one mapping whose keys say its kind, so files read as sentences::

    expect:
      - {state: envoys_recalled, date: 2024-01-17}
      - {stays: envoys_recalled, from: 2024-01-17, until: 2024-01-25}
      - {state: restored, not_before: 2024-01-26}
      - {reaches: restored, by: 2024-01-31, at_least: 0.8}
    invariants:
      - {enter: restored, only_from: [envoys_recalled]}
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from simulator.scenario.model.base import (
    Date,
    EventId,
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
    EXPECT_KINDS,
    INVARIANT_KINDS,
    ExpectSpecTraits,
    InvariantSpecTraits,
    key_field,
    kinds_set,
)

#: What ``outcome`` may say of an event: an engine outcome, or accepted (= ``transition``) /
#: rejected (= ``guard_failed`` or ``no_transition``).
OutcomeWord = Literal["accepted", "rejected", "transition", "guard_failed", "no_transition"]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


def _kind_of(item: Frozen, kinds: dict[str, tuple[str, ...]], what: str) -> str:
    """The one kind whose first key ``item`` sets; an error naming the choices otherwise."""
    chosen = kinds_set(item, kinds)
    if len(chosen) != 1:
        # As written: a kind whose further key is another kind's name leads with it
        # (state+not_before).
        forms = "; ".join(
            "+".join(sorted(keys, key=lambda k: k == keys[0] or k not in kinds))
            for keys in kinds.values()
        )
        got = ", ".join(chosen) or "none of them"
        raise invalid(f"{what} is exactly one of: {forms} (got {got})")
    kind = chosen[0]
    missing = [k for k in kinds[kind] if getattr(item, key_field(k)) is None]
    if missing:
        raise invalid(f"{what} of kind {kind!r} also needs {', '.join(map(repr, missing))}")
    return kind


#: The keys that belong to one kind of expectation only (``date`` to ``state``, ``from`` and
#: ``until`` to ``stays`` ...): on another kind they would be ignored, so they are errors.
_FURTHER_KEYS = {
    key: kind for kind, keys in EXPECT_KINDS.items() for key in keys[1:] if key not in EXPECT_KINDS
}


class ExpectSpec(ExpectSpecTraits, Frozen):
    """One expectation: a statement about a run, or a bound on the share of runs where it holds."""

    id: EventId | None = Field(default=None, description="a name for the report")
    relation: Pair | None = Field(
        default=None, description="whose state; may be left out when there is one relation"
    )
    state: Name | None = Field(
        default=None,
        description="with `date`: the state at the end of that day; with `not_before`: a state "
        "not entered on any day before that one",
    )
    date: Date | None = None
    not_before: Date | None = Field(
        default=None, description="for state: the first day on which it may be entered"
    )
    stays: Name | None = Field(
        default=None,
        description="a state the relation is in at the end of `from` and does not leave up to "
        "and including `until`",
    )
    # `from` is a Python keyword: the field is from_, the key as written is its alias.
    from_: Date | None = Field(default=None, alias="from", description="for stays: the first day")
    until: Date | None = Field(default=None, description="for stays: the last day")
    reaches: Name | None = Field(default=None, description="a state entered (by `by`)")
    never: Name | None = Field(default=None, description="a state never entered (by `by`)")
    by: Date | None = Field(default=None, description="for reaches/never: up to this day")
    event: str | None = Field(
        default=None,
        min_length=1,
        description="an event id, or a rule response's id (`rule-id#1` is its first)",
    )
    outcome: OutcomeWord | None = None
    to: Name | None = Field(
        default=None, description="for event: the state the event leaves its relation in"
    )
    final: Name | None = Field(default=None, description="the state when the run stops")
    track: Name | None = Field(
        default=None, description="whose states: a track's (default: the diplomatic machine's)"
    )
    at_least: Probability | None = Field(
        default=None, description="the statement holds in at least this share of runs"
    )
    at_most: Probability | None = Field(
        default=None, description="the statement holds in at most this share of runs"
    )
    note: Text = ""

    # Field validators, so that the message points at the key that clashes with an earlier one
    # (pydantic validates fields in this order: state, date, not_before, ..., from_, until).
    @field_validator("not_before")
    @classmethod
    def _not_with_date(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        if value is not None and info.data.get("date") is not None and info.data.get("state"):
            raise invalid(
                "'state' takes 'date' (the state on that day) or 'not_before' (not entered "
                "before that day), not both"
            )
        return value

    @field_validator("until")
    @classmethod
    def _not_before_from(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        first = info.data.get("from_")
        if value is not None and first is not None and first > value:
            raise invalid(f"'from' {first} is after 'until' {value}")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> ExpectSpec:
        kind = _kind_of(self, EXPECT_KINDS, "an expectation")
        for key, owner in _FURTHER_KEYS.items():
            if owner != kind and getattr(self, key_field(key)) is not None:
                raise invalid(f"{key!r} goes with {owner!r}, not with {kind!r}")
        if self.by is not None and kind not in {"reaches", "never"}:
            raise invalid(f"'by' goes with 'reaches' or 'never', not with {kind!r}")
        if self.to is not None and kind != "event":
            raise invalid(f"'to' goes with 'event', not with {kind!r}")
        if self.track is not None and kind == "event":
            raise invalid(
                "'track' goes with state, stays, reaches, never or final, not with 'event'"
            )
        if self.relation is not None and kind == "event":
            raise invalid("an event names its own relation: leave 'relation' out")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise invalid(f"at_least {self.at_least} is greater than at_most {self.at_most}")
        return self


class InvariantSpec(InvariantSpecTraits, Frozen):
    """A rule every run must keep, checked after every event on the relation(s) it names."""

    id: EventId | None = Field(default=None, description="a name for the report")
    relation: Pair | None = Field(default=None, description="default: every relation")
    enter: Name | None = Field(default=None, description="a state that may be entered ...")
    only_from: (
        Annotated[
            tuple[Name, ...],
            Field(min_length=1),
            BeforeValidator(as_tuple, json_schema_input_type=one_or_many(Name)),
        ]
        | None
    ) = Field(default=None, description="... only from these states")
    never: Name | None = Field(default=None, description="a state never entered")
    always: ExpressionField | None = Field(
        default=None, description="an expression over the variables that holds after each event"
    )
    while_in: (
        Annotated[
            tuple[Name, ...],
            Field(min_length=1),
            BeforeValidator(as_tuple, json_schema_input_type=one_or_many(Name)),
        ]
        | None
    ) = Field(default=None, description="for always: only while the relation is in these states")
    note: Text = ""

    @model_validator(mode="after")
    def _one_kind(self) -> InvariantSpec:
        kind = _kind_of(self, INVARIANT_KINDS, "an invariant")
        if self.only_from is not None and kind != "enter":
            raise invalid("'only_from' goes with 'enter'")
        if self.while_in is not None and kind != "always":
            raise invalid("'while_in' goes with 'always'")
        return self


__all__ = [
    "EXPECT_KINDS",
    "INVARIANT_KINDS",
    "ExpectSpec",
    "InvariantSpec",
    "OutcomeWord",
    "key_field",
]
