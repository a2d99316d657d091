"""The results of a batch: final states against a parameter, and the days runs took."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from simulator.batch.summary import machine_order, parameter_columns
from simulator.engine.outcomes import wilson_interval
from simulator.plots.batch_counts import (
    BatchCounts,
    Cell,
    batch_states,
    count_batch,
    group_values,
    merged_cells,
)
from simulator.plots.style import new_figure, percent_axis, state_colours, styled, title_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

#: The most curves of days-to-reach drawn for a batch (one per x value); more are pooled.
MAX_CURVES = 8


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
    counts = count_batch(iter(rows), relation, x, facet, state)
    x_groups = group_values(counts.cells, 0)
    facet_groups = group_values(counts.cells, 1) if counts.facet else {None: ("", None)}
    order = batch_states(counts)
    # Colours from the whole machine (the columns list its states calm to crisis), not from the
    # states these runs happened to end in: a state has its colour in every figure.
    machine = machine_order(counts.columns, counts.relation)
    colours = state_colours(machine + [s for s in order if s not in machine])
    with styled():
        fig = new_figure()
        heading = title or f"Final state of {counts.relation} by {counts.x}"
        fig.suptitle(title_text(heading), x=0.01, ha="left", fontweight="bold")
        left: Figure | SubFigure = fig
        right: SubFigure | None = None
        if counts.reach_column is not None:
            ratios = (2.0, 1) if counts.facet else (1.5, 1)
            halves = fig.add_gridspec(1, 2, width_ratios=ratios, wspace=0.02)
            left, right = fig.add_subfigure(halves[0, 0]), fig.add_subfigure(halves[0, 1])
        _draw_batch_shares(left, counts, x_groups, facet_groups, order, colours)
        if right is not None:
            _draw_batch_days(right, counts, x_groups)
    return fig


def _draw_batch_shares(
    fig: Figure | SubFigure,
    counts: BatchCounts,
    x_groups: Mapping[Any, tuple[str, float | None]],
    facet_groups: Mapping[Any, tuple[str, float | None]],
    order: Sequence[str],
    colours: Mapping[str, str],
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
        cells = merged_cells(counts, x_groups, facets[k], facet_groups)
        labels = list(cells)
        xs = [positions[lab] or 0.0 if numeric else float(i) for i, lab in enumerate(labels)]
        _draw_share_lines(ax, cells, xs, order, colours)
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
    ax: Axes,
    cells: Mapping[str, Cell],
    xs: Sequence[float],
    order: Sequence[str],
    colours: Mapping[str, str],
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
            color=colours[state],
            linewidth=3,
            marker="o",
            markersize=8,
            capsize=5,
            elinewidth=1.8,
            label=state,
        )
    ax.set_ylim(-0.02, 1.04)
    percent_axis(ax)
    ax.grid(color="#e4e4e4")


def _draw_batch_days(
    fig: Figure | SubFigure, counts: BatchCounts, x_groups: Mapping[Any, tuple[str, float | None]]
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
    percent_axis(ax)
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
