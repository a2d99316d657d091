"""``expect`` and ``invariants``: their format, their reference checks, and how runs judge them."""

from __future__ import annotations

import functools
import shutil
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.check.expectations import Tally, check_runs, first_violation, is_stochastic, judge
from simulator.check.explore import explore
from simulator.core.errors import ScenarioError
from simulator.engine.seeds import derive_seed
from simulator.engine.simulation import Simulator, simulate
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario
from tests.conftest import JAN2024, SCENARIOS

FIRST = SCENARIOS / "examples" / "first.yaml"


def with_claims(tmp_path: Path, claims: str, base: Path = FIRST, name: str = "s.yaml") -> Path:
    """``base``'s text with ``claims`` (YAML) appended, written where its sources resolve: in
    a folder below it (``../sources/`` made ``sources/``), since a scenario named from outside
    the working folder reads only below its own folder (docs/checking.md)."""
    folder = tmp_path / "examples"
    folder.mkdir(exist_ok=True)
    if not (folder / "sources").exists():
        shutil.copytree(SCENARIOS / "sources", folder / "sources")
    path = folder / name
    text = base.read_text(encoding="utf-8").replace("file: ../sources/", "file: sources/")
    path.write_text(text + "\n" + textwrap.dedent(claims), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p).split(": ", 1)[1] for p in caught.value.problems]


def verdicts(scenario: Scenario, seed: int = 0) -> list[tuple[bool, str]]:
    return [(r.passed, r.evidence) for r in check_runs(scenario, [(0, simulate(scenario, seed))])]


# --- the format ---------------------------------------------------------------------------------


def test_every_expectation_kind_is_judged_with_its_evidence(tmp_path: Path) -> None:
    path = with_claims(
        tmp_path,
        """
        expect:
          - {state: envoys_recalled, date: 2024-01-17}
          - {state: normal, date: 2024-01-15}
          - {reaches: strained, by: 2024-01-16}
          - {reaches: strained, by: 2024-01-15}
          - {never: normal}
          - {event: pakistan-strikes-iran, outcome: rejected}
          - {event: pakistan-strikes-iran, outcome: transition}
          - {final: envoys_recalled}
        """,
    )
    scenario = load_scenario(path)
    recalled = "PAK-IRN on 2024-01-17: envoys_recalled (since 2024-01-17, "
    strike = "event pakistan-strikes-iran on 2024-01-18: no_transition (state stayed "
    path_seen = "normal -> strained -> envoys_recalled"
    assert verdicts(scenario) == [
        (True, recalled + "pakistan-recalls-ambassador)"),
        (True, "PAK-IRN on 2024-01-15: normal (from the start)"),
        (True, "PAK-IRN entered strained on 2024-01-16 (iran-strikes-pakistan)"),
        (False, "PAK-IRN did not enter strained by 2024-01-15: normal"),
        (False, "PAK-IRN starts in normal"),
        (True, strike + "envoys_recalled)"),
        (False, strike + "envoys_recalled)"),
        (True, f"PAK-IRN ended in envoys_recalled: {path_seen}"),
    ]


def test_an_event_expectation_can_name_the_state_it_leaves(tmp_path: Path) -> None:
    path = with_claims(
        tmp_path,
        """
        expect:
          - {event: pakistan-recalls-ambassador, outcome: accepted, to: envoys_recalled}
          - {event: pakistan-recalls-ambassador, outcome: accepted, to: strained}
        """,
    )
    scenario = load_scenario(path)
    moved = (
        "event pakistan-recalls-ambassador on 2024-01-17: transition (strained -> envoys_recalled)"
    )
    assert verdicts(scenario) == [(True, moved), (False, moved)]


