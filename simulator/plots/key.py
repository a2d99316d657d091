"""The timeline's key: the numbered list of the events beside the figure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from simulator.engine.trace import UNCERTAIN_NOTE, Record, parties_text
from simulator.plots.style import goldstein_colour

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

#: Rows of the timeline's event key per column (two at most; more events are elided).
KEY_ROWS = 30
#: Points of the figure's height the key may fill below the titles.
KEY_HEIGHT = 520.0
#: After a date no source reports, as in the terminal table (``report.table.INFERRED``): a
#: student should not take it for a reported one.
INFERRED = "*"
#: Under the key when a date in it is marked.
INFERRED_NOTE = f"{INFERRED} date inferred"
#: After a date that is one of several possible (a month, a range, a disputed date): the day
#: this run played it on.
UNCERTAIN = "~"
UNCERTAIN_NOTE_TEXT = f"{UNCERTAIN} date uncertain (one of several days)"


#: The smallest type the key is set in.
SMALLEST = 8
#: Text lines a column of the key holds at the smallest type, its heading and notes aside.
COLUMN_LINES = int((KEY_HEIGHT - 2 * (KEY_ROWS + 3)) / (1.2 * SMALLEST)) - 4

Line = tuple[str, str, bool]


def keyed(records: Sequence[Record]) -> int:
    """How many of the events the key lists (the rest are elided): the ones numbered."""
    return sum(1 for column in _columns(records) for number, _, _ in column if number)


def _columns(records: Sequence[Record]) -> list[list[Line]]:
    """The key's two columns: up to :data:`KEY_ROWS` entries each, and no more text lines
    than fit at the smallest type (an entry may take several: a wrapped id, its parties). What
    does not fit is elided, the last entry saying how many ("… and 40 more"): a key of many
    long entries (an imported scenario's ``1987-06-05-FRN-IRN-use_force``) never runs off the
    figure."""
    lines = _key_lines(records, 30 if len(records) <= KEY_ROWS else 22)
    columns: list[list[Line]] = [[]]
    used = 0
    for line in lines:
        height = 1 + line[1].count("\n")
        if len(columns[-1]) == KEY_ROWS or used + height > COLUMN_LINES:
            if len(columns) == 2:
                break
            columns.append([])
            used = 0
        columns[-1].append(line)
        used += height
    else:
        return [c for c in columns if c]
    # Not all fit: the last entry shown gives way to the count of those left out.
    shown = sum(len(c) for c in columns) - 1
    columns[-1][-1] = ("", f"\u2026 and {len(lines) - shown} more", False)
    return columns


def _key_lines(records: Sequence[Record], width: int) -> list[tuple[str, str, bool]]:
    """The key's lines: number, text (ids cut to ``width``) and whether the state changed."""
    lines = []
    # Events of more than one year: each date says its year (the axis shows it only here and
    # there).
    years = len({r.when.year for r in records}) > 1
    for i, r in enumerate(records, start=1):
        day = str(r.when.day).rjust(2, "\u2007")  # a figure space is as wide as a digit
        date = f"{day} {r.when:%b}" + (f" {r.when.year}" if years else "")
        # The mark takes the place of one of the two spaces after the date: the key is no
        # wider, so the plots beside it are not narrowed (busy days' markers would touch).
        # An uncertain date's mark wins over an inferred one's: the day drawn is one of several,
        # and '*' alone would say that this very day was worked out (a month-only date is
        # usually both: trainees-leave in scenarios/saudi-canada-2018.yaml).
        mark = UNCERTAIN if _uncertain(r) else INFERRED if r.date_basis == "inferred" else " "
        # A long id is wrapped (at a hyphen if it has one), never cut: the key is where the
        # reader finds the id to look up.
        name = _wrapped(r.event, width, " " * (len(date) + 2))
        text = f"{date}{mark} {name}  {_signed(r.bearing)}"
        if r.actors or r.stance is not None:
            # An act of several parties or a third party's says who, under its id.
            coded = "" if r.tone is None else f", coded {_signed(r.goldstein)}"
            text += "\n" + " " * (len(date) + 2) + parties_text(r) + coded
        lines.append((str(i), text, r.moved))
    return lines


def _uncertain(r: Record) -> bool:
    return bool(r.date_note) and UNCERTAIN_NOTE in (r.date_note or "")


def _wrapped(name: str, width: int, indent: str) -> str:
    """``name`` in lines of at most ``width`` characters, broken after a hyphen where one is
    near enough, the lines after the first indented by ``indent``."""
    lines = []
    while len(name) > width:
        cut = name.rfind("-", width // 2, width) + 1 or width
        lines.append(name[:cut])
        name = name[cut:]
    return f"\n{indent}".join([*lines, name])


def _signed(value: float | None) -> str:
    """A Goldstein value as the key shows it: ``+5``, ``\u221210`` (a true minus), ``0``."""
    if value is None:
        return ""
    return "0" if value == 0 else f"{value:+g}".replace("-", "\u2212")


def draw_key(ax: Axes, records: Sequence[Record]) -> None:
    """The numbered list of events, packed by matplotlib's offsetbox so that columns never
    overlap, whatever the lengths of the event ids."""
    from matplotlib.offsetbox import AnchoredOffsetbox, HPacker, TextArea, VPacker

    ax.set_axis_off()
    grouped = _columns(records)
    lines = [line for column in grouped for line in column]
    rows = max((len(c) for c in grouped), default=0)
    # An entry may take several text lines (a wrapped id, its parties): the height is counted in
    # text lines, with the heading and the notes under the list, so that a key never runs off
    # the figure (constrained layout would then squeeze the plots to make room for it).
    text_lines = max((sum(1 + t.count("\n") for _, t, _ in c) for c in grouped), default=0)
    size = next(
        (
            s
            for s in (13, 12, 11, 10, 9)
            if 1.2 * s * (text_lines + 4) + 2 * (rows + 3) <= KEY_HEIGHT
        ),
        SMALLEST,
    )
    # Entries spaced to fill the height left, at most a line apart.
    spare = KEY_HEIGHT - 1.2 * size * (text_lines + 4) - 4 * size
    gap = max(2.0, min(float(size), spare / max(rows, 1)))
    entries: list[Artist] = []
    for i, (number, text, moved) in enumerate(lines):
        colour = goldstein_colour(records[i].bearing) if number else "black"
        weight = "bold" if moved else "normal"
        # Figure spaces (as wide as a digit) right-align the numbers.
        padded = number.rjust(len(str(len(records))), "\u2007")
        entries.append(
            HPacker(
                children=[
                    TextArea(
                        padded, textprops={"color": colour, "fontweight": "bold", "fontsize": size}
                    ),
                    TextArea(text, textprops={"fontweight": weight, "fontsize": size}),
                ],
                sep=size / 2,
                pad=0,
                align="top",  # the number beside the first line of a wrapped id
            )
        )
    first = len(grouped[0]) if grouped else 0
    columns = [c for c in (entries[:first], entries[first:]) if c]
    body = HPacker(
        children=[VPacker(children=c, sep=gap, pad=0) for c in columns], sep=2 * size, pad=0
    )
    parts: list[Any] = [TextArea("events", textprops={"fontweight": "bold"}), body]
    if lines:
        note = {"fontsize": size, "style": "italic", "color": "#555555"}
        changed = "a state" if any(r.tracks for r in records) else "the state"
        parts.append(TextArea(f"bold: changed {changed}", textprops=note))
        # Only the events shown count (zip stops before the elided ones).
        if any(
            r.date_basis == "inferred" and not _uncertain(r)
            for r, line in zip(records, lines, strict=False)
            if line[0]
        ):
            parts.append(TextArea(INFERRED_NOTE, textprops=note))
        if any(_uncertain(r) for r, line in zip(records, lines, strict=False) if line[0]):
            parts.append(TextArea(UNCERTAIN_NOTE_TEXT, textprops=note))
    else:
        parts.append(TextArea("none", textprops={"fontsize": size}))
    key = AnchoredOffsetbox(
        loc="upper left",
        child=VPacker(children=parts, sep=size, pad=0),
        frameon=False,
        borderpad=0,
        pad=0,
    )
    ax.add_artist(key)
