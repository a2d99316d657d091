"""Shared building blocks of the scenario types: names, dates, expressions, the frozen base."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from simulator.core.errors import QUOTED_MOST, ExpressionError
from simulator.core.expressions import Expression, parse_expression
from simulator.scenario.traits import relation_id

if TYPE_CHECKING:
    from simulator.scenario.traits import Kind

FORMAT_VERSION = 1


#: PLOVER's sixteen event types (Political Language Ontology for Verifiable Event Records).
PLOVER_TYPES = frozenset(
    {
        "AGREE",
        "CONSULT",
        "SUPPORT",
        "CONCEDE",
        "COOPERATE",
        "AID",
        "RETREAT",
        "REQUEST",
        "ACCUSE",
        "REJECT",
        "THREATEN",
        "PROTEST",
        "SANCTION",
        "MOBILIZE",
        "COERCE",
        "ASSAULT",
    }
)


def invalid(message: str) -> PydanticCustomError:
    """A validation error whose message is shown as written (formatted here, in Python:
    pydantic's templates only fill plain ``{name}`` fields)."""
    return PydanticCustomError("dipsim", "{message}", {"message": message})


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _name_rule(
    kind: str, pattern: str, rule: str, longest: int, fix: Callable[[str], str]
) -> Callable[[Any], Any]:
    """A check of one kind of name that says what is wrong in words (pydantic would print the
    regular expression), with a corrected spelling when one is obvious. It runs before the
    ``Field`` constraints, which stay for the JSON Schema and catch anything it lets through."""
    matcher = re.compile(pattern)

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not value:
            raise invalid(f"an empty {kind} is not allowed: {rule}")
        if len(value) > longest:
            raise invalid(
                f"{kind} {_short(value)} is {len(value):,} characters long (at most {longest})"
            )
        if not matcher.match(value):
            fixed = fix(value)
            hint = f" (did you mean {fixed!r}?)" if fixed and matcher.match(fixed) else ""
            raise invalid(f"{value!r} is not a valid {kind}: {rule}{hint}")
        return value

    return check


_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_ACTOR_CODE = r"^[A-Z][A-Z0-9_]*$"
_EVENT_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"

#: A state, event type, variable or parameter name.
Name = Annotated[
    str,
    Field(min_length=1, max_length=200, pattern=_NAME),
    BeforeValidator(
        _name_rule(
            "name",
            _NAME,
            "use letters, digits and _, not starting with a digit",
            200,
            lambda v: re.sub(r"[^A-Za-z0-9_]+", "_", v.strip()),
        )
    ),
]
#: An actor's code: ``PAK``, ``EU``, ``NO``.
ActorCode = Annotated[
    str,
    Field(min_length=1, max_length=16, pattern=_ACTOR_CODE),
    BeforeValidator(
        _name_rule(
            "actor code",
            _ACTOR_CODE,
            "use capital letters, digits and _, starting with a capital letter",
            16,
            lambda v: v.strip().upper(),
        )
    ),
]
#: An event's (or rule's) id: ``iran-strikes-pakistan``.
EventId = Annotated[
    str,
    Field(min_length=1, max_length=200, pattern=_EVENT_ID),
    BeforeValidator(
        _name_rule(
            "event id",
            _EVENT_ID,
            "use letters, digits, '.', '_' and '-', starting with a letter or digit",
            200,
            lambda v: re.sub(r"[^A-Za-z0-9_.-]+", "-", v.strip()).lstrip("._-"),
        )
    ),
]
_RECORD_ID = r"^[A-Za-z0-9_.:/-]+$"
#: A record id as data files give them (ICEWS Event ID, GDELT GLOBALEVENTID): short, and made
#: of letters, digits and ``_ . : / -`` only (never the tabs, commas or line breaks that delimit
#: a file's fields, nor anything an output would have to escape).
RecordId = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=_RECORD_ID),
    BeforeValidator(
        _name_rule(
            "record id",
            _RECORD_ID,
            "use letters, digits and _ . : / - (a record id is one field of its data file)",
            64,
            lambda v: v.strip(),
        )
    ),
]
Text = Annotated[str, Field(max_length=10_000)]


