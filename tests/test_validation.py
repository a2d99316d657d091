"""Validation of scenario files, through :func:`~simulator.scenario.loading.load_scenario`.

Each test edits one small valid scenario (:data:`BASE`) and checks the problems reported, as the
user sees them: ``path:line:col: key.path: message``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from simulator.core.errors import ScenarioError
from simulator.scenario.loading import load_scenario, load_scenario_with_origin
from simulator.scenario.model import Scenario

SOURCE_TEXT = "Officials said that Yesterday A struck  B\non Tuesday, near the border.\n"

# Line numbers matter: the tests below quote them.
BASE = """\
dipsim: 1
title: Test
start: 2024-01-01
end: 2024-01-10
sources:
  art: {file: art.txt}
  web: {publisher: Somebody}
actors:
  AAA: {name: A}
  BBB: {name: B}
  CCC: {name: C}
event_types:
  strike: {codes: {cameo: "195", goldstein: -10.0}}
  talk: {}
machine:
  states: [calm, tense]
  initial: calm
  transitions:
    - {trigger: strike, source: calm, dest: tense, guard: "tension >= 0.2"}
    - {trigger: talk, source: tense, dest: calm}
variables:
  tension: {min: 0, max: 1, initial: 0.1}
relations:
  - pair: [AAA, BBB]
events:
  - id: e1
    date: 2024-01-02
    type: strike
    actor: AAA
    target: BBB
    summary: A strikes B.
    effects: {tension: 0.3}
    source: {ref: art, quote: A struck B on Tuesday}
"""

SECOND_EVENT = """\
  - id: e2
    date: 2024-01-03
    type: talk
    actor: BBB
    target: AAA
    summary: B talks.
    source: {ref: web}
"""

TOP_KEYS = (
    "dipsim, title, description, start, end, sources, actors, event_types, machine, variables, "
    "relations, events, parameters, rules, max_responses, expect, invariants, tracks"
)
EVENT_KEYS = (
    "id, date, time, type, actor, target, relation, summary, codes, effects, source, date_basis, "
    "date_note, caused_by, note, relations, joint, supports, opposes, mediates"
)


def edit(old: str, new: str, text: str = BASE) -> str:
    """``text`` with its first ``old`` replaced by ``new`` (which must be there)."""
    assert old in text, f"{old!r} is not in the scenario"
    return text.replace(old, new, 1)


def write(tmp_path: Path, text: str) -> Path:
    """Write a scenario and its source file into ``tmp_path``; return the scenario's path."""
    (tmp_path / "art.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    """Load ``text`` as a scenario expecting it to be refused; return its problems as printed,
    with the scenario's path shortened to ``s.yaml``."""
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p).replace(str(path), "s.yaml", 1) for p in info.value.problems]


def test_base_scenario_is_valid(tmp_path: Path) -> None:
    """The scenario the other tests edit is valid, and loads into a Scenario."""
    scenario = load_scenario(write(tmp_path, BASE))
    assert isinstance(scenario, Scenario)
    assert scenario.machine.state_names == ("calm", "tense")
    assert [e.id for e in scenario.events] == ["e1"]


