"""``simulator.graph`` and ``dipsim graph``: the machine as Mermaid, DOT, SVG and PNG.

SVG/PNG need Graphviz's ``dot``. Those tests skip when it is missing (the reason names the
package), unless ``DIPSIM_REQUIRE_GRAPHVIZ=1`` (CI sets it and installs Graphviz): then a
missing ``dot`` fails them (see tests/programs.py).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli
from simulator.core.errors import DipsimError
from simulator.engine.simulation import simulate
from simulator.graph import (
    Diagram,
    Edge,
    Firing,
    Node,
    diagram,
    dot,
    dot_string,
    mermaid,
    mermaid_text,
    render,
    to_dot,
    to_mermaid,
)
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario
from tests.conftest import JAN2024, SCENARIOS
from tests.programs import GRAPHVIZ

FIRST = SCENARIOS / "examples" / "first.yaml"
SVG = "{http://www.w3.org/2000/svg}"

FIRST_MERMAID = """\
---
title: "Pakistan–Iran, 16–22 January 2024 (a first scenario)"
---
stateDiagram-v2
    direction LR
    state "normal" as normal
    state "strained" as strained
    state "envoys_recalled" as envoys_recalled
    [*] --> normal
    normal --> strained: military_strike
    normal --> envoys_recalled: recall_ambassador
    strained --> envoys_recalled: recall_ambassador
    strained --> normal: agree_to_deescalate
    classDef colour_009e73 fill:#009e73,color:#000000
    class normal colour_009e73
    classDef colour_e69f00 fill:#e69f00,color:#000000
    class strained colour_e69f00
    classDef colour_d55e00 fill:#d55e00,color:#000000
    class envoys_recalled colour_d55e00
