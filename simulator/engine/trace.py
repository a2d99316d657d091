"""The trace: what a run did, record by record; the contract between engine and outputs.

Outputs (tables, JSON, CSV, plots, reports) read traces only, never the engine. A trace
serialises to plain data and back without loss (``Trace.from_dict(t.to_dict()) == t``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

#: 2: a record's id is ``event_id`` (it was ``event``, beside ``type``: two names for one word),
#: and a record carries its date's basis and note, the event's note and every citation.
#: ``from_dict`` reads format 1 too.
TRACE_FORMAT = 2

#: How the engine starts the date note of an event whose date is uncertain (a month, a range, a
#: disputed date): outputs find it there and say so even when the date is reported.
UNCERTAIN_NOTE = "date uncertain"

#: A citation as a trace carries it: ``(source id, quote or None, note or None, where or None)``,
#: where a citation of a data file's rows or records names them in place of a quote: ``rows
#: 1203, 1207 of keds.csv`` (``where`` in its JSON, absent for other citations).
Cited = tuple[str, str | None, str | None, str | None]


def track_key(relation: str, track: str) -> str:
    """How outcomes and batch columns name one relation's place on one track: ``SAU-CAN:economic``
    (beside ``SAU-CAN``, the relation's diplomatic machine)."""
    return f"{relation}:{track}"


class TrackStep(NamedTuple):
    """What an event did on one parallel track of its relation (``tracks:``): the track's
    name, its state before and after, and the outcome, as the record's own fields say them for
    the diplomatic machine."""

    track: str
    before: str
    after: str
    outcome: str

    def to_dict(self) -> dict[str, str]:
        return {
            "track": self.track,
            "before": self.before,
            "after": self.after,
            "outcome": self.outcome,
        }


class Record(NamedTuple):
    """One event applied to one relation.

    A named tuple rather than a frozen dataclass: as immutable, and three times cheaper to make,
    which counts at one record per event per run of a million-run batch.

    Attributes:
        t: Simulated time in days since the scenario's start.
        when: Calendar date and time of the event.
        event: Event id.
        type: Event type (the trigger).
        actor: Actor code.
        target: Target actor codes.
        relation: Relation id, e.g. ``"PAK-IRN"``.
        before: Relation state before the event.
        after: Relation state after the event.
        outcome: ``transition``, ``guard_failed`` or ``no_transition``.
        variables: The relation's variables after the event (rounded to 6 decimals).
        cameo: CAMEO code, if any.
        goldstein: Goldstein value, if any.
        source: Source id of the event's first citation.
        quote: That citation's quote, if any.
        summary: The event's one-line summary.
        cause: Why the event happened: ``"script"`` for a scripted event, ``"rule:<id>"`` for
            a response scheduled by a rule.
        caused_by: The events named as its causes (a scripted event's ``caused_by``; for a
            response, the event that triggered it).
        date_basis: ``reported`` or ``inferred`` (a scripted event's ``date_basis``), or
            ``simulated`` (a response: the engine drew its time).
        date_note: Why an inferred date is what it is (the event's ``date_note``), if any.
        note: The event's ``note``, if any.
        citations: Every citation of the event (``source`` and ``quote`` are the first's).
        actors: Every actor of an act of several (``actor`` is the first); empty for one.
        stance: ``joint``, ``supports``, ``opposes`` or ``mediates`` (a third party's or a
            joint act), or None for a plain act.
        sides: The side(s) the stance names (the supported or opposed actor, the two mediated).
        tone: The Goldstein value the act has on *this* relation, when the engine applied
            another than ``goldstein`` (a third party taking sides: see
            :mod:`simulator.scenario.parties`); None when it is ``goldstein``. Outputs
            mark an act by :attr:`bearing`, never by ``goldstein`` alone.
        tracks: What the event did on each parallel track of its relation, in the scenario's
            order of ``tracks`` (empty for a scenario without tracks).
        weis: WEIS code, if any (an event has a CAMEO or a WEIS code, never both; outputs show
            it as WEIS, never under a CAMEO heading).
    """

    t: float
    when: dt.datetime
    event: str
    type: str
    actor: str
    target: tuple[str, ...]
    relation: str
    before: str
    after: str
    outcome: str
    variables: dict[str, float]
    cameo: str | None
    goldstein: float | None
    source: str | None
    quote: str | None
    summary: str
    cause: str = "script"
    caused_by: tuple[str, ...] = ()
    date_basis: str = "reported"
    date_note: str | None = None
    note: str | None = None
    citations: tuple[Cited, ...] = ()
    actors: tuple[str, ...] = ()
    stance: str | None = None
    sides: tuple[str, ...] = ()
    tone: float | None = None
    tracks: tuple[TrackStep, ...] = ()
    weis: str | None = None

    @property
    def code(self) -> tuple[str, str] | None:
        """The event code with its scheme, as outputs show it: ``("CAMEO", "190")`` or
        ``("WEIS", "223")``."""
        if self.cameo is not None:
            return ("CAMEO", self.cameo)
        return ("WEIS", self.weis) if self.weis is not None else None

    @property
    def where(self) -> str | None:
        """Where in its data file the first citation points (``rows 1203 of keds.csv``), shown
        where a quote would be; None for a quote or a citation without a file."""
        return self.citations[0][3] if self.citations else None

    @property
    def bearing(self) -> float | None:
        """The Goldstein value as the engine applied it to this relation: below 0 the act
        raises tension on it, above 0 it lowers it."""
        return self.goldstein if self.tone is None else self.tone

    @property
    def parties(self) -> tuple[str, ...]:
        """Every actor of the act, in the order written."""
        return self.actors or (self.actor,)

    @property
    def date_text(self) -> str:
        """The date, with the time of day when it is not midnight."""
        return date_text(self.when)

    @property
    def moved(self) -> bool:
        """Whether the event changed a state: its relation's, or one of its tracks'."""
        return self.before != self.after or any(x.before != x.after for x in self.tracks)

    def track_step(self, track: str) -> TrackStep | None:
        """What this event did on ``track`` (None for a track its relation does not carry)."""
        return next((step for step in self.tracks if step.track == track), None)

    def to_dict(self) -> dict[str, Any]:
        d = self._plain_dict()
        # Only an act of several parties or with a stance has these, so that the trace of a
        # plain act reads as it always has.
        if self.actors:
            d["actors"] = list(self.actors)
        if self.stance is not None:
            d["stance"] = self.stance
            d["sides"] = list(self.sides)
        if self.tone is not None:
            d["tone"] = self.tone
        if self.tracks:  # absent without tracks: such traces read as they always have
            d["tracks"] = [step.to_dict() for step in self.tracks]
        if self.weis is not None:  # absent without a WEIS code, as above
            d["weis"] = self.weis
        return d

    def _plain_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "date": self.date_text,
            "date_basis": self.date_basis,
            "date_note": self.date_note,
            "event_id": self.event,
            "type": self.type,
            "actor": self.actor,
            "target": list(self.target),
            "relation": self.relation,
            "before": self.before,
            "after": self.after,
            "outcome": self.outcome,
            "variables": dict(self.variables),
            "cameo": self.cameo,
            "goldstein": self.goldstein,
            "source": self.source,
            "quote": self.quote,
            "citations": [_cited_dict(c) for c in self.citations],
            "summary": self.summary,
            "note": self.note,
            "cause": self.cause,
            "caused_by": list(self.caused_by),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Record:
        return cls(
            t=float(d["t"]),
            when=dt.datetime.fromisoformat(d["date"]),
            event=_event_id(d),
            type=d["type"],
            actor=d["actor"],
            target=tuple(d["target"]),
            relation=d["relation"],
            before=d["before"],
            after=d["after"],
            outcome=d["outcome"],
            variables=dict(d["variables"]),
            cameo=d["cameo"],
            goldstein=d["goldstein"],
            source=d["source"],
            quote=d["quote"],
            summary=d["summary"],
            cause=d.get("cause", "script"),
            caused_by=tuple(d.get("caused_by", ())),
            date_basis=d.get("date_basis", "reported"),
            date_note=d.get("date_note"),
            note=d.get("note"),
            citations=tuple(
                (c["ref"], c["quote"], c["note"], c.get("where")) for c in d.get("citations", ())
            ),
            actors=tuple(d.get("actors", ())),
            stance=d.get("stance"),
            sides=tuple(d.get("sides", ())),
            tone=d.get("tone"),
            tracks=tuple(
                TrackStep(x["track"], x["before"], x["after"], x["outcome"])
                for x in d.get("tracks", ())
            ),
            weis=d.get("weis"),
        )


def _cited_dict(cited: Cited) -> dict[str, str | None]:
    ref, quote, note, where = cited
    d = {"ref": ref, "quote": quote, "note": note}
    if where is not None:  # only a citation of rows or records has it: others read as they did
        d["where"] = where
    return d


#: How each stance reads after an act's parties (see :func:`parties_text`).
_STANCE_WORDS = {"supports": "for", "opposes": "against", "mediates": "between"}


def parties_text(r: Record, arrow: str = " → ") -> str:
    """Every party of an act in one short text, for every output alike: ``CAN → SAU``,
    ``BHR+ARE → CAN``, ``PAK+IRN (joint)``, ``GULF for SAU``, ``GBR between SAU,CAN``
    (``arrow``, spaces included, goes between the actors and the targets)."""
    text = "+".join(r.parties)
    if r.target:
        text += f"{arrow}{','.join(r.target)}"
    if r.stance == "joint":
        return text + " (joint)"
    if r.stance in _STANCE_WORDS:
        return f"{text} {_STANCE_WORDS[r.stance]} {','.join(r.sides)}"
    return text


def same_act(before: Record | None, r: Record) -> bool:
    """Whether ``r`` is the act of the record ``before`` it, on another relation: an act that
    reaches several relations is applied to each in turn, at one moment, and outputs show it
    once."""
    return (
        before is not None
        and (before.event, before.t) == (r.event, r.t)
        and (before.relation != r.relation)
    )


def bearing_text(r: Record) -> str | None:
    """What a third party's act does on this relation when its sign is not its coded one's
    (None otherwise): the engine's tone, for outputs to say beside the marker."""
    if r.tone is None:
        return None
    effect = "raises" if r.tone < 0 else "lowers"
    coded = "" if r.goldstein is None else f" (coded Goldstein {r.goldstein:+g})"
    return f"taking sides {effect} tension on {r.relation}: {r.tone:+g}{coded}"


class Decay(NamedTuple):
    """How a variable returns to rest between a relation's events: the engine's rule, here so
    that outputs (the timeline's curves) draw what the engine did between two records.

    Attributes:
        rest: The value the variable approaches.
        keep: The share of its distance from ``rest`` kept per day (``1 - decay_per_day``).
    """

    rest: float
    keep: float

    def after(self, value: float, days: float) -> float:
        """``value`` after ``days`` without an event on its relation."""
        return decayed(value, self.rest, self.keep, days)


@dataclass(frozen=True)
class Dynamics:
    """What a trace does not say about its variables between records: how each decays, and
    each relation's values at the start (``initial[relation][variable]``); ``in_state``: how a
    variable with a decay of its own in some states (``decay_in``, ``rest_in``) decays in
    each of them (``in_state[state][variable]``, None when it does not decay there)."""

    decay: dict[str, Decay] = field(default_factory=dict)
    initial: dict[str, dict[str, float]] = field(default_factory=dict)
    in_state: dict[str, dict[str, Decay | None]] = field(default_factory=dict)

    def decay_of(self, variable: str, state: str | None) -> Decay | None:
        """How ``variable`` decays while its relation is in ``state``."""
        by_state = self.in_state.get(state) if state is not None else None
        if by_state is not None and variable in by_state:
            return by_state[variable]
        return self.decay.get(variable)


def decayed(value: float, rest: float, keep: float, days: float) -> float:
    """Exponential approach to the resting value: exact for any gap between events (the
    engine applies it before each event, and at the end of the run)."""
    kept: float = keep**days
    return rest + (value - rest) * kept


def _event_id(d: dict[str, Any]) -> str:
    """An event's id in a record or log entry: ``event_id``, or ``event`` in trace format 1."""
    return str(d["event_id"] if "event_id" in d else d["event"])


def date_text(when: dt.datetime) -> str:
    """A date, with the time of day when it is not midnight (to the second when it has one)."""
    if when.time() == dt.time():
        return when.date().isoformat()
    return when.isoformat(timespec="seconds" if when.second else "minutes")


@dataclass(frozen=True, slots=True)
class LogEntry:
    """Something the engine did besides applying an event, for the reader of a trace.

    Kinds: ``cancelled`` (a pending response was cancelled by a later event), ``pending``
    (a response was still waiting when the run stopped), ``cap`` (the run reached its
    ``max_responses`` cap; ``count`` responses were not scheduled).
    """

    t: float
    when: dt.datetime
    kind: str
    rule: str
    event: str
    message: str
    count: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "date": date_text(self.when),
            "kind": self.kind,
            "rule": self.rule,
            "event_id": self.event,
            "message": self.message,
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LogEntry:
        return cls(
            t=float(d["t"]),
            when=dt.datetime.fromisoformat(d["date"]),
            kind=d["kind"],
            rule=d["rule"],
            event=_event_id(d),
            message=d["message"],
            count=int(d.get("count", 1)),
        )


@dataclass(frozen=True, slots=True, repr=False)
class RelationEnd:
    """A relation's state and variables when the run stopped."""

    relation: str
    state: str
    variables: dict[str, float]
    #: Each parallel track's state (``tracks:``), in the scenario's order; empty without tracks.
    tracks: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "relation": self.relation,
            "state": self.state,
            "variables": dict(self.variables),
        }
        if self.tracks:
            d["tracks"] = dict(self.tracks)
        return d

    def __repr__(self) -> str:
        # The tracks are shown only when there are some: a scenario without tracks reads as
        # it always has.
        tracks = f", tracks={self.tracks!r}" if self.tracks else ""
        return (
            f"RelationEnd(relation={self.relation!r}, state={self.state!r}, "
            f"variables={self.variables!r}{tracks})"
        )


