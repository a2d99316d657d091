"""Monte Carlo outcomes as a table, JSON and CSV (simulator/report/outcomes.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from simulator.engine.montecarlo import run_many
from simulator.engine.outcomes import (
    DaysToReach,
    Outcomes,
    PathCount,
    Proportion,
    RelationOutcomes,
    StateOutcome,
)
from simulator.report.outcomes import CSV_FIELDS, outcomes_csv, outcomes_json, outcomes_table
from simulator.scenario.loading import load_scenario


@pytest.fixture(scope="module")
def jan2024_outcomes(jan2024_path: Path) -> Outcomes:
    """50 runs of the January 2024 replay from seed 3."""
    return run_many(load_scenario(jan2024_path), 50, 3)


def _made_up(runs: int = 5_000) -> Outcomes:
    """Outcomes with a long path, a state nobody reached, a near-certain share and a cap."""
    long_path = ("normal", "strained", "envoys_recalled", "armed_hostilities") * 4
    return Outcomes(
        title="Made up",
        seed=11,
        runs=runs,
        start=dt.date(2024, 1, 15),
        stop=dt.date(2024, 1, 31),
        relations=(
            RelationOutcomes(
                relation="PAK-IRN",
                states=(
                    StateOutcome(
                        "normal",
                        Proportion.of(runs - 1, runs),
                        Proportion.of(runs, runs),
                        12.25,
                        DaysToReach(runs, 0.0, 0.0, 0.0, 0.0, 0.0),
                    ),
                    StateOutcome(
                        "armed_hostilities",
                        Proportion.of(1, runs),
                        Proportion.of(3, runs),
                        0.01,
                        DaysToReach(3, 2.0, 2.5, 3.0, 5.0, 9.5),
                    ),
                    StateOutcome(
                        "severed", Proportion.of(0, runs), Proportion.of(0, runs), 0.0, None
                    ),
                ),
                paths=(
                    PathCount(("normal", "strained", "normal"), runs - 3, (runs - 3) / runs),
                    PathCount(long_path, 1, 1 / runs),
                ),
                distinct_paths=4,
            ),
        ),
        by_cause=(("rule:retaliation", 1_234), ("script", 21 * runs)),
        by_type=(("military_strike", 99),),
        log_runs=(("cap", 3),),
    )


def test_table_header_names_title_runs_and_seed(jan2024_outcomes: Outcomes) -> None:
    """The first lines give the title, the number of runs, the seed and the days played."""
    lines = outcomes_table(jan2024_outcomes).splitlines()
    assert lines[0] == "Pakistan–Iran crisis, January 2024"
    assert lines[1] == "50 runs from seed 3 (run k: derive_seed(3, k)), 2024-01-15 .. 2024-01-31"


def test_table_of_jan2024(jan2024_outcomes: Outcomes) -> None:
    """Each relation gets its state table and its one path; every line fits 100 columns."""
    text = outcomes_table(jan2024_outcomes)
    assert "\nPAK-IRN\nstate            ended in  95% CI" in text
    assert "normal             100.0%  92.8–100.0%   100.0%  92.8–100.0%        4.9  0.0\n" in text
    assert "restored             0.0%  0.0–7.2%      100.0%  92.8–100.0%        3.0  11.0\n" in text
    assert "  100.0%  50  normal → strained → envoys_recalled → restored → normal\n" in text
    assert "records per run (mean), by cause: script 27.00\n" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_table_shows_rare_and_near_certain_shares_honestly() -> None:
    """4,999 of 5,000 is '>99.9%', 1 of 5,000 '<0.1%'; intervals are rounded outwards."""
    text = outcomes_table(_made_up())
    normal = next(line for line in text.splitlines() if line.startswith("normal "))
    assert normal.split()[:5] == [
        "normal",
        ">99.9%",
        "99.8–100.0%",  # 99.887–99.996%
        "100.0%",
        "99.9–100.0%",
    ]
    hostile = next(line for line in text.splitlines() if line.startswith("armed_hostilities"))
    assert hostile.split() == [
        "armed_hostilities",
        "<0.1%",
        "0.0–0.2%",  # 0.0035–0.113%
        "0.1%",
        "0.0–0.2%",
        "0.0",
        "3.0",
        "(2.0–9.5)",
    ]
    severed = next(line for line in text.splitlines() if line.startswith("severed"))
    assert severed.endswith("0.0  –")


def test_table_wraps_long_paths_and_reports_the_cap() -> None:
    """A long path wraps at arrows within the width; a cap hit is a warning; others are summed."""
    text = outcomes_table(_made_up(), width=90)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 90
    start = next(i for i, line in enumerate(lines) if line.startswith("   <0.1%      1  "))
    assert lines[start].endswith("armed_hostilities → normal →")
    assert (
        lines[start + 1]
        == " " * 17 + "strained → envoys_recalled → armed_hostilities → normal → strained →"
    )
    assert "paths (4 distinct; the 2 commonest):" in text
    assert "   <0.1%      2  (other paths)" in text
    assert (
        "warning: 3 of 5,000 runs (0.1%) hit the cap on responses per run (max_responses);\n"
        "  responses beyond it were not scheduled." in text
    )
    assert "rule:retaliation 0.25" in text


def test_json_is_to_dict(jan2024_outcomes: Outcomes) -> None:
    """outcomes_json is Outcomes.to_dict as indented JSON, ending with a newline."""
    text = outcomes_json(jan2024_outcomes)
    assert text.endswith("}\n")
    assert json.loads(text) == jan2024_outcomes.to_dict()


def test_csv_has_a_row_per_relation_and_state(jan2024_outcomes: Outcomes) -> None:
    """One row per (relation, state) with seed and runs; unreached states leave days empty."""
    rows = list(csv.DictReader(io.StringIO(outcomes_csv(jan2024_outcomes))))
    assert tuple(rows[0]) == CSV_FIELDS
    assert len(rows) == 2 * 4
    assert {(r["seed"], r["runs"]) for r in rows} == {("3", "50")}
    first = rows[0]
    assert (first["relation"], first["state"], first["ended"], first["ended_share"]) == (
        "PAK-IRN",
        "normal",
        "50",
        "1.0",
    )
    unreached = next(r for r in rows if r["relation"] == "IRN-IRQ" and r["state"] == "restored")
    assert unreached["reached"] == "0"
    assert unreached["days_to_reach_p50"] == ""