"""

FIRST_DOT = """\
digraph dipsim {
    graph [rankdir=LR, fontname="Helvetica,Arial,sans-serif", label="Pakistan–Iran, 16–22 January 2024 (a first scenario)", labelloc=t, fontsize=18];
    node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica,Arial,sans-serif", fontsize=16];
    edge [fontname="Helvetica,Arial,sans-serif", fontsize=14];
    "[*]" [shape=point, width=0.15, style=filled, fillcolor=black];
    "normal" [fillcolor="#009e73", fontcolor="#000000"];
    "strained" [fillcolor="#e69f00", fontcolor="#000000"];
    "envoys_recalled" [fillcolor="#d55e00", fontcolor="#000000"];
    "[*]" -> "normal";
    "normal" -> "strained" [label="military_strike"];
    "normal" -> "envoys_recalled" [label="recall_ambassador"];
    "strained" -> "envoys_recalled" [label="recall_ambassador"];
    "strained" -> "normal" [label="agree_to_deescalate"];
}
"""  # noqa: E501

JAN2024_MERMAID = """\
---
title: "Pakistan–Iran crisis, January 2024 — PAK-IRN, seed 0"
---
stateDiagram-v2
    direction LR
    state "normal" as normal
    state "restored" as restored
    state "strained" as strained
    state "envoys_recalled" as envoys_recalled
    [*] --> normal
    normal --> strained: military_strike<br/>summon_diplomat<br/>militant_attack [tension #gt;= 0.6]<br/>1. 2024-01-16T21#58;00 iran-strikes-pakistan
    restored --> strained: military_strike<br/>militant_attack [tension #gt;= 0.6]
    normal --> envoys_recalled: recall_ambassador<br/>bar_envoy
    strained --> envoys_recalled: recall_ambassador<br/>bar_envoy<br/>2. 2024-01-17 pakistan-recalls-ambassador
    restored --> envoys_recalled: recall_ambassador<br/>bar_envoy
    strained --> normal: agree_to_deescalate
    envoys_recalled --> restored: ambassadors_return<br/>3. 2024-01-26 ambassadors-return
    restored --> normal: make_visit [tension #lt; 0.5]<br/>4. 2024-01-29 foreign-minister-visit
    classDef colour_009e73 fill:#009e73,color:#000000
    class normal colour_009e73
    classDef colour_56b4e9 fill:#56b4e9,color:#000000
    class restored colour_56b4e9
    classDef colour_e69f00 fill:#e69f00,color:#000000
    class strained colour_e69f00
    classDef colour_d55e00 fill:#d55e00,color:#000000
    class envoys_recalled colour_d55e00
    classDef visited stroke:#1b1b1b,stroke-width:2px
    classDef ended stroke:#1b1b1b,stroke-width:5px,font-weight:bold
    classDef unvisited stroke:#999999,stroke-dasharray:4 3,fill-opacity:0.35
    class restored,strained,envoys_recalled visited
    class normal ended
"""  # noqa: E501

JAN2024_DOT_EDGES = """\
    "[*]" -> "normal";
    "normal" -> "strained" [label="military_strike\\nsummon_diplomat\\nmilitant_attack [tension >= 0.6]\\n1. 2024-01-16T21:00 iran-strikes-pakistan", color="#1b1b1b", fontcolor="#1b1b1b", penwidth=3];
    "restored" -> "strained" [label="military_strike\\nmilitant_attack [tension >= 0.6]", color="#8a8a8a", fontcolor="#8a8a8a"];
    "normal" -> "envoys_recalled" [label="recall_ambassador\\nbar_envoy", color="#8a8a8a", fontcolor="#8a8a8a"];
    "strained" -> "envoys_recalled" [label="recall_ambassador\\nbar_envoy\\n2. 2024-01-17 pakistan-recalls-ambassador", color="#1b1b1b", fontcolor="#1b1b1b", penwidth=3];
    "restored" -> "envoys_recalled" [label="recall_ambassador\\nbar_envoy", color="#8a8a8a", fontcolor="#8a8a8a"];
    "strained" -> "normal" [label="agree_to_deescalate", color="#8a8a8a", fontcolor="#8a8a8a"];
    "envoys_recalled" -> "restored" [label="ambassadors_return\\n3. 2024-01-26 ambassadors-return", color="#1b1b1b", fontcolor="#1b1b1b", penwidth=3];
    "restored" -> "normal" [label="make_visit [tension < 0.5]\\n4. 2024-01-29 foreign-minister-visit", color="#1b1b1b", fontcolor="#1b1b1b", penwidth=3];
}
"""  # noqa: E501

#: A guard no diagram language likes: comparisons, quotes, and Mermaid's separators and comment
#: marks (after ``#`` a guard is a Python comment, so all of it is accepted and kept as written).
AWKWARD_GUARD = 'a < 0.5 and b > 1  # "quoted": x; y & z %% direction TB'

#: States named like Mermaid keywords (and one named like the alias the first would get), a
#: final state, a ``"*"`` source, two transitions between one pair, a time of day.
AWKWARD = f"""\
dipsim: 1
title: 'Awkward "names": a < b; c > d'
start: 2024-01-01
end: 2024-01-10
sources:
  web: {{publisher: Somebody}}
actors:
  AAA: {{name: A}}
  BBB: {{name: B}}
  CCC: {{name: C}}
event_types:
  poke: {{}}
  calm_down: {{}}
  reset: {{}}
machine:
  states:
    - note
    - default_mode
    - state
    - state_note
    - {{name: gone, final: true, description: 'The end: no way back.'}}
  initial: note
  transitions:
    - trigger: poke
      source: note
      dest: default_mode
      guard: '{AWKWARD_GUARD}'
    - {{trigger: calm_down, source: note, dest: default_mode}}
    - {{trigger: calm_down, source: note, dest: default_mode}}
    - {{trigger: poke, source: default_mode, dest: state}}
    - {{trigger: reset, source: "*", dest: gone}}
variables:
  a: {{initial: 0.1}}
  b: {{min: 0, max: 5, initial: 2}}
relations:
  - pair: [AAA, BBB]
  - pair: [CCC, BBB]
    initial: state_note
events:
  - {{id: p1, date: 2024-01-02, time: "10:30", type: poke, actor: AAA, target: BBB,
      summary: x, source: {{ref: web}}}}
  - {{id: p2, date: 2024-01-03, type: poke, actor: AAA, target: BBB, summary: x,
      source: {{ref: web}}}}
  - {{id: r1, date: 2024-01-04, type: reset, actor: AAA, target: BBB, summary: x,
      source: {{ref: web}}}}
  - {{id: r2, date: 2024-01-05, type: reset, actor: CCC, target: BBB, summary: x,
      source: {{ref: web}}}}
"""


@pytest.fixture(scope="module")
def first() -> Scenario:
    return load_scenario(FIRST)


@pytest.fixture(scope="module")
def jan2024() -> Scenario:
    return load_scenario(JAN2024)


@pytest.fixture
def awkward_path(tmp_path: Path) -> Path:
    path = tmp_path / "awkward.yaml"
    path.write_text(AWKWARD, encoding="utf-8")
    return path


@pytest.fixture
def awkward(awkward_path: Path) -> Scenario:
    return load_scenario(awkward_path)


def invoke(*args: str | Path) -> Result:
    """``dipsim ARGS`` in-process; exceptions that escape the CLI are not swallowed."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def require_dot() -> None:
    GRAPHVIZ.require()


def unmermaid(text: str) -> str:
    """Undo Mermaid's entity codes (``#lt;``, ``#58;``), as Mermaid does when drawing."""
    numbered = re.sub(r"#(\d+);", r"&#\1;", text)
    return html.unescape(re.sub(r"#([A-Za-z]\w*);", r"&\1;", numbered))


def mermaid_edges(text: str) -> dict[tuple[str, str], list[str]]:
    """``source --> dest: a<br/>b`` lines of Mermaid text: (source, dest) -> label lines."""
    edges: dict[tuple[str, str], list[str]] = {}
    for line in text.splitlines():
        found = re.fullmatch(r" {4}(\S+) --> (\S+): (.*)", line)
        if found:
            edges[found[1], found[2]] = found[3].split("<br/>")
    return edges


def dot_labels(text: str) -> dict[tuple[str, str], list[str]]:
    """The edge labels of DOT text written by ``to_dot``: (source, dest) -> label lines."""
    quoted = r'"((?:[^"\\]|\\.)*)"'
    edges: dict[tuple[str, str], list[str]] = {}
    for found in re.finditer(rf"{quoted} -> {quoted} \[label={quoted}", text):
        label = re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], found[3])
        edges[found[1], found[2]] = label.split("\n")
    return edges


