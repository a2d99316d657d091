"""Response rules: "when an event matching X happens, actor A responds with Y after a delay D,
with probability p" — and parameters, the named constants expressions may read.

Rules are off in a pure replay (a scenario without ``rules``); they are what makes a what-if
stochastic. The engine draws from the run's own random generator only.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictBool, model_validator

from simulator.core.errors import did_you_mean
from simulator.scenario.model.base import (
    ActorCode,
    EventId,
    ExpressionField,
    Frozen,
    Name,
    Pair,
    Text,
    as_tuple,
    invalid,
    one_or_many,
    to_expression,
)
from simulator.scenario.model.events import Citation, Codes, citations

_ROLE = re.compile(r"^(actor|target|[A-Z][A-Z0-9_]*)$")


def _role(value: Any) -> Any:
    # Said in words, with a suggestion ("tagret" -> "target"), rather than as the pattern.
    if isinstance(value, str) and not _ROLE.match(value):
        raise invalid(
            f"{value!r} is not 'actor', 'target' or an actor code"
            + did_you_mean(value, ["actor", "target"])
        )
    return value


#: Who responds, or at whom: the triggering event's ``actor`` or (sole) ``target``, or a code.
Role = Annotated[
    str, Field(min_length=1, pattern=r"^(actor|target|[A-Z][A-Z0-9_]*)$"), BeforeValidator(_role)
]


def _one_responder(value: Any) -> Any:
    if isinstance(value, list | tuple):
        raise invalid(
            "a response has one actor: write one code, or 'actor' or 'target' (the trigger's); "
            "an act of several parties is an event with 'actor: [A, B]'"
        )
    return value


def _fixed(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"fixed": value}
    return value


#: The longest delay a rule may give, in days (100 years): a delay, a uniform or triangular
#: bound, an exponential mean or a log-normal median. A response due later than a century
#: after its trigger says nothing about a scenario of days and months, and the calendar ends
#: with the year 9999 (a longer draw, from an exponential's or a log-normal's tail, is still
#: played: it is due after the run's end, and the run's log says so).
MAX_DELAY_DAYS = 36_500
#: The widest log-normal delay: a ``sigma`` of 10 already spreads the middle 95% of delays
#: over a factor of 10^17.
MAX_SIGMA = 10


def _not_negative(value: Any) -> Any:
    # Checked before pydantic's ge=0 so that the message says why, not just "greater than".
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        raise invalid(
            f"a delay cannot be negative (got {value!r}): a response comes after the event "
            "that triggers it"
        )
    return _not_too_long(value)


def _not_too_long(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > MAX_DELAY_DAYS:
        shown = f"{value:g}" if isinstance(value, float) else _digits(value)
        raise invalid(f"a delay is at most {MAX_DELAY_DAYS:,} days, 100 years (got {shown})")
    return value


def _digits(value: int) -> str:
    text = str(value)
    return text if len(text) <= 20 else f"{text[:12]}... ({len(text)} digits)"


#: A number of days a response waits: never negative, at most MAX_DELAY_DAYS.
Days = Annotated[float, Field(ge=0, le=MAX_DELAY_DAYS), BeforeValidator(_not_negative)]
#: A typical delay of a distribution (a mean, a median): positive, at most MAX_DELAY_DAYS.
TypicalDays = Annotated[float, Field(gt=0, le=MAX_DELAY_DAYS), BeforeValidator(_not_too_long)]


class Delay(Frozen):
    """How long after its trigger a response happens, in days: exactly one distribution."""

    fixed: Days | None = None
    uniform: tuple[Days, Days] | None = None
    triangular: tuple[Days, Days, Days] | None = None
    exponential: TypicalDays | None = Field(default=None, description="mean delay in days")
    lognormal: LogNormal | None = None

    @model_validator(mode="after")
    def _one_distribution(self) -> Delay:
        chosen = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(chosen) != 1:
            kinds = ", ".join(type(self).model_fields)
            raise invalid(f"a delay is exactly one of {kinds} (got {', '.join(chosen) or 'none'})")
        if self.uniform is not None and self.uniform[0] > self.uniform[1]:
            raise invalid(f"uniform delay bounds {list(self.uniform)} are in the wrong order")
        if self.triangular is not None and not (
            self.triangular[0] <= self.triangular[1] <= self.triangular[2]
        ):
            raise invalid(f"triangular delay {list(self.triangular)} must be [low, mode, high]")
        return self


class LogNormal(Frozen):
    """A log-normal delay: its median in days and the standard deviation of its logarithm."""

    median: TypicalDays
    sigma: Annotated[float, Field(ge=0, le=MAX_SIGMA)]


DelayField = Annotated[
    Delay, BeforeValidator(_fixed, json_schema_input_type=Annotated[float, Field(ge=0)] | Delay)
]


class EventPattern(Frozen):
    """Which events a rule reacts to (or which cancel a pending response): every key given
    must match; a list matches any of its items."""

    type: (
        Annotated[
            tuple[Name, ...], BeforeValidator(as_tuple, json_schema_input_type=one_or_many(Name))
        ]
        | None
    ) = None
    actor: (
        Annotated[
            tuple[ActorCode, ...],
            BeforeValidator(as_tuple, json_schema_input_type=one_or_many(ActorCode)),
        ]
        | None
    ) = None
    target: (
        Annotated[
            tuple[ActorCode, ...],
            BeforeValidator(as_tuple, json_schema_input_type=one_or_many(ActorCode)),
        ]
        | None
    ) = None
    relation: Pair | None = None
    state: (
        Annotated[
            tuple[Name, ...], BeforeValidator(as_tuple, json_schema_input_type=one_or_many(Name))
        ]
        | None
    ) = None
    guard: ExpressionField | None = None


class Response(Frozen):
    """The event a rule schedules."""

    type: Name
    actor: Annotated[Role, BeforeValidator(_one_responder)] = "target"
    target: Annotated[
        tuple[Role, ...],
        Field(min_length=1),
        BeforeValidator(as_tuple, json_schema_input_type=one_or_many(Role)),
    ] = ("actor",)
    relation: Pair | None = None
    summary: Text = ""
    codes: Codes | None = None
    effects: dict[Name, float] = Field(default_factory=dict)


#: A number written as text ("5", "0.25", "1e-3"): a probability, not an expression.
_NUMBER_TEXT = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def _probability_number(value: Any) -> Any:
    # A number must be a probability, written bare or as text ("5" is no more a chance than 5);
    # other text is read as an expression (whose value is clamped to [0, 1]). The expression is
    # parsed here, so that a bad one gets one message rather than one per member of the union.
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 0.0 <= value <= 1.0:
            raise invalid(f"probability {value} is outside [0, 1]")
        return float(value)
    if isinstance(value, str):
        return to_expression(value)
    return value


class RuleSpec(Frozen):
    """A response rule."""

    id: EventId
    description: Text = ""
    when: EventPattern
    respond: Response
    probability: Annotated[
        float | ExpressionField,
        BeforeValidator(
            _probability_number,
            json_schema_input_type=Annotated[float, Field(ge=0, le=1)] | str,
        ),
    ] = 1.0
    # model_construct: a literal default needs no validation (and would build Delay's
    # validator at import, which Frozen defers to the first file that has rules).
    delay: DelayField = Delay.model_construct(fixed=0)
    cancel_on: EventPattern | None = None
    max_fires: Annotated[int, Field(ge=0)] | None = None
    enabled: StrictBool = True
    source: (
        Annotated[
            tuple[Citation, ...],
            BeforeValidator(citations, json_schema_input_type=one_or_many(Citation)),
        ]
        | None
    ) = None


__all__ = [
    "MAX_DELAY_DAYS",
    "MAX_SIGMA",
    "Days",
    "Delay",
    "EventPattern",
    "LogNormal",
    "Response",
    "Role",
    "RuleSpec",
]
