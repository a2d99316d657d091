"""The timeline of one run: a relation's state, its variables and the events that moved them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from simulator.core.errors import DipsimError
from simulator.engine.trace import Dynamics, Record, Trace
from simulator.plots.axis import date_axis
from simulator.plots.days import DayScale, day_scale, event_positions, variable_curve
from simulator.plots.key import draw_key, keyed
from simulator.plots.labels import label_events, marker_area
from simulator.plots.style import (
    BAND,
    CONFLICT,
    COOPERATION,
    VARIABLE_COLOURS,
    goldstein_colour,
    new_figure,
    state_colours,
    styled,
    title_text,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: A relation with more events than this has its markers, stems and curves drawn as an image
#: inside an SVG figure (a PNG is an image anyway).
RASTER_FROM = 2_000


def timeline_figure(
    trace: Trace,
    relation: str | None = None,
    states: Sequence[str] | None = None,
    variables: Sequence[str] | None = None,
    dynamics: Dynamics | None = None,
    track_states: Mapping[str, Sequence[str]] | None = None,
) -> Figure:
    """One relation over one run: its state, its variables and the events that moved them.

    Top: the state as a step band (``states`` in the machine's order, escalation upwards; pass
    ``scenario.machine.state_names``, else the order the trace visits them) with the variables
    (default: all of the trace's) as lines on a second axis. Bottom: each event of the relation
    as a marker at its Goldstein value on this relation (``Record.bearing``: a third party
    taking sides is conflict there), red for conflict, green for cooperation, grey for
    neither, sized by the value's magnitude, ringed in black when it changed the state (or a
    track's), and numbered; the key on the right names each number. Events of one day are
    spread evenly across it, in the order they happened; a day with more events than one is
    wide enough for is drawn wider. ``relation`` defaults to the trace's first.

    The variables are drawn as the engine moves them: a jump at each event, and between events
    the decay towards their resting value that ``dynamics`` gives (pass
    ``simulator.engine.simulation.dynamics(scenario)``; without it, each variable holds its
    value until the next event, and the curve starts at the first event).

    A trace with parallel tracks has a band per track under the state, its states in the order
    ``track_states[track]`` gives (pass each of ``scenario.tracks``' ``state_names``).
    """
    rel = _pick_relation(trace, relation)
    records = [r for r in trace.records if r.relation == rel]
    order = _state_order(trace, rel, records, states)
    names = list(_default_variables(trace) if variables is None else variables)
    bands = [t for t in trace.tracks if any(t in end.tracks for end in trace.final)]
    with styled():
        fig = new_figure()
        # A band per parallel track between the state and the events: half as high per state as
        # the relation's own panel (at least a third of it), so that its state names never
        # overlap however many states the track has.
        tracks = {t: _track_run(trace, rel, t, (track_states or {}).get(t)) for t in bands}
        per_state = 1.5 / max(len(order), 1)
        heights = (3, *(max(1.0, per_state * len(o)) for _, o in tracks.values()), 2)
        grid = fig.add_gridspec(
            len(heights), 2, height_ratios=heights, width_ratios=(2.75, 1), hspace=0.04
        )
        ax_state = fig.add_subplot(grid[0, 0])
        ax_events = fig.add_subplot(grid[len(heights) - 1, 0], sharex=ax_state)
        ax_key = fig.add_subplot(grid[:, 1])
        # x is days since the start, busy days wider: no dependence on matplotlib's date units.
        scale = day_scale(records, (trace.stop - trace.start).days + 1)
        xs = event_positions(records, scale)
        final = next((e.state for e in trace.final if e.relation == rel), None)
        _draw_states(ax_state, records, xs, order, 0.0, scale.end, final)
        _draw_variables(ax_state, trace, rel, records, xs, names, scale, dynamics or Dynamics())
        for row, (track, (seen, track_order)) in enumerate(tracks.items(), start=1):
            ax_track = fig.add_subplot(grid[row, 0], sharex=ax_state)
            _draw_track(ax_track, track, seen, xs, scale.end, track_order)
        _draw_events(ax_events, records, xs)
        ax_state.tick_params(axis="x", labelbottom=False)
        draw_key(ax_key, records)
        fig.suptitle(title_text(trace.title), x=0.01, ha="left", fontweight="bold")
        ax_state.set_title(f"{rel}, seed {trace.seed}", pad=12)
        date_axis(ax_events, trace.start, scale)  # last: it measures the layout
        if len(records) > RASTER_FROM:
            # Thousands of markers, stems and curve points as SVG paths made a report of
            # ten thousand events 20 MB and took seconds to write: drawn as an image in SVG.
            for axes in fig.axes:
                for artist in (*axes.collections, *axes.lines):
                    artist.set_rasterized(True)
        if records:
            # Only the events the key lists are numbered: a number the key does not name
            # would be noise (and drawing ten thousand numbers takes longer than the rest).
            label_events(fig, ax_events, records, xs, keyed(records))
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


def _draw_states(
    ax: Axes,
    records: Sequence[Record],
    xs: Sequence[float],
    order: Sequence[str],
    start: float,
    stop: float,
    final: str | None = None,
) -> None:
    levels = {s: i for i, s in enumerate(order)}
    colours = state_colours(order)
    # Without records, the state all along: the final one (a window after the last event).
    first = records[0].before if records else order[0] if final is None else final
    steps_x = [start, *xs, stop]
    states = [first, *(r.after for r in records)]
    steps_y = [levels[s] for s in states]
    steps_y.append(steps_y[-1])
    # The band under the step takes the colour of the state it is in, as the state has in
    # every output (the terminal, the other figures, the diagram and the report): one
    # rectangle per stay in a state (events that leave it unchanged do not cut it), all in one
    # collection (a fill per event made ten thousand events take minutes).
    from matplotlib.collections import PolyCollection

    stays: list[tuple[float, float, str]] = []
    for x0, x1, state in zip(steps_x[:-1], steps_x[1:], states, strict=True):
        if stays and stays[-1][2] == state:
            stays[-1] = (stays[-1][0], x1, state)
        elif x1 > x0:
            stays.append((x0, x1, state))
    band = PolyCollection(
        [[(x0, -0.5), (x1, -0.5), (x1, levels[s]), (x0, levels[s])] for x0, x1, s in stays],
        facecolors=[colours[s] for _, _, s in stays],
        alpha=0.3,
        linewidths=0,
    )
    band.set_label("_state band")
    ax.add_collection(band)
    ax.step(steps_x, steps_y, where="post", color=BAND, linewidth=4, label="state", zorder=3)
    ax.set_yticks(range(len(order)), list(order))
    # A swatch of each state's colour beside its name, left of the axis: the names stay black
    # (orange or sky blue text would be hard to read).
    swatches = ax.scatter(
        [-0.018] * len(order),
        range(len(order)),
        s=260,
        marker="s",
        c=[colours[s] for s in order],
        transform=ax.get_yaxis_transform(),
        clip_on=False,
        zorder=5,
    )
    swatches.set_label("_state swatches")
    ax.tick_params(axis="y", pad=26, length=0)
    ax.set_ylim(-0.5, len(order) - 0.5)
    ax.set_xlim(start, stop)
    ax.grid(axis="y", color="#d0d0d0", linewidth=1)


def _track_run(
    trace: Trace, relation: str, track: str, states: Sequence[str] | None
) -> tuple[list[Record], list[str]]:
    """A parallel track's records of ``relation`` (the relation's, one to one: each carries the
    track's step) and its states bottom to top: what its band shows, and how high it must be."""
    seen = trace.on_track(track)
    records = [r for r in seen.records if r.relation == relation]
    return records, _state_order(seen, relation, records, states)


def _draw_track(
    ax: Axes,
    track: str,
    records: Sequence[Record],
    xs: Sequence[float],
    stop: float,
    order: Sequence[str],
) -> None:
    """A parallel track's state as a band like the relation's."""
    _draw_states(ax, records, xs, order, 0.0, stop)
    # Named on the right, where the band has no axis of its own (the state names are left).
    ax.yaxis.set_label_position("right")
    ax.set_ylabel(track, rotation=0, ha="left", va="center", labelpad=8, fontweight="bold")
    ax.tick_params(axis="x", labelbottom=False)


def _draw_variables(
    ax: Axes,
    trace: Trace,
    relation: str,
    records: Sequence[Record],
    xs: Sequence[float],
    names: Sequence[str],
    scale: DayScale,
    dynamics: Dynamics,
) -> None:
    """Each variable as the engine moved it (see :func:`timeline_figure`), on a second axis;
    a dot at its value after each event."""
    if not names:
        return
    twin = ax.twinx()
    twin.spines["right"].set_visible(True)
    final = next((e.variables for e in trace.final if e.relation == relation), {})
    initial = dynamics.initial.get(relation, {})
    top = 1.0
    first = records[0].before if records else None
    for i, name in enumerate(names):
        # A variable that decays by state decays, after each record, as in the state it left.
        by_state = (
            [dynamics.decay_of(name, r.after) for r in records] if dynamics.in_state else None
        )
        cx, cy = variable_curve(
            name,
            records,
            xs,
            scale,
            dynamics.decay_of(name, first),
            initial.get(name),
            final.get(name),
            by_state,
        )
        if not cx:
            continue
        top = max(top, *cy)
        colour = VARIABLE_COLOURS[i % len(VARIABLE_COLOURS)]
        twin.plot(cx, cy, color=colour, linewidth=2.5, label=name, zorder=4)
        after = [r.variables[name] for r in records if name in r.variables]
        if after:
            at = [x for x, r in zip(xs, records, strict=True) if name in r.variables]
            dots = twin.scatter(at, after, color=colour, s=16, zorder=5)
            dots.set_label(f"_{name} after events")
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
    # At the value the act has on this relation (a third party taking sides is conflict here).
    values = [0.0 if r.bearing is None else r.bearing for r in records]
    colours = [goldstein_colour(r.bearing) for r in records]
    ax.axhline(0, color="#555555", linewidth=1)
    ax.vlines(xs, 0, values, colors=colours, linewidth=2)
    markers = ax.scatter(
        xs,
        values,
        s=[marker_area(v) for v in values],
        c=colours,
        edgecolors=["black" if r.moved else "white" for r in records],
        linewidths=[2.0 if r.moved else 1.0 for r in records],
        zorder=3,
    )
    # Named so that tests (and a report restyling the figure) can find the event markers.
    markers.set_label("_events")
    reach = max(10.0, *(abs(v) for v in values)) if values else 10.0
    ax.set_ylim(-reach * 1.35, reach * 1.35)
    ax.set_yticks([-reach, -reach / 2, 0, reach / 2, reach])
    # The axis is named by its two halves, in their colours, beside the tick labels: inside the
    # axes a word would sit on the events. Each word starts at the zero line and runs away from
    # it, so that the two never meet, however short the panel (a figure with tracks has less
    # room for it: centred on its half, "cooperation" ran into "conflict").
    for y, word, colour, va in (
        (0.52, "cooperation", COOPERATION, "bottom"),
        (0.48, "conflict", CONFLICT, "top"),
    ):
        ax.text(
            -0.075,
            y,
            word,
            color=colour,
            transform=ax.transAxes,
            rotation=90,
            ha="center",
            va=va,
            fontweight="bold",
        )
    ax.text(
        -0.11, 0.5, "Goldstein value", transform=ax.transAxes, rotation=90, ha="center", va="center"
    )
    ax.grid(axis="y", color="#e4e4e4", linewidth=1)
