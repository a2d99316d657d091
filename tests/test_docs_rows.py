"""The results row that docs/batches.md prints is the row the batch writes.

docs/batches.md shows run 3800 of the counter-strike sweep as ``read_rows`` gives it back, and
names its point, parameter values, seed and final state in the prose around it. This runs the
sweep (6,000 runs, in this process) and holds the page to the row: a block of text that is not
a console session is otherwise never checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.batch.runner import run_batch
from simulator.batch.sinks import read_rows
from tests.conftest import BATCHES, ROOT

PAGE = ROOT / "docs" / "batches.md"
RUN = 3800


def test_the_row_on_the_page_is_the_batchs(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow", reason="the batch extra is not installed")
    out = tmp_path / "sweep.parquet"  # as the page's batch: the values keep their types
    run_batch(BATCHES / "counter-strike-sweep.yaml", "sequential", out=out)
    row = next(r for r in read_rows(out) if r["run_id"] == RUN)
    text = PAGE.read_text(encoding="utf-8")
    shown = re.search(r"```text\n(\{'run_id': 3800, .*\})\n```", text)
    assert shown is not None, "the row block is not on the page"
    assert shown[1] == repr(row), "paste the row again: " + repr(row)
    prose = text[text.index("Each row of the results file is one run.") : shown.start()]
    assert f"Run {RUN} is point {row['point']} (`counter_strike_p` {row['counter_strike_p']}," in (
        " ".join(prose.split())
    )
    after = " ".join(text[shown.end() : shown.end() + 800].split())
    assert f"--seed {row['seed']}" in after
    assert f"`PAK-IRN {row['PAK-IRN.final_state']}`" in after
    assert f"`parameters.return_at_most` to {row['return_at_most']}" in after