def test_problem_prints_full_path_line_column_key_path_and_message(tmp_path: Path) -> None:
    """A problem prints exactly as ``path:line:col: key.path: message`` with the real path."""
    path = write(tmp_path, edit("    target: BBB", "    target: BBX"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert str(problem) == (
        f"{path}:30:13: events[0].target: unknown actor 'BBX' (did you mean 'BBB'?); "
        "known: AAA, BBB, CCC"
    )
    assert (problem.location.file, problem.location.line, problem.location.column) == (
        str(path),
        30,
        13,
    )
    assert problem.key_path == ("events", 0, "target")
    assert str(info.value) == str(problem)


def test_load_with_origin_keeps_positions(tmp_path: Path) -> None:
    """Loading with origin also returns the document, whose positions locate later findings."""
    loaded = load_scenario_with_origin(write(tmp_path, BASE))
    assert loaded.document.positions[("events", 0, "date")] == (27, 11)
    assert loaded.scenario.title == "Test"


# --- shapes and types -------------------------------------------------------------------------


def test_unknown_top_level_key_suggests_and_lists_allowed(tmp_path: Path) -> None:
    """An unknown key is reported at the key, with a suggestion and the keys allowed there."""
    assert problems(tmp_path, edit("title: Test", "title: Test\ntitel: x")) == [
        f"s.yaml:3:1: titel: unknown key 'titel' (did you mean 'title'?); allowed here: {TOP_KEYS}"
    ]


def test_unknown_nested_key_lists_the_keys_of_that_mapping(tmp_path: Path) -> None:
    """Inside an event, the allowed keys listed are an event's keys."""
    text = edit("    effects: {tension: 0.3}", "    effects: {tension: 0.3}\n    efects: {}")
    assert problems(tmp_path, text) == [
        "s.yaml:33:5: events[0].efects: unknown key 'efects' (did you mean 'effects'?); "
        f"allowed here: {EVENT_KEYS}"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "goldstein: -10.0}",
            "goldstien: -10.0}",
            "s.yaml:13:34: event_types.strike.codes.goldstien: unknown key 'goldstien' "
            "(did you mean 'goldstein'?); allowed here: cameo, weis, goldstein, plover",
        ),
        (
            "file: art.txt}",
            "file: art.txt, tilte: x}",
            "s.yaml:6:24: sources.art.tilte: unknown key 'tilte' (did you mean 'title'?); "
            "allowed here: file, title, publisher, url, published, note",
        ),
        (
            "initial: 0.1}",
            "inital: 0.1}",
            "s.yaml:22:29: variables.tension.inital: unknown key 'inital' "
            "(did you mean 'initial'?); allowed here: min, max, initial, rest, decay_per_day, "
            "per_goldstein, description, decay_in, rest_in",
        ),
    ],
)
def test_unknown_keys_in_codes_sources_and_variables(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """Unknown keys are found in every kind of mapping, with that mapping's allowed keys."""
    assert problems(tmp_path, edit(old, new)) == [expected]


def test_missing_required_key_points_at_the_mapping(tmp_path: Path) -> None:
    """A missing required key is reported at the mapping that lacks it."""
    assert problems(tmp_path, edit("title: Test\n", "")) == [
        "s.yaml:1:1: missing required key 'title'"
    ]
    assert problems(tmp_path, edit("    summary: A strikes B.\n", "")) == [
        "s.yaml:26:5: events[0]: missing required key 'summary'"
    ]


def test_every_missing_key_is_reported(tmp_path: Path) -> None:
    """Two keys missing from one event give two problems."""
    text = edit("    actor: AAA\n", "", edit("    summary: A strikes B.\n", ""))
    assert problems(tmp_path, text) == [
        "s.yaml:26:5: events[0]: missing required key 'actor'",
        "s.yaml:26:5: events[0]: missing required key 'summary'",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("dipsim: 1", "dipsim: 2", "s.yaml:1:9: dipsim: input should be 1 (got 2)"),
        (
            "start: 2024-01-01",
            "start: tomorrow",
            "s.yaml:3:8: start: 'tomorrow' is not a date written YYYY-MM-DD (e.g. 2024-01-07)",
        ),
        (
            "min: 0,",
            "min: low,",
            "s.yaml:22:18: variables.tension.min: input should be a valid number, unable to "
            "parse string as a number (got 'low')",
        ),
        (
            "states: [calm, tense]",
            "states: {calm: 1}",
            "s.yaml:16:11: machine.states: input should be a valid tuple (got a mapping)",
        ),
        (
            "effects: {tension: 0.3}",
            "effects: {tension: high}",
            "s.yaml:32:24: events[0].effects.tension: input should be a valid number, unable to "
            "parse string as a number (got 'high')",
        ),
        (
            "  CCC: {name: C}",
            "  ccc: {name: C}",
            "s.yaml:11:3: actors.ccc: 'ccc' is not a valid actor code: use capital letters, "
            "digits and _, starting with a capital letter (did you mean 'CCC'?)",
        ),
        (
            "title: Test",
            "title: ''",
            "s.yaml:2:8: title: string should have at least 1 character (got '')",
        ),
        (
            "initial: 0.1}",
            "initial: 0.1, decay_per_day: 2}",
            "s.yaml:22:58: variables.tension.decay_per_day: input should be less than or equal "
            "to 1 (got 2)",
        ),
    ],
)
def test_wrong_types_are_reported_with_the_value(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """A value of the wrong type or shape is reported at the value, quoting it."""
    assert problems(tmp_path, edit(old, new)) == [expected]


def test_scenario_must_be_a_mapping(tmp_path: Path) -> None:
    """A file whose top level is not a mapping is refused with what it is instead."""
    assert problems(tmp_path, "- 1\n- 2\n") == [
        "s.yaml:1:1: a scenario must be a mapping of keys (title, machine, events, ...), not a list"
    ]


def test_guard_that_is_not_in_the_language_is_refused(tmp_path: Path) -> None:
    """A guard outside the expression language is refused while validating, at the guard."""
    text = edit('guard: "tension >= 0.2"', 'guard: "tension.real >= 0.2"')
    assert problems(tmp_path, text) == [
        "s.yaml:19:59: machine.transitions[0].guard: attribute access is not allowed in "
        "'tension.real >= 0.2'"
    ]


def test_hostile_guard_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    """A guard that would run a shell command is refused, and the command never runs."""
    marker = tmp_path / "pwned"
    guard = f"__import__('os').system('touch {marker}')"
    found = problems(tmp_path, edit('"tension >= 0.2"', f'"{guard}"'))
    assert len(found) == 1
    assert found[0].startswith("s.yaml:19:59: machine.transitions[0].guard: ")
    assert "is not allowed in" in found[0]
    assert not marker.exists()


def test_guard_that_is_not_text_quotes_the_value(tmp_path: Path) -> None:
    """A guard given as a list is refused, quoting the list."""
    assert problems(tmp_path, edit('guard: "tension >= 0.2"', "guard: [1]")) == [
        "s.yaml:19:59: machine.transitions[0].guard: expected an expression as text, got [1]"
    ]


# --- names that must resolve ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "dest: tense, guard",
            "dest: tens, guard",
            "s.yaml:19:45: machine.transitions[0].dest: unknown state 'tens' "
            "(did you mean 'tense'?); known: calm, tense",
        ),
        (
            "source: calm, dest: tense, guard",
            "source: clam, dest: tense, guard",
            "s.yaml:19:33: machine.transitions[0].source: unknown state 'clam' "
            "(did you mean 'calm'?); known: calm, tense",
        ),
        (
            "source: tense, dest: calm}",
            "source: [calm, tenze], dest: calm}",
            "s.yaml:20:38: machine.transitions[1].source[1]: unknown state 'tenze' "
            "(did you mean 'tense'?); known: calm, tense",
        ),
        (
            "initial: calm",
            "initial: clam",
            "s.yaml:17:12: machine.initial: unknown state 'clam' (did you mean 'calm'?); "
            "known: calm, tense",
        ),
        (
            "  - pair: [AAA, BBB]",
            "  - pair: [AAA, BBB]\n    initial: tens",
            "s.yaml:25:14: relations[0].initial: unknown state 'tens' (did you mean 'tense'?); "
            "known: calm, tense",
        ),
        (
            "    target: BBB",
            "    target: BBX",
            "s.yaml:30:13: events[0].target: unknown actor 'BBX' (did you mean 'BBB'?); "
            "known: AAA, BBB, CCC",
        ),
        (
            "    actor: AAA",
            "    actor: AA",
            "s.yaml:29:12: events[0].actor: unknown actor 'AA' (did you mean 'AAA'?); "
            "known: AAA, BBB, CCC",
        ),
        (
            "    type: strike",
            "    type: strik",
            "s.yaml:28:11: events[0].type: unknown event type 'strik' (did you mean 'strike'?); "
            "known: strike, talk (declare it under event_types)",
        ),
        (
            "trigger: talk",
            "trigger: tak",
            "s.yaml:20:17: machine.transitions[1].trigger: unknown event type 'tak' "
            "(did you mean 'talk'?); known: strike, talk (declare it under event_types)",
        ),
        (
            "ref: art,",
            "ref: artt,",
            "s.yaml:33:19: events[0].source.ref: unknown source 'artt' (did you mean 'art'?); "
            "known: art, web",
        ),
        (
            "effects: {tension: 0.3}",
            "effects: {tensoin: 0.3}",
            "s.yaml:32:24: events[0].effects.tensoin: unknown variable 'tensoin' "
            "(did you mean 'tension'?); known: tension",
        ),
        (
            'guard: "tension >= 0.2"',
            'guard: "tensoin >= 0.2"',
            "s.yaml:19:59: machine.transitions[0].guard: guard 'tensoin >= 0.2' reads unknown "
            "variable or parameter 'tensoin' (did you mean 'tension'?); known: tension",
        ),
        (
            "  - pair: [AAA, BBB]",
            "  - pair: [AAA, BBB]\n    variables: {tensoin: 0.5}",
            "s.yaml:25:26: relations[0].variables.tensoin: unknown variable 'tensoin' "
            "(did you mean 'tension'?); known: tension",
        ),
    ],
)
def test_unknown_names_suggest_the_known_ones(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """An unknown state, actor, event type, source or variable is reported where it is used,
    with a "did you mean" and the names known."""
    assert problems(tmp_path, edit(old, new)) == [expected]


def test_unknown_actor_in_a_relation(tmp_path: Path) -> None:
    """An unknown actor in a relation's pair is reported at that actor."""
    found = problems(tmp_path, edit("pair: [AAA, BBB]", "pair: [AAA, BBX]"))
    assert found[0] == (
        "s.yaml:24:17: relations[0].pair[1]: unknown actor 'BBX' (did you mean 'BBB'?); "
        "known: AAA, BBB, CCC"
    )


def test_star_source_is_every_state(tmp_path: Path) -> None:
    """``'*'`` as a transition's source is accepted: it means every state."""
    text = edit("source: tense, dest: calm}", "source: '*', dest: calm}")
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.machine.transitions[1].source == ("*",)


def test_duplicate_state(tmp_path: Path) -> None:
    """A state declared twice is reported at its second declaration."""
    assert problems(tmp_path, edit("states: [calm, tense]", "states: [calm, tense, calm]")) == [
        "s.yaml:16:25: machine.states[2]: state 'calm' is declared twice"
    ]


# --- events -----------------------------------------------------------------------------------


def test_duplicate_event_id(tmp_path: Path) -> None:
    """An event id used twice is reported at the second use, naming the first."""
    assert problems(tmp_path, BASE + SECOND_EVENT.replace("id: e2", "id: e1")) == [
        "s.yaml:34:9: events[1].id: event id 'e1' is used twice (first at events[0])"
    ]


@pytest.mark.parametrize("date", ["2023-12-31", "2024-01-11", "2024-02-02"])
def test_event_date_outside_the_span(tmp_path: Path, date: str) -> None:
    """An event dated before ``start`` or after ``end`` is refused, naming the span."""
    assert problems(tmp_path, edit("    date: 2024-01-02", f"    date: {date}")) == [
        f"s.yaml:27:11: events[0].date: date {date} is outside the scenario's span "
        "2024-01-01..2024-01-10"
    ]


@pytest.mark.parametrize("date", ["2024-01-01", "2024-01-10"])
def test_event_on_the_first_and_last_day_is_inside(tmp_path: Path, date: str) -> None:
    """``start`` and ``end`` are both inside the span."""
    scenario = load_scenario(write(tmp_path, edit("    date: 2024-01-02", f"    date: {date}")))
    assert scenario.events[0].date == dt.date.fromisoformat(date)


def test_impossible_date(tmp_path: Path) -> None:
    """30 February is refused as a date, quoting the text."""
    assert problems(tmp_path, edit("    date: 2024-01-02", "    date: 2024-02-30")) == [
        "s.yaml:27:11: events[0].date: '2024-02-30' is not a date: February 2024 has 29 days"
    ]


def test_inferred_date_needs_a_note(tmp_path: Path) -> None:
    """An event whose date is inferred must say why."""
    text = edit("    type: strike\n", "    type: strike\n    date_basis: inferred\n")
    assert problems(tmp_path, text) == [
        "s.yaml:26:5: events[0]: an event with date_basis 'inferred' needs a date_note saying why"
    ]
    with_note = edit("date_basis: inferred\n", "date_basis: inferred\n    date_note: why\n", text)
    assert load_scenario(write(tmp_path, with_note)).events[0].date_basis == "inferred"


def test_cameo_code_as_a_number(tmp_path: Path) -> None:
    """A CAMEO code written as a number is refused, showing how to quote it."""
    assert problems(tmp_path, edit('cameo: "195"', "cameo: 42")) == [
        "s.yaml:13:27: event_types.strike.codes.cameo: CAMEO code 42 must be quoted (write "
        '"042"): a code is text, and unquoted digits are a number to YAML readers, which drop '
        "leading zeros (0256 is not 256)"
    ]


def test_cameo_code_as_a_number_is_refused(tmp_path: Path) -> None:
    """A CAMEO code written as bare digits is refused at the code, whether YAML reads it as a
    number (195) or, for its leading zero, as text (0256): one rule for both. Quoted, either
    is accepted as written."""
    for written in ("195", "0256"):
        found = problems(tmp_path, edit('cameo: "195"', f"cameo: {written}"))
        assert len(found) == 1
        assert found[0].startswith(
            f"s.yaml:13:27: event_types.strike.codes.cameo: CAMEO code {written} must be quoted "
            f'(write "{written}")'
        )
    for quoted in ('"0256"', "'0256'"):
        scenario = load_scenario(write(tmp_path, edit('cameo: "195"', f"cameo: {quoted}")))
        assert scenario.event_types["strike"].codes.cameo == "0256"


def test_unquoted_leading_zero_code_is_refused_beside_other_problems(tmp_path: Path) -> None:
    """The unquoted code is reported with the shape problems of the same pass, in file order."""
    text = edit('cameo: "195"', "cameo: 050").replace("title: ", "title:\n  - ", 1)
    found = problems(tmp_path, text)
    assert [f.split(": ", 2)[1] for f in found] == ["title", "event_types.strike.codes.cameo"]


def test_keys_written_where_another_belongs_say_what_to_write(tmp_path: Path) -> None:
    """A Goldstein value on an event type, a relation's ``actors``: the message names the key
    to write instead of a misleading or missing 'did you mean'."""
    text = edit('{codes: {cameo: "195", goldstein: -10.0}}', '{cameo: "195", goldstein: -10.0}')
    found = problems(tmp_path, text)
    assert [f.split(" (")[0].split("; allowed")[0] for f in found] == [
        "s.yaml:13:12: event_types.strike.cameo: unknown key 'cameo': write it as codes: "
        "{cameo: ...}",
        "s.yaml:13:26: event_types.strike.goldstein: unknown key 'goldstein': write it as "
        "codes: {goldstein: ...}",
    ]
    pair = problems(tmp_path, edit("- pair: [AAA, BBB]", "- actors: [AAA, BBB]"))
    assert any(
        "relations[0].actors: unknown key 'actors': write it as pair: [A, B]" in f for f in pair
    )


def test_unknown_plover_type(tmp_path: Path) -> None:
    """An unknown PLOVER event type is refused, quoting it and listing the sixteen types."""
    text = edit("goldstein: -10.0}", "goldstein: -10.0, plover: BOMB/air}")
    assert problems(tmp_path, text) == [
        "s.yaml:13:60: event_types.strike.codes.plover: unknown PLOVER event type 'BOMB'; "
        "known: ACCUSE, AGREE, AID, ASSAULT, COERCE, CONCEDE, CONSULT, COOPERATE, MOBILIZE, "
        "PROTEST, REJECT, REQUEST, RETREAT, SANCTION, SUPPORT, THREATEN"
    ]


def test_unknown_plover_type_is_refused(tmp_path: Path) -> None:
    """An unknown PLOVER type is refused at the code; a known type with a mode is accepted."""
    found = problems(tmp_path, edit("goldstein: -10.0}", "goldstein: -10.0, plover: BOMB/air}"))
    assert len(found) == 1
    assert found[0].startswith(
        "s.yaml:13:60: event_types.strike.codes.plover: unknown PLOVER event type "
    )
    text = edit("goldstein: -10.0}", "goldstein: -10.0, plover: ASSAULT/aerial}")
    codes = load_scenario(write(tmp_path, text)).event_types["strike"].codes
    assert (codes.plover_type, codes.plover_mode) == ("ASSAULT", "aerial")


@pytest.mark.parametrize(
    ("value", "bound"),
    [("-11", "greater than or equal to -10"), ("10.5", "less than or equal to 10")],
)
def test_goldstein_out_of_range(tmp_path: Path, value: str, bound: str) -> None:
    """A Goldstein value outside [-10, 10] is refused, quoting it."""
    assert problems(tmp_path, edit("goldstein: -10.0", f"goldstein: {value}")) == [
        f"s.yaml:13:45: event_types.strike.codes.goldstein: input should be {bound} (got {value})"
    ]


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("min: 2, max: 1", "min 2.0 is greater than max 1.0"),
        ("min: 0, max: 1, initial: 1.5", "initial 1.5 is outside [0.0, 1.0]"),
        ("min: 0, max: 1, rest: -1", "rest -1.0 is outside [0.0, 1.0]"),
    ],
)
def test_variable_bounds(tmp_path: Path, new: str, message: str) -> None:
    """A variable's min above its max, or an initial or resting value outside its bounds, is
    refused at the variable."""
    assert problems(tmp_path, edit("min: 0, max: 1, initial: 0.1", new)) == [
        f"s.yaml:22:12: variables.tension: {message}"
    ]


