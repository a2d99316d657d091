"""PRIM (simulator.batch.prim): EMA Workbench's published result reproduced, a known box
recovered, listed parameters peeled, and bad input refused."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from simulator.batch.prim import ALPHA, MASS_MIN, MIN_RUNS, THRESHOLD, prim, quantile
from simulator.core.errors import BatchError

np = pytest.importorskip("numpy", reason="the batch extra is not installed")

BRYANT = Path(__file__).parent / "data" / "ema" / "bryant-et-al-2010.csv"


def bryant() -> tuple[list[str], Any, Any]:
    """EMA's example as its notebook reads it: columns 2 to 10 are the design, 15 the class."""
    with BRYANT.open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    x = np.array([[float(r[i]) for i in range(2, 11)] for r in rows])
    y = np.array([float(r[15]) for r in rows])
    return header[2:11], x, y


def test_reproduces_ema_workbench_on_bryant_and_lempert() -> None:
    """EMA Workbench's scenario-discovery notebook (docs/source/examples/scenario_discovery.ipynb,
    see tests/data/ema/README.md) runs ``Prim(x, y, threshold=0.8, peel_alpha=0.1)`` on Bryant
    and Lempert's data and prints, for box 21 of the trajectory, coverage 0.752809, density
    0.770115, mass 0.0986395, 4 restricted dimensions and these limits; its log gives the last
    box (mean 1.0, mass 0.0510204, coverage 0.505618, 6 restricted). Ours peels the same boxes:
    the counts are equal (67 of 87 runs of interest, of 89 in 882), so the shares are equal to
    the printed digits, and each limit is a midpoint of two values of the file (equal to the
    digits EMA printed; 1e-6 covers its last printed digit)."""
    names, x, y = bryant()
    found = prim(x, y, names, [None] * len(names), alpha=0.1, box=21)
    box = found.box
    assert (box.index, box.runs, box.of_interest, len(box.restricted)) == (21, 87, 67, 4)
    assert box.coverage == pytest.approx(0.752809, abs=5e-7)
    assert box.density == pytest.approx(0.770115, abs=5e-7)
    assert box.mass == pytest.approx(0.0986395, abs=5e-8)
    limits = {r["parameter"]: (r["low"], r["high"]) for r in found.box_rows()}
    published = {
        "Total biomass": (450.000000, 755.799988),
        "Demand elasticity": (-0.422000, -0.202000),
        "Biomass backstop price": (150.049995, 199.600006),
        "Cellulosic cost": (72.650002, 133.699997),
    }
    assert set(limits) == set(published)
    for name, (low, high) in published.items():
        assert limits[name] == pytest.approx((low, high), abs=1e-6), name
    last = found.trajectory[-1]
    assert (last.index, last.runs, last.of_interest, len(last.restricted)) == (27, 45, 45, 6)
    assert last.mass == pytest.approx(0.05102040816326531)
    assert last.coverage == pytest.approx(0.5056179775280899)
    # Coverage never rises and density never falls along a peeling trajectory.
    pairs = zip(found.trajectory, found.trajectory[1:], strict=False)
    assert all(b.coverage <= a.coverage and b.density > a.density for a, b in pairs)


def test_quantile_is_emas() -> None:
    """EMA Workbench's own test of get_quantile (test/test_analysis/test_prim.py)."""
    data = np.arange(10.0)
    assert [quantile(data, q) for q in (0.9, 0.95, 0.1, 0.05)] == [8.5, 8.5, 0.5, 0.5]
    assert [quantile(np.array([1.0]), q) for q in (0.9, 0.1)] == [1.0, 1.0]
    ties = np.array([1.0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9])
    assert [quantile(ties, q) for q in (0.9, 0.95, 0.1, 0.05)] == [8.5, 8.5, 1.5, 1.5]


