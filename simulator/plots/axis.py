"""The timeline's date axis: labels that never touch, years whenever the run spans more than
one, and the compressed quiet stretches of a long run marked as breaks."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from simulator.plots.days import DayScale

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The least distance between two date labels' centres, in pixels of the saved figure:
#: ``25 Jan`` is about 60 pixels wide in the figure's font; the rest is room between labels.
LABEL_PX = 100.0
#: The share of the figure's width the timeline's axes get after the layout (the key and the
#: axis titles take the rest), for a figure without a layout engine.
AXES_SHARE = 0.56
#: The colour of a break (a compressed quiet stretch) behind the plots.
BREAK = "#ececec"


def labelled_days(scale: DayScale, width_px: float) -> list[int]:
    """The days that get a label: from the first, each next day whose centre is at least
    ``LABEL_PX`` from the last one labelled (days inside a break get none)."""
    room = LABEL_PX * scale.end / max(width_px, 1.0)
    inside = {d for lo, hi in scale.breaks for d in range(lo, hi)}
    chosen: list[int] = []
    last = -math.inf
    for d in range(scale.days):
        centre = (scale.edges[d] + scale.edges[d + 1]) / 2
        if d not in inside and centre - last >= room:
            chosen.append(d)
            last = centre
    return chosen


def day_label(day: dt.date, year: bool) -> str:
    """``25 Jan``, with the year under it when asked (``25 Jan\\n2019``)."""
    return f"{day.day} {day:%b}" + (f"\n{day.year}" if year else "")


def date_axis(ax: Axes, start: dt.date, scale: DayScale) -> None:
    """Date labels centred on their days, spaced so that they never touch, the year under the
    first label and under every label in a new year when the run spans more than one; a faint
    line between days when there are few; each break shaded, with how long it is. Call it
    once everything else is drawn: the room for the labels is measured on the layout."""
    days = scale.days
    stop = start + dt.timedelta(days=days - 1)
    years = start.year != stop.year
    chosen = labelled_days(scale, _width(ax))
    labels, previous = [], None
    for d in chosen:
        day = start + dt.timedelta(days=d)
        labels.append(day_label(day, years and day.year != previous))
        previous = day.year
    ax.set_xticks([(scale.edges[d] + scale.edges[d + 1]) / 2 for d in chosen], labels)
    ax.tick_params(axis="x", length=0)
    siblings = (ax, *ax.get_shared_x_axes().get_siblings(ax))
    if days <= 62:
        ax.set_xticks(list(scale.edges), minor=True)
        for axes in siblings:
            axes.grid(axis="x", which="minor", color="#e4e4e4", linewidth=1)
    for lo, hi in scale.breaks:
        x0, x1 = scale.edges[lo], scale.edges[hi]
        for axes in dict.fromkeys(siblings):
            axes.axvspan(x0, x1, color=BREAK, linewidth=0, zorder=0).set_label("_break")
        ax.text(
            (x0 + x1) / 2,
            0.5,
            f"{_length(hi - lo)} without events",
            transform=ax.get_xaxis_transform(),
            rotation=90,
            ha="center",
            va="center",
            fontsize=9,
            color="#666666",
            clip_on=True,
        )
    name = "date" if years else f"{start.year}"
    ax.set_xlabel(f"{name} (grey: quiet stretches, drawn shorter)" if scale.breaks else name)


def _width(ax: Axes) -> float:
    """The axes' width in pixels as the layout will make it (the key, the titles and the
    track bands are drawn by now; the date labels themselves do not change it)."""
    fig = ax.get_figure(root=True)
    if fig is None:
        return 1000.0
    engine = fig.get_layout_engine()
    if engine is None:
        return fig.get_figwidth() * fig.dpi * AXES_SHARE
    engine.execute(fig)
    return float(ax.get_window_extent().width)


def _length(days: int) -> str:
    """A quiet stretch's length in words: ``52 days``, ``7 months``, ``4.4 years``."""
    if days < 91:
        return f"{days} days"
    if days < 730:
        return f"{round(days / 30.44)} months"
    return f"{days / 365.25:.1f} years"


__all__ = ["date_axis", "day_label", "labelled_days"]
