"""``dipsim batch`` and ``dipsim summarize``: scripted what-if batches and their results."""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import click

from simulator.cli.common import (
    OutputPath,
    allow_path_option,
    check_plot,
    echo,
    fail,
    limit_option,
    limits_from,
    out_option,
    table_or_json_option,
    write,
)
from simulator.core.errors import DipsimError
from simulator.core.text import json_text


@click.command()
@click.argument("spec", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--workers",
    "-j",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Worker processes: 0 means every core; 1 one worker (--backend sequential runs in "
    "this process).",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "dask", "sequential"]),
    default="local",
    show_default=True,
    help="local: a pool of processes; dask: a Dask cluster; sequential: in this process.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="A running Dask scheduler (tcp://host:8786); without it, a local cluster.",
)
@click.option(
    "--out",
    "-o",
    type=OutputPath(),
    help="Results file: .parquet, .csv or .jsonl [default: SPEC with .parquet].",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Keep the chunks an interrupted run of this spec wrote; run the rest.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    help="Runs per task [default: the spec's chunk_size, else 500].",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="How the closing summary is printed.",
)
@limit_option
@allow_path_option
def batch(
    spec: Path,
    workers: int,
    backend: str,
    scheduler: str | None,
    out: Path | None,
    resume: bool,
    chunk_size: int | None,
    quiet: bool,
    fmt: str,
    limits: tuple[tuple[str, int], ...],
    allow_paths: tuple[Path, ...],
) -> None:
    """Run the batch SPEC: every design point, one results row per run.

    Results are written in chunks as they finish (SPEC.parquet.parts/), so an interrupted batch
    (Ctrl-C, a lost machine) loses nothing finished: run the same command with --resume. A run
    that raises becomes a row with its error and seed. The summary gives, per design point, the
    share of runs ending in each state of the first relation, with 95% intervals.
    """
    from simulator.batch.runner import run_batch

    if scheduler is not None and backend != "dask":
        raise click.BadParameter("--scheduler goes with --backend dask", param_hint="--scheduler")
    progress = None if quiet else BatchProgress(sys.stderr)
    try:
        result = run_batch(
            spec,
            backend,
            workers or None,
            out=out,
            resume=resume,
            scheduler=scheduler,
            chunk_size=chunk_size,
            progress=progress,
            limits=limits_from(limits, allow_paths),
        )
    except DipsimError as err:
        fail(err)
    except KeyboardInterrupt:
        echo(
            "\ninterrupted: finished chunks are kept; run the same command with --resume to finish",
            err=True,
        )
        sys.exit(130)
    finally:
        if progress is not None:
            progress.close()
    for why in result.rerun:  # said even with --quiet: the batch did more than it was asked
        echo(f"note: resumed with {why}: that chunk ran again", err=True)
    if quiet:
        return
    rate = result.runs / result.seconds if result.seconds > 0 else 0.0
    echo(
        f"{result.runs:,} runs ({result.points:,} design points) in {result.seconds:.1f} s "
        f"({rate:,.0f} runs/s); {result.errors:,} runs raised an error; results: "
        f"{result.path}",
        err=True,
    )
    if fmt == "json":
        echo(json_text(result.summary.to_dict(), ascii_only=True))
    else:
        echo(result.summary.table(), nl=False)


