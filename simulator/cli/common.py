"""What every command shares: printing, failing with located problems, writing output
atomically, the date and limit parameter types, and the exit codes.

Every text a command prints or writes goes through :func:`echo` or :func:`write`, which show
terminal control characters as escape text (:func:`simulator.core.text.printable`): scenario
and batch texts come from files anyone may hand over, and a terminal obeys what it is sent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from simulator.core.dates import parse_date
from simulator.core.errors import DipsimError, ScenarioError
from simulator.core.text import printable

if TYPE_CHECKING:
    from collections.abc import Callable

    from simulator.scenario.yamlread import Limits

F = TypeVar("F", bound="Callable[..., object]")

#: The width of a table when neither --width nor a terminal says (a file, a pipe), and the
#: narrowest and widest a terminal's width is taken as: below 60 even the narrowest layout
#: wraps, and lines past 120 columns are hard to read (--width may still ask for them).
DEFAULT_WIDTH, NARROWEST, WIDEST = 100, 60, 120

#: A check failed (an expectation did not hold, an error-level finding).
EXIT_FAILED = 1
#: The input or the command line is invalid.
EXIT_INVALID = 2


def echo(text: str, *, nl: bool = True, err: bool = False, painted: bool = False) -> None:
    """Print ``text`` with its terminal control characters shown as escape text.

    ``painted`` text carries dipsim's own escape codes (colours, kept even on a pipe as
    ``--color`` may ask; the carriage return that wipes a prompt), which are left alone: it
    must have been made of printable parts, as the table paints a printable copy of its trace.
    """
    if painted:
        click.echo(text, nl=nl, err=err, color=True)
    else:
        click.echo(printable(text), nl=nl, err=err)


def report(err: DipsimError) -> None:
    """Print ``err`` on standard error: one ``error:`` line per problem."""
    lines = [str(p) for p in err.problems] if isinstance(err, ScenarioError) else [str(err)]
    for line in lines:
        echo(f"error: {line}", err=True)
    if len(lines) > 1:
        echo(f"{len(lines)} problems found", err=True)


def fail(err: DipsimError) -> NoReturn:
    """Report ``err`` and exit with status 2 (the input is invalid)."""
    report(err)
    sys.exit(EXIT_INVALID)


def write(text: str | bytes, out: Path | None) -> None:
    """Write to ``out`` atomically (temporary file, then rename), or to stdout.

    ``bytes`` (an image) are written as they are; text as UTF-8, with its terminal control
    characters shown as escape text (a file is printed too, with ``cat``).
    """
    if isinstance(text, str):
        text = printable(text)
    if out is None:
        click.echo(text, nl=False)
        return
    from simulator.core.files import save_bytes

    try:
        save_bytes(out, text if isinstance(text, bytes) else text.encode("utf-8"))
    except DipsimError as err:
        fail(err)


#: Runs that judge the claims of a stochastic scenario (check, report): the library's
#: ``simulator.check.checker.CLAIM_RUNS``, written out here so that ``dipsim --help`` need not
#: import the library (a test keeps the two equal).
CLAIM_RUNS = 1_000

table_or_json_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people; json for programs.",
)


class DateType(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    name = "DATE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(str(value))
        except ValueError as err:
            self.fail(str(err), param, ctx)


def check_plot(plot: Path | None) -> None:
    """A figure asked for: refuse a suffix it cannot be drawn as, or a missing matplotlib, before
    any work is done (raises DipsimError)."""
    if plot is not None:
        from simulator.plots import figure_format, require_matplotlib

        figure_format(plot)
        require_matplotlib()


out_option = click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of standard output (written atomically).",
)


class LimitType(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """``NAME=N``: one of :class:`simulator.scenario.yamlread.Limits`' fields and its new value."""

    name = "NAME=N"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value  # already converted (a default)
        from simulator.core.errors import did_you_mean
        from simulator.scenario.yamlread import Limits

        names = [f.name for f in dataclasses.fields(Limits)]
        name, sep, number = str(value).partition("=")
        if not sep:
            self.fail(f"{value!r} is not NAME=N (e.g. max_events=500000)", param, ctx)
        if name not in names:
            self.fail(
                f"no limit {name!r}{did_you_mean(name, names)}; limits: {', '.join(names)}",
                param,
                ctx,
            )
        try:
            limit = int(number.replace("_", ""))
        except ValueError:
            self.fail(f"{name}: {number!r} is not a whole number", param, ctx)
        if limit < 1:
            self.fail(f"{name}: a limit is at least 1, not {limit}", param, ctx)
        return name, limit


limit_option = click.option(
    "--limit",
    "limits",
    type=LimitType(),
    multiple=True,
    help="Raise (or lower) an input limit, e.g. --limit max_events=500000 (repeatable; see "
    "docs/checking.md for the limits).",
)


def limits_from(pairs: tuple[tuple[str, int], ...]) -> Limits:
    """The default limits with the ``--limit`` options given applied."""
    from simulator.scenario.yamlread import DEFAULT_LIMITS

    return dataclasses.replace(DEFAULT_LIMITS, **dict(pairs))


def width_option(what: str) -> Callable[[F], F]:
    """``--width``: the columns ``what`` fits, by default the terminal's (:func:`table_width`)."""
    return click.option(
        "--width",
        type=click.IntRange(min=NARROWEST),
        default=None,
        show_default=f"the terminal's, {NARROWEST} to {WIDEST}; else {DEFAULT_WIDTH}",
        help=f"Columns to fit {what} to.",
    )


def table_width(width: int | None, out: Path | None) -> int:
    """The columns a table is made for: ``width`` if given; else, printing to a terminal, its
    width (``COLUMNS`` if set, as shells and ``shutil.get_terminal_size`` read it), from 60 to
    120; else (``--out``, a pipe) 100, so that a file is the same whoever writes it."""
    if width is not None:
        return width
    if out is not None:
        return DEFAULT_WIDTH
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        found = int(columns)
    elif sys.stdout.isatty():
        try:
            found = os.get_terminal_size(sys.stdout.fileno()).columns
        except (OSError, ValueError):  # not a real terminal after all (no size, no descriptor)
            return DEFAULT_WIDTH
    else:
        return DEFAULT_WIDTH
    return min(max(found, NARROWEST), WIDEST)
