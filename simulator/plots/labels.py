"""Numbers on the timeline's event markers, placed so that they overlap no marker and no number."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.engine.trace import Record

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure


def marker_area(goldstein: float) -> float:
    """Marker area in points²: from 50 (no value) to 450 (|Goldstein| 10), by the magnitude."""
    return 50.0 + 40.0 * min(abs(goldstein), 10.0)


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


def label_events(fig: Figure, ax: Axes, records: Sequence[Record], xs: Sequence[float]) -> None:
    """Number each event marker, each number placed where it overlaps no marker and no number.

    The layout is fixed first (constrained layout moves the axes), then each number tries the
    places around its marker, nearest first, on the side of its value (above cooperation,
    below conflict); a number pushed away from its marker gets a thin leader line.
    """
    fig.draw_without_rendering()
    renderer: RendererBase = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    values = [0.0 if r.bearing is None else r.bearing for r in records]
    centres = ax.transData.transform(list(zip(xs, values, strict=True)))
    px = fig.dpi / 72.0
    radii = [math.sqrt(marker_area(v)) / 2 * px for v in values]
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