@click.command()
@click.argument("results", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--by",
    multiple=True,
    metavar="COLUMN",
    help="Group by this column (repeatable) [default: every parameter column].",
)
@click.option("--relation", help="Whose final state to count [default: the first recorded].")
@click.option(
    "--bins",
    type=click.IntRange(min=1),
    metavar="N",
    help="Cut numeric group columns into N bins of equal width [default: 4 when every design "
    "point has one run and no --by is given, else none].",
)
@table_or_json_option
@out_option
@click.option(
    "--plot",
    type=OutputPath(),
    help="Also draw the shares against the first --by column (a second one: a panel per value), "
    ".png or .svg (needs the plot extra).",
)
def summarize(
    results: Path,
    by: tuple[str, ...],
    relation: str | None,
    bins: int | None,
    fmt: str,
    out: Path | None,
    plot: Path | None,
) -> None:
    """Summarise a results file of `dipsim batch`: shares per group.

    Per group of runs (by every parameter column, or --by), the share of runs ending in each
    state and the share in which each recorded claim held, with 95% Wilson intervals. A design
    with one run per point (Latin hypercube, Sobol, Morris) is grouped by bins of its parameters;
    `dipsim analyze` says which of them matter.
    """
    from simulator.batch.sinks import read_rows
    from simulator.batch.summary import (
        CLAIM_PREFIXES,
        Tally,
        machine_order,
        parameter_columns,
        relations_in,
        typed_rows,
    )

    try:
        check_plot(plot)
        rows = typed_rows(results)
        first = next(rows, None)
        if first is None:
            raise DipsimError(f"{results}: no rows")
        names = list(first)
        relations = relations_in(names)
        unknown = [c for c in by if c not in names]
        if unknown:
            raise DipsimError(f"--by {unknown[0]!r}: no such column; columns: {', '.join(names)}")
        if not relations:
            raise DipsimError(
                f"{results}: records no final states (no <A>-<B>.final_state "
                "column): nothing to summarise"
            )
        chosen = relation or relations[0]
        if chosen not in relations:
            raise DipsimError(f"--relation {chosen!r}: the results record {', '.join(relations)}")
        claims = [c for c in names if c.startswith(CLAIM_PREFIXES)]
        order = machine_order(names, chosen)
        groups = list(by) or parameter_columns(names) or ["point"]
        tally = Tally(groups, chosen, claims, order)
        binned = _bins(results, groups, bins, not by)
        for row in itertools.chain((first,), rows):
            tally.add(binned.of(row) if binned else row)
        if plot is not None:
            from simulator.plots import batch_figure, save

            x, facet = (*by, None, None)[:2]
            save(batch_figure(read_rows(results), chosen, x, facet), plot)
    except DipsimError as err:
        fail(err)
    if fmt == "json":
        write(json_text(tally.to_dict(), ascii_only=True) + "\n", out)
    else:
        write(tally.table(), out)


def _bins(results: Path, groups: list[str], asked: int | None, default: bool) -> Any:
    """The bins of the group columns (a first pass over the file), or None: asked for with
    --bins, or 4 when no --by was given and every design point has one run (said on stderr)."""
    from simulator.batch.summary import Bins, typed_rows

    if asked is None and not default:
        return None
    found = Bins(groups, asked or 4)
    once = True
    for row in typed_rows(results):
        found.widen(row)
        once = once and row.get("replication") in (0, None)
    if asked is None:
        if not once:
            return None
        echo(
            "note: one run per design point: each parameter is cut into 4 bins of equal width "
            "(--bins N to choose); dipsim analyze says which parameters matter",
            err=True,
        )
    return found


class BatchProgress:
    """A batch's progress on standard error: a tqdm bar (runs/s, ETA) on a terminal, a plain
    line every ``every`` seconds otherwise."""

    def __init__(self, stream: TextIO, every: float = 10.0) -> None:
        self.stream = stream
        self.every = every
        self.bar: Any = None
        self.tty = stream.isatty()
        self.last = time.monotonic()
        self.started = self.last

    def __call__(self, done: int, total: int) -> None:
        if self.tty and self.bar is None:
            try:
                from tqdm import tqdm
            except ImportError:  # the batch extra is missing: plain lines will do
                self.tty = False
        if self.tty:
            if self.bar is None:
                self.bar = tqdm(
                    total=total,
                    initial=done,
                    unit="run",
                    unit_scale=True,
                    file=self.stream,
                    dynamic_ncols=True,
                    smoothing=0.1,
                )
            self.bar.update(done - self.bar.n)
            return
        now = time.monotonic()
        if now - self.last >= self.every or done == total:
            rate = done / (now - self.started) if now > self.started else 0.0
            self.stream.write(
                f"{done:,}/{total:,} runs ({100 * done / max(total, 1):.0f}%), {rate:,.0f} runs/s\n"
            )
            self.stream.flush()
            self.last = now

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
