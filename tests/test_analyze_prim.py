"""``dipsim analyze``'s PRIM box: a known threshold recovered through the command, a listed
parameter (dates) kept by value, the outputs (table, JSON, DataFrames, figure), and every bad
input refused with exit 2 and a message.

The batch is tests/test_analyze.py's: without Iran's counter-strike every run of a point ends
the same way, "normal" exactly when ``return_at_most`` is at least 0 (tension after the
ambassadors' return, tests/test_analyze.py), whatever the dummy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.batch import prim as library
from simulator.batch.analysis import analyze
from simulator.batch.runner import run_batch
from simulator.cli import cli
from tests.conftest import SCENARIOS
from tests.test_analyze import results

pytest.importorskip("SALib", reason="the analysis extra is not installed")
pytest.importorskip("sklearn", reason="the analysis extra is not installed")


@pytest.fixture(scope="module")
def lhs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A Latin hypercube of 200 points, one run each."""
    return results(tmp_path_factory.mktemp("lhs"), "{kind: lhs, points: 200}")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["analyze", *args])
    return result.exit_code, result.stdout, result.stderr + result.stdout


def test_the_box_recovers_the_threshold(lhs: tuple[Path, Path]) -> None:
    """The first box of density 1 restricts return_at_most alone, from just above 0 (the
    next run's value after the step: within 0.01 of it) to the top of the range, and holds
    nearly every run that ends normal."""
    spec, out = lhs
    code, stdout, output = invoke(str(out), "--outcome", "final:normal", "--threshold", "1")
    assert code == 0, output
    assert "PRIM: where final:normal is 1 (" in stdout
    assert "(the first of density ≥ 1)" in stdout
    data = json.loads(
        invoke(str(out), "--outcome", "final:normal", "--threshold", "1", "--format", "json")[1],
        parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"),
    )
    box = data["prim"]["box"]
    assert box["density"] == 1.0
    assert box["coverage"] > 0.9
    (limit,) = box["limits"]
    assert limit["parameter"] == "return_at_most"
    assert 0.0 <= limit["low"] < 0.01
    assert limit["high"] == limit["max"]
    found = analyze(out, spec, "final:normal", threshold=1.0)
    assert found.prim is not None
    assert found.prim.to_dict() == data["prim"]
    assert data["prim_note"] is None


def test_a_listed_parameter_keeps_its_values(tmp_path: Path) -> None:
    """The shipped Latin hypercube over the return date (eight dates, a listed parameter) and
    the decay: the relation ends with envoys recalled exactly when the ambassadors return on
    1 February or later. The box keeps those five dates, leaves the decay alone, and holds
    every such run and no other."""
    spec = SCENARIOS / "batches" / "return-delay-lhs.yaml"
    out = tmp_path / "lhs.csv"
    run_batch(spec, "sequential", out=out)
    found = analyze(out, spec, "final:envoys_recalled", threshold=1.0)
    assert found.prim is not None
    (row,) = found.prim.box_rows()
    assert row["parameter"] == "return_date"
    assert [str(v) for v in row["values"]] == [
        "2024-02-01",
        "2024-02-03",
        "2024-02-05",
        "2024-02-07",
        "2024-02-09",
    ]
    assert row["of"] == 8
    assert (found.prim.box.coverage, found.prim.box.density) == (1.0, 1.0)
    table = invoke(str(out), "--spec", str(spec), "--outcome", "final:envoys_recalled")[1]
    assert "2024-02-01, 2024-02-03, 2024-02-05, 2024-02-07, 2024-02-09" in table
    assert "8 values" in table


def test_the_box_asked_for_and_prim_switched_off(lhs: tuple[Path, Path]) -> None:
    _, out = lhs
    code, stdout, output = invoke(str(out), "--outcome", "final:normal", "--box", "2")
    assert code == 0, output
    assert "Box 2 (as asked)" in stdout
    off = invoke(str(out), "--outcome", "final:normal", "--no-prim", "--format", "json")[1]
    assert json.loads(off)["prim"] is None
    assert "PRIM" not in invoke(str(out), "--outcome", "final:normal", "--no-prim")[1]
    # Not binary: no box, and nothing to say about it.
    days = json.loads(invoke(str(out), "--outcome", "days:restored", "--format", "json")[1])
    assert (days["prim"], days["prim_note"]) == (None, None)


