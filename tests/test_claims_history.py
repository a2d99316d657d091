"""Claims about history, ``stays`` and ``state`` + ``not_before`` (issue 15): judged on traces
made by hand, against a day-by-day reference on random traces, and through ``dipsim check``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from simulator.check.expectations import check_runs, describe, judge
from simulator.cli import cli
from simulator.engine.simulation import simulate
from simulator.engine.trace import Record, RelationEnd, Trace, TrackStep
from simulator.scenario.cache import load_for_run
from simulator.scenario.limits import DEFAULT_LIMITS
from simulator.scenario.loading import load_scenario, scenario_from_text
from simulator.scenario.model import ExpectSpec, Scenario
from simulator.scenario.records import Record as CachedRecord
from tests.conftest import SCENARIOS
from tests.test_expectations import problems, with_claims
from tests.test_fuzz import accepted_or_located

START = dt.date(2024, 1, 1)
STOP = dt.date(2024, 1, 31)
STATES = ("calm", "strained", "recalled", "restored")

TEXT = """\
dipsim: 1
title: Claims about history
start: 2024-01-01
end: 2024-01-31
sources:
  wire: {publisher: Example Wire}
actors:
  AAA: {name: Country A}
  BBB: {name: Country B}
  CCC: {name: Country C}
event_types:
  recall: {}
machine:
  states: [calm, strained, recalled, restored]
  initial: calm
  transitions:
    - {trigger: recall, source: [calm, strained, restored], dest: recalled}
tracks:
  economic:
    states: [normal, sanctions]
    initial: normal
    transitions:
      - {trigger: recall, source: normal, dest: sanctions}
relations:
  - pair: [AAA, BBB]
  - pair: [AAA, CCC]
events:
  - {id: e1, date: 2024-01-02, type: recall, actor: AAA, target: BBB, summary: A recall.,
     source: {ref: wire}}
