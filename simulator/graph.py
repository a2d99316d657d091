"""A scenario's state machine as a diagram, optionally with the path one run took through it.

Pure functions from a :class:`~simulator.scenario.model.Scenario` (and, optionally, a
:class:`~simulator.engine.trace.Trace`) to text: Mermaid ``stateDiagram-v2`` (:func:`mermaid`,
rendered
by GitHub, MkDocs and mermaid.live) and Graphviz DOT (:func:`dot`); :func:`render` turns DOT into
SVG or PNG bytes with Graphviz's ``dot`` program. Both texts are drawn from one
:class:`Diagram` (:func:`diagram`), which an HTML report can also read directly.

What is drawn: every state (the initial one pointed at by ``[*]``, ``final: true`` states marked:
``--> [*]`` in Mermaid, a double border in DOT); every transition as an edge labelled
``trigger [guard]``, a ``"*"`` source expanded to every state, and all transitions between the
same two states merged into one edge whose label lists them in declaration order. With a trace,
one relation's run is highlighted: the states it visited (the last one more strongly), the edges
it took, each annotated with the numbered steps that took it (``2. 2024-01-17
pakistan-recalls-ambassador``); the rest is greyed out. Mermaid's state diagrams cannot style
edges (``linkStyle`` is for flowcharts only), so there the annotations are the edges' highlight.

Why not ``transitions``' own diagrams (``transitions.extensions.diagrams.GraphMachine``,
0.9.3), judged against what this module needs:

* its Graphviz engines need the ``graphviz`` or ``pygraphviz`` Python package (neither is a
  dependency of dipsim), and without one it silently falls back to Mermaid with a logged
  warning;
* its Mermaid text escapes nothing: a ``:`` or ``;`` ends a Mermaid transition label, so a
  guard such as ``a < 0.5  # see note: x`` or a date with a time of day breaks the diagram;
* it labels a condition with its callable's ``__name__``, not the guard's text, and draws
  ``final`` states only for nested (hierarchical) machines;
* it highlights only the last transition and the current state of a model (``previous`` /
  ``active`` styles), not a whole path, and has no way to annotate an edge with the events that
  fired it;
* it needs a model bound to the machine (``get_graph`` is attached per model), and its
  transitions restyle the graph on every firing, which would slow the engine's shared
  machine.

So the text is written here, from the scenario's :class:`~simulator.scenario.model.MachineSpec` (the
same source ``simulator.engine.machine`` builds the ``transitions`` machine from); the semantics
drawn —
declaration order, ``"*"`` meaning every state, guards — are those documented for the format.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from simulator.core.errors import DipsimError, did_you_mean
from simulator.core.palette import StateColour, state_palette
from simulator.core.text import printable
from simulator.engine.trace import Trace
from simulator.scenario.model import DIPLOMATIC, RelationSpec, Scenario, TransitionSpec

#: The image formats :func:`render` produces.
IMAGE_FORMATS: Final = ("svg", "png")
#: Resolution of PNG images: Graphviz's default 96 dpi is blurry on a projector.
PNG_DPI: Final = 144
#: At most this many firings are listed on one edge; the rest are counted (``… and 3 more``).
MAX_FIRINGS: Final = 5

#: How to get the ``dot`` program, for the error raised when it is missing.
GRAPHVIZ_MISSING: Final = (
    "drawing {fmt} needs Graphviz's `dot` program, which is not on PATH: install Graphviz "
    "(`apt install graphviz`, `brew install graphviz`, or https://graphviz.org/download/), or "
    "write the diagram as text with --format mermaid or --format dot"
)


@dataclass(frozen=True, slots=True)
class Firing:
    """One step of a run along an edge: the event that fired the transition, and when."""

    step: int  # 1-based position among the relation's transitions in the run
    date: str  # the record's date text (with the time of day when it has one)
    event: str  # the event id

    def __str__(self) -> str:
        return f"{self.step}. {self.date} {self.event}"


@dataclass(frozen=True, slots=True)
class Node:
    """A state of the machine."""

    name: str
    description: str = ""
    final: bool = False
    visited: bool = False  # with a trace: the run was in this state at some point
    ended: bool = False  # with a trace: the run ended in this state


@dataclass(frozen=True, slots=True)
class Edge:
    """Every transition between two states (in this direction), merged into one edge."""

    source: str
    dest: str
    labels: tuple[str, ...]  # ``trigger [guard]`` per transition, in declaration order
    firings: tuple[Firing, ...] = ()  # with a trace: the steps that took this edge

    @property
    def taken(self) -> bool:
        return bool(self.firings)


@dataclass(frozen=True, slots=True)
class Diagram:
    """What both texts draw: a machine's states and edges, and optionally one run's path."""

    title: str  # "" for none
    initial: str  # the state ``[*]`` points to (with a trace: the relation's starting state)
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    relation: str | None = None  # with a trace: the relation whose path is highlighted

    @property
    def highlighted(self) -> bool:
        """Whether a run's path is drawn (a trace was given)."""
        return self.relation is not None


