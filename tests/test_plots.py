"""Figures (simulator.plots, `--plot`): made from real traces, outcomes and batch results, with
content that can be checked, the same SVG bytes for the same input, and clear errors.

Every figure a test makes is also written to one folder under pytest's temporary directory
(``figures`` in the session's base temp), so that a failing or suspicious figure can be looked at.
"""

from __future__ import annotations

import itertools
import math
import re
import struct
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from click.testing import CliRunner, Result
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulator import plots
from simulator.batch.runner import run_batch
from simulator.batch.sinks import read_rows
from simulator.batch.summary import Tally, typed_row
from simulator.cli import cli
from simulator.core.errors import DipsimError
from simulator.engine.montecarlo import run_many
from simulator.engine.outcomes import Outcomes
from simulator.engine.simulation import dynamics, simulate
from simulator.engine.trace import Trace
from simulator.plots.days import day_scale
from simulator.plots.key import INFERRED, INFERRED_NOTE
from simulator.report import table
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario
from tests.conftest import JAN2024, SCENARIOS

LOGNORMAL = SCENARIOS / "whatif" / "return-delayed-lognormal.yaml"
WHATIF = SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- fixtures: real inputs, and a folder for every figure made -----------------------------------


@pytest.fixture(scope="module")
def jan2024() -> tuple[Scenario, Trace]:
    scenario = load_scenario(JAN2024)
    return scenario, simulate(scenario, seed=0)


@pytest.fixture(scope="module")
def outcomes() -> Outcomes:
    """300 runs of a what-if whose return of the ambassadors takes a random time."""
    return run_many(load_scenario(LOGNORMAL), 300, seed=1)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real batch: a 3 x 2 grid over a stochastic what-if, 20 runs per point, as CSV."""
    folder = tmp_path_factory.mktemp("batch")
    spec = folder / "spec.yaml"
    spec.write_text(
        f"""dipsim_batch: 1
scenario: {WHATIF}
parameters:
  - {{path: "rules[iranian-counter-strike].probability", name: p, values: [0.0, 0.5, 1.0]}}
  - {{path: parameters.return_at_most, name: threshold, values: [0.1, 0.25]}}
replications: 20
seed: 99
""",
        encoding="utf-8",
    )
    return run_batch(spec, "sequential", out=folder / "results.csv").path


@pytest.fixture(scope="module")
def sampled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real batch over a continuous parameter: 40 Latin hypercube points, as JSON Lines."""
    folder = tmp_path_factory.mktemp("lhs")
    spec = folder / "spec.yaml"
    spec.write_text(
        f"""dipsim_batch: 1
scenario: {SCENARIOS / "whatif" / "return-delayed.yaml"}
parameters:
  - {{path: variables.tension.decay_per_day, name: decay, low: 0.02, high: 0.2}}
design: {{kind: lhs, points: 40}}
replications: 1
seed: 7
until: 2024-01-31
""",
        encoding="utf-8",
    )
    return run_batch(spec, "sequential", out=folder / "results.jsonl").path


@pytest.fixture(scope="session")
def figures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "figures"


def keep(fig: Figure, figures: Path, name: str) -> Figure:
    """Write the figure to the session's figures folder (PNG), for people to look at."""
    plots.save(fig, figures / f"{name}.png")
    return fig


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


# --- finding what a figure drew --------------------------------------------------------------


def events_axes(fig: Figure) -> tuple[Axes, PathCollection]:
    for ax in fig.axes:
        for c in ax.collections:
            if c.get_label() == "_events" and isinstance(c, PathCollection):
                return ax, c
    raise AssertionError("no event markers")


def line(fig: Figure, label: str) -> Line2D:
    found = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_label() == label]
    assert len(found) == 1, f"{len(found)} lines labelled {label!r}"
    return found[0]


