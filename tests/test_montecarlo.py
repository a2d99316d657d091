"""Monte Carlo: Wilson intervals, quantiles, run summaries, folding runs, and run_many itself
(in this process and in a pool of worker processes)."""

from __future__ import annotations

import datetime as dt
import json
import math
import multiprocessing
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.core.errors import SimulationError
from simulator.engine.montecarlo import (
    MAX_CHUNK,
    MIN_CHUNK,
    TOP_PATHS,
    OutcomeTally,
    RelationRun,
    RunSummary,
    default_chunk_size,
    run_many,
    summarize,
)
from simulator.engine.outcomes import DaysToReach, Outcomes, PathCount, Proportion, wilson_interval
from simulator.engine.seeds import derive_seed
from simulator.engine.simulation import Simulator, simulate
from simulator.engine.trace import Trace
from simulator.report.outcomes import outcomes_json
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario
from tests.conftest import SCENARIOS

#: Two relations; AAA-BBB goes calm → tense (day 1) → calm (day 3.5) → tense (day 5) and is
#: poked again on day 6 (no transition); AAA-CCC only chats (no transition). 10 days in all.
HAND = """\
dipsim: 1
title: Monte Carlo test
start: 2024-01-01
end: 2024-01-10
sources:
  web: {publisher: Somebody}
actors:
  AAA: {name: A}
  BBB: {name: B}
  CCC: {name: C}
event_types:
  poke: {}
  soothe: {}
  chat: {}
machine:
  states: [calm, tense, broken]
  initial: calm
  transitions:
    - {trigger: poke, source: calm, dest: tense}
    - {trigger: soothe, source: tense, dest: calm}
relations:
  - pair: [AAA, BBB]
  - pair: [AAA, CCC]
events:
  - {id: e1, date: 2024-01-02, type: poke, actor: AAA, target: BBB, summary: x, source: {ref: web}}
  - id: e2
    date: 2024-01-04
    time: "12:00"
    type: soothe
    actor: BBB
    target: AAA
    summary: x
    source: {ref: web}
  - {id: e3, date: 2024-01-06, type: poke, actor: AAA, target: BBB, summary: x, source: {ref: web}}
  - {id: e4, date: 2024-01-07, type: poke, actor: BBB, target: AAA, summary: x, source: {ref: web}}
  - {id: e5, date: 2024-01-08, type: chat, actor: AAA, target: CCC, summary: x, source: {ref: web}}
"""


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The hand-built scenario above, loaded."""
    path = tmp_path_factory.mktemp("mc") / "hand.yaml"
    path.write_text(HAND, encoding="utf-8")
    return load_scenario(path)


@pytest.fixture(scope="module")
def jan2024(jan2024_path: Path) -> Scenario:
    """The January 2024 replay (no rules: every run is the same)."""
    return load_scenario(jan2024_path)


# --- Wilson intervals and quantiles -------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # By hand, z² = 3.841459, 1 + z²/10 = 1.3841459:
        # 0/10: high = (z²/20 + z·√(z²/400)) / 1.3841459 = 2 · 0.1920729 / 1.3841459.
        (0, 10, 0.0, 0.2775327998628892),
        # 5/10: centre 0.5, half = z · √(0.025 + 0.0096037) / 1.3841459 = 0.2634069.
        (5, 10, 0.236593090512564, 0.7634069094874361),
        (10, 10, 0.7224672001371107, 1.0),
        # Published tables give 0.0089–0.2361 for 1 of 20.
        (1, 20, 0.008881448800795402, 0.23613119344674205),
        (50, 50, 0.9286524008666414, 1.0),
    ],
)
def test_wilson_interval_known_values(successes: int, trials: int, low: float, high: float) -> None:
    """The Wilson score interval matches values worked out by hand (0, 5, 10 of 10 and others)."""
    got = wilson_interval(successes, trials)
    assert got == pytest.approx((low, high), abs=1e-12)


def test_wilson_interval_ends_exactly_at_0_and_1() -> None:
    """0 of n starts at exactly 0.0 and n of n ends at exactly 1.0 (no rounding crumbs)."""
    assert wilson_interval(0, 7)[0] == 0.0
    assert wilson_interval(7, 7)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_contains_the_share_and_is_symmetric(case: tuple[int, int]) -> None:
    """The interval lies in [0, 1], contains k/n, and mirrors for n - k."""
    k, n = case
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0
    mirror_low, mirror_high = wilson_interval(n - k, n)
    assert low == pytest.approx(1.0 - mirror_high, abs=1e-12)
    assert high == pytest.approx(1.0 - mirror_low, abs=1e-12)


def test_days_to_reach_quantiles() -> None:
    """Quantiles are statistics.quantiles(n=20, inclusive): 0..20 gives 1, 5, 10, 15, 19."""
    reach = DaysToReach.of([float(t) for t in range(21)])
    assert reach == DaysToReach(21, 1.0, 5.0, 10.0, 15.0, 19.0, (1,) * 21)
    assert DaysToReach.of([2.5]) == DaysToReach(1, 2.5, 2.5, 2.5, 2.5, 2.5, (0, 0, 1))
    assert DaysToReach.of([1.0, 3.0]).p50 == 2.0


def test_proportion_of() -> None:
    """A Proportion is the count, the share and its Wilson interval."""
    assert Proportion.of(5, 10) == Proportion(5, 0.5, *wilson_interval(5, 10))


# --- one run's summary --------------------------------------------------------------------------


def test_summary_of_the_hand_built_scenario(hand: Scenario) -> None:
    """Known state times: days in each state, first entries, the collapsed path, the counts."""
    summary = summarize(simulate(hand, seed=7))
    bb, cc = summary.relations
    assert (summary.seed, summary.horizon) == (7, 10.0)
    assert bb == RelationRun(
        relation="AAA-BBB",
        final="tense",
        path=("calm", "tense", "calm", "tense"),  # the second poke changes nothing
        days=(("calm", 2.5), ("tense", 7.5)),
        entered=(("calm", 0.0), ("tense", 1.0)),
    )
    assert cc == RelationRun("AAA-CCC", "calm", ("calm",), (("calm", 10.0),), (("calm", 0.0),))
    assert summary.by_type == (("chat", 1), ("poke", 3), ("soothe", 1))
    assert summary.by_cause == (("script", 5),)
    assert summary.log_kinds == ()


def test_summary_stops_where_the_run_stops(hand: Scenario) -> None:
    """With --until, the horizon is the days played: 4, and the last state runs to its end."""
    summary = summarize(Simulator(hand).run(until=dt.date(2024, 1, 4)))
    bb = summary.relations[0]
    assert summary.horizon == 4.0
    assert bb.path == ("calm", "tense", "calm")
    assert bb.days == (("calm", 1.5), ("tense", 2.5))
    assert bb.final == "calm"


def test_summary_with_an_explicit_horizon(hand: Scenario) -> None:
    """An explicit horizon cuts the days there (what is after it is not counted)."""
    bb = summarize(simulate(hand), horizon=6.0).relations[0]
    assert bb.days == (("calm", 2.5), ("tense", 3.5))


def test_summary_reads_the_trace_only(hand: Scenario) -> None:
    """A trace read back from its JSON form summarises the same as the fresh one."""
    trace = simulate(hand, seed=3)
    again = Trace.from_dict(json.loads(json.dumps(trace.to_dict())))
    assert summarize(again) == summarize(trace)


def test_summary_pickles(hand: Scenario) -> None:
    """A summary survives pickling (it travels back from worker processes)."""
    summary = summarize(simulate(hand))
    assert pickle.loads(pickle.dumps(summary)) == summary


# --- folding summaries into outcomes ------------------------------------------------------------


def _run(path: tuple[str, ...], final_days: float = 10.0) -> RelationRun:
    """AAA-BBB taking ``path``, one day per step (first entries at 0, 1, 2, ...)."""
    days: dict[str, float] = {}
    entered: dict[str, float] = {}
    for i, state in enumerate(path):
        entered.setdefault(state, float(i))
        days[state] = days.get(state, 0.0) + (1.0 if i < len(path) - 1 else final_days - i)
    return RelationRun("AAA-BBB", path[-1], path, tuple(days.items()), tuple(entered.items()))


PATHS: list[tuple[tuple[str, ...], int]] = [
    (("calm", "tense"), 3),
    (("calm", "broken"), 3),
    (("calm", "tense", "calm"), 2),
    (("calm",), 1),
    (("calm", "tense", "broken"), 1),
    (("calm", "broken", "calm"), 1),
    (("calm", "tense", "calm", "tense"), 1),
]


def _summaries() -> list[RunSummary]:
    quiet = RelationRun("AAA-CCC", "calm", ("calm",), (("calm", 10.0),), (("calm", 0.0),))
    runs = [path for path, count in PATHS for _ in range(count)]
    return [
        RunSummary(
            seed=k,
            horizon=10.0,
            relations=(_run(path), quiet),
            by_type=(("poke", 2),),
            by_cause=(("rule:r", k % 2), ("script", 5)),
            log_kinds=("cap",) if k < 2 else (),
        )
        for k, path in enumerate(runs)
    ]


def test_tally_counts_shares_days_and_paths(hand: Scenario) -> None:
    """Folding 12 hand-made runs: ended/reached counts, mean days, quantiles, top paths, causes."""
    tally = OutcomeTally(hand)
    for summary in _summaries():
        tally.add(summary)
    out = tally.outcomes(seed=9)
    assert (out.seed, out.runs, out.title) == (9, 12, "Monte Carlo test")
    assert (out.start, out.stop) == (dt.date(2024, 1, 1), dt.date(2024, 1, 10))
    bb = out.relations[0]
    states = {s.state: s for s in bb.states}
    assert list(states) == ["calm", "tense", "broken"]  # the machine's order, unreached included
    assert states["tense"].ended == Proportion.of(4, 12)
    assert states["broken"].reached == Proportion.of(5, 12)
    assert states["calm"].reached == Proportion.of(12, 12)
    # broken: 8 days in (calm, broken) ×3, 8 in (calm, tense, broken), 1 in (calm, broken, calm)
    assert states["broken"].mean_days == pytest.approx((3 * 9 + 8 + 1) / 12)
    assert sum(s.mean_days for s in bb.states) == pytest.approx(10.0)
    assert states["tense"].days_to_reach == DaysToReach(7, 1.0, 1.0, 1.0, 1.0, 1.0, (0, 7))
    assert states["broken"].days_to_reach == DaysToReach.of([1.0, 1.0, 1.0, 2.0, 1.0])
    # Ties broken by the path's text; only the TOP_PATHS commonest are kept.
    assert bb.paths == (
        PathCount(("calm", "broken"), 3, 0.25),
        PathCount(("calm", "tense"), 3, 0.25),
        PathCount(("calm", "tense", "calm"), 2, 2 / 12),
        PathCount(("calm",), 1, 1 / 12),
        PathCount(("calm", "broken", "calm"), 1, 1 / 12),
    )
    assert len(bb.paths) == TOP_PATHS
    assert bb.distinct_paths == 7
    cc = {s.state: s for s in out.relations[1].states}
    assert cc["broken"].days_to_reach is None
    assert cc["broken"].reached == Proportion(0, 0.0, 0.0, wilson_interval(0, 12)[1])
    assert out.by_cause == (("rule:r", 6), ("script", 60))
    assert out.by_type == (("poke", 24),)
    assert out.log_runs == (("cap", 2),)


def test_tally_needs_a_run(hand: Scenario) -> None:
    """Outcomes of no runs are refused rather than divided by zero."""
    with pytest.raises(ValueError, match="no runs"):
        OutcomeTally(hand).outcomes(seed=0)


# --- run_many -----------------------------------------------------------------------------------


def test_a_scenario_without_rules_gives_one_outcome_in_100_percent_of_runs(
    jan2024: Scenario,
) -> None:
    """Until rules land in a scenario, every seed gives the same run: one path, shares 0 or 1."""
    out = run_many(jan2024, runs=20, seed=3)
    assert (out.runs, out.seed) == (20, 3)
    for rel in out.relations:
        assert rel.distinct_paths == 1
        assert [(p.count, p.share) for p in rel.paths] == [(20, 1.0)]
        for s in rel.states:
            assert s.ended.share in (0.0, 1.0)
            assert s.reached.share in (0.0, 1.0)
    pak_irn = {s.state: s for s in out.relations[0].states}
    assert out.relations[0].paths[0].path == (
        "normal",
        "strained",
        "envoys_recalled",
        "restored",
        "normal",
    )
    assert pak_irn["normal"].ended.count == 20
    assert pak_irn["restored"].days_to_reach == DaysToReach(
        20, 11.0, 11.0, 11.0, 11.0, 11.0, (0,) * 11 + (20,)
    )
    assert dict(out.by_cause) == {"script": 20 * len(jan2024.events)}


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 20, 1000])
def test_chunk_size_changes_nothing(jan2024: Scenario, chunk_size: int) -> None:
    """How the runs are cut into chunks does not change the outcomes (in this process)."""
    assert run_many(jan2024, 20, 3, chunk_size=chunk_size) == run_many(jan2024, 20, 3)


def test_workers_change_nothing(jan2024: Scenario) -> None:
    """Two worker processes, small chunks, give outcomes identical to one process; the pool
    leaves the process's multiprocessing start method alone."""
    method = multiprocessing.get_start_method(allow_none=True)
    assert run_many(jan2024, 20, 3, workers=2, chunk_size=3) == run_many(jan2024, 20, 3)
    assert multiprocessing.get_start_method(allow_none=True) == method


