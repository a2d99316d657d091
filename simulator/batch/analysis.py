"""Which assumptions matter? Sensitivity indices and feature scores from a batch's results.

Analysis only reads saved results (EMA Workbench's rule: run, save, then analyse). It takes the
results file and the batch spec that made it, works out one number per run — the *outcome*:
whether the relation ends in a state, whether it reaches one, the day it first enters one, or
any numeric metric column — and averages it over each design point's replications. Then:

* a Sobol design gives first-order and total Sobol indices with 95% confidence intervals
  (SALib's ``sobol.analyze``, Saltelli's estimators);
* a Morris design gives μ*, its interval, μ and σ of the elementary effects (SALib's
  ``morris.analyze``);
* any design gives feature scores: the impurity importances of an extra-trees regression of
  the outcome on the parameters (scikit-learn, as EMA Workbench's ``feature_scoring`` does).

The design's unit-cube points are made again from the spec (they are seeded), and the results'
parameter values are checked against them point by point, so a spec that did not make the file
is refused rather than analysed. SALib and scikit-learn come with the ``analysis`` extra and are
imported only here, when an analysis runs.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.batch.design import MORRIS_LEVELS, design_points, require, salib_problem, unit_cube
from simulator.batch.spec import LoadedSpec, load_batch_spec
from simulator.batch.summary import relations_in, typed_rows
from simulator.core.errors import BatchError
from simulator.scenario.yamlread import DEFAULT_LIMITS, Limits

_OUTCOME = re.compile(r"^(final|reaches|days):([A-Za-z_][A-Za-z0-9_]*)$")
#: Trees in the feature-scoring forest (EMA Workbench's default is 100 too).
TREES = 100


@dataclass(frozen=True)
class Outcome:
    """What is measured of each run: ``final:STATE``, ``reaches:STATE``, ``days:STATE`` (the
    day the state is first entered; runs that never enter it are left out), or a column."""

    text: str
    column: str
    kind: str  # final, reaches, days or metric

    def of(self, row: Mapping[str, Any]) -> float | None:
        value = row.get(self.column)
        if self.kind == "final":
            return None if value is None else float(value == self.text.split(":", 1)[1])
        if self.kind == "reaches":
            return float(value is not None)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)


def parse_outcome(text: str, relation: str | None, columns: list[str]) -> Outcome:
    """The outcome named by ``text``, on ``relation`` (default: the first recorded)."""
    found = _OUTCOME.match(text)
    if found is None:
        if text in columns:
            return Outcome(text, text, "metric")
        raise BatchError(
            f"outcome {text[:60]!r}: write final:STATE, reaches:STATE, days:STATE or the name of "
            "a numeric column of the results"
        )
    kind, state = found.groups()
    relations = relations_in(columns) or sorted(
        {c.split(".", 1)[0] for c in columns if ".first." in c}
    )
    rel = relation or (relations[0] if relations else "")
    if rel not in relations:
        raise BatchError(f"the results record no relation {rel!r}; they record {relations}")
    column = f"{rel}.final_state" if kind == "final" else f"{rel}.first.{state}"
    if column not in columns:
        metric = "final_state" if kind == "final" else "first_entered"
        raise BatchError(
            f"outcome {text!r} needs the metric {metric}, which the batch did not record"
        )
    return Outcome(text, column, "final" if kind == "final" else kind)


@dataclass
class Analysis:
    """What the analysis found, as rows per parameter (see :meth:`tables`)."""

    outcome: str
    design: str
    parameters: list[str]
    points: int
    runs: int
    mean: float
    sobol: list[dict[str, Any]] = field(default_factory=list)
    morris: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "design": self.design,
            "points": self.points,
            "runs": self.runs,
            "mean": _finite(self.mean),
            "sobol": [_finite_row(r) for r in self.sobol],
            "morris": [_finite_row(r) for r in self.morris],
            "feature_scores": [_finite_row(r) for r in self.scores],
        }

    def to_pandas(self) -> dict[str, Any]:
        """Each table as a pandas DataFrame, by name (``sobol``, ``morris``, ``feature_scores``)."""
        pd = require("pandas", "pandas")
        tables = {"sobol": self.sobol, "morris": self.morris, "feature_scores": self.scores}
        return {name: pd.DataFrame(rows) for name, rows in tables.items() if rows}


def analyze(
    results: Path,
    spec: LoadedSpec | Path | str | None,
    outcome: str,
    relation: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Analysis:
    """Sensitivity indices (Sobol or Morris designs) and feature scores of ``outcome``.

    ``spec`` None reads the spec's path from the record ``dipsim batch`` writes beside the
    results (``RESULTS.batch.json``).

    Raises:
        BatchError: The spec did not make these results (or none is given or recorded), the
            outcome is not in them, no point has a run without an error, or a library of the
            ``analysis`` extra is missing.
    """
    if spec is None:
        from simulator.batch.runner import spec_of

        spec = spec_of(Path(results))
    loaded = spec if isinstance(spec, LoadedSpec) else load_batch_spec(spec, limits)
    batch = loaded.spec
    points = design_points(batch, limits)
    names = [p.column for p in batch.parameters]
    rows = typed_rows(Path(results))
    first = next(rows, None)
    if first is None:
        raise BatchError(f"{results} holds no runs")
    columns = list(first)
    chosen = parse_outcome(outcome, relation, columns)
    sums = [0.0] * len(points)
    counts = [0] * len(points)
    runs = 0
    for row in itertools.chain((first,), rows):
        point = row.get("point")
        if not isinstance(point, int) or not 0 <= point < len(points):
            raise BatchError(
                f"{results}: run {row.get('run_id')} has point {point!r}, not one of this spec's"
            )
        if runs < 1_000 or point == len(points) - 1:  # the values must be this design's
            _check_values(results, row, names, points[point])
        runs += 1
        value = chosen.of(row) if row.get("error") is None else None
        if value is not None:
            sums[point] += value
            counts[point] += 1
    if not any(counts):
        raise BatchError(f"no run of {results} has a value for {outcome!r}")
    means = [s / c if c else math.nan for s, c in zip(sums, counts, strict=True)]
    filled = [m for m in means if not math.isnan(m)]
    mean = sum(filled) / len(filled)
    found = Analysis(outcome, batch.design.kind, names, len(points), runs, mean)
    complete = [m if not math.isnan(m) else mean for m in means]  # a point with no value: the mean
    np = require("numpy")
    y = np.array(complete)
    if batch.design.kind == "sobol":
        found.sobol = _sobol(batch, names, y)
    elif batch.design.kind == "morris":
        found.morris = _morris(batch, names, y)
    found.scores = _scores(batch, names, points, y)
    return found


def _check_values(
    results: Path, row: Mapping[str, Any], names: list[str], values: tuple[Any, ...]
) -> None:
    for name, value in zip(names, values, strict=True):
        got = row.get(name)
        same = got == value or (
            isinstance(got, float) and isinstance(value, int | float) and math.isclose(got, value)
        )
        if not same:
            raise BatchError(
                f"{results} was not made by this spec: run {row.get('run_id')} has {name} = "
                f"{str(got)[:40]}, the spec's design gives {str(value)[:40]}"
            )


def _sobol(batch: Any, names: list[str], y: Any) -> list[dict[str, Any]]:
    sobol = require("SALib.analyze.sobol", "analysis")
    second = bool(batch.design.second_order)
    found = sobol.analyze(
        salib_problem(batch), y, calc_second_order=second, conf_level=0.95, seed=batch.seed
    )
    return _per_parameter(names, found, ("S1", "S1_conf", "ST", "ST_conf"))


def _morris(batch: Any, names: list[str], y: Any) -> list[dict[str, Any]]:
    morris = require("SALib.analyze.morris", "analysis")
    levels = batch.design.levels or MORRIS_LEVELS
    # SALib needs the trajectories' unit-cube points (made again: they are seeded).
    found = morris.analyze(
        salib_problem(batch),
        unit_cube(batch),
        y,
        conf_level=0.95,
        num_levels=levels,
        seed=batch.seed,
    )
    return _per_parameter(names, found, ("mu_star", "mu_star_conf", "mu", "sigma"))


def _per_parameter(names: list[str], found: Any, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """One row per parameter from SALib's arrays, the keys in the order given."""
    return [
        {"parameter": name, **{k: float(found[k][i]) for k in keys}} for i, name in enumerate(names)
    ]


