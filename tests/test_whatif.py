"""What-if files and edits: extends, overrides, edits as pure functions, causes, errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.core.errors import ScenarioError
from simulator.engine.simulation import simulate
from simulator.engine.trace import Record
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario
from simulator.scenario.whatif import (
    EditError,
    consequences,
    parse_path,
    remove_events,
    set_value,
    shift_events,
)
from tests.conftest import JAN2024, SCENARIOS
from tests.strategies import scenarios


@pytest.fixture(scope="module")
def jan() -> Scenario:
    return load_scenario(JAN2024)


def whatif(tmp_path: Path, body: str, name: str = "w.yaml") -> Path:
    """A what-if file extending jan2024.yaml, written into ``tmp_path``."""
    path = tmp_path / name
    path.write_text(f"extends: {JAN2024}\n{body}", encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p).replace(str(path), path.name) for p in caught.value.problems]


def ids(s: Scenario) -> list[str]:
    return [e.id for e in s.events]


# --- causes --------------------------------------------------------------------------------


def test_consequences_are_transitive(jan: Scenario) -> None:
    """Removing Iran's strike on Pakistan reaches everything it caused, and what that caused:
    down to the return of ambassadors the recall made necessary, and the visit; not the
    killings of 27 January, nor Iran's strike on Iraq, which rest on nothing in the crisis."""
    found = consequences(jan, ["iran-strikes-pakistan"])
    assert {
        "pakistan-recalls-ambassador",
        "pakistan-strikes-iran",
        "iran-summons-pakistani-envoy",  # caused by Pakistan's strike
        "iran-confirms-dead-not-iranian",
        "usa-urges-restraint",
        "second-phone-call",
        "agreement-to-deescalate",
        "ambassadors-return",  # no recall, no one to return
        "foreign-minister-visit",
    } <= found
    assert not {"saravan-killings", "iran-strikes-iraq-syria", "iraq-recalls-ambassador"} & found


def test_remove_keeps_what_is_kept_and_drops_dangling_causes(jan: Scenario) -> None:
    """A kept consequence stays, without the removed event among its causes; the input scenario
    is unchanged (edits are pure)."""
    before = jan.model_dump()
    out = remove_events(jan, ["pakistan-strikes-iran"], keep=["usa-urges-restraint"])
    assert "pakistan-strikes-iran" not in ids(out)
    assert "iran-summons-pakistani-envoy" not in ids(out)
    kept = next(e for e in out.events if e.id == "usa-urges-restraint")
    assert kept.caused_by == ("iran-strikes-pakistan",)
    assert jan.model_dump() == before


@given(scenarios(max_events=12), st.data())
def test_removing_an_event_without_dependants_removes_only_it(
    s: Scenario, data: st.DataObject
) -> None:
    """Removing an event no other event names as a cause removes that event and nothing else;
    and when it changed neither state nor variables, the rest of the trace is unchanged."""
    lonely = [e.id for e in s.events if not any(e.id in o.caused_by for o in s.events)]
    if not lonely:
        return
    gone = data.draw(st.sampled_from(lonely))
    out = remove_events(s, [gone])
    assert ids(out) == [i for i in ids(s) if i != gone]
    base = simulate(s)
    record = next(r for r in base.records if r.event == gone)
    if record.outcome == "no_transition" and not s.variables:
        assert [r for r in base.records if r.event != gone] == list(simulate(out).records)


# --- edit functions ------------------------------------------------------------------------


def test_shift_by_and_to(jan: Scenario) -> None:
    """shift moves an event by days or to a date; with_consequences moves what it caused too."""
    by = shift_events(jan, ["ambassadors-return"], by=14)
    assert next(e for e in by.events if e.id == "ambassadors-return").date == dt.date(2024, 2, 9)
    half = shift_events(jan, ["ambassadors-return"], by=0.5)
    moved = next(e for e in half.events if e.id == "ambassadors-return")
    assert (moved.date, moved.time) == (dt.date(2024, 1, 26), dt.time(12))
    to = shift_events(jan, ["joint-statement"], to=dt.date(2024, 1, 20), with_consequences=True)
    dates = {e.id: e.date for e in to.events}
    assert dates["joint-statement"] == dt.date(2024, 1, 20)
    assert dates["ambassadors-return"] == dt.date(2024, 1, 24)  # kept its 4-day distance


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("variables.tension.decay_per_day", ["variables", "tension", "decay_per_day"]),
        ("rules[retaliation].probability", ["rules", "retaliation", "probability"]),
        ("machine.transitions[3].guard", ["machine", "transitions", 3, "guard"]),
        ("relations[PAK-IRN].initial", ["relations", "PAK-IRN", "initial"]),
    ],
)
def test_paths_parse(path: str, parts: list[Any]) -> None:
    """Paths are dotted keys with [index] or [name] selectors."""
    assert parse_path(path) == parts


