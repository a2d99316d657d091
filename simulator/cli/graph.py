"""``dipsim graph``: a scenario's state machine as a diagram, optionally with a run's path."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from simulator.cli.common import (
    allow_path_option,
    fail,
    limit_option,
    limits_from,
    out_option,
    write,
)
from simulator.core.errors import DipsimError

if TYPE_CHECKING:
    from simulator.scenario.yamlread import Limits


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot", "svg", "png"]),
    default="mermaid",
    show_default=True,
    help="mermaid and dot are text; svg and png are drawn by Graphviz's dot program.",
)
@click.option(
    "--trace",
    "with_trace",
    is_flag=True,
    help="Replay the scenario and highlight the path its relation took, each edge with the "
    "events that fired it.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the run drawn with --trace.",
)
@click.option(
    "--relation",
    metavar="A-B",
    help="The relation whose path --trace draws.  [default: the scenario's first]",
)
@click.option(
    "--track",
    metavar="NAME",
    help="Draw this parallel track of the scenario (tracks:) instead of its machine; with "
    "--trace, the relation's path on it.  [default: the machine, 'diplomatic']",
)
@out_option
@limit_option
@allow_path_option
@click.pass_context
def graph(
    ctx: click.Context,
    scenario: Path,
    fmt: str,
    with_trace: bool,
    seed: int,
    relation: str | None,
    track: str | None,
    out: Path | None,
    limits: tuple[tuple[str, int], ...],
    allow_paths: tuple[Path, ...],
) -> None:
    """Draw SCENARIO's state machine as Mermaid, DOT, SVG or PNG.

    Every state (the initial one marked by an arrow from a dot, final ones by a double border
    or an arrow to the end) and every transition, labelled with its trigger and guard;
    transitions between the same two states share one edge.

    With --trace, the scenario is replayed (with --seed) and the path of one relation
    (--relation) is highlighted: the states it visited, the edges it took, each labelled with
    the steps that took it (2. 2024-01-17 pakistan-recalls-ambassador).

    A scenario with parallel tracks (tracks:) has one diagram per track: --track NAME draws it.
    """
    try:
        if fmt == "png" and out is None:
            raise DipsimError("a PNG image is not text: give a file to write it to with --out")
        if not with_trace:
            # Quietly ignoring them would draw a plain machine where a path was wanted.
            given = [
                f"--{name}"
                for name in ("relation", "seed")
                if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
            ]
            if given:
                verb = "applies" if len(given) == 1 else "apply"
                raise DipsimError(f"{' and '.join(given)} only {verb} with --trace")
        limited = limits_from(limits, allow_paths)
        output = _draw(scenario, fmt, with_trace, seed, relation, limited, track)
    except DipsimError as err:
        fail(err)
    write(output, out)


def _draw(
    path: Path,
    fmt: str,
    with_trace: bool,
    seed: int,
    relation: str | None,
    limits: Limits,
    track: str | None = None,
) -> str | bytes:
    """The diagram as ``dipsim graph`` writes it: text, or image bytes."""
    from simulator.graph import choose_relation, choose_track, diagram, render, to_dot, to_mermaid
    from simulator.scenario.loading import load_scenario

    scenario = load_scenario(path, limits)
    choose_track(scenario, track)  # a misspelt track is reported before any run
    trace = None
    if with_trace:
        from simulator.engine.simulation import simulate

        # Checked before the run, so that a misspelt relation is reported at once.
        choose_relation(scenario, relation)
        trace = simulate(scenario, seed=seed)
    drawn = diagram(scenario, trace, relation=relation, track=track)
    if fmt == "mermaid":
        return to_mermaid(drawn)
    dot_text = to_dot(drawn)
    if fmt == "dot":
        return dot_text
    return render(dot_text, fmt)
