"""Figures: a crisis timeline for one run, outcome charts for many runs and for batches.

The only module that imports matplotlib (the ``plot`` extra), and only inside its functions, so
that ``import simulator.plots`` costs nothing and a missing matplotlib is reported, when a figure
is asked for, as a :class:`~simulator.errors.DipsimError` naming the extra.

Figures are built as ``matplotlib.figure.Figure`` objects on an Agg canvas, never through
``pyplot``: no global figure registry, no backend switch, nothing left behind in the caller's
matplotlib. Each function returns the Figure, so a report can restyle it or turn it into bytes
with :func:`figure_bytes` (PNG or SVG, the SVG byte-for-byte the same for the same input);
:func:`save` writes it to a file whose suffix picks the format.

Like the reports, the figures read only traces (:mod:`simulator.trace`), Monte Carlo outcomes
(:mod:`simulator.outcomes`) and batch result rows (dicts, as ``batch.sinks.read_rows`` yields
them); they never need the engine.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.batch.summary import parameter_columns, relations_in, typed_row
from simulator.errors import DipsimError
from simulator.files import save_bytes
from simulator.outcomes import Outcomes, RelationOutcomes, wilson_interval
from simulator.trace import Record, Trace

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure, SubFigure
    from matplotlib.typing import RcKeyType

#: What installs matplotlib; named in the error when it is missing.
PLOT_EXTRA = "pip install 'dipsim[plot]'"
#: The figure formats, by file suffix.
FORMATS = {".png": "png", ".svg": "svg"}
#: 16 x 9 inches at 120 dots per inch: a 1920 x 1080 PNG, a projector's native size.
SIZE = (16.0, 9.0)
DPI = 120

#: Event colours: conflict (Goldstein < 0), cooperation (> 0), neither (0 or no value).
CONFLICT, COOPERATION, NEUTRAL = "#c62828", "#2e7d32", "#8a8a8a"
#: One colour per state, by its place in the machine (Okabe-Ito: told apart by colour-blind eyes).
STATE_COLOURS = (
    "#0072b2",
    "#e69f00",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#000000",
    "#f0e442",
)
BAND = "#1f3a68"
VARIABLE_COLOURS = ("#e07b00", "#7b3294", "#008837", "#5e3c99")
#: Rows of the timeline's event key per column (two at most; more events are elided).
KEY_ROWS = 30
#: A numeric parameter with more distinct values than this is cut into bins (for the x axis).
MAX_X_VALUES = 12
X_BINS = 8
#: The most curves of days-to-reach drawn for a batch (one per x value); more are pooled.
MAX_CURVES = 8

#: Style of every figure: large type, for a projector at the back of a room.
_STYLE: dict[RcKeyType, Any] = {
    "font.size": 15,
    "axes.titlesize": 17,
    "axes.titlelocation": "left",
    "axes.labelsize": 15,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "figure.titlesize": 22,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # SVG output the same byte for byte: a fixed salt for the ids matplotlib hashes, text as
    # paths (the figure looks the same wherever it is embedded, whatever fonts are installed).
    "svg.hashsalt": "dipsim",
    "svg.fonttype": "path",
}


# --- matplotlib, formats and files ---------------------------------------------------------------


def require_matplotlib() -> None:
    """Raise :class:`DipsimError` naming the ``plot`` extra if matplotlib cannot be imported."""
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
    except ImportError as err:
        raise DipsimError(f"figures need matplotlib: {PLOT_EXTRA}") from err


def figure_format(path: Path | str) -> str:
    """The format a figure file's suffix asks for (``png`` or ``svg``); anything else is refused."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = f"not {suffix}" if suffix else "and this name has none"
        raise DipsimError(f"{path}: a figure file ends in .png or .svg, {shown}")
    return FORMATS[suffix]


def figure_bytes(fig: Figure, fmt: str, salt: str = "dipsim") -> bytes:
    """The figure as PNG or SVG bytes; the same figure (and ``salt``) gives the same bytes.

    ``salt`` seeds the ids of an SVG's clip paths and markers: figures inlined in one HTML page
    can be given different salts so that their ids never meet.
    """
    if fmt not in FORMATS.values():
        raise DipsimError(f"a figure is rendered as png or svg, not {fmt!r}")
    import matplotlib

    buf = io.BytesIO()
    # Without a date (SVG) or software version (PNG) in the metadata, the output depends on the
    # figure alone, so tests and reports can compare it.
    metadata: dict[str, str | None] = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({**_STYLE, "svg.hashsalt": salt}):
        fig.savefig(buf, format=fmt, dpi=DPI, metadata=metadata)
    return buf.getvalue()


def svg_element(fig: Figure, salt: str = "dipsim") -> str:
    """The figure as an ``<svg>`` element, without the XML prolog: ready to inline in HTML."""
    text = figure_bytes(fig, "svg", salt).decode("utf-8")
    return text[text.index("<svg") :]


def save(fig: Figure, path: Path | str) -> Path:
    """Write the figure to ``path`` (``.png`` or ``.svg``), atomically; returns the path."""
    path = Path(path)
    return save_bytes(path, figure_bytes(fig, figure_format(path)))