def test_set_values_by_path(jan: Scenario) -> None:
    """set reaches variables, transitions by trigger, relations by pair and events by id."""
    s = set_value(jan, "variables.tension.decay_per_day", 0.2)
    assert s.variables["tension"].decay_per_day == 0.2
    s = set_value(jan, "machine.transitions[militant_attack].guard", "tension >= 0.2")
    t = next(t for t in s.machine.transitions if t.trigger == "militant_attack")
    assert t.guard is not None
    assert t.guard.text == "tension >= 0.2"
    assert simulate(s).states_on(dt.date(2024, 1, 27))["PAK-IRN"] == "strained"
    s = set_value(jan, "relations[IRN-PAK].initial", "strained")
    assert s.relations[0].initial == "strained"
    s = set_value(jan, "events[ambassadors-return].date", "2024-01-30")
    assert next(e for e in s.events if e.id == "ambassadors-return").date == dt.date(2024, 1, 30)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("machine.transitions[bogus].guard", "machine.transitions: nothing named 'bogus'"),
        ("machine.transitions[99].guard", "machine.transitions: index 99 is out of range (0..7)"),
        ("variabels.tension.max", "the scenario has no 'variabels' (did you mean 'variables'?)"),
        ("title.x", "title is a single value; it has no 'x'"),
        ("a..b", "cannot read the path 'a..b' near '..'"),
    ],
)
def test_set_errors_name_the_problem(jan: Scenario, path: str, message: str) -> None:
    """A path that does not lead anywhere is an EditError saying where it stops."""
    with pytest.raises(EditError) as caught:
        set_value(jan, path, 1)
    assert str(caught.value).startswith(message)


# --- what-if files -------------------------------------------------------------------------


def test_whatif_file_applies_overrides_then_edits(tmp_path: Path) -> None:
    """A what-if replaces its title, merges parameters, appends rules and applies edits in
    order."""
    path = whatif(
        tmp_path,
        """\
title: No retaliation
parameters: {threshold: 0.6}
rules:
  - {id: counter, when: {type: recall_ambassador}, respond: {type: summon_diplomat},
     probability: 0}
edits:
  - remove: pakistan-strikes-iran
  - set: machine.transitions[militant_attack].guard
    value: tension >= threshold
""",
    )
    s = load_scenario(path)
    assert s.title == "No retaliation"
    assert s.parameters == {"threshold": 0.6}
    assert [r.id for r in s.rules] == ["counter"]
    assert "pakistan-strikes-iran" not in ids(s)
    assert "iran-summons-pakistani-envoy" not in ids(s)


def test_whatif_of_a_whatif(tmp_path: Path) -> None:
    """extends chains: a what-if may extend another what-if."""
    whatif(tmp_path, "edits:\n  - remove: pakistan-strikes-iran\n", "first.yaml")
    second = tmp_path / "second.yaml"
    second.write_text(
        "extends: first.yaml\nedits:\n  - shift: ambassadors-return\n    by: 2\n", encoding="utf-8"
    )
    s = load_scenario(second)
    assert "pakistan-strikes-iran" not in ids(s)
    assert next(e for e in s.events if e.id == "ambassadors-return").date == dt.date(2024, 1, 28)


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    """A chain of extends that comes back on itself is refused, naming the cycle."""
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "a.yaml")
    (problem,) = caught.value.problems
    assert "extends makes a cycle:" in problem.message
    assert str(problem.location) == f"{tmp_path / 'b.yaml'}:1:10"


def test_missing_base_is_located(tmp_path: Path) -> None:
    """extends of a file that does not exist is an error at the extends key."""
    path = tmp_path / "w.yaml"
    path.write_text("extends: nowhere.yaml\n", encoding="utf-8")
    assert problems(path) == [
        "w.yaml:1:10: extends: no scenario file 'nowhere.yaml' (paths are relative to this file)"
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "edits:\n  - remove: pakistan-strike-iran\n",
            [
                "w.yaml:3:5: edits[0]: no event 'pakistan-strike-iran' (did you mean "
                "'pakistan-strikes-iran'?)"
            ],
        ),
        (
            "edits:\n  - shift: ambassadors-return\n",
            ["w.yaml:3:5: edits[0]: a shift needs exactly one of 'by' (days) or 'to' (a date)"],
        ),
        (
            "edits:\n  - {remove: x, add: {}}\n",
            [
                "w.yaml:3:5: edits[0]: an edit has exactly one of remove, add, replace, shift, "
                "set, add_rule, remove_rule (found remove, add)"
            ],
        ),
        ("edits:\n  - remove_rule: nothing\n", ["w.yaml:3:5: edits[0]: no rule 'nothing'"]),
        (
            "edits:\n  - replace: saravan-killings\n    with: {actr: UNK}\n",
            [
                "w.yaml:3:5: events[23].actr: after edits[0]: unknown key 'actr' (did you mean "
                "'actor'?); allowed here: id, date, time, type, actor, target, relation, summary, "
                "codes, effects, source, date_basis, date_note, caused_by, note, relations, joint, "
                "supports, opposes, mediates"
            ],
        ),
        (
            "edits:\n  - replace: saravan-killings\n    with: {actor: GUN}\n",
            [
                "w.yaml:3:5: events[23].actor: after edits[0]: unknown actor 'GUN' (did you mean "
                "'UNK'?); known: PAK, IRN, IRQ, USA, EU, CHN, UNK"
            ],
        ),
        (
            "events: []\n",
            [
                "w.yaml:2:1: events: a what-if cannot set 'events': add events with "
                "edits ('add: {...}')"
            ],
        ),
    ],
)
def test_edit_errors_are_located(tmp_path: Path, body: str, expected: list[str]) -> None:
    """Every edit that names something missing, or breaks the scenario, is reported at the edit."""
    assert problems(whatif(tmp_path, body)) == expected