def _scores(
    batch: Any, names: list[str], points: list[tuple[Any, ...]], y: Any
) -> list[dict[str, Any]]:
    if not names:
        return []
    np = require("numpy")
    ensemble = require("sklearn.ensemble", "analysis")
    x = np.array(
        [[_numeric(p, v) for p, v in zip(batch.parameters, pt, strict=True)] for pt in points],
        dtype=float,
    )
    forest = ensemble.ExtraTreesRegressor(n_estimators=TREES, random_state=batch.seed % 2**32)
    forest.fit(x, y)
    return sorted(
        (
            {"parameter": n, "score": float(s)}
            for n, s in zip(names, forest.feature_importances_, strict=True)
        ),
        key=lambda r: -r["score"],
    )


def _numeric(param: Any, value: Any) -> float:
    """A parameter's value as a number for the forest: a listed value by its place in the list."""
    if param.values is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        return float(list(param.values).index(value))
    return float(value)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _finite_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _finite(v) if isinstance(v, float) else v for k, v in row.items()}


#: Each table of an analysis: its title and its columns (header, key of the row, or None for
#: the parameter's name).
_SECTIONS = (
    (
        "sobol",
        "Sobol indices (95% intervals): S1 first order, ST total",
        (("S1", "S1"), ("±", "S1_conf"), ("ST", "ST"), ("±", "ST_conf")),
    ),
    (
        "morris",
        "Morris elementary effects: μ* (95% interval), μ, σ",
        (("μ*", "mu_star"), ("±", "mu_star_conf"), ("μ", "mu"), ("σ", "sigma")),
    ),
    ("scores", "Feature scores (extra trees; they add up to 1)", (("score", "score"),)),
)


def analysis_table(found: Analysis) -> str:
    """The analysis as text for people."""
    lines = [
        f"outcome: {found.outcome} — mean {found.mean:.3f} over {found.points:,} design points "
        f"({found.runs:,} runs, {found.design} design)",
    ]
    for name, title, columns in _SECTIONS:
        rows = getattr(found, name)
        if rows:
            header = ["parameter", *(h for h, _ in columns)]
            cells = [[r["parameter"], *(f"{r[k]:.3f}" for _, k in columns)] for r in rows]
            lines += ["", title, "", *_table(header, cells)]
    return "\n".join(lines) + "\n"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


__all__ = ["Analysis", "Outcome", "analysis_table", "analyze", "parse_outcome"]
