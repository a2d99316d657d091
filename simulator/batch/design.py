"""Design points: the combinations of parameter values a batch runs.

A grid is every combination of the parameters' values. Random and Latin-hypercube designs draw
``points`` points from the unit cube — numpy's generator seeded by the batch seed, and SciPy's
``scipy.stats.qmc.LatinHypercube`` — and map each coordinate onto its parameter: an interval
``[low, high]`` linearly, a list of ``values`` by equal slices.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from simulator.batch.spec import BatchSpec, ParameterSpec
from simulator.core.errors import BatchError

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


def design_points(spec: BatchSpec) -> list[Point]:
    """Every design point, in order: point ``i`` is the ``i``-th tuple of parameter values."""
    params = spec.parameters
    if spec.design.kind == "grid":
        return [tuple(v) for v in itertools.product(*(grid_values(p) for p in params))]
    n = spec.design.points
    assert n is not None
    if not params:
        return [() for _ in range(n)]
    np = require("numpy")
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed))
    if spec.design.kind == "random":
        cube = rng.random((n, len(params)))
    else:
        qmc = require("scipy.stats.qmc")
        cube = qmc.LatinHypercube(d=len(params), seed=rng).random(n)
    return [
        tuple(_from_unit(p, float(u)) for p, u in zip(params, row, strict=True)) for row in cube
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
