"""Reference checks of ``expect`` and ``invariants``: every name they use must resolve.

Part of the whole-scenario checks (:func:`simulator.scenario.references.check_references` calls
:func:`check_claims`), kept apart because claims are a layer of their own on top of a scenario.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from simulator.core.errors import KeyPath, Problem, unknown_name
from simulator.scenario.model import DIPLOMATIC, ExpectSpec, Scenario, key_field, relation_id
from simulator.scenario.yamlread import Document

#: A rule response's id: the rule's id, ``#``, and which of its responses (1 is the first).
RESPONSE_ID = re.compile(r"^(?P<rule>.+)#(?P<n>[1-9][0-9]*)$")


def check_claims(s: Scenario, doc: Document) -> Iterator[Problem]:
    """Problems of the scenario's ``expect`` and ``invariants`` items."""
    states = s.machine.state_names
    relations = {frozenset(r.pair): r.id for r in s.relations}

    def state(path: KeyPath, name: str | None) -> Iterator[Problem]:
        if name is not None and name not in states:
            yield doc.problem(path, unknown_name("state", name, states))

    def relation(path: KeyPath, pair: tuple[str, str] | None, needed: bool) -> Iterator[Problem]:
        if pair is None:
            if needed and len(relations) > 1:
                yield doc.problem(
                    path[:-1],
                    "the scenario has several relations: say which with 'relation' "
                    f"(one of {', '.join(relations.values())})",
                )
        elif frozenset(pair) not in relations:
            yield doc.problem(path, unknown_name("relation", relation_id(pair), relations.values()))

    def in_span(path: KeyPath, day: dt.date | None) -> Iterator[Problem]:
        if day is not None and not s.start <= day <= s.end:
            yield doc.problem(
                path,
                f"{day} is outside the scenario's span {s.start.isoformat()}..{s.end.isoformat()}",
            )

    for i, e in enumerate(s.expect):
        at: KeyPath = ("expect", i)
        yield from relation((*at, "relation"), e.relation, needed=e.kind != "event")
        if e.track is not None:
            yield from _check_track(at, e, s, doc)
        else:
            for key in ("state", "stays", "reaches", "never", "final", "to"):
                yield from state((*at, key), getattr(e, key))
        for key in ("date", "not_before", "from", "until", "by"):
            yield from in_span((*at, key), getattr(e, key_field(key)))
        if e.event is not None:
            yield from _check_event((*at, "event"), e.event, s, doc)
    for i, inv in enumerate(s.invariants):
        at = ("invariants", i)
        yield from relation((*at, "relation"), inv.relation, needed=False)
        yield from state((*at, "enter"), inv.enter)
        yield from state((*at, "never"), inv.never)
        for key in ("only_from", "while_in"):
            for j, name in enumerate(getattr(inv, key) or ()):
                path = (*at, key, j) if doc.has((*at, key, j)) else (*at, key)
                yield from state(path, name)
        if inv.always is not None:
            unknown = sorted(inv.always.names - s.variables.keys() - s.parameters.keys())
            for name in unknown:
                yield doc.problem(
                    (*at, "always"),
                    unknown_name("variable", name, [*s.variables, *s.parameters])
                    + f" in {inv.always.text!r}",
                )


def _check_track(at: KeyPath, e: ExpectSpec, s: Scenario, doc: Document) -> Iterator[Problem]:
    """An expectation about a track: the track exists and its states are the track's."""
    states = s.track_states(e.track)
    if not states:
        yield doc.problem(
            (*at, "track"),
            unknown_name("track", str(e.track), dict.fromkeys([DIPLOMATIC, *s.tracks])),
        )
        return
    for key in ("state", "stays", "reaches", "never", "final"):
        name = getattr(e, key)
        if name is not None and name not in states:
            yield doc.problem((*at, key), unknown_name(f"state of track {e.track}", name, states))


def _check_event(path: KeyPath, event: str, s: Scenario, doc: Document) -> Iterator[Problem]:
    if any(e.id == event for e in s.events):
        return
    response = RESPONSE_ID.match(event)
    rules = [r.id for r in s.rules]
    if response is not None and response["rule"] in rules:
        return
    if response is not None:
        yield doc.problem(path, unknown_name("rule", response["rule"], rules) + f" in {event!r}")
        return
    hint = " (a rule's responses are named '<rule id>#1', '#2', ...)" if rules else ""
    yield doc.problem(path, unknown_name("event", event, [e.id for e in s.events]) + hint)


__all__ = ["RESPONSE_ID", "check_claims"]