def transition_label(transition: TransitionSpec) -> str:
    """``trigger`` or ``trigger [guard]``, the guard as written (whitespace runs collapsed)."""
    if transition.guard is None:
        return transition.trigger
    return f"{transition.trigger} [{' '.join(transition.guard.text.split())}]"


def choose_relation(scenario: Scenario, relation: str | None) -> RelationSpec:
    """The relation named ``A-B`` (either way round), or the scenario's first one."""
    if relation is None:
        return scenario.relations[0]
    left, sep, right = relation.partition("-")
    found = scenario.relation((left, right)) if sep else None
    if found is None:
        ids = [r.id for r in scenario.relations]
        # A misspelt pair may also be written the other way round from its declaration.
        hint = did_you_mean(relation, ids) or did_you_mean(f"{right}-{left}", ids)
        raise DipsimError(
            f"no relation {relation!r} in the scenario{hint}; relations: {', '.join(ids)}"
        )
    return found


def choose_track(scenario: Scenario, track: str | None) -> Scenario:
    """``scenario`` with the parallel track ``track`` in its machine's place (relations start in
    the track's initial state), or as it is for ``None`` or ``diplomatic``."""
    if track is None or track == DIPLOMATIC:
        return scenario
    spec = scenario.tracks.get(track)
    if spec is None:
        known = [DIPLOMATIC, *scenario.tracks]
        raise DipsimError(
            f"no track {track!r} in the scenario{did_you_mean(track, known)}; tracks: "
            + ", ".join(known)
        )
    return scenario.as_track(track)


