"""Golden traces: every scenario in scenarios/ replays exactly as its stored trace.

A change in behaviour shows up here as a diff. To accept a deliberate change, regenerate with
``DIPSIM_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`` and review the diff in git.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from simulator.engine.simulation import simulate
from simulator.report.formats import trace_to_json
from simulator.report.table import trace_table
from simulator.scenario.loading import load_scenario
from tests.conftest import ROOT, SCENARIOS, scenario_files

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("DIPSIM_UPDATE_GOLDEN") == "1"


def golden_name(path: Path) -> str:
    return str(path.relative_to(SCENARIOS)).replace("/", "__").removesuffix(".yaml")


def _compare(actual: str, golden: Path) -> None:
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with DIPSIM_UPDATE_GOLDEN=1"
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"golden/{golden.name}",
                tofile="now",
            )
        )
        pytest.fail(f"trace differs from {golden.name}:\n{diff}")


def test_there_are_scenarios() -> None:
    """The golden test is not vacuous: the flagship scenario is among those checked."""
    assert ROOT / "scenarios" / "jan2024.yaml" in scenario_files()


@pytest.mark.parametrize("path", scenario_files(), ids=golden_name)
def test_golden_json(path: Path) -> None:
    """The JSON trace (seed 0) equals the stored one byte for byte."""
    _compare(
        trace_to_json(simulate(load_scenario(path), seed=0)), GOLDEN / f"{golden_name(path)}.json"
    )


@pytest.mark.parametrize("path", scenario_files(), ids=golden_name)
def test_golden_table(path: Path) -> None:
    """The table people read (100 columns) equals the stored one."""
    _compare(
        trace_table(simulate(load_scenario(path), seed=0)), GOLDEN / f"{golden_name(path)}.txt"
    )


def test_no_orphan_golden_files() -> None:
    """Every golden file belongs to a scenario that still exists."""
    names = {golden_name(p) for p in scenario_files()}
    # Folders hold goldens of their own (import/: tests/test_import.py's), checked there.
    orphans = sorted(g.name for g in GOLDEN.iterdir() if g.is_file() and g.stem not in names)
    assert orphans == []