def test_an_event_that_did_not_happen_fails(tmp_path: Path) -> None:
    path = with_claims(tmp_path, "expect:\n  - {event: pakistan-strikes-iran, outcome: accepted}\n")
    scenario = load_scenario(path)
    trace = simulate(scenario, until=scenario.start)
    verdict = judge(scenario.expect[0], trace, scenario)
    assert not verdict.held
    assert verdict.evidence == "event pakistan-strikes-iran did not happen in this run"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "{state: normal}",
            "expect[0]: an expectation of kind 'state' also needs 'date'",
        ),
        (
            "{reaches: normal, never: strained}",
            "expect[0]: an expectation is exactly one of: state+date; state+not_before; "
            "stays+from+until; reaches; never; event+outcome; final (got reaches, never)",
        ),
        (
            "{at_least: 0.5}",
            "expect[0]: an expectation is exactly one of: state+date; state+not_before; "
            "stays+from+until; reaches; never; event+outcome; final (got none of them)",
        ),
        (
            "{final: normal, to: strained}",
            "expect[0]: 'to' goes with 'event', not with 'final'",
        ),
        (
            "{final: normal, by: 2024-01-20}",
            "expect[0]: 'by' goes with 'reaches' or 'never', not with 'final'",
        ),
        (
            "{final: normal, at_least: 0.9, at_most: 0.5}",
            "expect[0]: at_least 0.9 is greater than at_most 0.5",
        ),
        (
            "{final: normal, at_least: 1.5}",
            "expect[0].at_least: input should be less than or equal to 1 (got 1.5)",
        ),
        (
            "{event: x, outcome: won}",
            "expect[0].outcome: input should be 'accepted', 'rejected', 'transition', "
            "'guard_failed' or 'no_transition' (got 'won')",
        ),
    ],
)
def test_malformed_expectations_are_located(tmp_path: Path, item: str, message: str) -> None:
    path = with_claims(tmp_path, f"expect:\n  - {item}\n")
    assert problems(path) == [message]


def test_names_in_claims_must_resolve_with_suggestions(tmp_path: Path) -> None:
    path = with_claims(
        tmp_path,
        """
        expect:
          - {state: envoy_recalled, date: 2024-01-17}
          - {reaches: strained, by: 2024-03-01}
          - {event: pakistan-strike-iran, outcome: accepted}
          - {event: "retaliation#1", outcome: accepted}
          - {relation: PAK-IND, final: normal}
        invariants:
          - {enter: restored, only_from: [strained]}
          - {always: tensoin < 1}
        """,
    )
    assert problems(path) == [
        "expect[0].state: unknown state 'envoy_recalled' (did you mean 'envoys_recalled'?); "
        "known: normal, strained, envoys_recalled",
        "expect[1].by: 2024-03-01 is outside the scenario's span 2024-01-15..2024-01-31",
        "expect[2].event: unknown event 'pakistan-strike-iran' (did you mean "
        "'pakistan-strikes-iran'?); known: iran-strikes-pakistan, pakistan-recalls-ambassador, "
        "pakistan-strikes-iran, agreement-to-deescalate",
        "expect[3].event: unknown rule 'retaliation'; known: none in 'retaliation#1'",
        "expect[4].relation: unknown relation 'PAK-IND' (did you mean 'PAK-IRN'?); known: PAK-IRN",
        "invariants[0].enter: unknown state 'restored' (did you mean 'strained'?); "
        "known: normal, strained, envoys_recalled",
        "invariants[1].always: unknown variable 'tensoin' (did you mean 'tension'?); "
        "known: tension in 'tensoin < 1'",
    ]


def test_a_claim_must_name_its_relation_when_there_are_several(tmp_path: Path) -> None:
    base = SCENARIOS / "examples" / "two-relations.yaml"
    path = with_claims(tmp_path, "expect:\n  - {final: normal}\n", base=base)
    relations = ", ".join(r.id for r in load_scenario(base).relations)
    assert problems(path) == [
        f"expect[0]: the scenario has several relations: say which with 'relation' (one of "
        f"{relations})"
    ]


def test_a_relation_may_be_named_either_way_round(tmp_path: Path) -> None:
    path = with_claims(tmp_path, "expect:\n  - {relation: IRN-PAK, final: envoys_recalled}\n")
    assert verdicts(load_scenario(path))[0][0]


# --- invariants ---------------------------------------------------------------------------------


def test_invariants_report_where_a_run_first_breaks_them(tmp_path: Path) -> None:
    path = with_claims(
        tmp_path,
        """
        invariants:
          - {enter: envoys_recalled, only_from: [normal]}
          - {enter: envoys_recalled, only_from: [normal, strained]}
          - {never: strained}
          - {always: tension < 0.3}
          - {always: tension < 0.3, while_in: normal}
        """,
    )
    scenario = load_scenario(path)
    trace = simulate(scenario)
    assert [first_violation(inv, trace, scenario) for inv in scenario.invariants] == [
        "2024-01-17 pakistan-recalls-ambassador moved PAK-IRN from strained to envoys_recalled",
        None,
        "2024-01-16 iran-strikes-pakistan moved PAK-IRN from normal to strained",
        "2024-01-16 after iran-strikes-pakistan: tension < 0.3 is false on PAK-IRN in strained "
        "(tension=0.4)",
        None,
    ]


