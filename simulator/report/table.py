"""A trace as a table for people: one line of facts per event, then the event's id and summary
and the sentence of the source it rests on, fitted to the width (100 columns by default).

The table is plain text unless a :class:`TableStyle` paints it. The renderer says what each
piece is — a state and how grave it is, a conflict or cooperation marker, an event id — and the
style's ``paint`` decides how that looks (the command line uses terminal colours). So this
module knows nothing of terminals or escape codes, and the table stays a pure function of the
trace and its arguments.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simulator.core.text import printable_data
from simulator.engine.trace import (
    UNCERTAIN_NOTE,
    Record,
    RelationEnd,
    Trace,
    bearing_text,
    parties_text,
    same_act,
)
from simulator.report.table_layout import GAP, Layout, fit

ARROW = "→"

#: The marker after the event type: the sign of the event's Goldstein value. A symbol rather than
#: only a colour, so that colour-blind readers and printed handouts see it too.
CONFLICT = "▼"
COOPERATION = "▲"
NEUTRAL = "·"
#: After the date of an event whose date was inferred (``date_basis: inferred``), not reported;
#: the event's block ends with the ``date_note`` saying how.
INFERRED = "*"


class Role(enum.Enum):
    """What a piece of the table is, for a :class:`TableStyle` to paint."""

    #: The machine's first state (scenarios list their states from calm to crisis).
    CALM = "calm"
    #: A state in the calmer half of those between the first and the last.
    UNEASY = "uneasy"
    #: A state in the graver half of those between the first and the last.
    GRAVE = "grave"
    #: The machine's last state.
    CRISIS = "crisis"
    #: The marker of an event with a Goldstein value below 0.
    CONFLICT = "conflict"
    #: The marker of an event with a Goldstein value above 0.
    COOPERATION = "cooperation"
    #: The marker of an event at 0 or without a Goldstein value.
    NEUTRAL = "neutral"
    #: An event's id, in the line under its row.
    EVENT_ID = "event_id"


def _unpainted(text: str, _role: Role) -> str:
    return text


@dataclass(frozen=True, slots=True)
class TableStyle:
    """How the table is decorated beyond plain text.

    Attributes:
        paint: ``paint(text, role)`` gives ``text`` as it should look (e.g. with colour codes).
            It must not change the columns the text takes: padding is computed on the plain
            text. The default leaves the text as it is.
        states: The machine's states in the scenario's order, calm to crisis; a state is
            painted by its position (see :func:`state_role`). States not listed are not painted.
    """

    paint: Callable[[str, Role], str] = _unpainted
    states: tuple[str, ...] = ()

    def state(self, name: str) -> str:
        role = state_role(name, self.states)
        return name if role is None else self.paint(name, role)


#: Plain text: no colours.
PLAIN = TableStyle()


def state_role(state: str, states: Sequence[str]) -> Role | None:
    """How grave ``state`` is by its position in ``states`` (listed calm to crisis).

    The first state is calm and the last the crisis; those between are split into a calmer and a
    graver half (a middle one counts as calmer). None for a state not in ``states``.
    """
    if state not in states:
        return None
    i, n = states.index(state), len(states)
    if i == 0:
        return Role.CALM
    if i == n - 1:
        return Role.CRISIS
    return Role.UNEASY if 2 * (i - 1) < n - 2 else Role.GRAVE


def goldstein_marker(goldstein: float | None) -> tuple[str, Role]:
    """The marker of an event with this Goldstein value, and its role."""
    # Written as two comparisons so that an unknown value (None, or NaN) is neutral.
    if goldstein is not None and goldstein < 0:
        return CONFLICT, Role.CONFLICT
    if goldstein is not None and goldstein > 0:
        return COOPERATION, Role.COOPERATION
    return NEUTRAL, Role.NEUTRAL


@dataclass(frozen=True, slots=True)
class TableParts:
    """The table cut where ``dipsim run --step`` pauses; each part ends with a newline.

    Attributes:
        head: The title line, a blank line, the column headers and their rule.
        events: One block per record: its row, id and summary, and citation.
        tail: The run's log (if any) and the ``final:`` line.
    """

    head: str
    events: tuple[str, ...]
    tail: str

    @property
    def text(self) -> str:
        return self.head + "".join(self.events) + self.tail


# A cell as (plain text, text as shown): columns are measured on the first.
_Cell = tuple[str, str]


def _state_cell(r: Record, style: TableStyle) -> _Cell:
    if r.outcome == "transition" and r.before != r.after:
        return (
            f"{r.before} {ARROW} {r.after}",
            f"{style.state(r.before)} {ARROW} {style.state(r.after)}",
        )
    if r.outcome == "transition":
        note = " (again)"
    elif r.outcome == "guard_failed":
        note = " (guard not met)"
    else:
        note = " (unchanged)"
    return r.after + note, style.state(r.after) + note


def _track_cell(r: Record, track: str) -> _Cell:
    """A track's state after the event: ``a → b`` when the event moved it, else the state (the
    diplomatic column says the outcome in words; a track's column stays narrow)."""
    step = r.track_step(track)
    if step is None:
        return ("", "")
    text = f"{step.before} {ARROW} {step.after}" if step.before != step.after else step.after
    return (text, text)