def test_relation_value_outside_the_bounds(tmp_path: Path) -> None:
    """A relation's starting value outside the variable's bounds is refused."""
    text = edit("  - pair: [AAA, BBB]", "  - pair: [AAA, BBB]\n    variables: {tension: 2}")
    assert problems(tmp_path, text) == [
        "s.yaml:25:26: relations[0].variables.tension: tension 2.0 is outside [0.0, 1.0]"
    ]


# --- relations --------------------------------------------------------------------------------


def test_relation_with_the_same_actor_twice(tmp_path: Path) -> None:
    """A relation needs two different actors."""
    found = problems(tmp_path, edit("pair: [AAA, BBB]", "pair: [AAA, AAA]"))
    assert found[0] == (
        "s.yaml:24:11: relations[0].pair: a relation needs two different actors, got AAA-AAA"
    )


@pytest.mark.parametrize("second", ["[BBB, AAA]", "[AAA, BBB]", "AAA-BBB", "BBB-AAA"])
def test_duplicate_relation_either_order(tmp_path: Path, second: str) -> None:
    """A pair declared twice, in either order, is one relation declared twice."""
    text = edit("  - pair: [AAA, BBB]", f"  - pair: [AAA, BBB]\n  - pair: {second}")
    found = problems(tmp_path, text)
    shown = second.strip("[]").replace(", ", "-")
    assert found == [
        f"s.yaml:25:11: relations[1].pair: relation {shown} is declared twice "
        "(first at relations[0])"
    ]


