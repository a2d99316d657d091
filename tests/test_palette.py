"""One colour per state, everywhere: the palette, and every output read back for its colours.

The palette (:mod:`simulator.core.palette`) is derived from the machine's states in their
calm-to-crisis order. Each output is read back as it is made — the terminal table's escape
codes, the figures' matplotlib artists, the DOT and Mermaid texts' fills, the report's style
sheet and its inline diagram — and must give each state the palette's colour.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer, ErrorbarContainer

from simulator import plots
from simulator.cli import step
from simulator.core.palette import (
    BLACK,
    BLUE,
    BLUISH_GREEN,
    ORANGE,
    REDDISH_PURPLE,
    SKY_BLUE,
    VERMILLION,
    YELLOW,
    nearest_ansi256,
    rgb,
    state_palette,
)
from simulator.engine.montecarlo import run_many
from simulator.engine.simulation import simulate
from simulator.graph import diagram, mermaid, to_dot
from simulator.report.html.build import build_report
from simulator.report.table import trace_table
from simulator.scenario.loading import load_scenario
from tests.conftest import JAN2024

OKABE_ITO = {BLUISH_GREEN, SKY_BLUE, BLUE, REDDISH_PURPLE, ORANGE, VERMILLION, YELLOW, BLACK}
STATES = ("normal", "restored", "strained", "envoys_recalled")


@pytest.fixture(scope="module")
def colours() -> dict[str, str]:
    scenario = load_scenario(JAN2024)
    assert scenario.machine.state_names == STATES  # listed calm to crisis
    return {s: c.hex for s, c in state_palette(STATES).items()}


# --- the palette ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(1, 9))
def test_the_palette_runs_from_calm_to_crisis(n: int) -> None:
    """The first state bluish green, the last vermillion; Okabe-Ito colours, all different up to
    eight states; each with the nearest xterm colour and a readable ink."""
    names = [f"s{i}" for i in range(n)]
    palette = state_palette(names)
    hexes = [palette[s].hex for s in names]
    assert hexes[0] == BLUISH_GREEN
    if n > 1:
        assert hexes[-1] == VERMILLION
    assert set(hexes) <= OKABE_ITO
    assert len(set(hexes)) == n
    for c in palette.values():
        assert 16 <= c.ansi256 <= 255
        assert c.ansi256 == nearest_ansi256(c.hex)
        assert c.ink in {"#000000", "#ffffff"}


def test_more_states_than_colours_repeat_them() -> None:
    palette = state_palette([f"s{i}" for i in range(12)])
    assert len(palette) == 12
    assert {c.hex for c in palette.values()} <= OKABE_ITO


def test_the_terminal_colours_are_the_nearest() -> None:
    """Vermillion's nearest xterm colour is 166 (#d75f00), orange's 178 (#d7af00)."""
    assert nearest_ansi256(VERMILLION) == 166
    assert nearest_ansi256(ORANGE) == 178
    assert nearest_ansi256("#000000") == 16
    assert nearest_ansi256("#ffffff") == 231


# Machado, Oliveira and Fernandes (2009), severity 1: how the colours look to the two common
# kinds of red-green colour blindness (and to tritanopia), in linear RGB.
CVD = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}  # fmt: skip


