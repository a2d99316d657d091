"""``dipsim check``: validate scenarios, analyse their machines, judge their expectations."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from simulator.cli.common import (
    CLAIM_RUNS,
    EXIT_FAILED,
    EXIT_INVALID,
    allow_path_option,
    echo,
    limit_option,
    limits_from,
    out_option,
    report,
    table_or_json_option,
    write,
)
from simulator.cli.run import Progress
from simulator.core.errors import DipsimError
from simulator.core.text import printable

#: What stands out in a check's text on a terminal: verdicts, warnings, the result line.
_MARKS = (
    (re.compile(r"^(    )(PASS)(  )", re.M), "green"),
    (re.compile(r"^(    )(FAIL)(  )", re.M), "red"),
    (re.compile(r"^(.*?: )(warning)(: )", re.M), "yellow"),
    (re.compile(r"^(  result: )(ok)()$", re.M), "green"),
    (re.compile(r"^(  result: )(FAILED)( )", re.M), "red"),
)


def _coloured(text: str) -> str:
    for pattern, colour in _MARKS:

        def paint(m: re.Match[str], colour: str = colour) -> str:
            return m[1] + click.style(m[2], fg=colour, bold=True) + m[3]

        text = pattern.sub(paint, text)
    return text


@click.command()
@click.argument(
    "scenarios", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False)
)
@click.option(
    "--runs",
    type=click.IntRange(min=1),
    default=CLAIM_RUNS,
    show_default=True,
    help="Runs that judge the claims of a scenario with random rules (one run when nothing is "
    "random): enough to know a share to within about ±3 points.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Master seed: run k uses a seed derived from it, as in `dipsim run --runs`.",
)
@click.option(
    "--explore",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Also run N random event sequences hunting invariant violations; print the shortest "
    "counterexample to each invariant broken.",
)
@click.option("--strict", is_flag=True, help="Warnings of the analysis fail the check too.")
@click.option("--notes", is_flag=True, help="Show the analysis' notes too, not only their count.")
@table_or_json_option
@out_option
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour PASS, FAIL and warnings [default: only on a terminal, and not with NO_COLOR].",
)
@limit_option
@allow_path_option
def check(
    scenarios: tuple[Path, ...],
    runs: int,
    seed: int,
    explore: int,
    strict: bool,
    notes: bool,
    fmt: str,
    out: Path | None,
    color: bool | None,
    limits: tuple[tuple[str, int], ...],
    allow_paths: tuple[Path, ...],
) -> None:
    """Check each SCENARIO: loading, static analysis and its claims.

    \b
    1. Loading: every problem, located (file:line:col: key.path: message).
    2. Analysis: unreachable states, dead ends, triggers nothing handles, guards that can
       never hold, transitions that compete, rules that can cascade without bound.
    3. Its `expect` items and `invariants`, judged on one run, or on --runs runs when the
       scenario has random rules (the share of runs and its 95% interval for a bound).
    4. With --explore N: N random event sequences hunting invariant violations.

    Exit status: 0 all passed; 1 a check failed (an expectation, an invariant, an error
    finding, or with --strict a warning); 2 a scenario could not be loaded.
    """
    from simulator.check.checker import check_scenario
    from simulator.report.check import check_json, check_text
    from simulator.scenario.loading import load_scenario_with_origin

    chosen = limits_from(limits, allow_paths)
    reports = []
    invalid = False
    for path in scenarios:
        progress = Progress(sys.stderr)
        try:
            loaded = load_scenario_with_origin(path, chosen)
            reports.append(check_scenario(loaded, runs, seed, explore, progress))
        except DipsimError as err:
            report(err)
            invalid = True
        finally:
            progress.close()
    if fmt == "json":
        write(check_json(reports, strict), out)
    else:
        from simulator.cli.step import use_color

        text = "".join(check_text(r, strict, notes) for r in reports)
        if use_color(color, out):  # painted after the scenarios' texts are made printable
            echo(_coloured(printable(text)), nl=False, painted=True)
        else:
            write(text, out)
    if invalid:
        sys.exit(EXIT_INVALID)
    if any(r.failures(strict) for r in reports):
        sys.exit(EXIT_FAILED)