"""

SCENARIO: Scenario = scenario_from_text(TEXT, "t.yaml")


def _claim(**keys: Any) -> ExpectSpec:
    """An expectation as a file writes it (``from`` included), about AAA-BBB by default."""
    keys.setdefault("relation", ["AAA", "BBB"])
    return ExpectSpec.model_validate(keys)


def _record(
    day: int,
    before: str,
    after: str,
    event: str = "x",
    hour: int = 0,
    relation: str = "AAA-BBB",
    economic: tuple[str, str] | None = None,
) -> Record:
    tracks = (
        (TrackStep("economic", economic[0], economic[1], "transition"),)
        if economic is not None
        else ()
    )
    return Record(
        t=day - 1 + hour / 24,
        when=dt.datetime(2024, 1, day, hour),
        event=event,
        type="recall",
        actor="AAA",
        target=("BBB",),
        relation=relation,
        before=before,
        after=after,
        outcome="transition" if before != after else "no_transition",
        variables={},
        cameo=None,
        goldstein=None,
        source=None,
        quote=None,
        summary="",
        tracks=tracks,
    )


def _trace(*records: Record) -> Trace:
    """A run of AAA-BBB and AAA-CCC made of ``records``; each ends where its last record left it."""
    final = []
    for relation in ("AAA-BBB", "AAA-CCC"):
        mine = [r for r in records if r.relation == relation]
        state = mine[-1].after if mine else "calm"
        steps = [s for r in mine for s in r.tracks]
        track = {"economic": steps[-1].after if steps else "normal"}
        final.append(RelationEnd(relation, state, {}, track))
    return Trace("hand-made", 0, START, STOP, records, tuple(final), tracks=("economic",))


def _judged(item: ExpectSpec, *records: Record) -> tuple[bool, str]:
    verdict = judge(item, _trace(*records), SCENARIO)
    return verdict.held, verdict.evidence


RECALL = _record(5, "calm", "recalled", "recall")
RETURN = _record(20, "recalled", "restored", "return")


# --- stays ---------------------------------------------------------------------------------------


def test_stays_is_described_as_written() -> None:
    item = _claim(stays="recalled", **{"from": "2024-01-05"}, until="2024-01-19", at_least=0.5)
    assert describe(item, SCENARIO) == (
        "AAA-BBB stays recalled from 2024-01-05 until 2024-01-19 in at least 50% of runs"
    )


def test_stays_holds_from_the_recall_to_the_day_before_the_return() -> None:
    item = _claim(stays="recalled", **{"from": "2024-01-05"}, until="2024-01-19")
    assert _judged(item, RECALL, RETURN) == (
        True,
        "AAA-BBB in recalled from 2024-01-05 (since 2024-01-05, recall) to the end of "
        "2024-01-19; left for restored on 2024-01-20 (return)",
    )


def test_stays_fails_on_an_early_exit_even_when_the_state_comes_back() -> None:
    item = _claim(stays="recalled", **{"from": "2024-01-05"}, until="2024-01-25")
    early = _record(9, "recalled", "restored", "early")
    again = _record(12, "restored", "recalled", "again")
    assert _judged(item, RECALL, early, again) == (
        False,
        "AAA-BBB left recalled for restored on 2024-01-09 (early)",
    )


def test_stays_fails_on_a_leave_and_return_within_one_day() -> None:
    # The state at the end of every day is recalled; the relation still left it on the 9th.
    item = _claim(stays="recalled", **{"from": "2024-01-05"}, until="2024-01-25")
    out = _record(9, "recalled", "strained", "out", hour=9)
    back = _record(9, "strained", "recalled", "back", hour=18)
    assert _judged(item, RECALL, out, back) == (
        False,
        "AAA-BBB left recalled for strained on 2024-01-09T09:00 (out)",
    )


def test_stays_fails_when_not_in_the_state_at_the_end_of_from() -> None:
    item = _claim(stays="recalled", **{"from": "2024-01-04"}, until="2024-01-10")
    assert _judged(item, RECALL) == (
        False,
        "AAA-BBB was calm at the end of 2024-01-04 (from the start), not recalled",
    )


@pytest.mark.parametrize(
    ("records", "held"),
    [
        # Entered on `from` itself: in the state at the end of that day.
        ((RECALL,), True),
        # Entered and left again on `from`: what counts is the end of that day.
        ((_record(5, "calm", "recalled", hour=1), _record(5, "recalled", "calm", hour=2)), False),
        (
            (_record(5, "calm", "strained", hour=1), _record(5, "strained", "recalled", hour=2)),
            True,
        ),
        # Left on `until`: inside the claim.
        ((RECALL, _record(12, "recalled", "restored")), False),
        # Left the day after `until`: outside it.
        ((RECALL, _record(13, "recalled", "restored")), True),
        # A record on `until` that keeps the state is no exit.
        ((RECALL, _record(12, "recalled", "recalled")), True),
    ],
)
def test_stays_on_its_boundary_days(records: tuple[Record, ...], held: bool) -> None:
    item = _claim(stays="recalled", **{"from": "2024-01-05"}, until="2024-01-12")
    assert _judged(item, *records)[0] is held


def test_stays_in_the_initial_state_from_the_first_day() -> None:
    item = _claim(stays="calm", **{"from": "2024-01-01"}, until="2024-01-04")
    assert _judged(item, RECALL) == (
        True,
        "AAA-BBB in calm from 2024-01-01 (from the start) to the end of 2024-01-04; "
        "left for recalled on 2024-01-05 (recall)",
    )
    assert _judged(item, _record(1, "calm", "strained", "first-day")) == (
        False,
        "AAA-BBB was strained at the end of 2024-01-01 (since 2024-01-01, first-day), not calm",
    )


def test_stays_reads_its_own_relation_only() -> None:
    item = _claim(stays="recalled", **{"from": "2024-01-05"}, until="2024-01-25")
    other = _record(9, "calm", "restored", "elsewhere", relation="AAA-CCC")
    assert _judged(item, RECALL, other)[0]
    on_other = _claim(
        stays="calm", relation=["CCC", "AAA"], **{"from": "2024-01-05"}, until="2024-01-08"
    )
    assert _judged(on_other, RECALL, other) == (
        True,
        "AAA-CCC in calm from 2024-01-05 (from the start) to the end of 2024-01-08; "
        "left for restored on 2024-01-09 (elsewhere)",
    )


def test_stays_on_a_track_reads_the_track_states() -> None:
    item = _claim(stays="sanctions", track="economic", **{"from": "2024-01-05"}, until="2024-01-25")
    sanction = _record(5, "calm", "recalled", "recall", economic=("normal", "sanctions"))
    # The machine leaves recalled on the 20th; the economic track stays under sanctions.
    keep = _record(20, "recalled", "restored", "return", economic=("sanctions", "sanctions"))
    assert _judged(item, sanction, keep) == (
        True,
        "AAA-BBB (economic) in sanctions from 2024-01-05 (since 2024-01-05, recall) to the end "
        "of 2024-01-25",
    )
    lift = _record(20, "recalled", "recalled", "lift", economic=("sanctions", "normal"))
    assert _judged(item, sanction, lift) == (
        False,
        "AAA-BBB (economic) left sanctions for normal on 2024-01-20 (lift)",
    )


# --- state + not_before --------------------------------------------------------------------------


def test_not_before_is_described_as_written() -> None:
    item = _claim(state="restored", not_before="2024-01-20")
    assert describe(item, SCENARIO) == "AAA-BBB does not enter restored before 2024-01-20"


@pytest.mark.parametrize(
    ("day", "held", "evidence"),
    [
        (19, False, "AAA-BBB entered restored on 2024-01-19 (return), before 2024-01-20"),
        (20, True, "AAA-BBB entered restored on 2024-01-20 (return)"),
        (21, True, "AAA-BBB entered restored on 2024-01-21 (return)"),
    ],
)
def test_not_before_around_its_day(day: int, held: bool, evidence: str) -> None:
    item = _claim(state="restored", not_before="2024-01-20")
    entered = _record(day, "recalled", "restored", "return")
    assert _judged(item, RECALL, entered) == (held, evidence)


def test_not_before_holds_when_the_state_is_never_entered() -> None:
    item = _claim(state="restored", not_before="2024-01-20")
    assert _judged(item, RECALL) == (True, "AAA-BBB did not enter restored")


def test_not_before_fails_on_an_early_entry_left_again() -> None:
    # A generic cooperation code that jumped to restored for a day years too soon is caught.
    item = _claim(state="restored", not_before="2024-01-20")
    jump = _record(8, "recalled", "restored", "cooperation-050")
    back = _record(9, "restored", "recalled", "recall-again")
    assert _judged(item, RECALL, jump, back, RETURN) == (
        False,
        "AAA-BBB entered restored on 2024-01-08 (cooperation-050), before 2024-01-20",
    )


def test_not_before_and_the_initial_state() -> None:
    late = _claim(state="calm", not_before="2024-01-02")
    assert _judged(late, RECALL) == (False, "AAA-BBB starts in calm on 2024-01-01")
    first_day = _claim(state="calm", not_before="2024-01-01")
    assert _judged(first_day, RECALL) == (True, "AAA-BBB starts in calm on 2024-01-01")


def test_not_before_on_a_track() -> None:
    item = _claim(state="sanctions", track="economic", not_before="2024-01-06")
    sanction = _record(5, "calm", "recalled", "recall", economic=("normal", "sanctions"))
    assert _judged(item, sanction) == (
        False,
        "AAA-BBB (economic) entered sanctions on 2024-01-05 (recall), before 2024-01-06",
    )


def test_a_bound_counts_the_runs_where_the_claim_holds() -> None:
    claims = TEXT + (
        "expect:\n"
        "  - {relation: AAA-BBB, stays: recalled, from: 2024-01-05, until: 2024-01-19,"
        " at_least: 0.5}\n"
        "  - {relation: AAA-BBB, state: restored, not_before: 2024-01-20, at_most: 0.4}\n"
    )
    scenario = scenario_from_text(claims, "t.yaml")
    early = _record(10, "recalled", "restored", "early")
    runs = [(0, _trace(RECALL, RETURN)), (1, _trace(RECALL, early))]
    stays, not_before = check_runs(scenario, runs)
    assert (stays.passed, stays.held, not_before.passed, not_before.held) == (True, 1, False, 1)


# --- against a day-by-day reference --------------------------------------------------------------


def _seen_each_day(records: list[Record], start: str) -> dict[dt.date, set[str]]:
    """Every state the relation was in during each day of the span: the state it began the day
    in and every state a record of that day left it in."""
    seen: dict[dt.date, set[str]] = {}
    state = start
    day = START
    while day <= STOP:
        today = [r for r in records if r.when.date() == day]
        seen[day] = {state, *(r.after for r in today)}
        if today:
            state = today[-1].after
        day += dt.timedelta(days=1)
    return seen


def _end_of(records: list[Record], start: str, day: dt.date) -> str:
    return next((r.after for r in reversed(records) if r.when.date() <= day), start)


# Moves and claim days drawn from the first ten days and three states, so that a change falls on
# a claim's first or last day often; a day past the moves is still drawn (the 10th).
_moves = st.lists(
    st.tuples(st.integers(1, 9), st.sampled_from((0, 12, 23)), st.sampled_from(STATES[:3])),
    max_size=6,
)
_day = st.integers(0, 9).map(lambda n: START + dt.timedelta(days=n))


def _records_of(moves: list[tuple[int, int, str]]) -> list[Record]:
    records: list[Record] = []
    state = "calm"
    for day, hour, after in sorted(moves, key=lambda m: (m[0], m[1])):
        records.append(_record(day, state, after, f"e{len(records)}", hour=hour))
        state = after
    return records


@given(_moves, st.sampled_from(STATES[:3]), _day, _day)
def test_stays_agrees_with_a_day_by_day_reference(
    moves: list[tuple[int, int, str]], state: str, a: dt.date, b: dt.date
) -> None:
    first, last = min(a, b), max(a, b)
    records = _records_of(moves)
    seen = _seen_each_day(records, "calm")
    expected = _end_of(records, "calm", first) == state and all(
        seen[d] == {state} for d in seen if first < d <= last
    )
    item = _claim(stays=state, **{"from": first.isoformat()}, until=last.isoformat())
    assert _judged(item, *records)[0] is expected


@given(_moves, st.sampled_from(STATES[:3]), _day)
def test_not_before_agrees_with_a_day_by_day_reference(
    moves: list[tuple[int, int, str]], state: str, day: dt.date
) -> None:
    records = _records_of(moves)
    seen = _seen_each_day(records, "calm")
    expected = all(state not in seen[d] for d in seen if d < day)
    item = _claim(state=state, not_before=day.isoformat())
    assert _judged(item, *records)[0] is expected


# --- malformed claims ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "{stays: strained, from: 2024-01-16}",
            "expect[0]: an expectation of kind 'stays' also needs 'until'",
        ),
        (
            "{not_before: 2024-01-16}",
            "expect[0]: an expectation of kind 'not_before' also needs 'state'",
        ),
        (
            "{stays: strained, from: 2024-01-20, until: 2024-01-19}",
            "expect[0].until: 'from' 2024-01-20 is after 'until' 2024-01-19",
        ),
        (
            "{state: strained, date: 2024-01-20, not_before: 2024-01-19}",
            "expect[0].not_before: 'state' takes 'date' (the state on that day) or 'not_before' "
            "(not entered before that day), not both",
        ),
        (
            "{reaches: strained, from: 2024-01-20}",
            "expect[0]: 'from' goes with 'stays', not with 'reaches'",
        ),
        # Once silently ignored: a date on a reaches claim reads as if it bounded it.
        (
            "{reaches: strained, date: 2024-01-20}",
            "expect[0]: 'date' goes with 'state', not with 'reaches'",
        ),
        (
            "{final: normal, outcome: accepted}",
            "expect[0]: 'outcome' goes with 'event', not with 'final'",
        ),
        (
            "{stays: strained, from: 2024-01-10, until: 2024-01-20}",
            "expect[0].from: 2024-01-10 is outside the scenario's span 2024-01-15..2024-01-31",
        ),
        (
            "{stays: strainde, from: 2024-01-16, until: 2024-01-20}",
            "expect[0].stays: unknown state 'strainde' (did you mean 'strained'?); known: normal, "
            "strained, envoys_recalled",
        ),
    ],
)
def test_malformed_history_claims_are_located(tmp_path: Path, item: str, message: str) -> None:
    assert problems(with_claims(tmp_path, f"expect:\n  - {item}\n")) == [message]


_KEY_VALUES = {
    "state": "recalled",
    "date": "2024-01-10",
    "not_before": "2024-01-10",
    "stays": "recalled",
    "from": "2024-01-05",
    "until": "2024-01-20",
    "reaches": "restored",
    "by": "2024-01-20",
    "final": "recalled",
    "track": "economic",
}


@given(st.sets(st.sampled_from(sorted(_KEY_VALUES)), min_size=1))
def test_any_mix_of_claim_keys_is_refused_with_a_location_or_judged(keys: set[str]) -> None:
    """Whatever keys an item mixes, it is refused with a located problem or judged on a run."""
    item = ", ".join(f"{k}: {_KEY_VALUES[k]}" for k in sorted(keys))
    text = TEXT + f"expect:\n  - {{relation: AAA-BBB, {item}}}\n"
    scenario = accepted_or_located(lambda: scenario_from_text(text, "t.yaml"))
    if scenario is None:
        return
    (verdict,) = check_runs(scenario, [(0, simulate(scenario))])
    assert verdict.evidence


def test_a_cache_hit_judges_history_claims_as_the_validated_scenario_does() -> None:
    """A cache hit is a tree of records (``from`` held as ``from_`` there too): the kinds and
    the verdicts are the validated scenario's."""
    path = SCENARIOS / "whatif" / "restored-on-the-announcement.yaml"
    load_for_run(path, DEFAULT_LIMITS)  # stored (or already there)
    hit = load_for_run(path, DEFAULT_LIMITS)
    assert isinstance(hit, CachedRecord)
    model = load_scenario(path)
    assert [e.kind for e in hit.expect] == ["stays", "not_before", "reaches"]
    trace = simulate(model)
    verdicts = [(r.passed, r.evidence) for r in check_runs(hit, [(0, trace)])]
    assert verdicts == [(r.passed, r.evidence) for r in check_runs(model, [(0, trace)])]
    assert verdicts[:2] == [
        (False, "PAK-IRN left envoys_recalled for restored on 2024-01-22 (joint-statement)"),
        (False, "PAK-IRN entered restored on 2024-01-22 (joint-statement), before 2024-01-26"),
    ]


