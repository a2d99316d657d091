"""``dipsim schema`` describes every file dipsim reads, as an editor would check them.

Every shipped YAML file — scenarios, what-ifs, batch specs, exercise starters and solutions —
validates against the printed schema with the ``jsonschema`` library (an editor set up as the
README says flags nothing dipsim accepts), and files dipsim refuses for their shape fail it, as
the kind of file they are (a what-if's mistake is reported against the what-if's schema).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from simulator.cli import cli
from simulator.scenario.yamlread import read_yaml, read_yaml_file
from tests.conftest import ROOT

jsonschema = pytest.importorskip("jsonschema", reason="the test extra is not installed")


def _schema() -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


SCHEMA = _schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def shipped() -> list[Path]:
    """Every YAML file in the repository's scenarios/ and docs/ (solutions when present), and
    the mappings of dipsim import."""
    mappings = (ROOT / "simulator" / "eventdata" / "mappings").glob("*.yaml")
    return sorted(
        [*(ROOT / "scenarios").rglob("*.yaml"), *(ROOT / "docs").rglob("*.yaml"), *mappings]
    )


def _errors(data: Any) -> list[str]:
    return [
        f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in VALIDATOR.iter_errors(data)
    ]


def test_the_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert {"Scenario", "WhatIf", "BatchSpec", "Mapping"} <= set(SCHEMA["$defs"])


def test_every_kind_of_file_is_shipped() -> None:
    files = [p.relative_to(ROOT).as_posix() for p in shipped()]
    assert any(f.startswith("scenarios/whatif/") for f in files)
    assert any(f.startswith("scenarios/batches/") for f in files)
    assert any(f.startswith("scenarios/exercises/") for f in files)
    assert len(files) >= 20


@pytest.mark.parametrize("path", shipped(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_shipped_file_validates(path: Path) -> None:
    assert _errors(read_yaml_file(path).data) == []


HEAD = """\
dipsim: 1
title: t
start: 2024-01-01
end: 2024-01-31
actors: {A: {name: A}, B: {name: B}}
machine: {initial: calm, states: [calm, tense], transitions: []}
relations: [{pair: [A, B]}]
"""

#: Files whose shape dipsim refuses, with a word of what the schema must say about them.
BAD: dict[str, tuple[str, str]] = {
    "scenario with a misspelt key": (HEAD + "evnets: []\n", "evnets"),
    "scenario without its machine": (HEAD.replace("machine:", "machin:"), "machine"),
    "scenario with a negative cap": (HEAD + "max_responses: -1\n", "max_responses"),
    "scenario with a track without states": (
        HEAD + "tracks: {economic: {initial: normal}}\n",
        "tracks.economic",
    ),
    "scenario with a decay by state above 1": (
        HEAD + "variables: {tension: {decay_in: {tense: 2}}}\n",
        "variables.tension.decay_in.tense",
    ),
    "what-if that adds events by key": ("extends: a.yaml\nevents: []\n", "events"),
    "what-if with an unknown edit": ("extends: a.yaml\nedits: [{delete: x}]\n", "edits.0"),
    "what-if edit with two operations": (
        "extends: a.yaml\nedits: [{remove: x, set: title, value: y}]\n",
        "edits.0",
    ),
    "what-if with an empty extends": ("extends: ''\n", "extends"),
    "what-if override of the wrong type": (
        "extends: a.yaml\nmax_responses: many\n",
        "max_responses",
    ),
    "scenario with a misspelt stance": (
        HEAD + "events: [{id: e, date: 2024-01-02, type: t, actor: A, supprts: B, summary: s, "
        "source: {ref: w}}]\n",
        "supprts",
    ),
    "scenario with one side to mediate": (
        HEAD + "events: [{id: e, date: 2024-01-02, type: t, actor: A, mediates: [B], summary: s, "
        "source: {ref: w}}]\n",
        "mediates",
    ),
    "scenario with a code in both schemes": (
        HEAD + 'event_types: {t: {codes: {cameo: "195", weis: "223"}}}\n',
        "event_types.t.codes",
    ),
    "scenario with a citation of a quote and rows": (
        HEAD + "events: [{id: e, date: 2024-01-02, type: t, actor: A, target: B, summary: s, "
        "source: {ref: w, quote: q, rows: [3]}}]\n",
        "events.0.source",
    ),
    "batch spec without its scenario": ("dipsim_batch: 1\n", "scenario"),
    "batch spec with an unknown design": (
        "dipsim_batch: 1\nscenario: a.yaml\ndesign: {kind: grd}\n",
        "design.kind",
    ),
    "batch spec with scenario keys": ("dipsim_batch: 1\nscenario: a.yaml\nevents: []\n", "events"),
}


def test_the_good_file_the_bad_ones_are_made_from_validates() -> None:
    assert _errors(read_yaml(HEAD, "good.yaml").data) == []


def test_joint_and_third_party_acts_and_blocs_validate() -> None:
    """Several actors, no target, ``joint``, the stances, ``relations`` and ``members``."""
    text = HEAD.replace("B: {name: B}}", "B: {name: B}, G: {name: G, kind: group, members: [A]}}")
    text += (
        "events:\n"
        "  - {id: j, date: 2024-01-02, type: t, actor: [A, B], joint: true, summary: s, "
        "source: {ref: w}}\n"
        "  - {id: s, date: 2024-01-03, type: t, actor: G, supports: A, opposes: B, "
        "mediates: [A, B], relations: [[A, B], A-B], summary: s, source: {ref: w}}\n"
    )
    assert _errors(read_yaml(text, "good.yaml").data) == []


@pytest.mark.parametrize("case", BAD.values(), ids=list(BAD))
def test_a_bad_file_fails_the_schema_as_its_kind(case: tuple[str, str]) -> None:
    text, says = case
    errors = _errors(read_yaml(text, "bad.yaml").data)
    assert errors, "the schema accepts it"
    assert any(says in error for error in errors), errors


def test_codes_of_one_scheme_and_citations_of_rows_or_records_validate() -> None:
    """A WEIS code, a null beside a code, and a citation of rows or of records are fine."""
    text = HEAD + (
        'event_types: {t: {codes: {weis: "223", cameo: null}}}\n'
        "events:\n"
        "  - {id: e, date: 2024-01-02, type: t, actor: A, target: B, summary: s, "
        "source: [{ref: w, rows: [3, 4]}, {ref: w, records: ['32889836'], quote: null}]}\n"
    )
    assert _errors(read_yaml(text, "good.yaml").data) == []


def test_a_whatif_may_change_only_some_keys_of_an_entry() -> None:
    """As the loader merges ``variables``, ``actors``, ``sources``, ``event_types``: an entry
    gives only what it changes (the loader checks that a new entry is complete)."""
    text = (
        "extends: a.yaml\nvariables: {tension: {decay_per_day: 0.2}}\nactors: {A: {kind: state}}\n"
    )
    assert _errors(read_yaml(text, "w.yaml").data) == []
    assert _errors(read_yaml(text.replace("0.2", "2"), "w.yaml").data) != []


def test_a_mapping_is_checked_as_a_mapping() -> None:
    """A file with dipsim_mapping is held against the mapping's schema, not a scenario's."""
    good = {
        "dipsim_mapping": 1,
        "title": "t",
        "types": {"recall": {"codes": ["161", "19*"]}},
        "scenario": {"machine": {"states": ["a", "b"], "initial": "a"}},
    }
    assert _errors(good) == []
    bad = {**good, "types": {"recall": {"codes": ["1x"]}}}
    assert any("types.recall.codes.0" in e for e in _errors(bad))
    assert any("title" in e for e in _errors({k: v for k, v in good.items() if k != "title"}))
