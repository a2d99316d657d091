"""``dipsim analyze``: Sobol and Morris designs, their indices and feature scores.

The scenario is the what-if where Pakistan's strike killed Iranians, with Iran's counter-strike
switched off (probability 0), so every run of a point is the same: the outcome is a function of
the parameters alone. The ambassadors go back only if tension is at most ``return_at_most``;
without a counter-strike it is 0.03 after their return, so "ends normal" is a step at 0.03 in
``return_at_most``. The dummy is the Goldstein value of ``make_statement``, whose only event the
what-if removes: it cannot change anything, and its indices must be zero.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.batch.analysis import analyze
from simulator.batch.design import design_size
from simulator.batch.runner import run_batch
from simulator.batch.sinks import read_rows
from simulator.batch.spec import load_batch_spec
from simulator.cli import cli
from simulator.core.errors import DipsimError
from tests.conftest import SCENARIOS

pytest.importorskip("SALib", reason="the analysis extra is not installed")
pytest.importorskip("sklearn", reason="the analysis extra is not installed")

WHATIF = SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml"
# Without a counter-strike (counter_strike_p 0) the return leaves tension at exactly 0.0 in this
# what-if, so a return threshold below 0 keeps the envoys away and one from 0 up lets them back:
# the outcome turns on return_at_most alone, and the analyses must say so.


def spec_file(folder: Path, design: str, replications: int = 1) -> Path:
    path = folder / "spec.yaml"
    path.write_text(
        f"""dipsim_batch: 1
scenario: {WHATIF}
parameters:
  - path: rules[iranian-counter-strike].probability
    values: [0.0]
    name: counter_strike_p
  - path: parameters.return_at_most
    name: return_at_most
    low: -0.1
    high: 0.1
  - path: event_types.make_statement.codes.goldstein
    name: dummy
    low: -2.0
    high: 2.0
