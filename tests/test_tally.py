"""Folding runs in chunks where they ran (ChunkTally) and merging the chunks (OutcomeTally.merge)
leaves the tally exactly as adding the runs one by one (OutcomeTally.add, the reference), to the
last bit of every floating-point sum, however the runs are cut; and run_many, on any number of
workers and any chunk size, gives the reference's outcomes on stochastic what-ifs."""

from __future__ import annotations

import itertools
import pickle
from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.engine.montecarlo import run_many
from simulator.engine.seeds import derive_seed
from simulator.engine.simulation import Simulator
from simulator.engine.summary import RelationRun, RunSummary, summarize_outline
from simulator.engine.tally import ChunkTally, OutcomeTally
from simulator.report.outcomes import outcomes_json
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario
from tests.conftest import SCENARIOS
from tests.test_montecarlo import HAND

#: The machine of the hand scenario, and a state it does not have (summaries read from
#: elsewhere could name one: the tally lists it after the machine's).
STATES = ("calm", "tense", "broken", "elsewhere")
# Days within the runs' horizon (10): outcomes draw a day-by-day curve up to the last day seen,
# so a day of 10^6 made a million-point curve per example (minutes per test).
FLOATS = st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_subnormal=True)


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The hand-built scenario of test_montecarlo (machine: calm, tense, broken)."""
    path = tmp_path_factory.mktemp("tally") / "hand.yaml"
    path.write_text(HAND, encoding="utf-8")
    return load_scenario(path)


@st.composite
def relation_runs(draw: st.DrawFn, relation: str) -> RelationRun:
    path = tuple(draw(st.lists(st.sampled_from(STATES), min_size=1, max_size=5)))
    seen = tuple(dict.fromkeys(path))
    return RelationRun(
        relation,
        path[-1],
        path,
        tuple((s, draw(FLOATS)) for s in seen),
        tuple((s, draw(FLOATS)) for s in seen),
    )


COUNTS = st.lists(
    st.tuples(st.sampled_from(["poke", "chat", "rule:r", "script"]), st.integers(0, 5)),
    max_size=3,
    unique_by=lambda pair: pair[0],
)


@st.composite
def summaries(draw: st.DrawFn) -> RunSummary:
    return RunSummary(
        seed=draw(st.integers(0, 2**64 - 1)),
        horizon=10.0,
        relations=(draw(relation_runs("AAA-BBB")), draw(relation_runs("AAA-CCC"))),
        by_type=tuple(sorted(draw(COUNTS))),
        by_cause=tuple(sorted(draw(COUNTS))),
        log_kinds=tuple(sorted(draw(st.sets(st.sampled_from(["cap", "other"]))))),
    )


def _state(tally: OutcomeTally) -> object:
    """Everything a tally holds, floats compared bit for bit (as their hex)."""
    return (
        tally.runs,
        list(tally.by_cause.items()),
        list(tally.by_type.items()),
        list(tally.log_runs.items()),
        [
            (
                t.states,
                dict(t.ended),
                dict(t.reached),
                [(s, d.hex()) for s, d in t.days.items()],
                {s: [x.hex() for x in e] for s, e in t.entered.items()},
                sorted(t.paths.items()),
            )
            for t in tally.relations.values()
        ],
    )


def _merged(scenario: Scenario, runs: list[RunSummary], cuts: list[int]) -> OutcomeTally:
    tally = OutcomeTally(scenario)
    edges = [0, *sorted(c for c in cuts if 0 < c < len(runs)), len(runs)]
    for lo, hi in itertools.pairwise(edges):
        chunk = ChunkTally()
        for summary in runs[lo:hi]:
            chunk.add(summary)
        tally.merge(pickle.loads(pickle.dumps(chunk)))  # as it comes back from a worker
    return tally


@given(st.lists(summaries(), min_size=1, max_size=30), st.lists(st.integers(0, 30)))
def test_merging_chunks_is_adding_runs_one_by_one(
    hand: Scenario, runs: list[RunSummary], cuts: list[int]
) -> None:
    """Any cutting of the runs into chunks, merged in order, gives the reference's tally and
    outcomes: counts, states (one the machine lacks included), sums and times bit for bit."""
    reference = OutcomeTally(hand)
    for summary in runs:
        reference.add(summary)
    merged = _merged(hand, runs, cuts)
    assert _state(merged) == _state(reference)
    assert outcomes_json(merged.outcomes(1)) == outcomes_json(reference.outcomes(1))


def test_a_sum_that_depends_on_its_order_comes_out_as_added_in_run_order(hand: Scenario) -> None:
    """1e16 + 1 + 1 is 1e16 added in that order, 1e16 + 2 in another: merging keeps run order."""
    days = [1e16, 1.0, 1.0]
    runs = [
        RunSummary(
            k, 10.0, (RelationRun("AAA-BBB", "calm", ("calm",), (("calm", d),), ()),), (), ()
        )
        for k, d in enumerate(days)
    ]
    for cuts in ([], [1], [2], [1, 2]):
        assert _merged(hand, runs, cuts).relations["AAA-BBB"].days["calm"] == 1e16


def test_a_chunk_tally_pickles_small() -> None:
    """What a worker sends back for 500 runs is a few kB, its floats in arrays."""
    scenario = load_scenario(SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml")
    sim = Simulator(scenario)
    chunk = ChunkTally()
    for k in range(500):
        chunk.add(summarize_outline(sim.outline(derive_seed(1, k))))
    assert chunk.runs == 500
    assert all(
        isinstance(a, array) for part in chunk.relations.values() for a in part.days.values()
    )
    # Against what was sent before: the 500 summaries themselves, pickled one by one.
    summaries = [summarize_outline(sim.outline(derive_seed(1, k))) for k in range(500)]
    assert len(pickle.dumps(chunk)) < len(pickle.dumps(summaries)) / 2


@pytest.mark.parametrize(
    "name", ["retaliation-kills-iranians", "return-delayed-lognormal", "escalation-machine"]
)
def test_run_many_gives_the_reference_fold_on_every_cutting(name: str) -> None:
    """On stochastic what-ifs, run_many's outcomes (JSON, byte for byte) are those of adding each
    run's summary in run order, on 1 or 2 workers and chunks of any size."""
    scenario = load_scenario(SCENARIOS / "whatif" / f"{name}.yaml")
    sim = Simulator(scenario)
    reference = OutcomeTally(scenario)
    for k in range(300):
        reference.add(summarize_outline(sim.outline(derive_seed(4, k))))
    expected = outcomes_json(reference.outcomes(4))
    for workers, size in ((1, None), (1, 1), (1, 299), (2, 7), (2, 300)):
        got = run_many(scenario, 300, 4, workers=workers, chunk_size=size)
        assert outcomes_json(got) == expected, (workers, size)
