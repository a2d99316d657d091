"""Joint and third-party acts, and blocs: the format, the engine's effects per relation, and
how every output shows an act (once, with all its parties, marked by its bearing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.core.errors import ScenarioError
from simulator.engine.reference import reference_fold
from simulator.engine.simulation import simulate
from simulator.engine.trace import Trace
from simulator.report.diff import diff_json, diff_traces
from simulator.report.formats import CSV_PARTIES, trace_to_csv, trace_to_json
from simulator.report.table import trace_table
from simulator.scenario.loading import load_scenario, scenario_from_text
from tests.conftest import ROOT

EXAMPLE = ROOT / "scenarios" / "examples" / "third-parties.yaml"

HEAD = """\
dipsim: 1
title: Parties
start: 2024-01-01
end: 2024-01-31
sources: {wire: {publisher: Example Wire}}
actors:
  AAA: {name: A}
  BBB: {name: B}
  CCC: {name: C}
  DDD: {name: D}
  EEE: {name: E}
  BLOC: {name: C and D, kind: group, members: [CCC, DDD]}
event_types:
  back: {codes: {cameo: "051", goldstein: 4.0}}
  appeal: {codes: {cameo: "0256", goldstein: 2.0}}
  strike: {codes: {cameo: "195", goldstein: -10.0}}
machine:
  states: [calm, tense]
  initial: calm
  transitions:
    - {trigger: strike, source: calm, dest: tense}
variables:
  tension: {initial: 0.5, per_goldstein: -0.01}
"""


def scenario(relations: str, *events: str) -> str:
    """A scenario with ``relations`` (YAML list items) and ``events`` (one flow mapping each,
    without id, date, summary and source)."""
    items = "".join(
        f"  - {{id: e{i}, date: 2024-01-0{i + 2}, summary: S., source: {{ref: wire}}, {e}}}\n"
        for i, e in enumerate(events)
    )
    return HEAD + "relations:\n" + relations + "events:\n" + items


def run(text: str) -> Trace:
    return simulate(scenario_from_text(text, "s.yaml"))


def reached(trace: Trace) -> list[tuple[str, str, float | None, float]]:
    """Each record's event, relation, bearing and tension (as the trace rounds it)."""
    return [(r.event, r.relation, r.bearing, r.variables["tension"]) for r in trace.records]


# --- the format -------------------------------------------------------------------------------


def test_an_actor_list_and_a_stance_are_accepted() -> None:
    """``actor: [BHR, ARE]`` (refused before with "got a list"), ``supports`` without a
    target, ``mediates`` and ``joint`` load, and each event knows its stance and sides."""
    s = scenario_from_text(
        scenario(
            "  - pair: [AAA, BBB]\n",
            "type: back, actor: [CCC, DDD], supports: AAA",
            "type: appeal, actor: EEE, mediates: [AAA, BBB]",
            "type: appeal, actor: [AAA, BBB], joint: true",
        ),
        "s.yaml",
    )
    assert [(e.actor, e.target, e.stance, e.sides) for e in s.events] == [
        (("CCC", "DDD"), (), "supports", ("AAA",)),
        (("EEE",), (), "mediates", ("AAA", "BBB")),
        (("AAA", "BBB"), (), "joint", ()),
    ]


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ("type: back, actor: [CCC, DDD]", "an event of several actors needs a 'target'"),
        ("type: back, actor: CCC", "an event needs a 'target' (or, for a third party, a stance"),
        ("type: back, actor: CCC, joint: true", "a joint act has two or more actors"),
        ("type: back, actor: CCC, supports: AAA, mediates: [AAA, BBB]", "one stance"),
        ("type: back, actor: AAA, target: BBB, opposes: AAA", "AAA cannot take sides"),
        ("type: back, actor: CCC, mediates: [AAA, AAA]", "two different sides"),
        ("type: back, actor: CCC, supports: AAB", "unknown actor 'AAB' (did you mean 'AAA'?)"),
    ],
)
def test_parties_that_cannot_be_are_refused_located(event: str, says: str) -> None:
    text = scenario("  - pair: [AAA, BBB]\n", event)
    with pytest.raises(ScenarioError) as info:
        scenario_from_text(text, "s.yaml")
    (problem,) = info.value.problems
    assert says in problem.message
    assert problem.location.line == text.split("\n").index(text.split("\n")[-2]) + 1
    assert str(problem).startswith(f"s.yaml:{problem.location.line}:")