def test_progress_is_reported_in_run_order(hand: Scenario) -> None:
    """progress(done, total) is called after each chunk, done rising to the total."""
    calls: list[tuple[int, int]] = []
    run_many(hand, 10, 0, progress=lambda done, total: calls.append((done, total)), chunk_size=4)
    assert calls == [(4, 10), (8, 10), (10, 10)]


def test_until_and_stop(hand: Scenario) -> None:
    """until stops every run at the end of that day, and the outcomes say where they stopped."""
    out = run_many(hand, 5, 0, until=dt.date(2024, 1, 4))
    assert out.stop == dt.date(2024, 1, 4)
    calm = out.relations[0].states[0]
    assert (calm.state, calm.ended.count, calm.mean_days) == ("calm", 5, 1.5)
    assert run_many(hand, 5, 0, until=dt.date(2030, 1, 1)).stop == dt.date(2024, 1, 10)


@pytest.mark.parametrize(
    ("runs", "workers", "chunk_size", "message"),
    [
        (0, 1, None, "runs must be at least 1, not 0"),
        (5, -1, None, "workers must be at least 0, not -1"),
        (5, 1, 0, "chunk_size must be at least 1, not 0"),
    ],
)
def test_bad_counts_are_refused(
    hand: Scenario, runs: int, workers: int, chunk_size: int | None, message: str
) -> None:
    """runs, workers and chunk_size below 1 are a ValueError that quotes the value."""
    with pytest.raises(ValueError, match=message):
        run_many(hand, runs, 0, workers, chunk_size=chunk_size)