def test_the_replay_keeps_its_claims() -> None:
    """scenarios/jan2024.yaml states what the articles report; the replay must bear it out."""
    scenario = load_scenario(JAN2024)
    assert scenario.expect
    assert scenario.invariants
    results = check_runs(scenario, [(0, simulate(scenario))])
    assert [(r.name, r.passed) for r in results] == [
        *((f"expect[{i}]", True) for i in range(len(scenario.expect))),
        *((f"invariants[{i}]", True) for i in range(len(scenario.invariants))),
    ]


# --- many runs ----------------------------------------------------------------------------------

STOCHASTIC = SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml"


def whatif_with_claims(tmp_path: Path, claims: str) -> Path:
    path = tmp_path / "w.yaml"
    path.write_text(f"extends: {STOCHASTIC}\n" + textwrap.dedent(claims), encoding="utf-8")
    return path


def test_a_bound_is_judged_on_the_share_of_runs_with_its_interval(tmp_path: Path) -> None:
    path = whatif_with_claims(
        tmp_path,
        """
        expect:
          - {relation: PAK-IRN, final: normal, at_least: 0.5}
          - {relation: PAK-IRN, final: normal, at_least: 0.9}
          - {relation: PAK-IRN, final: normal, at_most: 0.5}
          - {relation: PAK-IRN, final: normal}
        """,
    )
    scenario = load_scenario(path)
    assert is_stochastic(scenario)
    sim = Simulator(scenario)
    tally = Tally(scenario, 400)
    finals = []
    for k in range(400):
        trace = sim.run(derive_seed(0, k))
        finals.append(trace.final[0].state == "normal")
        tally.add(trace, k)
    results = tally.results()[:4]  # then the invariants inherited from jan2024.yaml
    share = sum(finals) / len(finals)
    assert 0.5 < share < 0.9  # the scenario is a real coin: the bounds below bite
    assert [r.passed for r in results] == [True, False, False, False]
    assert results[0].share is not None
    assert results[0].share.share == pytest.approx(share)
    assert results[0].share.low < share < results[0].share.high
    assert results[0].evidence.startswith(f"{share:.1%} of 400 runs (95% interval ")
    first_fail = finals.index(False)
    assert results[3].evidence.startswith(
        f"failed in {finals.count(False)} of 400 runs; first: run {first_fail} "
        f"(seed {derive_seed(0, first_fail)}): PAK-IRN ended in "
    )


def test_a_whatif_keeps_its_bases_invariants_but_not_its_expectations(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(f"extends: {JAN2024}\ntitle: x\n", encoding="utf-8")
    base, whatif = load_scenario(JAN2024), load_scenario(path)
    assert base.expect
    assert whatif.expect == ()
    assert whatif.invariants == base.invariants


def test_deterministic_scenarios_are_not_stochastic() -> None:
    assert not is_stochastic(load_scenario(JAN2024))
    assert not is_stochastic(load_scenario(SCENARIOS / "whatif" / "reactions-as-rules.yaml"))
    assert is_stochastic(load_scenario(STOCHASTIC))


# --- exploring ----------------------------------------------------------------------------------


def test_explore_finds_and_shrinks_a_counterexample(tmp_path: Path) -> None:
    path = with_claims(
        tmp_path,
        """
        invariants:
          - {never: envoys_recalled}
          - {always: tension <= 1}
        """,
    )
    scenario = load_scenario(path)
    result = explore(scenario, 50, seed=3)
    assert [c.invariant for c in result.counterexamples] == [0]
    found = result.counterexamples[0]
    # One recall is enough from the initial state: the shrinker must get down to it.
    assert [e.type for e in found.events] == ["recall_ambassador"]
    assert found.trace is not None
    assert first_violation(scenario.invariants[0], found.trace, scenario) == found.violation
    assert explore(scenario, 50, seed=3) == result  # seeded: the same hunt finds the same


@functools.cache
def _jan2024() -> Scenario:
    return load_scenario(JAN2024)


@given(seed=st.integers(0, 2**32))
def test_explore_never_reports_an_invariant_that_holds(seed: int) -> None:
    """tension stays within its declared bounds by construction: no counterexample exists."""
    result = explore(_jan2024(), 5, seed=seed)
    assert result.counterexamples == ()
