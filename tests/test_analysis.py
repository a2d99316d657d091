"""Static analysis (``check.analysis``): one small scenario per finding, as the user sees it.

Each test edits :data:`BASE` — a clean scenario: every state reachable and left, every trigger
fired and handled — and checks the exact findings, printed as ``file:line:col: severity:
key.path: message [code]``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, note

from simulator.check.analysis import Finding, analyse
from simulator.core.errors import Location
from simulator.engine.simulation import simulate
from simulator.scenario.loading import load_scenario_with_origin, scenario_from_text
from simulator.scenario.model import Scenario
from simulator.scenario.yamlread import read_yaml
from tests.conftest import JAN2024, SCENARIOS, scenario_files
from tests.strategies import scenarios

FILE = "t.yaml"

# Line numbers matter: the tests below quote them.
BASE = """\
dipsim: 1
title: Analysis
start: 2024-01-01
end: 2024-01-10
sources:
  w: {publisher: Somebody}
actors:
  AAA: {name: A}
  BBB: {name: B}
event_types:
  strike: {codes: {goldstein: -10.0}}
  talk: {codes: {goldstein: 2.0}}
machine:
  states: [calm, tense]
  initial: calm
  transitions:
    - {trigger: strike, source: calm, dest: tense}
    - {trigger: talk, source: tense, dest: calm}
variables:
  tension: {min: 0, max: 1, initial: 0.1, per_goldstein: -0.03}
  trust: {min: 0, max: 1, initial: 0.5}
relations:
  - pair: [AAA, BBB]
events:
  - {id: e1, date: 2024-01-02, type: strike, actor: AAA, target: BBB, summary: s, source: {ref: w}}
  - {id: e2, date: 2024-01-03, type: talk, actor: BBB, target: AAA, summary: t, source: {ref: w}}