def texts(fig: Figure) -> Iterator[str]:
    """Every piece of text a figure shows (titles, labels, annotations, key entries)."""
    for artist in fig.findobj(matplotlib.text.Text):
        yield artist.get_text()


def points(markers: PathCollection) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in np.asarray(markers.get_offsets())]


def xs(ln: Line2D) -> list[float]:
    return [float(v) for v in np.asarray(ln.get_xdata())]


def ys(ln: Line2D) -> list[float]:
    return [float(v) for v in np.asarray(ln.get_ydata())]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height


# --- the timeline of one run -------------------------------------------------------------------


def test_timeline_draws_the_run(jan2024: tuple[Scenario, Trace], figures: Path) -> None:
    """One marker per record of the relation, coloured by the sign of its Goldstein value and
    placed within its day; the state band's levels are the machine's states in order; the x
    axis spans the scenario's days; tension follows the records, then its final value."""
    scenario, trace = jan2024
    fig = keep(
        plots.timeline_figure(
            trace, states=scenario.machine.state_names, dynamics=dynamics(scenario)
        ),
        figures,
        "timeline",
    )
    records = [r for r in trace.records if r.relation == "PAK-IRN"]
    scale = day_scale(records, (trace.stop - trace.start).days + 1)
    ax, markers = events_axes(fig)
    offsets = points(markers)
    assert len(offsets) == len(records) == 24

    colours = [tuple(float(v) for v in c) for c in np.asarray(markers.get_facecolor())]
    for r, colour, (x, y) in zip(records, colours, offsets, strict=True):
        g = r.goldstein or 0.0
        expected = plots.CONFLICT if g < 0 else plots.COOPERATION if g > 0 else plots.NEUTRAL
        assert tuple(colour) == to_rgba(expected), r.event
        assert y == g
        day = (r.when.date() - trace.start).days
        assert scale.edges[day] < x < scale.edges[day + 1], r.event

    days = (trace.stop - trace.start).days + 1
    assert ax.get_xlim() == (0.0, scale.end)
    assert scale.days == days == 17
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert (ticks[0], ticks[-1]) == ("15 Jan", "31 Jan")

    band = line(fig, "state")
    state_axes = band.axes
    assert state_axes is not None
    assert [t.get_text() for t in state_axes.get_yticklabels()] == list(
        scenario.machine.state_names
    )
    levels = list(scenario.machine.state_names)
    assert ys(band) == [
        levels.index("normal"),
        *(levels.index(r.after) for r in records),
        levels.index("normal"),
    ]

    tension = line(fig, "tension")
    final = next(e for e in trace.final if e.relation == "PAK-IRN")
    curve = list(zip(xs(tension), ys(tension), strict=True))
    for (x, _), r in zip(offsets, records, strict=True):
        assert (x, r.variables["tension"]) in curve, r.event  # the value after each event
    assert curve[0] == (0.0, scenario.initial_values(scenario.relations[0])["tension"])
    assert curve[-1][0] == scale.end
    assert curve[-1][1] == pytest.approx(final.variables["tension"], abs=1e-6)
    shown = set(texts(fig))
    assert {str(i) for i in range(1, 25)} <= shown  # each marker numbered
    assert any("ambassadors-return" in t for t in shown)  # ... and named in the key