design: {design}
replications: {replications}
seed: 7
metrics: [final_state, first_entered]
relations: [PAK-IRN]
""",
        encoding="utf-8",
    )
    return path


def results(folder: Path, design: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    spec = spec_file(folder, design)
    out = folder / "results.csv"
    run_batch(spec, "sequential", out=out)
    return spec, out


def test_sobol_finds_the_threshold_and_not_the_dummy(tmp_path: Path) -> None:
    spec, out = results(tmp_path, "{kind: sobol, points: 64}")
    found = analyze(out, spec, "final:normal")
    rows = {r["parameter"]: r for r in found.sobol}
    assert found.points == 64 * (3 + 2)
    assert rows["dummy"]["S1"] == pytest.approx(0.0, abs=1e-12)
    assert rows["dummy"]["ST"] == pytest.approx(0.0, abs=1e-12)
    assert rows["counter_strike_p"]["ST"] == pytest.approx(0.0, abs=1e-12)
    assert rows["return_at_most"]["ST"] > 0.8
    scores = {r["parameter"]: r["score"] for r in found.scores}
    assert scores["return_at_most"] > 0.9
    assert sum(scores.values()) == pytest.approx(1.0)


def test_morris_ranks_the_threshold_first(tmp_path: Path) -> None:
    spec, out = results(tmp_path, "{kind: morris, points: 20}")
    found = analyze(out, spec, "reaches:restored")
    rows = {r["parameter"]: r for r in found.morris}
    assert found.points == 20 * (3 + 1)
    assert rows["dummy"]["mu_star"] == 0.0
    assert rows["return_at_most"]["mu_star"] > 0.5


def test_the_command_prints_tables_and_json(tmp_path: Path) -> None:
    spec, out = results(tmp_path, "{kind: sobol, points: 16}")
    args = ["analyze", str(out), "--spec", str(spec), "--outcome", "final:normal"]
    table = CliRunner().invoke(cli, args)
    assert table.exit_code == 0, table.output
    assert "Sobol indices" in table.stdout
    assert "Feature scores" in table.stdout
    shown = CliRunner().invoke(cli, [*args, "--format", "json"])
    data = json.loads(shown.stdout, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert data["design"] == "sobol"
    assert {r["parameter"] for r in data["sobol"]} == {
        "counter_strike_p",
        "return_at_most",
        "dummy",
    }


def test_results_of_another_spec_are_refused(tmp_path: Path) -> None:
    _, out = results(tmp_path, "{kind: sobol, points: 16}")
    other = tmp_path / "other"
    other.mkdir()
    wrong = spec_file(other, "{kind: sobol, points: 16}").read_text().replace("seed: 7", "seed: 8")
    (other / "spec.yaml").write_text(wrong, encoding="utf-8")
    with pytest.raises(DipsimError, match="was not made by this spec"):
        analyze(out, other / "spec.yaml", "final:normal")


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        ("normal", "outcome 'normal': write final:STATE, reaches:STATE, days:STATE"),
        ("days:normal", None),
        ("final:normal", None),
    ],
)
def test_outcomes_are_checked(tmp_path: Path, outcome: str, message: str | None) -> None:
    spec, out = results(tmp_path, "{kind: morris, points: 4}")
    result = CliRunner().invoke(
        cli, ["analyze", str(out), "--spec", str(spec), "--outcome", outcome]
    )
    if message is None:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 2
        assert message in result.stderr
        assert "Traceback" not in result.output


def test_a_relation_not_recorded_is_named(tmp_path: Path) -> None:
    spec, out = results(tmp_path, "{kind: morris, points: 4}")
    with pytest.raises(DipsimError, match="no relation 'IRN-IRQ'"):
        analyze(out, spec, "final:normal", relation="IRN-IRQ")


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ("{kind: sobol, points: 100}", "a sobol design's points are a power of 2"),
        ("{kind: morris, points: 4, levels: 3}", "an even number of levels"),
        ("{kind: lhs, points: 4, levels: 4}", "'levels' is for a morris design"),
        ("{kind: grid, second_order: true}", "'second_order' is for a sobol design"),
    ],
)
def test_bad_designs_are_located(tmp_path: Path, design: str, message: str) -> None:
    spec = spec_file(tmp_path, design)
    result = CliRunner().invoke(cli, ["batch", str(spec), "--out", str(tmp_path / "r.csv")])
    assert result.exit_code == 2
    assert f"{spec}:" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_huge_design_is_refused_before_any_point_is_made(tmp_path: Path) -> None:
    """Two parameters of a million steps each: 10^12 points, refused at once (it used to try to
    build them: 4.4 GB after 60 s); --limit max_points raises the bound."""
    path = tmp_path / "huge.yaml"
    path.write_text(
        f"""dipsim_batch: 1
scenario: {WHATIF}
parameters:
  - {{path: parameters.return_at_most, low: 0, high: 1, steps: 1000000}}
  - {{path: parameters.counter_strike_p, low: 0, high: 1, steps: 1000000}}
