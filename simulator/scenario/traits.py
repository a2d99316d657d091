"""What the scenario types do beyond holding their fields, without pydantic.

The properties and methods of the scenario types (``Scenario.codes_of``,
``MachineSpec.state_names``, ``EventSpec.when`` ...) live here, in classes that the pydantic
models of :mod:`simulator.scenario.model` inherit, so that the records a validated-scenario
cache hit rebuilds (:mod:`simulator.scenario.records`, which never imports pydantic) behave as
the models do: a record of a ``Scenario`` is a :class:`ScenarioTraits` too. A model keeps only
its fields and validators; ``tests/test_cache.py`` checks that no model defines behaviour of
its own that a record would lack.

A trait reads fields by name only. It builds a new value through three hooks every model and
every record has: ``_field_values()`` (the fields, by name), ``_sibling(name)`` (the type of
that name from the same world: the pydantic model, or the record type of the same cache entry)
and ``_copy(**changes)`` (the same value with some fields changed, not validated again: for a
model, pydantic's ``model_copy``). A trait never calls pydantic's own methods.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from simulator.core.dates import looks_like_month, span_of
from simulator.scenario.citing import place_text
from simulator.scenario.parties import Reach, reach, stance_of

#: The keys that make each kind of expectation (the first is the kind's name), as a file writes
#: them (``from`` is the field ``from_``: see :func:`key_field`). ``state`` is also the second
#: key of ``not_before``: a ``state`` with ``not_before`` is that kind (:func:`kinds_set`).
EXPECT_KINDS: dict[str, tuple[str, ...]] = {
    "state": ("state", "date"),
    "not_before": ("not_before", "state"),
    "stays": ("stays", "from", "until"),
    "reaches": ("reaches",),
    "never": ("never",),
    "event": ("event", "outcome"),
    "final": ("final",),
}

#: The name by which tracks, expectations and per-state decay refer to ``machine`` (the
#: diplomatic track); no entry of ``tracks`` may take it.
DIPLOMATIC = "diplomatic"

#: The keys that make each kind of invariant.
INVARIANT_KINDS: dict[str, tuple[str, ...]] = {
    "enter": ("enter", "only_from"),
    "never": ("never",),
    "always": ("always",),
}


def key_field(key: str) -> str:
    """The field that holds a key as written: ``from`` (a Python keyword) is ``from_``."""
    return "from_" if key == "from" else key


def kinds_set(item: object, kinds: dict[str, tuple[str, ...]]) -> list[str]:
    """The kinds whose first key ``item`` sets, less those whose first key is only another set
    kind's further key (``state`` beside ``not_before``): one, unless the item is malformed."""
    chosen = [k for k in kinds if getattr(item, key_field(k)) is not None]
    return [k for k in chosen if not any(k in kinds[o][1:] for o in chosen if o != k)]


def relation_id(pair: tuple[str, str]) -> str:
    """The name of a relation, ``"PAK-IRN"``; a pair names the same relation either way round."""
    return f"{pair[0]}-{pair[1]}"


if TYPE_CHECKING:  # for typing only: making a Protocol class costs import time

    class Kind(Protocol):
        """A scenario type (a pydantic model or a record's type): called with fields, it makes
        one."""

        def __call__(self, **fields: Any) -> Any: ...

    class _State(Protocol):
        @property
        def name(self) -> str: ...

    class _EventType(Protocol):
        @property
        def codes(self) -> CodesTraits: ...

    class _Variable(Protocol):
        @property
        def initial_value(self) -> float: ...

    class _Machine(Protocol):
        @property
        def initial(self) -> str: ...

        @property
        def state_names(self) -> tuple[str, ...]: ...


class Traits:
    """The hooks each trait builds new values with (see the module's docstring)."""

    __slots__ = ()
    # Declared only: a model's come from its pydantic base (``Frozen``), a record's from
    # ``Record``; defined here, they would stand before the model's in its method order.
    if TYPE_CHECKING:

        def _field_values(self) -> dict[str, Any]: ...

        def _copy(self, **changes: Any) -> Any: ...

        def _sibling(self, name: str) -> Kind: ...


class CodesTraits(Traits):
    """Event codes (``Codes``)."""

    __slots__ = ()
    if TYPE_CHECKING:
        cameo: str | None
        weis: str | None
        goldstein: float | None
        plover: str | None

    def merged(self, override: CodesTraits | None) -> Any:
        """These codes with every field ``override`` sets replacing ours; a code in one scheme
        (CAMEO, WEIS) replaces ours in the other, as a code is in one scheme only."""
        if override is None:
            return self
        given = {k: v for k, v in override._field_values().items() if v is not None}
        ours = self._field_values()
        for scheme, other in (("cameo", "weis"), ("weis", "cameo")):
            if scheme in given:
                ours = {**ours, other: None}
        return self._sibling(type(self).__name__)(**{**ours, **given})

    def with_goldstein(self, goldstein: float | None) -> Any:
        """These codes with another Goldstein value (an act's tone on one relation)."""
        return self._sibling(type(self).__name__)(
            **{**self._field_values(), "goldstein": goldstein}
        )

    @property
    def plover_type(self) -> str | None:
        return self.plover.split("/")[0] if self.plover else None

    @property
    def plover_mode(self) -> str | None:
        return self.plover.split("/", 1)[1] if self.plover and "/" in self.plover else None