def test_a_shift_that_breaks_the_order_of_causes_says_how_to_move_both(tmp_path: Path) -> None:
    """Moving an event before its cause names the cause to shift with its consequences, and
    that edit loads; moving a cause past what it caused names with_consequences."""
    early = "edits:\n  - shift: ambassadors-return\n    to: 2024-01-20\n"
    assert problems(whatif(tmp_path, early)) == [
        "w.yaml:3:5: events[22].caused_by: after edits[0]: cause 'joint-statement' "
        "(2024-01-22 00:00) comes after this event (2024-01-20 00:00); to move both, shift its "
        "cause 'joint-statement' with 'with_consequences: true' (the events it caused move "
        "with it)"
    ]
    late = "end: 2024-02-15\nedits:\n  - shift: joint-statement\n    to: 2024-01-27\n"
    found = problems(whatif(tmp_path, late))
    assert found
    assert all(f.endswith("which it caused, then moves with it") for f in found)
    fixed = load_scenario(whatif(tmp_path, f"{late}    with_consequences: true\n"))
    dates = {e.id: e.date for e in fixed.events}
    assert dates["joint-statement"] == dt.date(2024, 1, 27)
    assert dates["ambassadors-return"] == dt.date(2024, 1, 31)


def test_a_whatifs_claims_are_judged_after_its_edits(tmp_path: Path) -> None:
    """A what-if's expect may name an event its edits add, and may not name one they remove."""
    added = (
        "edits:\n  - add: {id: extra-call, date: 2024-01-20, type: phone_call, actor: PAK,"
        " target: IRN, summary: A call., source: {ref: pak-mofa-call}}\n"
        "expect:\n  - {event: extra-call, outcome: no_transition}\n"
    )
    assert load_scenario(whatif(tmp_path, added)).expect[0].event == "extra-call"
    removed = (
        "edits:\n  - remove: saravan-killings\n"
        "expect:\n  - {event: saravan-killings, outcome: rejected}\n"
    )
    [problem] = problems(whatif(tmp_path, removed))
    assert problem.startswith("w.yaml:5:13: expect[0].event: unknown event 'saravan-killings'")


# --- replay equivalence --------------------------------------------------------------------


def _path(states: list[str]) -> list[str]:
    return [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]


def test_reactions_as_rules_reproduce_the_replay(jan: Scenario) -> None:
    """The variant whose reactions are probability-1 rules with the historical delays makes the
    same state changes on the same days as the scripted replay, ends in the same states, and is
    in the same state at the end of every day, for every relation; and its reactions really are
    rule responses. (Within a day, a response comes after the scripted events of its moment, so
    the order of same-day events may differ.)"""
    rules = load_scenario(SCENARIOS / "whatif" / "reactions-as-rules.yaml")
    scripted, ruled = simulate(jan), simulate(rules, seed=123)
    day = jan.start
    while day <= jan.end:
        assert ruled.states_on(day) == scripted.states_on(day), day
        day += dt.timedelta(days=1)
    for relation in ("PAK-IRN", "IRN-IRQ"):
        assert _path([r.after for r in ruled.records if r.relation == relation]) == _path(
            [r.after for r in scripted.records if r.relation == relation]
        )

    def changes(records: tuple[Record, ...]) -> list[tuple[str, str, str, str]]:
        return [
            (r.date_text, r.relation, r.before, r.after) for r in records if r.before != r.after
        ]

    assert changes(ruled.records) == changes(scripted.records)
    assert [f.state for f in ruled.final] == [f.state for f in scripted.final]
    causes = {r.cause for r in ruled.records}
    assert {
        "rule:recall",
        "rule:retaliation",
        "rule:summons",
        "rule:de-escalation",
        "rule:return-of-ambassadors",
        "rule:visit",
        "rule:bar-envoy",
    } <= causes
    assert not {"pakistan-strikes-iran", "ambassadors-return"} & {r.event for r in ruled.records}


