"""The report page's figures: the state diagram (with the list of states beside it) and the
timeline, their SVG inlined with ids of their own."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Final

from simulator.core.palette import state_palette
from simulator.graph import to_mermaid
from simulator.report.html.parts import esc, section

if TYPE_CHECKING:
    from simulator.engine.trace import Trace
    from simulator.graph import Diagram
    from simulator.report.html.view import RunView

_SVG_JUNK: Final = re.compile(r"<!--.*?-->|<metadata>.*?</metadata>", re.DOTALL)
_SVG_ID: Final = re.compile(r'(?<=\s)id="([^"]+)"')
_SVG_HREF: Final = re.compile(r'(?<=[\s:])href="#([^"]+)"')
_SVG_URL: Final = re.compile(r"url\(#([^)]+)\)")
_GRAPHVIZ_NODE: Final = re.compile(r'<g id="([^"]+)" class="node">(\s*<title>)([^<]*)(</title>)')


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document as an element to inline in the page.

    The XML prolog, doctype, comments and metadata go (the metadata names the drawing program
    and its version, which would make the page's bytes depend on them); every id is prefixed,
    and every reference to one (``href="#..."``, ``url(#...)``) with it, so that two figures of
    one page never share an id (matplotlib numbers its groups ``figure_1``, ``axes_1``... in
    every figure).
    """
    start = svg.find("<svg")
    body = _SVG_JUNK.sub("", svg[start:] if start >= 0 else svg).strip()
    ids = set(_SVG_ID.findall(body))

    def new(name: str) -> str:
        return f"{prefix}-{name}" if name in ids else name

    body = _SVG_ID.sub(lambda m: f'id="{new(m.group(1))}"', body)
    body = _SVG_HREF.sub(lambda m: f'href="#{new(m.group(1))}"', body)
    return _SVG_URL.sub(lambda m: f"url(#{new(m.group(1))})", body)


def _mark_states(svg: str, diagram: Diagram) -> str:
    """Graphviz's node groups tagged with the state they draw and its part in the run."""
    nodes = {n.name: n for n in diagram.nodes}

    def tag(match: re.Match[str]) -> str:
        ident, opening, title, closing = match.groups()
        node = nodes.get(html.unescape(title))
        if node is None:  # the initial pseudo-state's dot
            return match.group(0)
        return (
            f'<g id="{ident}" class="node {_node_class(node.visited, node.ended)}" '
            f'data-state="{esc(node.name)}">{opening}{title}{closing}'
        )

    return _GRAPHVIZ_NODE.sub(tag, svg)


def _node_class(visited: bool, ended: bool) -> str:
    return "ended" if ended else "visited" if visited else "unvisited"


def diagram_section(view: RunView, heading: str) -> str:
    d = view.diagram
    role = view.role
    if view.diagram_svg is not None:
        svg = _mark_states(inline_svg(view.diagram_svg, f"{role}-machine"), d)
        drawing = f'<div class="svg-wrap diagram">{svg}</div>'
    else:
        note = f'<p class="note">{esc(view.diagram_note)}</p>' if view.diagram_note else ""
        drawing = f'{note}<pre class="mermaid-text" data-run="{role}">{esc(to_mermaid(d))}</pre>'
    taken = sum(len(e.firings) for e in d.edges)
    caption = (
        f"Every state and transition of the machine, each state in its colour. Drawn dark: the "
        f"path {esc(view.relation)} took in this run ({taken} transition(s), numbered in order "
        "on the edges and listed beside); its last state has the thickest border; states it "
        "never entered are faded. Transitions are labelled with their trigger and guard."
    )
    body = (
        f'<figure class="machine" data-run="{role}"><div class="machine-body">{drawing}'
        f"{_steps_list(view)}</div><figcaption>{caption}</figcaption></figure>\n"
        f"{_states_table(view)}"
    )
    return section(f"{role}-diagram", heading, body)