def test_too_few_runs_give_a_note_unless_prim_is_asked_for(tmp_path: Path) -> None:
    _, out = results(tmp_path, "{kind: morris, points: 4}")  # 16 runs
    code, stdout, output = invoke(str(out), "--outcome", "final:normal")
    assert code == 0, output
    assert "No PRIM box: PRIM needs at least 20 runs with a value, not 16." in stdout
    code, _, output = invoke(str(out), "--outcome", "final:normal", "--prim")
    assert code == 2
    assert "error: PRIM needs at least 20 runs with a value, not 16" in output
    assert "Traceback" not in output


def test_the_tables_as_dataframes(lhs: tuple[Path, Path]) -> None:
    pytest.importorskip("pandas", reason="the pandas extra is not installed")
    spec, out = lhs
    found = analyze(out, spec, "final:normal")
    assert found.prim is not None
    frames = found.to_pandas()
    trajectory, box = frames["prim_trajectory"], frames["prim_box"]
    assert list(trajectory.columns) == [
        "box",
        "coverage",
        "density",
        "mass",
        "runs",
        "of_interest",
        "restricted",
    ]
    assert len(trajectory) == len(found.prim.trajectory)
    assert list(box["parameter"]) == ["return_at_most"]
    assert box.loc[0, "low"] == found.prim.box_rows()[0]["low"]


def test_the_figure_shows_the_tradeoff_and_the_box(lhs: tuple[Path, Path], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    from simulator.plots import analysis_figure, figure_bytes

    spec, out = lhs
    found = analyze(out, spec, "final:normal")
    svg = figure_bytes(analysis_figure(found), "svg")
    assert svg == figure_bytes(analysis_figure(found), "svg")
    png = tmp_path / "prim.png"
    code, _, output = invoke(str(out), "--outcome", "final:normal", "--plot", str(png))
    assert code == 0, output
    assert png.read_bytes().startswith(b"\x89PNG")


def test_the_command_s_defaults_are_the_library_s() -> None:
    """The CLI writes PRIM's defaults out (so --help imports nothing heavy): they must agree."""
    import importlib

    command = importlib.import_module("simulator.cli.analyze")  # the package's name is the command
    assert (command.THRESHOLD, command.ALPHA, command.MASS_MIN) == (
        library.THRESHOLD,
        library.ALPHA,
        library.MASS_MIN,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--outcome", "days:restored", "--prim"], "PRIM needs a binary outcome, 0 or 1 in every"),
        (["--outcome", "days:restored", "--box", "1"], "PRIM needs a binary outcome"),
        (["--outcome", "reaches:normal", "--prim"], "the outcome is 1 in every run"),
        (["--outcome", "final:normal", "--box", "999"], "box 999 is not on the trajectory"),
        (["--outcome", "final:normal", "--box", "1", "--no-prim"], "PRIM is switched off"),
        (["--outcome", "final:normal", "--box", "-1"], "Invalid value for '--box'"),
        (["--outcome", "final:normal", "--threshold", "0"], "Invalid value for '--threshold'"),
        (["--outcome", "final:normal", "--threshold", "1.5"], "Invalid value for '--threshold'"),
        (["--outcome", "final:normal", "--peel-alpha", "0.6"], "Invalid value for '--peel-alpha'"),
        (["--outcome", "final:normal", "--mass-min", "1"], "Invalid value for '--mass-min'"),
        (["--outcome", "final:normal", "--threshold", "x"], "Invalid value for '--threshold'"),
    ],
)
def test_bad_prim_input_is_refused(lhs: tuple[Path, Path], args: list[str], message: str) -> None:
    _, out = lhs
    code, _, output = invoke(str(out), *args)
    assert code == 2, output
    assert message in output
    assert "Traceback" not in output
