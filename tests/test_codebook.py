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
        "CAMEO event-code list; it is WEIS 225 (ASSASSINATE TORTURE): for WEIS-coded data write "
        'weis: "225" [unknown-cameo]'
    ]
    # A code in neither scheme is only said to be no CAMEO code.
    assert shown(with_codes('{cameo: "999"}')) == [
        "t.yaml:12:20: error: event_types.strike.codes.cameo: CAMEO code '999' is not in the "
        "CAMEO event-code list [unknown-cameo]"
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


# --- WEIS codes ---------------------------------------------------------------------------------


def test_weis_code_with_its_tables_goldstein_is_clean() -> None:
    # 223 is no CAMEO code at all; it is WEIS's "military engagement".
    assert shown(with_codes('{weis: "223", goldstein: -10.0}')) == []


def test_unknown_weis_code_is_an_error_at_the_code() -> None:
    assert shown(with_codes('{weis: "999", goldstein: -10.0}')) == [
        "t.yaml:12:19: error: event_types.strike.codes.weis: WEIS code '999' is not in the WEIS "
        "tables (KEDS's code names and Goldstein values) [unknown-weis]"
    ]
    # 036 is CAMEO's "express intent to meet or negotiate", and no WEIS code: said so.
    (found,) = shown(with_codes('{weis: "036"}'))
    assert found.endswith(
        "WEIS code '036' is not in the WEIS tables (KEDS's code names and Goldstein values); it "
        f'is CAMEO 036 ({codebooks().names["036"]}): for CAMEO-coded data write cameo: "036" '
        "[unknown-weis]"
    )


def test_weis_goldstein_other_than_the_weis_tables_is_a_warning_named_from_weis_codes() -> None:
    g = codebooks().weis_goldstein["223"]
    assert shown(with_codes('{weis: "223", goldstein: -9.0}')) == [
        "t.yaml:12:37: warning: event_types.strike.codes.goldstein: Goldstein -9 differs from "
        f"the table's {g:g} for WEIS 223 (MIL ENGAGEMENT); use {g:g}, or say why in the event "
        "type's 'goldstein_override' [goldstein-differs]"
    ]
    override = "    goldstein_override: a single exchange of fire\n"
    assert shown(with_codes('{weis: "223", goldstein: -9.0}', override)) == []


def test_weis_code_is_held_to_the_weis_table_not_cameos() -> None:
    # 031 is "meet" in WEIS (+1.0) and "express intent to engage in material cooperation"
    # (+5.2) in CAMEO: the WEIS value is clean, the CAMEO one warned of.
    books = codebooks()
    assert books.weis_goldstein["031"] != books.goldstein["031"]
    assert shown(with_codes(f'{{weis: "031", goldstein: {books.weis_goldstein["031"]}}}')) == []
    (found,) = shown(with_codes(f'{{weis: "031", goldstein: {books.goldstein["031"]}}}'))
    assert "for WEIS 031 (MEET)" in found


def test_weis_code_without_a_goldstein_value_is_known_and_not_checked() -> None:
    # 130 (protest) has a name but no Goldstein value; 097 a value but no name; 204 neither name
    # nor value, only KEDS's use of it: all three are WEIS codes.
    assert shown(with_codes('{weis: "130", goldstein: -3.0}')) == []
    assert shown(with_codes('{weis: "204", goldstein: 5.0}')) == []
    (found,) = shown(with_codes('{weis: "097", goldstein: 5.0}'))
    assert "for WEIS 097; use -0.3" in found


def test_weis_code_has_no_plover_check() -> None:
    # WEIS has no PLOVER mapping: a PLOVER type beside a WEIS code is the coder's, unchecked.
    assert shown(with_codes('{weis: "223", goldstein: -10.0, plover: AGREE}')) == []


def test_an_events_weis_code_replaces_its_types_cameo_and_is_checked() -> None:
    text = BASE.replace("source: {ref: w}}", 'source: {ref: w}, codes: {weis: "998"}}')
    (found,) = shown(text)
    assert "error: events[0].codes.weis: WEIS code '998' is not in the WEIS tables" in found
    scenario = scenario_from_text(text, FILE)
    codes = scenario.codes_of(scenario.events[0])
    assert (codes.cameo, codes.weis, codes.goldstein) == (None, "998", -10.0)


def test_the_weis_tables_hold_what_their_sources_say() -> None:
    books = codebooks()
    assert len(books.weis_goldstein) == 109
    assert len(books.weis_names) == 114
    assert books.weis_names["014"] == "ACCOMODATE, CEASEFIRE"  # a quoted CSV field, as spelt
    assert books.weis_goldstein["223"] == -10.0
    assert books.weis_names["204"] == ""
    gulf = {"223", "212", "095", "222", "211", "066", "221", "065"}  # not CAMEO codes
    assert all(books.weis_known(c) and c not in books.names for c in gulf)
    assert not books.weis_known("999")


@given(st.sampled_from(sorted(codebooks().weis_goldstein)))
def test_every_weis_code_with_its_tables_goldstein_is_clean(code: str) -> None:
    g = codebooks().weis_goldstein[code]
    assert shown(with_codes(f'{{weis: "{code}", goldstein: {g}}}')) == []
