"""The batch spec: a base scenario, parameters addressed by path, a design, replications, a seed.

A batch spec is a YAML file of its own (format ``dipsim_batch: 1``), read by the same safe
reader as scenarios and reported with the same located messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, model_validator

from simulator.core.errors import KeyPath, Location, Problem, ScenarioError, quoted
from simulator.core.files import allowed_roots, outside, outside_message
from simulator.scenario.model.base import Date, Frozen, invalid
from simulator.scenario.validation import translate_errors
from simulator.scenario.yamlread import DEFAULT_LIMITS, Limits, read_yaml_file

Metric = Literal[
    "final_state", "days_in_state", "first_entered", "transitions", "variables", "expectations"
]
#: What a batch records per run by default (``expectations`` is asked for by name: it adds a
#: column per ``expect`` item and invariant of the scenario).
METRICS: tuple[Metric, ...] = (
    "final_state",
    "days_in_state",
    "first_entered",
    "transitions",
    "variables",
)


def _not_boolean(value: Any) -> Any:
    # pydantic reads true as 1 where a number is meant ("replications: true" made one run).
    if isinstance(value, bool):
        raise invalid(f"expected a number, not {str(value).lower()}")
    return value


#: Applied to every number of a spec: a boolean is refused, not read as 0 or 1.
NotBoolean = BeforeValidator(_not_boolean)


class ParameterSpec(Frozen):
    """One parameter of the design: a path into the scenario and the values it takes.

    Give ``values`` (any values the path accepts: numbers, dates, text), or ``low`` and ``high``
    (numbers; a grid then takes ``steps`` evenly spaced values including both ends, a random
    or Latin-hypercube design draws from the interval).
    """

    path: Annotated[str, Field(min_length=1, max_length=500)]
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    values: Annotated[tuple[Any, ...], Field(min_length=1)] | None = None
    low: Annotated[float, NotBoolean] | None = None
    high: Annotated[float, NotBoolean] | None = None
    steps: Annotated[int, Field(ge=2), NotBoolean] | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _values_or_interval(self) -> ParameterSpec:
        interval = self.low is not None or self.high is not None
        if (self.values is None) == (not interval):
            raise invalid("a parameter takes either 'values' or 'low' and 'high'")
        if interval:
            if self.low is None or self.high is None:
                raise invalid("an interval needs both 'low' and 'high'")
            if self.low > self.high:
                raise invalid(f"low {self.low} is above high {self.high}")
        if self.steps is not None and self.values is not None:
            raise invalid("'steps' goes with 'low' and 'high', not with 'values'")
        return self

    @property
    def column(self) -> str:
        """The parameter's column name in the results."""
        return self.name or self.path


class DesignSpec(Frozen):
    """How design points are chosen from the parameters.

    ``points`` is the number of points of a random or Latin-hypercube design, the base sample
    of a Sobol design (each gives D + 2 points, 2D + 2 with ``second_order``; a power of 2) and
    the number of trajectories of a Morris design (each gives D + 1 points on a grid of
    ``levels`` levels), D being the number of parameters.
    """

    kind: Literal["grid", "random", "lhs", "sobol", "morris"] = "grid"
    points: Annotated[int, Field(ge=1, le=10_000_000), NotBoolean] | None = None
    levels: Annotated[int, Field(ge=2, le=1_000), NotBoolean] | None = None
    second_order: bool | None = None

    @model_validator(mode="after")
    def _points(self) -> DesignSpec:
        if self.kind == "grid" and self.points is not None:
            raise invalid("a grid has as many points as the product of its values: no 'points'")
        if self.kind != "grid" and self.points is None:
            raise invalid(f"a {self.kind} design needs 'points'")
        if self.levels is not None and self.kind != "morris":
            raise invalid("'levels' is for a morris design")
        if self.second_order is not None and self.kind != "sobol":
            raise invalid("'second_order' is for a sobol design")
        if self.kind == "morris" and (self.levels or 4) % 2:
            raise invalid(f"a morris design takes an even number of levels, not {self.levels}")
        if self.kind == "sobol" and self.points is not None and self.points & (self.points - 1):
            below = 1 << (self.points.bit_length() - 1)
            raise invalid(
                f"a sobol design's points are a power of 2 (Saltelli's scheme keeps its "
                f"properties only then), not {self.points}: try {below} or {below * 2}"
            )
        return self