def _lab(linear: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of a linear-RGB colour."""
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ np.clip(linear, 0, 1) / np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _linear(hex_colour: str) -> np.ndarray:
    s = np.array(rgb(hex_colour)) / 255
    return np.where(s <= 0.04045, s / 12.92, ((s + 0.055) / 1.055) ** 2.4)


@pytest.mark.parametrize("kind", [None, *CVD])
@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_the_states_stay_apart_for_colour_blind_eyes(kind: str | None, n: int) -> None:
    """Simulated for each kind of colour blindness, any two states' colours stay at least 15
    CIE76 units apart (about five times a just-noticeable difference)."""
    hexes = [c.hex for c in state_palette([f"s{i}" for i in range(n)]).values()]
    seen = [_lab(_linear(h) if kind is None else np.array(CVD[kind]) @ _linear(h)) for h in hexes]
    closest = min(math.dist(a, b) for a, b in itertools.combinations(seen, 2))
    assert closest >= 15, f"{kind}: two states {closest:.1f} apart"


# --- every output -----------------------------------------------------------------------------


def test_the_terminal_table_paints_each_state_in_its_colour(colours: dict[str, str]) -> None:
    trace = simulate(load_scenario(JAN2024))
    text = trace_table(trace, style=step.table_style(True, STATES))
    painted = {state: int(code) for code, state in re.findall(r"\x1b\[38;5;(\d+)m(\w+)", text)}
    assert set(painted) == set(STATES)
    for state, code in painted.items():
        assert code == nearest_ansi256(colours[state]), state


def _hex(colour: Any) -> str:
    return to_hex(colour, keep_alpha=False)


def test_the_timeline_gives_each_state_its_colour(colours: dict[str, str]) -> None:
    """The swatches beside the state names, and the band under the step in each state."""
    scenario = load_scenario(JAN2024)
    fig = plots.timeline_figure(simulate(scenario), states=STATES)
    ax = next(
        ax for ax in fig.axes if any(c.get_label() == "_state swatches" for c in ax.collections)
    )
    swatches = next(c for c in ax.collections if c.get_label() == "_state swatches")
    assert [t.get_text() for t in ax.get_yticklabels()] == list(STATES)
    assert [_hex(c) for c in np.asarray(swatches.get_facecolor())] == [colours[s] for s in STATES]
    # The band is one collection, a rectangle per stay in a state, each with its colour.
    bands = [
        (_hex(face), float(np.asarray(path.vertices)[:, 1].max()))
        for c in ax.collections
        if c is not swatches
        for path, face in zip(c.get_paths(), np.asarray(c.get_facecolor()), strict=True)
    ]
    for colour, top in bands:  # each band reaches up to its state's level
        assert colour == colours[STATES[round(top)]]
    assert {c for c, _ in bands} == set(colours.values())


def test_the_outcomes_figure_gives_each_state_its_colour(colours: dict[str, str]) -> None:
    outcomes = run_many(load_scenario(JAN2024), 40, seed=1)
    fig = plots.outcomes_figure(outcomes, state="envoys_recalled")
    bars = next(c for c in fig.axes[0].containers if isinstance(c, BarContainer))
    names = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert [_hex(p.get_facecolor()) for p in bars.patches] == [colours[s] for s in names]
    drawn = {_hex(ln.get_color()) for ln in fig.axes[1].get_lines() if ln.get_linewidth() == 3}
    assert drawn == {colours["envoys_recalled"]}


def test_the_batch_figure_gives_each_state_its_colour(colours: dict[str, str]) -> None:
    """Lines named by state in the batch figure's legend, in the state's colour, even when
    the runs ended in only some of the states (the colour comes from the whole machine)."""
    days = {f"PAK-IRN.days.{s}": 4.0 for s in STATES}
    rows = [
        {"point": p, "p": p / 4, "PAK-IRN.final_state": state, **days}
        for p in range(4)
        for state in ("envoys_recalled", "restored", "restored")
    ]
    fig = plots.batch_figure(rows)
    lines = {
        c.get_label(): _hex(c.lines[0].get_color())
        for ax in fig.axes
        for c in ax.containers
        if isinstance(c, ErrorbarContainer)
    }
    assert lines == {s: colours[s] for s in ("restored", "envoys_recalled")}


def test_the_diagrams_fill_each_state_with_its_colour(colours: dict[str, str]) -> None:
    scenario = load_scenario(JAN2024)
    trace = simulate(scenario)
    for page in (False, True):
        text = to_dot(diagram(scenario, trace), page=page)
        fills = dict(re.findall(r'^    "(\w+)" \[fillcolor="(#[0-9a-f]{6})', text, re.MULTILINE))
        assert fills == colours
    text = mermaid(scenario, trace)
    classes = dict(re.findall(r"classDef (colour_\w+) fill:(#[0-9a-f]{6})", text))
    members = {
        state: classes[cls]
        for names, cls in re.findall(r"class ([\w,]+) (colour_\w+)", text)
        for state in names.split(",")
    }
    assert members == colours


def test_the_report_colours_each_state_as_the_rest(colours: dict[str, str]) -> None:
    """The page's style sheet colours each state's swatch; its inline diagram fills each
    state's node (when Graphviz is there to draw it)."""
    page = build_report(JAN2024).html
    style = page[page.index("<style>") : page.index("</style>")]
    rules = dict(
        re.findall(
            r'\[data-run="run"\] \.state-name\[data-state="(\w+)"\] \.swatch '
            r"\{ background: (#[0-9a-f]{6}); \}",
            style,
        )
    )
    assert rules == colours
    for state in STATES:
        assert f'<span class="state-name" data-state="{state}"><span class="swatch"' in page
    nodes = re.findall(
        r'<g id="[^"]+" class="node[^"]*" data-state="(\w+)">.*?<path fill="(#[0-9a-f]{6})',
        page,
        re.DOTALL,
    )
    if "<svg" in page[page.index('id="run-diagram"') :][:5000]:
        assert dict(nodes) == colours
