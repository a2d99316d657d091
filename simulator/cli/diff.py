"""``dipsim diff``: where a what-if departs from its base."""

from __future__ import annotations

from pathlib import Path

import click

from simulator.cli.common import (
    allow_path_option,
    echo,
    fail,
    limit_option,
    limits_from,
    out_option,
    table_or_json_option,
    table_width,
    width_option,
    write,
)
from simulator.cli.common import (
    located as placed,
)
from simulator.core.errors import DipsimError, ScenarioError


@click.command()
@click.argument("base", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("whatif", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of both runs' random generators (the same for both).",
)
@table_or_json_option
@out_option
@width_option("the table")
@limit_option
@allow_path_option
def diff(
    base: Path,
    whatif: Path,
    seed: int,
    fmt: str,
    out: Path | None,
    width: int | None,
    limits: tuple[tuple[str, int], ...],
    allow_paths: tuple[Path, ...],
) -> None:
    """Show where WHATIF departs from BASE, the traces side by side.

    Both scenarios run with the same seed. The table gives the first point of departure, both
    traces from that point, the events found in one only or moved or changed, the states that
    differ day by day, and the final states. The exit status is 0 whether or not the traces
    differ (this is a report, not a check); 2 if either scenario is invalid. Events of WHATIF
    that fire a transition in BASE but surely none in WHATIF, because it removed what they
    rested on, are warned about on stderr ([premise-gone], as `dipsim check` does).
    """
    from simulator.check.checker import premises_gone
    from simulator.engine.simulation import simulate
    from simulator.report.diff import diff_json, diff_traces
    from simulator.report.diff_table import diff_table
    from simulator.scenario.loading import load_scenario_with_origin

    traces = []
    loaded = []
    errors: list[DipsimError] = []
    for path in (base, whatif):
        try:
            loaded.append(load_scenario_with_origin(path, limits_from(limits, allow_paths)))
            traces.append(simulate(loaded[-1].scenario, seed=seed))
        except DipsimError as err:
            errors.append(placed(err, path, limits_from(limits, allow_paths)))
    # Report the problems of both files at once, so a class fixes them in one go.
    located = [err for err in errors if isinstance(err, ScenarioError)]
    if len(errors) > 1 and len(located) == len(errors):
        fail(ScenarioError([p for err in located for p in err.problems]))
    if errors:
        fail(errors[0])
    # Before the report, so that a reader of the table has seen the warning.
    for finding in premises_gone(loaded[1], loaded[0]):
        echo(str(finding), err=True)
    found = diff_traces(traces[0], traces[1])
    write(
        diff_json(found) if fmt == "json" else diff_table(found, width=table_width(width, out)), out
    )