def svg_nodes(svg: bytes) -> dict[str, str]:
    """The nodes of an SVG drawn by Graphviz: title (the DOT node id) -> the text drawn."""
    root = ET.fromstring(svg)
    nodes = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "node":
            title = group.find(f"{SVG}title")
            assert title is not None
            assert title.text is not None
            nodes[title.text] = " ".join(t.text or "" for t in group.iter(f"{SVG}text"))
    return nodes


# --- the machine alone -------------------------------------------------------------------------


def test_mermaid_of_first_scenario(first: Scenario) -> None:
    """The example scenario's machine as Mermaid, exactly."""
    assert mermaid(first) == FIRST_MERMAID


def test_dot_of_first_scenario(first: Scenario) -> None:
    """The example scenario's machine as DOT, exactly."""
    assert dot(first) == FIRST_DOT


def test_title_can_be_left_out(first: Scenario) -> None:
    """``title=""`` draws no title (for a page that has its own heading)."""
    assert mermaid(first, title="").startswith("stateDiagram-v2\n")
    assert "label=" not in dot(first, title="").splitlines()[1]


def test_star_sources_final_states_and_merged_edges(awkward: Scenario) -> None:
    """``"*"`` is every state (a self-loop on the target included); a final state is marked;
    transitions between one pair share an edge, listed in order, a duplicate drawn once."""
    d = diagram(awkward)
    edges = {(e.source, e.dest): e.labels for e in d.edges}
    for state in awkward.machine.state_names:
        assert edges[state, "gone"] == ("reset",)
    assert edges["note", "default_mode"] == (
        f"poke [{' '.join(AWKWARD_GUARD.split())}]",
        "calm_down",
    )
    assert [n.name for n in d.nodes if n.final] == ["gone"]
    text = mermaid(awkward)
    assert "    gone --> [*]\n" in text
    assert '"gone" [fillcolor="#d55e00", fontcolor="#000000", peripheries=2, ' in dot(awkward)
    assert '"state_note" [peripheries' not in dot(awkward)


def test_guard_label_reads_the_guard_as_written(jan2024: Scenario) -> None:
    """An edge shows ``trigger [guard]``."""
    labels = {(e.source, e.dest): e.labels for e in diagram(jan2024).edges}
    assert labels["restored", "normal"] == ("make_visit [tension < 0.5]",)