def test_a_known_box_is_recovered() -> None:
    """y = x1 < 0.3 and x2 > 0.6 on uniform random runs: the first box of density 1 has those
    limits, covers most of the cases, and leaves the noise parameter x3 alone. To 0.03: a peel
    cuts 5% of the box's runs at once, so the last cut can pass a limit by up to 5% of the
    box's width there (0.4 × 0.05 = 0.02; here x2's low limit comes out at 0.620, x1's high at
    0.290)."""
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(2_000, 3))
    y = ((x[:, 0] < 0.3) & (x[:, 1] > 0.6)).astype(float)
    found = prim(x, y, ["x1", "x2", "x3"], [None] * 3, threshold=1.0)
    assert found.meets_threshold
    assert found.box.density == 1.0
    assert found.box.coverage > 0.85
    rows = {r["parameter"]: r for r in found.box_rows()}
    assert set(rows) == {"x1", "x2"}
    assert rows["x1"]["high"] == pytest.approx(0.3, abs=0.03)
    assert rows["x1"]["low"] == rows["x1"]["min"]
    assert rows["x2"]["low"] == pytest.approx(0.6, abs=0.03)
    assert rows["x2"]["high"] == rows["x2"]["max"]


def test_listed_parameters_are_peeled_a_value_at_a_time() -> None:
    """A listed parameter (codes of its values) loses one value per peel: here y is 1 only where
    the colour is blue and x < 0.5, and the box keeps blue alone."""
    rng = np.random.default_rng(2)
    colours = ("red", "blue", "green")
    x = np.column_stack([rng.uniform(size=900), rng.integers(0, 3, size=900)]).astype(float)
    y = ((x[:, 0] < 0.5) & (x[:, 1] == 1)).astype(float)
    found = prim(x, y, ["x", "colour"], [None, colours], threshold=1.0)
    rows = {r["parameter"]: r for r in found.box_rows()}
    assert rows["colour"]["values"] == ["blue"]
    assert rows["colour"]["of"] == 3
    assert rows["x"]["high"] == pytest.approx(0.5, abs=0.03)
    assert found.box.density == 1.0


def test_the_chosen_box() -> None:
    """Without a box asked for: the first at the threshold, else the last (densest); asked for,
    that one, whatever its density."""
    names, x, y = bryant()
    found = prim(x, y, names, [None] * 9, alpha=0.1)
    assert found.threshold == THRESHOLD
    assert found.chosen == 22  # 0.770 at box 21, 0.833 at box 22
    assert not found.asked
    assert found.meets_threshold
    assert prim(x, y, names, [None] * 9, alpha=0.1, box=3).chosen == 3
    assert prim(x, y, names, [None] * 9, alpha=0.1, box=3).asked
    # Mass 0.5 stops the peeling early, below the threshold: the densest box is chosen.
    early = prim(x, y, names, [None] * 9, alpha=0.1, mass_min=0.5)
    assert early.chosen == len(early.trajectory) - 1
    assert not early.meets_threshold
    assert all(b.mass >= 0.5 for b in early.trajectory)
    data = early.to_dict()
    assert data["meets_threshold"] is False
    assert len(data["trajectory"]) == len(early.trajectory)
    assert (data["alpha"], data["pasting"]) == (0.1, False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"y": [0.0, 1.0, 2.0] * 10}, "PRIM needs a binary outcome"),
        ({"y": [0.0, 1.0] * 5}, f"PRIM needs at least {MIN_RUNS} runs with a value, not 10"),
        ({"y": [1.0] * 30}, "the outcome is 1 in all 30 runs"),
        ({"alpha": 0.0}, "the peeling alpha is a share of the box above 0, at most 0.5: not 0.0"),
        ({"alpha": 0.6}, "the peeling alpha is a share of the box above 0, at most 0.5: not 0.6"),
        ({"mass_min": 1.0}, "the minimum mass is a share of the runs between 0 and 1: not 1.0"),
        ({"threshold": 0.0}, "the density threshold is above 0 and at most 1: not 0.0"),
        ({"threshold": 1.5}, "the density threshold is above 0 and at most 1: not 1.5"),
        ({"box": 999}, "box 999 is not on the trajectory: its boxes are 0 to"),
        ({"box": -1}, "box -1 is not on the trajectory"),
    ],
)
def test_bad_input_is_refused(change: dict[str, object], message: str) -> None:
    settings: dict[str, object] = {
        "alpha": ALPHA,
        "mass_min": MASS_MIN,
        "threshold": THRESHOLD,
        "box": None,
    }
    y = np.array(change.pop("y", [0.0, 1.0] * 20), dtype=float)
    settings.update(change)
    x = np.linspace(0.0, 1.0, len(y)).reshape(-1, 1)
    with pytest.raises(BatchError, match=re.escape(message)):
        prim(x, y, ["x"], [None], **settings)  # type: ignore[arg-type]
