"""What every command shares: failing with located problems, writing output atomically,
the date and limit parameter types, and the exit codes."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from simulator.errors import DipsimError, ScenarioError

if TYPE_CHECKING:
    pass

#: A check failed (an expectation did not hold, an error-level finding).
EXIT_FAILED = 1
#: The input or the command line is invalid.
EXIT_INVALID = 2


def fail(err: DipsimError) -> NoReturn:
    lines = [str(p) for p in err.problems] if isinstance(err, ScenarioError) else [str(err)]
    for line in lines:
        click.echo(f"error: {line}", err=True)
    if len(lines) > 1:
        click.echo(f"{len(lines)} problems found", err=True)
    sys.exit(EXIT_INVALID)


def write(text: str, out: Path | None) -> None:
    """Write to ``out`` atomically (temporary file, then rename), or to stdout."""
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        fail(DipsimError(f"{out}: cannot create the folder {out.parent}: {err.strerror or err}"))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    except OSError as err:
        fail(DipsimError(f"{out}: cannot write in {out.parent}: {err.strerror or err}"))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, out)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        fail(DipsimError(f"{out}: cannot write: {err.strerror or err}"))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DateType(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    name = "DATE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date of the form YYYY-MM-DD", param, ctx)


out_option = click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of standard output (written atomically).",
)