# --- through dipsim check ------------------------------------------------------------------------


def test_dipsim_check_passes_and_fails_history_claims(tmp_path: Path) -> None:
    passing = with_claims(
        tmp_path,
        """
        expect:
          - {id: recalled-to-the-end, stays: envoys_recalled, from: 2024-01-17, until: 2024-01-31}
          - {state: envoys_recalled, not_before: 2024-01-17}
        """,
        name="pass.yaml",
    )
    failing = with_claims(
        tmp_path,
        """
        expect:
          - {stays: strained, from: 2024-01-16, until: 2024-01-20}
          - {state: envoys_recalled, not_before: 2024-01-18}
        """,
        name="fail.yaml",
    )
    runner = CliRunner()
    ok = runner.invoke(cli, ["check", str(passing)])
    assert ok.exit_code == 0, ok.output
    assert (
        "    PASS  expect[0] recalled-to-the-end: PAK-IRN stays envoys_recalled from 2024-01-17 "
        "until 2024-01-31\n"
        "          PAK-IRN in envoys_recalled from 2024-01-17 (since 2024-01-17, "
        "pakistan-recalls-ambassador) to the end of 2024-01-31\n"
        "    PASS  expect[1] PAK-IRN does not enter envoys_recalled before 2024-01-17\n"
        "          PAK-IRN entered envoys_recalled on 2024-01-17 (pakistan-recalls-ambassador)\n"
    ) in ok.output
    bad = runner.invoke(cli, ["check", str(failing)])
    assert bad.exit_code == 1, bad.output
    assert (
        "    FAIL  expect[0] PAK-IRN stays strained from 2024-01-16 until 2024-01-20\n"
        "          PAK-IRN left strained for envoys_recalled on 2024-01-17 "
        "(pakistan-recalls-ambassador)\n"
        "    FAIL  expect[1] PAK-IRN does not enter envoys_recalled before 2024-01-18\n"
        "          PAK-IRN entered envoys_recalled on 2024-01-17 (pakistan-recalls-ambassador), "
        "before 2024-01-18\n"
    ) in bad.output
    assert "result: FAILED (2 failing)" in bad.output


def test_dipsim_check_locates_a_misspelt_state_of_a_history_claim(tmp_path: Path) -> None:
    path = with_claims(
        tmp_path, "expect:\n  - {stays: envoys_recaled, from: 2024-01-17, until: 2024-01-20}\n"
    )
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2
    line = len(path.read_text(encoding="utf-8").splitlines())
    assert f"{path}:{line}:13: expect[0].stays: unknown state 'envoys_recaled' (did you mean " in (
        result.output
    )
