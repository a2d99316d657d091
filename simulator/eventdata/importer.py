"""``dipsim import``: an event-data file, read once from top to bottom, → a scenario's text.

Every line is accounted for (:class:`Tally`): a record kept, a record outside the dyads or the
window, a record whose code the mapping leaves out, or a bad row (malformed, an unknown code or
actor) — counted by kind with the first few line numbers, never dropped unseen. A file whose bad
rows are more than ``max_bad`` of its rows is refused whole: it is most likely in another format or
codebook than it is read with (a KEDS file in WEIS read as CAMEO has 18% unknown codes, and the
rest mean other things), and a scenario made of it would be wrong.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.core.errors import DipsimError, ScenarioError, quoted
from simulator.core.files import NotRegularFileError, open_regular
from simulator.eventdata.build import SOURCE_ID, Aggregator, Origin, scenario_data
from simulator.eventdata.formats import BadRow, Format, Row, detect_format, lines, rows
from simulator.eventdata.mapping import CodeMap, Mapping, template_problems
from simulator.eventdata.select import Selection
from simulator.eventdata.tables import CodeTable, code_table, country_codes
from simulator.scenario.limits import Limits
from simulator.scenario.loading import scenario_from_text
from simulator.scenario.yamlread import DEFAULT_LIMITS, dump_yaml

#: Line numbers kept per kind of bad row, to show where to look.
SHOWN_LINES = 5


class RecordsError(DipsimError):
    """The file cannot be imported (not readable, no format, too many bad rows, nothing kept)."""


#: Bad rows of actors the import cannot name: the file is read right, the row just belongs to
#: no relation (GDELT and ICEWS have many one-sided records).
ACTOR_KINDS = frozenset({"missing actor", "unknown actor"})


@dataclass
class Tally:
    """What became of every line."""

    rows: int = 0
    kept: int = 0
    outside: int = 0  # records of other actors (or of no relation asked for)
    out_of_window: int = 0
    not_mapped: Counter[str] = field(default_factory=Counter)  # codes the mapping leaves out
    bad: Counter[str] = field(default_factory=Counter)
    bad_lines: dict[str, list[int]] = field(default_factory=dict)
    #: The first bad row of each kind that says why (a date that is no date ...), for the report.
    bad_first: dict[str, str] = field(default_factory=dict)
    unknown: Counter[str] = field(default_factory=Counter)  # unknown codes and actor names
    events: int = 0

    def bad_row(self, line: int, kind: str, detail: str = "") -> None:
        self.bad[kind] += 1
        if detail and kind not in self.bad_first:
            self.bad_first[kind] = f"line {line}: {detail}"
        shown = self.bad_lines.setdefault(kind, [])
        if len(shown) < SHOWN_LINES:
            shown.append(line)

    @property
    def bad_total(self) -> int:
        return sum(self.bad.values())

    @property
    def malformed(self) -> int:
        """Bad rows that say the file is read wrongly (not the ones of actors it does not know)."""
        return sum(n for kind, n in self.bad.items() if kind not in ACTOR_KINDS)


@dataclass(frozen=True)
class Imported:
    """The scenario made (plain data, ready to write) and the account of the file."""

    data: dict[str, Any]
    tally: Tally
    fmt: Format
    table: CodeTable
    folder: Path = Path(".")  # where the scenario is to be written: its source's path is from it


def import_records(
    path: Path,
    mapping: Mapping,
    selection: Selection,
    *,
    fmt: Format | None = None,
    relative_to: Path,
    title: str | None = None,
    max_bad: float = 0.05,
    progress: Callable[[int, int], None] | None = None,
) -> Imported:
    """Read ``path`` and make its scenario. ``relative_to``: the folder the scenario will be
    written in (its source's path is written relative to it).

    Raises:
        RecordsError: The file cannot be read, its format cannot be told, too many rows are bad,
            or no record is left.
    """
    table = code_table(mapping.codebook)
    codes = CodeMap(mapping)
    tally = Tally()
    folded = Aggregator()
    try:
        file = open_regular(path)
    except FileNotFoundError:
        raise RecordsError(f"{quoted(str(path))}: no such file") from None
    except NotRegularFileError as err:
        raise RecordsError(f"{quoted(str(path))} is {err.kind}, not a file of records") from None
    except (OSError, ValueError) as err:
        raise RecordsError(f"{quoted(str(path))}: cannot read ({err})") from None
    with file:
        size = os.fstat(file.fileno()).st_size
        numbered = lines(file, None if progress is None else lambda done: progress(done, size))
        first = next(numbered, None)
        if first is None:
            raise RecordsError(f"{quoted(str(path))} is empty")
        if isinstance(first[1], BadRow) and first[1].kind == "not UTF-8":
            # Another encoding (a scenario could not cite the file either): say which to use.
            utf16 = os.pread(file.fileno(), 2, 0) in (b"\xff\xfe", b"\xfe\xff")
            raise RecordsError(
                f"{quoted(str(path))} is {'UTF-16' if utf16 else 'not UTF-8'} text (line 1: "
                f"{first[1].detail}); save it as UTF-8 and import it again"
            )
        if fmt is None:
            fmt = detect_format(first[1]) if isinstance(first[1], str) else None
            if fmt is None:
                raise RecordsError(
                    f"cannot tell the format of {quoted(str(path))} from its first line; "
                    "name it with --format keds, icews or gdelt"
                )
        for item in rows(fmt, itertools.chain((first,), numbered)):
            if isinstance(item, BadRow) and item.kind == "no header":
                raise RecordsError(
                    f"{quoted(str(path))}: line {item.line} is {item.detail}; is the file "
                    f"in {fmt} format? (--format)"
                )
            _account(item, fmt, table, codes, selection, tally, folded)
    _refuse_if_bad(path, tally, table, max_bad)
    events = folded.events(mapping)
    tally.events = len(events)
    if not events:
        if tally.rows == 0:
            raise RecordsError(f"{quoted(str(path))} has no records after its header")
        raise RecordsError(_nothing_kept(path, tally, selection))
    first_day = selection.first or events[0].date
    last_day = selection.last or events[-1].date
    origin = Origin(
        file=os.path.relpath(os.path.abspath(path), os.path.abspath(relative_to)),
        title=title or f"{', '.join('–'.join(p) for p in selection.relations)} from {path.name}",
        note=_note(fmt, tally),
    )
    data = scenario_data(mapping, table, selection.relations, events, (first_day, last_day), origin)
    return Imported(data, tally, fmt, table, relative_to)


def scenario_text(made: Imported, mapping_path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """The scenario as YAML, validated as ``dipsim check`` would read it (its cited rows aside:
    they are checked against the file when the scenario is loaded from where it is written).

    Raises:
        ScenarioError: The scenario is not valid; problems of the mapping's machine or types are
            located in the mapping file.
    """
    text = dump_yaml(made.data, flow_lists=True)
    try:
        # Read as it will be, from the folder it is written in (the records' path is written
        # relative to that folder, not to the working one).
        scenario_from_text(text, "<imported scenario>", limits, base=made.folder)
    except ScenarioError as err:
        if any(p.key_path == ("sources", SOURCE_ID, "file") for p in err.problems):
            raise RecordsError(_uncitable(made)) from None
        raise template_problems(mapping_path, list(err.problems), limits) from None
    return text


def _uncitable(made: Imported) -> str:
    """Why the scenario cannot cite its records file: it cannot be read where the scenario will
    look for it (its data files are scanned a line at a time, of any size and any bytes, so
    only a file that is gone or is no regular file is refused)."""
    path = made.folder / made.data["sources"][SOURCE_ID]["file"]
    shown = os.path.relpath(path)  # as given on the command line, most often
    if shown.startswith(".."):
        shown = os.path.normpath(path)
    return f"the scenario cannot cite {quoted(shown)} for its events' rows: it cannot be read"


def _account(
    item: Row | BadRow,
    fmt: Format,
    table: CodeTable,
    codes: CodeMap,
    selection: Selection,
    tally: Tally,
    folded: Aggregator,
) -> None:
    tally.rows += 1
    if isinstance(item, BadRow):
        tally.bad_row(item.line, item.kind, item.detail)
        return
    if item.code not in table.names:
        tally.bad_row(item.line, "unknown code")
        tally.unknown[f"{table.codebook.upper()} code {item.code}"] += 1
        return
    source, target = item.source, item.target
    if fmt == "icews":  # countries by name: their codes
        found = country_codes()
        source, target = found.get(source.lower(), ""), found.get(target.lower(), "")
        if not source or not target:
            tally.bad_row(item.line, "unknown actor")
            name = item.source if not source else item.target
            tally.unknown[f"country {name[:40]!r}"] += 1
            return
    pair = selection.pick(item, source, target)
    if pair is None:
        tally.outside += 1
        return
    if not selection.in_window(item.date):
        tally.out_of_window += 1
        return
    kind = codes.type_of(item.code)
    if kind is None:
        tally.not_mapped[item.code] += 1
        return
    tally.kept += 1
    folded.add(item.date, pair[0], pair[1], kind, item.code, item.line, item.record)


def _refuse_if_bad(path: Path, tally: Tally, table: CodeTable, max_bad: float) -> None:
    if tally.rows == 0 or tally.malformed <= max_bad * tally.rows:
        return
    share = tally.malformed / tally.rows
    message = (
        f"{quoted(str(path))}: {tally.malformed:,} of {tally.rows:,} rows ({share:.1%}) cannot be "
        f"read as {table.codebook.upper()}-coded records (more than --max-bad {max_bad:g}): "
        + bad_summary(tally)
    )
    if table.codebook == "cameo" and tally.bad.get("unknown code", 0):
        weis = code_table("weis").names
        unknown = [u.rsplit(" ", 1)[-1] for u in tally.unknown if u.startswith("CAMEO code ")]
        if unknown and all(code in weis for code in unknown):
            message += (
                "; every unknown code is a WEIS code: is the file WEIS-coded? (--codebook weis)"
            )
    raise RecordsError(message)


def counted(events: int) -> str:
    """``1 event``, ``276 events``."""
    return f"{events:,} event{'' if events == 1 else 's'}"


def bad_summary(tally: Tally) -> str:
    """``unknown code 9,730 (lines 12, 40, ...)``, the kinds by count."""
    parts = []
    for kind, n in tally.bad.most_common():
        where = ", ".join(map(str, tally.bad_lines.get(kind, [])))
        more = ", ..." if n > len(tally.bad_lines.get(kind, [])) else ""
        parts.append(f"{kind} {n:,} (line{'s' if n > 1 else ''} {where}{more})")
    return "; ".join(parts)


def _nothing_kept(path: Path, tally: Tally, selection: Selection) -> str:
    asked = ", ".join("-".join(p) for p in selection.relations)
    why = [f"{tally.outside:,} rows of other actors"]
    if tally.out_of_window:
        why.append(f"{tally.out_of_window:,} outside the dates")
    if tally.not_mapped:
        why.append(f"{sum(tally.not_mapped.values()):,} with codes the mapping leaves out")
    return f"no record of {asked} in {quoted(str(path))} to import ({'; '.join(why)})"


def _note(fmt: Format, tally: Tally) -> str:
    named = {"keds": "KEDS/TABARI", "icews": "ICEWS", "gdelt": "GDELT"}[fmt]
    return (
        f"{named} records: {tally.rows:,} rows read, {tally.kept:,} kept as "
        f"{counted(tally.events)} (same day, actors and type taken together), "
        f"{tally.bad_total:,} bad rows."
    )


__all__ = [
    "SHOWN_LINES",
    "Imported",
    "RecordsError",
    "Tally",
    "bad_summary",
    "counted",
    "import_records",
    "scenario_text",
]