def test_bad_relation_is_the_only_problem(tmp_path: Path) -> None:
    """A relation with three actors is reported once, without a false "no relations" problem."""
    assert problems(tmp_path, edit("pair: [AAA, BBB]", "pair: [AAA, BBB, CCC]")) == [
        "s.yaml:24:11: relations[0].pair: a pair is two actor codes, written [A, B] or A-B "
        "(got 3 items: AAA, BBB, CCC)"
    ]


def test_pair_without_a_dash_is_refused(tmp_path: Path) -> None:
    """A pair written as text needs its dash."""
    assert problems(tmp_path, edit("pair: [AAA, BBB]", "pair: AAABBB")) == [
        "s.yaml:24:11: relations[0].pair: a pair is two actor codes, written [A, B] or A-B "
        "(got 'AAABBB')"
    ]


def test_event_with_several_targets_reaches_the_declared_relations(tmp_path: Path) -> None:
    """An event with several targets reaches each declared relation between its actor and a
    target; with none, it is refused, saying what to write."""
    s = load_scenario(write(tmp_path, edit("    target: BBB", "    target: [BBB, CCC]")))
    assert [r.pair for r in s.reach(s.events[0])] == [("AAA", "BBB")]
    text = edit("    actor: AAA\n    target: BBB", "    actor: CCC\n    target: [AAA, BBB]")
    assert problems(tmp_path, text) == [
        "s.yaml:26:5: events[0]: event 'e1' reaches no relation: no relation between its parties "
        "is declared (CCC-AAA, CCC-BBB): declare one under relations, or say which it acts on "
        "with 'relation'; for an appeal to both sides, 'mediates: [AAA, BBB]'"
    ]
    text = edit("    target: BBB", "    target: [BBB, CCC]\n    relation: [BBB, AAA]")
    assert load_scenario(write(tmp_path, text)).events[0].relation == ("BBB", "AAA")


