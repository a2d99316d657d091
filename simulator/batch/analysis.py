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
  the outcome on the parameters (scikit-learn, as EMA Workbench's ``feature_scoring`` does);
* a binary outcome (``final:``, ``reaches:``, a column of 0 and 1) gives a PRIM box: the ranges
  of the parameters where the runs of outcome 1 are dense (:mod:`simulator.batch.prim`), found
  among the runs themselves, not the points' averages.

The design's unit-cube points are made again from the spec (they are seeded), and the results'
parameter values are checked against them point by point, so a spec that did not make the file
is refused rather than analysed. SALib and scikit-learn come with the ``analysis`` extra and are
imported only here, when an analysis runs.
"""

from __future__ import annotations

import itertools
import math
import re
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.batch.design import MORRIS_LEVELS, design_points, require, salib_problem, unit_cube
from simulator.batch.paired import NOT_COMMON, check_paired, paired_differences
from simulator.batch.prim import ALPHA, MASS_MIN, MIN_RUNS, THRESHOLD, Prim, check_settings, prim
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
        if isinstance(value, bool):  # a claim's column (expect.ID): held 1, failed 0
            return float(value)
        if value in ("true", "false") and self.column.startswith(("expect.", "invariant.")):
            return float(value == "true")  # the same, read from CSV (text)
        if value is None or not isinstance(value, int | float):
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
            "a numeric or true/false column of the results (a claim's: expect.ID)"
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
    prim: Prim | None = None
    #: Why a binary outcome has no PRIM box (too few runs, all of one kind), if it has none.
    prim_note: str | None = None
    #: Paired differences from the baseline point (common random numbers), when asked for.
    baseline: dict[str, Any] | None = None  # its point's number and parameters
    paired: list[dict[str, Any]] = field(default_factory=list)

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
            "prim": None if self.prim is None else self.prim.to_dict(),
            "prim_note": self.prim_note,
            "baseline": self.baseline,
            "paired": [_finite_row(r) for r in self.paired],
        }

    def to_pandas(self) -> dict[str, Any]:
        """Each table as a pandas DataFrame, by name (``sobol``, ``morris``, ``feature_scores``,
        for a PRIM box ``prim_trajectory`` and ``prim_box`` (the chosen box's limits), and
        ``paired``)."""
        pd = require("pandas", "pandas")
        tables = {"sobol": self.sobol, "morris": self.morris, "feature_scores": self.scores}
        if self.prim is not None:
            tables["prim_trajectory"] = self.prim.trajectory_rows()
            tables["prim_box"] = self.prim.box_rows()
        if self.paired:  # a column per parameter, after the point's number
            tables["paired"] = [{"point": r["point"], **r["parameters"], **r} for r in self.paired]
            for row in tables["paired"]:
                del row["parameters"]
        return {name: pd.DataFrame(rows) for name, rows in tables.items() if rows}


def analyze(
    results: Path,
    spec: LoadedSpec | Path | str | None,
    outcome: str,
    relation: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    *,
    with_prim: bool | None = None,
    threshold: float = THRESHOLD,
    box: int | None = None,
    alpha: float = ALPHA,
    mass_min: float = MASS_MIN,
    baseline: int | None = None,
) -> Analysis:
    """Sensitivity indices (Sobol or Morris designs), feature scores and a PRIM box of ``outcome``.

    ``spec`` None reads the spec's path from the record ``dipsim batch`` writes beside the
    results (``RESULTS.batch.json``). ``with_prim`` None finds a PRIM box when the outcome is
    binary and there are runs enough (else ``prim_note`` says why not), True insists (and
    raises), False does not look; ``threshold``, ``box``, ``alpha`` and ``mass_min`` are
    :func:`simulator.batch.prim.prim`'s. ``baseline`` (a point's number) asks for the paired
    differences of every other point from it, on common random numbers
    (:mod:`simulator.batch.paired`).

    Raises:
        BatchError: The spec did not make these results (or none is given or recorded), the
            outcome is not in them, no point has a run without an error, a PRIM setting is out
            of range, PRIM was asked for and cannot be done, paired differences were asked of a
            batch without common seeds (or of one replication), or a library of the
            ``analysis`` extra is missing.
    """
    check_settings(alpha, mass_min, threshold)
    settings = {"alpha": alpha, "mass_min": mass_min, "threshold": threshold, "box": box}
    if box is not None and with_prim is False:
        raise BatchError("a box of the PRIM trajectory is chosen, but PRIM is switched off")
    if spec is None:
        from simulator.batch.runner import spec_of

        spec = spec_of(Path(results))
    loaded = spec if isinstance(spec, LoadedSpec) else load_batch_spec(spec, limits)
    batch = loaded.spec
    points = design_points(batch, limits)
    names = [p.column for p in batch.parameters]
    if baseline is not None:
        check_paired(batch.seeds, batch.replications, len(points), baseline)
    runs = _read_runs(Path(results), outcome, relation, names, points)
    np = require("numpy")
    at = np.array(runs.point, dtype=np.intp)
    counts = np.bincount(at, minlength=len(points))
    # In run order, as the sums were always made: the same means to the last bit.
    sums = np.bincount(at, weights=np.array(runs.value), minlength=len(points))
    means = [float(s / c) if c else math.nan for s, c in zip(sums, counts, strict=True)]
    filled = [m for m in means if not math.isnan(m)]
    mean = sum(filled) / len(filled)
    found = Analysis(outcome, batch.design.kind, names, len(points), runs.total, mean)
    complete = [m if not math.isnan(m) else mean for m in means]  # a point with no value: the mean
    y = np.array(complete)
    if batch.design.kind == "sobol":
        found.sobol = _sobol(batch, names, y)
    elif batch.design.kind == "morris":
        found.morris = _morris(batch, names, y)
    categories = [_categories(p) for p in batch.parameters]
    x = np.array(
        [[_numeric(c, v) for c, v in zip(categories, pt, strict=True)] for pt in points],
        dtype=float,
    ).reshape(len(points), len(names))
    found.scores = _scores(batch, names, x, y)
    if with_prim is not False:
        found.prim, found.prim_note = _prim_of(runs, x[at], names, categories, with_prim, settings)
    if baseline is not None:
        if not runs.common:
            raise BatchError(f"{results}: {NOT_COMMON}")
        found.baseline = {
            "point": baseline,
            "parameters": dict(zip(names, points[baseline], strict=True)),
        }
        found.paired = paired_differences(
            runs.point, runs.replication, runs.value, points, names, batch.replications, baseline
        )
    return found


@dataclass
class _Runs:
    """The runs of a results file with a value of the outcome: their points, replications and
    values (arrays: a million runs take 24 MB), and how many runs were read in all."""

    total: int = 0
    point: array[int] = field(default_factory=lambda: array("q"))
    replication: array[int] = field(default_factory=lambda: array("q"))
    value: array[float] = field(default_factory=lambda: array("d"))
    #: Whether every replication has one seed at every point (common random numbers).
    common: bool = True
    seeds: dict[Any, Any] = field(default_factory=dict)


def _read_runs(
    results: Path, outcome: str, relation: str | None, names: list[str], points: list[Any]
) -> _Runs:
    rows = typed_rows(results)
    first = next(rows, None)
    if first is None:
        raise BatchError(f"{results} holds no runs")
    chosen = parse_outcome(outcome, relation, list(first))
    runs = _Runs()
    for row in itertools.chain((first,), rows):
        point = row.get("point")
        if not isinstance(point, int) or not 0 <= point < len(points):
            raise BatchError(
                f"{results}: run {row.get('run_id')} has point {point!r}, not one of this spec's"
            )
        if runs.total < 1_000 or point == len(points) - 1:  # the values must be this design's
            _check_values(results, row, names, points[point])
        runs.total += 1
        seed = runs.seeds.setdefault(row.get("replication"), row.get("seed"))
        runs.common = runs.common and seed == row.get("seed")
        value = chosen.of(row) if row.get("error") is None else None
        if value is not None:
            replication = row.get("replication")
            runs.point.append(point)
            runs.replication.append(replication if isinstance(replication, int) else -1)
            runs.value.append(value)
    if not runs.value:
        raise BatchError(f"no run of {results} has a value for {outcome!r}")
    return runs


def _prim_of(
    runs: _Runs,
    x: Any,
    names: list[str],
    categories: list[tuple[Any, ...] | None],
    with_prim: bool | None,
    settings: dict[str, Any],
) -> tuple[Prim | None, str | None]:
    """A PRIM box of the runs (``x``: their parameters), or why there is none. Asked for
    (``with_prim`` True, or a box chosen), a reason is an error."""
    asked = with_prim is True or settings["box"] is not None
    np = require("numpy")
    y = np.array(runs.value)
    note = None
    if not np.isin(y, (0.0, 1.0)).all():
        note = "PRIM needs a binary outcome, 0 or 1 in every run"
        if not asked:
            return None, None  # a number of days, a count: PRIM is not for it, nothing to say
    elif len(y) < MIN_RUNS:
        note = f"PRIM needs at least {MIN_RUNS} runs with a value, not {len(y)}"
    elif y.min() == y.max():
        note = f"PRIM needs runs of both kinds: the outcome is {y[0]:g} in every run"
    if note is not None and asked:
        raise BatchError(note)
    if note is not None:
        return None, note
    return prim(x, y, names, categories, **settings), None


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


def _scores(batch: Any, names: list[str], x: Any, y: Any) -> list[dict[str, Any]]:
    if not names:
        return []
    ensemble = require("sklearn.ensemble", "analysis")
    forest = ensemble.ExtraTreesRegressor(n_estimators=TREES, random_state=batch.seed % 2**32)
    forest.fit(x, y)
    return sorted(
        (
            {"parameter": n, "score": float(s)}
            for n, s in zip(names, forest.feature_importances_, strict=True)
        ),
        key=lambda r: -r["score"],
    )


def _categories(param: Any) -> tuple[Any, ...] | None:
    """A listed parameter with a value that is not a number (text, a date, true or false): its
    values, by whose place it is known to the forest and to PRIM; None for a numeric one."""
    listed = param.values
    if listed is not None and any(
        isinstance(v, bool) or not isinstance(v, int | float) for v in listed
    ):
        return tuple(listed)
    return None


def _numeric(categories: tuple[Any, ...] | None, value: Any) -> float:
    """A parameter's value as a number: a listed value by its place in the list."""
    return float(value) if categories is None else float(categories.index(value))


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _finite_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _finite(v) if isinstance(v, float) else v for k, v in row.items()}


__all__ = ["Analysis", "Outcome", "analyze", "parse_outcome"]
