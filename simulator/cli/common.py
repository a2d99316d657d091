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
from typing import TYPE_CHECKING, Literal, NoReturn, TypeVar

import click

from simulator.core.dates import parse_date, window_problem
from simulator.core.errors import DipsimError, ScenarioError, quoted
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


def located(err: DipsimError, scenario: Path, limits: Limits) -> DipsimError:
    """``err`` placed at ``file:line:col`` when it is a run's failure that knows the key at
    fault (a rule's guard that divides by zero on the run's values); any other error as it is.

    Only on this error path is the scenario file read again, with its positions: a run that
    works never pays for them.
    """
    from simulator.core.errors import SimulationError

    if not isinstance(err, SimulationError) or not err.key_path:
        return err
    from simulator.check.checker import located as at
    from simulator.scenario.loading import load_scenario_with_origin

    try:
        return at(err, load_scenario_with_origin(scenario, limits))
    except DipsimError:  # the file changed under us: the message without its place
        return err


def fail(err: DipsimError) -> NoReturn:
    """Report ``err`` and exit with status 2 (the input is invalid)."""
    report(err)
    sys.exit(EXIT_INVALID)


def write(text: str | bytes, out: Path | None) -> None:
    """Write to ``out`` atomically (temporary file, then rename), or to stdout.

    ``bytes`` (an image) are written as they are; text as UTF-8, with its terminal control
    characters shown as escape text (a file is printed too, with ``cat``), and the undecodable
    bytes of a file name (which Python reads as lone surrogates, ``'\\udce9'``) written as that
    escape, rather than failing the whole output.
    """
    if isinstance(text, str):
        text = printable(text)
    if out is None:
        click.echo(text, nl=False)
        return
    from simulator.core.files import save_bytes

    data = text if isinstance(text, bytes) else text.encode("utf-8", "backslashreplace")
    try:
        save_bytes(out, data)
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


def from_option(what: str) -> Callable[[F], F]:
    """``--from DATE``: show ``what`` from the start of that day on (the run still starts at
    the scenario's start, so the states and variables there are the run's)."""
    return click.option(
        "--from",
        "since",
        type=DateType(),
        help=f"Show {what} from the start of this day; the run still starts at the "
        "scenario's start.",
    )


def check_window(
    since: dt.date | None, until: dt.date | None, start: dt.date, end: dt.date
) -> None:
    """``--from``/``--until`` inside the scenario's span and in order (raises DipsimError)."""
    problem = window_problem(since, until, start, end)
    if problem is not None:
        raise DipsimError(problem)


def check_plot(plot: Path | None) -> None:
    """A figure asked for: refuse a suffix it cannot be drawn as, or a missing matplotlib, before
    any work is done (raises DipsimError)."""
    if plot is not None:
        from simulator.plots import figure_format, require_matplotlib

        figure_format(plot)
        require_matplotlib()


class OutputPath(click.Path):
    """A file to write: a new name or a regular file (a symbolic link counts as the file it
    leads to). A FIFO, a device, a socket or a directory is refused before any work is done,
    since writing replaces the file whole (see :mod:`simulator.core.files`)."""

    def __init__(self, *, dash: Literal["refuse", "keep", "stdout"] = "refuse") -> None:
        # "-" is standard output by convention: an option whose default is standard output takes
        # it as that default ("stdout": converted to None), one that handles it itself keeps it
        # ("keep"), and one that cannot write there (a figure, a results file) refuses it rather
        # than write a file named "-".
        super().__init__(path_type=Path, dir_okay=False, allow_dash=True)
        self.dash = dash

    def convert(
        self,
        value: str | os.PathLike[str],
        param: click.Parameter | None,
        ctx: click.Context | None,
    ) -> str | bytes | os.PathLike[str]:
        path = super().convert(value, param, ctx)
        if str(path) == "-":
            if self.dash == "stdout":
                return None  # type: ignore[return-value]  # the option's default: standard output
            if self.dash == "refuse":
                self.fail(
                    "'-' (standard output) cannot take this output: give a file name", param, ctx
                )
            return path
        if isinstance(path, Path):
            from simulator.core.files import NotRegularFileError, output_target

            try:
                output_target(path)
            except NotRegularFileError as err:
                self.fail(
                    f"{quoted(path, 200)} is {err.kind}, not a regular file: dipsim writes regular "
                    "files only (it replaces them whole); give a new file name",
                    param,
                    ctx,
                )
        return path


out_option = click.option(
    "--out",
    "-o",
    type=OutputPath(dash="stdout"),
    help="Write to this file instead of standard output (written atomically); - is standard "
    "output.",
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
        from simulator.scenario.limits import Limits

        names = [f.name for f in dataclasses.fields(Limits) if f.name.startswith("max_")]
        name, sep, number = str(value).partition("=")
        if not sep:
            self.fail(f"{value!r} is not NAME=N (e.g. max_events=500000)", param, ctx)
        if name not in names:
            self.fail(
                f"no limit {name!r}{did_you_mean(name, names)}; limits: {', '.join(names)}",
                param,
                ctx,
            )
        digits = number.replace("_", "")
        try:
            # A digit count past int's own limit (4,300) is refused by int(): no value that
            # long could be a limit anyway.
            limit = int(digits)
        except ValueError:
            self.fail(f"{name}: {number[:20]!r} is not a whole number", param, ctx)
        from simulator.scenario.limits import limit_problem

        problem = limit_problem(name, limit)
        if problem is not None:
            self.fail(problem, param, ctx)
        return name, limit


limit_option = click.option(
    "--limit",
    "limits",
    type=LimitType(),
    multiple=True,
    help="Raise (or lower) an input limit, e.g. --limit max_events=500000 (repeatable; see "
    "docs/checking.md for the limits).",
)


allow_path_option = click.option(
    "--allow-path",
    "allow_paths",
    type=click.Path(path_type=Path, file_okay=False),
    multiple=True,
    metavar="DIR",
    help="Let the paths written in files (extends, a source's file, a batch spec's scenario) "
    "reach this folder too, besides the working folder and the named file's own (repeatable; "
    "see docs/checking.md).",
)


def limits_from(pairs: tuple[tuple[str, int], ...], allow_paths: tuple[Path, ...] = ()) -> Limits:
    """The default limits with the ``--limit`` and ``--allow-path`` options given applied."""
    from simulator.scenario.limits import DEFAULT_LIMITS

    numbers: dict[str, int] = dict(pairs)
    return dataclasses.replace(DEFAULT_LIMITS, allow_paths=allow_paths, **numbers)


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