@contextmanager
def _styled() -> Iterator[None]:
    """matplotlib imported (or the extra named) and dipsim's style in force, for this block only.

    Artists read most style settings when they are made, so figures are built inside this block;
    ``rc_context`` restores the caller's settings on the way out.
    """
    require_matplotlib()
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        yield


def _new_figure() -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # attaches itself: rendering needs no backend chosen globally
    return fig


def _percent_axis(ax: Axes, axis: str = "y") -> None:
    from matplotlib.ticker import PercentFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))


def _state_colour(index: int) -> str:
    return STATE_COLOURS[index % len(STATE_COLOURS)]


def goldstein_colour(goldstein: float | None) -> str:
    """Red for conflict (< 0), green for cooperation (> 0), grey for neither or no value."""
    if goldstein is None or goldstein == 0:
        return NEUTRAL
    return CONFLICT if goldstein < 0 else COOPERATION


# --- the timeline of one run ---------------------------------------------------------------------


def timeline_figure(
    trace: Trace,
    relation: str | None = None,
    states: Sequence[str] | None = None,
    variables: Sequence[str] | None = None,
) -> Figure:
    """One relation over one run: its state, its variables and the events that moved them.

    Top: the state as a step band (``states`` in the machine's order, escalation upwards; pass
    ``scenario.machine.state_names``, else the order the trace visits them) with the variables
    (default: all of the trace's) as lines on a second axis. Bottom: each event of the relation
    as a marker at its Goldstein value, red for conflict, green for cooperation, grey for
    neither, sized by the value's magnitude, ringed in black when it changed the state, and
    numbered; the key on the right names each number. Events of one day are spread evenly
    across it, in the order they happened. ``relation`` defaults to the trace's first.
    """
    rel = _pick_relation(trace, relation)
    records = [r for r in trace.records if r.relation == rel]
    order = _state_order(trace, rel, records, states)
    names = list(_default_variables(trace) if variables is None else variables)
    with _styled():
        fig = _new_figure()
        grid = fig.add_gridspec(2, 2, height_ratios=(3, 2), width_ratios=(2.9, 1), hspace=0.04)
        ax_state = fig.add_subplot(grid[0, 0])
        ax_events = fig.add_subplot(grid[1, 0], sharex=ax_state)
        ax_key = fig.add_subplot(grid[:, 1])
        # x is days since the start: no dependence on matplotlib's date units or their epoch.
        xs = _event_positions(records, trace.start)
        start, stop = 0.0, (trace.stop - trace.start).days + 1.0
        _draw_states(ax_state, records, xs, order, start, stop)
        _draw_variables(ax_state, trace, rel, records, xs, names, stop)
        _draw_events(ax_events, records, xs)
        _date_axis(ax_events, trace.start, trace.stop)
        ax_state.tick_params(axis="x", labelbottom=False)
        _draw_key(ax_key, records)
        fig.suptitle(trace.title, x=0.01, ha="left", fontweight="bold")
        ax_state.set_title(f"{rel}, seed {trace.seed}", pad=12)
        if records:
            _label_events(fig, ax_events, records, xs)
    return fig


def _pick_relation(trace: Trace, relation: str | None) -> str:
    known = [end.relation for end in trace.final] or sorted({r.relation for r in trace.records})
    if relation is None:
        if not known:
            raise DipsimError("the trace has no relation to draw")
        return known[0]
    if relation not in known:
        raise DipsimError(f"relation {relation!r} is not in the trace; it has {', '.join(known)}")
    return relation


def _default_variables(trace: Trace) -> tuple[str, ...]:
    """Tension alone if the trace has it (other variables have other scales), else all."""
    return ("tension",) if "tension" in trace.variables else trace.variables


def _state_order(
    trace: Trace, relation: str, records: Sequence[Record], states: Sequence[str] | None
) -> list[str]:
    """The states bottom to top: those given, then any others the run visits, in visiting order."""
    order = list(states or ())
    visited = [s for r in records for s in (r.before, r.after)]
    visited += [end.state for end in trace.final if end.relation == relation]
    for state in visited:
        if state not in order:
            order.append(state)
    return order


def _event_positions(records: Sequence[Record], start: dt.date) -> list[float]:
    """Where each event sits on the date axis: a day's events evenly across it, in order.

    Many events share a day (seven on 18 January 2024); placed at midnight they would hide each
    other. Spread over the middle 80% of their day, each stays on its date and keeps its order.
    """
    per_day: dict[dt.date, int] = {}
    for r in records:
        per_day[r.when.date()] = per_day.get(r.when.date(), 0) + 1
    seen: dict[dt.date, int] = {}
    xs = []
    for r in records:
        day = r.when.date()
        i = seen.get(day, 0)
        seen[day] = i + 1
        xs.append((day - start).days + 0.1 + 0.8 * (i + 0.5) / per_day[day])
    return xs


