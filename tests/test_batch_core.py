"""Batch specs, designs, jobs and chunks: the parts of a batch that need no backend or sink."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from simulator.batch.design import design_points, grid_values
from simulator.batch.job import Job, chunks, columns, for_workers, run_chunk, scenario_at
from simulator.batch.spec import BatchSpec, load_batch_spec
from simulator.batch.summary import Tally, machine_order, parameter_columns
from simulator.check.expectations import first_violation, judge
from simulator.core.errors import ScenarioError
from simulator.engine.seeds import derive_seed
from simulator.engine.simulation import simulate
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import ExpectSpec
from simulator.scenario.whatif import set_value
from tests.conftest import BATCHES, ROOT, SCENARIOS


def spec(**changes: Any) -> BatchSpec:
    data: dict[str, Any] = {"dipsim_batch": 1, "scenario": "x.yaml"}
    data.update(changes)
    return BatchSpec.model_validate(data)


def test_grid_is_the_product_in_order() -> None:
    """A grid is every combination, the last parameter varying fastest; low/high/steps spaces
    values evenly, both ends included."""
    s = spec(
        parameters=[{"path": "a", "values": [1, 2]}, {"path": "b", "low": 0, "high": 1, "steps": 3}]
    )
    assert design_points(s) == [(1, 0.0), (1, 0.5), (1, 1.0), (2, 0.0), (2, 0.5), (2, 1.0)]
    assert grid_values(s.parameters[1]) == [0.0, 0.5, 1.0]


def test_no_parameters_is_one_point() -> None:
    """A batch without parameters has one design point: the scenario as it is."""
    assert design_points(spec()) == [()]


@pytest.mark.parametrize("kind", ["random", "lhs"])
def test_sampled_designs_are_seeded_and_in_bounds(kind: str) -> None:
    """Random and Latin-hypercube points stay inside their intervals and lists, and the same
    seed gives the same points."""
    params = [{"path": "a", "low": 2, "high": 5}, {"path": "b", "values": ["x", "y", "z"]}]
    s = spec(parameters=params, design={"kind": kind, "points": 30}, seed=11)
    points = design_points(s)
    assert len(points) == 30
    assert all(2 <= a <= 5 and b in {"x", "y", "z"} for a, b in points)
    assert points == design_points(s)
    assert points != design_points(
        spec(parameters=params, design={"kind": kind, "points": 30}, seed=12)
    )


def test_latin_hypercube_stratifies_each_dimension() -> None:
    """In a Latin hypercube of n points, each of the n equal slices of every interval holds
    exactly one point (the property that makes it a Latin hypercube)."""
    n = 25
    s = spec(
        parameters=[{"path": "a", "low": 0, "high": 1}, {"path": "b", "low": 0, "high": 1}],
        design={"kind": "lhs", "points": n},
        seed=3,
    )
    points = design_points(s)
    for dim in range(2):
        slices = sorted(min(int(p[dim] * n), n - 1) for p in points)
        assert slices == list(range(n))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"parameters": [{"path": "a", "values": [1], "low": 0, "high": 1}]},
            "a parameter takes either 'values' or 'low' and 'high'",
        ),
        ({"parameters": [{"path": "a", "low": 0}]}, "an interval needs both 'low' and 'high'"),
        ({"parameters": [{"path": "a", "low": 2, "high": 1}]}, "low 2.0 is above high 1.0"),
        (
            {"parameters": [{"path": "a", "low": 0, "high": 1}]},
            "parameter 'a': a grid needs 'values' or 'steps'",
        ),
        ({"design": {"kind": "lhs"}}, "a lhs design needs 'points'"),
        (
            {"design": {"kind": "grid", "points": 3}},
            "a grid has as many points as the product of its values: no 'points'",
        ),
        (
            {
                "parameters": [
                    {"path": "a", "values": [1]},
                    {"path": "b", "name": "a", "values": [2]},
                ]
            },
            "parameters share a column name: a (give 'name')",
        ),
        (
            {"parameters": [{"path": "a", "values": [0.5, "x"]}]},
            "parameter 'a': values mix numbers and text; give values of one kind",
        ),
        (
            {
                "parameters": [{"path": "a", "low": 0, "high": 1, "steps": 3}],
                "design": {"kind": "lhs", "points": 4},
            },
            "parameter 'a': 'steps' is for a grid; a lhs design draws from [low, high]",
        ),
        (
            {"parameters": [{"path": "a", "low": 1, "high": 3, "steps": 5, "integer": True}]},
            "parameter 'a': 5 integer steps do not fit between 1 and 3 (at most 3)",
        ),
    ],
)
def test_bad_specs_say_why(changes: dict[str, Any], message: str) -> None:
    """Specs that cannot make sense are refused with a message naming the problem."""
    with pytest.raises(ValueError, match=r".*") as caught:
        spec(**changes)
    assert message in str(caught.value)


def test_spec_file_errors_are_located(tmp_path: Path) -> None:
    """A bad spec file is reported as file:line:col: key.path: message, like a scenario."""
    path = tmp_path / "b.yaml"
    path.write_text(
        "dipsim_batch: 1\nscenario: x.yaml\nreplications: 0\nsede: 3\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as caught:
        load_batch_spec(path)
    found = [str(p).replace(str(path), "b.yaml") for p in caught.value.problems]
    assert (
        found[0] == "b.yaml:3:15: replications: input should be greater than or equal to 1 (got 0)"
    )
    assert found[1].startswith("b.yaml:4:1: sede: unknown key 'sede' (did you mean 'seed'?)")


def test_shipped_specs_load() -> None:
    """Every spec in scenarios/batches/ loads and has design points."""
    specs = sorted(BATCHES.glob("*.yaml"))
    assert specs
    for path in specs:
        loaded = load_batch_spec(path)
        assert design_points(loaded.spec)
        assert loaded.scenario_path.is_file()


def _job(replications: int = 3) -> Job:
    scenario = load_scenario(SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml")
    return Job(
        fingerprint="test",
        scenario=scenario,
        paths=("rules[iranian-counter-strike].probability",),
        points=((0.0,), (1.0,), (2.0,)),  # 2.0 is not a probability: every run of it errs
        replications=replications,
        seed=5,
        metrics=("final_state", "days_in_state", "first_entered", "transitions", "variables"),
        relations=("PAK-IRN",),
        parameter_columns=("p",),
        until=None,
    )


def test_chunks_cover_every_run_once() -> None:
    """Chunks split the runs into consecutive ranges; skipped chunk ids are left out."""
    job = dataclasses.replace(_job(replications=2), points=tuple((float(i),) for i in range(5)))
    got = list(chunks(job, 4))
    assert [(c.id, c.start, c.stop) for c in got] == [(0, 0, 4), (1, 4, 8), (2, 8, 10)]
    assert [(c.first_point, c.points) for c in got] == [
        (0, ((0.0,), (1.0,))),
        (2, ((2.0,), (3.0,))),
        (4, ((4.0,),)),
    ]
    assert [c.id for c in chunks(job, 4, frozenset({1}))] == [0, 2]


def test_a_run_is_the_same_in_any_chunk() -> None:
    """A run's row depends on the job and its run id only, not on the chunk it came in."""
    job = _job()
    whole = [row for c in chunks(job, 9) for row in run_chunk(for_workers(job), c)[1]]
    parts = [row for c in chunks(job, 2) for row in run_chunk(for_workers(job), c)[1]]
    assert len(whole) == 9
    assert whole == parts