class BatchSpec(Frozen):
    """A batch: the runs to make and what to record of each."""

    dipsim_batch: Literal[1] = Field(description="batch spec format version")
    title: Annotated[str, Field(max_length=500)] = ""
    scenario: Annotated[str, Field(min_length=1)]
    parameters: tuple[ParameterSpec, ...] = ()
    design: DesignSpec = DesignSpec()
    replications: Annotated[int, Field(ge=1, le=100_000_000), NotBoolean] = 1
    seed: Annotated[int, Field(ge=0), NotBoolean] = 0
    #: ``independent``: run (point, replication) is seeded from both; ``common``: replication r
    #: has the same seed at every point (common random numbers).
    seeds: Literal["independent", "common"] = "independent"
    metrics: Annotated[tuple[Metric, ...], Field(min_length=1)] = METRICS
    relations: tuple[str, ...] | None = None
    until: Date | None = None
    chunk_size: Annotated[int, Field(ge=1), NotBoolean] | None = None

    @model_validator(mode="after")
    def _spec(self) -> BatchSpec:
        grid = self.design.kind == "grid"
        if self.design.kind in ("sobol", "morris") and not self.parameters:
            raise invalid(f"a {self.design.kind} design measures parameters: give at least one")
        for p in self.parameters:
            if grid and p.values is None and p.steps is None:
                raise invalid(f"parameter {p.column!r}: a grid needs 'values' or 'steps'")
            if not grid and p.steps is not None:
                raise invalid(
                    f"parameter {p.column!r}: 'steps' is for a grid; a "
                    f"{self.design.kind} design draws from [low, high]"
                )
            if p.values is not None:
                kinds = {_kind_of(v) for v in p.values}
                if len(kinds) > 1:
                    raise invalid(
                        f"parameter {p.column!r}: values mix {' and '.join(sorted(kinds))}"
                        "; give values of one kind"
                    )
            if grid and p.integer and p.steps is not None:
                assert p.low is not None and p.high is not None  # noqa: PT018
                whole = round(p.high) - round(p.low) + 1
                if p.steps > whole:
                    raise invalid(
                        f"parameter {p.column!r}: {p.steps} integer steps do not fit "
                        f"between {p.low:g} and {p.high:g} (at most {whole})"
                    )
        columns = [p.column for p in self.parameters]
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        if dupes:
            raise invalid(f"parameters share a column name: {', '.join(dupes)} (give 'name')")
        return self


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "booleans"
    if isinstance(value, int | float):
        return "numbers"
    return "text"


@dataclass(frozen=True)
class LoadedSpec:
    """A batch spec with where it came from."""

    spec: BatchSpec
    path: Path
    scenario_path: Path


def load_batch_spec(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> LoadedSpec:
    """Read and validate a batch spec file.

    Raises:
        ScenarioError: The file is missing or invalid; every problem is located.
    """
    path = Path(path)
    doc = read_yaml_file(path, limits, kind="batch spec file")
    if not isinstance(doc.data, dict):
        raise ScenarioError([doc.problem((), "a batch spec is a mapping of keys")])
    try:
        spec = BatchSpec.model_validate(doc.data)
    except ValidationError as err:
        raise ScenarioError(list(translate_errors(err, doc, BatchSpec))) from None
    roots = allowed_roots(path, limits.allow_paths)
    try:
        scenario_path = (path.parent / spec.scenario).resolve()
        escaped = outside(scenario_path, roots)
    except (OSError, ValueError, RuntimeError):  # a NUL, a link loop: not a file, said below
        scenario_path, escaped = path.parent / spec.scenario, None
    if escaped is not None:
        message = f"scenario {outside_message(spec.scenario, escaped, roots)}"
        raise ScenarioError([doc.problem(("scenario",), message)])
    if not scenario_path.is_file():
        raise ScenarioError(
            [
                doc.problem(
                    ("scenario",),
                    f"no scenario file {quoted(spec.scenario)} "
                    "(paths are relative to the spec file)",
                )
            ]
        )
    return LoadedSpec(spec, path, scenario_path)


def spec_problem(
    loaded: LoadedSpec, key_path: KeyPath, message: str, limits: Limits = DEFAULT_LIMITS
) -> ScenarioError:
    """A problem of a spec found after it loaded (a parameter's value that the scenario
    refuses), placed at ``key_path``'s ``file:line:col`` in the spec as it is read now."""
    try:
        doc = read_yaml_file(loaded.path, limits, kind="batch spec file")
    except ScenarioError:  # the file changed since: the problem without its line
        return ScenarioError([Problem(Location(str(loaded.path)), key_path, message)])
    return ScenarioError([doc.problem(key_path, message)])
