"""``dipsim report``'s work: load, run, check and draw, then build the page.

:mod:`simulator.report.html.page` only lays out what it is given; this module gets it: the scenario
(and, for a what-if, the scenario it extends), a run of each with the same seed, the verdicts of
``dipsim check``, the state diagram (Graphviz's SVG when ``dot`` is installed), the timeline
figure (when matplotlib is), and the diff of the two runs.

A missing drawing program does not stop the report: without Graphviz the diagram is shown as
Mermaid text, without matplotlib the page says where the timeline would be and how to get it,
and :attr:`Report.warnings` says so too, for the command line to print. The rest of the page
(events, sources, checks, the diff) needs neither, and a teacher who wants it should get it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from simulator.check.checker import CLAIM_RUNS, check_scenario
from simulator.core.dates import window_problem
from simulator.core.errors import DipsimError, shown_path
from simulator.engine.simulation import dynamics, simulate
from simulator.engine.trace import Dynamics, Trace
from simulator.engine.trace import window as window_of
from simulator.graph import choose_relation, diagram, dot_program, render, to_dot
from simulator.plots import require_matplotlib, svg_element, timeline_figure
from simulator.report.diff import diff_traces
from simulator.report.html.page import RunView, report_page
from simulator.scenario.loading import LoadedScenario, load_scenario_with_origin
from simulator.scenario.model import Scenario
from simulator.scenario.yamlread import DEFAULT_LIMITS, Limits


@dataclass(frozen=True, slots=True)
class Report:
    """The page, and what it had to leave out (one sentence each), for the user to be told."""

    html: str
    warnings: tuple[str, ...] = ()


def build_report(
    path: str | Path,
    *,
    seed: int = 0,
    runs: int = CLAIM_RUNS,
    relation: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    generated: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Report:
    """The report on the scenario at ``path`` (for a what-if, with its base beside it).

    Args:
        path: A scenario or what-if file.
        seed: Seed of the run shown (the base's too); the master seed of the checks' runs.
        runs: Runs that judge the claims of a scenario whose rules draw at random.
        relation: The relation (``A-B``) the diagram and the timeline follow; default the
            scenario's first.
        limits: Input limits for reading the files.
        generated: A time to show in the header; ``None`` keeps the page deterministic.
        since: Show the runs (events, timeline, diagram path) from this day on (``--from``).
        until: Stop the runs shown at the end of this day (``--until``); the checks' runs
            are the whole scenario's, as ``dipsim check`` makes them.

    Raises:
        DipsimError: A file cannot be loaded (every problem located), the relation is not the
            scenario's, or a run or a drawing failed.
    """
    loaded = load_scenario_with_origin(path, limits)
    problem = window_problem(since, until, loaded.scenario.start, loaded.scenario.end)
    if problem is not None:
        raise DipsimError(problem)
    rel = choose_relation(loaded.scenario, relation).id
    warnings: list[str] = []
    window = (since, until)
    run = _view("run", str(path), loaded.scenario, rel, seed, warnings, window)
    check = check_scenario(loaded, runs, seed)
    base = _base_view(loaded, rel, seed, warnings, window)
    diff = diff_traces(base.trace, run.trace) if base is not None else None
    page = report_page(
        run,
        check=check,
        base=base,
        diff=diff,
        version=_version(),
        generated=generated,
    )
    # The same note for the what-if and its base is one warning.
    return Report(page, tuple(dict.fromkeys(warnings)))


def _base_view(
    loaded: LoadedScenario,
    relation: str,
    seed: int,
    warnings: list[str],
    window: tuple[dt.date | None, dt.date | None] = (None, None),
) -> RunView | None:
    """The run of the scenario a what-if extends (its nearest base), or ``None``."""
    if loaded.base is None:
        return None
    base_path, base = loaded.base.path, loaded.base.scenario
    # A what-if may declare relations its base does not have: then the base's first.
    ids = {r.id for r in base.relations}
    rel = relation if relation in ids else base.relations[0].id
    return _view("base", shown_path(base_path), base, rel, seed, warnings, window)


def _view(
    role: str,
    file: str,
    scenario: Scenario,
    relation: str,
    seed: int,
    warnings: list[str],
    window: tuple[dt.date | None, dt.date | None] = (None, None),
) -> RunView:
    since, until = window
    trace = simulate(scenario, seed=seed, until=until)
    moves = dynamics(scenario)
    if since is not None:
        trace, moves = window_of(trace, since, moves)
    drawn = diagram(scenario, trace, relation=relation, title="")
    # Drawn for the page: top to bottom, readable at 1024 pixels; the steps listed beside it.
    diagram_svg, diagram_note = _diagram_svg(to_dot(drawn, page=True))
    timeline_svg, timeline_note = _timeline_svg(scenario, trace, relation, role, moves)
    warnings += [n for n in (diagram_note, timeline_note) if n]
    return RunView(
        tracks=tuple(
            _track_view(role, file, scenario, trace, relation, t) for t in scenario.tracks
        ),
        role=role,
        file=file,
        scenario=scenario,
        trace=trace,
        relation=relation,
        diagram=drawn,
        diagram_svg=diagram_svg,
        diagram_note=diagram_note,
        timeline_svg=timeline_svg,
        timeline_note=timeline_note,
    )


def _track_view(
    role: str, file: str, scenario: Scenario, trace: Trace, relation: str, track: str
) -> RunView:
    """A parallel track as the page shows it: its diagram, the run's path on it."""
    on_track, seen = scenario.as_track(track), trace.on_track(track)
    drawn = diagram(on_track, seen, relation=relation, title="")
    # (A missing ``dot`` is already among the warnings, from the machine's diagram.)
    svg, note = _diagram_svg(to_dot(drawn, page=True))
    return RunView(f"{role}-track-{track}", file, on_track, seen, relation, drawn, svg, note)


def _diagram_svg(dot_text: str) -> tuple[str | None, str]:
    """Graphviz's drawing, or why there is none (the page then shows the Mermaid text)."""
    if dot_program() is None:
        return None, (
            "Graphviz's `dot` program is not installed, so the state diagram is shown as "
            "Mermaid text, which any Mermaid viewer draws; install Graphviz (`apt install "
            "graphviz`, `brew install graphviz`) and make the report again to have it drawn here"
        )
    return render(dot_text, "svg").decode("utf-8"), ""


def _timeline_svg(
    scenario: Scenario, trace: Trace, relation: str, role: str, moves: Dynamics | None = None
) -> tuple[str | None, str]:
    """The timeline as SVG, or why there is none (matplotlib missing)."""
    try:
        require_matplotlib()
    except DipsimError as err:
        return None, f"no timeline figure: {err}, then make the report again"
    figure = timeline_figure(
        trace,
        relation=relation,
        states=scenario.machine.state_names,
        dynamics=dynamics(scenario) if moves is None else moves,
        track_states=scenario.track_orders,
    )
    return svg_element(figure, salt=f"dipsim-{role}"), ""


def _version() -> str:
    try:
        return metadata.version("dipsim")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


__all__ = ["Report", "build_report"]
