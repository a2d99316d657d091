"""The terminal side of ``dipsim run``: whether the table is coloured, and ``--step``, which
shows one event per keypress so that a teacher can narrate a replay in class.

Only this module looks at terminals. The table itself (:mod:`simulator.report.table`) says what
each piece is; :func:`paint` says how it looks, with click's styles.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from simulator.cli.common import echo
from simulator.core.palette import state_palette
from simulator.report.table import PLAIN, Role, TableParts, TableStyle, table_parts

if TYPE_CHECKING:
    from simulator.scenario.model import Scenario

#: Foreground colours of what is not a state: conflict red and cooperation green, as in the
#: figures of simulator.plots; grey for neither. Event ids are bold (``None``: no colour).
#: States are painted in their own colours (:func:`table_style`), the ones every figure, the
#: diagram and the report give them (:mod:`simulator.core.palette`).
COLOURS: dict[Role, str | None] = {
    Role.CONFLICT: "red",
    Role.COOPERATION: "green",
    Role.NEUTRAL: "bright_black",
    Role.EVENT_ID: None,
}

#: Keys that show the next event: Enter (``\r`` on a raw terminal), space, the right arrow
#: (normal and application cursor mode), ``n``.
NEXT_KEYS = frozenset({"\r", "\n", " ", "\x1b[C", "\x1bOC", "n"})
#: Keys that stop. The end of input (``""``, e.g. Ctrl-D) stops too.
QUIT_KEYS = frozenset({"q", "Q"})


#: The roles of states, painted by the state's own colour rather than by the role.
STATE_ROLES = frozenset({Role.CALM, Role.UNEASY, Role.GRAVE, Role.CRISIS})


def paint(text: str, role: Role) -> str:
    """``text`` styled for a terminal as its ``role`` is (the painter of what is not a state)."""
    fg = COLOURS.get(role)
    return click.style(text, fg=fg, bold=True if fg is None else None)


def state_painter(states: Sequence[str]) -> Callable[[str, Role], str]:
    """The table's painter: each of the machine's ``states`` (calm to crisis) in the nearest
    terminal colour to its colour in the figures, the rest as :func:`paint` has it."""
    colours = {s: c.ansi256 for s, c in state_palette(states).items()}

    def painter(text: str, role: Role) -> str:
        if role in STATE_ROLES and text in colours:
            return click.style(text, fg=colours[text])
        return paint(text, role)

    return painter


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def stdin_is_terminal() -> bool:
    # The one seam tests replace: click's test runner gives the command a stdin that is never
    # a terminal, yet feeds click.getchar() from its input.
    return sys.stdin.isatty()


def use_color(flag: bool | None, out: Path | None) -> bool:
    """Whether ``dipsim run`` colours its table.

    Never in a file (``--out``). Otherwise ``--color``/``--no-color`` decide when given (an
    explicit option wins over the environment, as https://no-color.org asks). Otherwise no
    colour when ``NO_COLOR`` is set to anything but the empty text, or ``TERM`` is ``dumb``,
    and colour when standard output is a terminal (not a pipe or a file).
    """
    if out is not None:
        return False
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stdout_is_terminal()


def table_style(color: bool, states: tuple[str, ...]) -> TableStyle:
    """The table's style: painted for a terminal along the machine's ``states``, or plain."""
    return TableStyle(paint=state_painter(states), states=states) if color else PLAIN


def check_step(fmt: str, out: Path | None, runs: int) -> None:
    """Refuse ``--step`` where it cannot work, as a usage error (status 2)."""
    ctx = click.get_current_context()
    if runs > 1:
        raise click.UsageError(f"--step shows one run; it cannot be used with --runs {runs}.", ctx)
    if fmt != "table":
        raise click.UsageError(
            f"--step shows the table; it cannot be used with --format {fmt}.", ctx
        )
    if out is not None:
        raise click.UsageError(
            "--step shows the table on the terminal; it cannot be used with --out.", ctx
        )
    if not stdin_is_terminal():
        raise click.UsageError(
            "--step waits for keys, but standard input is not a terminal; run without --step "
            "to print the whole table.",
            ctx,
        )


def step_run(
    scenario: Scenario,
    seed: int,
    until: dt.date | None,
    width: int,
    plot: Path | None,
    style: TableStyle,
    color: bool,
) -> None:
    """``dipsim run --step``: one run (its timeline drawn, with ``plot``), shown in steps."""
    from simulator.engine.simulation import dynamics, simulate

    trace = simulate(scenario, seed=seed, until=until)
    if plot is not None:
        from simulator.plots import save, timeline_figure

        # With the scenario's decay, the tension curve is drawn as the engine moved it.
        figure = timeline_figure(
            trace,
            states=scenario.machine.state_names,
            dynamics=dynamics(scenario),
            track_states=scenario.track_orders,
        )
        save(figure, plot)
    parts = table_parts(trace, width, style=style)
    step_through(parts, [r.date_text for r in trace.records], color)


def step_through(parts: TableParts, dates: Sequence[str], color: bool) -> None:
    """Show a table one event per keypress: the head and the first event, then after each key
    the next event; after the last, the tail (log and final states).

    The table goes to standard output exactly as without ``--step`` (so it may be piped on);
    the prompt (``event 3/21 ...``) goes to standard error and is wiped before the next event.
    ``q`` (or the end of input) stops with a ``stopped at`` line instead of the tail. ``dates``
    are the events' dates, for that line; ``color`` dims the prompt. The parts' colours, if
    their style painted them, are kept even on a pipe (``--color`` may force them): the parts
    are made from a printable copy of the trace (report.table), so they are the only escape
    codes.
    """
    echo(parts.head, nl=False, painted=True)
    total = len(parts.events)
    for k, block in enumerate(parts.events, start=1):
        echo(block, nl=False, painted=True)
        if k < total and not _next(f"event {k}/{total} · Enter: next · q: quit", color):
            echo(f"\nstopped at event {k}/{total} ({dates[k - 1]})")
            return
    echo(parts.tail, nl=False, painted=True)


def _next(prompt: str, color: bool) -> bool:
    """Show ``prompt`` on standard error and wait for a key: True for next, False for quit.

    Other keys are ignored. The prompt is wiped (carriage return, spaces) before returning, so
    that the next event is printed where it stood.
    """
    echo(click.style(prompt, dim=True) if color else prompt, nl=False, err=True, painted=True)
    try:
        while True:
            read = click.getchar()
            # One read may hold several keys (Enter held down, a paste): the first counts. An
            # escape sequence (an arrow) is one key.
            key = read if read.startswith("\x1b") else read[:1]
            if key in NEXT_KEYS:
                return True
            if key in QUIT_KEYS or key == "":
                return False
    except EOFError:  # Ctrl-D on a raw terminal
        return False
    finally:
        echo("\r" + " " * len(prompt) + "\r", nl=False, err=True, painted=True)