def _steps_list(view: RunView) -> str:
    """The run's steps along the diagram's edges, in order: the diagram numbers them only."""
    firings = sorted(
        ((f, e) for e in view.diagram.edges for f in e.firings), key=lambda fe: fe[0].step
    )
    if not firings:
        return f'<p class="steps none">{esc(view.relation)} took no transition in this run.</p>'
    items = "".join(
        f'<li value="{f.step}"><span class="date">{esc(f.date)}</span> '
        f'<span class="event">{esc(f.event)}</span>: {_state_name(e.source)} '
        f"\u2192 {_state_name(e.dest)}</li>"
        for f, e in firings
    )
    return f'<ol class="steps" aria-label="the run\'s steps">{items}</ol>'


def _state_name(name: str) -> str:
    """A state's name with its colour's swatch (the page's style sheet colours it)."""
    return (
        f'<span class="state-name" data-state="{esc(name)}">'
        f'<span class="swatch" aria-hidden="true"></span>{esc(name)}</span>'
    )


def state_css(view: RunView) -> str:
    """The style sheet's rules that colour each state's swatch on the page: the colour the
    terminal, the figures and the diagram give the state (:mod:`simulator.core.palette`)."""
    colours = state_palette(view.scenario.machine.state_names)
    return "".join(
        f'[data-run="{view.role}"] .state-name[data-state="{_css_string(name)}"] .swatch '
        f"{{ background: {c.hex}; }}\n"
        for name, c in colours.items()
    )


def _css_string(text: str) -> str:
    """``text`` safe inside a double-quoted CSS string in a ``<style>`` element."""
    return "".join(ch if ch.isalnum() or ch in "_-" else f"\\{ord(ch):x} " for ch in text)


def _states_table(view: RunView) -> str:
    rows = []
    entered = _first_entered(view.trace, view.relation, view.diagram.initial)
    for n in view.diagram.nodes:
        part = "ended here" if n.ended else "visited" if n.visited else "not visited"
        when = entered.get(n.name, "")
        rows.append(
            f'<tr class="state {_node_class(n.visited, n.ended)}" data-run="{view.role}" '
            f'data-state="{esc(n.name)}"><th scope="row">{_state_name(n.name)}'
            f"{' <small>(final)</small>' if n.final else ''}</th>"
            f"<td>{esc(n.description)}</td><td>{part}</td><td>{esc(when)}</td></tr>"
        )
    return (
        f'<table class="states"><caption>The states of the machine, and {esc(view.relation)} in '
        "this run</caption><thead><tr>"
        '<th scope="col">state</th><th scope="col">meaning</th>'
        '<th scope="col">in this run</th><th scope="col">first entered</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>\n"
    )


def _first_entered(trace: Trace, relation: str, initial: str) -> dict[str, str]:
    """When ``relation`` first entered each state: its starting state ``initial`` at the start
    (as the batch metric ``first_entered`` and ``run --runs`` count it, at day 0), the others
    by the first transition into them. A return to the starting state is not its first entry."""
    found = {initial: f"{trace.start.isoformat()} (at the start)"}
    for r in trace.records:
        if r.relation == relation and r.outcome == "transition":
            found.setdefault(r.after, f"{r.date_text} ({r.event})")
    return found


# --- the timeline ---------------------------------------------------------------------------------


def timeline_section(view: RunView) -> str:
    if view.timeline_svg is not None:
        svg = inline_svg(view.timeline_svg, f"{view.role}-timeline")
        drawing = f'<div class="svg-wrap timeline">{svg}</div>'
    else:
        drawing = f'<p class="note missing-figure">{esc(view.timeline_note)}</p>'
    caption = (
        f"{esc(view.relation)} over the run. Top: its state (a step band, states in the "
        "machine's order) and tension. Bottom: each event at its Goldstein value on this "
        "relation (a third party taking sides is conflict here), red for conflict, green for "
        "cooperation, ringed when it changed the state; the numbers are those of the event "
        "table's first column."
    )
    body = (
        f'<figure class="timeline" data-run="{view.role}">{drawing}'
        f"<figcaption>{caption}</figcaption></figure>\n"
    )
    return section(f"{view.role}-timeline", "Timeline", body)


__all__ = ["diagram_section", "inline_svg", "state_css", "timeline_section"]