"""

STRIKE = "    - {trigger: strike, source: calm, dest: tense}\n"


def edit(old: str, new: str, text: str = BASE) -> str:
    """``text`` with its first ``old`` replaced by ``new`` (which must be there)."""
    assert old in text, f"{old!r} is not in the scenario"
    return text.replace(old, new, 1)


def findings(text: str) -> list[Finding]:
    return analyse(scenario_from_text(text, FILE), read_yaml(text, FILE).locate)


def shown(text: str) -> list[str]:
    return [str(f) for f in findings(text)]


def with_guard(guard: str, on: str = STRIKE) -> str:
    return edit(on, on.replace("}", f", guard: {guard!r}}}"))


def test_clean_scenario_has_no_findings() -> None:
    assert findings(BASE) == []


def test_finding_fields_and_text() -> None:
    text = edit("states: [calm, tense]", "states: [calm, tense, lost]")
    (found,) = findings(text)
    assert found == Finding(
        severity="warning",
        code="unreachable-state",
        location=Location(FILE, 14, 25),
        key_path=("machine", "states", 2),
        message=(
            "state 'lost' cannot be reached: no chain of transitions leads to it from the "
            "initial state 'calm', so no relation is ever in it; add a transition into it or "
            "remove it"
        ),
    )
    assert str(found) == (
        "t.yaml:14:25: warning: machine.states[2]: state 'lost' cannot be reached: no chain of "
        "transitions leads to it from the initial state 'calm', so no relation is ever in it; "
        "add a transition into it or remove it [unreachable-state]"
    )


# --- States -----------------------------------------------------------------------------------


def test_a_relation_initial_state_counts_as_a_start() -> None:
    text = edit("states: [calm, tense]", "states: [calm, tense, lost]")
    text = edit(
        "    - {trigger: talk,",
        "    - {trigger: talk, source: lost, dest: calm}\n" + "    - {trigger: talk,",
        text,
    )
    assert [f.code for f in findings(text)] == ["unreachable-state"]
    text = edit("  - pair: [AAA, BBB]", "  - {pair: [AAA, BBB], initial: lost}", text)
    assert findings(text) == []


def test_dead_end_state() -> None:
    text = edit(
        "    - {trigger: talk, source: tense, dest: calm}\n",
        "    - {trigger: talk, source: tense, dest: tense}\n",
    )
    assert shown(text) == [
        "t.yaml:14:18: warning: machine.states[1]: state 'tense' is a dead end: no transition "
        "leads out of it, so a relation that enters it stays there; add a way out, or mark it "
        "'final: true' if that is intended [dead-end-state]"
    ]


def test_a_final_state_may_be_a_dead_end_but_says_so_when_it_is_left() -> None:
    final = edit("states: [calm, tense]", "states: [calm, {name: tense, final: true}]")
    assert shown(final) == [
        "t.yaml:14:18: info: machine.states[1]: state 'tense' is marked final, yet "
        "transitions[1] (talk: tense → calm) lead(s) out of it: the engine does not stop at "
        "final states [final-state-has-exits]"
    ]
    no_exit = edit("    - {trigger: talk, source: tense, dest: calm}\n", "", final)
    assert [f.code for f in findings(no_exit)] == ["unhandled-trigger"]


def test_a_one_state_machine_is_no_dead_end() -> None:
    text = edit("states: [calm, tense]", "states: [calm]")
    text = edit(STRIKE, "    - {trigger: strike, source: calm, dest: calm}\n", text)
    text = edit(
        "    - {trigger: talk, source: tense, dest: calm}\n",
        "    - {trigger: talk, source: calm, dest: calm}\n",
        text,
    )
    assert findings(text) == []


# --- Triggers ---------------------------------------------------------------------------------


def test_scripted_event_that_changes_nothing_is_a_note() -> None:
    """A scripted event may only record what happened (the replay's statement that the dead
    were not Iranian); a rule response that does nothing is another matter (below)."""
    text = edit("  talk: {codes: {goldstein: 2.0}}", "  talk: {}\n  note_it: {}")
    text = edit("type: talk, actor: BBB", "type: note_it, actor: BBB", text)
    assert shown(text) == [
        "t.yaml:19:7: info: machine.transitions[1]: transitions[1] (talk: tense → calm) never "
        "fires: no event has type 'talk' and no rule that can fire responds with it "
        "[unfired-trigger]",
        "t.yaml:27:38: info: events[1].type: event 'e2' is only recorded: no transition "
        "takes trigger 'note_it', no variable moves and no rule matches [unhandled-trigger]",
    ]


def test_unhandled_trigger_that_moves_a_variable_is_info() -> None:
    text = edit("  talk: {codes: {goldstein: 2.0}}", "  talk: {}\n  call: {codes: {goldstein: 1}}")
    text = edit("type: talk, actor: BBB", "type: call, actor: BBB", text)
    unhandled = [f for f in findings(text) if f.code == "unhandled-trigger"]
    assert [str(f) for f in unhandled] == [
        "t.yaml:27:38: info: events[1].type: no transition takes trigger 'call', so event 'e2' "
        "is always recorded as no_transition (still moving 'tension') [unhandled-trigger]"
    ]


def test_unhandled_trigger_of_a_rule_response() -> None:
    text = edit(
        "  talk: {codes: {goldstein: 2.0}}", "  talk: {codes: {goldstein: 2.0}}\n  protest: {}"
    )
    text += "rules:\n  - id: r1\n    when: {type: strike}\n    respond: {type: protest}\n"
    assert shown(text) == [
        "t.yaml:31:21: warning: rules[0].respond.type: the responses of rule 'r1' are only "
        "recorded: no transition takes trigger 'protest', no variable moves and no rule "
        "matches; add a transition, effects or codes, or drop the rule [unhandled-trigger]"
    ]


def test_a_rule_response_fires_a_trigger() -> None:
    text = edit("  - {id: e2,", "  - {id: e2x,")
    text = edit("type: talk, actor: BBB", "type: strike, actor: BBB", text)
    assert [f.code for f in findings(text)] == ["unfired-trigger"]
    text += "rules:\n  - id: r1\n    when: {type: strike}\n    respond: {type: talk}\n"
    assert findings(text) == []
    disabled = text + "    enabled: false\n"
    assert [f.code for f in findings(disabled)] == ["unfired-trigger"]


# --- Guards -----------------------------------------------------------------------------------
# Which guards hold never, always, or neither is decided by simulator.check.intervals and tested in
# tests/test_intervals.py; here, that the decisions become findings, with the facts they rest on.


@pytest.mark.parametrize(
    ("guard", "given"),
    [
        ("tension > 1.5", "given tension in [0, 1]"),
        ("tension > 0.8 and trust > 2", "given tension in [0, 1], trust in [0, 1]"),
        ("tension > limit", "given tension in [0, 1], limit = 1"),
        ("false", "whatever the variables' values"),
    ],
)
def test_unsatisfiable_guard(guard: str, given: str) -> None:
    text = with_guard(guard) + "parameters: {limit: 1}\n"
    assert shown(text) == [
        f"t.yaml:17:59: warning: machine.transitions[0].guard: guard {guard!r} can never hold "
        f"{given}: transitions[0] (strike: calm → tense) never fires; correct the guard or the "
        "bounds [unsatisfiable-guard]"
    ]


@pytest.mark.parametrize("guard", ["tension >= 0", "true"])
def test_always_true_guard(guard: str) -> None:
    assert [(f.severity, f.code, f.key_path) for f in findings(with_guard(guard))] == [
        ("info", "always-true-guard", ("machine", "transitions", 0, "guard"))
    ]


@pytest.mark.parametrize("guard", ["tension >= 0.6", "tension > trust + 2", "tension > 2 * limit"])
def test_possible_or_undecidable_guards_give_no_finding(guard: str) -> None:
    assert findings(with_guard(guard) + "parameters: {limit: 0.25}\n") == []


def test_the_bounds_are_the_variables_declared_ones() -> None:
    assert [f.code for f in findings(with_guard("tension > 1"))] == ["unsatisfiable-guard"]
    wider = edit(
        "tension: {min: 0, max: 1,", "tension: {min: 0, max: 2,", with_guard("tension > 1")
    )
    assert findings(wider) == []


def test_rule_guards_are_checked() -> None:
    text = BASE + (
        "rules:\n"
        "  - id: r1\n"
        "    when: {type: strike, guard: tension > 2}\n"
        "    respond: {type: talk}\n"
        "    cancel_on: {type: talk, guard: tension >= 0}\n"
    )
    assert shown(text) == [
        "t.yaml:29:33: warning: rules[0].when.guard: guard 'tension > 2' can never hold given "
        "tension in [0, 1]: rule 'r1' never fires; correct the guard or the bounds "
        "[unsatisfiable-guard]",
        "t.yaml:31:36: info: rules[0].cancel_on.guard: guard 'tension >= 0' always holds given "
        "tension in [0, 1], so it decides nothing; drop it or correct it [always-true-guard]",
    ]


# --- Competing transitions --------------------------------------------------------------------

DEST = "    - {trigger: strike, source: calm, dest: calm, guard: 'GUARD'}\n"


def competing(first: str | None, second: str | None, source: str = "calm") -> str:
    """BASE whose strike transitions are: calm → tense (``first``), then source → calm."""
    text = with_guard(first) if first else BASE
    extra = f"    - {{trigger: strike, source: {source}, dest: calm"
    extra += f", guard: {second!r}}}\n" if second else "}\n"
    return edit("    - {trigger: talk,", extra + "    - {trigger: talk,", text)


def test_overlapping_guards_can_both_hold() -> None:
    assert shown(competing("tension > 0.5", "tension > 0.3")) == [
        "t.yaml:18:7: warning: machine.transitions[1]: transitions[1] (strike: calm → calm) and "
        "transitions[0] (strike: calm → tense) both take trigger 'strike' from 'calm', and "
        "their guards can hold at once: then transitions[0] fires (transitions are tried in "
        "the order declared and the first whose guard holds fires); make the guards exclusive, "
        "or check the order is the one you mean [nondeterministic-transitions]"
    ]


def test_undecidable_guards_may_both_hold() -> None:
    (found,) = findings(competing("tension * trust > 0.5", "tension > 0.3", source="'*'"))
    assert (found.severity, found.code, found.key_path) == (
        "warning",
        "nondeterministic-transitions",
        ("machine", "transitions", 1),
    )
    assert "their guards may hold at once" in found.message


def test_exclusive_guards_or_sources_do_not_compete() -> None:
    assert findings(competing("tension > 0.5", "tension <= 0.5")) == []
    assert findings(competing("tension > 0.5", "not (tension > 0.5)")) == []
    assert findings(competing(None, None, source="tense")) == []
    # A transition that never fires competes with nothing.
    assert [f.code for f in findings(competing("tension > 2", None))] == ["unsatisfiable-guard"]


def test_a_transition_shadowed_by_an_earlier_one() -> None:
    assert shown(competing("tension > 0.3", "tension > 0.5", source="[calm, tense]")) == [
        "t.yaml:18:7: warning: machine.transitions[1]: transitions[1] (strike: calm, tense → "
        "calm) can never fire from 'calm': transitions[0] (strike: calm → tense) takes the same "
        "trigger and its guard holds whenever this one's does (transitions are tried in the "
        "order declared and the first whose guard holds fires); remove one, or make their "
        "guards exclusive [nondeterministic-transitions]"
    ]
    assert [f.code for f in findings(competing(None, None, source="'*'"))] == [
        "nondeterministic-transitions"
    ]


def test_an_unguarded_fallback_is_info() -> None:
    assert shown(competing("tension > 0.5", None)) == [
        "t.yaml:18:7: info: machine.transitions[1]: transitions[1] (strike: calm → calm) is the "
        "fallback of transitions[0] (strike: calm → tense) from 'calm': it fires only when "
        "'tension > 0.5' does not hold (transitions are tried in the order declared and the "
        "first whose guard holds fires) [nondeterministic-transitions]"
    ]


# --- Rules ------------------------------------------------------------------------------------

PING_PONG = BASE + (
    "rules:\n"
    "  - id: answer-talk\n"
    "    when: {type: talk}\n"
    "    respond: {type: strike}\n"
    "    delay: 1\n"
    "  - id: answer-strike\n"
    "    when: {type: strike}\n"
    "    respond: {type: talk}\n"
    "    delay: 1\n"
)


def test_unbounded_cascade() -> None:
    assert shown(PING_PONG) == [
        "t.yaml:28:5: warning: rules[0]: rules 'answer-talk', 'answer-strike' can set each other "
        "off in a cycle without end: none has max_fires, so only max_responses (1000) stops the "
        "cascade; set max_fires, or a cancel_on that ends the exchange [unbounded-cascade]"
    ]


def test_a_rule_answering_itself() -> None:
    text = BASE + "max_responses: 5\nrules:\n  - id: tit-for-tat\n    when: {type: strike}\n"
    text += "    respond: {type: strike}\n    delay: 1\n"
    assert shown(text) == [
        "t.yaml:29:5: warning: rules[0]: rule 'tit-for-tat' can answer its own responses "
        "('strike' matches its when) without end: none has max_fires, so only max_responses "
        "(5) stops the cascade; set max_fires, or a cancel_on that ends the exchange "
        "[unbounded-cascade]"
    ]


FIRST_RULE_END = "    delay: 1\n  - id: answer-strike"


@pytest.mark.parametrize(
    "changes",
    [
        [(FIRST_RULE_END, "    max_fires: 3\n  - id: answer-strike")],
        [(FIRST_RULE_END, "    enabled: false\n  - id: answer-strike")],
        [(FIRST_RULE_END, "    probability: 0\n  - id: answer-strike")],
        # answer-talk's strikes come from AAA, and answer-strike answers only BBB's.
        [
            ("respond: {type: strike}", "respond: {type: strike, actor: AAA, target: BBB}"),
            ("when: {type: strike}", "when: {type: strike, actor: BBB}"),
        ],
    ],
    ids=["max_fires", "disabled", "probability-0", "actors"],
)
def test_a_cascade_is_broken_by(changes: list[tuple[str, str]]) -> None:
    text = PING_PONG
    for old, new in changes:
        text = edit(old, new, text)
    assert "unbounded-cascade" not in [f.code for f in findings(text)]


def test_cascade_over_actor_roles() -> None:
    # Like reactions-as-rules.yaml: the side struck answers; a strike by BBB is not answered.
    text = BASE + (
        "rules:\n"
        "  - id: retaliation\n"
        "    when: {type: strike, actor: AAA, target: BBB}\n"
        "    respond: {type: strike}\n"
    )
    assert findings(text) == []
    both_ways = edit("strike, actor: AAA, target: BBB}", "strike, target: [AAA, BBB]}", text)
    assert [f.code for f in findings(both_ways)] == ["unbounded-cascade"]


def test_rule_that_never_matches() -> None:
    text = edit(
        "  talk: {codes: {goldstein: 2.0}}", "  talk: {codes: {goldstein: 2.0}}\n  sign: {}"
    )
    text += "rules:\n  - id: r1\n    when: {type: sign}\n    respond: {type: talk}\n"
    assert shown(text) == [
        "t.yaml:30:11: warning: rules[0].when: rule 'r1' never fires: no event has type 'sign' "
        "and no rule that can fire responds with it [rule-never-matches]"
    ]


def test_unused_event_type() -> None:
    text = edit(
        "  talk: {codes: {goldstein: 2.0}}", "  talk: {codes: {goldstein: 2.0}}\n  sign: {}"
    )
    assert shown(text) == [
        "t.yaml:13:9: info: event_types.sign: event type 'sign' is declared but no event, "
        "transition or rule uses it [unused-event-type]"
    ]


# --- Shipped scenarios ------------------------------------------------------------------------


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_shipped_scenarios_analyse(path: Path) -> None:
    loaded = load_scenario_with_origin(path)
    found = analyse(loaded.scenario, loaded.document.locate)
    assert found == analyse(loaded.scenario, loaded.document.locate)
    assert all(f.code and f.message for f in found)


def test_jan2024_findings() -> None:
    """The replay's event types without transitions move tension, except the one statement,
    which changes nothing at all: all notes, so `dipsim check --strict` passes the replay."""
    loaded = load_scenario_with_origin(JAN2024)
    found = analyse(loaded.scenario, loaded.document.locate)
    assert [(f.severity, f.code) for f in found] == [("info", "unhandled-trigger")] * 14
    assert found[3].key_path == ("events", 12, "type")
    assert "'iran-confirms-dead-not-iranian'" in found[3].message


def test_a_whatif_that_removes_a_premise_is_warned(tmp_path: Path) -> None:
    """Removing Iran's strike but keeping the return of ambassadors leaves a return to a
    relation that never recalled anyone: a warning at the kept event, naming its removed causes.
    The shipped what-ifs (which move or remove events with their consequences) get none."""
    path = tmp_path / "w.yaml"
    path.write_text(
        f"dipsim: 1\nextends: {JAN2024}\nedits:\n  - remove: iran-strikes-pakistan\n"
        "    keep: ambassadors-return\n",
        encoding="utf-8",
    )
    loaded = load_scenario_with_origin(path)
    assert loaded.base is not None
    found = analyse(loaded.scenario, loaded.document.locate, loaded.base.scenario)
    gone = [f for f in found if f.code == "premise-gone"]
    assert [(f.severity, loaded.scenario.events[int(f.key_path[1])].id) for f in gone] == [
        ("warning", "ambassadors-return")
    ]
    assert "'pakistan-recalls-ambassador'" in gone[0].message
    assert "PAK-IRN can only be 'normal'" in gone[0].message
    for whatif in sorted((SCENARIOS / "whatif").glob("*.yaml")):
        shipped = load_scenario_with_origin(whatif)
        assert shipped.base is not None
        codes = {
            f.code
            for f in analyse(shipped.scenario, lambda _p: Location("x"), shipped.base.scenario)
        }
        assert "premise-gone" not in codes, whatif.name


def test_escalation_machine_findings() -> None:
    loaded = load_scenario_with_origin(SCENARIOS / "whatif" / "escalation-machine.yaml")
    found = analyse(loaded.scenario, loaded.document.locate)
    other = [(f.severity, f.code, f.key_path) for f in found if f.code != "unhandled-trigger"]
    assert other == [
        ("info", "nondeterministic-transitions", ("machine", "transitions", 1)),
        ("warning", "unbounded-cascade", ("rules", 0)),
    ]


# --- Properties -------------------------------------------------------------------------------


def _states(scenario: Scenario, found: list[Finding], code: str) -> set[str]:
    """The names of the states findings of ``code`` are about."""
    indices = [f.key_path[2] for f in found if f.code == code]
    return {scenario.machine.states[i].name for i in indices if isinstance(i, int)}


@given(scenarios(max_events=20))
def test_unreachable_states_are_never_entered_and_dead_ends_never_left(scenario: Scenario) -> None:
    found = analyse(scenario, lambda _path: Location("x"))
    unreachable = _states(scenario, found, "unreachable-state")
    dead_ends = _states(scenario, found, "dead-end-state")
    note(f"unreachable {unreachable}, dead ends {dead_ends}")
    trace = simulate(scenario)
    for rec in trace.records:
        assert rec.after not in unreachable
        if rec.before in dead_ends:
            assert rec.after == rec.before
    assert unreachable.isdisjoint(f.state for f in trace.final)


@given(scenarios(max_events=10))
def test_findings_are_deterministic_and_sorted(scenario: Scenario) -> None:
    def locate(path: tuple[str | int, ...]) -> Location:
        return Location("x", len(path), sum(p if isinstance(p, int) else 1 for p in path))

    found = analyse(scenario, locate)
    assert found == analyse(scenario, locate)
    keys = [(f.location.line or 0, f.location.column or 0, f.code) for f in found]
    assert keys == sorted(keys)
