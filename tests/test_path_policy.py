"""Paths written inside files reach only the allowed folders (docs/checking.md, "Paths inside
files"): the working folder's tree, the tree of the folder of the file named on the command
line, and each ``--allow-path DIR``. ``extends``, a source's ``file`` and a batch spec's
``scenario`` outside them are refused before anything there is read, naming the path and the
option that allows it; a symbolic link counts as where it leads."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.batch.spec import load_batch_spec
from simulator.cli import cli
from simulator.core.errors import ScenarioError
from simulator.scenario.loading import load_scenario
from simulator.scenario.yamlread import DEFAULT_LIMITS, Limits
from tests.conftest import SCENARIOS, scenario_files

MINIMAL = (SCENARIOS / "examples" / "minimal.yaml").read_text(encoding="utf-8")
SECRET = "API_KEY: sk-live-0123456789\nDB_PASSWORD: hunter2\n"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``work/`` (the working folder) holding ``project/``; ``outside/`` beside ``work/``
    with a valid scenario and a secret file."""
    work = tmp_path / "work"
    (work / "project").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "base.yaml").write_text(MINIMAL, encoding="utf-8")
    (outside / ".env").write_text(SECRET, encoding="utf-8")
    (outside / "article.txt").write_text("The smallest article.\n", encoding="utf-8")
    monkeypatch.chdir(work)
    return tmp_path


def _whatif(folder: Path, extends: str, name: str = "w.yaml") -> Path:
    path = folder / name
    path.write_text(f"extends: {extends}\ntitle: A what-if\n", encoding="utf-8")
    return path


def _refusal(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, limits)
    (problem,) = info.value.problems
    return str(problem)


def test_extends_outside_the_allowed_folders_is_refused_unread(tree: Path) -> None:
    """The env file's keys (or its text) never appear: it is not even opened."""
    whatif = _whatif(tree / "work" / "project", "../../outside/.env")
    message = _refusal(whatif)
    outside = tree / "outside"
    assert message == (
        f"{whatif}:1:10: extends: extends '../../outside/.env' leads to "
        f"{outside / '.env'}, outside the folders dipsim reads from "
        "(., project); to read it, allow its folder: "
        f"--allow-path {outside}"
    )
    assert "API_KEY" not in message


def test_etc_passwd_is_not_read_through_extends(tree: Path) -> None:
    whatif = _whatif(tree / "work" / "project", "../../../../../../../../../../etc/passwd")
    message = _refusal(whatif)
    assert "leads to /etc/passwd, outside the folders dipsim reads from" in message
    assert "root:" not in message


def test_allow_path_lets_extends_reach_a_folder(tree: Path) -> None:
    whatif = _whatif(tree / "work" / "project", "../../outside/base.yaml")
    assert "outside the folders" in _refusal(whatif)
    scenario = load_scenario(whatif, Limits(allow_paths=(tree / "outside",)))
    assert scenario.title == "A what-if"