def _parties(r: Record) -> str:
    return parties_text(r, f" {ARROW} ")


def trace_table(
    trace: Trace, width: int = 100, variable: str | None = None, style: TableStyle = PLAIN
) -> str:
    """Render ``trace`` as text.

    Args:
        trace: The trace.
        width: Columns to fit (summaries and quotes are wrapped to it).
        variable: The variable shown in the last column (default: ``tension`` if present, else
            the first variable, else none).
        style: How to paint the table (default: plain text).
    """
    return table_parts(trace, width, variable, style).text


def table_parts(
    trace: Trace, width: int = 100, variable: str | None = None, style: TableStyle = PLAIN
) -> TableParts:
    """:func:`trace_table` in parts: the head, one block per record, the tail.

    No line is wider than ``width`` (down to 60 columns; narrower, the row keeps its date,
    marker and state): the columns that do not fit leave the row for a line under it
    (:mod:`simulator.report.table_layout`), and the rest is wrapped.

    Texts with terminal control characters (a summary from a file anyone may hand over) are
    shown as escape text (:func:`simulator.core.text.printable`) before the style paints, so
    that the only escape codes in the table are the style's.
    """
    trace = _printable(trace)
    if variable is None and trace.variables:
        variable = "tension" if "tension" in trace.variables else trace.variables[0]
    multi = len(trace.final) > 1
    # The marker column has no heading: docs/ say what the markers mean.
    columns = {"date": "date", "relation": "relation", "type": "type", "marker": ""}
    columns |= {"parties": "actor → target", "state": "state"}
    if not multi:
        del columns["relation"]
    # A state column per parallel track, headed by the track's name.
    columns |= {f"track:{name}": name for name in trace.tracks}
    if variable is not None:
        columns["variable"] = variable
    rows = [_cells(r, multi, variable, style, trace.tracks) for r in trace.records]
    names, header = list(columns), list(columns.values())
    # At least one column each, so that the marker column has its rule even without events.
    widths = [max([len(h), 1] + [len(row[i][0]) for row in rows]) for i, h in enumerate(header)]
    layout = fit(names, widths, width)
    kept = [widths[i] for i in layout.row]
    indent = " " * (kept[0] + GAP)
    title = (
        f"{trace.title}  (seed {trace.seed}, {trace.start.isoformat()} .. {trace.stop.isoformat()})"
    )
    head = [*textwrap.wrap(title, width, subsequent_indent="  "), ""]
    head.append(_join([header[i] for i in layout.row], kept))
    if layout.details:
        head.append(indent + ", ".join(header[i] for i in layout.details))
    head.append(_join(["-" * w for w in kept], kept))
    blocks = [
        _event_block(r, row, layout, kept, indent, width, style, again)
        for r, row, again in zip(trace.records, rows, _repeats(trace.records), strict=True)
    ]
    tail: list[str] = []
    if trace.log:
        tail.append("")
        for entry in trace.log:
            tail.extend(
                textwrap.wrap(
                    f"{entry.kind}: {entry.message}",
                    width,
                    initial_indent=f"{_date(entry.when)}  ",
                    subsequent_indent=indent,
                )
            )
    tail.append("")
    ends = [
        f"{f.relation} {f.state}"
        + "".join(f", {track} {state}" for track, state in f.tracks.items())
        + (f" ({variable} {f.variables[variable]:.2f})" if variable in f.variables else "")
        for f in trace.final
    ]
    final = textwrap.wrap("final: " + "; ".join(ends), width, subsequent_indent="       ")
    tail.extend(_painted_states(line, trace.final, style) for line in final)
    return TableParts(_lines(head), tuple(blocks), _lines(tail))


def _cells(
    r: Record, multi: bool, variable: str | None, style: TableStyle, tracks: Sequence[str] = ()
) -> list[_Cell]:
    """A record's cells, in the order of the table's columns."""
    # An inferred date is marked: a student should not take it for one a source reports.
    date = r.date_text + (INFERRED if r.date_basis == "inferred" else "")
    cells: list[_Cell] = [(date, date)]
    if multi:
        cells.append((r.relation, r.relation))
    # Marked by what the act does on this relation, as the engine applied it (a third party
    # backing one side raises tension on its relation, whatever its coded sign).
    marker, role = goldstein_marker(r.bearing)
    cells += [
        (r.type, r.type),
        (marker, style.paint(marker, role)),
        (_parties(r), _parties(r)),
        _state_cell(r, style),
    ]
    cells += [_track_cell(r, track) for track in tracks]
    if variable is not None:
        value = f"{r.variables.get(variable, 0.0):.2f}"
        cells.append((value, value))
    return cells