def diagram(
    scenario: Scenario,
    trace: Trace | None = None,
    *,
    relation: str | None = None,
    title: str | None = None,
    track: str | None = None,
) -> Diagram:
    """The diagram of ``scenario``'s machine; with ``trace``, the path ``relation`` took.

    Args:
        scenario: The scenario whose machine is drawn.
        trace: A run of that scenario, whose path is highlighted.
        relation: The relation (``A-B``, either way round) whose path is drawn; default: the
            scenario's first relation. Only used with a trace.
        track: A parallel track to draw instead of the machine (``diplomatic``: the machine).
        title: The diagram's title; default the scenario's title (with a trace, followed by the
            relation and the seed); ``""`` for none.

    Raises:
        DipsimError: ``relation`` is not one of the scenario's; the trace moved the relation
            along an edge or into a state the machine does not have (it is from another
            scenario).
    """
    if track is not None and track != DIPLOMATIC:
        # A track is drawn as the machine it is, and a run's path on it as the run seen there.
        scenario = choose_track(scenario, track)
        trace = trace.on_track(track) if trace is not None else None
        if title is None:
            title = f"{scenario.title} — track {track}"
            if trace is not None:
                title += f", {choose_relation(scenario, relation).id}, seed {trace.seed}"
    spec = scenario.machine
    names = spec.state_names
    labels: dict[tuple[str, str], list[str]] = {}  # insertion order: the edges' order
    for t in spec.transitions:
        label = transition_label(t)
        for source in names if "*" in t.source else t.source:
            merged = labels.setdefault((source, t.dest), [])
            if label not in merged:  # a transition declared twice is drawn once
                merged.append(label)

    if trace is None:
        nodes = tuple(Node(s.name, s.description, s.final) for s in spec.states)
        edges = tuple(Edge(s, d, tuple(ls)) for (s, d), ls in labels.items())
        return Diagram(scenario.title if title is None else title, spec.initial, nodes, edges)

    chosen = choose_relation(scenario, relation)
    start = scenario.initial_state(chosen)
    visited = {start}
    firings: dict[tuple[str, str], list[Firing]] = {}
    step = 0
    for r in trace.records:
        if r.relation != chosen.id or r.outcome != "transition":
            continue
        if (r.before, r.after) not in labels:
            raise DipsimError(
                f"the trace moves {chosen.id} from {r.before!r} to {r.after!r} (event "
                f"{r.event!r}, {r.date_text}), which no transition of the machine does: is the "
                "trace a run of this scenario?"
            )
        step += 1
        firings.setdefault((r.before, r.after), []).append(Firing(step, r.date_text, r.event))
        visited.add(r.after)
    ended = next((f.state for f in trace.final if f.relation == chosen.id), None)
    if ended is None:  # a trace without its final states: the last state reached
        ended = next((r.after for r in reversed(trace.records) if r.relation == chosen.id), start)
    nodes = tuple(
        Node(s.name, s.description, s.final, s.name in visited, s.name == ended)
        for s in spec.states
    )
    edges = tuple(
        Edge(s, d, tuple(ls), tuple(firings.get((s, d), ()))) for (s, d), ls in labels.items()
    )
    if title is None:
        title = f"{scenario.title} — {chosen.id}, seed {trace.seed}"
    return Diagram(title, start, nodes, edges, chosen.id)


def _edge_lines(edge: Edge, max_firings: int, numbered: bool = False) -> list[str]:
    """The lines of an edge's label: its transitions, then the firings (at most ``max_firings``,
    the rest counted); ``numbered``: only the firings' step numbers (``step 1``, ``steps 2,
    5``), for a page that lists the steps beside the diagram."""
    lines = list(edge.labels)
    if numbered and edge.firings:
        steps = ", ".join(str(f.step) for f in edge.firings)
        return [*lines, f"step{'s' if len(edge.firings) > 1 else ''} {steps}"]
    lines.extend(str(f) for f in edge.firings[:max_firings])
    if len(edge.firings) > max_firings:
        lines.append(f"… and {len(edge.firings) - max_firings} more")
    return lines


# --- Mermaid ------------------------------------------------------------------------------------

#: Characters that Mermaid's state-diagram grammar reads as syntax inside a label (``:`` and
#: ``;`` end it, ``#`` starts a comment or an entity, ``%%`` a comment, ``"`` ends a quoted
#: state description), or that its HTML labels would read as markup (``<``, ``>``, ``&``),
#: written as Mermaid entity codes, which it turns back into the characters when drawing.
_MERMAID_ENTITIES: Final = str.maketrans(
    {
        "#": "#35;",
        ";": "#59;",
        ":": "#58;",
        "%": "#37;",
        '"': "#quot;",
        "<": "#lt;",
        ">": "#gt;",
        "&": "#amp;",
    }
)
#: Mermaid's lexer takes any line containing ``direction`` + blanks + ``TB`` (or BT, RL, LR) for
#: a direction statement, wherever it stands; an entity for the blank defuses it.
_MERMAID_DIRECTION: Final = re.compile(r"(direction)\s", re.IGNORECASE)
#: Words Mermaid's state-diagram lexer reads as keywords where a state id stands (it is case
#: insensitive, and ``default`` is matched as a prefix); such a state gets another id.
_MERMAID_KEYWORDS: Final = frozenset(
    {
        "acctitle",
        "accdescr",
        "as",
        "class",
        "classdef",
        "click",
        "direction",
        "end",
        "hide",
        "href",
        "note",
        "scale",
        "state",
        "statediagram",
        "style",
    }
)