def test_a_blocs_unknown_member_is_named_where_it_is_listed() -> None:
    text = scenario("  - pair: [AAA, BBB]\n", "type: back, actor: AAA, target: BBB")
    text = text.replace("[CCC, DDD]", "[CCC, DDX]")
    with pytest.raises(ScenarioError) as info:
        scenario_from_text(text, "s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:12:53: actors.BLOC.members[1]: member of group BLOC: unknown actor 'DDX' "
        "(did you mean 'DDD'?); known: AAA, BBB, CCC, DDD, EEE, BLOC"
    ]


def test_a_side_with_several_relations_must_say_which() -> None:
    text = scenario(
        "  - pair: [AAA, BBB]\n  - pair: [AAA, EEE]\n", "type: back, actor: CCC, supports: AAA"
    )
    with pytest.raises(ScenarioError, match="AAA has 2 relations this act may take sides in"):
        scenario_from_text(text, "s.yaml")
    # Naming the other side as the target says which.
    named = text.replace("supports: AAA", "supports: AAA, target: BBB")
    assert [r.relation for r in run(named).records] == ["AAA-BBB"]


def test_a_target_that_leaves_out_the_sides_relation_is_named_with_the_fix() -> None:
    """An act against the side it strikes, written with that side as its target too, is
    refused saying which relation was passed over and what to write (not that none exists)."""
    text = scenario("  - pair: [AAA, BBB]\n", "type: back, actor: CCC, target: AAA, opposes: AAA")
    with pytest.raises(ScenarioError) as info:
        scenario_from_text(text, "s.yaml")
    (problem,) = info.value.problems
    assert (
        "AAA's relation AAA-BBB is declared, but its other side is not among the act's targets "
        "(AAA): a stance needs no target ('opposes: AAA' alone reaches it)" in problem.message
    )
    fixed = text.replace("target: AAA, opposes: AAA", "opposes: AAA")
    assert [r.relation for r in run(fixed).records] == ["AAA-BBB"]


# --- the engine -------------------------------------------------------------------------------


def test_support_for_one_side_raises_tension_on_its_relation() -> None:
    """Goldstein +4 backing AAA is -4 on AAA-BBB: tension 0.5 goes up by 0.04, not down."""
    trace = run(scenario("  - pair: [AAA, BBB]\n", "type: back, actor: BLOC, supports: AAA"))
    (r,) = trace.records
    assert (r.relation, r.goldstein, r.tone, r.bearing) == ("AAA-BBB", 4.0, -4.0, -4.0)
    assert r.variables["tension"] == pytest.approx(0.54)
    assert (r.actor, r.stance, r.sides) == ("BLOC", "supports", ("AAA",))


def test_opposing_and_named_relations_have_the_tone_of_the_rule() -> None:
    """``opposes`` is hostile; with ``relations`` named, support is friendly on the relation
    of the supporter with the side it backs and hostile on the side's with its opponent."""
    trace = run(
        scenario(
            "  - pair: [AAA, BBB]\n  - pair: [CCC, AAA]\n  - pair: [CCC, BBB]\n",
            "type: back, actor: CCC, opposes: BBB, target: AAA",
            "type: back, actor: CCC, supports: AAA, relations: [[AAA, BBB], [CCC, AAA], CCC-BBB]",
        )
    )
    assert [(r.event, r.relation, r.bearing) for r in trace.records] == [
        ("e0", "AAA-BBB", -4.0),
        ("e1", "AAA-BBB", -4.0),
        ("e1", "CCC-AAA", 4.0),
        ("e1", "CCC-BBB", -4.0),
    ]


def test_an_appeal_to_both_sides_reaches_their_relation_or_both_of_the_appellants() -> None:
    between = run(
        scenario("  - pair: [AAA, BBB]\n", "type: appeal, actor: EEE, mediates: [AAA, BBB]")
    )
    assert reached(between) == [("e0", "AAA-BBB", 2.0, 0.48)]
    both = run(
        scenario(
            "  - pair: [EEE, AAA]\n  - pair: [EEE, BBB]\n",
            "type: appeal, actor: EEE, mediates: [AAA, BBB]",
            "type: appeal, actor: EEE, target: [AAA, BBB]",
        )
    )
    assert [(r.event, r.relation, r.t) for r in both.records] == [
        ("e0", "EEE-AAA", 1.0),
        ("e0", "EEE-BBB", 1.0),
        ("e1", "EEE-AAA", 2.0),
        ("e1", "EEE-BBB", 2.0),
    ]


