"""Sources, actors, event codes and events: what happened, who did it, and who says so."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from simulator.core.errors import did_you_mean
from simulator.scenario.model.base import (
    PLOVER_TYPES,
    ActorCode,
    Date,
    EventId,
    Frozen,
    Name,
    Pair,
    RecordId,
    Text,
    TimeOfDay,
    as_tuple,
    at_most_one,
    invalid,
    one_or_many,
)
from simulator.scenario.model.dates import DayOrMonth, Month, event_date_form
from simulator.scenario.parties import parties_problem
from simulator.scenario.traits import CodesTraits, EventSpecTraits, UncertainDateTraits


class Source(Frozen):
    """A document events are drawn from: a local text file, or a public source named."""

    file: str | None = None
    title: Text | None = None
    publisher: Text | None = None
    url: Text | None = None
    published: Date | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _needs_origin(self) -> Source:
        if not (self.file or self.url or self.publisher):
            raise invalid("a source needs at least one of 'file', 'url' or 'publisher'")
        return self


class Actor(Frozen):
    """A state or organisation taking part; a group (a bloc) may list its ``members``."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["state", "organisation", "group"] = "state"
    note: Text | None = None
    #: The actors a group or organisation stands for (a bloc: the GCC, "Gulf allies"): an act
    #: of the group reaches its members' relations where it has none of its own.
    members: Annotated[
        tuple[ActorCode, ...],
        BeforeValidator(as_tuple, json_schema_input_type=one_or_many(ActorCode)),
    ] = ()

    @model_validator(mode="after")
    def _members_of_a_group(self) -> Actor:
        if self.members and self.kind == "state":
            raise invalid(
                "a state has no members: give a bloc 'kind: group' (or 'organisation') to list "
                "its members"
            )
        return self


def unquoted_cameo(written: str, code: str, scheme: str = "CAMEO") -> str:
    """Why an unquoted CAMEO (or WEIS) code is refused, whether YAML read it as a number
    (``111``) or, for its leading zero, as text (``050``): the same rule and fix for both."""
    return (
        f'{scheme} code {written} must be quoted (write "{code}"): a code is text, and unquoted '
        "digits are a number to YAML readers, which drop leading zeros (0256 is not 256)"
    )


class Codes(CodesTraits, Frozen):
    """Event codes in the recognised event ontologies."""

    model_config = ConfigDict(json_schema_extra=at_most_one("cameo", "weis"))

    cameo: str | None = Field(default=None, pattern=r"^[0-9]{2,4}$")
    #: A WEIS code (KEDS data such as the Gulf file is coded in WEIS): never shown as CAMEO,
    #: held against the WEIS tables. A code is CAMEO or WEIS, not both.
    weis: str | None = Field(default=None, pattern=r"^[0-9]{3}$")
    goldstein: float | None = Field(default=None, ge=-10.0, le=10.0)
    plover: str | None = Field(default=None, pattern=r"^[A-Z]+(/[a-z][a-z_-]*)?$")

    @field_validator("cameo", mode="before")
    @classmethod
    def _cameo_is_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            raise invalid(unquoted_cameo(str(value), f"{value:03d}"))
        return value

    @field_validator("weis", mode="before")
    @classmethod
    def _weis_is_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            raise invalid(unquoted_cameo(str(value), f"{value:03d}", "WEIS"))
        return value

    @model_validator(mode="after")
    def _one_scheme(self) -> Codes:
        if self.cameo is not None and self.weis is not None:
            raise invalid(
                f"a code is CAMEO or WEIS, not both (got cameo {self.cameo!r} and weis "
                f"{self.weis!r}): the two schemes give the same digits different meanings"
            )
        return self

    @field_validator("plover")
    @classmethod
    def _plover_type_known(cls, value: str | None) -> str | None:
        if value is not None and value.split("/")[0] not in PLOVER_TYPES:
            kind = value.split("/")[0]
            raise invalid(
                f"unknown PLOVER event type {kind!r}{did_you_mean(kind, PLOVER_TYPES)}; "
                f"known: {', '.join(sorted(PLOVER_TYPES))}"
            )
        return value

    if TYPE_CHECKING:  # the trait's method, typed for the model (defined in CodesTraits)

        def merged(self, override: CodesTraits | None) -> Codes: ...


class EventType(Frozen):
    """An event type: the trigger name in the machine, with its default codes."""

    description: Text = ""
    #: Why this type's Goldstein value differs from the CAMEO table's for its code on purpose
    #: (``dipsim check`` then says nothing of the difference).
    goldstein_override: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    # model_construct: the empty default needs no validation, and building Codes' validator
    # here, at import, would cost every command that imports the models (see Frozen).
    codes: Codes = Codes.model_construct()


def _two_sides(value: Any) -> Any:
    if isinstance(value, list | tuple) and len(value) != 2:
        raise invalid(f"'mediates' names the two sides, written [A, B] (got {len(value)} items)")
    if isinstance(value, str):
        raise invalid(f"'mediates' names the two sides, written [A, B] (got only {value[:16]!r})")
    return value


#: The most rows or records one citation may name (an imported event aggregates a day's).
MAX_CITED = 10_000
#: A cited line number's bound: far beyond any source file the size limit lets through.
MAX_ROW = 1_000_000_000

Row = Annotated[int, Field(ge=1, le=MAX_ROW)]


