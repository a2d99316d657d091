"""``dipsim report``: a scenario's run as one self-contained HTML page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from simulator.cli.common import (
    CLAIM_RUNS,
    DateType,
    OutputPath,
    allow_path_option,
    echo,
    fail,
    from_option,
    limit_option,
    limits_from,
    located,
    write,
)
from simulator.core.errors import DipsimError


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "-o",
    required=True,
    type=OutputPath(dash="keep"),
    help="The HTML file to write (atomically); - writes the page to standard output.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the run shown (and of the base's); master seed of the checks' runs.",
)
@click.option(
    "--runs",
    type=click.IntRange(min=1),
    default=CLAIM_RUNS,
    show_default=True,
    help="Runs that judge the claims of a scenario with random rules (one run when nothing is "
    "random), as many as `dipsim check` takes, so the page shows the verdicts it gives.",
)
@click.option(
    "--relation",
    metavar="A-B",
    help="The relation the diagram and the timeline follow.  [default: the scenario's first]",
)
@click.option(
    "--until", type=DateType(), help="Stop the runs shown at the end of this day (YYYY-MM-DD)."
)
@from_option("the runs (events, timeline, the diagram's path)")
@click.option(
    "--timestamp",
    is_flag=True,
    help="Show when the page was made (then two pages of the same run differ).",
)
@limit_option
@allow_path_option
def report(
    scenario: Path,
    out: Path,
    seed: int,
    runs: int,
    relation: str | None,
    until: dt.date | None,
    since: dt.date | None,
    timestamp: bool,
    limits: tuple[tuple[str, int], ...],
    allow_paths: tuple[Path, ...],
) -> None:
    """Write SCENARIO's report: one HTML page that works offline.

    The page holds the scenario's header (title, description, span, seed, files), the state
    machine with the run's path, the timeline figure, every event with its codes, summary and
    source quote, and the verdicts of `dipsim check` (expectations, invariants, analysis). For
    a what-if (a file with `extends`), its base's run follows, with where the two depart.

    Nothing in it is fetched or run: no script, no fonts, no network. The diagram needs
    Graphviz's dot program and the timeline matplotlib (the plot extra); without them the page
    says so in their place and a warning is printed.
    """
    from simulator.report.html.build import build_report

    generated = None
    if timestamp:
        generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        made = build_report(
            scenario,
            seed=seed,
            runs=runs,
            relation=relation,
            limits=limits_from(limits, allow_paths),
            generated=generated,
            since=since,
            until=until,
        )
    except DipsimError as err:
        fail(located(err, scenario, limits_from(limits, allow_paths)))
    for warning in made.warnings:
        echo(f"warning: {warning}", err=True)
    to_stdout = str(out) == "-"
    write(made.html, None if to_stdout else out)
    if not to_stdout:
        size = len(made.html.encode("utf-8", "backslashreplace"))  # as write() wrote it
        echo(f"wrote {out} ({size // 1024:,} KB)", err=True)