""",
        encoding="utf-8",
    )
    assert design_size(load_batch_spec(path).spec) == 10**12
    result = CliRunner().invoke(cli, ["batch", str(path), "--out", str(tmp_path / "r.csv")])
    assert result.exit_code == 2
    assert "the grid design has 1,000,000,000,000 points, more than" in result.stderr
    assert "--limit max_points=N" in result.stderr
    small = path.read_text().replace("1000000", "3")
    path.write_text(small, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["batch", str(path), "--out", str(tmp_path / "r.csv"), "--limit", "max_points=8", "-q"],
    )
    assert result.exit_code == 2
    assert "the grid design has 9 points" in result.stderr


def test_common_random_numbers_give_a_stochastic_dummy_exactly_zero(tmp_path: Path) -> None:
    """With Iran's counter-strike certain every point is random (whether it comes before the
    agreement of 19 January is drawn); with `seeds: common` replication r has one seed at every
    point, so the dummy's effects are exactly zero (with independent seeds they are noise, not
    zero)."""
    text = spec_file(tmp_path, "{kind: morris, points: 6}", replications=8).read_text()
    text = text.replace("values: [0.0]", "values: [1.0]")
    (tmp_path / "spec.yaml").write_text(text + "seeds: common\n", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    out = tmp_path / "common.csv"
    run_batch(spec, "sequential", out=out)
    rows = list(read_rows(out))
    seeds: dict[object, set[object]] = {}
    for row in rows:
        seeds.setdefault(row["replication"], set()).add(row["seed"])
    assert all(len(s) == 1 for s in seeds.values()), "one seed per replication, at every point"
    assert len({next(iter(s)) for s in seeds.values()}) == 8
    dummy = {r["parameter"]: r for r in analyze(out, spec, "final:normal").morris}["dummy"]
    assert (dummy["mu_star"], dummy["sigma"]) == (0.0, 0.0)
    (tmp_path / "spec.yaml").write_text(text, encoding="utf-8")
    independent = tmp_path / "independent.csv"
    run_batch(spec, "sequential", out=independent)
    noisy = {r["parameter"]: r for r in analyze(independent, spec, "final:normal").morris}
    assert noisy["dummy"]["mu_star"] > 0.0


def test_summarize_bins_a_design_of_one_run_per_point(tmp_path: Path) -> None:
    """One run per point would make one group per run: the parameters are cut into 4 bins and
    a note says so; --bins N chooses, and with --by no bins are made unless asked."""
    _, out = results(tmp_path, "{kind: sobol, points: 16}")
    auto = CliRunner().invoke(cli, ["summarize", str(out)])
    assert auto.exit_code == 0, auto.output
    assert "note: one run per design point: each parameter is cut into 4 bins" in auto.stderr
    lines = [line for line in auto.stdout.splitlines() if line.startswith("0 ")]
    assert len(lines) == 16  # counter_strike_p (one value: not cut) × 4 × 4 bins
    assert all(line.split()[1].startswith("[") for line in lines)
    two = CliRunner().invoke(cli, ["summarize", str(out), "--bins", "2", "--format", "json"])
    groups = json.loads(two.stdout)["groups"]
    edges = sorted({g["group"]["return_at_most"] for g in groups})
    assert len(edges) == 2
    assert edges[0].endswith(")")
    assert edges[1].endswith("]")
    assert sum(g["runs"] for g in groups) == 16 * 5
    plain = CliRunner().invoke(cli, ["summarize", str(out), "--by", "return_at_most"])
    assert "note:" not in plain.stderr
    values = [line.split()[0] for line in plain.stdout.splitlines()[3:-1]]
    assert values
    assert all(not v.startswith("[") for v in values)  # the values themselves, not bins


def test_a_grid_gives_feature_scores_only(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "{kind: grid}")
    text = spec.read_text().replace(
        "    low: -0.1\n    high: 0.1\n", "    values: [-0.05, 0.0, 0.05]\n"
    )
    text = text.replace("    low: -2.0\n    high: 2.0\n", "    values: [-1.0, 1.0]\n")
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "grid.csv"
    run_batch(spec, "sequential", out=out)
    found = analyze(out, spec, "final:normal")
    assert (found.sobol, found.morris) == ([], [])
    assert found.points == 6
    assert {r["parameter"] for r in found.scores} == {"counter_strike_p", "return_at_most", "dummy"}


def test_a_missing_extra_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, out = results(tmp_path, "{kind: sobol, points: 16}")
    import importlib

    real = importlib.import_module

    def without_salib(name: str, package: str | None = None) -> object:
        if name.startswith("SALib"):
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_salib)
    result = CliRunner().invoke(
        cli, ["analyze", str(out), "--spec", str(spec), "--outcome", "final:normal"]
    )
    assert result.exit_code == 2
    assert "pip install 'dipsim[analysis]'" in result.stderr
    assert "Traceback" not in result.output


def test_an_empty_or_foreign_results_file_is_refused(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "{kind: sobol, points: 16}")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DipsimError, match="holds no runs"):
        analyze(empty, spec, "final:normal")
    foreign = tmp_path / "foreign.jsonl"
    row = '{"run_id": 0, "point": 99999, "PAK-IRN.final_state": "normal", "error": null}\n'
    foreign.write_text(row, encoding="utf-8")
    with pytest.raises(DipsimError, match="has point 99999, not one of this spec's"):
        analyze(foreign, spec, "final:normal")


def test_the_figure_of_an_analysis(tmp_path: Path) -> None:
    """--plot draws the indices and scores: a PNG, or an SVG that is the same for the same
    analysis; a suffix it cannot draw is refused before anything is read."""
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    from simulator.plots import analysis_figure, figure_bytes

    for design in ("{kind: sobol, points: 16}", "{kind: morris, points: 4}"):
        spec, out = results(tmp_path / design[7:12], design)
        found = analyze(out, spec, "final:normal")
        svg = figure_bytes(analysis_figure(found), "svg")
        assert svg == figure_bytes(analysis_figure(found), "svg")
        assert b"Feature scores" in svg
        assert (b"Sobol indices" if found.sobol else b"Morris screening") in svg
        png = tmp_path / f"{design[7:12]}.png"
        args = ["analyze", str(out), "--spec", str(spec), "--outcome", "final:normal"]
        result = CliRunner().invoke(cli, [*args, "--plot", str(png)])
        assert result.exit_code == 0, result.output
        assert png.read_bytes().startswith(b"\x89PNG")
    bad = CliRunner().invoke(cli, [*args, "--plot", str(tmp_path / "x.gif")])
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output


def test_the_spec_is_found_beside_the_results(tmp_path: Path) -> None:
    """dipsim batch records which spec made the results (RESULTS.batch.json); analyze reads it
    when no --spec is given, and says what to do when there is none or it is not dipsim's."""
    spec, out = results(tmp_path, "{kind: morris, points: 4}")
    record = json.loads(Path(f"{out}.batch.json").read_text(encoding="utf-8"))
    assert record["spec"] == str(spec.resolve())
    assert record["design"] == "morris"
    found = CliRunner().invoke(cli, ["analyze", str(out), "--outcome", "final:normal"])
    assert found.exit_code == 0, found.output
    assert "Morris elementary effects" in found.stdout
    Path(f"{out}.batch.json").write_text("[1, 2]", encoding="utf-8")
    broken = CliRunner().invoke(cli, ["analyze", str(out), "--outcome", "final:normal"])
    assert broken.exit_code == 2
    assert "not a record of the spec that made the results" in broken.stderr
    Path(f"{out}.batch.json").unlink()
    missing = CliRunner().invoke(cli, ["analyze", str(out), "--outcome", "final:normal"])
    assert missing.exit_code == 2
    assert "no --spec given and no results.csv.batch.json beside" in missing.stderr
    assert "Traceback" not in missing.output


def test_a_claims_column_is_a_binary_outcome() -> None:
    """expect.ID and invariant.ID columns count 1 where the claim held and 0 where it failed,
    typed (Parquet, JSON Lines) or as CSV's text; other text columns stay no number."""
    from simulator.batch.analysis import parse_outcome

    columns = ["expect.recalled", "invariant.only", "note", "A-B.final_state"]
    claim = parse_outcome("expect.recalled", None, columns)
    assert [claim.of({"expect.recalled": v}) for v in (True, False, "true", "false")] == [
        1.0,
        0.0,
        1.0,
        0.0,
    ]
    assert parse_outcome("invariant.only", None, columns).of({"invariant.only": "false"}) == 0.0
    assert parse_outcome("note", None, columns).of({"note": "true"}) is None