def test_timeline_tension_decays_between_events_and_jumps_at_them(
    jan2024: tuple[Scenario, Trace],
) -> None:
    """Between two events tension decays towards its rest value, as the engine has it; at an
    event it jumps. So it does not rise before the 27 January attack, which raised it."""
    scenario, trace = jan2024
    fig = plots.timeline_figure(
        trace, states=scenario.machine.state_names, dynamics=dynamics(scenario)
    )
    records = [r for r in trace.records if r.relation == "PAK-IRN"]
    _, markers = events_axes(fig)
    spec = scenario.variables["tension"]
    curve = list(zip(xs(line(fig, "tension")), ys(line(fig, "tension")), strict=True))
    for k in range(1, len(records)):
        before, after = records[k - 1], records[k]
        x = points(markers)[k][0]
        # The last point drawn before the jump: the previous value decayed over the gap.
        pre = next(y for cx, y in curve if cx == x)
        expected = spec.rest_value + (before.variables["tension"] - spec.rest_value) * (
            1 - spec.decay_per_day
        ) ** (after.t - before.t)
        assert pre == pytest.approx(expected, abs=1e-6), after.event
    attack = next(k for k, r in enumerate(records) if r.event == "saravan-killings")
    x0, x1 = points(markers)[attack - 1][0], points(markers)[attack][0]
    between = [y for cx, y in curve if x0 < cx < x1]
    assert between == sorted(between) or between == sorted(between, reverse=True)
    assert records[attack].variables["tension"] > max(between)  # the jump is at the attack


def test_timeline_markers_do_not_overlap(jan2024: tuple[Scenario, Trace]) -> None:
    """Busy days are drawn wider: no two event markers overlap (7 events share 18 January)."""
    scenario, trace = jan2024
    fig = plots.timeline_figure(trace, states=scenario.machine.state_names)
    ax, markers = events_axes(fig)
    fig.draw_without_rendering()
    centres = ax.transData.transform(points(markers))
    radii = [math.sqrt(a) / 2 * fig.dpi / 72 for a in markers.get_sizes()]
    for i in range(len(centres)):
        for j in range(i + 1, len(centres)):
            gap = math.dist(centres[i], centres[j])
            assert gap >= radii[i] + radii[j], f"markers {i + 1} and {j + 1} overlap"


def test_timeline_key_cuts_no_event_id(jan2024: tuple[Scenario, Trace]) -> None:
    """Long ids are wrapped in the key, never cut short."""
    scenario, trace = jan2024
    fig = plots.timeline_figure(trace, states=scenario.machine.state_names)
    shown = "".join(t.replace("\n", "").replace(" ", "") for t in texts(fig))
    for r in trace.records:
        if r.relation == "PAK-IRN":
            assert r.event in shown, r.event
    assert not any("\u2026" in t for t in texts(fig))


def test_timeline_key_marks_inferred_dates(jan2024: tuple[Scenario, Trace]) -> None:
    """An inferred date has the terminal table's mark after it in the key, and a note under
    the key says what the mark means; a key without such a date has no note."""
    scenario, trace = jan2024
    fig = plots.timeline_figure(trace, states=scenario.machine.state_names)
    shown = list(texts(fig))
    key = [t for t in shown if re.match(r"[\u2007\d]\d [A-Z][a-z]{2}[* ] ", t)]
    records = [r for r in trace.records if r.relation == "PAK-IRN"]
    assert len(key) == len(records)
    for text, r in zip(key, records, strict=True):
        date = f"{r.when.day:\u2007>2} {r.when:%b}"
        mark = INFERRED if r.date_basis == "inferred" else " "
        assert text.startswith(f"{date}{mark} {r.event[:10]}"), (text, r.date_basis)
    assert {r.date_basis for r in records} >= {"inferred", "reported"}
    assert INFERRED == table.INFERRED
    assert f"{INFERRED} date inferred" == INFERRED_NOTE
    assert shown.count(INFERRED_NOTE) == 1
    reported = Trace.from_dict(
        trace.to_dict()
        | {"records": [r.to_dict() | {"date_basis": "reported"} for r in trace.records]}
    )
    assert INFERRED_NOTE not in texts(plots.timeline_figure(reported))


def test_timeline_numbers_do_not_overlap(jan2024: tuple[Scenario, Trace]) -> None:
    """The event numbers (seven events share 18 January) are placed apart from one another."""
    scenario, trace = jan2024
    fig = plots.timeline_figure(trace, states=scenario.machine.state_names)
    ax, _ = events_axes(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    # Text's own extent: an annotation's includes its leader line.
    numbers = [t for t in ax.texts if t.get_text().isdigit()]
    boxes = [matplotlib.text.Text.get_window_extent(t, renderer) for t in numbers]
    assert len(boxes) == 24
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), "two event numbers overlap"