def _draw_states(
    ax: Axes,
    records: Sequence[Record],
    xs: Sequence[float],
    order: Sequence[str],
    start: float,
    stop: float,
) -> None:
    levels = {s: i for i, s in enumerate(order)}
    first = records[0].before if records else order[0]
    steps_x = [start, *xs, stop]
    steps_y = [levels[first], *(levels[r.after] for r in records)]
    steps_y.append(steps_y[-1])
    ax.fill_between(steps_x, steps_y, -0.5, step="post", color=BAND, alpha=0.13, linewidth=0)
    ax.step(steps_x, steps_y, where="post", color=BAND, linewidth=4, label="state", zorder=3)
    ax.set_yticks(range(len(order)), list(order))
    ax.set_ylim(-0.5, len(order) - 0.5)
    ax.set_xlim(start, stop)
    ax.grid(axis="y", color="#d0d0d0", linewidth=1)


def _draw_variables(
    ax: Axes,
    trace: Trace,
    relation: str,
    records: Sequence[Record],
    xs: Sequence[float],
    names: Sequence[str],
    stop: float,
) -> None:
    """Each variable after each event, then at the end, joined by lines, on a second axis."""
    if not names:
        return
    twin = ax.twinx()
    twin.spines["right"].set_visible(True)
    final = next((e.variables for e in trace.final if e.relation == relation), {})
    top = 1.0
    for i, name in enumerate(names):
        points = [
            (x, r.variables[name]) for x, r in zip(xs, records, strict=True) if name in r.variables
        ]
        if name in final:
            points.append((stop, final[name]))
        if not points:
            continue
        top = max(top, *(v for _, v in points))
        twin.plot(
            [x for x, _ in points],
            [v for _, v in points],
            color=VARIABLE_COLOURS[i % len(VARIABLE_COLOURS)],
            linewidth=2.5,
            marker="o",
            markersize=4,
            label=name,
            zorder=4,
        )
    twin.set_ylim(0, top * 1.05)
    twin.set_ylabel(names[0] if len(names) == 1 else "variables")
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    twin.legend(
        handles=handles,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncol=min(len(handles), 4),
        frameon=False,
        borderaxespad=0.2,
    )


def _draw_events(ax: Axes, records: Sequence[Record], xs: Sequence[float]) -> None:
    values = [0.0 if r.goldstein is None else r.goldstein for r in records]
    colours = [goldstein_colour(r.goldstein) for r in records]
    ax.axhline(0, color="#555555", linewidth=1)
    ax.vlines(xs, 0, values, colors=colours, linewidth=2)
    markers = ax.scatter(
        xs,
        values,
        s=[_marker_area(v) for v in values],
        c=colours,
        edgecolors=["black" if r.before != r.after else "white" for r in records],
        linewidths=[2.0 if r.before != r.after else 1.0 for r in records],
        zorder=3,
    )
    # Named so that tests (and a report restyling the figure) can find the event markers.
    markers.set_label("_events")
    reach = max(10.0, *(abs(v) for v in values)) if values else 10.0
    ax.set_ylim(-reach * 1.35, reach * 1.35)
    ax.set_yticks([-reach, -reach / 2, 0, reach / 2, reach])
    # The axis is named by its two halves, in their colours, beside the tick labels: inside the
    # axes a word would sit on the events.
    for y, word, colour in ((0.75, "cooperation", COOPERATION), (0.25, "conflict", CONFLICT)):
        ax.text(
            -0.075,
            y,
            word,
            color=colour,
            transform=ax.transAxes,
            rotation=90,
            ha="center",
            va="center",
            fontweight="bold",
        )
    ax.text(
        -0.11, 0.5, "Goldstein value", transform=ax.transAxes, rotation=90, ha="center", va="center"
    )
    ax.grid(axis="y", color="#e4e4e4", linewidth=1)


def _marker_area(goldstein: float) -> float:
    """Marker area in points²: from 50 (no value) to 450 (|Goldstein| 10), by the magnitude."""
    return 50.0 + 40.0 * min(abs(goldstein), 10.0)


def _date_axis(ax: Axes, start: dt.date, stop: dt.date) -> None:
    """Date labels centred on their days, a faint line between days when there are few."""
    days = (stop - start).days + 1
    every = max(1, math.ceil(days / 12))
    labelled = [start + dt.timedelta(days=d) for d in range(0, days, every)]
    ax.set_xticks([(d - start).days + 0.5 for d in labelled], [f"{d.day} {d:%b}" for d in labelled])
    ax.tick_params(axis="x", length=0)
    if days <= 62:
        ax.set_xticks(range(days + 1), minor=True)
        for axes in (ax, *ax.get_shared_x_axes().get_siblings(ax)):
            axes.grid(axis="x", which="minor", color="#e4e4e4", linewidth=1)
    ax.set_xlabel(f"{start.year}" if start.year == stop.year else "date")


def _key_lines(records: Sequence[Record], width: int) -> list[tuple[str, str, bool]]:
    """The key's lines: number, text (ids cut to ``width``) and whether the state changed."""
    lines = []
    for i, r in enumerate(records, start=1):
        name = r.event if len(r.event) <= width else r.event[: width - 1] + "\u2026"
        day = str(r.when.day).rjust(2, "\u2007")  # a figure space is as wide as a digit
        text = f"{day} {r.when:%b}  {name}  {_signed(r.goldstein)}"
        lines.append((str(i), text, r.before != r.after))
    return lines


