"""PRIM, the patient rule induction method (Friedman and Fisher, 1999), for scenario discovery.

Each run is a case: the values of its design point's parameters, and a binary outcome (1: a
case of interest). PRIM looks for a *box* — a range of each numeric parameter, a subset of each
listed one — inside which cases of interest are dense. It peels: starting from the box holding
every run, it tries cutting off the runs below the ``alpha`` quantile or above the ``1 - alpha``
quantile of one numeric parameter, or the runs with one value of a listed parameter, and keeps
the cut that raises the share of cases of interest most per run removed. It stops when no cut
raises that share or the box would hold less than ``mass_min`` of the runs. Every box on the way
is kept: the *peeling trajectory*, from full coverage at low density to high density at low
coverage; one box of it is chosen (the first dense enough, or one asked for).

What decides the numbers follows EMA Workbench's ``Prim`` (``ema_workbench/analysis/prim.py``,
BSD-3-Clause), so that its published results can be reproduced (``tests/test_prim.py``):

* the quantile of sdtoolkit (Bryant and Lempert's): the midpoint of the two data values either
  side of it, moving past ties, so a cut never splits runs of equal value;
* the objective ("lenient1"): the gain in the box's mean per run removed;
* ties go to the box with fewer restricted parameters, then to the cut tried first (numeric
  parameters in order, the upper end before the lower, then the listed ones);
* a cut is kept only if it removes runs, raises the mean and leaves at least ``mass_min``.

Not done: pasting (growing the box back where that raises density, which EMA appends to the
trajectory), covering (further boxes among the runs left outside), quasi-p values and
resampling. Whole-number parameters are peeled as numbers (EMA has a rule of its own for
integer columns). numpy comes with the ``batch`` extra and is imported when PRIM runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.batch.design import require
from simulator.core.errors import BatchError

if TYPE_CHECKING:
    import numpy
    from numpy.typing import NDArray

    Floats = NDArray[numpy.float64]
    Indices = NDArray[numpy.intp]

#: EMA Workbench's defaults: peel 5% of the box at a time, stop at 5% of the runs.
ALPHA = 0.05
MASS_MIN = 0.05
#: The density a box must reach to be chosen when no box is asked for (Bryant and Lempert's).
THRESHOLD = 0.8
#: Fewer runs than this make a trajectory of a handful of boxes that says nothing.
MIN_RUNS = 20

#: A numeric parameter's limits (low, high), or the codes of a listed one's values in the box.
Limit = tuple[float, float] | frozenset[int]


@dataclass(frozen=True)
class Box:
    """One box of the peeling trajectory and what it holds."""

    index: int
    limits: tuple[Limit, ...]  # one per parameter, in the parameters' order
    runs: int
    of_interest: int
    coverage: float  # its cases of interest / all cases of interest
    density: float  # its cases of interest / its runs
    mass: float  # its runs / all runs
    restricted: tuple[int, ...]  # the parameters whose limits are narrower than all the runs'


@dataclass(frozen=True)
class Prim:
    """A peeling trajectory and the box chosen on it."""

    parameters: tuple[str, ...]
    #: For each parameter, None (numeric) or its listed values (a limit's codes index them).
    categories: tuple[tuple[Any, ...] | None, ...]
    trajectory: tuple[Box, ...]
    chosen: int
    threshold: float
    alpha: float
    mass_min: float
    #: Whether the box was asked for by its index (else: chosen by the threshold).
    asked: bool = False

    @property
    def box(self) -> Box:
        return self.trajectory[self.chosen]

    @property
    def meets_threshold(self) -> bool:
        return self.box.density >= self.threshold

    def trajectory_rows(self) -> list[dict[str, Any]]:
        """One row per box: its index, coverage, density, mass, runs and restricted count."""
        return [
            {
                "box": b.index,
                "coverage": b.coverage,
                "density": b.density,
                "mass": b.mass,
                "runs": b.runs,
                "of_interest": b.of_interest,
                "restricted": len(b.restricted),
            }
            for b in self.trajectory
        ]

    def box_rows(self, index: int | None = None) -> list[dict[str, Any]]:
        """The limits of a box (default: the chosen one) on its restricted parameters: ``low``
        and ``high`` of a numeric one (and the runs' whole range), ``values`` of a listed one."""
        box = self.trajectory[self.chosen if index is None else index]
        full = self.trajectory[0].limits
        rows: list[dict[str, Any]] = []
        for j in box.restricted:
            limit, everything, names = box.limits[j], full[j], self.categories[j]
            if isinstance(limit, tuple) and isinstance(everything, tuple):
                low, high = limit
                rows.append(
                    {
                        "parameter": self.parameters[j],
                        "low": low,
                        "high": high,
                        "min": everything[0],
                        "max": everything[1],
                    }
                )
            elif isinstance(limit, frozenset) and names is not None:
                kept = [names[c] for c in sorted(limit)]
                rows.append(
                    {"parameter": self.parameters[j], "values": kept, "of": len(everything)}
                )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: every number finite (none can be otherwise here)."""
        box = self.box
        return {
            "alpha": self.alpha,
            "mass_min": self.mass_min,
            "pasting": False,
            "threshold": self.threshold,
            "runs": self.trajectory[0].runs,
            "of_interest": self.trajectory[0].of_interest,
            "chosen": box.index,
            "asked": self.asked,
            "meets_threshold": self.meets_threshold,
            "box": {
                "coverage": box.coverage,
                "density": box.density,
                "mass": box.mass,
                "runs": box.runs,
                "of_interest": box.of_interest,
                "limits": self.box_rows(),
            },
            "trajectory": self.trajectory_rows(),
        }


def prim(
    x: Floats,
    y: Floats,
    parameters: Sequence[str],
    categories: Sequence[tuple[Any, ...] | None],
    *,
    alpha: float = ALPHA,
    mass_min: float = MASS_MIN,
    threshold: float = THRESHOLD,
    box: int | None = None,
) -> Prim:
    """Peel the runs ``x`` (one row per run, one column per parameter: a numeric parameter's
    values, or a listed one's codes) towards those where ``y`` is 1, and choose a box: ``box``
    (its index on the trajectory) or else the first whose density reaches ``threshold`` (or
    else the densest, the last).

    Raises:
        BatchError: ``y`` is not 0 or 1 throughout or is all one of them, there are fewer than
            ``MIN_RUNS`` runs, or a setting is out of its range.
    """
    np = require("numpy")
    check_settings(alpha, mass_min, threshold)
    if not set(np.unique(y).tolist()) <= {0.0, 1.0}:
        raise BatchError("PRIM needs a binary outcome (0 or 1 in every run)")
    if len(y) < MIN_RUNS:
        raise BatchError(f"PRIM needs at least {MIN_RUNS} runs with a value, not {len(y)}")
    if not 0 < int(y.sum()) < len(y):
        raise BatchError(
            f"PRIM needs runs of both kinds: the outcome is {int(y[0])} in all {len(y)} runs"
        )
    trajectory = peel(x, y, categories, alpha, mass_min)
    if box is None:
        chosen = next((b.index for b in trajectory if b.density >= threshold), len(trajectory) - 1)
    elif 0 <= box < len(trajectory):
        chosen = box
    else:
        raise BatchError(
            f"box {box} is not on the trajectory: its boxes are 0 to {len(trajectory) - 1}"
        )
    return Prim(
        tuple(parameters),
        tuple(categories),
        tuple(trajectory),
        chosen,
        threshold,
        alpha,
        mass_min,
        asked=box is not None,
    )


def check_settings(alpha: float, mass_min: float, threshold: float) -> None:
    """Refuse settings out of range (raises BatchError)."""
    if not 0 < alpha <= 0.5:
        raise BatchError(
            f"the peeling alpha is a share of the box above 0, at most 0.5: not {alpha}"
        )
    if not 0 < mass_min < 1:
        raise BatchError(f"the minimum mass is a share of the runs between 0 and 1: not {mass_min}")
    if not 0 < threshold <= 1:
        raise BatchError(f"the density threshold is above 0 and at most 1: not {threshold}")


def peel(
    x: Floats,
    y: Floats,
    categories: Sequence[tuple[Any, ...] | None],
    alpha: float = ALPHA,
    mass_min: float = MASS_MIN,
) -> list[Box]:
    """The peeling trajectory: the box holding every run, then each peel kept, in order."""
    np = require("numpy")
    n, total = len(y), float(y.sum())
    numeric = [j for j, c in enumerate(categories) if c is None]
    listed = [j for j, c in enumerate(categories) if c is not None]
    initial: list[Limit] = [
        (float(x[:, j].min()), float(x[:, j].max()))
        if c is None
        else frozenset(int(v) for v in np.unique(x[:, j]))
        for j, c in enumerate(categories)
    ]

    def make(index: int, inside: Indices, limits: list[Limit]) -> Box:
        k = int(y[inside].sum())
        restricted = tuple(j for j, lim in enumerate(limits) if lim != initial[j])
        runs = len(inside)
        return Box(
            index, tuple(limits), runs, k, k / max(total, 1.0), k / runs, runs / n, restricted
        )

    inside: Indices = np.arange(n)
    limits = list(initial)
    trajectory = [make(0, inside, limits)]
    while True:
        mean = float(y[inside].sum()) / len(inside)
        best: tuple[float, int] | None = None
        found: tuple[Indices, list[Limit]] | None = None
        # Candidates in EMA's order; the first of equal score wins (its sort is stable).
        cuts = [
            *(cut for c in numeric for cut in _numeric_cuts(x[inside, c], c, limits[c], alpha)),
            *(cut for c in listed for cut in _listed_cuts(x[inside, c], c, limits[c])),
        ]
        for j, keep, limit in cuts:
            kept = inside[keep]
            removed = len(inside) - len(kept)
            # lenient1: the gain in mean per run removed (0 if nothing is removed).
            gain = (float(y[kept].sum()) / len(kept) if len(kept) else 0.0) - mean
            objective = gain / removed if removed and gain != 0 else 0.0
            candidate = [*limits[:j], limit, *limits[j + 1 :]]
            free = sum(lim == initial[i] for i, lim in enumerate(candidate))
            if best is None or (objective, free) > best:
                best, found = (objective, free), (kept, candidate)
        if best is None or found is None:
            break
        kept, candidate = found
        if not (len(kept) / n >= mass_min and len(kept) < len(inside) and best[0] > 0):
            break
        inside, limits = kept, candidate
        trajectory.append(make(len(trajectory), inside, limits))
    return trajectory


def _numeric_cuts(xj: Floats, j: int, limit: Limit, alpha: float) -> list[tuple[int, Any, Limit]]:
    """Cut above the (1 - alpha) quantile, then below the alpha quantile (EMA's order)."""
    assert isinstance(limit, tuple)
    np = require("numpy")
    data = np.sort(xj)
    upper, lower = quantile(data, 1 - alpha), quantile(data, alpha)
    return [(j, xj <= upper, (limit[0], upper)), (j, xj >= lower, (lower, limit[1]))]


def _listed_cuts(xj: Floats, j: int, limit: Limit) -> list[tuple[int, Any, Limit]]:
    """Leave out one value at a time (while more than one is left)."""
    assert isinstance(limit, frozenset)
    if len(limit) < 2:
        return []
    return [(j, xj != code, limit - {code}) for code in sorted(limit)]


def quantile(data: Floats, q: float) -> float:
    """sdtoolkit's quantile of sorted ``data`` (EMA's ``get_quantile``): the midpoint of the
    values at the floor and ceiling of ``(n - 1) q``, the lower one moved down past ties above
    the median, the upper one moved up past ties below it, so that a cut at it falls between
    two different values (or at the extreme, when every value is the same)."""
    np = require("numpy")
    n = len(data)
    i = (n - 1) * q
    lo, hi = math.floor(i), math.ceil(i)
    # EMA walks index by index; searchsorted finds the same place without a Python loop.
    if q > 0.5:
        lo = max(int(np.searchsorted(data, data[hi], side="left")) - 1, 0)
    else:
        hi = min(int(np.searchsorted(data, data[lo], side="right")), n - 1)
    return (float(data[lo]) + float(data[hi])) / 2


__all__ = ["ALPHA", "MASS_MIN", "THRESHOLD", "Box", "Prim", "peel", "prim", "quantile"]