def _painted_states(line: str, final: Sequence[RelationEnd], style: TableStyle) -> str:
    """A line of the ``final:`` text with each relation's state painted."""
    for f in final:
        line = line.replace(f"{f.relation} {f.state}", f"{f.relation} {style.state(f.state)}")
    return line


def _printable(trace: Trace) -> Trace:
    """``trace``, or a copy whose texts hold no terminal control characters."""
    data = trace.to_dict()
    shown = printable_data(data)
    return trace if shown == data else Trace.from_dict(shown)


def _repeats(records: Sequence[Record]) -> list[bool]:
    """Whether each record continues the act of the one before: an act that reaches several
    relations is applied to each in turn, at one moment, and is shown once (its rows, then its
    summary and source under the last)."""
    return [same_act(a, b) for a, b in itertools.pairwise(records)] + [False] * bool(records)


def _event_block(
    r: Record,
    row: list[_Cell],
    layout: Layout,
    widths: list[int],
    indent: str,
    width: int,
    style: TableStyle,
    continued: bool = False,
) -> str:
    """A record's lines: its row (and the cells that did not fit on it), then its id and
    summary, then its source, then why its date is inferred. An act that goes on to another
    relation in the next record (``continued``) has only its row here."""
    lines = [_join([row[i][0] for i in layout.row], widths, [row[i][1] for i in layout.row])]
    if layout.details:
        plain = ", ".join(row[i][0] for i in layout.details)
        if len(indent + plain) <= width:
            lines.append(indent + ", ".join(row[i][1] for i in layout.details))
        else:  # too long to paint and still wrap by its plain text
            lines.extend(
                textwrap.wrap(plain, width, initial_indent=indent, subsequent_indent=indent)
            )
    sided = bearing_text(r)
    if sided is not None:
        lines.extend(
            textwrap.wrap(sided, width, initial_indent=indent, subsequent_indent=indent + "  ")
        )
    if continued:
        return _lines(lines)
    if r.cause.startswith("rule:"):
        # A response's id is on its ↳ line, under its summary.
        lines.extend(
            textwrap.wrap(r.summary, width, initial_indent=indent, subsequent_indent=indent)
        )
        after = f", in response to {', '.join(r.caused_by)}" if r.caused_by else ""
        rule = r.cause.removeprefix("rule:")
        lines += _led_by_id(r.event, f"{r.event}: rule {rule}{after}", indent + "↳ ", width, style)
    else:
        # Exercises and expectations name events by id, so the id leads the summary (students
        # need not look it up in the scenario file).
        text = f"{r.event}: {r.summary}" if r.summary else r.event
        lines += _led_by_id(r.event, text, indent, width, style)
    if r.quote or r.where:
        # A data file's rows or records stand where a quote would, without quotation marks.
        cited = f"“{r.quote}” [{r.source}]" if r.quote else f"{r.where} [{r.source}]"
        lines.extend(
            textwrap.wrap(
                cited, width, initial_indent=indent + "  ", subsequent_indent=indent + "   "
            )
        )
    elif r.source:
        lines.append(f"{indent}  [{r.source}]")
    if r.date_basis == "inferred" or uncertain(r):
        note = f"{INFERRED} date inferred: {r.date_note}" if r.date_note else "date inferred"
        if r.date_basis != "inferred":
            note = f"{r.date_note}"
        lines.extend(
            textwrap.wrap(
                note, width, initial_indent=indent + "  ", subsequent_indent=indent + "    "
            )
        )
    return _lines(lines)


def uncertain(r: Record) -> bool:
    """Whether the record's event has an uncertain date (the engine's note says so)."""
    return bool(r.date_note) and UNCERTAIN_NOTE in (r.date_note or "")


def _led_by_id(event: str, text: str, indent: str, width: int, style: TableStyle) -> list[str]:
    """``text``, which starts with the id ``event``, wrapped under ``indent``, the id painted."""
    out = textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=" " * len(indent))
    if out and out[0].startswith(indent + event):  # not if an id too long was cut
        out[0] = indent + style.paint(event, Role.EVENT_ID) + out[0][len(indent + event) :]
    return out


def _lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _date(when: dt.datetime) -> str:
    return when.date().isoformat().ljust(10)


def _join(cells: list[str], widths: list[int], shown: list[str] | None = None) -> str:
    """Cells padded to their columns, the last one right-aligned.

    ``shown`` are the cells as printed (painted), when they differ from ``cells``: the padding
    is measured on the plain ``cells``, since escape codes take no columns on screen.
    """
    printed = cells if shown is None else shown
    last = len(cells) - 1
    parts = [
        out + " " * (w - len(plain)) if i < last else " " * (w - len(plain)) + out
        for i, (plain, out, w) in enumerate(zip(cells, printed, widths, strict=True))
    ]
    return "  ".join(parts).rstrip()
