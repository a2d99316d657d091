"""``dipsim run``: replay a scenario, or run it many times and print the outcomes."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from simulator.cli.common import (
    DateType,
    OutputPath,
    allow_path_option,
    check_plot,
    check_window,
    echo,
    fail,
    from_option,
    limit_option,
    limits_from,
    located,
    out_option,
    table_width,
    width_option,
    write,
)
from simulator.core.errors import DipsimError

if TYPE_CHECKING:
    from simulator.report.table import TableStyle
    from simulator.scenario.model import Scenario


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table for people; json and csv for programs.",
)
@out_option
@click.option("--until", type=DateType(), help="Stop at the end of this day (YYYY-MM-DD).")
@from_option("the trace (and the timeline of --plot)")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the run's random generator (recorded in the output).",
)
@click.option(
    "--runs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Run this many times (seeds derived from --seed) and print the distribution of "
    "outcomes; 1, the default, prints the one run's trace (check and report judge claims on "
    "1,000 runs).",
)
@click.option(
    "--workers",
    "-j",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Processes for --runs: 0 means every core (under 5,000 runs, this process: starting "
    "workers would cost more than they save); 1 runs in this process.",
)
@width_option("the table (with --runs: the outcomes)")
@limit_option
@allow_path_option
@click.option(
    "--plot",
    type=OutputPath(),
    help="Also draw a figure, .png or .svg: the first relation's timeline; with --runs, its "
    "outcomes (needs the plot extra).",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the table's states and its conflict and cooperation markers, or not "
    "[default: when standard output is a terminal and NO_COLOR is not set].",
)
@click.option(
    "--draw-dates",
    is_flag=True,
    help="Draw a day for each event whose date is uncertain, from --seed, as each run of --runs "
    "does (run k's trace: --seed derive_seed(S, k)); without it, the replay point.",
)
@click.option(
    "--step",
    is_flag=True,
    help="On a terminal, show one event per key: Enter or space for the next, q to stop.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Load and validate the scenario in full even if it was validated before, and keep "
    "nothing (the output is the same either way; see docs/cli.md, The scenario cache).",
)
def run(
    scenario: Path,
    fmt: str,
    out: Path | None,
    until: dt.date | None,
    since: dt.date | None,
    seed: int,
    runs: int,
    workers: int,
    width: int | None,
    limits: tuple[tuple[str, int], ...],
    allow_paths: tuple[Path, ...],
    plot: Path | None,
    color: bool | None,
    draw_dates: bool,
    step: bool,
    no_cache: bool,
) -> None:
    """Replay SCENARIO and print its trace, event by event.

    Each event shows its date, type, actor and target, the relation's state change and
    tension, then its summary and the sentence of the source it rests on.

    With --runs N (N > 1), run it N times instead, run k with a seed derived from --seed and k,
    and print the outcomes: the share of runs ending in and reaching each state (with 95%
    intervals), days in each state, days until each state is reached, the commonest paths.
    """
    from simulator.cli.step import check_step, step_run, table_style, use_color
    from simulator.scenario.cache import load_for_run

    if step:
        check_step(fmt, out, runs)
    colored = use_color(color, out)
    width = table_width(width, out)
    try:
        check_plot(plot)
        chosen = limits_from(limits, allow_paths)
        if runs > chosen.max_runs:
            from simulator.scenario.limits import limit_hint, shown_number

            raise DipsimError(
                f"--runs {shown_number(runs)} is more runs than one command makes "
                f"{limit_hint('max_runs', chosen)}"
            )
        loaded = load_for_run(scenario, chosen, use_cache=not no_cache)
        check_window(since, until, loaded.start, loaded.end)
        if draw_dates and step:
            raise DipsimError("--draw-dates does not go with --step (a step shows the replay)")
        if since is not None and (runs > 1 or step):
            raise DipsimError(
                "--from shows part of one run's trace: it does not go with "
                + ("--runs" if runs > 1 else "--step")
            )
        if runs > 1:
            text = _many_runs(loaded, runs, seed, workers, until, fmt, width, plot)
        else:
            style = table_style(colored, loaded.machine.state_names)
            if step:
                step_run(loaded, seed, until, width, plot, style, colored)
                return
            text = _one_run(loaded, seed, until, fmt, width, plot, style, since, draw_dates)
    except DipsimError as err:
        fail(located(err, scenario, limits_from(limits, allow_paths)))
    if colored and runs == 1:  # the table painted a printable copy of the trace
        echo(text, nl=False, painted=True)
    else:
        write(text, out)


def _one_run(
    scenario: Scenario,
    seed: int,
    until: dt.date | None,
    fmt: str,
    width: int,
    plot: Path | None = None,
    style: TableStyle | None = None,
    since: dt.date | None = None,
    draw_dates: bool = False,
) -> str:
    """One run's trace, as ``dipsim run`` prints it (and its timeline, with ``plot``); with
    ``since``, the part of it from that day on; with ``draw_dates``, its uncertain dates drawn
    from ``seed``."""
    from simulator.engine.simulation import Simulator, dynamics
    from simulator.engine.trace import window

    trace = Simulator(scenario).run(seed=seed, until=until, draw_dates=draw_dates)
    moves = dynamics(scenario)
    if since is not None:
        trace, moves = window(trace, since, moves)
    if plot is not None:
        from simulator.plots import save, timeline_figure

        # With the scenario's decay, the tension curve is drawn as the engine moved it.
        figure = timeline_figure(
            trace,
            states=scenario.machine.state_names,
            dynamics=moves,
            track_states=scenario.track_orders,
        )
        save(figure, plot)
    if fmt == "json":
        from simulator.report.formats import trace_to_json

        text = trace_to_json(trace)
    elif fmt == "csv":
        from simulator.report.formats import trace_to_csv

        text = trace_to_csv(trace)
    else:
        from simulator.report.table import PLAIN, trace_table

        text = trace_table(trace, width=width, style=PLAIN if style is None else style)
    return text


def _many_runs(
    scenario: Scenario,
    runs: int,
    seed: int,
    workers: int,
    until: dt.date | None,
    fmt: str,
    width: int,
    plot: Path | None = None,
) -> str:
    """The outcomes of ``runs`` runs, as ``dipsim run --runs`` prints them (and drawn, with
    ``plot``)."""
    from simulator.engine.montecarlo import run_many
    from simulator.report.outcomes import outcomes_csv, outcomes_json, outcomes_table

    progress = Progress(sys.stderr)
    try:
        outcomes = run_many(scenario, runs, seed, workers, progress, until=until)
    finally:
        progress.close()
    if plot is not None:
        from simulator.plots import outcomes_figure, save

        save(outcomes_figure(outcomes), plot)
    if fmt == "json":
        return outcomes_json(outcomes)
    if fmt == "csv":
        return outcomes_csv(outcomes)
    return outcomes_table(outcomes, width=width)


class Progress:
    """Progress of many runs: one line on standard error, rewritten in place.

    `` 3,400/10,000 runs  2,950 runs/s``, shown only when standard error is a terminal and only
    once the work has taken ``delay`` seconds (a quick job shows nothing); ``close`` wipes it.
    """

    def __init__(
        self,
        stream: TextIO,
        delay: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.shown = 0  # length of the line on screen

    def __call__(self, done: int, total: int) -> None:
        elapsed = self.clock() - self.started
        if not self.enabled or elapsed < self.delay:
            return
        line = self.text(done, total, elapsed)
        self.stream.write("\r" + line.ljust(self.shown))
        self.stream.flush()
        self.shown = len(line)

    def text(self, done: int, total: int, elapsed: float) -> str:
        """The line shown (a subclass shows other work: :class:`cli.import_.ByteProgress`)."""
        return f" {done:,}/{total:,} runs  {done / elapsed:,.0f} runs/s"

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0
