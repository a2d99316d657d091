"""What the report page shows of one run: :class:`RunView`, the input every section reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.engine.trace import Trace
    from simulator.graph import Diagram
    from simulator.scenario.model import Scenario


@dataclass(frozen=True, slots=True)
class RunView:
    """One run of one scenario, as the page shows it.

    Attributes:
        role: ``run`` (the scenario reported on) or ``base`` (a what-if's base): the prefix of
            the section ids and the value of the rows' ``data-run``.
        file: The scenario file, as the reader should see its name.
        scenario: The scenario that was run.
        trace: Its run.
        relation: The relation the diagram and the timeline follow.
        diagram: The state machine with the relation's path (``graph.diagram(..., trace)``).
        diagram_svg: Graphviz's SVG of ``diagram``; ``None`` shows its Mermaid text instead.
        diagram_note: Why the diagram is not drawn (shown with the Mermaid text).
        timeline_svg: The timeline figure as an ``<svg>`` element (``plots.svg_element``).
        timeline_note: Why there is no timeline figure (shown in its place).
        tracks: One view per parallel track (``tracks:``), its diagram drawn: the scenario
            with the track as its machine (``Scenario.as_track``), the run as seen on it
            (``Trace.on_track``), ``role`` ``ROLE-track-NAME``; empty without tracks.
    """

    role: str
    file: str
    scenario: Scenario
    trace: Trace
    relation: str
    diagram: Diagram
    diagram_svg: str | None = None
    diagram_note: str = ""
    timeline_svg: str | None = None
    timeline_note: str = ""
    tracks: tuple[RunView, ...] = ()


__all__ = ["RunView"]
