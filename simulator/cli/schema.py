"""``dipsim schema``: the JSON Schema of dipsim's files (scenarios, what-ifs, batch specs,
mappings)."""

from __future__ import annotations

from pathlib import Path

import click

from simulator.cli.common import out_option, write
from simulator.core.text import json_text


@click.command()
@out_option
def schema(out: Path | None) -> None:
    """Print the JSON Schema of every file dipsim reads.

    Scenarios, what-ifs, batch specs and the mapping files of dipsim import.

    Point an editor's YAML support at it for completion and checks as you type.
    """
    from simulator.batch.spec import BatchSpec
    from simulator.eventdata.mapping import Mapping
    from simulator.scenario.schema import files_schema

    document = files_schema(BatchSpec.model_json_schema(), Mapping.model_json_schema())
    write(json_text(document) + "\n", out)