@dataclass(frozen=True, slots=True)
class Outline:
    """What a run came to, without its records: for runs whose product is a row of metrics
    (``Simulator.outline``; ``montecarlo.summarize_outline`` makes the same summary of it
    that ``summarize`` makes of the run's trace).

    Attributes:
        seed, start, stop, final, log: As in :class:`Trace`.
        moves: ``(relation, t, before, after)`` of each record that changed a state, in order.
        by_type: Records per event type; by_cause: records per cause (unsorted counts).
        track_moves: ``(relation, track, t, before, after)`` of each change of a parallel
            track's state, in order.
    """

    seed: int
    start: dt.date
    stop: dt.date
    final: tuple[RelationEnd, ...]
    moves: tuple[tuple[str, float, str, str], ...]
    by_type: dict[str, int]
    by_cause: dict[str, int]
    log: tuple[LogEntry, ...] = ()
    track_moves: tuple[tuple[str, str, float, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Trace:
    """The ordered records of one run, with what is needed to reproduce it."""

    title: str
    seed: int
    start: dt.date
    stop: dt.date
    records: tuple[Record, ...]
    final: tuple[RelationEnd, ...]
    variables: tuple[str, ...] = field(default=())
    log: tuple[LogEntry, ...] = ()
    #: The parallel tracks every relation carries, in the scenario's order (``tracks:``).
    tracks: tuple[str, ...] = ()

    def states_on(self, day: dt.date, track: str | None = None) -> dict[str, str]:
        """Each relation's state at the end of ``day`` (its initial state before any record);
        of ``track``, if named, else of the diplomatic machine."""
        if track is not None:
            return self._track_states_on(day, track)
        states = {r.relation: r.before for r in reversed(self.records)}
        for end in self.final:
            states.setdefault(end.relation, end.state)
        for r in self.records:
            if r.when.date() <= day:
                states[r.relation] = r.after
        return states

    def on_track(self, track: str) -> Trace:
        """This run as seen on one parallel track: each record's ``before``, ``after`` and
        ``outcome`` (and each relation's final state) are the track's, so that whatever reads a
        trace's states (expectations, a diff, a timeline band, batch metrics) reads the track's
        the same way. Records of relations that do not carry the track are left out."""
        records = tuple(
            r._replace(before=step.before, after=step.after, outcome=step.outcome, tracks=())
            for r in self.records
            if (step := r.track_step(track)) is not None
        )
        final = tuple(
            RelationEnd(f.relation, f.tracks[track], f.variables)
            for f in self.final
            if track in f.tracks
        )
        return Trace(
            self.title, self.seed, self.start, self.stop, records, final, self.variables, self.log
        )

    def _track_states_on(self, day: dt.date, track: str) -> dict[str, str]:
        steps = [(r, step) for r in self.records if (step := r.track_step(track)) is not None]
        states = {r.relation: step.before for r, step in reversed(steps)}
        for end in self.final:
            states.setdefault(end.relation, end.tracks[track])
        for r, step in steps:
            if r.when.date() <= day:
                states[r.relation] = step.after
        return states

    def to_dict(self) -> dict[str, Any]:
        d = {
            "trace_format": TRACE_FORMAT,
            "title": self.title,
            "seed": self.seed,
            "start": self.start.isoformat(),
            "stop": self.stop.isoformat(),
            "variables": list(self.variables),
            "records": [r.to_dict() for r in self.records],
            "final": [f.to_dict() for f in self.final],
            "log": [e.to_dict() for e in self.log],
        }
        if self.tracks:
            d["tracks"] = list(self.tracks)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Trace:
        return cls(
            title=d["title"],
            seed=int(d["seed"]),
            start=dt.date.fromisoformat(d["start"]),
            stop=dt.date.fromisoformat(d["stop"]),
            records=tuple(Record.from_dict(r) for r in d["records"]),
            final=tuple(
                RelationEnd(
                    f["relation"], f["state"], dict(f["variables"]), dict(f.get("tracks", {}))
                )
                for f in d["final"]
            ),
            variables=tuple(d.get("variables", ())),
            log=tuple(LogEntry.from_dict(e) for e in d.get("log", ())),
            tracks=tuple(d.get("tracks", ())),
        )


def window(
    trace: Trace, since: dt.date, dynamics: Dynamics | None = None
) -> tuple[Trace, Dynamics]:
    """The part of ``trace`` from the start of ``since`` on (``--from``), as a trace that
    starts that day: its records and log entries of that day and later, their ``t`` counted
    from it; the final states as they are. With it, the ``dynamics`` a timeline needs there:
    each relation's variables at the start of ``since`` (from its last record before, decayed
    over the gap; before any record, from its initial values), the decays unchanged.
    """
    dynamics = dynamics or Dynamics()
    offset = float((since - trace.start).days)
    earlier: dict[str, Record] = {}
    for r in trace.records:
        if r.t < offset:
            earlier[r.relation] = r
    initial: dict[str, dict[str, float]] = {}
    for end in trace.final:
        last = earlier.get(end.relation)
        values = dict(last.variables if last else dynamics.initial.get(end.relation, {}))
        gap = offset - (last.t if last else 0.0)
        # Decayed as the engine did over the gap: by the state the relation was in (decay_in),
        # which is the last record's; before any record, the default decay.
        state = last.after if last else None
        for name, value in values.items():
            decay = dynamics.decay_of(name, state)
            if decay is not None:
                values[name] = decay.after(value, gap)
        initial[end.relation] = values
    shown = Trace(
        title=trace.title,
        seed=trace.seed,
        start=since,
        stop=trace.stop,
        records=tuple(r._replace(t=r.t - offset) for r in trace.records if r.t >= offset),
        final=trace.final,
        variables=trace.variables,
        log=tuple(
            LogEntry(e.t - offset, e.when, e.kind, e.rule, e.event, e.message, e.count)
            for e in trace.log
            if e.t >= offset
        ),
        tracks=trace.tracks,
    )
    return shown, Dynamics(dynamics.decay, initial, dynamics.in_state)
