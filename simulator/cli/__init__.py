"""The ``dipsim`` command line: a thin click layer over the library.

This package is the only code that prints or exits; one module per command (group). Imports
of the library's heavier parts (pydantic, yaml, simpy, transitions) happen inside the commands
so that ``dipsim --help`` stays fast.

Exit codes: 0 success; 1 a check failed; 2 the input (or the command line) is invalid.
"""

from __future__ import annotations

import os
import warnings
from typing import TextIO

import click

from simulator.cli.analyze import analyze
from simulator.cli.batch import batch, summarize
from simulator.cli.check import check
from simulator.cli.common import echo
from simulator.cli.diff import diff
from simulator.cli.graph import graph
from simulator.cli.import_ import import_records
from simulator.cli.report import report
from simulator.cli.run import run
from simulator.cli.schema import schema
from simulator.core.text import printable

#: The exit status of a command stopped by Ctrl-C (SIGINT), as shells report it: 128 + 2.
EXIT_INTERRUPTED = 130


class _Dipsim(click.Group):
    """The command group: Ctrl-C ends any command with status 130 and one line, as batch does;
    click's own error messages and the warnings of libraries are made printable
    (:func:`simulator.core.text.printable`).

    (click's own handling prints ``Aborted!`` and exits 1, which a script cannot tell from a
    failed check.) A command with something to add, like batch's ``--resume`` hint, catches it
    first.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            with warnings.catch_warnings():  # puts the warnings module back as it was
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except click.ClickException as err:
            # click prints its own messages (a bad option, a missing file), which may quote a
            # file name or a value with terminal control characters in it.
            # (click's typing marks the attribute final; it is a plain attribute, read by show.)
            setattr(err, "message", printable(err.message))  # noqa: B010
            raise
        except KeyboardInterrupt:
            echo("\ninterrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Print a warning as Python would, made printable: a library's warning may quote a
    scenario's text (matplotlib names a glyph it cannot draw, an escape character included)."""
    text = warnings.formatwarning(message, category, filename, lineno, line)
    if file is None:
        echo(text, nl=False, err=True)
    else:
        file.write(printable(text))


@click.group(
    cls=_Dipsim,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="dipsim", prog_name="dipsim")
def cli() -> None:
    """dipsim: replay a diplomatic crisis as a state machine, and ask what if.

    \b
    Start with the January 2024 Pakistan–Iran crisis:
      dipsim run scenarios/jan2024.yaml
    """


for _command in (
    run,
    check,
    schema,
    diff,
    graph,
    report,
    batch,
    summarize,
    analyze,
    import_records,
):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    # pydantic looks for plugins by scanning every installed distribution's entry points the
    # first time a model validates: 10-20 ms of a 0.2 s run, for plugins that instrument
    # library code, not this command. A user who wants them sets the variable to '' or a list.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    cli(prog_name="dipsim")