def test_timeline_of_other_relations_and_of_no_events(
    jan2024: tuple[Scenario, Trace], figures: Path
) -> None:
    """Any relation of the trace can be drawn; one without events draws a flat band; an unknown
    relation is an error that lists the known ones."""
    _, trace = jan2024
    fig = keep(plots.timeline_figure(trace, relation="IRN-IRQ"), figures, "timeline-irn-irq")
    assert len(points(events_axes(fig)[1])) == 3  # Iran's strike, Iraq's summons and recall
    minimal = load_scenario(SCENARIOS / "examples" / "minimal.yaml")
    quiet = simulate(minimal)
    fig = keep(plots.timeline_figure(quiet), figures, "timeline-minimal")
    assert len(points(events_axes(fig)[1])) == 0
    with pytest.raises(DipsimError, match="'PAK-IRQ' is not in the trace; it has PAK-IRN"):
        plots.timeline_figure(trace, relation="PAK-IRQ")


# --- outcomes of many runs ---------------------------------------------------------------------


def test_outcomes_figure_bars_are_the_shares(outcomes: Outcomes, figures: Path) -> None:
    """Left: one bar per state, its height the share of runs ending in it, its error bar the
    Wilson interval. Right: the days to reach `restored` as a histogram by day (bar heights: the
    share of all runs first reaching it that day) and the cumulative share reached."""
    fig = keep(plots.outcomes_figure(outcomes), figures, "outcomes")
    bars = [c for c in fig.axes[0].containers if isinstance(c, BarContainer)]
    assert len(bars) == 1
    rel = outcomes.relations[0]
    assert [p.get_height() for p in bars[0].patches] == [s.ended.share for s in rel.states]
    assert sum(p.get_height() for p in bars[0].patches) == pytest.approx(1.0)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == [s.state for s in rel.states]
    restored = next(s for s in rel.states if s.state == "restored")
    reach = restored.days_to_reach
    assert reach is not None
    assert sum(reach.by_day) == reach.runs
    (histogram,) = [c for c in fig.axes[1].containers if isinstance(c, BarContainer)]
    heights = [p.get_height() for p in histogram.patches]
    assert heights == [n / outcomes.runs for n in reach.by_day]
    assert sum(heights) == pytest.approx(restored.reached.share)
    assert "day on which restored was first reached" in set(texts(fig))
    (cumulative,) = [ln for ln in fig.axes[1].get_lines() if ln.get_linewidth() == 3]
    assert xs(cumulative)[-1] == fig.axes[1].get_xlim()[1]  # reaches the end of its axis
    assert ys(cumulative)[-1] == pytest.approx(restored.reached.share)


def test_outcomes_figure_from_older_outcomes_uses_the_quantiles(outcomes: Outcomes) -> None:
    """Outcomes read from a file written before the histogram existed: the quantile curve."""
    data = outcomes.to_dict()
    for relation in data["relations"]:
        for state in relation["states"]:
            if state["days_to_reach"] is not None:
                del state["days_to_reach"]["by_day"]
    older = Outcomes.from_dict(data)
    fig = plots.outcomes_figure(older)
    restored = next(s for s in older.relations[0].states if s.state == "restored")
    reach = restored.days_to_reach
    assert reach is not None
    assert reach.by_day == ()
    curve = next(ln for ln in fig.axes[1].get_lines() if len(xs(ln)) == 5)
    assert xs(curve) == [reach.p5, reach.p25, reach.p50, reach.p75, reach.p95]
    assert "days until restored was first reached" in set(texts(fig))


