"""A run's outline gives exactly the summary, and the row, that its trace gives.

``Simulator.outline`` plays a run as ``run`` does but keeps only the state changes and the
counts a summary needs; ``summarize_outline`` must equal ``summarize(trace)`` of the same run,
on every shipped scenario and on random scenarios, for every seed and stopping day tried, and a
batch row made from it must equal the row made from the trace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.batch.job import metrics, summary_metrics
from simulator.batch.runner import prepare
from simulator.batch.spec import load_batch_spec
from simulator.engine.montecarlo import summarize, summarize_outline
from simulator.engine.simulation import Simulator
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario
from tests.conftest import BATCHES, scenario_files
from tests.strategies import scenarios


def same_either_way(sim: Simulator, seed: int, until: dt.date | None = None) -> None:
    trace = sim.run(seed, until)
    outline = sim.outline(seed, until)
    assert summarize_outline(outline) == summarize(trace), (seed, until)
    assert (outline.final, outline.log, outline.stop) == (trace.final, trace.log, trace.stop)


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_every_shipped_scenario(path: Path) -> None:
    scenario = load_scenario(path)
    sim = Simulator(scenario)
    middle = scenario.start + (scenario.end - scenario.start) / 2
    for seed in range(12):
        same_either_way(sim, seed)
        same_either_way(sim, seed, middle)


@given(scenarios(), st.integers(0, 2**32))
def test_random_scenarios(scenario: Scenario, seed: int) -> None:
    same_either_way(Simulator(scenario), seed)


@pytest.mark.parametrize("spec", sorted(BATCHES.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_row_from_the_outline_is_the_row_from_the_trace(spec: Path) -> None:
    job, _, _ = prepare(load_batch_spec(spec))
    kept = tuple(m for m in job.metrics if m not in {"variables", "expectations"})
    job = dataclasses.replace(job, metrics=kept)
    sim = Simulator(job.scenario)
    for seed in range(6):
        from_trace = metrics(job, sim.run(seed, job.until), sim.scenario)
        from_outline = summary_metrics(job, summarize_outline(sim.outline(seed, job.until)))
        assert from_outline == from_trace, (spec.name, seed)
        assert from_outline, "the row has metrics"