def test_rows_carry_coordinates_seed_metrics_and_errors() -> None:
    """Each row has its run id, point, replication, derived seed, parameter value and metrics;
    a point whose scenario is invalid gives rows with the error and the seed, not a crash."""
    job = _job(replications=2)
    (chunk,) = chunks(job, 6)
    _, rows = run_chunk(for_workers(job), chunk)
    assert [(r["run_id"], r["point"], r["replication"]) for r in rows] == [
        (0, 0, 0),
        (1, 0, 1),
        (2, 1, 0),
        (3, 1, 1),
        (4, 2, 0),
        (5, 2, 1),
    ]
    assert rows[3]["seed"] == derive_seed(5, 1, 1)
    assert rows[0]["error"] is None
    assert rows[0]["PAK-IRN.final_state"] in {"normal", "envoys_recalled"}
    assert rows[4]["error"].startswith("InvalidResultError: ")
    assert "probability 2.0 is outside [0, 1]" in rows[4]["error"]
    assert rows[4]["seed"] == derive_seed(5, 2, 0)
    names = [name for name, _ in columns(job, ["float"])]
    assert set(rows[0]) == set(names)
    assert set(rows[4]) <= set(names)


def test_the_expectations_metric_records_each_claim_per_run() -> None:
    """With `expectations`, a run's row says whether each expectation and invariant held (here
    one claim that varies from run to run, and the two invariants inherited from jan2024), as
    judging the run's trace directly does."""
    job = _job(replications=6)
    ends_normal = ExpectSpec.model_validate(
        {"id": "ends-normal", "relation": "PAK-IRN", "final": "normal"}
    )
    scenario = job.scenario.model_copy(update={"expect": (ends_normal,)})
    # A fingerprint of its own: workers cache simulators by fingerprint and point.
    job = dataclasses.replace(
        job,
        fingerprint="test-expectations",
        scenario=scenario,
        metrics=("final_state", "expectations"),
    )
    assert [n for n, kind in columns(job, ["float"]) if kind == "bool"] == [
        "expect.ends-normal",
        "invariant.restored-only-after-a-recall",
        "invariant.tension-in-bounds",
    ]
    (chunk,) = chunks(job, 18)
    _, rows = run_chunk(for_workers(job), chunk)
    rows = [r for r in rows if r["error"] is None]  # point 2.0 is not a probability
    assert len(rows) == 12
    for row in rows:
        at_point = set_value(scenario, job.paths[0], row["p"])
        trace = simulate(at_point, seed=row["seed"])
        assert row["expect.ends-normal"] is judge(ends_normal, trace, at_point).held
        assert row["expect.ends-normal"] is (row["PAK-IRN.final_state"] == "normal")
        for inv in at_point.invariants:
            held = first_violation(inv, trace, at_point) is None
            assert row[f"invariant.{inv.id}"] is held
    # At p = 1 Iran always strikes back and most runs end with envoys recalled: both verdicts.
    assert {row["expect.ends-normal"] for row in rows} == {True, False}