#: A run's path: borders only, so that each state keeps its own fill colour (its class below).
_MERMAID_STYLES: Final = (
    "classDef visited stroke:#1b1b1b,stroke-width:2px",
    "classDef ended stroke:#1b1b1b,stroke-width:5px,font-weight:bold",
    "classDef unvisited stroke:#999999,stroke-dasharray:4 3,fill-opacity:0.35",
)


def mermaid_text(text: str) -> str:
    """``text`` made safe inside a Mermaid state-diagram label: one line, entities for syntax,
    control characters as escape text (:func:`~simulator.core.text.printable`)."""
    escaped = " ".join(printable(text).split()).translate(_MERMAID_ENTITIES)
    return _MERMAID_DIRECTION.sub(r"\1#32;", escaped)


def _mermaid_ids(names: Sequence[str]) -> dict[str, str]:
    """Each state's Mermaid id: its name, unless Mermaid would read that as a keyword."""
    ids: dict[str, str] = {}
    taken = set(names)
    for name in names:
        if name.lower() in _MERMAID_KEYWORDS or name.lower().startswith("default"):
            alias = f"state_{name}"
            while alias in taken:
                alias += "_"
            taken.add(alias)
            ids[name] = alias
        else:
            ids[name] = name
    return ids


def to_mermaid(d: Diagram, *, max_firings: int = MAX_FIRINGS) -> str:
    """A :class:`Diagram` as Mermaid ``stateDiagram-v2`` text (ending with a newline)."""
    ids = _mermaid_ids([n.name for n in d.nodes])
    lines: list[str] = []
    if d.title:
        # YAML front matter; a JSON string is a valid YAML double-quoted scalar.
        lines += [
            "---",
            f"title: {json.dumps(printable(d.title), ensure_ascii=False, allow_nan=False)}",
            "---",
        ]
    lines += ["stateDiagram-v2", "    direction LR"]
    # Declared with a quoted label so that a state with an aliased id still shows its name.
    lines += [f'    state "{mermaid_text(n.name)}" as {ids[n.name]}' for n in d.nodes]
    lines.append(f"    [*] --> {ids[d.initial]}")
    for e in d.edges:
        label = "<br/>".join(mermaid_text(line) for line in _edge_lines(e, max_firings))
        lines.append(f"    {ids[e.source]} --> {ids[e.dest]}: {label}")
    lines += [f"    {ids[n.name]} --> [*]" for n in d.nodes if n.final]
    # Each state filled with its colour (the one the terminal, the figures and the report give
    # it), through a class per colour: Mermaid's state diagrams have no per-node fill attribute.
    by_colour: dict[StateColour, list[str]] = {}
    for name, c in state_palette([n.name for n in d.nodes]).items():
        by_colour.setdefault(c, []).append(ids[name])
    for c, members in by_colour.items():
        lines.append(f"    classDef {_colour_class(c.hex)} fill:{c.hex},color:{c.ink}")
        lines.append(f"    class {','.join(members)} {_colour_class(c.hex)}")
    if d.highlighted:
        lines += [f"    {style}" for style in _MERMAID_STYLES]
        for cls in ("visited", "ended", "unvisited"):
            members = [ids[n.name] for n in d.nodes if _node_class(n) == cls]
            if members:
                lines.append(f"    class {','.join(members)} {cls}")
    return "\n".join(lines) + "\n"


def _colour_class(hex_colour: str) -> str:
    return f"colour_{hex_colour.removeprefix('#')}"


def _node_class(node: Node) -> str:
    if node.ended:
        return "ended"
    return "visited" if node.visited else "unvisited"


