"""Codes held against the codebooks (``check.codebook``): one small scenario per finding, as the
user sees it, and every shipped scenario free of codebook errors and warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.check.codebook import codebook_findings, codebooks
from simulator.scenario.loading import load_scenario_with_origin, scenario_from_text
from simulator.scenario.yamlread import read_yaml
from tests.conftest import scenario_files

FILE = "t.yaml"

# Line numbers matter: the tests below quote them.
BASE = """\
dipsim: 1
title: Codebooks
start: 2024-01-01
end: 2024-01-10
sources:
  w: {publisher: Somebody}
actors:
  AAA: {name: A}
  BBB: {name: B}
event_types:
  strike:
    codes: {cameo: "195", goldstein: -10.0, plover: ASSAULT/heavy-weapons}
machine:
  states: [calm, tense]
  initial: calm
  transitions:
    - {trigger: strike, source: calm, dest: tense}
relations:
  - pair: [AAA, BBB]
events:
  - {id: e1, date: 2024-01-02, type: strike, actor: AAA, target: BBB, summary: s, source: {ref: w}}
"""

CODES = '    codes: {cameo: "195", goldstein: -10.0, plover: ASSAULT/heavy-weapons}\n'


def shown(text: str) -> list[str]:
    found = codebook_findings(scenario_from_text(text, FILE), read_yaml(text, FILE).locate)
    return [str(f) for f in found]


def with_codes(codes: str, extra: str = "") -> str:
    assert CODES in BASE
    return BASE.replace(CODES, f"    codes: {codes}\n{extra}", 1)


def test_codes_that_agree_with_the_tables_have_no_findings() -> None:
    assert shown(BASE) == []


def test_unknown_cameo_code_is_an_error_at_the_code() -> None:
    assert shown(with_codes('{cameo: "225", goldstein: -10.0}')) == [
        "t.yaml:12:20: error: event_types.strike.codes.cameo: CAMEO code '225' is not in the "
        "CAMEO event-code list (is it a WEIS code?) [unknown-cameo]"
    ]


def test_goldstein_other_than_the_tables_is_a_warning_at_the_value() -> None:
    assert shown(with_codes('{cameo: "195", goldstein: -7.0}')) == [
        "t.yaml:12:38: warning: event_types.strike.codes.goldstein: Goldstein -7 differs from "
        "the table's -10 for CAMEO 195 (Employ aerial weapons); use -10, "
        "or say why in the event type's 'goldstein_override' [goldstein-differs]"
    ]


def test_an_override_with_its_reason_silences_the_warning_on_the_type_and_its_events() -> None:
    text = with_codes(
        '{cameo: "195", goldstein: -7.0}', "    goldstein_override: a single drone, no deaths\n"
    )
    text = text.replace("source: {ref: w}}", "source: {ref: w}, codes: {goldstein: -6.0}}")
    assert shown(text) == []


def test_an_events_own_goldstein_is_held_against_the_table_too() -> None:
    text = BASE.replace("source: {ref: w}}", "source: {ref: w}, codes: {goldstein: -6.0}}")
    (found,) = shown(text)
    assert found.startswith("t.yaml:21:120: ")
    assert "warning: events[0].codes.goldstein: Goldstein -6 differs" in found


def test_plover_type_the_table_contradicts_is_a_note() -> None:
    assert shown(with_codes('{cameo: "195", goldstein: -10.0, plover: COERCE}')) == [
        "t.yaml:12:53: info: event_types.strike.codes.plover: PLOVER COERCE differs from the "
        "CAMEO→PLOVER table's ASSAULT/heavy-weapons for CAMEO 195 [plover-differs]"
    ]


def test_plover_mode_the_table_contradicts_is_a_note_and_no_mode_is_no_contradiction() -> None:
    (mode,) = shown(with_codes('{cameo: "195", goldstein: -10.0, plover: ASSAULT/aerial}'))
    assert "PLOVER ASSAULT/aerial differs" in mode
    assert mode.endswith("[plover-differs]")
    assert shown(with_codes('{cameo: "195", goldstein: -10.0, plover: ASSAULT}')) == []


def test_the_tables_hold_what_their_sources_say() -> None:
    books = codebooks()
    assert len(books.names) == 311
    assert len(books.goldstein) == 311
    assert books.names["161"] == "Reduce or break diplomatic relations"
    assert books.goldstein["161"] == -4.0
    assert books.plover["161"] == ("SANCTION", "withdraw")
    assert books.plover["040"] == ("CONSULT", "")


@given(st.sampled_from(sorted(codebooks().goldstein)))
def test_every_code_with_its_tables_goldstein_is_clean(code: str) -> None:
    g = codebooks().goldstein[code]
    assert shown(with_codes(f'{{cameo: "{code}", goldstein: {g}}}')) == []


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.name)
def test_every_shipped_scenario_is_clean_of_codebook_errors_and_warnings(path: Path) -> None:
    loaded = load_scenario_with_origin(path)
    found = codebook_findings(loaded.scenario, loaded.document.locate)
    assert [str(f) for f in found if f.severity != "info"] == []