# --- escaping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a < 0.5 and b > 1",
        'say "hello"',
        AWKWARD_GUARD,
        "x: y; z #1 & %% 50%",
        "2024-01-02T10:30 p1",
        "direction  LR",
        "back\\slash \\n",
    ],
)
def test_escaping_round_trips(text: str) -> None:
    """Escaped text holds nothing either language reads as syntax, and reads back as written
    (whitespace runs collapsed to one space)."""
    flat = " ".join(text.split())
    escaped = mermaid_text(text)
    assert not set(re.sub(r"#\w+;", "", escaped)) & set(':;#"<>&%\n'), escaped
    assert not re.search(r"direction\s", escaped, re.IGNORECASE)
    assert unmermaid(escaped) == flat
    quoted = dot_string(text)
    assert re.fullmatch(r'"(?:[^"\\\n]|\\.)*"', quoted), quoted
    assert re.sub(r"\\(.)", r"\1", quoted[1:-1]) == flat


def test_awkward_guard_in_both_languages(awkward: Scenario) -> None:
    """The awkward guard and the time of day survive in labels; keyword-named states get other
    Mermaid ids (unique ones) but keep their names as labels."""
    trace = simulate(awkward)
    text = mermaid(awkward, trace)
    ids = dict(re.findall(r'^ {4}state "([^"]*)" as (\S+)$', text, re.MULTILINE))
    assert ids == {
        "note": "state_note_",
        "default_mode": "state_default_mode",
        "state": "state_state",
        "state_note": "state_note",
        "gone": "gone",
    }
    label = mermaid_edges(text)["state_note_", "state_default_mode"]
    guard = " ".join(AWKWARD_GUARD.split())
    assert [unmermaid(line) for line in label] == [
        f"poke [{guard}]",
        "calm_down",
        "1. 2024-01-02T10:30 p1",
    ]
    # Every line of the diagram is one statement: no label spills onto another line.
    body = text.split("---\n")[-1].splitlines()
    assert all(
        re.fullmatch(r"stateDiagram-v2| {4}(direction LR|state .*|\S+ --> \S+(: .*)?|class.*)", ln)
        for ln in body
    ), body
    assert dot_labels(dot(awkward, trace))["note", "default_mode"] == [
        f"poke [{guard}]",
        "calm_down",
        "1. 2024-01-02T10:30 p1",
    ]


# --- a run's path -------------------------------------------------------------------------------


def test_jan2024_path_as_mermaid(jan2024: Scenario) -> None:
    """The replay's PAK-IRN path, exactly: visited states, the state it ended in, and each edge
    it took annotated with its numbered step, date and event."""
    assert mermaid(jan2024, simulate(jan2024)) == JAN2024_MERMAID


def test_jan2024_path_as_dot(jan2024: Scenario) -> None:
    """In DOT, edges taken are drawn thick and coloured, the others grey; visited states are
    coloured, the last one most strongly, unvisited ones grey."""
    text = dot(jan2024, simulate(jan2024))
    assert text.endswith(JAN2024_DOT_EDGES)
    assert (
        '    "normal" [fillcolor="#009e73", fontcolor="#000000", '
        'tooltip="Ordinary diplomatic relations.", color="#1b1b1b", penwidth=5];\n'
    ) in text
    assert '    "restored" -> "strained" [label="military_strike' in text
    assert 'label="Pakistan–Iran crisis, January 2024 — PAK-IRN, seed 0"' in text


def test_the_diagram_of_a_path(jan2024: Scenario) -> None:
    """The :class:`Diagram` a report can read: the steps in order, visited and ended flags."""
    d = diagram(jan2024, simulate(jan2024))
    assert d.highlighted
    assert d.relation == "PAK-IRN"
    steps = sorted((f.step, f.date, f.event, e.source, e.dest) for e in d.edges for f in e.firings)
    assert steps == [
        (1, "2024-01-16T21:00", "iran-strikes-pakistan", "normal", "strained"),
        (2, "2024-01-17", "pakistan-recalls-ambassador", "strained", "envoys_recalled"),
        (3, "2024-01-26", "ambassadors-return", "envoys_recalled", "restored"),
        (4, "2024-01-29", "foreign-minister-visit", "restored", "normal"),
    ]
    assert [(n.name, n.visited, n.ended) for n in d.nodes] == [
        ("normal", True, True),
        ("restored", True, False),
        ("strained", True, False),
        ("envoys_recalled", True, False),
    ]
    # A guard that failed (the 27 January killings) takes no edge.
    assert not any(f.event == "saravan-killings" for e in d.edges for f in e.firings)