# --- Graphviz DOT -------------------------------------------------------------------------------

_FONT: Final = "Helvetica,Arial,sans-serif"
#: A run's path is drawn in near-black (thick), the rest in grey: the states' fills are their
#: own colours, which a coloured highlight would clash with.
_HIGHLIGHT: Final = "#1b1b1b"
_DIM: Final = "#8a8a8a"
#: The alpha (hex) of an unvisited state's fill: its colour, faded.
_FADED: Final = "55"
#: The id of the initial pseudo-state's point: not a valid state name, so it cannot clash.
_START: Final = "[*]"


def dot_string(text: str) -> str:
    """``text`` as a quoted DOT string, one line (``"`` and ``\\`` escaped), control characters
    as escape text (:func:`~simulator.core.text.printable`): Graphviz would copy them into an
    SVG (invalid XML, and raw on a terminal)."""
    flat = " ".join(printable(text).split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_label(lines: Sequence[str]) -> str:
    """Several lines as one quoted DOT label (``\\n`` between them, each line centred)."""
    return '"' + "\\n".join(dot_string(line)[1:-1] for line in lines) + '"'


def _dot_html_label(lines: Sequence[str]) -> str:
    """Several lines as a DOT HTML-like label in a borderless cell with a margin around it:
    Graphviz routes edges around the cell, so they keep clear of the text."""
    body = "<br/>".join(
        html.escape(" ".join(printable(line).split()), quote=False) for line in lines
    )
    cell = '<table border="0" cellborder="0" cellspacing="0" cellpadding="4"><tr><td>'
    return f"<{cell}{body}</td></tr></table>>"


def _dot_attrs(attrs: dict[str, str]) -> str:
    """``[k=v, ...]``; values are already quoted DOT strings or plain words."""
    return "[" + ", ".join(f"{k}={v}" for k, v in attrs.items()) + "]"


def to_dot(d: Diagram, *, max_firings: int = MAX_FIRINGS, page: bool = False) -> str:
    """A :class:`Diagram` as Graphviz DOT text (ending with a newline).

    ``page``: drawn for a page (the HTML report) that lists the run's steps beside it: top to
    bottom (narrow enough to be shown at a size a projector's audience reads), the steps on
    the edges by number only, and each edge label in a margin that the edges are routed
    around (without it Graphviz may run an edge through the corner of its own label).
    """
    font = dot_string(_FONT)
    graph = {"rankdir": "TB" if page else "LR", "fontname": font}
    if page:
        graph["ranksep"] = "0.8"
    if d.title:
        graph |= {"label": dot_string(d.title), "labelloc": "t", "fontsize": "18"}
    node = {
        "shape": "box",
        "style": dot_string("rounded,filled"),
        "fillcolor": "white",
        "fontname": font,
        "fontsize": "16",
    }
    # A filled black dot, the usual mark of the initial pseudo-state.
    start = {"shape": "point", "width": "0.15", "style": "filled", "fillcolor": "black"}
    lines = [
        "digraph dipsim {",
        f"    graph {_dot_attrs(graph)};",
        f"    node {_dot_attrs(node)};",
        f"    edge {_dot_attrs({'fontname': font, 'fontsize': '14'})};",
        f"    {dot_string(_START)} {_dot_attrs(start)};",
    ]
    colours = state_palette([n.name for n in d.nodes])
    for n in d.nodes:
        # Each state filled with its colour, as in the terminal, the figures and the report.
        c = colours[n.name]
        attrs: dict[str, str] = {"fillcolor": f'"{c.hex}"', "fontcolor": f'"{c.ink}"'}
        if n.final:
            attrs["peripheries"] = "2"
        if n.description:
            attrs["tooltip"] = dot_string(n.description)  # shown on hover in SVG
        if d.highlighted:
            attrs |= _dot_node_style(n, c.hex)
        lines.append(f"    {dot_string(n.name)}" + (f" {_dot_attrs(attrs)}" if attrs else "") + ";")
    lines.append(f"    {dot_string(_START)} -> {dot_string(d.initial)};")
    for e in d.edges:
        text = _edge_lines(e, max_firings, numbered=page)
        attrs = {"label": _dot_html_label(text) if page else _dot_label(text)}
        if e.taken:
            attrs |= {"color": f'"{_HIGHLIGHT}"', "fontcolor": f'"{_HIGHLIGHT}"', "penwidth": "3"}
        elif d.highlighted:
            attrs |= {"color": f'"{_DIM}"', "fontcolor": f'"{_DIM}"'}
        lines.append(f"    {dot_string(e.source)} -> {dot_string(e.dest)} {_dot_attrs(attrs)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_node_style(node: Node, fill: str) -> dict[str, str]:
    """A node's part in the run: its border (thickest where the run ended), and its colour
    faded and its border dashed if the run never entered it."""
    if node.ended:
        return {"color": f'"{_HIGHLIGHT}"', "penwidth": "5"}
    if node.visited:
        return {"color": f'"{_HIGHLIGHT}"', "penwidth": "2"}
    return {
        "color": f'"{_DIM}"',
        "fillcolor": f'"{fill}{_FADED}"',
        "fontcolor": '"#333333"',  # dark on the faded fill, whatever the colour's own ink
        "style": dot_string("rounded,filled,dashed"),
    }


# --- the conveniences and rendering ---------------------------------------------------------------


def mermaid(
    scenario: Scenario,
    trace: Trace | None = None,
    *,
    relation: str | None = None,
    title: str | None = None,
    max_firings: int = MAX_FIRINGS,
) -> str:
    """``scenario``'s machine as Mermaid text; see :func:`diagram` for the arguments."""
    return to_mermaid(
        diagram(scenario, trace, relation=relation, title=title), max_firings=max_firings
    )


def dot(
    scenario: Scenario,
    trace: Trace | None = None,
    *,
    relation: str | None = None,
    title: str | None = None,
    max_firings: int = MAX_FIRINGS,
) -> str:
    """``scenario``'s machine as Graphviz DOT text; see :func:`diagram` for the arguments."""
    return to_dot(diagram(scenario, trace, relation=relation, title=title), max_firings=max_firings)


def dot_program() -> str | None:
    """The path of Graphviz's ``dot`` program, or ``None`` when it is not on ``PATH``."""
    return shutil.which("dot")


def render(dot_source: str, fmt: str = "svg", *, timeout: float = 60.0) -> bytes:
    """Draw DOT text as an SVG or PNG image with Graphviz's ``dot`` program.

    Raises:
        DipsimError: ``fmt`` is not ``svg`` or ``png``; ``dot`` is not installed (the message
            says how to install it); ``dot`` failed or took longer than ``timeout`` seconds.
    """
    if fmt not in IMAGE_FORMATS:
        raise DipsimError(f"cannot draw {fmt!r}: formats are {', '.join(IMAGE_FORMATS)}")
    program = dot_program()
    if program is None:
        raise DipsimError(GRAPHVIZ_MISSING.format(fmt=fmt.upper()))
    args = [program, f"-T{fmt}"]
    if fmt == "png":
        args.append(f"-Gdpi={PNG_DPI}")
    try:
        done = subprocess.run(
            args,
            input=dot_source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DipsimError(f"Graphviz's dot took more than {timeout:g} s; gave up") from None
    except OSError as err:
        raise DipsimError(f"cannot run {program}: {err.strerror or err}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise DipsimError(f"Graphviz's dot failed (exit status {done.returncode}): {message}")
    return done.stdout


__all__ = [
    "IMAGE_FORMATS",
    "MAX_FIRINGS",
    "Diagram",
    "Edge",
    "Firing",
    "Node",
    "choose_relation",
    "diagram",
    "dot",
    "dot_program",
    "dot_string",
    "mermaid",
    "mermaid_text",
    "render",
    "to_dot",
    "to_mermaid",
    "transition_label",
]