def test_outcomes_figure_other_state_and_errors(outcomes: Outcomes) -> None:
    fig = plots.outcomes_figure(outcomes, relation="PAK-IRN", state="envoys_recalled")
    assert "day on which envoys_recalled was first reached" in set(texts(fig))
    with pytest.raises(DipsimError, match="state 'calm' is not in the machine"):
        plots.outcomes_figure(outcomes, state="calm")
    with pytest.raises(DipsimError, match="relation 'X-Y' is not in the outcomes"):
        plots.outcomes_figure(outcomes, relation="X-Y")


# --- batch results -----------------------------------------------------------------------------


def _shares(path: Path, by: str) -> dict[str, list[float]]:
    """The shares `dipsim summarize` computes (batch.summary.Tally), per state, in group order."""
    tally = Tally([by], "PAK-IRN")
    for row in read_rows(path):
        tally.add(typed_row(row))
    doc = tally.to_dict()
    states = doc["groups"][0]["final_states"]
    return {s: [g["final_states"][s]["share"] for g in doc["groups"]] for s in states}


def test_batch_figure_lines_are_the_summary_shares(results: Path, figures: Path) -> None:
    """Per state, one line over the values of the first parameter whose heights are the shares
    `dipsim summarize --by p` prints; the other parameter is pooled, and the figure says so;
    the days to reach `restored` get their own panel."""
    fig = keep(plots.batch_figure(read_rows(results)), figures, "batch")
    lines = {
        str(c.get_label()): c.lines[0]
        for ax in fig.axes
        for c in ax.containers
        if isinstance(c, ErrorbarContainer)
    }
    expected = _shares(results, "p")
    assert set(lines) == set(expected)
    for state, data_line in lines.items():
        assert ys(data_line) == pytest.approx(expected[state]), state
        assert xs(data_line) == pytest.approx([0.0, 0.5, 1.0], abs=0.05)
    shown = set(texts(fig))
    assert "bars: 95% Wilson intervals; pooled over threshold" in shown
    assert "days until restored was first reached" in shown


def test_batch_figure_facets_and_bins(results: Path, sampled: Path, figures: Path) -> None:
    """A facet column gives a panel per value; a sampled parameter is cut into 8 bins."""
    fig = keep(
        plots.batch_figure(read_rows(results), x="p", facet="threshold"), figures, "batch-facets"
    )
    titles = {ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()}
    assert {"threshold = 0.1", "threshold = 0.25"} <= titles
    fig = keep(plots.batch_figure(read_rows(sampled)), figures, "batch-sampled")
    points = [
        len(xs(c.lines[0]))
        for ax in fig.axes
        for c in ax.containers
        if isinstance(c, ErrorbarContainer)
    ]
    assert points
    assert all(n == plots.X_BINS for n in points)


def test_batch_figure_errors(results: Path) -> None:
    with pytest.raises(DipsimError, match="no rows"):
        plots.batch_figure([])
    with pytest.raises(DipsimError, match="no column 'q'"):
        plots.batch_figure(read_rows(results), x="q")
    with pytest.raises(DipsimError, match="relation 'X-Y'"):
        plots.batch_figure(read_rows(results), relation="X-Y")


# --- formats, files, determinism ---------------------------------------------------------------


def test_svg_is_well_formed_and_the_same_for_the_same_input(
    jan2024: tuple[Scenario, Trace], outcomes: Outcomes, results: Path
) -> None:
    """Two figures built from the same input give the same SVG bytes (no date, fixed ids); the
    SVG parses as XML; the PNG is 1920 x 1080."""
    scenario, trace = jan2024
    makers: dict[str, Callable[[], Figure]] = {
        "timeline": lambda: plots.timeline_figure(trace, states=scenario.machine.state_names),
        "outcomes": lambda: plots.outcomes_figure(outcomes),
        "batch": lambda: plots.batch_figure(read_rows(results)),
    }
    for name, make in makers.items():
        svg = plots.figure_bytes(make(), "svg")
        assert svg == plots.figure_bytes(make(), "svg"), name
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg", name
        assert b"<dc:date>" not in svg
        assert png_size(plots.figure_bytes(make(), "png")) == (1920, 1080)


