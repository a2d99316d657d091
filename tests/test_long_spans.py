"""Long spans in the timeline (issue 14, item 5): years on the date axis, quiet stretches drawn
shorter and shaded, date labels that never touch, a window (``--from``), and the event numbers
placed through a grid with the same result as testing every box."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path

import matplotlib
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from simulator.cli import cli
from simulator.engine.simulation import dynamics, simulate
from simulator.engine.trace import window
from simulator.plots import save, timeline_figure
from simulator.plots.days import day_scale
from simulator.plots.labels import _candidates, place
from simulator.scenario.loading import load_scenario

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "examples" / "uncertain-dates.yaml"
JAN2024 = ROOT / "scenarios" / "jan2024.yaml"


def figure(path: Path, since: dt.date | None = None) -> matplotlib.figure.Figure:
    scenario = load_scenario(path)
    trace, moves = simulate(scenario), dynamics(scenario)
    if since is not None:
        trace, moves = window(trace, since, moves)
    return timeline_figure(trace, states=scenario.machine.state_names, dynamics=moves)


def date_labels(fig: matplotlib.figure.Figure) -> list[matplotlib.text.Text]:
    ax = next(a for a in fig.axes if a.get_xlabel())
    fig.draw_without_rendering()
    return [t for t in ax.get_xticklabels() if t.get_text()]


def test_a_five_year_timeline_shows_years_and_its_quiet_stretches(tmp_path: Path) -> None:
    fig = figure(EXAMPLE)
    save(fig, tmp_path / "five-years.png")  # to look at
    texts = [t.get_text() for t in date_labels(fig)]
    assert texts[0] == "1 Aug\n2018"
    assert any(t.endswith("\n2022") for t in texts)
    assert any(t.endswith("\n2023") for t in texts)
    assert sum(t.count("\n") for t in texts) == 3  # the year under a label once per year
    breaks = [p for ax in fig.axes for p in ax.patches if p.get_label() == "_break"]
    assert len(breaks) == 6  # two quiet stretches, shaded on the three axes that share x
    words = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "4.2 years without events" in words
    assert "6 months without events" in words
    key = " ".join(str(t.get_text()) for t in fig.findobj(matplotlib.text.Text))
    assert "18 Nov 2022" in key  # the key's dates carry their year
    assert "5 Aug 2018~ saudi-expels-ambassador" in key  # a disputed date, marked
    assert "~ date uncertain (one of several days)" in key


def test_the_busy_week_gets_room_in_a_long_run() -> None:
    """Without breaks the five August events would share 5 of 1,795 day-widths (0.3%)."""
    trace = simulate(EXAMPLE)
    scale = day_scale(trace.records, (trace.stop - trace.start).days + 1)
    assert len(scale.breaks) == 2
    first_week = scale.edges[7] - scale.edges[0]
    assert first_week / scale.end > 0.08


def test_a_short_run_has_no_breaks_and_no_year_in_its_labels() -> None:
    fig = figure(JAN2024)
    assert not any(p.get_label() == "_break" for ax in fig.axes for p in ax.patches)
    assert all("\n" not in t.get_text() for t in date_labels(fig))


@pytest.mark.parametrize("path", [JAN2024, EXAMPLE], ids=lambda p: p.name)
def test_date_labels_never_touch(path: Path) -> None:
    """jan2024's 23 and 25 January touched; labels are now spaced by their room."""
    fig = figure(path)
    boxes = [t.get_window_extent() for t in date_labels(fig)]
    for left, right in itertools.pairwise(boxes):
        assert left.x1 + 4 <= right.x0, (left, right)


def test_a_window_starts_its_axis_on_its_first_day() -> None:
    fig = figure(EXAMPLE, since=dt.date(2022, 11, 1))
    texts = [t.get_text() for t in date_labels(fig)]
    assert texts[0] == "1 Nov\n2022"
    key = " ".join(str(t.get_text()) for t in fig.findobj(matplotlib.text.Text))
    assert "freeland-urges-release" not in key
    assert "relations-restored" in key


def test_run_plot_from_writes_the_window(tmp_path: Path) -> None:
    out = tmp_path / "zoom.png"
    result = CliRunner().invoke(
        cli, ["run", str(EXAMPLE), "--from", "2022-11-01", "--plot", str(out), "-o", "-"]
    )
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 10_000


# --- label placement ----------------------------------------------------------------------------


def brute_force(
    markers: list[tuple[float, float, float]],
    count: int,
    size: float,
    bounds: tuple[float, float, float, float],
    signs: list[float],
) -> list[tuple[float, float]]:
    """The placement before the grid: every place against every box taken (quadratic)."""

    def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        return w * h if w > 0 and h > 0 else 0.0

    taken = [(x - r, y - r, x + r, y + r) for x, y, r in markers]
    out = []
    for i in range(count):
        cx, cy, radius = markers[i]
        w, h = 0.66 * size * len(str(i + 1)) + 4, size + 2
        best, best_cost = (0.0, 0.0), math.inf
        for dx, dy in _candidates(radius, w, h, signs[i]):
            box = (cx + dx - w / 2, cy + dy - h / 2, cx + dx + w / 2, cy + dy + h / 2)
            inside = box[0] >= bounds[0] and box[1] >= bounds[1]
            inside = inside and box[2] <= bounds[2] and box[3] <= bounds[3]
            cost = sum(overlap(box, t) for t in taken) + (0 if inside else 1e6)
            cost += 0.01 * math.hypot(dx, dy)
            if cost < best_cost:
                best, best_cost = (dx, dy), cost
        taken.append(
            (cx + best[0] - w / 2, cy + best[1] - h / 2, cx + best[0] + w / 2, cy + best[1] + h / 2)
        )
        out.append(best)
    return out


_MARKER = st.tuples(
    st.floats(0, 600, allow_nan=False),
    st.floats(0, 200, allow_nan=False),
    st.sampled_from([6.0, 9.0]),
)


@given(st.lists(_MARKER, min_size=1, max_size=60), st.data())
def test_the_grid_places_every_label_where_testing_every_box_would(
    markers: list[tuple[float, float, float]], data: st.DataObject
) -> None:
    count = data.draw(st.integers(1, len(markers)))
    signs = data.draw(st.lists(st.sampled_from([1.0, -1.0]), min_size=count, max_size=count))
    bounds = (0.0, 0.0, 600.0, 200.0)
    texts = [str(i + 1) for i in range(count)]
    got = place(markers, texts, 10.0, 1.0, bounds, signs)
    want = brute_force(markers, count, 10.0, bounds, signs)
    assert [v for p in got for v in p] == pytest.approx([v for p in want for v in p])