def test_the_working_folder_and_the_named_files_folder_are_allowed(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From ``work/``, a what-if in ``project/`` may extend ``work/base.yaml``; from inside
    ``project/`` it may not (the working folder is then ``project/`` itself)."""
    (tree / "work" / "base.yaml").write_text(MINIMAL, encoding="utf-8")
    whatif = _whatif(tree / "work" / "project", "../base.yaml")
    assert load_scenario(whatif).title == "A what-if"
    monkeypatch.chdir(tree / "work" / "project")
    assert "--allow-path" in _refusal(Path("w.yaml"))
    # A file named from elsewhere may reach its own folder's tree.
    (tree / "outside" / "sub").mkdir()
    inner = _whatif(tree / "outside" / "sub", "../base.yaml")
    assert "outside the folders" in _refusal(inner)
    nested = _whatif(tree / "outside", "base.yaml", name="nested.yaml")
    assert load_scenario(nested).title == "A what-if"


def test_a_symlink_leading_outside_counts_as_outside(tree: Path) -> None:
    project = tree / "work" / "project"
    (project / "base.yaml").symlink_to(tree / "outside" / "base.yaml")
    message = _refusal(_whatif(project, "base.yaml"))
    assert f"leads to {tree / 'outside' / 'base.yaml'}, outside the folders" in message


def test_the_base_of_a_base_is_held_to_the_first_files_folders(tree: Path) -> None:
    """A base inside the allowed folders cannot reach further out on its behalf."""
    project = tree / "work" / "project"
    (project / "sub").mkdir()
    _whatif(project / "sub", "../../../outside/base.yaml", name="middle.yaml")
    message = _refusal(_whatif(project, "sub/middle.yaml"))
    assert "middle.yaml:1:10: extends: extends '../../../outside/base.yaml' leads to" in message


def test_a_source_file_outside_is_refused(tree: Path) -> None:
    scenario = MINIMAL + "sources:\n  article: {file: ../../outside/article.txt}\n"
    path = tree / "work" / "project" / "s.yaml"
    path.write_text(scenario, encoding="utf-8")
    message = _refusal(path)
    assert "sources.article.file: source file '../../outside/article.txt' leads to" in message
    assert "--allow-path" in message
    load_scenario(path, Limits(allow_paths=(tree / "outside",)))


def test_a_batch_specs_scenario_outside_is_refused(tree: Path) -> None:
    spec = tree / "work" / "project" / "spec.yaml"
    spec.write_text(
        "dipsim_batch: 1\nscenario: ../../outside/base.yaml\nreplications: 2\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as info:
        load_batch_spec(spec)
    (problem,) = info.value.problems
    assert "scenario: scenario '../../outside/base.yaml' leads to" in str(problem)
    loaded = load_batch_spec(spec, Limits(allow_paths=(tree / "outside",)))
    assert loaded.scenario_path == tree / "outside" / "base.yaml"


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["check"],
        ["graph"],
        ["report", "-o", "r.html"],
        ["diff", "W"],
    ],
    ids=lambda c: c[0],
)
def test_every_command_refuses_and_allows_with_allow_path(command: list[str], tree: Path) -> None:
    whatif = _whatif(tree / "work" / "project", "../../outside/base.yaml")
    args = [command[0], str(whatif), *(str(whatif) if w == "W" else w for w in command[1:])]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2, refused.output
    assert "outside the folders dipsim reads from" in refused.stderr
    assert "Traceback" not in refused.output
    allowed = CliRunner().invoke(cli, [*args, "--allow-path", str(tree / "outside")])
    assert allowed.exit_code == 0, allowed.output


def test_batch_and_analyze_take_allow_path(tree: Path) -> None:
    spec = tree / "work" / "project" / "spec.yaml"
    spec.write_text(
        "dipsim_batch: 1\nscenario: ../../outside/base.yaml\nreplications: 2\n", encoding="utf-8"
    )
    out = tree / "work" / "r.csv"
    refused = CliRunner().invoke(cli, ["batch", str(spec), "--out", str(out), "-q"])
    assert refused.exit_code == 2, refused.output
    assert "--allow-path" in refused.stderr
    allow = ["--allow-path", str(tree / "outside")]
    done = CliRunner().invoke(cli, ["batch", str(spec), "--out", str(out), "-q", *allow])
    assert done.exit_code == 0, done.output
    analyze = ["analyze", str(out), "--outcome", "final:normal", "--spec", str(spec)]
    refused = CliRunner().invoke(cli, analyze)
    assert refused.exit_code == 2, refused.output
    assert "--allow-path" in refused.stderr


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_every_shipped_scenario_loads_from_the_repository_root_without_options(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The what-ifs extend ``../jan2024.yaml`` and the examples cite ``../sources/``: inside
    the repository, the working folder when the docs' commands run."""
    monkeypatch.chdir(SCENARIOS.parent)
    load_scenario(path.relative_to(SCENARIOS.parent))
