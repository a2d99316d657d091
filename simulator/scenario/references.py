"""Whole-scenario checks: names that must resolve, dates inside the span, verbatim quotes.

These run once a scenario has the right shape (see :mod:`simulator.scenario.validation`), and again
after
every what-if edit; every problem found is reported, located, in file order.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterator, Mapping

from simulator.core.errors import KeyPath, Problem, did_you_mean, unknown_name
from simulator.core.expressions import Expression
from simulator.core.files import DataFile
from simulator.scenario.citing import SourceTexts, listed, normalise
from simulator.scenario.expect_refs import check_claims
from simulator.scenario.model import (
    DIPLOMATIC,
    Citation,
    EventPattern,
    EventSpec,
    MachineSpec,
    Scenario,
)
from simulator.scenario.parties import reach
from simulator.scenario.traits import UncertainDateTraits
from simulator.scenario.yamlread import Document


def in_file_order(problems: typing.Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.location.line or 0, p.location.column or 0))


def check_references(
    scenario: Scenario, doc: Document, source_texts: Mapping[str, str | DataFile | None]
) -> list[Problem]:
    """Every cross-reference and whole-scenario rule, as located problems in file order."""
    cited = SourceTexts(source_texts)  # each file looked at once, for events and rules alike
    return in_file_order(
        [
            *_check_span(scenario, doc),
            *_check_machine(scenario, doc),
            *_check_tracks(scenario, doc),
            *_check_relations(scenario, doc),
            *_check_members(scenario, doc),
            *_check_sources(scenario, doc, source_texts),
            *_check_events(scenario, doc, cited),
            *_check_parameters(scenario, doc),
            *_check_rules(scenario, doc, cited),
            *check_claims(scenario, doc),
        ]
    )


def _check_span(s: Scenario, doc: Document) -> Iterator[Problem]:
    if s.end < s.start:
        yield doc.problem(
            ("end",), f"end {s.end.isoformat()} is before start {s.start.isoformat()}"
        )


def _check_machine(
    s: Scenario, doc: Document, machine: MachineSpec | None = None, where: KeyPath = ("machine",)
) -> Iterator[Problem]:
    """The machine's (or a track's, at ``where``) states, initial state and transitions."""
    machine = s.machine if machine is None else machine
    states = machine.state_names
    seen: set[str] = set()
    for i, name in enumerate(states):
        if name in seen:
            yield doc.problem((*where, "states", i), f"state {name!r} is declared twice")
        seen.add(name)
    if machine.initial not in seen:
        yield doc.problem((*where, "initial"), unknown_name("state", machine.initial, states))
    for i, t in enumerate(machine.transitions):
        at: KeyPath = (*where, "transitions", i)
        if t.trigger not in s.event_types:
            yield doc.problem(
                (*at, "trigger"),
                unknown_name("event type", t.trigger, s.event_types)
                + " (declare it under event_types)",
            )
        for j, src in enumerate(t.source):
            if src != "*" and src not in seen:
                path = (*at, "source", j) if doc.has((*at, "source", j)) else (*at, "source")
                yield doc.problem(path, unknown_name("state", src, states))
        if t.dest not in seen:
            yield doc.problem((*at, "dest"), unknown_name("state", t.dest, states))
        yield from _check_names(s, doc, (*at, "guard"), t.guard, "guard")


def _check_tracks(s: Scenario, doc: Document) -> Iterator[Problem]:
    """Each track as a machine of its own; and the states that per-state decay names."""
    for name, track in s.tracks.items():
        if name == DIPLOMATIC:
            yield doc.problem(
                ("tracks", name),
                f"{DIPLOMATIC!r} names the scenario's machine; give the track another name",
            )
        yield from _check_machine(s, doc, track, ("tracks", name))
    states = s.machine.state_names
    for name, spec in s.variables.items():
        for key in ("decay_in", "rest_in"):
            for state in getattr(spec, key):
                if state not in states:
                    yield doc.problem(
                        ("variables", name, key, state),
                        unknown_name("machine state", state, states)
                        + f" (decay by state reads the {DIPLOMATIC} machine's states)",
                    )


def _check_relations(s: Scenario, doc: Document) -> Iterator[Problem]:
    seen: dict[frozenset[str], int] = {}
    for i, r in enumerate(s.relations):
        at: KeyPath = ("relations", i)
        for j, code in enumerate(r.pair):
            if code not in s.actors:
                yield doc.problem((*at, "pair", j), unknown_name("actor", code, s.actors))
        if r.pair[0] == r.pair[1]:
            yield doc.problem((*at, "pair"), f"a relation needs two different actors, got {r.id}")
        key = frozenset(r.pair)
        if key in seen:
            yield doc.problem(
                (*at, "pair"),
                f"relation {r.id} is declared twice (first at relations[{seen[key]}])",
            )
        seen.setdefault(key, i)
        if r.initial is not None and r.initial not in s.machine.state_names:
            yield doc.problem(
                (*at, "initial"), unknown_name("state", r.initial, s.machine.state_names)
            )
        for name, value in r.variables.items():
            spec = s.variables.get(name)
            if spec is None:
                yield doc.problem(
                    (*at, "variables", name), unknown_name("variable", name, s.variables)
                )
            elif not spec.min <= value <= spec.max:
                yield doc.problem(
                    (*at, "variables", name), f"{name} {value} is outside [{spec.min}, {spec.max}]"
                )


def _check_sources(
    s: Scenario, doc: Document, texts: Mapping[str, str | DataFile | None]
) -> Iterator[Problem]:
    for sid, src in s.sources.items():
        if src.file is not None and texts.get(sid) is None:
            yield doc.problem(
                ("sources", sid, "file"),
                f"source file {src.file!r} cannot be read "
                "(paths are relative to the scenario file)",
            )


def _check_citations(
    s: Scenario,
    doc: Document,
    at: KeyPath,
    cited: typing.Iterable[Citation],
    texts: SourceTexts,
) -> Iterator[Problem]:
    # A file too big or unreadable is said once, at the source (_check_sources); its quotes,
    # rows and records are then not looked for.
    for j, c in enumerate(cited):
        cpath: KeyPath = (*at, j) if doc.has((*at, j)) else at
        src = s.sources.get(c.ref)
        if src is None:
            yield doc.problem((*cpath, "ref"), unknown_name("source", c.ref, s.sources))
            continue
        if src.file is None:
            if c.rows is not None or c.records is not None:
                key = "rows" if c.rows is not None else "records"
                yield doc.problem(
                    (*cpath, key),
                    f"source {c.ref!r} has no file: '{key}' cite the {key} of a data file, its "
                    "'file'",
                )
        elif c.rows is not None:
            yield from _check_rows(doc, (*cpath, "rows"), c.ref, c.rows, src.file, texts)
        elif c.records is not None:
            yield from _check_records(doc, (*cpath, "records"), c.ref, c.records, src.file, texts)
        elif c.quote is None:
            yield doc.problem(
                cpath,
                f"source {c.ref!r} is a file: cite it with a verbatim 'quote' (or the "
                "'rows' or 'records' of a data file)",
            )
        else:
            found = texts.normalised(c.ref)
            if found is not None and normalise(c.quote) not in found:
                yield doc.problem(
                    (*cpath, "quote"),
                    f"quote not found verbatim in {src.file}: {_short(c.quote)}",
                )


def _check_rows(
    doc: Document, at: KeyPath, ref: str, rows: tuple[int, ...], file: str, texts: SourceTexts
) -> Iterator[Problem]:
    missing = texts.missing_rows(ref, rows)
    if missing is not None and missing[0]:
        past, count = missing
        yield doc.problem(
            (*at, rows.index(past[0])),
            f"{listed(past, 'row')} past the end of {file} ({count:,} lines)",
        )


def _check_records(
    doc: Document, at: KeyPath, ref: str, records: tuple[str, ...], file: str, texts: SourceTexts
) -> Iterator[Problem]:
    missing = texts.missing_records(ref, records)
    if missing:
        yield doc.problem(
            (*at, records.index(missing[0])),
            f"{listed(missing, 'record', quote=True)} not found in {file} (a "
            "record id is a whole field: between tabs, commas or line ends)",
        )


def _check_parameters(s: Scenario, doc: Document) -> Iterator[Problem]:
    for name in s.parameters:
        if name in s.variables:
            yield doc.problem(
                ("parameters", name),
                f"parameter {name!r} has the name of a variable; give it another name",
                key=True,
            )


def _check_pattern(
    s: Scenario, doc: Document, at: KeyPath, p: EventPattern | None
) -> Iterator[Problem]:
    if p is None:
        return
    for key, names, kind, known in (
        ("type", p.type, "event type", s.event_types),
        ("actor", p.actor, "actor", s.actors),
        ("target", p.target, "actor", s.actors),
        ("state", p.state, "state", s.machine.state_names),
    ):
        for j, name in enumerate(names or ()):
            path = (*at, key, j) if doc.has((*at, key, j)) else (*at, key)
            if name not in known:
                yield doc.problem(path, unknown_name(kind, name, known))
    if p.relation is not None:
        yield from _check_pair(s, doc, (*at, "relation"), p.relation)
    yield from _check_names(s, doc, (*at, "guard"), p.guard, "guard")


def _check_pair(
    s: Scenario, doc: Document, at: KeyPath, pair: tuple[str, str], hint: str = ""
) -> Iterator[Problem]:
    if s.relation(pair) is None:
        known = [r.id for r in s.relations]
        yield doc.problem(
            at,
            f"no relation {pair[0]}-{pair[1]} is declared"
            f"{did_you_mean(f'{pair[0]}-{pair[1]}', known)}; declared: {', '.join(known)}{hint}",
        )


def _check_rules(s: Scenario, doc: Document, cited: SourceTexts) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    events = {e.id for e in s.events}
    for i, rule in enumerate(s.rules):
        at: KeyPath = ("rules", i)
        if rule.id in seen:
            yield doc.problem(
                (*at, "id"), f"rule id {rule.id!r} is used twice (first at rules[{seen[rule.id]}])"
            )
        elif rule.id in events:
            yield doc.problem((*at, "id"), f"rule id {rule.id!r} is also an event id")
        seen.setdefault(rule.id, i)
        yield from _check_pattern(s, doc, (*at, "when"), rule.when)
        yield from _check_pattern(s, doc, (*at, "cancel_on"), rule.cancel_on)
        yield from _check_names(s, doc, (*at, "probability"), rule.probability, "probability")
        r = rule.respond
        if r.type not in s.event_types:
            yield doc.problem(
                (*at, "respond", "type"),
                unknown_name("event type", r.type, s.event_types)
                + " (declare it under event_types)",
            )
        for key, roles in (("actor", (r.actor,)), ("target", r.target)):
            for role in roles:
                if role not in ("actor", "target") and role not in s.actors:
                    yield doc.problem(
                        (*at, "respond", key),
                        unknown_name("actor", role, ["actor", "target", *s.actors]),
                    )
        if r.relation is not None:
            yield from _check_pair(s, doc, (*at, "respond", "relation"), r.relation)
        for name in r.effects:
            if name not in s.variables:
                yield doc.problem(
                    (*at, "respond", "effects", name), unknown_name("variable", name, s.variables)
                )
        yield from _check_citations(s, doc, (*at, "source"), rule.source or (), cited)


def _check_names(
    s: Scenario, doc: Document, at: KeyPath, expr: Expression | float | None, what: str
) -> Iterator[Problem]:
    """An expression reads only variables and parameters."""
    if not isinstance(expr, Expression):
        return
    known = [*s.variables, *s.parameters]
    for name in sorted(expr.names - set(known)):
        yield doc.problem(
            at, f"{what} {expr.text!r} reads " + unknown_name("variable or parameter", name, known)
        )


def _check_events(s: Scenario, doc: Document, cited: SourceTexts) -> Iterator[Problem]:
    first_index: dict[str, int] = {}
    # The first event of each id, for causes (looked up, not searched for: a file of 10,000
    # events each caused by the one before took 3.7 s to load, most of it in that search).
    first_event: dict[str, EventSpec] = {}
    for e in s.events:
        first_event.setdefault(e.id, e)
    for i, e in enumerate(s.events):
        at: KeyPath = ("events", i)
        if e.id in first_index:
            yield doc.problem(
                (*at, "id"),
                f"event id {e.id!r} is used twice (first at events[{first_index[e.id]}])",
            )
        first_index.setdefault(e.id, i)
        if e.type not in s.event_types:
            yield doc.problem(
                (*at, "type"),
                unknown_name("event type", e.type, s.event_types)
                + " (declare it under event_types)",
            )
        date = e.uncertain_date()
        if date is not None:
            yield from _check_uncertain(s, doc, at, date, cited)
        elif s.start <= s.end and not s.start <= e.day <= s.end:
            yield doc.problem(
                (*at, "date"),
                f"date {e.day.isoformat()} is outside the scenario's "
                f"span {s.start.isoformat()}..{s.end.isoformat()}",
            )
        for code, path in _party_codes(e, at, doc):
            if code not in s.actors:
                yield doc.problem(path, unknown_name("actor", code, s.actors))
        yield from _check_event_relation(s, doc, i)
        for name in e.effects:
            if name not in s.variables:
                yield doc.problem(
                    (*at, "effects", name), unknown_name("variable", name, s.variables)
                )
        yield from _check_citations(s, doc, (*at, "source"), e.source, cited)
        for j, cause in enumerate(e.caused_by):
            path = (*at, "caused_by", j) if doc.has((*at, "caused_by", j)) else ((*at, "caused_by"))
            if cause not in first_event:
                yield doc.problem(path, unknown_name("event", cause, [x.id for x in s.events]))
            elif cause == e.id:
                yield doc.problem(path, f"event {e.id!r} cannot cause itself")
            else:
                cause_event = first_event[cause]
                if cause_event.when > e.when:
                    yield doc.problem(
                        path,
                        f"cause {cause!r} ({cause_event.when:%Y-%m-%d %H:%M}) "
                        f"comes after this event ({e.when:%Y-%m-%d %H:%M})",
                    )
                elif _latest(cause_event) > _earliest(e):
                    yield doc.problem(path, _may_come_after(cause_event, e))


def _earliest(e: EventSpec) -> dt.datetime:
    """The earliest moment an event may be played at (its date drawn, in a Monte Carlo run)."""
    date = e.uncertain_date()
    day = e.day if date is None else date.earliest
    return dt.datetime.combine(day, e.time or dt.time())


def _latest(e: EventSpec) -> dt.datetime:
    date = e.uncertain_date()
    day = e.day if date is None else date.latest
    return dt.datetime.combine(day, e.time or dt.time())


def _may_come_after(cause: EventSpec, e: EventSpec) -> str:
    """Why a cause whose date is uncertain (or an event's) could be drawn after the event."""
    return (
        f"cause {cause.id!r} may come after this event when dates are drawn: it may be as late "
        f"as {_latest(cause):%Y-%m-%d %H:%M} and this event as early as "
        f"{_earliest(e):%Y-%m-%d %H:%M} (narrow the dates so that every possible day of the "
        "cause comes first)"
    )


def _check_uncertain(
    s: Scenario,
    doc: Document,
    at: KeyPath,
    date: UncertainDateTraits,
    cited: SourceTexts,
) -> Iterator[Problem]:
    """An uncertain date's possible days lie in the span; its alternatives' sources resolve."""
    if s.start <= s.end and not (s.start <= date.earliest and date.latest <= s.end):
        yield doc.problem(
            (*at, "date"),
            f"date {date.describe()} is not all inside the scenario's "
            f"span {s.start.isoformat()}..{s.end.isoformat()}",
        )
    for j, claim in enumerate(date.disputed or ()):
        where: KeyPath = (*at, "date", "disputed", j, "source")
        yield from _check_citations(s, doc, where, claim.source, cited)


def _party_codes(e: EventSpec, at: KeyPath, doc: Document) -> list[tuple[str, KeyPath]]:
    """Every actor code an event names, with where: actors, targets, stance's sides."""

    def where(key: str, j: int) -> KeyPath:
        return (*at, key, j) if doc.has((*at, key, j)) else (*at, key)

    named = [(c, where("actor", j)) for j, c in enumerate(e.actor)]
    named += [(c, where("target", j)) for j, c in enumerate(e.target)]
    for key in ("supports", "opposes"):
        code = getattr(e, key)
        if code is not None:
            named.append((code, (*at, key)))
    named += [(c, where("mediates", j)) for j, c in enumerate(e.mediates or ())]
    for j, pair in enumerate(e.relations):
        named += [(c, (*at, "relations", j)) for c in pair]
    return named


def _check_members(s: Scenario, doc: Document) -> Iterator[Problem]:
    """A group's members are declared actors, and not groups with members themselves."""
    for code, actor in s.actors.items():
        for j, member in enumerate(actor.members):
            at: KeyPath = ("actors", code, "members", j)
            path = at if doc.has(at) else at[:-1]
            if member not in s.actors:
                yield doc.problem(
                    path, f"member of group {code}: " + unknown_name("actor", member, s.actors)
                )
            elif member == code:
                yield doc.problem(path, f"group {code} cannot be a member of itself")
            elif s.actors[member].members:
                yield doc.problem(
                    path,
                    f"group {code}: member {member} is a group itself; list its members instead "
                    "(groups do not nest)",
                )


def _check_event_relation(s: Scenario, doc: Document, i: int) -> Iterator[Problem]:
    e = s.events[i]
    at: KeyPath = ("events", i)
    if e.relations:
        for j, named in enumerate(e.relations):
            if all(code in s.actors for code in named):
                yield from _check_pair(s, doc, (*at, "relations", j), named)
        return
    pair = e.relation_pair
    if pair is None:
        if any(code not in s.actors for code, _ in _party_codes(e, at, doc)):
            return  # already reported as an unknown actor
        _, why = reach(s, e)
        if why is not None:
            yield doc.problem(at, f"event {e.id!r} reaches no relation: {why}")
        return
    if any(code not in s.actors for code in pair):
        return  # already reported as an unknown actor
    if e.relation is None and s.reach(e):
        return  # a bloc's act, on its members' relations
    where = (*at, "relation") if e.relation is not None else (*at, "target")
    yield from _check_pair(
        s, doc, where, pair, " (declare it under relations, or give the event a 'relation')"
    )


def _short(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
