"""``dipsim analyze``: which assumptions matter, from a batch's results file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from simulator.cli.common import (
    OutputPath,
    allow_path_option,
    check_plot,
    fail,
    limit_option,
    limits_from,
    out_option,
    table_or_json_option,
    write,
)
from simulator.core.errors import DipsimError


@click.command()
@click.argument("results", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--spec",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The batch spec that made RESULTS (its design is made again and checked against them) "
    "[default: the one dipsim batch recorded in RESULTS.batch.json].",
)
@click.option(
    "--outcome",
    required=True,
    metavar="OUTCOME",
    help="What to explain: final:STATE (ends in STATE), reaches:STATE, days:STATE (day first "
    "entered) or the name of a numeric column.",
)
@click.option("--relation", metavar="A-B", help="Whose states [default: the first recorded].")
@table_or_json_option
@out_option
@click.option(
    "--plot",
    type=OutputPath(),
    help="Also draw the indices (Sobol bars or Morris μ* against σ) and the feature scores, "
    ".png or .svg (needs the plot extra).",
)
@limit_option
@allow_path_option
def analyze(
    results: Path,
    spec: Path | None,
    outcome: str,
    relation: str | None,
    fmt: str,
    out: Path | None,
    plot: Path | None,
    limits: tuple[tuple[str, int], ...],
    allow_paths: tuple[Path, ...],
) -> None:
    """Say which parameters of a batch decide an outcome.

    The outcome is averaged over each design point's replications. A Sobol design gives
    first-order and total Sobol indices with 95% intervals, a Morris design μ* and σ of the
    elementary effects, and every design feature scores (extra trees). Needs the analysis
    extra: pip install 'dipsim[analysis]'.
    """
    from simulator.batch.analysis import analysis_table
    from simulator.batch.analysis import analyze as run_analysis

    try:
        check_plot(plot)
        found = run_analysis(results, spec, outcome, relation, limits_from(limits, allow_paths))
        if plot is not None:
            from simulator.plots import analysis_figure, save

            save(analysis_figure(found), plot)
    except DipsimError as err:
        fail(err)
    if fmt == "json":
        write(json.dumps(found.to_dict(), indent=2, allow_nan=False) + "\n", out)
    else:
        write(analysis_table(found), out)
