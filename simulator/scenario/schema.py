"""The JSON Schema of dipsim's files (``dipsim schema``): scenarios, what-ifs and batch specs.

One schema for every file dipsim reads, so that an editor pointed at it checks each kind the
way dipsim tells them apart: a file with ``dipsim_batch`` is a batch spec, one with ``extends``
a what-if, any other a scenario (``if``/``then``/``else`` rather than ``oneOf``, so that an
editor reports what is wrong with the one kind the file is, not that it matches none of three).

The scenario and the batch spec are their models' schemas. A what-if has none of its own: it is
built here from the scenario's as :mod:`simulator.scenario.loading` reads one — ``extends`` and
``edits``, then any scenario key but ``events`` as an override, none required. An entry of a
merged section (``variables: {tension: {decay_per_day: 0.2}}``) may give only the keys it
changes, so its required keys are dropped; whether a new entry is complete, the loader checks.
"""

from __future__ import annotations

import copy
from typing import Any

from simulator.scenario.loading import MERGED
from simulator.scenario.model import EDIT_KINDS, Scenario

Schema = dict[str, Any]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: A scenario key a what-if may not set (it adds events with ``add`` edits).
NOT_OVERRIDDEN = ("events",)


def _split(schema: Schema) -> tuple[Schema, Schema]:
    """A model's schema without its ``$defs``, and those definitions."""
    root = dict(schema)
    return root, root.pop("$defs", {})


def _add_defs(defs: Schema, more: Schema) -> None:
    """Add definitions; a name already there must mean the same (pydantic names by model)."""
    for name, definition in more.items():
        if defs.setdefault(name, definition) != definition:
            raise ValueError(f"two different definitions named {name!r}")


def _partial(name: str, defs: Schema) -> str:
    """The name of a copy of definition ``name`` whose keys are all optional (made once)."""
    partial = f"{name}Override"
    if partial not in defs:
        definition = copy.deepcopy(defs[name])
        definition.pop("required", None)
        definition["description"] = (
            f"In a what-if, the keys of a {name} to change (a new entry needs them all)."
        )
        defs[partial] = definition
    return partial


def _override_entries(section: Schema, defs: Schema) -> Schema:
    """A merged section's schema whose entries (referenced definitions) may be partial."""
    out = copy.deepcopy(section)
    entries = [out.get("additionalProperties"), *out.get("patternProperties", {}).values()]
    for entry in entries:
        if isinstance(entry, dict) and str(entry.get("$ref", "")).startswith("#/$defs/"):
            entry["$ref"] = "#/$defs/" + _partial(entry["$ref"].removeprefix("#/$defs/"), defs)
    return out


def whatif_schema(scenario: Schema, defs: Schema) -> Schema:
    """The schema of a what-if file, from the scenario's (without its definitions, which
    ``defs`` holds); the definitions the what-if adds go into ``defs``."""
    edits: list[Schema] = []
    for kind in EDIT_KINDS.values():
        edit, edit_defs = _split(kind.model_json_schema())
        _add_defs(defs, edit_defs)
        edits.append(edit)
    properties: Schema = {
        "extends": {
            "type": "string",
            "minLength": 1,
            "description": "the scenario (or what-if) this file changes, relative to this file",
        },
        "edits": {
            "type": "array",
            "items": {"anyOf": edits},
            "description": f"edits, in order; each has one of {', '.join(EDIT_KINDS)}",
        },
    }
    for key, value in scenario["properties"].items():
        if key in NOT_OVERRIDDEN:
            continue
        properties[key] = _override_entries(value, defs) if key in MERGED else value
    return {
        "type": "object",
        "title": "What-if",
        "description": "A what-if: extends a scenario, overrides some of its keys, then edits it.",
        "properties": properties,
        "required": ["extends"],
        "additionalProperties": False,
    }


def files_schema(batch_spec: Schema, mapping: Schema) -> Schema:
    """The schema of every file dipsim reads: a scenario, a what-if, a batch spec or an
    import's mapping file (the last two models' schemas are given: their stages come after
    this one)."""
    defs: Schema = {}
    scenario, scenario_defs = _split(Scenario.model_json_schema())
    _add_defs(defs, scenario_defs)
    whatif = whatif_schema(scenario, defs)
    batch, batch_defs = _split(batch_spec)
    _add_defs(defs, batch_defs)
    mapped, mapping_defs = _split(mapping)
    _add_defs(defs, mapping_defs)
    for name, root in (
        ("Scenario", scenario),
        ("WhatIf", whatif),
        ("BatchSpec", batch),
        ("Mapping", mapped),
    ):
        _add_defs(defs, {name: root})
    return {
        "$schema": DIALECT,
        "title": "dipsim file: scenario, what-if, batch spec or mapping (format 1)",
        "description": (
            "A file with 'dipsim_batch' is a batch spec, one with 'dipsim_mapping' a mapping of "
            "event codes (dipsim import), one with 'extends' a what-if, any other a scenario."
        ),
        "type": "object",
        "if": {"required": ["dipsim_batch"]},
        "then": {"$ref": "#/$defs/BatchSpec"},
        "else": {
            "if": {"required": ["dipsim_mapping"]},
            "then": {"$ref": "#/$defs/Mapping"},
            "else": {
                "if": {"required": ["extends"]},
                "then": {"$ref": "#/$defs/WhatIf"},
                "else": {"$ref": "#/$defs/Scenario"},
            },
        },
        "$defs": dict(sorted(defs.items())),
    }


__all__ = ["files_schema", "whatif_schema"]