def _signed(value: float | None) -> str:
    """A Goldstein value as the key shows it: ``+5``, ``\u221210`` (a true minus), ``0``."""
    if value is None:
        return ""
    return "0" if value == 0 else f"{value:+g}".replace("-", "\u2212")


def _draw_key(ax: Axes, records: Sequence[Record]) -> None:
    """The numbered list of events, packed by matplotlib's offsetbox so that columns never
    overlap, whatever the lengths of the event ids."""
    from matplotlib.offsetbox import AnchoredOffsetbox, HPacker, TextArea, VPacker

    ax.set_axis_off()
    lines = _key_lines(records, 30 if len(records) <= KEY_ROWS else 22)
    if len(lines) > 2 * KEY_ROWS:
        more = len(lines) - 2 * KEY_ROWS + 1
        lines = [*lines[: 2 * KEY_ROWS - 1], ("", f"\u2026 and {more} more", False)]
    size = 13 if len(lines) <= 22 else 12 if len(lines) <= KEY_ROWS else 10
    rows = min(len(lines), KEY_ROWS)
    # Lines spaced to fill the height (about 520 points below the titles), at most a line apart.
    gap = max(2.0, min(float(size), (520 - 1.2 * size * rows) / max(rows, 1)))
    entries: list[Artist] = []
    for i, (number, text, moved) in enumerate(lines):
        colour = goldstein_colour(records[i].goldstein) if number else "black"
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
            )
        )
    columns = [entries[k : k + KEY_ROWS] for k in range(0, len(entries), KEY_ROWS)]
    body = HPacker(
        children=[VPacker(children=c, sep=gap, pad=0) for c in columns], sep=2 * size, pad=0
    )
    parts: list[Any] = [TextArea("events", textprops={"fontweight": "bold"}), body]
    if lines:
        note = {"fontsize": size, "style": "italic", "color": "#555555"}
        parts.append(TextArea("bold: changed the state", textprops=note))
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


# --- labels that do not overlap ------------------------------------------------------------------


