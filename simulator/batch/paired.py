"""Paired differences between design points, on common random numbers (``seeds: common``).

With common seeds, replication ``r`` draws the same random numbers at every design point, so
run ``r`` of point ``p`` and run ``r`` of the baseline differ by the parameters alone: their
outcomes are a pair, and usually positively correlated (the same luck pushes both the same
way). The difference of two points is then estimated from the per-replication differences
``d_r = y(p, r) - y(baseline, r)``, and its 95% interval is a t-interval on those ``d_r``:
``mean(d) ± t(0.975, n - 1) · sd(d) / √n``. Its width shrinks with the correlation, since
``var(d) = var(p) + var(b) - 2 cov(p, b)``.

For comparison each row also gives the interval a comparison of independent samples would
have (Welch's, on the same runs): what the runs would say if their pairing were ignored, and
about what independent seeds would give for as many runs. CRN helps comparisons; it does not
help estimate a point's own level (its runs are as many and as random as before), and it makes
intervals that treat points as independent wrong across points.

numpy and scipy (the t quantile) come with the ``batch`` extra and are imported when asked for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from simulator.batch.design import require
from simulator.core.errors import BatchError

#: What results made with independent seeds are told (their spec now says common).
NOT_COMMON = (
    "the runs of one replication have different seeds at different points: they were not made "
    "with seeds: common (is this the spec that made them?)"
)


def check_paired(seeds: str, replications: int, points: int, baseline: int) -> None:
    """Refuse a batch whose runs are not paired across points, or a baseline not in it."""
    if seeds != "common":
        raise BatchError(
            "paired differences need common random numbers (seeds: common in the batch spec): "
            f"this batch's seeds are {seeds}, so its points' runs are not paired"
        )
    if replications < 2:
        raise BatchError(
            f"paired differences need at least 2 replications per point, not {replications}"
        )
    if points < 2:
        raise BatchError("paired differences need at least 2 design points")
    if not 0 <= baseline < points:
        raise BatchError(
            f"baseline point {baseline} is not in the design: its points are 0 to {points - 1}"
        )


def paired_differences(
    point: Sequence[int],
    replication: Sequence[int],
    value: Sequence[float],
    points: Sequence[Sequence[Any]],
    names: Sequence[str],
    replications: int,
    baseline: int,
) -> list[dict[str, Any]]:
    """One row per point but the baseline: its number, ``parameters`` (name: value), ``pairs``
    (replications with a value at both),
    ``difference`` (the mean of the paired differences, point minus baseline), the paired 95%
    interval (``paired_low``, ``paired_high``, ``paired_half_width``), the unpaired (Welch's)
    ``unpaired_half_width`` on the same runs, and the ``correlation`` of the two points' values
    over the replications (NaN where it or an interval is undefined)."""
    np = require("numpy")
    t = require("scipy.stats", "batch").t
    table = np.full((len(points), replications), np.nan)
    table[np.asarray(point, dtype=np.intp), np.asarray(replication, dtype=np.intp)] = value
    base = table[baseline]
    rows = []
    for p in range(len(points)):
        if p == baseline:
            continue
        both = ~np.isnan(table[p]) & ~np.isnan(base)
        a, b = table[p][both], base[both]
        n = len(a)
        row: dict[str, Any] = {
            "point": p,
            "parameters": dict(zip(names, points[p], strict=True)),
            "pairs": n,
            "difference": float(np.mean(a - b)) if n else math.nan,
        }
        paired = _half_width(t, float(np.var(a - b, ddof=1)) / n, n - 1) if n > 1 else math.nan
        row["paired_low"] = row["difference"] - paired
        row["paired_high"] = row["difference"] + paired
        row["paired_half_width"] = paired
        row["unpaired_half_width"] = _welch(t, a, b) if n > 1 else math.nan
        spread = n > 1 and float(np.std(a)) > 0 and float(np.std(b)) > 0
        row["correlation"] = float(np.corrcoef(a, b)[0, 1]) if spread else math.nan
        rows.append(row)
    return rows


def _welch(t: Any, a: Any, b: Any) -> float:
    """The half-width of Welch's 95% interval for mean(a) - mean(b), a and b independent."""
    va, vb = float(a.var(ddof=1)) / len(a), float(b.var(ddof=1)) / len(b)
    if va + vb == 0:
        return 0.0
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return _half_width(t, va + vb, df)


def _half_width(t: Any, variance_of_mean: float, df: float) -> float:
    return float(t.ppf(0.975, df)) * math.sqrt(variance_of_mean) if variance_of_mean else 0.0


__all__ = ["check_paired", "paired_differences"]
