"""Counterfactual edits: pure functions from a scenario to a changed scenario.

Each function returns a new :class:`~simulator.scenario.model.Scenario` and never changes its input.
Names that do not exist raise :class:`EditError` (the loader adds where the edit is written).

Causes: an event may name its causes (``caused_by``). Removing an event removes, transitively,
every event that names a removed event among its causes — so "what if Iran had not struck?"
does not replay Pakistan's retaliation — except the events an edit keeps explicitly.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from simulator.core.errors import DipsimError, did_you_mean, format_key_path
from simulator.scenario.model import (
    AddEvent,
    AddRule,
    Edit,
    EventSpec,
    RemoveEvents,
    ReplaceEvent,
    RuleSpec,
    Scenario,
    SetValue,
    ShiftEvents,
)


class EditError(DipsimError):
    """An edit names something the scenario does not have, or cannot be applied."""


class InvalidResultError(EditError):
    """An edit produced a scenario that is not valid; carries pydantic's errors and the data."""

    def __init__(self, error: ValidationError, data: dict[str, Any]) -> None:
        # In dipsim's words (``key.path: message``), not pydantic's dump of the input: a batch's
        # error rows and messages show it as it is. (Loading locates each from ``error``.)
        problems = [
            f"{format_key_path(tuple(e['loc'])) or 'the scenario'}: {e['msg']}"
            for e in error.errors(include_url=False)
        ]
        super().__init__("; ".join(dict.fromkeys(problems)))
        self.error = error
        self.data = data


