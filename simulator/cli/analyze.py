"""``dipsim analyze``: which assumptions matter, from a batch's results file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

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
from simulator.core.text import json_text

#: PRIM's defaults, written out so that `dipsim --help` need not import the library (a test
#: keeps them equal to simulator.batch.prim's).
THRESHOLD, ALPHA, MASS_MIN = 0.8, 0.05, 0.05

F = TypeVar("F", bound=Callable[..., Any])


def _share(
    name: str, default: float, text: str, high: float = 1.0, max_open: bool = False
) -> Callable[[F], F]:
    """A PRIM setting that is a share: above 0, at most ``high`` (below it if ``max_open``)."""
    return click.option(
        name,
        type=click.FloatRange(0.0, high, min_open=True, max_open=max_open),
        default=default,
        show_default=True,
        help=f"PRIM: {text}",
    )


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
    "entered), the name of a numeric column, or a claim's column (expect.ID: 1 held, 0 failed).",
)
@click.option("--relation", metavar="A-B", help="Whose states [default: the first recorded].")
@table_or_json_option
@out_option
@click.option(
    "--plot",
    type=OutputPath(),
    help="Also draw the indices (Sobol bars or Morris μ* against σ), the feature scores and "
    "the PRIM trade-off and box, .png or .svg (needs the plot extra).",
)
@click.option(
    "--prim/--no-prim",
    "with_prim",
    default=None,
    help="Look for a PRIM box: the parameter ranges where runs of outcome 1 are dense; --prim "
    "fails if the outcome is not 0 or 1 in every run [default: when it is, with runs enough].",
)
@_share(
    "--threshold",
    THRESHOLD,
    "choose the first box on the peeling trajectory of at least this density.",
)
@click.option(
    "--box",
    "box",
    type=click.IntRange(min=0),
    metavar="N",
    help="PRIM: choose box N of the peeling trajectory instead (0 holds every run).",
)
@_share(
    "--peel-alpha",
    ALPHA,
    "the share of the box's runs each peel cuts off at one end of one parameter.",
    high=0.5,
)
@_share(
    "--mass-min",
    MASS_MIN,
    "stop peeling before a box would hold less than this share of the runs.",
    max_open=True,
)
@click.option(
    "--paired",
    is_flag=True,
    help="Compare every design point with a baseline, replication by replication: paired "
    "differences with 95% intervals (needs seeds: common and 2 replications or more).",
)
@click.option(
    "--baseline",
    type=click.IntRange(min=0),
    metavar="N",
    help="The point the others are compared with (implies --paired) [default: 0, the first].",
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
    with_prim: bool | None,
    threshold: float,
    box: int | None,
    peel_alpha: float,
    mass_min: float,
    paired: bool,
    baseline: int | None,
    limits: tuple[tuple[str, int], ...],
    allow_paths: tuple[Path, ...],
) -> None:
    """Say which parameters of a batch decide an outcome.

    The outcome is averaged over each design point's replications. A Sobol design gives
    first-order and total Sobol indices with 95% intervals, a Morris design μ* and σ of the
    elementary effects, and every design feature scores (extra trees). A binary outcome
    (final:STATE, reaches:STATE) also gives a PRIM box, found among the runs: the ranges of the
    parameters where the runs of outcome 1 are dense. With common random numbers (seeds:
    common), --paired compares each point with a baseline, run by run. Needs the analysis extra:
    pip install 'dipsim[analysis]'.
    """
    from simulator.batch.analysis import analyze as run_analysis
    from simulator.batch.analysis_table import analysis_table

    try:
        check_plot(plot)
        found = run_analysis(
            results,
            spec,
            outcome,
            relation,
            limits_from(limits, allow_paths),
            with_prim=with_prim,
            threshold=threshold,
            box=box,
            alpha=peel_alpha,
            mass_min=mass_min,
            baseline=0 if paired and baseline is None else baseline,
        )
        if plot is not None:
            from simulator.plots import analysis_figure, save

            save(analysis_figure(found), plot)
    except DipsimError as err:
        fail(err)
    if fmt == "json":
        write(json_text(found.to_dict(), ascii_only=True) + "\n", out)
    else:
        write(analysis_table(found), out)