def test_raising_retaliation_probability_does_not_lower_retaliation_share() -> None:
    """Monotonicity, checked with fixed seeds: over 300 seeds, the share of runs in which the
    retaliation rule fires does not fall as its probability rises."""
    from simulator.engine.simulation import Simulator
    from simulator.scenario.whatif import set_value as set_

    rules = load_scenario(SCENARIOS / "whatif" / "reactions-as-rules.yaml")
    shares = []
    for p in (0.0, 0.2, 0.5, 0.8, 1.0):
        sim = Simulator(set_(rules, "rules[retaliation].probability", p))
        fired = sum(
            any(r.cause == "rule:retaliation" for r in sim.run(seed=k).records) for k in range(300)
        )
        shares.append(fired / 300)
    assert shares == sorted(shares)
    assert shares[0] == 0.0
    assert shares[-1] == 1.0
    assert 0.1 < shares[1] < 0.3  # about 0.2: the draws are fair


def test_keep_must_name_a_consequence(jan: Scenario) -> None:
    """A keep that would not be removed anyway is an error (it is almost always a typo'd
    intention)."""
    with pytest.raises(EditError) as caught:
        remove_events(jan, ["pakistan-strikes-iran"], keep=["ambassadors-return"])
    assert str(caught.value) == "keep names 'ambassadors-return', which this edit would not remove"


def test_probability_outside_unit_interval_is_refused(tmp_path: Path) -> None:
    """A rule probability written as a number outside [0, 1] is refused (text would be an
    expression, clamped; a number is not)."""
    path = whatif(
        tmp_path,
        "rules:\n  - {id: r, when: {type: phone_call}, "
        "respond: {type: phone_call}, probability: 1.5}\n",
    )
    assert problems(path) == [
        "w.yaml:3:81: rules[0].probability: probability 1.5 is outside [0, 1]"
    ]


def test_overrides_merge_entries_and_replace_rules_in_place(tmp_path: Path) -> None:
    """A merged section's entry keeps the keys it does not give; a rule with a base rule's id is
    replaced where it stands, as add_rule does."""
    base = tmp_path / "base.yaml"
    base.write_text(
        f"extends: {JAN2024}\nrules:\n"
        "  - {id: a, when: {type: phone_call}, respond: {type: phone_call}, probability: 0}\n"
        "  - {id: b, when: {type: phone_call}, respond: {type: phone_call}, probability: 0}\n",
        encoding="utf-8",
    )
    child = tmp_path / "child.yaml"
    child.write_text(
        "extends: base.yaml\nvariables: {tension: {decay_per_day: 0.2}}\nrules:\n"
        "  - {id: a, when: {type: make_visit}, respond: {type: phone_call}, probability: 0}\n",
        encoding="utf-8",
    )
    s = load_scenario(child)
    tension = s.variables["tension"]
    assert (tension.decay_per_day, tension.per_goldstein, tension.initial) == (0.2, -0.03, 0.1)
    assert [r.id for r in s.rules] == ["a", "b"]
    assert s.rules[0].when.type == ("make_visit",)


def test_set_appends_with_plus(jan: Scenario) -> None:
    """``[+]`` at the end of a path appends to a list: one transition can be added without
    replacing the machine."""
    s = set_value(
        jan,
        "machine.transitions[+]",
        {"trigger": "make_visit", "source": "envoys_recalled", "dest": "restored"},
    )
    assert s.machine.transitions[-1].trigger == "make_visit"
    assert len(s.machine.transitions) == len(jan.machine.transitions) + 1
    with pytest.raises(EditError) as caught:
        set_value(jan, "machine.transitions[+].guard", "x > 1")
    assert str(caught.value) == "machine.transitions: [+] appends, so it must end the path"


def test_key_and_edit_problems_come_together(tmp_path: Path) -> None:
    """An unknown top-level key and malformed edits are reported in one pass, in file order."""
    body = "titel: x\nedits:\n  - shift: ambassadors-return\n  - {remove: a, add: {}}\n"
    assert problems(whatif(tmp_path, body)) == [
        "w.yaml:2:1: titel: a what-if cannot set 'titel' (did you mean 'title'?); it may set: "
        "sources, actors, event_types, variables, parameters, tracks, dipsim, title, description, "
        "start, end, machine, relations, max_responses, invariants, expect, rules, extends, edits",
        "w.yaml:4:5: edits[0]: a shift needs exactly one of 'by' (days) or 'to' (a date)",
        "w.yaml:5:5: edits[1]: an edit has exactly one of remove, add, replace, shift, set, "
        "add_rule, remove_rule (found remove, add)",
    ]
