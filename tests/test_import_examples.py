"""The shipped scenarios made of real records: each is `dipsim import`'s output, made again by
the command its header names, with claims from history written by hand below a marker; the
claims hold with the default mappings, and fail with a mapping that restores a relation on
generic cooperation (the mistake issue 15 found by hand).

``DIPSIM_UPDATE_GOLDEN=1`` rewrites a file's imported part (its claims are kept).
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import cli
from tests.conftest import ROOT

IMPORTED = ROOT / "scenarios" / "imported"
EXAMPLES = sorted(IMPORTED.glob("*.yaml"))
MARKER = "# ---- Claims from history"


def _split(path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    at = text.index(MARKER)
    return text[:at], text[at:]


def _made_again(path: Path, tmp_path: Path, mapping: Path | None = None) -> str:
    """The scenario the header's command makes now, run as written from a copy of the
    repository's scenarios/imported/ (so that it names its records as the shipped file does,
    wherever the repository is)."""
    head, _ = _split(path)
    command = head.splitlines()[1].removeprefix("#").strip()
    words = shlex.split(command)
    assert words[:2] == ["dipsim", "import"], command
    root = tmp_path / "root"
    shutil.copytree(IMPORTED / "data", root / "scenarios" / "imported" / "data")
    out = root / "scenarios" / "imported" / path.name
    args = [*words[1:], "-o", str(out)]
    if mapping is not None:
        args += ["--mapping", str(mapping)]
    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(cli, args)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_there_are_two_examples() -> None:
    assert {p.name for p in EXAMPLES} >= {"egypt-israel-1982.yaml", "france-iran-1987.yaml"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_the_import_output(path: Path, tmp_path: Path) -> None:
    made = _made_again(path, tmp_path)
    head, claims = _split(path)
    if os.environ.get("DIPSIM_UPDATE_GOLDEN"):
        path.write_text(made + "\n" + claims, encoding="utf-8")
        head = made + "\n"
    assert head == made + "\n"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_claims_hold(path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "stays" in result.output
    assert "PASS" in result.output
    assert "FAIL" not in result.output


NAIVE = """\
dipsim_mapping: 1
title: naive (restores on any cooperation)
codebook: {codebook}
types:
  break_relations: {{codes: ["{recall}"]}}
  cooperation: {{codes: [{cooperation}]}}
scenario:
  machine:
    states: [normal, restored, strained, envoys_recalled]
    initial: normal
    transitions:
      - {{trigger: break_relations, source: [normal, strained, restored], dest: envoys_recalled}}
      - {{trigger: cooperation, source: envoys_recalled, dest: restored}}
"""


@pytest.mark.parametrize(
    ("name", "codebook", "recall", "cooperation", "left"),
    [
        ("egypt-israel-1982.yaml", "cameo", "161", '"03*", "04*", "05*"', "1982-10-06"),
        ("egypt-israel-1982.yaml", "cameo", "161", '"050"', "1983-07-28"),
        ("france-iran-1987.yaml", "weis", "195", '"03*", "04*", "05*", "08*"', "1987-07-19"),
    ],
)
def test_naive_mapping_breaks_the_claims(
    name: str, codebook: str, recall: str, cooperation: str, left: str, tmp_path: Path
) -> None:
    """A mapping that restores on generic cooperation jumps to `restored` within days of the
    rupture (the research in docs/event-data.md); the `stays` claim catches it."""
    mapping = tmp_path / "naive.yaml"
    mapping.write_text(
        NAIVE.format(codebook=codebook, recall=recall, cooperation=cooperation), encoding="utf-8"
    )
    made = _made_again(IMPORTED / name, tmp_path, mapping)
    _, claims = _split(IMPORTED / name)
    scenario = tmp_path / "root" / "scenarios" / "imported" / name  # beside its records' copy
    scenario.write_text(made + "\n" + claims, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(scenario)])
    assert result.exit_code == 1, result.output
    assert "FAIL  expect[0]" in result.output
    assert f"restored on {left}" in result.output


def test_the_report_of_a_weis_coded_replay_says_weis(tmp_path: Path) -> None:
    """The HTML report's events table names WEIS among its codes (never WEIS codes as CAMEO's),
    and cites the rows of the records file."""
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli, ["report", str(IMPORTED / "france-iran-1987.yaml"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "Codes: CAMEO or WEIS event code" in page
    assert '<abbr title="WEIS event code">WEIS</abbr> 195' in page
    assert "row 4 of gulf-frn-irn-1987-1988.csv" in page