def test_event_on_an_undeclared_relation(tmp_path: Path) -> None:
    """An event between two actors with no declared relation is refused, listing those
    declared."""
    assert problems(tmp_path, edit("    target: BBB", "    target: CCC")) == [
        "s.yaml:30:13: events[0].target: no relation AAA-CCC is declared; declared: AAA-BBB "
        "(declare it under relations, or give the event a 'relation')"
    ]
    text = edit("    target: BBB", "    target: [BBB, CCC]\n    relation: [AAA, CCC]")
    assert problems(tmp_path, text) == [
        "s.yaml:31:15: events[0].relation: no relation AAA-CCC is declared; declared: AAA-BBB "
        "(declare it under relations, or give the event a 'relation')"
    ]


# --- sources and quotes -----------------------------------------------------------------------


def test_quote_must_be_verbatim(tmp_path: Path) -> None:
    """A quote that is not in its source file is refused; spacing and line breaks aside."""
    assert problems(tmp_path, edit("quote: A struck B on", "quote: A struck C on")) == [
        "s.yaml:33:31: events[0].source.quote: quote not found verbatim in art.txt: "
        "'A struck C on Tuesday'"
    ]
    # BASE's quote spans a line break and a double space in art.txt, and is accepted.
    assert load_scenario(write(tmp_path, BASE)).events[0].source[0].quote == "A struck B on Tuesday"


