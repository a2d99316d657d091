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


def label_events(
    fig: Figure,
    ax: Axes,
    records: Sequence[Record],
    xs: Sequence[float],
    numbered: int | None = None,
) -> None:
    """Number each event marker, each number placed where it overlaps no marker and no number.

    The layout is fixed first (constrained layout moves the axes), then each number tries the
    places around its marker, nearest first, on the side of its value (above cooperation,
    below conflict); a number pushed away from its marker gets a thin leader line. Only the
    first ``numbered`` events get a number (default: all), the ones the key lists: every marker
    is still kept clear of them.
    """
    renderer: RendererBase = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    # The layout alone, as drawing would make it (drawing everything first cost a second at
    # ten thousand events, for the same positions).
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
    else:
        fig.draw_without_rendering()
    values = [0.0 if r.bearing is None else r.bearing for r in records]
    centres = ax.transData.transform(list(zip(xs, values, strict=True)))
    px = fig.dpi / 72.0
    radii = [math.sqrt(marker_area(v)) / 2 * px for v in values]
    frame = ax.get_window_extent(renderer)
    size = 13.0 if len(records) <= 40 else 10.0
    count = len(records) if numbered is None else min(numbered, len(records))
    markers = [(float(cx), float(cy), r) for (cx, cy), r in zip(centres, radii, strict=True)]
    texts = [str(i + 1) for i in range(count)]
    signs = [-1.0 if v < 0 else 1.0 for v in values[:count]]
    bounds = (frame.x0, frame.y0, frame.x1, frame.y1)
    for i, (dx, dy) in enumerate(place(markers, texts, size, px, bounds, signs)):
        radius = radii[i]
        w, h = _label_size(texts[i], size, px)
        far = math.hypot(dx, dy) > radius + max(w, h)
        ann = ax.annotate(
            texts[i],
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


def _label_size(text: str, size: float, px: float) -> tuple[float, float]:
    """A number's box in pixels at ``size`` points (bold digits, a little margin)."""
    return 0.66 * size * len(text) * px + 4, size * px + 2


def place(
    markers: Sequence[tuple[float, float, float]],
    texts: Sequence[str],
    size: float,
    px: float,
    bounds: tuple[float, float, float, float],
    signs: Sequence[float] | None = None,
) -> list[tuple[float, float]]:
    """Where each of ``texts`` goes (offsets in pixels from its marker), in order: the
    first of its places (see ``_candidates``) with the least overlap with every marker and
    every number placed before it, plus a hundredth of its distance; off ``bounds`` costs 10^6.

    ``markers`` are ``(x, y, radius)`` in pixels, one per event (there may be more markers
    than texts: text ``i`` labels marker ``i``). The boxes already taken are kept in a grid of
    cells about a label wide, so a place is tested only against the boxes near it, and a place
    whose distance alone cannot beat the best so far is not tested at all: the same choice as
    testing every place against every box, in time near linear in the number of labels.
    """
    grid = _Grid(max(2.0 * max((r for _, _, r in markers), default=1.0), 6 * size * px, 1.0))
    for x, y, r in markers:
        grid.add(_Box(x - r, y - r, x + r, y + r))
    frame = _Box(*bounds)
    out = []
    for i, text in enumerate(texts):
        cx, cy, radius = markers[i]
        w, h = _label_size(text, size, px)
        sign = 1.0 if signs is None else signs[i]
        best, best_cost = (0.0, 0.0), math.inf
        for dx, dy in _candidates(radius, w, h, sign):
            cost = 0.01 * math.hypot(dx, dy)  # among free places, the nearest
            if cost >= best_cost:
                continue  # overlap only adds to it
            box = _Box(cx + dx - w / 2, cy + dy - h / 2, cx + dx + w / 2, cy + dy + h / 2)
            if not box.inside(frame):
                cost += 1e6
            cost += grid.overlap(box, best_cost - cost)
            if cost < best_cost:
                best, best_cost = (dx, dy), cost
        dx, dy = best
        grid.add(_Box(cx + dx - w / 2, cy + dy - h / 2, cx + dx + w / 2, cy + dy + h / 2))
        out.append(best)
    return out


class _Grid:
    """Boxes filed under every square cell (``cell`` pixels wide) they touch."""

    def __init__(self, cell: float) -> None:
        self.cell = cell
        self.boxes: list[_Box] = []
        self.cells: dict[tuple[int, int], list[int]] = {}

    def _keys(self, box: _Box) -> list[tuple[int, int]]:
        c = self.cell
        return [
            (i, j)
            for i in range(math.floor(box.x0 / c), math.floor(box.x1 / c) + 1)
            for j in range(math.floor(box.y0 / c), math.floor(box.y1 / c) + 1)
        ]

    def add(self, box: _Box) -> None:
        k = len(self.boxes)
        self.boxes.append(box)
        for key in self._keys(box):
            self.cells.setdefault(key, []).append(k)

    def overlap(self, box: _Box, enough: float = math.inf) -> float:
        """The summed overlap of ``box`` with the boxes filed, each counted once; the sum so
        far as soon as it reaches ``enough`` (the caller needs no more)."""
        seen: set[int] = set()
        total = 0.0
        for key in self._keys(box):
            for k in self.cells.get(key, ()):
                if k not in seen:
                    seen.add(k)
                    total += box.overlap(self.boxes[k])
                    if total >= enough:
                        return total
        return total


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