@pytest.mark.parametrize("name", ["IRN-IRQ", "IRQ-IRN"])
def test_another_relation_either_way_round(jan2024: Scenario, name: str) -> None:
    """``relation`` picks the relation drawn, written either way round: Iran's strike on Iraq,
    then Iraq's recall of its ambassador (Iraq's summons of the same day takes no edge)."""
    text = mermaid(jan2024, simulate(jan2024), relation=name)
    assert "— IRN-IRQ, seed 0" in text
    assert "<br/>1. 2024-01-15 iran-strikes-iraq-syria\n" in text
    assert "<br/>2. 2024-01-16 iraq-recalls-ambassador\n" in text
    assert "3. " not in text
    assert "    class normal,strained visited\n    class envoys_recalled ended\n" in text


def test_a_relation_starting_elsewhere_starts_there(awkward: Scenario) -> None:
    """With a trace, ``[*]`` points to the relation's own starting state."""
    trace = simulate(awkward)
    assert diagram(awkward).initial == "note"
    d = diagram(awkward, trace, relation="CCC-BBB")
    assert d.initial == "state_note"
    assert "    [*] --> state_note\n" in to_mermaid(d)
    assert [(n.name, n.visited, n.ended) for n in d.nodes if n.visited] == [
        ("state_note", True, False),
        ("gone", True, True),
    ]


def test_unknown_relation_suggests_one(jan2024: Scenario) -> None:
    """A misspelt relation is refused with a suggestion and the list of relations."""
    trace = simulate(jan2024)
    with pytest.raises(DipsimError) as err:
        diagram(jan2024, trace, relation="PAK-IRM")
    assert str(err.value) == (
        "no relation 'PAK-IRM' in the scenario (did you mean 'PAK-IRN'?); "
        "relations: PAK-IRN, IRN-IRQ"
    )
    with pytest.raises(DipsimError, match=r"did you mean 'PAK-IRN'"):
        diagram(jan2024, trace, relation="IRN-PAKK")


def test_a_trace_of_another_scenario_is_refused(first: Scenario, jan2024: Scenario) -> None:
    """A trace whose path the machine cannot take is refused, not drawn wrong."""
    with pytest.raises(DipsimError, match=r"from 'envoys_recalled' to 'restored'.*this scenario"):
        diagram(first, simulate(jan2024))


def test_many_firings_are_counted_not_listed() -> None:
    """An edge taken many times lists the first few steps and counts the rest."""
    firings = tuple(Firing(i, f"2024-01-{i:02d}", f"e{i}") for i in range(1, 9))
    d = Diagram(
        title="",
        initial="a",
        nodes=(Node("a", visited=True), Node("b", visited=True, ended=True)),
        edges=(Edge("a", "b", ("go",), firings),),
        relation="X-Y",
    )
    assert mermaid_edges(to_mermaid(d, max_firings=2))["a", "b"] == [
        "go",
        "1. 2024-01-01 e1",
        "2. 2024-01-02 e2",
        "… and 6 more",
    ]
    assert dot_labels(to_dot(d, max_firings=2))["a", "b"][-1] == "… and 6 more"


# --- rendering ----------------------------------------------------------------------------------


def test_svg_shows_every_state(jan2024: Scenario) -> None:
    """Graphviz draws every state as a node titled with its name (the SVG is valid XML)."""
    require_dot()
    svg = render(dot(jan2024, simulate(jan2024)), "svg")
    nodes = svg_nodes(svg)
    for state in jan2024.machine.state_names:
        assert nodes[state] == state
    assert set(nodes) == {*jan2024.machine.state_names, "[*]"}


def test_svg_of_awkward_text_is_valid_xml(awkward: Scenario) -> None:
    """Quotes, ``<``, ``>`` and ``&`` in labels come out as valid SVG showing the guard."""
    require_dot()
    svg = render(dot(awkward, simulate(awkward)), "svg")
    root = ET.fromstring(svg)
    shown = [t.text for t in root.iter(f"{SVG}text")]
    assert f"poke [{' '.join(AWKWARD_GUARD.split())}]" in shown
    assert set(svg_nodes(svg)) == {*awkward.machine.state_names, "[*]"}


def test_png_is_a_png(first: Scenario) -> None:
    require_dot()
    assert render(dot(first), "png").startswith(b"\x89PNG\r\n\x1a\n")


