"""Which assumptions matter, drawn: Sobol indices or Morris effects, beside feature scores."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.plots.prim import ranges, tradeoff
from simulator.plots.style import BAND, NEUTRAL, new_figure, styled

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from simulator.batch.analysis import Analysis

#: First-order and total indices: a light and a dark shade of one hue, told apart by more than
#: colour too (the total bar is hatched).
_FIRST, _TOTAL = "#9ecae1", BAND


def analysis_figure(found: Analysis) -> Figure:
    """Left: Sobol S1 and ST with their 95% intervals (a Sobol design), or Morris μ* against σ
    (a Morris design); right: feature scores; then, for a PRIM box, its trade-off and its
    ranges. Parameters read top to bottom in the spec's order (scores: largest first)."""
    with styled():
        fig = new_figure()
        indices = bool(found.sobol or found.morris)
        # With a PRIM box: its trade-off and ranges beside the scores (a row below the indices).
        panels: list[Any] = [["indices", "scores"] if indices else ["scores"]]
        if found.prim is not None:
            panels = (
                [*panels, ["tradeoff", "box"]]
                if indices
                else [["scores", "tradeoff"], ["box", "tradeoff"]]
            )
        axes = fig.subplot_mosaic(panels)
        if found.sobol:
            _sobol(axes["indices"], found)
        elif found.morris:
            _morris(axes["indices"], found)
        _scores(axes["scores"], found)
        if found.prim is not None:
            tradeoff(axes["tradeoff"], found.prim)
            ranges(axes["box"], found.prim)
        fig.suptitle(
            f"What decides {found.outcome}: {found.design} design, {found.points:,} points, "
            f"{found.runs:,} runs (mean {found.mean:.2f})"
        )
        return fig


def _sobol(ax: Axes, found: Analysis) -> None:
    rows = found.sobol[::-1]  # the first parameter on top
    names = [r["parameter"] for r in rows]
    ys = range(len(rows))
    height = 0.38
    ax.barh(
        [y + height / 2 for y in ys],
        [r["ST"] for r in rows],
        height,
        xerr=[r["ST_conf"] for r in rows],
        color=_TOTAL,
        hatch="//",
        edgecolor="white",
        label="ST (total)",
        capsize=3,
    )
    ax.barh(
        [y - height / 2 for y in ys],
        [r["S1"] for r in rows],
        height,
        xerr=[r["S1_conf"] for r in rows],
        color=_FIRST,
        label="S1 (first order)",
        capsize=3,
    )
    ax.set_yticks(list(ys), names)
    ax.axvline(0.0, color=NEUTRAL, linewidth=0.8)
    ax.set_xlabel("Sobol index (bars: 95% interval)")
    ax.set_title("Sobol indices")
    ax.legend(loc="lower right")


def _morris(ax: Axes, found: Analysis) -> None:
    for r in found.morris:
        ax.errorbar(
            r["mu_star"],
            r["sigma"],
            xerr=r["mu_star_conf"],
            fmt="o",
            color=BAND,
            capsize=3,
        )
        ax.annotate(
            r["parameter"],
            (r["mu_star"], r["sigma"]),
            textcoords="offset points",
            xytext=(6, 6),
        )
    ax.set_xlabel("μ*: mean size of the elementary effects (bars: 95% interval)")
    ax.set_ylabel("σ: their spread (effects that depend on the others)")
    # A little room below zero: a parameter with no effect sits at (0, 0), and must show.
    right = max((r["mu_star"] + r["mu_star_conf"] for r in found.morris), default=1.0) or 1.0
    top = max((r["sigma"] for r in found.morris), default=1.0) or 1.0
    ax.set_xlim(-0.03 * right, 1.08 * right)
    ax.set_ylim(-0.03 * top, 1.08 * top)
    ax.set_title("Morris screening")


def _scores(ax: Axes, found: Analysis) -> None:
    rows = found.scores[::-1]  # the largest on top
    ax.barh([r["parameter"] for r in rows], [r["score"] for r in rows], color=BAND)
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("feature score (extra trees; they add up to 1)")
    ax.set_title("Feature scores")


__all__ = ["analysis_figure"]