def test_file_source_needs_a_quote(tmp_path: Path) -> None:
    """Citing a file source without a quote is refused."""
    text = edit("source: {ref: art, quote: A struck B on Tuesday}", "source: {ref: art}")
    assert problems(tmp_path, text) == [
        "s.yaml:33:13: events[0].source: source 'art' is a file: cite it with a verbatim "
        "'quote' (or the 'rows' or 'records' of a data file)"
    ]


def test_public_source_needs_no_quote(tmp_path: Path) -> None:
    """A source with no file (a publisher, a URL) may be cited without a quote."""
    scenario = load_scenario(write(tmp_path, BASE + SECOND_EVENT))
    assert scenario.events[1].source[0].quote is None


def test_missing_source_file(tmp_path: Path) -> None:
    """A source file that cannot be read is reported at its ``file`` key."""
    assert problems(tmp_path, edit("file: art.txt", "file: nope.txt")) == [
        "s.yaml:6:15: sources.art.file: source file 'nope.txt' cannot be read "
        "(paths are relative to the scenario file)"
    ]


def test_source_without_origin(tmp_path: Path) -> None:
    """A source needs a file, a URL or a publisher."""
    assert problems(tmp_path, edit("web: {publisher: Somebody}", "web: {title: T}")) == [
        "s.yaml:7:8: sources.web: a source needs at least one of 'file', 'url' or 'publisher'"
    ]


