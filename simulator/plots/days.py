"""The timeline's x axis: days since the start, busy days drawn wider; and the variables' curves
as the engine moves them, decaying between events and jumping at each."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from simulator.engine.trace import Decay, Record

#: Days with more events than this are drawn wider (each event gets ``EVENT_WIDTH`` of a day).
#: The busy days of January 2024 (five events on 17 January, seven on 18) would otherwise sit a
#: few pixels apart, their markers on top of one another (0.6 left two of them touching).
EVENT_WIDTH = 0.8
#: The share of its day's width over which a day's events are spread, centred.
SPREAD = 0.9
#: Points per day-width of a decaying curve: smooth at any size the figure is shown.
SAMPLES_PER_DAY = 12


#: A run longer than this many days has its long quiet stretches drawn compressed (a broken
#: axis): five years with a few busy weeks would otherwise show the weeks as slivers.
LONG_SPAN = 180
#: A stretch without events longer than this (past a margin of ``MARGIN`` days kept at full
#: width beside the events around it) is compressed, in a long run.
QUIET_DAYS = 45
MARGIN = 7
#: In a run with breaks, a day with events is drawn this many times wider than otherwise: a
#: busy week years from the next one gets room for its markers.
LONG_EVENT_DAY = 3.0


@dataclass(frozen=True)
class DayScale:
    """Where each day of the run sits on the x axis: ``edges[d]`` to ``edges[d + 1]``.

    ``breaks`` are the compressed stretches, ``(first day, day after the last)``: each is
    drawn ``sqrt(length)`` day-widths wide, so that a year apart takes a few weeks' width and
    still looks longer than a month apart.
    """

    edges: tuple[float, ...]
    breaks: tuple[tuple[int, int], ...] = ()

    @property
    def days(self) -> int:
        return len(self.edges) - 1

    @property
    def end(self) -> float:
        return self.edges[-1]

    def x(self, t: float) -> float:
        """The x of ``t`` days since the start (straight within a day)."""
        d = self.day(t)
        frac = min(max(t - d, 0.0), 1.0)
        return self.edges[d] + frac * (self.edges[d + 1] - self.edges[d])

    def day(self, t: float) -> int:
        """The day ``t`` days since the start falls on (the first or last if outside)."""
        return min(max(math.floor(t), 0), self.days - 1)

    def widened(self) -> list[int]:
        """The days drawn wider than one."""
        return [d for d in range(self.days) if self.edges[d + 1] - self.edges[d] > 1.0]


def day_scale(records: Sequence[Record], days: int) -> DayScale:
    """The scale of a run of ``days`` days whose relation has ``records``."""
    counts = [0] * max(days, 1)
    for r in records:
        counts[min(max(math.floor(r.t), 0), len(counts) - 1)] += 1
    widths = [max(1.0, EVENT_WIDTH * n) for n in counts]
    breaks = _quiet_stretches(counts) if len(counts) > LONG_SPAN and records else []
    for lo, hi in breaks:
        for d in range(lo, hi):
            widths[d] = math.sqrt(hi - lo) / (hi - lo)
    if breaks:  # the room the breaks leave goes to the days with events, in the clusters
        widths = [w * LONG_EVENT_DAY if n else w for w, n in zip(widths, counts, strict=True)]
    edges = [0.0]
    for w in widths:
        edges.append(edges[-1] + w)
    return DayScale(tuple(edges), tuple(breaks))


def _quiet_stretches(counts: Sequence[int]) -> list[tuple[int, int]]:
    """The stretches of days without events longer than ``QUIET_DAYS``, less a margin of
    ``MARGIN`` days on each side that has events."""
    out = []
    d, days = 0, len(counts)
    while d < days:
        if counts[d]:
            d += 1
            continue
        end = d
        while end < days and counts[end] == 0:
            end += 1
        lo = d + (MARGIN if d > 0 else 0)
        hi = end - (MARGIN if end < days else 0)
        if hi - lo > QUIET_DAYS:
            out.append((lo, hi))
        d = end
    return out


def event_positions(records: Sequence[Record], scale: DayScale) -> list[float]:
    """Where each event sits: a day's events evenly across it, in the order they happened."""
    per_day: dict[int, int] = {}
    for r in records:
        per_day[_day(r, scale)] = per_day.get(_day(r, scale), 0) + 1
    seen: dict[int, int] = {}
    xs = []
    for r in records:
        d = _day(r, scale)
        i = seen.get(d, 0)
        seen[d] = i + 1
        left, width = scale.edges[d], scale.edges[d + 1] - scale.edges[d]
        xs.append(left + width * ((1 - SPREAD) / 2 + SPREAD * (i + 0.5) / per_day[d]))
    return xs


def _day(r: Record, scale: DayScale) -> int:
    return scale.day(r.t)


def variable_curve(
    name: str,
    records: Sequence[Record],
    xs: Sequence[float],
    scale: DayScale,
    decay: Decay | None,
    start: float | None,
    final: float | None,
    decays: Sequence[Decay | None] | None = None,
) -> tuple[list[float], list[float]]:
    """The variable ``name`` over the run as the engine moves it: from each record's value it
    decays (``decay``; none: it stays) until the next event, where it jumps to that record's
    value (a vertical step at the event's x). ``start`` is its value at day 0 (unknown: the
    curve starts at the first record); ``final`` its value at the end, drawn as the decay's
    end if there is no decay to compute it. ``decays``, if given, is the decay after each
    record (one per record: a variable that decays by state), ``decay`` then the one before
    the first."""
    after = list(decays) if decays is not None else [decay] * len(records)
    points = [
        (x, r.t, r.variables[name], d)
        for x, r, d in zip(xs, records, after, strict=True)
        if name in r.variables
    ]
    cx: list[float] = []
    cy: list[float] = []
    if start is not None:
        points.insert(0, (0.0, 0.0, start, decay))
    for k, (x0, t0, v0, segment) in enumerate(points):
        cx.append(x0)
        cy.append(v0)
        if k + 1 < len(points):
            x1, t1 = points[k + 1][0], points[k + 1][1]
        elif final is not None or segment is not None:
            x1, t1 = scale.end, float(scale.days)
        else:
            break
        if segment is not None:
            n = max(2, math.ceil((x1 - x0) * SAMPLES_PER_DAY))
            for j in range(1, n + 1):
                s = j / n
                cx.append(x0 + s * (x1 - x0))
                cy.append(segment.after(v0, s * (t1 - t0)))
        else:
            cx.append(x1)
            cy.append(v0 if k + 1 < len(points) or final is None else final)
    return cx, cy
