"""A PRIM box, drawn: the peeling trajectory's trade-off, and the chosen box's ranges.

As EMA Workbench shows them (``show_tradeoff``, ``inspect(style="graph")``): coverage against
density, coloured by how many parameters are restricted; and one bar per restricted parameter,
its range in the box on the scale of all the runs' range (0 to 1), the values written at its ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.plots.style import BAND, NEUTRAL, category_colour, percent_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from simulator.batch.prim import Prim


def tradeoff(ax: Axes, found: Prim) -> None:
    """Each box of the trajectory at (coverage, density), the chosen one ringed."""
    boxes = found.trajectory
    ax.plot([b.coverage for b in boxes], [b.density for b in boxes], color=NEUTRAL, lw=0.8)
    for count in sorted({len(b.restricted) for b in boxes}):
        group = [b for b in boxes if len(b.restricted) == count]
        ax.scatter(
            [b.coverage for b in group],
            [b.density for b in group],
            color=category_colour(count),
            s=50,
            zorder=3,
            label=f"{count}",
        )
    box = found.box
    ax.scatter(
        [box.coverage], [box.density], s=260, facecolors="none", edgecolors="black", zorder=4
    )
    ax.annotate(
        f"box {box.index}", (box.coverage, box.density), textcoords="offset points", xytext=(10, 8)
    )
    ax.axhline(found.threshold, color=NEUTRAL, linestyle="--", linewidth=1, label="threshold")
    ax.set_xlim(-0.02, 1.04)
    ax.set_ylim(-0.02, 1.04)
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel("coverage: the runs of interest in the box")
    ax.set_ylabel("density: the box's runs of interest")
    ax.legend(title="restricted", loc="lower left", ncols=2)
    ax.set_title(f"PRIM trade-off: {len(boxes)} boxes")


def ranges(ax: Axes, found: Prim) -> None:
    """One bar per restricted parameter: its range in the box, on the scale 0 (the runs'
    lowest value) to 1 (their highest); a listed parameter's bar is its share of the values."""
    rows = found.box_rows()[::-1]  # the first parameter on top
    box = found.box
    ax.set_title(
        f"Box {box.index}, mass {box.mass:.0%}\ncoverage {box.coverage:.0%}, "
        f"density {box.density:.0%}"
    )
    ax.set_xlim(-0.3, 1.3)
    ax.set_xticks([0.0, 0.5, 1.0])
    ax.set_xlabel("share of all the runs' range")
    if not rows:
        ax.text(0.5, 0.5, "no parameter restricted", ha="center", va="center")
        ax.set_yticks([])
        return
    for y, r in enumerate(rows):
        ax.barh(y, 1.0, color="#e6e6e6", height=0.5)
        if "low" in r:
            span = (r["max"] - r["min"]) or 1.0
            low, high = (r["low"] - r["min"]) / span, (r["high"] - r["min"]) / span
            ax.barh(y, high - low, left=low, color=BAND, height=0.5)
            ax.text(low - 0.02, y, f"{r['low']:.3g}", ha="right", va="center")
            ax.text(high + 0.02, y, f"{r['high']:.3g}", ha="left", va="center")
        else:
            share = len(r["values"]) / r["of"]
            ax.barh(y, share, color=BAND, height=0.5, hatch="//", edgecolor="white")
            ax.text(share + 0.02, y, f"{len(r['values'])} of {r['of']}", va="center")
            # The values themselves under the bar, cut at the axes' edge (never moving them).
            kept = ax.text(0.0, y - 0.4, ", ".join(map(str, r["values"])), va="center", size=12)
            kept.set_clip_on(True)
            kept.set_in_layout(False)
    ax.set_yticks(range(len(rows)), [r["parameter"] for r in rows])
    pad = max(3 - len(rows), 0) / 2  # one or two bars stay bars, not blocks, in the middle
    ax.set_ylim(-0.6 - pad, len(rows) - 0.4 + pad)


__all__ = ["ranges", "tradeoff"]