# --- causes -----------------------------------------------------------------------------------


def test_caused_by_unknown_event(tmp_path: Path) -> None:
    """A cause that names no event is refused with the known ids."""
    text = edit("    summary: A strikes B.", "    summary: A strikes B.\n    caused_by: [e0]")
    assert problems(tmp_path, text) == [
        "s.yaml:32:17: events[0].caused_by[0]: unknown event 'e0'; known: e1"
    ]


def test_caused_by_a_later_event(tmp_path: Path) -> None:
    """An event cannot be caused by one that happens after it."""
    text = edit("    summary: A strikes B.", "    summary: A strikes B.\n    caused_by: e2")
    assert problems(tmp_path, text + SECOND_EVENT) == [
        "s.yaml:32:16: events[0].caused_by: cause 'e2' (2024-01-03 00:00) comes after this "
        "event (2024-01-02 00:00)"
    ]


def test_caused_by_itself(tmp_path: Path) -> None:
    """An event cannot cause itself."""
    text = edit("    summary: A strikes B.", "    summary: A strikes B.\n    caused_by: [e1]")
    assert problems(tmp_path, text) == [
        "s.yaml:32:17: events[0].caused_by[0]: event 'e1' cannot cause itself"
    ]


def test_caused_by_an_earlier_event(tmp_path: Path) -> None:
    """A cause that happened earlier is accepted, even when listed later in the file."""
    text = edit("    summary: A strikes B.", "    summary: A strikes B.\n    caused_by: e2")
    text = edit("    date: 2024-01-02", "    date: 2024-01-04", text)
    assert load_scenario(write(tmp_path, text + SECOND_EVENT)).events[0].caused_by == ("e2",)


# --- the scenario's span ----------------------------------------------------------------------


def test_end_before_start(tmp_path: Path) -> None:
    """A scenario that ends before it starts is refused, naming both dates."""
    found = problems(tmp_path, edit("end: 2024-01-10", "end: 2023-12-10"))
    assert len(found) == 1
    assert found[0].endswith(": end 2023-12-10 is before start 2024-01-01")


