"""``dipsim schema``: the JSON Schema of the scenario format."""

from __future__ import annotations

from pathlib import Path

import click

from simulator.cli.common import out_option, write
from simulator.core.text import json_text


@click.command()
@out_option
def schema(out: Path | None) -> None:
    """Print the JSON Schema of the scenario format, for editors.

    Point an editor's YAML support at it for completion and checks as you type.
    """
    from simulator.scenario.model import Scenario

    document = Scenario.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "dipsim scenario (format 1)"
    write(json_text(document) + "\n", out)
