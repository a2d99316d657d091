"""Design points at run speed, held to the reference path.

``assign_values`` sets a value by validating it where it lives; ``Simulator.derive`` keeps what
a Simulator built from the untouched parts. Both must give exactly what the full round trip
(``set_values`` then ``Simulator(...)``) gives: on every leaf of the shipped what-ifs' data, with
its value, a changed value and a wrong one, where the fast path succeeds the reference must too,
with an equal scenario; and the runs of a derived Simulator are those of a new one.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from simulator.batch import job as job_module
from simulator.batch.runner import prepare, run_batch
from simulator.batch.spec import load_batch_spec
from simulator.engine.simulation import Simulator
from simulator.engine.slots import SlotPlan, Swept
from simulator.scenario.assign import Assigner, assign_values, assign_values_only
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario
from simulator.scenario.whatif import set_values
from tests.conftest import BATCHES, SCENARIOS

WHATIFS = (
    SCENARIOS / "jan2024.yaml",
    SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml",
    SCENARIOS / "whatif" / "escalation-machine.yaml",
    SCENARIOS / "whatif" / "return-delayed-lognormal.yaml",
)


def leaves(data: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every leaf of plain data with its path in the batch spec's syntax."""
    if isinstance(data, dict):
        out = []
        for key, value in data.items():
            out += leaves(value, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(data, list):
        out = []
        for i, value in enumerate(data):
            out += leaves(value, f"{path}[{i}]")
        return out
    return [(path, data)]


def others(value: Any) -> list[Any]:
    """The value itself, a changed one of its kind, and ones of the wrong kind."""
    if isinstance(value, bool):
        return [value, not value, "yes", 2]
    if isinstance(value, int | float):
        return [value, value * 1.5 + 0.1, -value - 1, 0, "x", None, True]
    if isinstance(value, str):
        return [value, value + "x", "", "2024-01-20", 5, None]
    return [value, 0.5, "x"]


def agree(scenario: Scenario, changes: list[tuple[str, Any]]) -> None:
    """Where the fast path gives a scenario, the reference gives the same one; an Assigner of
    the same paths gives the reference's scenario, or raises its error, word for word."""
    try:
        reference: Scenario | Exception = set_values(scenario, changes)
    except Exception as err:
        reference = err
    _assigner_agrees(scenario, changes, reference)
    try:
        fast = assign_values_only(scenario, changes)
    except Exception:
        return
    # The reference must not have raised where the fast path did not.
    assert isinstance(reference, Scenario), (changes, reference)
    assert fast == reference, changes
    assert fast.model_dump(mode="json") == reference.model_dump(mode="json"), changes


def _assigner_agrees(
    scenario: Scenario, changes: list[tuple[str, Any]], reference: Scenario | Exception
) -> None:
    paths, values = [p for p, _ in changes], [v for _, v in changes]
    assigner = Assigner(scenario, paths)
    if isinstance(reference, Exception):
        with pytest.raises(type(reference)) as raised:
            assigner(values)
        assert str(raised.value) == str(reference), changes
        return
    got = assigner(values)
    assert got == reference, changes
    assert got.model_dump(mode="json") == reference.model_dump(mode="json"), changes
    if not assigner.compiled:
        return
    # Set its own way: what it leaves as it was is the very object it was (derive keeps what it
    # built from those).
    for field in Scenario.model_fields:
        if not any(p.split(".")[0].split("[")[0] == field for p in paths):
            assert getattr(got, field) is getattr(scenario, field), (changes, field)


@pytest.mark.parametrize("path", WHATIFS, ids=lambda p: p.stem)
def test_every_kind_of_leaf_with_its_value_a_new_one_and_a_wrong_one(path: Path) -> None:
    """Every kind of leaf (its path with the list indices taken out, and its value's type) at its
    first, middle and last place: a thousand leaves are ~300 kinds, most of them the same field of
    another event, and the suite's time is CI's; random sets of any leaves are the property
    below."""
    scenario = load_scenario(path)
    kinds: dict[tuple[str, str], list[tuple[str, Any]]] = {}
    for where, value in leaves(scenario.model_dump(mode="json", by_alias=True)):
        kinds.setdefault((re.sub(r"\[\d+\]", "[]", where), type(value).__name__), []).append(
            (where, value)
        )
    for places in kinds.values():
        for where, value in dict.fromkeys((places[0], places[len(places) // 2], places[-1])):
            for candidate in others(value):
                agree(scenario, [(where, candidate)])


@given(st.data())
def test_random_sets_of_changes(data: st.DataObject) -> None:
    scenario = _loaded(data.draw(st.sampled_from(WHATIFS)))
    found = leaves(scenario.model_dump(mode="json", by_alias=True))
    picked = data.draw(st.lists(st.sampled_from(found), min_size=1, max_size=4))
    changes = [(where, data.draw(st.sampled_from(others(value)))) for where, value in picked]
    note(repr(changes))
    agree(scenario, changes)


_LOADED: dict[Path, Scenario] = {}


def _loaded(path: Path) -> Scenario:
    if path not in _LOADED:
        _LOADED[path] = load_scenario(path)
    return _LOADED[path]


def test_named_selectors_and_errors_are_the_reference_s() -> None:
    """Selecting by id, pair or trigger works as set_values does; what the fast path cannot or
    will not set comes back from the reference, errors and their words included."""
    scenario = _loaded(WHATIFS[1])
    changes = [
        ("rules[iranian-counter-strike].probability", 0.25),
        ("machine.transitions[ambassadors_return].guard", "tension <= 0.2"),
        ("relations[PAK-IRN].initial", "strained"),
        ("parameters.return_at_most", 0.2),
    ]
    assert assign_values_only(scenario, changes) == set_values(scenario, changes)
    for bad in (
        [("rules[no-such-rule].probability", 0.5)],
        [("variables.tension.initial", 7.0)],
        [("parameters.new_one", 1.0)],
        [("machine.transitions[+]", {"trigger": "x"})],
    ):
        try:
            expected: Any = set_values(scenario, bad)
        except Exception as err:
            expected = (type(err), str(err))
        try:
            got: Any = assign_values(scenario, bad)
        except Exception as err:
            got = (type(err), str(err))
        assert got == expected, bad


@pytest.mark.parametrize("spec", sorted(BATCHES.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_derived_simulator_runs_as_a_new_one(spec: Path) -> None:
    job, _, _ = prepare(load_batch_spec(spec))
    base = Simulator(job.scenario)
    assign = Assigner(base.scenario, job.paths)  # as a worker sets its points
    for values in (job.points[0], job.points[len(job.points) // 2], job.points[-1]):
        scenario = assign(values)
        assert scenario == job_module.scenario_at(job, values), (spec.name, values)
        derived, new = base.derive(scenario), Simulator(scenario)
        for seed in (0, 3, 11):
            assert derived.run(seed=seed) == new.run(seed=seed), (spec.name, values, seed)


def test_a_batch_writes_the_same_rows_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The LHS spec (dates, decay: derived), the counter-strike grid and a hypercube of every
    kind of value a run reads at run time (slots), through the fast path and through the
    reference (set_values and a new Simulator per point): the same bytes."""
    slotted = _slotted_spec(tmp_path)
    for spec in (BATCHES / "return-delay-lhs.yaml", BATCHES / "counter-strike-sweep.yaml", slotted):
        loaded = load_batch_spec(spec)
        job, _, _ = prepare(loaded)
        assert (job_module.swept(job.scenario, job.paths) is None) == (
            spec.stem == "return-delay-lhs"
        )
        small = dataclasses.replace(loaded, spec=loaded.spec.model_copy(update={"replications": 2}))
        fast = run_batch(small, "sequential", out=tmp_path / f"fast-{spec.stem}.csv")
        with monkeypatch.context() as m:
            m.setattr(job_module, "Assigner", _Reference)
            m.setattr(Simulator, "derive", lambda _self, scenario: Simulator(scenario))
            m.setattr(job_module, "swept", lambda _scenario, _paths: None)  # no slots either
            job_module._cache.clear()
            job_module._bases.clear()
            slow = run_batch(small, "sequential", out=tmp_path / f"slow-{spec.stem}.csv")
        job_module._cache.clear()
        job_module._bases.clear()
        assert fast.path.read_bytes() == slow.path.read_bytes(), spec.name


class _Reference:
    """What the batch's Assigner stands for: ``set_values``, one full validation per point."""

    def __init__(self, scenario: Scenario, paths: Sequence[str]) -> None:
        self.scenario, self.paths = scenario, paths

    def __call__(self, values: Sequence[Any]) -> Scenario:
        return set_values(self.scenario, list(zip(self.paths, values, strict=True)))


@pytest.mark.parametrize("spec", sorted(BATCHES.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_shipped_specs_paths_are_read_once_for_all(spec: Path) -> None:
    """Every kind of parameter the shipped specs sweep takes the Assigner's own path (not the
    long way round), and gives each point the reference's scenario."""
    job, _, _ = prepare(load_batch_spec(spec))
    assigner = Assigner(job.scenario, job.paths)
    assert assigner.compiled, spec.name
    for values in (job.points[0], job.points[len(job.points) // 2], job.points[-1]):
        changes = list(zip(job.paths, values, strict=True))
        _assigner_agrees(job.scenario, changes, set_values(job.scenario, changes))


@given(
    first=st.floats(0.05, 0.5),
    second=st.floats(0.05, 0.5),
    chance=st.floats(0.0, 1.0),
)
def test_a_derived_simulator_compiles_again_only_what_a_parameter_reaches(
    first: float, second: float, chance: float
) -> None:
    """A rule whose chance reads a parameter is compiled again when that parameter moves and
    kept (the very same object) when another value moves; the guards likewise. Either way the
    derived Simulator runs as a new one."""
    scenario = set_values(
        _loaded(WHATIFS[1]),
        [
            ("rules[iranian-counter-strike].probability", "0.3 + return_at_most"),
            ("parameters.return_at_most", first),
        ],
    )
    base = Simulator(scenario)
    moved = assign_values(scenario, [("parameters.return_at_most", second)])
    other = assign_values(scenario, [("parameters.counter_strike_p", chance)])
    for variant in (moved, other):
        derived, new = base.derive(variant), Simulator(variant)
        for seed in (0, 5):
            assert derived.run(seed=seed) == new.run(seed=seed)
    by_id = {r.id: r for r in base.rules}
    derived_moved = {r.id: r for r in base.derive(moved).rules}
    derived_other = {r.id: r for r in base.derive(other).rules}
    counter = "iranian-counter-strike"
    same_value = float(f"{first}") == float(f"{second}")
    assert (derived_moved[counter] is by_id[counter]) == same_value
    assert derived_other[counter] is by_id[counter]  # it no longer reads counter_strike_p
    assert (base.derive(moved).machine is base.machine) == same_value
    assert base.derive(other).machine is base.machine  # no guard reads counter_strike_p


#: Every kind of path a worker reads into slots (engine.slots): parameters read by guards and
#: by a chance that is an expression, a rule's numeric chance, a variable's decay, initial
#: value, resting value and bound.
SLOT_PATHS = (
    ("parameters.return_at_most", 0.05, 0.3),
    ("parameters.counter_strike_p", 0.0, 1.0),
    ("rules[iranian-counter-strike].probability", 0.0, 1.0),
    ("rules[0].probability", 0.0, 1.0),
    ("variables.tension.decay_per_day", 0.0, 0.3),
    ("variables.tension.initial", 0.0, 0.5),
    ("variables.tension.rest", 0.0, 0.5),
    ("variables.tension.max", 1.0, 2.0),
)


def _slotted_spec(folder: Path) -> Path:
    """A hypercube over every kind of slot, 2 runs a point, on the counter-strike what-if."""
    spec = {
        "dipsim_batch": 1,
        "scenario": str(WHATIFS[1]),
        "parameters": [
            {"path": path, "name": f"x{i}", "low": low, "high": high}
            for i, (path, low, high) in enumerate(SLOT_PATHS)
        ],
        "design": {"kind": "lhs", "points": 40},
        "replications": 2,
        "seed": 5,
        "metrics": ["final_state", "days_in_state", "first_entered", "transitions"],
    }
    path = folder / "slotted.yaml"
    path.write_text(json.dumps(spec), encoding="utf-8")  # JSON is YAML
    return path


def _track_guarded() -> Scenario:
    """The economic track, its first transition guarded by a parameter."""
    return set_values(
        _loaded(SCENARIOS / "examples" / "economic-track.yaml"),
        [
            ("parameters.freeze_at", 0.3),
            ("tracks.economic.transitions[0].guard", "tension >= freeze_at"),
        ],
    )


@given(data=st.data())
def test_a_slotted_point_runs_as_a_new_simulator(data: st.DataObject) -> None:
    """A design point of a SlotPlan (the base compiled once, the values written per run) runs
    exactly as a Simulator made anew from the point's scenario, points interleaved (a run
    writes its own values), traces and outlines alike; a chance that is an expression at a
    point is left to derive."""
    scenario = data.draw(st.sampled_from([_loaded(WHATIFS[1]), _track_guarded()]))
    usable = [p for p in SLOT_PATHS if _reaches(scenario, p[0])]
    if "freeze_at" in scenario.parameters:
        usable += [
            ("parameters.freeze_at", 0.0, 1.0),
            ("variables.tension.decay_in.envoys_recalled", 0.0, 0.05),
            ("variables.tension.rest_in.envoys_recalled", 0.3, 0.9),
        ]
    paths = data.draw(st.lists(st.sampled_from(usable), min_size=1, unique=True))
    base = Simulator(scenario)
    assigner = Assigner(base.scenario, [p for p, _, _ in paths])
    swept = job_module.swept(base.scenario, assigner.paths)
    assert swept is not None
    plan = SlotPlan(base, swept)
    points = []
    for _ in range(2):
        values = [data.draw(st.floats(low, high)) for _, low, high in paths]
        point = assigner(values)
        made = plan.point(point)
        assert made is not None
        points.append((point, made))
    for seed in (0, 7):
        for point, made in points + points[:1]:
            new = Simulator(point)
            assert made.run(seed=seed) == new.run(seed=seed)
            assert made.outline(seed=seed) == new.outline(seed=seed)
    if any(p.startswith("rules[iranian") for p, _, _ in paths):
        as_text = assign_values(
            base.scenario, [("rules[iranian-counter-strike].probability", "0.2 + tension")]
        )
        assert plan.point(as_text) is None  # an expression at this point: derived


def _reaches(scenario: Scenario, path: str) -> bool:
    head, _, rest = path.partition(".")
    if head == "parameters":
        return rest in scenario.parameters
    if head == "rules[0]":
        return bool(scenario.rules)
    if head.startswith("rules["):
        return any(r.id == head[6:-1] for r in scenario.rules)
    return True


def test_structural_paths_are_derived() -> None:
    """Paths a run does not read at run time keep derive: the whole job does."""
    scenario = _loaded(WHATIFS[1])
    for path in (
        "events[0].date",
        "variables.tension.per_goldstein",
        "rules[iranian-counter-strike].delay.fixed",
        "parameters.not_yet_a_parameter",
        "rules[no-such-rule].probability",
    ):
        assert job_module.swept(scenario, ["parameters.return_at_most", path]) is None, path
    assert job_module.swept(scenario, ["parameters.return_at_most"]) == Swept(("return_at_most",))