@dataclass
class _Box:
    """A rectangle in display pixels."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlap(self, other: _Box) -> float:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w * h if w > 0 and h > 0 else 0.0

    def inside(self, other: _Box) -> bool:
        return (
            self.x0 >= other.x0
            and self.x1 <= other.x1
            and self.y0 >= other.y0
            and self.y1 <= other.y1
        )


def _label_events(fig: Figure, ax: Axes, records: Sequence[Record], xs: Sequence[float]) -> None:
    """Number each event marker, each number placed where it overlaps no marker and no number.

    The layout is fixed first (constrained layout moves the axes), then each number tries the
    places around its marker, nearest first, on the side of its value (above cooperation,
    below conflict); a number pushed away from its marker gets a thin leader line.
    """
    fig.draw_without_rendering()
    renderer: RendererBase = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    values = [0.0 if r.goldstein is None else r.goldstein for r in records]
    centres = ax.transData.transform(list(zip(xs, values, strict=True)))
    px = fig.dpi / 72.0
    radii = [math.sqrt(_marker_area(v)) / 2 * px for v in values]
    taken = [
        _Box(cx - r, cy - r, cx + r, cy + r) for (cx, cy), r in zip(centres, radii, strict=True)
    ]
    frame = ax.get_window_extent(renderer)
    bounds = _Box(frame.x0, frame.y0, frame.x1, frame.y1)
    size = 13.0 if len(records) <= 40 else 10.0
    for i, ((cx, cy), radius) in enumerate(zip(centres, radii, strict=True)):
        text = str(i + 1)
        w, h = 0.66 * size * len(text) * px + 4, size * px + 2
        sign = -1.0 if values[i] < 0 else 1.0
        best, best_cost = (0.0, 0.0), math.inf
        for dx, dy in _candidates(radius, w, h, sign):
            box = _Box(cx + dx - w / 2, cy + dy - h / 2, cx + dx + w / 2, cy + dy + h / 2)
            cost = sum(box.overlap(t) for t in taken) + (0 if box.inside(bounds) else 1e6)
            cost += 0.01 * math.hypot(dx, dy)  # among free places, the nearest
            if cost < best_cost:
                best, best_cost = (dx, dy), cost
        dx, dy = best
        taken.append(_Box(cx + dx - w / 2, cy + dy - h / 2, cx + dx + w / 2, cy + dy + h / 2))
        far = math.hypot(dx, dy) > radius + max(w, h)
        ann = ax.annotate(
            text,
            (xs[i], values[i]),
            xytext=(dx / px, dy / px),
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize=size,
            fontweight="bold",
            color="#222222",
            arrowprops={"arrowstyle": "-", "color": "#888888", "linewidth": 0.8} if far else None,
            annotation_clip=False,
        )
        ann.set_in_layout(False)  # placed for this layout: must not change it


def _candidates(radius: float, w: float, h: float, sign: float) -> list[tuple[float, float]]:
    """Places for a label around a marker (offsets in pixels), nearest first, own side first."""
    gap = 3.0
    near_v = radius + h / 2 + gap
    near_h = radius + w / 2 + gap
    out = [(0.0, sign * near_v), (0.0, -sign * near_v), (near_h, 0.0), (-near_h, 0.0)]
    for k in (1, 2, 3, 4):
        for dx in (0.0, near_h, -near_h, 2 * near_h, -2 * near_h):
            out.append((dx, sign * (near_v + k * h)))
            out.append((dx, -sign * (near_v + k * h)))
    return out


# --- the outcomes of many runs -------------------------------------------------------------------


def outcomes_figure(
    outcomes: Outcomes, relation: str | None = None, state: str | None = None
) -> Figure:
    """How many runs ended in each state, and how long they took to reach one of them.

    Left: the share of runs ending in each state (the machine's order), with its 95% Wilson
    interval as an error bar. Right: the share of runs that had reached ``state`` (default
    ``restored`` if the machine has it, else its last state) by each day after the start,
    drawn through the 5/25/50/75/95% quantiles that :class:`Outcomes` keeps; its plateau is
    the share that ever reached it. ``relation`` defaults to the first.
    """
    rel = _pick_outcome_relation(outcomes, relation)
    names = [s.state for s in rel.states]
    chosen = state or ("restored" if "restored" in names else names[-1])
    if chosen not in names:
        raise DipsimError(f"state {chosen!r} is not in the machine; states: {', '.join(names)}")
    with _styled():
        fig = _new_figure()
        ax_share, ax_days = fig.subplots(1, 2, width_ratios=(1.25, 1))
        _draw_shares(ax_share, rel)
        _draw_days_from_quantiles(ax_days, outcomes, rel, chosen)
        fig.suptitle(outcomes.title, x=0.01, ha="left", fontweight="bold")
        ax_share.set_title(
            f"{rel.relation}: how {outcomes.runs:,} runs ended (seed {outcomes.seed})", pad=12
        )
    return fig


def _pick_outcome_relation(outcomes: Outcomes, relation: str | None) -> RelationOutcomes:
    if not outcomes.relations:
        raise DipsimError("the outcomes have no relation to draw")
    if relation is None:
        return outcomes.relations[0]
    for rel in outcomes.relations:
        if rel.relation == relation:
            return rel
    known = ", ".join(r.relation for r in outcomes.relations)
    raise DipsimError(f"relation {relation!r} is not in the outcomes; they have {known}")


def _draw_shares(ax: Axes, rel: RelationOutcomes) -> None:
    positions = range(len(rel.states))
    shares = [s.ended.share for s in rel.states]
    errors = [
        [s.ended.share - s.ended.low for s in rel.states],
        [s.ended.high - s.ended.share for s in rel.states],
    ]
    bars = ax.bar(
        positions,
        shares,
        color=[_state_colour(i) for i in positions],
        yerr=errors,
        capsize=8,
        error_kw={"linewidth": 2, "ecolor": "#333333"},
        width=0.65,
    )
    bars.set_label("_ended")  # found by tests and reports
    for i, s in enumerate(rel.states):
        ax.text(
            i,
            s.ended.high + 0.02,
            f"{100 * s.ended.share:.1f}%",
            ha="center",
            va="bottom",
            fontweight="bold",
        )
    ax.set_xticks(list(positions), [s.state for s in rel.states])
    ax.set_ylim(0, 1.12)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    _percent_axis(ax)
    ax.set_ylabel("share of runs ending in the state")
    ax.grid(axis="y", color="#e4e4e4")
    ax.set_axisbelow(True)
    if len(rel.states) > 4:
        ax.tick_params(axis="x", labelrotation=20)
    ax.text(
        1.0,
        -0.14 if len(rel.states) <= 4 else -0.2,
        "bars: 95% Wilson intervals",
        transform=ax.transAxes,
        ha="right",
        fontsize=12,
        color="#555555",
    )


def _draw_days_from_quantiles(
    ax: Axes, outcomes: Outcomes, rel: RelationOutcomes, state: str
) -> None:
    index = [s.state for s in rel.states].index(state)
    outcome = rel.states[index]
    ax.set_title(f"days until {state} was first reached", pad=12)
    ax.set_ylim(0, 1.05)
    _percent_axis(ax)
    ax.set_ylabel("share of runs that had reached it")
    ax.set_xlabel(f"days after the start, {outcomes.start.isoformat()}")
    ax.grid(color="#e4e4e4")
    reach = outcome.days_to_reach
    if reach is None:
        ax.text(0.5, 0.5, f"no run reached {state}", transform=ax.transAxes, ha="center")
        ax.set_xlim(0, max(1, (outcomes.stop - outcomes.start).days + 1))
        return
    reached = outcome.reached.share
    levels = (0.05, 0.25, 0.5, 0.75, 0.95)
    days = [reach.p5, reach.p25, reach.p50, reach.p75, reach.p95]
    colour = _state_colour(index)
    ax.plot(
        days,
        [reached * q for q in levels],
        color=colour,
        linewidth=3,
        marker="o",
        markersize=9,
        zorder=3,
    )
    ax.axhline(reached, color=colour, linestyle="--", linewidth=1.5)
    ax.text(
        0.02,
        reached + 0.015,
        f"{100 * reached:.1f}% of runs ever reached it",
        transform=ax.get_yaxis_transform(),
        va="bottom",
        color=colour,
        fontsize=14,
    )
    for q, d in zip(levels, days, strict=True):
        ax.annotate(
            f"p{round(100 * q)}: {d:.1f} days",
            (d, reached * q),
            xytext=(10, -4),
            textcoords="offset points",
            fontsize=12,
            va="top",
            color="#333333",
        )
    span = max(1.0, (outcomes.stop - outcomes.start).days + 1.0)
    ax.set_xlim(0, span)
    ax.text(
        1.0,
        -0.14,
        f"through the 5/25/50/75/95% quantiles of {reach.runs:,} runs",
        transform=ax.transAxes,
        ha="right",
        fontsize=12,
        color="#555555",
    )


# --- the results of a batch ----------------------------------------------------------------------


@dataclass
class _Cell:
    """Counts of one group of runs: all runs, runs with an error, final states."""

    runs: int = 0
    errors: int = 0
    states: dict[str, int] = field(default_factory=dict)

    def add(self, other: _Cell) -> None:
        self.runs += other.runs
        self.errors += other.errors
        for s, n in other.states.items():
            self.states[s] = self.states.get(s, 0) + n

    @property
    def ok(self) -> int:
        return self.runs - self.errors


@dataclass
class _BatchCounts:
    """What a batch's rows come to for the figure, kept small: counts per (facet, x) value."""

    columns: list[str]
    relation: str
    x: str
    facet: str | None
    reach_column: str | None
    cells: dict[tuple[Any, Any], _Cell] = field(default_factory=dict)
    days: dict[Any, list[float]] = field(default_factory=dict)  # per x value, runs that reached
    ok: dict[Any, int] = field(default_factory=dict)  # per x value, runs without error
    span: float | None = None  # days a run lasts, if the days_in_state columns tell


def batch_figure(
    rows: Iterable[Mapping[str, Any]],
    relation: str | None = None,
    x: str | None = None,
    facet: str | None = None,
    state: str | None = None,
    title: str | None = None,
) -> Figure:
    """A batch's outcomes against one parameter, and the days its runs took to reach ``state``.

    ``rows`` are result rows (``batch.sinks.read_rows``; text from CSV is read as numbers where
    it is one). Left: for each value of ``x`` (default: the first parameter column), the share
    of runs ending in each state of ``relation`` (default: the first recorded), with its 95%
    Wilson interval; runs with an error are left out. A numeric ``x`` with more than 12 values
    (a sampled design) is cut into 8 equal bins. Other parameters are pooled, and the figure
    says so; ``facet`` draws one panel per value of a second column instead (up to 6 values,
    else 4 bins). Right, when the results have the ``first_entered`` metric: per ``x`` value,
    the share of runs that had reached ``state`` (default ``restored``, else the last state)
    by each day after the start.
    """
    counts = _count_batch(iter(rows), relation, x, facet, state)
    x_groups = _groups(counts.cells, 0)
    facet_groups = _groups(counts.cells, 1) if counts.facet else {None: ("", None)}
    order = _batch_states(counts)
    with _styled():
        fig = _new_figure()
        heading = title or f"Final state of {counts.relation} by {counts.x}"
        fig.suptitle(heading, x=0.01, ha="left", fontweight="bold")
        left: Figure | SubFigure = fig
        right: SubFigure | None = None
        if counts.reach_column is not None:
            ratios = (2.0, 1) if counts.facet else (1.5, 1)
            halves = fig.add_gridspec(1, 2, width_ratios=ratios, wspace=0.02)
            left, right = fig.add_subfigure(halves[0, 0]), fig.add_subfigure(halves[0, 1])
        _draw_batch_shares(left, counts, x_groups, facet_groups, order)
        if right is not None:
            _draw_batch_days(right, counts, x_groups)
    return fig


def _count_batch(
    rows: Iterator[Mapping[str, Any]],
    relation: str | None,
    x: str | None,
    facet: str | None,
    state: str | None,
) -> _BatchCounts:
    first = next(rows, None)
    if first is None:
        raise DipsimError("the results have no rows")
    columns = list(first)
    relations = relations_in(columns)
    if not relations:
        raise DipsimError("the results record no final states (no <A>-<B>.final_state column)")
    rel = relation or relations[0]
    if rel not in relations:
        raise DipsimError(f"relation {rel!r}: the results record {', '.join(relations)}")
    params = parameter_columns(columns)
    x_col = x or (params[0] if params else "point")
    for name in (x_col, facet):
        if name is not None and name not in columns:
            raise DipsimError(f"no column {name!r}; columns: {', '.join(columns)}")
    reached = _reach_state(columns, rel, state)
    counts = _BatchCounts(
        columns, rel, x_col, facet, None if reached is None else f"{rel}.first.{reached}"
    )
    for row in (first, *rows):
        _count_row(counts, typed_row(row))
    return counts


def _reach_state(columns: Sequence[str], relation: str, state: str | None) -> str | None:
    """The state whose days-to-reach are drawn, if the results have them (``first_entered``)."""
    prefix = f"{relation}.first."
    recorded = [c.removeprefix(prefix) for c in columns if c.startswith(prefix)]
    if state is not None:
        if state not in recorded:
            raise DipsimError(
                f"the results have no {prefix}{state} column (first_entered of {state!r})"
            )
        return state
    if not recorded:
        return None
    return "restored" if "restored" in recorded else recorded[-1]


def _count_row(counts: _BatchCounts, row: Mapping[str, Any]) -> None:
    xv = row.get(counts.x)
    fv = row.get(counts.facet) if counts.facet else None
    cell = counts.cells.get((xv, fv))
    if cell is None:
        cell = counts.cells[(xv, fv)] = _Cell()
    cell.runs += 1
    if row.get("error"):
        cell.errors += 1
        return
    final = row.get(f"{counts.relation}.final_state")
    if final is not None:
        cell.states[str(final)] = cell.states.get(str(final), 0) + 1
    if counts.span is None:
        spent = [v for k, v in row.items() if k.startswith(f"{counts.relation}.days.")]
        if spent and all(isinstance(v, int | float) for v in spent):
            counts.span = float(sum(spent))
    if counts.reach_column is not None:
        counts.ok[xv] = counts.ok.get(xv, 0) + 1
        day = row.get(counts.reach_column)
        if isinstance(day, int | float):
            counts.days.setdefault(xv, []).append(float(day))


def _batch_states(counts: _BatchCounts) -> list[str]:
    """The final states seen, in the machine's order where the columns tell it."""
    seen: dict[str, int] = {}
    for cell in counts.cells.values():
        for s, n in cell.states.items():
            seen[s] = seen.get(s, 0) + n
    # days_in_state and first_entered columns list every state in the machine's order.
    machine: list[str] = []
    for c in counts.columns:
        for kind in ("days", "first"):
            prefix = f"{counts.relation}.{kind}."
            if c.startswith(prefix) and c.removeprefix(prefix) not in machine:
                machine.append(c.removeprefix(prefix))
    ordered = [s for s in machine if s in seen]
    return ordered + sorted((s for s in seen if s not in ordered), key=lambda s: -seen[s])


def _sort_key(value: Any) -> tuple[int, Any]:
    # Numbers before text, None last, as `dipsim summarize` sorts its groups.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, value)
    return (2, "") if value is None else (1, str(value))


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _groups(
    cells: Mapping[tuple[Any, Any], _Cell], axis: int
) -> dict[Any, tuple[str, float | None]]:
    """Each value of one coordinate -> its group's label and numeric position.

    Few values, or text: one group per value (numbers at their value, text evenly spaced). Many
    numeric values (a sampled design): equal-width bins, each at its centre.
    """
    values = sorted({key[axis] for key in cells}, key=_sort_key)
    if not _numeric(values):
        return {v: (_fmt(v), None) for v in values}
    limit = MAX_X_VALUES if axis == 0 else 6
    if len(values) <= limit:
        return {v: (_fmt(v), float(v)) for v in values}
    bins = X_BINS if axis == 0 else 4
    low, high = float(values[0]), float(values[-1])
    width = (high - low) / bins
    out: dict[Any, tuple[str, float | None]] = {}
    for v in values:
        k = min(bins - 1, int((float(v) - low) / width))
        a, b = low + k * width, low + (k + 1) * width
        out[v] = (f"{a:.3g}\u2013{b:.3g}", (a + b) / 2)
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "\u2013" if value is None else str(value)


def _merged(
    counts: _BatchCounts,
    x_groups: Mapping[Any, tuple[str, float | None]],
    facet_label: str,
    facet_groups: Mapping[Any, tuple[str, float | None]],
) -> dict[str, _Cell]:
    """The cells of one facet, merged by x group (label -> cell), in x order."""
    merged: dict[str, _Cell] = {}
    for label, _ in dict.fromkeys(x_groups.values()):
        merged[label] = _Cell()
    for (xv, fv), cell in counts.cells.items():
        if facet_groups[fv][0] == facet_label:
            merged[x_groups[xv][0]].add(cell)
    return {k: v for k, v in merged.items() if v.runs}


def _draw_batch_shares(
    fig: Figure | SubFigure,
    counts: _BatchCounts,
    x_groups: Mapping[Any, tuple[str, float | None]],
    facet_groups: Mapping[Any, tuple[str, float | None]],
    order: Sequence[str],
) -> None:
    facets = list(dict.fromkeys(label for label, _ in facet_groups.values()))
    ncols = min(len(facets), 3)
    nrows = math.ceil(len(facets) / ncols)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    positions = dict(x_groups.values())
    numeric = all(p is not None for p in positions.values())
    for k, ax in enumerate(axes.flat):
        if k >= len(facets):
            ax.set_visible(False)
            continue
        cells = _merged(counts, x_groups, facets[k], facet_groups)
        labels = list(cells)
        xs = [positions[lab] or 0.0 if numeric else float(i) for i, lab in enumerate(labels)]
        _draw_share_lines(ax, cells, xs, order)
        if counts.facet:
            ax.set_title(f"{counts.facet} = {facets[k]}", fontsize=14)
        if not numeric or len(labels) <= 6:
            ax.set_xticks(xs, labels)
            if len(facets) > 1 or any(len(lab) > 6 for lab in labels):
                ax.tick_params(axis="x", labelrotation=30)
    for ax in axes[-1, :]:
        ax.set_xlabel(counts.x)
    for ax in axes[:, 0]:
        ax.set_ylabel("share of runs ending in the state")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper left", ncol=len(labels), frameon=False)
    pooled = [c for c in parameter_columns(counts.columns) if c not in (counts.x, counts.facet)]
    note = "bars: 95% Wilson intervals"
    if pooled:
        note += f"; pooled over {', '.join(pooled)}"
    fig.supxlabel(note, x=0.99, ha="right", fontsize=12, color="#555555")


def _draw_share_lines(
    ax: Axes, cells: Mapping[str, _Cell], xs: Sequence[float], order: Sequence[str]
) -> None:
    """One line per state, its 95% intervals as error bars, nudged apart so none hides another."""
    spread = (max(xs) - min(xs)) if len(xs) > 1 else 1.0
    nudge = 0.012 * spread
    for i, state in enumerate(order):
        shares, below, above = [], [], []
        for cell in cells.values():
            n = cell.states.get(state, 0)
            low, high = wilson_interval(n, cell.ok)
            share = n / cell.ok if cell.ok else math.nan
            shares.append(share)
            below.append(share - low if cell.ok else 0.0)
            above.append(high - share if cell.ok else 0.0)
        shift = nudge * (i - (len(order) - 1) / 2)
        ax.errorbar(
            [x + shift for x in xs],
            shares,
            yerr=[below, above],
            color=_state_colour(i),
            linewidth=3,
            marker="o",
            markersize=8,
            capsize=5,
            elinewidth=1.8,
            label=state,
        )
    ax.set_ylim(-0.02, 1.04)
    _percent_axis(ax)
    ax.grid(color="#e4e4e4")


def _draw_batch_days(
    fig: Figure | SubFigure, counts: _BatchCounts, x_groups: Mapping[Any, tuple[str, float | None]]
) -> None:
    """Per x group (pooled if there are many): share of runs that reached the state by day d."""
    from matplotlib import colormaps

    ax = fig.subplots()
    state = (counts.reach_column or "").removeprefix(f"{counts.relation}.first.")
    ax.set_title(f"days until {state} was first reached", fontsize=16)
    days: dict[str, list[float]] = {}
    ok: dict[str, int] = {}
    for xv, n in counts.ok.items():
        label = x_groups[xv][0]
        ok[label] = ok.get(label, 0) + n
        days.setdefault(label, []).extend(counts.days.get(xv, ()))
    labels = [lab for lab in dict.fromkeys(lab for lab, _ in x_groups.values()) if lab in ok]
    if len(labels) > MAX_CURVES:
        days = {"all runs": [d for lab in labels for d in days[lab]]}
        ok = {"all runs": sum(ok.values())}
        labels = ["all runs"]
    last = max((d for values in days.values() for d in values), default=0.0)
    # The runs' span (their days in each state add up to it) puts the end of the axis at the
    # end of the runs, so that a plateau reads "never reached", not "cut off".
    end = max(counts.span or 0.0, last + 1.0)
    cmap = colormaps["viridis"]
    for i, label in enumerate(labels):
        values = sorted(days[label])
        xs = [0.0, *values, end]
        ys = [0.0, *((k + 1) / ok[label] for k in range(len(values))), len(values) / ok[label]]
        ax.step(
            xs,
            ys,
            where="post",
            color=cmap(0.9 * i / max(1, len(labels) - 1)),
            linewidth=3,
            label=label,
        )
    ax.set_xlim(0, end)
    ax.set_ylim(-0.02, 1.04)
    _percent_axis(ax)
    ax.set_xlabel("days after the scenario's start")
    ax.set_ylabel("share of runs that had reached it")
    ax.grid(color="#e4e4e4")
    if labels != ["all runs"]:
        ax.legend(title=counts.x, loc="best", fontsize=12, title_fontsize=13)
    else:
        ax.text(
            0.02,
            0.97,
            f"all runs, {len(x_groups)} values of {counts.x} pooled",
            transform=ax.transAxes,
            va="top",
            fontsize=12,
        )


__all__ = [
    "FORMATS",
    "PLOT_EXTRA",
    "batch_figure",
    "figure_bytes",
    "figure_format",
    "goldstein_colour",
    "outcomes_figure",
    "require_matplotlib",
    "save",
    "svg_element",
    "timeline_figure",
]