def test_end_before_start_points_at_end(tmp_path: Path) -> None:
    """'end before start' points at the ``end`` key's value."""
    assert problems(tmp_path, edit("end: 2024-01-10", "end: 2023-12-10")) == [
        "s.yaml:4:6: end: end 2023-12-10 is before start 2024-01-01"
    ]


# --- several problems at once -----------------------------------------------------------------


def test_several_shape_problems_in_file_order(tmp_path: Path) -> None:
    """Every shape and type problem is reported in one error, in file order."""
    text = edit("title: Test", "titel: x")
    text = edit("goldstein: -10.0", "goldstein: -11", text)
    text = edit("    date: 2024-01-02", "    date: 2024-02-30", text)
    assert problems(tmp_path, text) == [
        "s.yaml:1:1: missing required key 'title'",
        f"s.yaml:2:1: titel: unknown key 'titel' (did you mean 'title'?); allowed here: {TOP_KEYS}",
        "s.yaml:13:45: event_types.strike.codes.goldstein: input should be greater than or equal "
        "to -10 (got -11)",
        "s.yaml:27:11: events[0].date: '2024-02-30' is not a date: February 2024 has 29 days",
    ]


def test_several_reference_problems_in_file_order(tmp_path: Path) -> None:
    """Every reference problem is reported in one error, in file order."""
    text = edit("initial: calm", "initial: clam")
    text = edit("dest: tense, guard", "dest: tens, guard", text)
    text = edit("    target: BBB", "    target: BBX", text)
    text += SECOND_EVENT.replace("id: e2", "id: e1")
    assert problems(tmp_path, text) == [
        "s.yaml:17:12: machine.initial: unknown state 'clam' (did you mean 'calm'?); "
        "known: calm, tense",
        "s.yaml:19:45: machine.transitions[0].dest: unknown state 'tens' "
        "(did you mean 'tense'?); known: calm, tense",
        "s.yaml:30:13: events[0].target: unknown actor 'BBX' (did you mean 'BBB'?); "
        "known: AAA, BBB, CCC",
        "s.yaml:34:9: events[1].id: event id 'e1' is used twice (first at events[0])",
    ]


def test_reference_problems_in_file_order_when_events_come_first(tmp_path: Path) -> None:
    """Reference problems are in file order even when ``events`` precedes ``machine``."""
    head, rest = BASE.split("event_types:\n", 1)
    middle, events = rest.split("events:\n", 1)
    text = head + "events:\n" + events + "event_types:\n" + middle
    text = edit("    target: BBB", "    target: BBX", text)
    text = edit("dest: tense, guard", "dest: tens, guard", text)
    found = problems(tmp_path, text)
    assert [p.split(": ", 2)[1] for p in found] == [
        "events[0].target",
        "machine.transitions[0].dest",
    ]


def test_no_such_file(tmp_path: Path) -> None:
    """A missing scenario file is a located problem, not an OSError."""
    path = tmp_path / "missing.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}: no such file"


def test_directory_is_not_a_scenario(tmp_path: Path) -> None:
    """A directory given as the scenario is refused as such."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a directory, not a scenario file"


# --- dates and times as written -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    date: 2024-01-02",
            "    date: 1704153600",
            "s.yaml:27:11: events[0].date: expected a date written YYYY-MM-DD, got the number "
            "1704153600",
        ),
        (
            "start: 2024-01-01",
            "start: 20240101",
            "s.yaml:3:8: start: expected a date written YYYY-MM-DD, got the number 20240101",
        ),
        (
            "    date: 2024-01-02",
            "    date: 2024-01-02\n    time: 3600",
            "s.yaml:28:11: events[0].time: expected a time of day written HH:MM, got the number "
            "3600",
        ),
        (
            "    date: 2024-01-02",
            '    date: 2024-01-02\n    time: "09:15+02:00"',
            "s.yaml:28:11: events[0].time: a time of day takes no time zone (got 09:15:00+02:00): "
            "write the local time of the scenario's calendar",
        ),
    ],
)
def test_numbers_and_time_zones_are_refused(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    """A number is not read as a date or time (pydantic would take it as a Unix timestamp), and a
    time of day with a time zone is refused rather than crashing the run later."""
    assert problems(tmp_path, edit(old, new)) == [message]