def validated(data: dict[str, Any]) -> Scenario:
    """``data`` as a scenario, or :class:`InvalidResultError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise InvalidResultError(err, data) from None


def consequences(scenario: Scenario, ids: Iterable[str], keep: Iterable[str] = ()) -> set[str]:
    """The ids of ``ids`` and of every event that (transitively) names one of them as a cause,
    not following through the events in ``keep``."""
    kept = set(keep)
    found = set(ids)
    changed = True
    while changed:
        changed = False
        for e in scenario.events:
            if e.id not in found and e.id not in kept and found.intersection(e.caused_by):
                found.add(e.id)
                changed = True
    return found


def _require_events(scenario: Scenario, ids: Iterable[str]) -> None:
    known = [e.id for e in scenario.events]
    for i in ids:
        if i not in known:
            raise EditError(f"no event {i!r}{did_you_mean(i, known)}")


def remove_events(scenario: Scenario, ids: Iterable[str], keep: Iterable[str] = ()) -> Scenario:
    """Remove events with their consequences, except those kept."""
    ids, keep = list(ids), list(keep)
    _require_events(scenario, [*ids, *keep])
    reached = consequences(scenario, ids)
    for k in keep:
        if k not in reached or k in ids:
            raise EditError(f"keep names {k!r}, which this edit would not remove")
    gone = consequences(scenario, ids, keep) - set(keep)
    events = tuple(
        e
        if not gone.intersection(e.caused_by)
        else e.model_copy(update={"caused_by": tuple(c for c in e.caused_by if c not in gone)})
        for e in scenario.events
        if e.id not in gone
    )
    return _revalidate(scenario, events=events)


def add_event(scenario: Scenario, event: EventSpec) -> Scenario:
    """Add an event (its id must be new)."""
    if any(e.id == event.id for e in scenario.events):
        raise EditError(f"an event {event.id!r} already exists (use replace to change it)")
    return _revalidate(scenario, events=(*scenario.events, event))


def replace_event(scenario: Scenario, event_id: str, changes: Mapping[str, Any]) -> Scenario:
    """Change some fields of an event."""
    _require_events(scenario, [event_id])
    events = []
    for e in scenario.events:
        if e.id == event_id:
            data = e.model_dump(mode="json", by_alias=True)
            data.update(changes)
            events.append(data)
        else:
            events.append(e.model_dump(mode="json", by_alias=True))
    data = scenario.model_dump(mode="json", by_alias=True)
    data["events"] = events
    return validated(data)


def shift_events(
    scenario: Scenario,
    ids: Iterable[str],
    by: float | None = None,
    to: dt.date | None = None,
    with_consequences: bool = False,
) -> Scenario:
    """Move events ``by`` days (fractions move the time of day) or ``to`` a date."""
    ids = list(ids)
    _require_events(scenario, ids)
    moving = consequences(scenario, ids) if with_consequences else set(ids)
    first = {e.id: e for e in scenario.events}
    events = []
    for e in scenario.events:
        if e.id not in moving:
            events.append(e)
            continue
        how = f"to {to.isoformat()}" if to is not None else f"by {by:g} days"
        try:
            if to is not None:
                # Consequences keep their distance from the first event named.
                anchor = first[ids[0]].day
                when = dt.datetime.combine(to, e.time or dt.time()) + (e.day - anchor)
            else:
                when = e.when + dt.timedelta(days=by or 0.0)
            # An uncertain date moves whole: every possible day by the replay point's move.
            uncertain = e.uncertain_date()
            date = (
                when.date() if uncertain is None else uncertain.shifted((when.date() - e.day).days)
            )
        except OverflowError:  # past 9999-12-31 (or before year 1): no date to check
            raise EditError(
                f"shifting event {e.id!r} {how} takes it off the calendar (years 1 to 9999)"
            ) from None
        except ValueError as err:
            raise EditError(f"event {e.id!r} cannot be shifted {how}: its date is {err}") from None
        has_time = e.time is not None or when.time() != dt.time()
        events.append(
            e.model_copy(update={"date": date, "time": when.time() if has_time else None})
        )
    return _revalidate(scenario, events=tuple(events))


def cause_order_hint(
    scenario: Scenario, ids: Iterable[str], with_consequences: bool, event: str, cause: str
) -> str | None:
    """What to write when shifting ``ids`` in ``scenario`` (before the shift) put ``event``
    before its ``cause``: move the two together, or ``None`` if the shift moved neither."""
    moved = consequences(scenario, ids) if with_consequences else set(ids)
    if cause in moved and event not in moved:
        return (
            f"add 'with_consequences: true' to the shift: {event!r}, which it caused, "
            "then moves with it"
        )
    if event in moved and cause not in moved:
        return (
            f"to move both, shift its cause {cause!r} with 'with_consequences: true' "
            "(the events it caused move with it)"
        )
    return None


def add_rule(scenario: Scenario, rule: RuleSpec) -> Scenario:
    """Add a rule, or replace the rule with the same id."""
    rules = [r for r in scenario.rules if r.id != rule.id]
    if len(rules) == len(scenario.rules):
        rules.append(rule)
    else:
        rules = [rule if r.id == rule.id else r for r in scenario.rules]
    return _revalidate(scenario, rules=tuple(rules))


def remove_rule(scenario: Scenario, rule_id: str) -> Scenario:
    """Remove a rule."""
    known = [r.id for r in scenario.rules]
    if rule_id not in known:
        raise EditError(f"no rule {rule_id!r}{did_you_mean(rule_id, known)}")
    return _revalidate(scenario, rules=tuple(r for r in scenario.rules if r.id != rule_id))


_SEGMENT = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")


def parse_path(path: str) -> list[str | int]:
    """``rules[retaliation].probability`` -> ``["rules", "retaliation", "probability"]``;
    a selector that is a whole number becomes an index."""
    return list(_parsed_path(path))


@functools.lru_cache(maxsize=256)
def _parsed_path(path: str) -> tuple[str | int, ...]:
    # A batch sets the same few paths at every design point: read each once.
    parts: list[str | int] = []
    pos = 0
    for m in _SEGMENT.finditer(path):
        between = path[pos : m.start()]
        if between not in ("", "."):
            raise EditError(f"cannot read the path {path!r} near {between!r}")
        pos = m.end()
        name, selector = m.group(1), m.group(2)
        if selector is not None:
            parts.append(int(selector) if selector.lstrip("-").isdigit() else selector)
        else:
            parts.append(name)
    if pos != len(path) or not parts:
        raise EditError(f"cannot read the path {path!r}")
    return tuple(parts)


def select(items: list[Any], selector: str | int, where: str) -> int:
    """The index of the list item a path selects: by index, or by id, pair, trigger or name."""
    if isinstance(selector, int):
        if not -len(items) <= selector < len(items):
            raise EditError(f"{where}: index {selector} is out of range (0..{len(items) - 1})")
        return selector % len(items)
    matches = [
        i for i, item in enumerate(items) if isinstance(item, dict) and selector in _names(item)
    ]
    if len(matches) == 1:
        return matches[0]
    names = sorted({n for item in items if isinstance(item, dict) for n in _names(item)})
    if not matches:
        raise EditError(f"{where}: nothing named {selector!r}{did_you_mean(selector, names)}")
    raise EditError(f"{where}: {len(matches)} items match {selector!r}; use an index")


def _names(item: dict[str, Any]) -> set[str]:
    """What a list item may be selected by: its id, a relation's pair, a transition's trigger."""
    names = set()
    if isinstance(item.get("id"), str):
        names.add(item["id"])
    pair = item.get("pair")
    if isinstance(pair, list | tuple) and len(pair) == 2:
        names.update({f"{pair[0]}-{pair[1]}", f"{pair[1]}-{pair[0]}"})
    if isinstance(item.get("trigger"), str):
        names.add(item["trigger"])
    if isinstance(item.get("name"), str):
        names.add(item["name"])
    return names


def set_value(scenario: Scenario, path: str, value: Any) -> Scenario:
    """Set the value at ``path`` (see :func:`parse_path`); a missing last key is created, and a
    path ending in ``[+]`` appends to a list (``machine.transitions[+]``)."""
    return set_values(scenario, [(path, value)])


def set_values(scenario: Scenario, changes: Iterable[tuple[str, Any]]) -> Scenario:
    """Set several values at once, as :func:`set_value` sets one: the scenario goes through
    plain data and back through the models once, whatever the number of changes (a batch's
    design point sets all its parameters this way), and the result is judged as a whole."""
    data = scenario.model_dump(mode="json", by_alias=True)
    for path, value in changes:
        _set_in(data, path, value)
    return validated(data)


def _set_in(data: dict[str, Any], path: str, value: Any) -> None:
    parts = parse_path(path)
    node: Any = data
    walked = ""
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = walked or "the scenario"
        if isinstance(node, list) and part == "+":
            if not last:
                raise EditError(f"{where}: [+] appends, so it must end the path")
            node.append(value)
        elif isinstance(node, list):
            index = select(node, part, where)
            walked += f"[{part}]"
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            key = str(part)
            walked += f".{key}" if walked else key
            if last:
                node[key] = value
            elif key not in node:
                raise EditError(f"{where} has no {key!r}{did_you_mean(key, map(str, node))}")
            else:
                node = node[key]
        else:
            raise EditError(f"{where} is a single value; it has no {part!r}")


def apply_edit(scenario: Scenario, edit: Edit) -> Scenario:
    """Apply one edit."""
    if isinstance(edit, RemoveEvents):
        return remove_events(scenario, edit.remove, edit.keep)
    if isinstance(edit, AddEvent):
        return add_event(scenario, edit.add)
    if isinstance(edit, ReplaceEvent):
        return replace_event(scenario, edit.replace, edit.with_)
    if isinstance(edit, ShiftEvents):
        return shift_events(scenario, edit.shift, edit.by, edit.to, edit.with_consequences)
    if isinstance(edit, SetValue):
        return set_value(scenario, edit.set, edit.value)
    if isinstance(edit, AddRule):
        return add_rule(scenario, edit.add_rule)
    return remove_rule(scenario, edit.remove_rule)


def _revalidate(scenario: Scenario, **changes: Any) -> Scenario:
    # model_copy does not validate; going through plain data keeps every model check in force.
    data = scenario.model_dump(mode="json", by_alias=True)
    for key, value in changes.items():
        data[key] = [v.model_dump(mode="json", by_alias=True) for v in value]
    return validated(data)


__all__ = [
    "EditError",
    "add_event",
    "add_rule",
    "apply_edit",
    "consequences",
    "parse_path",
    "remove_events",
    "remove_rule",
    "replace_event",
    "select",
    "set_value",
    "set_values",
    "shift_events",
]