def test_render_errors(first: Scenario) -> None:
    """An unknown format, and DOT that Graphviz refuses, are errors with dot's message."""
    with pytest.raises(DipsimError, match="formats are svg, png"):
        render(dot(first), "gif")
    require_dot()
    with pytest.raises(DipsimError, match=r"Graphviz's dot failed \(exit status 1\): .*syntax"):
        render("digraph { a -> }", "svg")


def test_missing_dot_says_how_to_install_it(
    first: Scenario, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DipsimError) as err:
        render(dot(first), "svg")
    assert "apt install graphviz" in str(err.value)
    assert "brew install graphviz" in str(err.value)
    assert "--format mermaid or --format dot" in str(err.value)


# --- the command ---------------------------------------------------------------------------------


def test_cli_prints_mermaid_by_default() -> None:
    result = invoke("graph", FIRST)
    assert result.exit_code == 0
    assert result.stdout == FIRST_MERMAID
    assert result.stderr == ""


def test_cli_prints_dot() -> None:
    result = invoke("graph", FIRST, "--format", "dot")
    assert result.exit_code == 0
    assert result.stdout == FIRST_DOT


def test_cli_trace_highlights_the_run() -> None:
    result = invoke("graph", JAN2024, "--trace")
    assert result.exit_code == 0
    assert result.stdout == JAN2024_MERMAID
    other = invoke("graph", JAN2024, "--trace", "--seed", "3", "--relation", "IRQ-IRN")
    assert other.exit_code == 0
    assert "— IRN-IRQ, seed 3" in other.stdout


def test_cli_writes_a_file(tmp_path: Path) -> None:
    """``--out`` writes the text to a file (folders created) and prints nothing."""
    out = tmp_path / "sub" / "first.mmd"
    result = invoke("graph", FIRST, "-o", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == FIRST_MERMAID
    assert [p.name for p in out.parent.iterdir()] == ["first.mmd"]  # no temporary left


def test_cli_svg_to_stdout_and_png_to_a_file(tmp_path: Path) -> None:
    require_dot()
    svg = invoke("graph", JAN2024, "--format", "svg", "--trace")
    assert svg.exit_code == 0
    assert set(svg_nodes(svg.stdout_bytes)) >= {"normal", "strained", "envoys_recalled"}
    out = tmp_path / "jan2024.png"
    png = invoke("graph", JAN2024, "--format", "png", "--out", out)
    assert png.exit_code == 0
    assert png.stdout == ""
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    svg_file = tmp_path / "jan2024.svg"
    assert invoke("graph", JAN2024, "--format", "svg", "-o", svg_file).exit_code == 0
    assert set(svg_nodes(svg_file.read_bytes())) == {
        "normal",
        "strained",
        "envoys_recalled",
        "restored",
        "[*]",
    }


def test_cli_png_needs_out() -> None:
    result = invoke("graph", FIRST, "--format", "png")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: a PNG image is not text: give a file to write it to with --out\n"
    )


def test_cli_unknown_relation_suggests_one() -> None:
    result = invoke("graph", JAN2024, "--trace", "--relation", "PAK-IRM")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "(did you mean 'PAK-IRN'?); relations: PAK-IRN, IRN-IRQ" in result.stderr
    assert "Traceback" not in result.output


def test_cli_relation_and_seed_need_trace() -> None:
    result = invoke("graph", JAN2024, "--relation", "IRN-IRQ", "--seed", "2")
    assert result.exit_code == 2
    assert result.stderr == "error: --relation and --seed only apply with --trace\n"
    assert invoke("graph", JAN2024, "--seed", "2").stderr == (
        "error: --seed only applies with --trace\n"
    )


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_cli_without_dot_says_how_to_install_it(
    fmt: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = invoke("graph", FIRST, "--format", fmt, "-o", tmp_path / f"first.{fmt}")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: drawing {fmt.upper()} needs Graphviz's `dot`")
    assert "apt install graphviz" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / f"first.{fmt}").exists()
    # Text needs no Graphviz.
    assert invoke("graph", FIRST, "--format", "dot").exit_code == 0


def test_cli_invalid_scenario_is_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(AWKWARD.replace("dest: gone", "dest: gon"), encoding="utf-8")
    result = invoke("graph", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{path}:" in result.stderr
    assert "did you mean 'gone'" in result.stderr


def test_cli_limits_apply(tmp_path: Path) -> None:
    """``--limit`` reaches the loader."""
    result = invoke("graph", JAN2024, "--limit", "max_events=2")
    assert result.exit_code == 2
    assert "max_events" in result.stderr