class Citation(Frozen):
    """Where an event comes from: a source id and, for a file source, a verbatim quote, or the
    rows (line numbers, 1 = the first line) or record ids of a data file that it was coded from."""

    model_config = ConfigDict(json_schema_extra=at_most_one("quote", "rows", "records"))

    ref: Annotated[str, Field(min_length=1)]
    quote: Annotated[str, Field(min_length=1, max_length=10_000)] | None = None
    rows: Annotated[tuple[Row, ...], Field(min_length=1, max_length=MAX_CITED)] | None = None
    records: Annotated[tuple[RecordId, ...], Field(min_length=1, max_length=MAX_CITED)] | None = (
        None
    )
    note: Text | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Citation:
        given = [k for k in ("quote", "rows", "records") if getattr(self, k) is not None]
        if len(given) > 1:
            raise invalid(
                "a citation gives a 'quote', or the 'rows' or 'records' of a data file, one of "
                f"them (got {' and '.join(given)})"
            )
        return self


def citations(value: Any) -> Any:
    return (value,) if isinstance(value, dict) else value


class DateClaim(Frozen):
    """One alternative of a disputed date: the day or month, and the sources that give it."""

    date: DayOrMonth
    source: Annotated[
        tuple[Citation, ...],
        Field(min_length=1),
        BeforeValidator(citations, json_schema_input_type=one_or_many(Citation)),
    ]
    note: Text | None = None


class UncertainDate(Frozen, UncertainDateTraits):
    """A date known only as a month, a range of days, or alternatives in dispute (see
    :mod:`simulator.scenario.model.dates`)."""

    month: Month | None = None
    between: tuple[Date, Date] | None = None
    disputed: Annotated[tuple[DateClaim, ...], Field(min_length=2)] | None = None
    replay: Date | None = None

    @field_validator("disputed", mode="before")
    @classmethod
    def _alternatives(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) < 2:
            raise invalid(
                f"a disputed date needs at least two alternatives (got {len(value)}); a date "
                "known from one source is written 'date: YYYY-MM-DD' (or a month, or between)"
            )
        return value

    @model_validator(mode="after")
    def _one_form(self) -> UncertainDate:
        given = [k for k in ("month", "between", "disputed") if getattr(self, k) is not None]
        if len(given) != 1:
            raise invalid(
                "an uncertain date is one of 'month: YYYY-MM', 'between: [FIRST, LAST]' or "
                f"'disputed: [...]' (got {' and '.join(given) or 'none of them'})"
            )
        if self.between is not None and self.between[1] < self.between[0]:
            first, last = (d.isoformat() for d in self.between)
            raise invalid(f"between [{first}, {last}] ends before it starts")
        if self.replay is not None and not any(a <= self.replay <= b for a, b in self.spans):
            raise invalid(
                f"replay {self.replay.isoformat()} is not one of the possible dates "
                f"({self.describe()})"
            )
        return self


def _which_date(value: Any) -> str:
    return "uncertain" if isinstance(value, dict | UncertainDate) else "day"


#: An event's date: a day, a month (text, read as ``{month: ...}``), or an uncertain date.
EventDate = Annotated[
    Annotated[Date, Tag("day")] | Annotated[UncertainDate, Tag("uncertain")],
    Discriminator(_which_date),
    BeforeValidator(
        event_date_form,
        json_schema_input_type=Date
        | Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="a month YYYY-MM")]
        | UncertainDate,
    ),
]


DateBasis = Literal["reported", "inferred"]


class EventSpec(EventSpecTraits, Frozen):
    """A dated happening that fires its ``type`` as a trigger on its relation."""

    id: EventId
    date: EventDate
    time: TimeOfDay | None = None
    type: Name
    #: Who acted: one actor, or several acting together (``[BHR, ARE]``).
    actor: Annotated[
        tuple[ActorCode, ...],
        Field(min_length=1),
        BeforeValidator(as_tuple, json_schema_input_type=one_or_many(ActorCode)),
    ]
    #: Whom the act is aimed at; none for a joint act between its actors (``joint: true``) or
    #: a third party's act that names its stance.
    target: Annotated[
        tuple[ActorCode, ...],
        BeforeValidator(as_tuple, json_schema_input_type=one_or_many(ActorCode)),
    ] = ()
    relation: Pair | None = None
    summary: Annotated[str, Field(min_length=1, max_length=2_000)]
    codes: Codes | None = None
    effects: dict[Name, float] = Field(default_factory=dict)
    source: Annotated[
        tuple[Citation, ...],
        Field(min_length=1),
        BeforeValidator(citations, json_schema_input_type=one_or_many(Citation)),
    ]
    date_basis: DateBasis = "reported"
    date_note: Text | None = None
    caused_by: Annotated[
        tuple[EventId, ...],
        BeforeValidator(as_tuple, json_schema_input_type=EventId | list[EventId]),
    ] = ()
    note: Text = ""
    #: The relations the act reaches, when more than one (see ``scenario.parties``).
    relations: tuple[Pair, ...] = ()
    #: The actors act as one, on the relation between them (no direction): a joint statement.
    joint: bool = False
    #: A third party's stance: it takes the side of ``supports`` or goes against ``opposes``
    #: in that actor's relation (which raises tension there, whatever the Goldstein sign), or
    #: ``mediates`` between two sides (an appeal to both, as coded).
    supports: ActorCode | None = None
    opposes: ActorCode | None = None
    mediates: Annotated[tuple[ActorCode, ActorCode], BeforeValidator(_two_sides)] | None = None

    @model_validator(mode="after")
    def _inferred_dates_say_why(self) -> EventSpec:
        if self.date_basis == "inferred" and not self.date_note:
            raise invalid("an event with date_basis 'inferred' needs a date_note saying why")
        return self

    @model_validator(mode="after")
    def _parties_fit(self) -> EventSpec:
        problem = parties_problem(self)
        if problem is not None:
            raise invalid(problem)
        return self