def test_a_joint_act_is_one_event_on_the_relation_between_its_actors() -> None:
    trace = run(scenario("  - pair: [AAA, BBB]\n", "type: appeal, actor: [BBB, AAA], joint: true"))
    (r,) = trace.records
    assert (r.relation, r.actor, r.actors, r.target, r.stance) == (
        "AAA-BBB",
        "BBB",
        ("BBB", "AAA"),
        (),
        "joint",
    )


def test_a_bloc_acts_on_its_own_relation_else_on_its_members() -> None:
    members = run(
        scenario(
            "  - pair: [CCC, AAA]\n  - pair: [DDD, AAA]\n", "type: strike, actor: BLOC, target: AAA"
        )
    )
    assert [(r.relation, r.after) for r in members.records] == [
        ("CCC-AAA", "tense"),
        ("DDD-AAA", "tense"),
    ]
    own = run(
        scenario(
            "  - pair: [CCC, AAA]\n  - pair: [BLOC, AAA]\n",
            "type: strike, actor: BLOC, target: AAA",
        )
    )
    assert [r.relation for r in own.records] == ["BLOC-AAA"]


def test_the_engine_agrees_with_the_reference_fold_on_every_kind_of_act() -> None:
    s = scenario_from_text(
        scenario(
            "  - pair: [AAA, BBB]\n  - pair: [CCC, AAA]\n"
            "  - pair: [DDD, AAA]\n  - pair: [EEE, AAA]\n",
            "type: back, actor: EEE, supports: BBB",
            "type: strike, actor: BLOC, target: AAA",
            "type: appeal, actor: [AAA, BBB], joint: true",
            "type: appeal, actor: EEE, mediates: [AAA, BBB]",
            "type: back, actor: [CCC, DDD], target: AAA",
        ),
        "s.yaml",
    )
    trace = simulate(s)
    got = [(r.event, r.relation, r.before, r.after, r.outcome, r.variables) for r in trace.records]
    want = [
        (f.event, f.relation, f.before, f.after, f.outcome, f.variables) for f in reference_fold(s)
    ]
    assert got == want
    assert len(got) == 7


def test_a_rules_actor_pattern_matches_any_actor_of_a_joint_act() -> None:
    text = scenario(
        "  - pair: [AAA, BBB]\n", "type: appeal, actor: [AAA, BBB], target: BBB"
    ).replace(
        "relations:",
        "rules:\n  - id: answer\n    when: {type: appeal, actor: BBB}\n    respond: {type: strike, "
        "actor: target, target: actor, summary: Answer.}\n    delay: {fixed: 1}\n"
        "    source: {ref: wire}\nrelations:",
    )
    # AAA+BBB towards BBB reaches AAA-BBB only (BBB-BBB is no relation); BBB matches the rule.
    causes = [r.cause for r in run(text).records]
    assert causes == ["script", "rule:answer"]


@given(
    goldstein=st.floats(-10, 10, allow_nan=False),
    per=st.floats(-0.1, 0.1, allow_nan=False),
    initial=st.floats(0, 1, allow_nan=False),
    listed=st.booleans(),
)
def test_a_one_actor_one_target_event_behaves_exactly_as_before(
    goldstein: float, per: float, initial: float, listed: bool
) -> None:
    """A plain act, written ``actor: AAA`` or ``actor: [AAA]``: one record on {actor, target},
    moved by ``per_goldstein × goldstein`` (clamped), with no new key in its trace."""
    text = (
        scenario(
            "  - pair: [AAA, BBB]\n",
            "type: back, actor: " + ("[AAA]" if listed else "AAA") + ", target: BBB",
        )
        .replace("goldstein: 4.0", f"goldstein: {goldstein!r}")
        .replace(
            "initial: 0.5, per_goldstein: -0.01", f"initial: {initial!r}, per_goldstein: {per!r}"
        )
    )
    trace = run(text)
    (r,) = trace.records
    assert (r.relation, r.actor, r.target, r.actors, r.stance, r.tone) == (
        "AAA-BBB",
        "AAA",
        ("BBB",),
        (),
        None,
        None,
    )
    assert r.bearing == r.goldstein == goldstein
    want = min(1.0, max(0.0, initial + per * goldstein)) if per else initial
    assert r.variables["tension"] == pytest.approx(round(want, 6), abs=1e-6)
    record = json.loads(trace_to_json(trace))["records"][0]
    assert not {"actors", "stance", "sides", "tone"} & set(record)
    assert not set(CSV_PARTIES) & set(trace_to_csv(trace).split("\n")[0].split(","))