def test_the_tally_counts_claims_held_per_group() -> None:
    """Per group, the share of runs without error in which each claim held (True from Parquet
    or JSON Lines, "true" from CSV); the final-state table is printed as before, then theirs."""
    tally = Tally(["p"], "PAK-IRN", ["expect.a", "invariant.b"])
    rows: list[dict[str, Any]] = [
        {"p": 0, "PAK-IRN.final_state": "normal", "expect.a": True, "invariant.b": "true"},
        {"p": 0, "PAK-IRN.final_state": "normal", "expect.a": False, "invariant.b": "true"},
        {"p": 0, "error": "SimulationError: x", "expect.a": True},
        {"p": 1, "PAK-IRN.final_state": "strained", "expect.a": "false", "invariant.b": True},
    ]
    for row in rows:
        tally.add(row)
    groups = tally.to_dict()["groups"]
    assert [g["claims_held"]["expect.a"]["count"] for g in groups] == [1, 0]
    assert [g["claims_held"]["invariant.b"]["share"] for g in groups] == [1.0, 1.0]
    text = tally.table()
    assert "claims held, share of runs [95% Wilson interval]" in text
    assert text.index("final state of PAK-IRN") < text.index("claims held")
    assert "50.0% [" in text.split("claims held")[1]
    assert "claims held" not in Tally(["p"], "PAK-IRN").table()


def test_state_columns_follow_the_machine_when_known() -> None:
    """Two sweeps' summaries have their columns in the same order: the machine's, taken from
    the results' days/first columns; states it does not list come after, commonest first."""
    columns = ["p", "PAK-IRN.final_state", "PAK-IRN.days.normal", "PAK-IRN.days.strained"]
    assert machine_order(columns, "PAK-IRN") == ["normal", "strained"]
    tally = Tally(["p"], "PAK-IRN", order=machine_order(columns, "PAK-IRN"))
    for state in ("strained", "strained", "normal", "odd"):
        tally.add({"p": 0, "PAK-IRN.final_state": state})
    assert tally.states() == ["normal", "strained", "odd"]
    assert Tally(["p"], "PAK-IRN").states() == []


def test_claim_columns_are_not_parameters() -> None:
    names = ["run_id", "point", "p", "PAK-IRN.final_state", "expect.0", "invariant.calm", "error"]
    assert parameter_columns(names) == ["p"]


def test_integer_samples_give_each_whole_number_its_share() -> None:
    """An integer parameter drawn from [1, 3] takes 1, 2 and 3 about equally often (the ends
    are not halved by rounding)."""
    s = spec(
        parameters=[{"path": "a", "low": 1, "high": 3, "integer": True}],
        design={"kind": "random", "points": 3000},
        seed=1,
    )
    counts = dict.fromkeys((1, 2, 3), 0)
    for (v,) in design_points(s):
        counts[v] += 1
    assert all(900 < n < 1100 for n in counts.values()), counts


def test_a_point_sets_all_its_parameters_at_once_as_one_by_one_would() -> None:
    """scenario_at sets every parameter in one pass through the models; for the shipped specs'
    points that is the scenario that setting them one by one gives (a differential test)."""
    from simulator.batch.runner import prepare
    from simulator.scenario.whatif import set_value

    for path in sorted((ROOT / "scenarios" / "batches").glob("*.yaml")):
        job, _, _ = prepare(load_batch_spec(path))
        for values in (job.points[0], job.points[len(job.points) // 2], job.points[-1]):
            one_by_one = job.scenario
            for p, v in zip(job.paths, values, strict=True):
                one_by_one = set_value(one_by_one, p, v)
            assert scenario_at(job, values) == one_by_one, (path.name, values)