def test_svg_element_inlines_with_its_own_ids(outcomes: Outcomes) -> None:
    """For HTML: the <svg> element alone; another salt gives other clip-path ids."""
    fig = plots.outcomes_figure(outcomes)
    one, two = plots.svg_element(fig), plots.svg_element(fig, salt="second")
    assert one.startswith("<svg")
    assert one.rstrip().endswith("</svg>")
    ids = [set(re.findall(r'id="(p[0-9a-f]+)"', svg)) for svg in (one, two)]
    assert ids[0]
    assert ids[0].isdisjoint(ids[1])


def test_save_picks_the_format_by_suffix(jan2024: tuple[Scenario, Trace], tmp_path: Path) -> None:
    _, trace = jan2024
    fig = plots.timeline_figure(trace)
    assert plots.save(fig, tmp_path / "a" / "t.PNG").read_bytes()[:8] == PNG_SIGNATURE
    assert plots.save(fig, tmp_path / "t.svg").read_bytes().startswith(b"<?xml")
    for bad in ("t.pdf", "t"):
        with pytest.raises(DipsimError, match=r"a figure file ends in \.png or \.svg"):
            plots.save(fig, tmp_path / bad)
        assert not (tmp_path / bad).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "t.svg"]  # no temporary left


def test_figures_change_no_global_matplotlib_state(jan2024: tuple[Scenario, Trace]) -> None:
    """No pyplot, no backend chosen, the caller's settings as they were (those dipsim styles its
    figures with included). Reading rcParams["backend"] would itself import pyplot, so the
    backend is not read."""
    styled = sorted(plots._STYLE)
    before = {key: matplotlib.rcParams[key] for key in styled}
    scenario, trace = jan2024
    plots.figure_bytes(plots.timeline_figure(trace, states=scenario.machine.state_names), "svg")
    assert {key: matplotlib.rcParams[key] for key in styled} == before
    assert "matplotlib.pyplot" not in sys.modules


def test_missing_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(DipsimError, match=r"figures need matplotlib: pip install 'dipsim\[plot\]'"):
        plots.require_matplotlib()


# --- the command line --------------------------------------------------------------------------