def test_a_failing_run_is_named_with_its_seed(hand: Scenario, tmp_path: Path) -> None:
    """A run that cannot go on raises SimulationError naming run k and its derived seed, which
    pins the derivation (run k uses derive_seed(seed, k)); the same through worker processes."""
    path = tmp_path / "div.yaml"
    text = HAND.replace("dest: tense}", 'dest: tense, guard: "1 / (tension - 0.4) > 0"}').replace(
        "relations:", "variables:\n  tension: {min: 0, max: 1, initial: 0.4}\nrelations:"
    )
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path)
    expected = f"run 0 (seed {derive_seed(5, 0)}): event 'e1'"
    with pytest.raises(SimulationError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        run_many(scenario, 3, 5)
    with pytest.raises(SimulationError, match=r"^run 0 \("):
        run_many(scenario, 3, 5, workers=2, chunk_size=1)


def test_default_chunk_size() -> None:
    """Chunks carry MIN_CHUNK..MAX_CHUNK runs, about four per worker in between."""
    assert default_chunk_size(10, 2) == MIN_CHUNK
    assert default_chunk_size(10_000_000, 2) == MAX_CHUNK
    assert MIN_CHUNK < default_chunk_size(1_201, 1) == math.ceil(1_201 / 4) < MAX_CHUNK


# --- outcomes as data ---------------------------------------------------------------------------


def test_json_round_trip(hand: Scenario) -> None:
    """Outcomes → JSON → Outcomes loses nothing."""
    tally = OutcomeTally(hand)
    for summary in _summaries():
        tally.add(summary)
    out = tally.outcomes(seed=9)
    assert Outcomes.from_dict(json.loads(outcomes_json(out))) == out
    assert Outcomes.from_dict(out.to_dict()) == out


def test_to_dict_keys_and_seed(jan2024: Scenario) -> None:
    """The plain form has a fixed key order and states the seed and how run seeds derive."""
    data = run_many(jan2024, 3, 41).to_dict()
    assert list(data) == [
        "outcomes_format",
        "title",
        "seed",
        "seeds",
        "runs",
        "start",
        "stop",
        "interval",
        "quantiles",
        "relations",
        "records_by_cause",
        "records_by_type",
        "runs_with_log",
    ]
    assert (data["seed"], data["seeds"]) == (41, "run k uses derive_seed(seed, k)")
    state = data["relations"][0]["states"][0]
    assert list(state) == ["state", "ended", "reached", "mean_days", "days_to_reach"]
    assert list(state["days_to_reach"]) == ["runs", "p5", "p25", "p50", "p75", "p95", "by_day"]


def test_zero_workers_chooses_and_changes_nothing(hand: Scenario) -> None:
    """workers=0 lets run_many choose (few runs: this process); the outcomes are the same."""
    assert run_many(hand, 40, 3, 0) == run_many(hand, 40, 3, 1)


def test_many_runs_send_a_few_chunks_ahead_not_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks are made and sent as earlier ones come back: however many runs, at most
    IN_FLIGHT per worker wait at once (pool.map used to submit them all, so memory grew with
    --runs), and the outcomes are those of one process."""
    from concurrent.futures import Future

    from simulator.engine import montecarlo

    waiting: list[int] = []
    most = [0]

    class Pool:
        def __init__(self, max_workers: int, mp_context: object, initializer: Any, initargs: Any):
            initializer(*initargs)

        def submit(self, fn: Any, chunk: Any) -> Future[Any]:
            done: Future[Any] = Future()
            done.set_result(fn(chunk))
            waiting.append(1)
            most[0] = max(most[0], len(waiting))
            original = done.result

            def result(timeout: float | None = None) -> Any:
                waiting.pop()
                return original(timeout)

            done.result = result  # type: ignore[method-assign]
            return done

        def shutdown(self, wait: bool, cancel_futures: bool) -> None:
            pass

    monkeypatch.setattr(montecarlo, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr("simulator.engine.montecarlo.signal.signal", lambda *_args: None)
    scenario = load_scenario(SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml")
    pooled = run_many(scenario, 6_000, seed=3, workers=2, chunk_size=200)
    assert most[0] == montecarlo.IN_FLIGHT * 2  # 30 chunks, never more than this at once
    assert pooled == run_many(scenario, 6_000, seed=3, workers=1, chunk_size=200)


def test_run_refuses_more_runs_than_its_limit() -> None:
    """--runs above max_runs is refused before anything is read (exit 2, the limit named);
    --limit max_runs=N raises it."""
    from click.testing import CliRunner

    from simulator.cli import cli

    runner = CliRunner()
    found = runner.invoke(cli, ["run", str(SCENARIOS / "jan2024.yaml"), "--runs", "9" * 20])
    assert found.exit_code == 2
    assert "--runs 99999999999999999999 is more runs than one command makes" in found.output
    assert "(limit max_runs=100000000; raise it with --limit max_runs=N)" in found.output
    raised = runner.invoke(
        cli,
        ["run", str(SCENARIOS / "jan2024.yaml"), "--runs", "3", "--limit", "max_runs=2"],
    )
    assert raised.exit_code == 2
    assert "limit max_runs=2" in raised.output