def to_expression(value: Any) -> Expression:
    """``value`` parsed as an expression (an :class:`Expression` as it is), or a validation
    error with the expression's message."""
    if isinstance(value, Expression):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid(f"expected an expression as text, got {value!r}")
    try:
        return _parsed(str(value))
    except ExpressionError as err:
        raise invalid(str(err)) from None


@functools.lru_cache(maxsize=4_096)
def _parsed(text: str) -> Expression:
    # An Expression is immutable, so one per text can serve every scenario that validates it:
    # a batch validates each design point's scenario, and its guards are the same texts every
    # time (parsing them was a third of the cost of a design point). Failures are not cached.
    return parse_expression(text)


#: A guard or probability expression, parsed and compiled while the scenario validates.
ExpressionField = Annotated[
    Expression,
    BeforeValidator(to_expression),
    PlainSerializer(lambda e: e.text, return_type=str),
    WithJsonSchema(
        {"type": "string", "description": "expression over variables, e.g. 'tension >= 0.6'"}
    ),
]


def _date_text(value: Any) -> Any:
    # YAML gives dates as text here; a bare number would otherwise be read by pydantic as a
    # Unix timestamp (1709337600 -> 2024-03-02), silently.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise invalid(f"expected a date written YYYY-MM-DD, got the number {value!r}")
    return value


def _time_text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise invalid(f"expected a time of day written HH:MM, got the number {value!r}")
    return value


def _naive(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise invalid(
            f"a time of day takes no time zone (got {value.isoformat()}): write the local "
            "time of the scenario's calendar"
        )
    return value


#: A calendar date written ``YYYY-MM-DD``.
Date = Annotated[dt.date, BeforeValidator(_date_text)]
#: A time of day written ``HH:MM`` or ``HH:MM:SS``, without a time zone.
TimeOfDay = Annotated[dt.time, AfterValidator(_naive), BeforeValidator(_time_text)]


def one_or_many(item: Any) -> Any:
    """The JSON Schema input type "one item, or a non-empty list of them"."""
    return item | Annotated[list[item], Field(min_length=1)]


class Frozen(BaseModel):
    """Base of every scenario type: immutable, and unknown keys are errors."""

    # defer_build: a model's validator is built when it first validates, not at import, so a
    # run pays only for the types it validates (the what-if edits' are
    # built only when a what-if file is read); the import of the models took half as long.
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=False, str_strip_whitespace=False, defer_build=True
    )

    # The hooks of simulator.scenario.traits, whose classes hold the types' behaviour.
    def _field_values(self) -> dict[str, Any]:
        return self.model_dump()

    def _copy(self, **changes: Any) -> Any:
        return self.model_copy(update=changes)  # no validation: values taken from valid models

    def _sibling(self, name: str) -> Kind:
        from simulator.scenario import model  # the package of this module: loaded by now

        kind: Kind = getattr(model, name)
        return kind


def at_most_one(*keys: str) -> dict[str, Any]:
    """A JSON Schema keyword saying that at most one of ``keys`` is given (a null is not given),
    as the model's validator says it: for ``dipsim schema``, through ``json_schema_extra``."""
    given = {"not": {"type": "null"}}
    both = [
        {"required": [a, b], "properties": {a: given, b: given}}
        for i, a in enumerate(keys)
        for b in keys[i + 1 :]
    ]
    return {"not": {"anyOf": both}}


def as_tuple(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


def _pair(value: Any) -> Any:
    if isinstance(value, str):
        if "-" not in value:
            raise invalid(f"a pair is two actor codes, written [A, B] or A-B (got {value!r})")
        return tuple(value.split("-", 1))
    if isinstance(value, list | tuple) and len(value) != 2:
        raise invalid(
            f"a pair is two actor codes, written [A, B] or A-B (got {len(value)} items: "
            f"{', '.join(str(v)[:QUOTED_MOST] for v in value[:5])}{', ...' * (len(value) > 5)})"
        )
    return value


Pair = Annotated[
    tuple[ActorCode, ActorCode],
    BeforeValidator(
        _pair,
        json_schema_input_type=Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*-[A-Z][A-Z0-9_]*$")]
        | tuple[ActorCode, ActorCode],
    ),
]


__all__ = ["relation_id"]  # defined with the types' behaviour (simulator.scenario.traits)
