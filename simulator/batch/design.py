"""Design points: the combinations of parameter values a batch runs.

A grid is every combination of the parameters' values. The other designs draw points from the
unit cube and map each coordinate onto its parameter (an interval ``[low, high]`` linearly, a
list of ``values`` by equal slices): random (numpy's generator seeded by the batch seed), Latin
hypercube (``scipy.stats.qmc.LatinHypercube``), Sobol (Saltelli's scheme, ``SALib``'s
``sobol.sample``, for Sobol indices) and Morris (``SALib``'s ``morris.sample``, trajectories for
elementary effects). How many points a design has is known from the spec alone
(:func:`design_size`), and checked against ``Limits.max_points`` before any point is made.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from simulator.batch.spec import BatchSpec, ParameterSpec
from simulator.core.errors import BatchError
from simulator.scenario.yamlread import DEFAULT_LIMITS, Limits, limit_hint

Point = tuple[Any, ...]


def require(module: str, extra: str = "batch") -> Any:
    """Import an optional library, or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise BatchError(
            f"this needs {module.split('.', maxsplit=1)[0]}, which is not installed: "
            f"pip install 'dipsim[{extra}]'"
        ) from None


def grid_values(p: ParameterSpec) -> list[Any]:
    """The values a parameter takes in a grid."""
    if p.values is not None:
        return list(p.values)
    assert p.low is not None and p.high is not None and p.steps is not None  # noqa: PT018
    step = (p.high - p.low) / (p.steps - 1)
    return [_number(p, p.low + i * step if i < p.steps - 1 else p.high) for i in range(p.steps)]


def _number(p: ParameterSpec, x: float) -> float | int:
    # Rounded to 12 significant digits so that 0.1 * 3 prints as 0.3 in the results.
    return round(x) if p.integer else float(f"{x:.12g}")


def _from_unit(p: ParameterSpec, u: float) -> Any:
    if p.values is not None:
        return p.values[min(int(u * len(p.values)), len(p.values) - 1)]
    assert p.low is not None and p.high is not None  # noqa: PT018
    if p.integer:
        # Every whole number in [low, high] gets an equal share, the ends included.
        low, high = round(p.low), round(p.high)
        return min(high, low + int(u * (high - low + 1)))
    return _number(p, p.low + u * (p.high - p.low))


#: Morris levels when the spec names none (SALib's default, the usual choice).
MORRIS_LEVELS = 4


def design_size(spec: BatchSpec) -> int:
    """How many points the spec's design has, worked out without making any."""
    design, d = spec.design, len(spec.parameters)
    if design.kind == "grid":
        return math.prod(
            len(p.values) if p.values is not None else p.steps or 0 for p in spec.parameters
        )
    n = design.points or 0
    if design.kind == "sobol":
        return n * (2 * d + 2 if design.second_order else d + 2)
    if design.kind == "morris":
        return n * (d + 1)
    return n


def check_size(spec: BatchSpec, limits: Limits) -> int:
    """The design's size, or a BatchError when it is over ``limits.max_points``."""
    size = design_size(spec)
    if size > limits.max_points:
        raise BatchError(
            f"the {spec.design.kind} design has {size:,} points, more than "
            f"{limit_hint('max_points', limits)}"
        )
    return size


def salib_problem(spec: BatchSpec) -> dict[str, Any]:
    """The SALib problem of the spec's design: every parameter on the unit interval (points
    are mapped onto the parameters afterwards, as for the other designs)."""
    return {
        "num_vars": len(spec.parameters),
        "names": [p.column for p in spec.parameters],
        "bounds": [[0.0, 1.0]] * len(spec.parameters),
    }


def unit_cube(spec: BatchSpec) -> Any:
    """The design's points in the unit cube (a numpy array, one row per point)."""
    np = require("numpy")
    n, d, kind = spec.design.points, len(spec.parameters), spec.design.kind
    assert n is not None
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed))
    if kind == "random":
        return rng.random((n, d))
    if kind == "lhs":
        return require("scipy.stats.qmc").LatinHypercube(d=d, seed=rng).random(n)
    if kind == "sobol":
        sobol = require("SALib.sample.sobol", "analysis")
        second = bool(spec.design.second_order)
        return sobol.sample(salib_problem(spec), n, calc_second_order=second, seed=spec.seed)
    morris = require("SALib.sample.morris", "analysis")
    levels = spec.design.levels or MORRIS_LEVELS
    return morris.sample(salib_problem(spec), n, num_levels=levels, seed=spec.seed)


def design_points(spec: BatchSpec, limits: Limits = DEFAULT_LIMITS) -> list[Point]:
    """Every design point, in order: point ``i`` is the ``i``-th tuple of parameter values.

    Raises:
        BatchError: The design has more than ``limits.max_points`` points, or needs an
            optional library that is not installed (the message names its extra).
    """
    check_size(spec, limits)
    params = spec.parameters
    if spec.design.kind == "grid":
        return [tuple(v) for v in itertools.product(*(grid_values(p) for p in params))]
    if not params:
        return [() for _ in range(design_size(spec))]
    return [
        tuple(_from_unit(p, min(max(float(u), 0.0), 1.0)) for p, u in zip(params, row, strict=True))
        for row in unit_cube(spec)
    ]


def column_kind(values: Sequence[Any]) -> str:
    """The results column kind for a parameter's values: int, float, bool or str."""
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float"
    return "str"