def test_cli_run_plot_writes_a_png(tmp_path: Path, figures: Path) -> None:
    """`dipsim run ... --plot out.png` prints the trace as before and writes a 1920 x 1080 PNG."""
    out = tmp_path / "out.png"
    result = invoke("run", JAN2024, "--plot", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Pakistan–Iran crisis, January 2024")
    data = out.read_bytes()
    assert png_size(data) == (1920, 1080)
    assert len(data) > 50_000  # a drawn figure, not an empty canvas
    (figures / "cli-run.png").write_bytes(data)


def test_cli_run_many_plot_writes_the_outcomes(tmp_path: Path, figures: Path) -> None:
    out = tmp_path / "outcomes.svg"
    result = invoke("run", LOGNORMAL, "--runs", "50", "--plot", out, "--format", "json")
    assert result.exit_code == 0, result.output
    assert ET.fromstring(out.read_bytes()).tag.endswith("svg")
    (figures / "cli-runs.svg").write_bytes(out.read_bytes())


def test_cli_summarize_plot(results: Path, tmp_path: Path, figures: Path) -> None:
    """`dipsim summarize --plot` draws against the first --by column, a panel per value of the
    second; the summary is printed as before."""
    out = tmp_path / "s.png"
    result = invoke("summarize", results, "--by", "p", "--by", "threshold", "--plot", out)
    assert result.exit_code == 0, result.output
    assert "final state of PAK-IRN" in result.stdout
    assert png_size(out.read_bytes()) == (1920, 1080)
    (figures / "cli-summarize.png").write_bytes(out.read_bytes())


@pytest.mark.parametrize("command", ["run", "summarize"])
def test_cli_plot_with_an_unknown_suffix_exits_2(
    command: str, results: Path, tmp_path: Path
) -> None:
    """A suffix other than .png or .svg is refused before any work, and nothing is written."""
    out = tmp_path / "figure.pdf"
    target = JAN2024 if command == "run" else results
    result = invoke(command, target, "--plot", out)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"error: {out}: a figure file ends in .png or .svg, not .pdf" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("command", ["run", "summarize"])
def test_cli_plot_without_matplotlib_exits_2_naming_the_extra(
    command: str, results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    target = JAN2024 if command == "run" else results
    result = invoke(command, target, "--plot", tmp_path / "f.png")
    assert result.exit_code == 2
    assert "figures need matplotlib: pip install 'dipsim[plot]'" in result.stderr
    assert result.stdout == ""


def test_goldstein_colour() -> None:
    assert plots.goldstein_colour(-0.3) == plots.CONFLICT
    assert plots.goldstein_colour(7) == plots.COOPERATION
    assert plots.goldstein_colour(0) == plots.goldstein_colour(None) == plots.NEUTRAL


@pytest.mark.parametrize("name", ["india-pakistan-2019.yaml", "saudi-canada-2018.yaml"])
def test_the_key_stays_inside_the_figure_and_track_states_do_not_overlap(name: str) -> None:
    """A key of wrapped entries (long ids, parties' lines) is sized by its text lines, so it
    never runs off the figure (which squeezed the plots and hid the key's last notes); a
    track's band is tall enough that its state names do not overlap."""
    from matplotlib.offsetbox import AnchoredOffsetbox

    scenario = load_scenario(SCENARIOS / name)
    trace = simulate(scenario)
    fig = plots.timeline_figure(
        trace,
        states=scenario.machine.state_names,
        dynamics=dynamics(scenario),
        track_states={t: s.state_names for t, s in scenario.tracks.items()},
    )
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.draw_without_rendering()
    keys = [a for ax in fig.axes for a in ax.artists if isinstance(a, AnchoredOffsetbox)]
    assert keys
    box = keys[0].get_window_extent(renderer)
    assert box.y0 >= 0, (box, fig.bbox)
    assert box.y1 <= fig.bbox.height, (box, fig.bbox)
    for ax in fig.axes:
        labels = [t.get_window_extent(renderer) for t in ax.get_yticklabels() if t.get_text()]
        if len(labels) < 2 or ax.get_ylabel() in ("tension", "Goldstein value"):
            continue
        for low, high in itertools.pairwise(labels):
            assert not low.overlaps(high), (ax.get_ylabel(), low, high)


def test_a_key_of_many_long_entries_fits_and_keeps_the_plots() -> None:
    """An imported scenario's events have long ids (1987-06-05-FRN-IRN-use_force), each taking
    two lines of the key: the key elides what does not fit at its smallest type instead of
    running off the figure, which collapsed the plots (constrained layout gave up on them)."""
    import warnings

    from simulator.plots.key import COLUMN_LINES, KEY_ROWS, _columns, keyed

    path = SCENARIOS / "imported" / "france-iran-1987.yaml"
    trace = simulate(path)
    records = list(trace.records)
    columns = _columns(records)
    assert len(records) > 2 * KEY_ROWS > keyed(records)
    assert all(sum(1 + t.count("\n") for _, t, _ in c) <= COLUMN_LINES for c in columns)
    assert columns[-1][-1][1] == f"\u2026 and {len(records) - keyed(records)} more"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fig = plots.timeline_figure(trace, dynamics=dynamics(load_scenario(path)))
        fig.canvas.draw()
    assert not [w for w in seen if "constrained_layout not applied" in str(w.message)]
    state_axes = fig.axes[0]
    assert state_axes.get_position().height > 0.2  # the state panel keeps its room
