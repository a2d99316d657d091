"""``dipsim analyze --paired``: differences between design points on common random numbers.

The batch varies Iran's chance of striking back (0.25, 0.5, 0.75) with ``seeds: common``: a
run's twin at a higher chance strikes back whenever it does and sometimes more, so the
outcomes of one replication are positively correlated across points, and the paired interval
must be narrower than the one that ignores the pairing.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.batch.analysis import analyze
from simulator.batch.runner import run_batch
from simulator.batch.summary import typed_rows
from simulator.cli import cli
from tests.conftest import SCENARIOS

pytest.importorskip("scipy", reason="the batch extra is not installed")
pytest.importorskip("sklearn", reason="the analysis extra is not installed")

WHATIF = SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml"
OUTCOME = "final:envoys_recalled"


def spec_text(seeds: str = "common", replications: int = 60) -> str:
    return f"""dipsim_batch: 1
scenario: {WHATIF}
parameters:
  - path: rules[iranian-counter-strike].probability
    name: counter_strike_p
    values: [0.25, 0.5, 0.75]
design: {{kind: grid}}
replications: {replications}
seed: 11
seeds: {seeds}
relations: [PAK-IRN]
"""


def batch(folder: Path, seeds: str = "common", replications: int = 60) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "spec.yaml"
    spec.write_text(spec_text(seeds, replications), encoding="utf-8")
    out = folder / "results.csv"
    run_batch(spec, "sequential", out=out)
    return spec, out


@pytest.fixture(scope="module")
def common(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return batch(tmp_path_factory.mktemp("common"))


def test_paired_intervals_are_narrower_on_correlated_runs(common: tuple[Path, Path]) -> None:
    spec, out = common
    found = analyze(out, spec, OUTCOME, with_prim=False, baseline=1)
    assert found.baseline == {"point": 1, "parameters": {"counter_strike_p": 0.5}}
    rows = {r["point"]: r for r in found.paired}
    assert set(rows) == {0, 2}
    for row in rows.values():
        assert row["pairs"] == 60
        assert row["correlation"] > 0.3
        assert row["paired_half_width"] < row["unpaired_half_width"]
    assert rows[0]["difference"] < 0 < rows[2]["difference"]


def test_the_numbers_are_the_textbook_ones(common: tuple[Path, Path]) -> None:
    """Recomputed here from the results file with the statistics module and scipy's t: the mean
    of the per-replication differences, t(0.975, n-1)·sd/√n, and Welch's half-width."""
    from scipy.stats import t

    spec, out = common
    found = analyze(out, spec, OUTCOME, with_prim=False, baseline=1)
    y: dict[tuple[object, object], float] = {
        (r["point"], r["replication"]): float(r["PAK-IRN.final_state"] == "envoys_recalled")
        for r in typed_rows(out)
    }
    a = [y[(2, r)] for r in range(60)]
    b = [y[(1, r)] for r in range(60)]
    d = [x - z for x, z in zip(a, b, strict=True)]
    row = next(r for r in found.paired if r["point"] == 2)
    assert row["difference"] == pytest.approx(statistics.fmean(d))
    half = t.ppf(0.975, 59) * statistics.stdev(d) / math.sqrt(60)
    assert row["paired_half_width"] == pytest.approx(half)
    assert (row["paired_low"], row["paired_high"]) == pytest.approx(
        (statistics.fmean(d) - half, statistics.fmean(d) + half)
    )
    va, vb = statistics.variance(a) / 60, statistics.variance(b) / 60
    df = (va + vb) ** 2 / (va**2 / 59 + vb**2 / 59)
    assert row["unpaired_half_width"] == pytest.approx(t.ppf(0.975, df) * math.sqrt(va + vb))
    assert row["correlation"] == pytest.approx(statistics.correlation(a, b))


def test_table_json_and_dataframe(common: tuple[Path, Path]) -> None:
    spec, out = common
    args = ["analyze", str(out), "--spec", str(spec), "--outcome", OUTCOME, "--paired"]
    table = CliRunner().invoke(cli, args)
    assert table.exit_code == 0, table.output
    assert "Paired differences from point 0, run by run on common random numbers" in table.stdout
    assert "baseline: counter_strike_p = 0.25" in table.stdout
    shown = CliRunner().invoke(cli, [*args, "--baseline", "2", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert data["baseline"]["point"] == 2
    assert [r["point"] for r in data["paired"]] == [0, 1]
    assert data["paired"][0]["parameters"] == {"counter_strike_p": 0.25}
    pytest.importorskip("pandas", reason="the pandas extra is not installed")
    frame = analyze(out, spec, OUTCOME, baseline=2).to_pandas()["paired"]
    assert list(frame.columns[:3]) == ["point", "counter_strike_p", "pairs"]
    assert list(frame["point"]) == [0, 1]


def test_a_point_that_never_varies_has_no_correlation(tmp_path: Path) -> None:
    """At chance 0 Iran never strikes back: the baseline's runs all end the same way, the
    correlation is undefined (null in JSON, – in the table) and the pairing gains nothing."""
    spec, out = batch(tmp_path, replications=30)
    text = spec.read_text().replace("[0.25, 0.5, 0.75]", "[0.0, 0.5]")
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "zero.csv"
    run_batch(spec, "sequential", out=out)
    args = ["analyze", str(out), "--spec", str(spec), "--outcome", OUTCOME, "--paired"]
    data = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    (row,) = data["paired"]
    assert row["correlation"] is None
    assert row["paired_half_width"] == pytest.approx(row["unpaired_half_width"], rel=0.05)
    assert " – " in CliRunner().invoke(cli, args).stdout.splitlines()[-1] + " "


@pytest.mark.parametrize(
    ("seeds", "replications", "extra", "message"),
    [
        ("independent", 4, [], "paired differences need common random numbers (seeds: common"),
        ("common", 1, [], "paired differences need at least 2 replications per point, not 1"),
        ("common", 4, ["--baseline", "3"], "baseline point 3 is not in the design: its points"),
        ("common", 4, ["--baseline", "-1"], "Invalid value for '--baseline'"),
    ],
)
def test_bad_input_is_refused(
    tmp_path: Path, seeds: str, replications: int, extra: list[str], message: str
) -> None:
    spec, out = batch(tmp_path, seeds, replications)
    args = ["analyze", str(out), "--spec", str(spec), "--outcome", OUTCOME, "--paired", *extra]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_results_of_independent_seeds_are_refused_under_a_common_spec(tmp_path: Path) -> None:
    """The spec now says common, but the results were made with independent seeds (the design,
    and so every parameter value, is the same): the seeds column gives it away."""
    spec, out = batch(tmp_path, "independent", 4)
    spec.write_text(spec_text("common", 4), encoding="utf-8")
    args = ["analyze", str(out), "--spec", str(spec), "--outcome", OUTCOME, "--paired"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "they were not made with seeds: common" in result.output
    assert "Traceback" not in result.output