# --- outputs ----------------------------------------------------------------------------------


def test_the_example_marks_support_as_conflict_on_the_relation() -> None:
    trace = simulate(load_scenario(EXAMPLE))
    table = trace_table(trace)
    row = next(line for line in table.splitlines() if "declare_solidarity" in line)
    assert "▼  GULF for SAU" in row
    assert "taking sides raises tension on SAU-CAN: -3.4 (coded Goldstein +3.4)" in table
    assert "▲  GBR between SAU,CAN" in table
    assert Trace.from_dict(json.loads(trace_to_json(trace))) == trace
    header, *rows = trace_to_csv(trace).splitlines()
    assert header.endswith(",stance,sides,bearing")
    assert rows[2].endswith(",supports,SAU,-3.4")
    assert rows[3].endswith(",mediates,SAU;CAN,3.0")


def test_an_act_on_several_relations_is_shown_once_with_all_its_parties() -> None:
    trace = run(
        scenario(
            "  - pair: [CCC, AAA]\n  - pair: [DDD, AAA]\n",
            "type: strike, actor: [CCC, DDD], target: AAA",
        ).replace("summary: S.", "summary: C and D strike A together.")
    )
    table = trace_table(trace)
    assert table.count("C and D strike A together.") == 1
    rows = [line for line in table.splitlines() if "strike  " in line]
    assert [("CCC-AAA" in x, "DDD-AAA" in x, "CCC+DDD → AAA" in x) for x in rows] == [
        (True, False, True),
        (False, True, True),
    ]
    _, *lines = trace_to_csv(trace).splitlines()
    assert [line.split(",")[5] for line in lines] == ["CCC;DDD", "CCC;DDD"]


def test_the_report_shows_an_act_once_with_all_its_parties(tmp_path: Path) -> None:
    from simulator.report.html.build import build_report

    path = tmp_path / "s.yaml"
    path.write_text(
        scenario(
            "  - pair: [CCC, AAA]\n  - pair: [DDD, AAA]\n",
            "type: back, actor: [CCC, DDD], target: AAA, supports: BBB, "
            "relations: [[CCC, AAA], [DDD, AAA]]",
        ).replace("summary: S.", "summary: C and D back B against A."),
        encoding="utf-8",
    )
    page = build_report(path, runs=1).html
    assert page.count("C and D back B against A.") == 1
    assert page.count("The same act, on this relation too") == 1
    assert page.count("CCC+DDD → AAA for BBB") == 2
    assert 'class="code gs conflict"' in page
    assert "→ −4 here" in page


def test_diff_sees_a_change_of_stance() -> None:
    plain = run(
        scenario(
            "  - pair: [AAA, BBB]\n", "type: back, actor: CCC, relation: [AAA, BBB], target: AAA"
        )
    )
    sided = run(
        scenario("  - pair: [AAA, BBB]\n", "type: back, actor: CCC, target: AAA, supports: BBB")
    )
    diff = diff_traces(plain, sided)
    assert [c.changed for c in diff.changed] == [("parties",)]
    shown = json.loads(diff_json(diff))
    assert "supports" in json.dumps(shown)


def test_a_response_with_several_actors_is_told_what_to_write() -> None:
    text = scenario("  - pair: [AAA, BBB]\n", "type: back, actor: AAA, target: BBB").replace(
        "relations:",
        "rules:\n  - id: answer\n    when: {type: back}\n    respond: {type: strike, "
        "actor: [AAA, BBB], summary: Answer.}\n    delay: {fixed: 1}\nrelations:",
    )
    with pytest.raises(ScenarioError) as info:
        scenario_from_text(text, "s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:27:36: rules[0].respond.actor: a response has one actor: write one code, or "
        "'actor' or 'target' (the trigger's); an act of several parties is an event with "
        "'actor: [A, B]'"
    ]