class EventSpecTraits(Traits):
    """A scripted event (``EventSpec``)."""

    __slots__ = ()
    if TYPE_CHECKING:
        date: dt.date | UncertainDateTraits
        time: dt.time | None
        actor: tuple[str, ...]
        target: tuple[str, ...]
        relation: tuple[str, str] | None
        supports: str | None
        opposes: str | None
        mediates: tuple[str, str] | None

    @property
    def day(self) -> dt.date:
        """The event's day in a replay: its date, or an uncertain date's replay point."""
        date = self.date
        return date if isinstance(date, dt.date) else date.point

    def uncertain_date(self) -> UncertainDateTraits | None:
        """The event's uncertain date (a month, a range, a disputed date), or ``None``. A
        method, not a property: a record's and a model's are alike, not equal."""
        date = self.date
        return None if isinstance(date, dt.date) else date

    @property
    def when(self) -> dt.datetime:
        return dt.datetime.combine(self.day, self.time or dt.time())

    @property
    def stance(self) -> str | None:
        """``joint``, ``supports``, ``opposes``, ``mediates``, or None for a plain act."""
        return stance_of(self)  # type: ignore[arg-type]  # the model's fields, by name

    @property
    def sides(self) -> tuple[str, ...]:
        """The side(s) a stance names: the supported or opposed actor, or the two mediated."""
        if self.supports is not None:
            return (self.supports,)
        if self.opposes is not None:
            return (self.opposes,)
        return self.mediates or ()

    @property
    def relation_pair(self) -> tuple[str, str] | None:
        """The relation the event acts on: ``relation`` if given, else actor with sole target."""
        if self.relation is not None:
            return self.relation
        if len(self.actor) == 1 and len(self.target) == 1 and self.stance is None:
            return (self.actor[0], self.target[0])
        return None


class UncertainDateTraits(Traits):
    """An uncertain date (``UncertainDate``): a month, a range of days, or dates in dispute."""

    __slots__ = ()
    if TYPE_CHECKING:
        month: str | None
        between: tuple[dt.date, dt.date] | None
        disputed: tuple[Any, ...] | None  # DateClaim: a day or a month (``date``), its sources
        replay: dt.date | None

    @property
    def spans(self) -> tuple[tuple[dt.date, dt.date], ...]:
        """The possible days, as inclusive spans (one, or one per disputed alternative)."""
        if self.between is not None:
            return (self.between,)
        if self.month is not None:
            return (span_of(self.month),)
        return tuple(span_of(c.date) for c in self.disputed or ())

    @property
    def earliest(self) -> dt.date:
        return min(a for a, _ in self.spans)

    @property
    def latest(self) -> dt.date:
        return max(b for _, b in self.spans)

    @property
    def point(self) -> dt.date:
        """The day a replay uses: ``replay`` if given, else the earliest possible day."""
        return self.replay if self.replay is not None else self.earliest

    def draw(self, rng: random.Random) -> dt.date:
        """A possible day, drawn: an alternative with equal chances (one draw from ``rng``,
        only when the sources dispute), then a day of it with equal chances (one draw)."""
        spans = self.spans
        first, last = spans[rng.randrange(len(spans))] if len(spans) > 1 else spans[0]
        return first + dt.timedelta(days=rng.randrange((last - first).days + 1))

    def shifted(self, days: int) -> Any:
        """The same uncertainty moved by whole ``days`` (a what-if's ``shift``). A month moved
        is a range of days; a disputed month cannot be moved (``ValueError``)."""
        step = dt.timedelta(days=days)
        replay = None if self.replay is None else self.replay + step
        kind = self._sibling(type(self).__name__)
        if self.disputed is None:
            first, last = self.spans[0]
            return kind(between=(first + step, last + step), replay=replay)
        if any(looks_like_month(c.date) for c in self.disputed):
            raise ValueError("a disputed date with a month among its alternatives")
        claims = tuple(c._copy(date=(span_of(c.date)[0] + step).isoformat()) for c in self.disputed)
        return kind(disputed=claims, replay=replay)

    def describe(self) -> str:
        """The possible dates in words: ``any day of 2018-10``, ``2024-01-16..2024-01-17``,
        ``2018-08-05 or 2018-08-06``."""
        if self.month is not None:
            return f"any day of {self.month}"
        if self.between is not None:
            return f"{self.between[0].isoformat()}..{self.between[1].isoformat()}"
        return " or ".join(c.date for c in self.disputed or ())


class MachineSpecTraits(Traits):
    """The relation machine (``MachineSpec``)."""

    __slots__ = ()
    if TYPE_CHECKING:
        states: tuple[_State, ...]

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)


