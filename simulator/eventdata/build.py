"""Records kept by an import → the events of a scenario, and the scenario itself as plain data.

A real file has many records of one act: several reports of a day's strike, the same meeting
coded from each side's wire story. Records of the same day, the same actors (in the same
direction) and the same event type are one event here ("same-day near-duplicates"); it takes the
code most of them have (the smallest of those tied), its Goldstein value from the codebook's table
(never from the row: GDELT's own column is the table's anyway, ICEWS's intensity is its own
scale), and it cites every row it was made from.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from simulator.eventdata.mapping import Mapping
from simulator.eventdata.tables import CodeTable, countries
from simulator.scenario.model.events import MAX_CITED

#: The id of the import's one source, which every event cites.
SOURCE_ID = "records"
#: Rows (or records) one citation lists at most: the scenario format's bound.
CITED = MAX_CITED


@dataclass
class _Group:
    rows: list[int] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Event:
    """One event: a day's records of one act."""

    date: dt.date
    source: str
    target: str
    type: str
    code: str
    codes: tuple[tuple[str, int], ...]  # every code of its records, most frequent first
    rows: tuple[int, ...]
    records: tuple[str, ...]
    joint: bool = False  # both sides' act (source and target are the two sides)


class Aggregator:
    """Folds records into events as they come; holds one small group per event (what it keeps
    grows with the events of the dyad, not with the file)."""

    def __init__(self) -> None:
        self._groups: dict[tuple[dt.date, str, str, str], _Group] = {}

    def __len__(self) -> int:
        return len(self._groups)

    def add(
        self,
        day: dt.date,
        source: str,
        target: str,
        kind: str,
        code: str,
        row: int,
        record: str | None,
    ) -> None:
        group = self._groups.setdefault((day, source, target, kind), _Group())
        group.rows.append(row)
        if record is not None:
            group.records.append(record)
        group.codes[code] += 1

    def events(self, mapping: Mapping | None = None) -> list[Event]:
        """The events in date order (a day's in the order of their first row). A type the
        mapping takes from ``both_sides`` is one joint event on a day both sides' records
        have it, and its ``otherwise`` type on a day only one side's have it."""
        groups = dict(self._groups)
        joint: set[tuple[dt.date, str, str, str]] = set()
        types = {} if mapping is None else mapping.types
        for key in list(groups):
            day, source, target, kind = key
            rule = types.get(kind)
            if rule is None or not rule.both_sides or key not in groups:
                continue
            other = (day, target, source, kind)
            if other in groups:
                mine, theirs = groups[key], groups.pop(other)
                mine.rows.extend(theirs.rows)
                mine.records.extend(theirs.records)
                mine.codes.update(theirs.codes)
                mine.rows.sort()
                joint.add(key)
            else:
                assert rule.otherwise is not None  # the mapping's validator requires it
                moved = groups.pop(key)
                into = groups.setdefault((day, source, target, rule.otherwise), _Group())
                into.rows = sorted(into.rows + moved.rows)
                into.records.extend(moved.records)
                into.codes.update(moved.codes)
        made = []
        for key, g in groups.items():
            day, source, target, kind = key
            ranked = sorted(g.codes.items(), key=lambda item: (-item[1], item[0]))
            made.append(
                Event(
                    day,
                    source,
                    target,
                    kind,
                    ranked[0][0],
                    tuple(ranked),
                    tuple(g.rows),
                    tuple(g.records),
                    joint=key in joint,
                )
            )
        return sorted(made, key=lambda e: (e.date, e.rows[0]))


def event_data(event: Event, table: CodeTable) -> dict[str, Any]:
    """One event as a scenario's ``events`` entry."""
    n = len(event.rows)
    arrow = "and" if event.joint else "→"
    summary = f"{event.source} {arrow} {event.target}: {table.label(event.code)}"
    if n > 1:
        counts = ", ".join(f"{c} ×{k}" for c, k in event.codes)
        summary += f"; {n} records ({counts})"
    # A record's own id where the file gives one (ICEWS, GDELT): it survives a re-sorted or
    # filtered copy of the file, which line numbers do not.
    key, cited = (
        ("records", list(event.records))
        if len(event.records) == len(event.rows)
        else ("rows", list(event.rows))
    )
    # A citation lists at most CITED of them (the format's bound): a busier day's records are
    # cited in several citations of the one source.
    cites = [{"ref": SOURCE_ID, key: cited[k : k + CITED]} for k in range(0, len(cited), CITED)]
    codes: dict[str, Any] = {table.codebook: event.code}
    goldstein = table.goldstein.get(event.code)
    if goldstein is not None:
        codes["goldstein"] = goldstein
    parties: dict[str, Any] = (
        {"actor": [event.source, event.target], "joint": True}
        if event.joint
        else {"actor": event.source, "target": event.target}
    )
    return {
        "id": f"{event.date.isoformat()}-{event.source}-{event.target}-{event.type}",
        "date": event.date,
        "type": event.type,
        **parties,
        "summary": summary,
        "codes": codes,
        "source": cites[0] if len(cites) == 1 else cites,
    }


@dataclass(frozen=True, slots=True)
class Origin:
    """What the scenario says of where it came from."""

    file: str  # the records' file, relative to the scenario's folder
    title: str
    note: str


def scenario_data(
    mapping: Mapping,
    table: CodeTable,
    relations: tuple[tuple[str, str], ...],
    events: list[Event],
    span: tuple[dt.date, dt.date],
    origin: Origin,
) -> dict[str, Any]:
    """The whole scenario as plain data, in the order a person would read it."""
    names = countries()
    actors = {c: {"name": names.get(c, c)} for pair in relations for c in pair}
    data: dict[str, Any] = {
        "dipsim": 1,
        "title": origin.title,
        "description": (
            f"Records of {origin.file} made into events by dipsim import, with the mapping "
            f"{mapping.title!r}. {origin.note}"
        ),
        "start": span[0],
        "end": span[1],
        "sources": {SOURCE_ID: {"file": origin.file, "title": origin.title, "note": origin.note}},
        "actors": actors,
        "event_types": {
            name: ({"description": m.description} if m.description else {})
            for name, m in mapping.types.items()
        },
    }
    template = dict(mapping.scenario)
    data["machine"] = template.pop("machine")
    if "variables" in template:
        data["variables"] = template.pop("variables")
    data["relations"] = [{"pair": list(pair)} for pair in relations]
    data["events"] = [event_data(e, table) for e in events]
    data.update(template)
    return data


__all__ = ["SOURCE_ID", "Aggregator", "Event", "Origin", "event_data", "scenario_data"]