class VariableSpecTraits(Traits):
    """A variable attached to every relation (``VariableSpec``)."""

    __slots__ = ()
    if TYPE_CHECKING:
        min: float
        initial: float | None
        rest: float | None
        decay_per_day: float
        decay_in: Mapping[str, float]
        rest_in: Mapping[str, float]

    def decay_for(self, state: str) -> tuple[float, float]:
        """``(rest, decay_per_day)`` while a relation is in ``state``."""
        return (
            self.rest_in.get(state, self.rest_value),
            self.decay_in.get(state, self.decay_per_day),
        )

    @property
    def initial_value(self) -> float:
        return self.min if self.initial is None else self.initial

    @property
    def rest_value(self) -> float:
        return self.initial_value if self.rest is None else self.rest


class RelationSpecTraits(Traits):
    """A relation between two actors (``RelationSpec``)."""

    __slots__ = ()
    if TYPE_CHECKING:
        pair: tuple[str, str]
        initial: str | None
        variables: Mapping[str, float]

    @property
    def id(self) -> str:
        return relation_id(self.pair)


class _Kinds(Traits):
    """An ``expect`` or ``invariants`` item: its kind is the one of its kind keys it sets."""

    __slots__ = ()
    KINDS: ClassVar[dict[str, tuple[str, ...]]] = {}

    @property
    def kind(self) -> str:
        return kinds_set(self, self.KINDS)[0]


class ExpectSpecTraits(_Kinds):
    """An expectation (``ExpectSpec``)."""

    __slots__ = ()
    KINDS = EXPECT_KINDS
    if TYPE_CHECKING:
        at_least: float | None
        at_most: float | None

    @property
    def bounded(self) -> bool:
        """Whether this is a bound on a share of runs (else it must hold in every run)."""
        return self.at_least is not None or self.at_most is not None


class InvariantSpecTraits(_Kinds):
    """An invariant (``InvariantSpec``)."""

    __slots__ = ()
    KINDS = INVARIANT_KINDS


class ScenarioTraits(Traits):
    """A whole scenario (``Scenario``)."""

    __slots__ = ()
    if TYPE_CHECKING:
        event_types: Mapping[str, _EventType]
        machine: _Machine
        variables: Mapping[str, _Variable]
        relations: tuple[RelationSpecTraits, ...]
        tracks: Mapping[str, MachineSpecTraits]
        sources: Mapping[str, Any]

    def cited(self, citation: Any) -> tuple[str, str | None, str | None, str | None]:
        """A citation as a trace carries it: its source id, quote and note, and where in a data
        file its rows or records are (``rows 1203, 1207 of keds.csv``), outputs' stand-in for a
        quote."""
        src = self.sources.get(citation.ref)
        # The file's name, not its path: ``../sources/`` says nothing a reader needs.
        name = src.file.replace("\\", "/").rsplit("/", 1)[-1] if src and src.file else None
        where = place_text(citation.rows, citation.records, name)
        return (citation.ref, citation.quote, citation.note, where)

    def codes_of(self, event: Any) -> Any:
        """An event's codes: its type's codes with the event's own codes on top."""
        kind = self.event_types.get(event.type)
        base = kind.codes if kind is not None else self._sibling("Codes")()
        return base.merged(event.codes)

    def initial_state(self, relation: RelationSpecTraits) -> str:
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

    def as_track(self, track: str) -> Any:
        """This scenario with the parallel track ``track`` in the machine's place, every
        relation starting in the track's initial state: how outputs and the analysis made for
        the machine read a track (``diplomatic``: the scenario itself)."""
        if track == DIPLOMATIC:
            return self
        relations = tuple(r._copy(initial=None) for r in self.relations)
        return self._copy(machine=self.tracks[track], relations=relations)

    def initial_values(self, relation: RelationSpecTraits) -> dict[str, float]:
        """A relation's variables at the start: its own values, else each variable's initial."""
        return {
            name: relation.variables.get(name, spec.initial_value)
            for name, spec in self.variables.items()
        }

    def relation(self, pair: tuple[str, str]) -> Any:
        """The declared relation between two actors, whichever way round."""
        wanted = frozenset(pair)
        return next((r for r in self.relations if frozenset(r.pair) == wanted), None)

    def reach(self, event: Any) -> tuple[Reach, ...]:
        """The declared relations ``event`` reaches and its tone on each (see
        :mod:`simulator.scenario.parties`); none if it reaches none (validation says why)."""
        return reach(self, event)[0]  # type: ignore[arg-type]  # fields and traits, by name


#: The traits of each scenario type, by the type's name (a record takes its type's traits).
TRAITS: dict[str, type[Traits]] = {
    "Codes": CodesTraits,
    "EventSpec": EventSpecTraits,
    "UncertainDate": UncertainDateTraits,
    "MachineSpec": MachineSpecTraits,
    "TrackSpec": MachineSpecTraits,
    "VariableSpec": VariableSpecTraits,
    "RelationSpec": RelationSpecTraits,
    "ExpectSpec": ExpectSpecTraits,
    "InvariantSpec": InvariantSpecTraits,
    "Scenario": ScenarioTraits,
}
