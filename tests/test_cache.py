"""`dipsim run`'s validated-scenario cache: same output whether it misses, hits or is off;
an entry is used only for the very inputs it was made from; a damaged one is never trusted.

The session's cache folder is a temporary one (``tests/conftest.py``); tests here that need an
empty cache point ``DIPSIM_CACHE_DIR`` at a folder of their own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pydantic import BaseModel

from simulator.cli import cli
from simulator.core.errors import ScenarioError
from simulator.core.expressions import Expression
from simulator.scenario import model
from simulator.scenario.cache import cache_folder, load_for_run
from simulator.scenario.limits import DEFAULT_LIMITS
from simulator.scenario.loading import load_scenario
from simulator.scenario.records import Record, from_plain, to_plain
from simulator.scenario.traits import TRAITS, Traits
from tests.conftest import JAN2024, ROOT, SCENARIOS, scenario_files
from tests.test_runtime_errors import write

FORMATS = ("table", "json", "csv")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DIPSIM_CACHE_DIR", str(folder))
    return folder


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(cli, ["run", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.exists() else []


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_every_scenario_prints_the_same_bytes_on_a_miss_a_hit_and_without(
    path: Path, cache: Path
) -> None:
    for fmt in FORMATS:
        uncached = run(path, "--format", fmt, "--no-cache")
        assert uncached.exit_code == 0, uncached.output
        assert not entries(cache), "--no-cache wrote an entry"
        miss = run(path, "--format", fmt)
        assert len(entries(cache)) == 1
        hit = run(path, "--format", fmt)
        assert uncached.stdout_bytes == miss.stdout_bytes == hit.stdout_bytes
        shutil.rmtree(cache)


@pytest.mark.parametrize("runs", ["1", "3"])
def test_a_figure_is_the_same_on_a_hit(cache: Path, tmp_path: Path, runs: str) -> None:
    """--plot reads the scenario too (the variables' decay, the states' order)."""
    pytest.importorskip("matplotlib")
    figures = []
    for name in ("off.svg", "miss.svg", "hit.svg"):
        extra = ["--no-cache"] if name == "off.svg" else []
        result = run(JAN2024, "--runs", runs, "--plot", tmp_path / name, *extra)
        assert result.exit_code == 0, result.output
        figures.append((tmp_path / name).read_bytes())
    assert figures[0] == figures[1] == figures[2]
    assert len(entries(cache)) == 1


def test_a_hit_is_really_a_hit(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second run does not load the file (which would make the test above prove nothing)."""
    assert run(JAN2024).exit_code == 0

    def no_loading(*_args: Any) -> None:
        raise AssertionError("loaded again")

    monkeypatch.setattr("simulator.scenario.loading.load_scenario", no_loading)
    assert run(JAN2024).exit_code == 0
    assert isinstance(load_for_run(JAN2024, DEFAULT_LIMITS), Record)


def test_a_hit_imports_neither_pydantic_nor_yaml(cache: Path) -> None:
    code = (
        "import sys; from simulator.cli import main\n"
        f"sys.argv = ['dipsim', 'run', {str(JAN2024)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'yaml'}),"
        " file=sys.stderr)"
    )
    env = {**os.environ, "DIPSIM_CACHE_DIR": str(cache)}
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append((done.stdout, done.stderr.strip()))
    assert outputs[0][1] == "['pydantic', 'yaml']"  # the miss validates
    assert outputs[1][1] == "[]"
    assert outputs[0][0] == outputs[1][0]


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-40],  # cut short
        lambda b: b.replace(b'"tension"', b'"tensiom"', 1),  # a changed byte, checksum kept
        lambda _: b"",
        lambda _: b"\x00" * 100,
        lambda _: b"dipsim-scenario-cache 0\n{}",
    ],
    ids=["cut", "edited", "empty", "nul", "forged-checksum"],
)
def test_a_damaged_entry_falls_back_to_validation_and_is_replaced(cache: Path, damage: Any) -> None:
    expected = run(JAN2024, "--no-cache").stdout_bytes
    run(JAN2024)
    (entry,) = entries(cache)
    good = entry.read_bytes()
    entry.write_bytes(damage(good))
    assert run(JAN2024).stdout_bytes == expected
    assert entry.read_bytes() == good  # written again, whole


def test_an_entry_with_a_valid_checksum_but_made_up_content_is_not_used(cache: Path) -> None:
    """The checksum guards against damage; an entry must also carry this file's key (another
    version's entry does not), and records with every field of their type."""
    from hashlib import blake2b

    expected = run(JAN2024, "--no-cache").stdout_bytes
    run(JAN2024)
    (entry,) = entries(cache)
    data = json.loads(entry.read_bytes().partition(b"\n")[2])
    for change in ({"key": "0" * 64}, {"scenario": {"$m": "Scenario", "f": {"title": 1}}}):
        body = json.dumps({**data, **change}).encode()
        entry.write_bytes(
            b"dipsim-scenario-cache "
            + blake2b(body, digest_size=32).hexdigest().encode()
            + b"\n"
            + body
        )
        assert run(JAN2024).stdout_bytes == expected


def copy_jan2024(folder: Path) -> Path:
    """jan2024.yaml and its source files, where the test may change them."""
    shutil.copytree(SCENARIOS / "sources", folder / "sources")
    target = folder / "jan2024.yaml"
    shutil.copy(JAN2024, target)
    return target


def test_a_changed_source_file_is_a_miss(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = copy_jan2024(tmp_path / "copy")
    assert run(path).exit_code == 0
    # The text a quote of the scenario is checked against is changed: the quote no longer holds.
    scenario = load_scenario(path)
    cited = next(e.source[0] for e in scenario.events if e.source[0].quote)
    source = path.parent / str(scenario.sources[cited.ref].file)
    source.write_text("nothing quoted here\n", encoding="utf-8")
    result = run(path)
    assert result.exit_code == 2
    assert "quote" in result.output
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+", result.output), result.output
    # And a missing source is not the same input as a present one either.
    source.unlink()
    assert run(path).exit_code == 2


def test_a_file_that_cannot_be_read_has_a_digest_too(tmp_path: Path) -> None:
    """What loading got from a file it could not read (a folder, a missing file) is an input
    like any bytes: the digest says which failure, it does not raise."""
    from simulator.scenario.cache import _digest

    assert _digest(tmp_path, 100) == "error NotRegularFileError"
    assert _digest(tmp_path / "missing", 100) == "error FileNotFoundError"
    (tmp_path / "f").write_bytes(b"12345")
    assert _digest(tmp_path / "f", 4).startswith("5 ")  # too big: the size tells
    assert _digest(tmp_path / "f", 5) != _digest(tmp_path / "f", 4)


def test_a_changed_base_of_a_whatif_is_a_miss(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    base = write(tmp_path, name="base.yaml")
    whatif = tmp_path / "w.yaml"
    whatif.write_text("dipsim: 1\nextends: base.yaml\ntitle: w\n", encoding="utf-8")
    first = run(whatif, "--format", "json")
    assert first.exit_code == 0, first.output
    base.write_text(base.read_text(encoding="utf-8").replace("goldstein: -10", "goldstein: -3"))
    second = run(whatif, "--format", "json")
    assert second.exit_code == 0, second.output
    assert second.stdout_bytes != first.stdout_bytes
    assert second.stdout_bytes == run(whatif, "--format", "json", "--no-cache").stdout_bytes


def test_an_edited_scenario_replaces_its_entry(cache: Path, tmp_path: Path) -> None:
    """One entry per file and options, not per version of the file: editing does not fill the
    cache folder."""
    path = write(tmp_path)
    outputs = []
    for goldstein in ("-10", "-3", "-10"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"goldstein: -\d+", f"goldstein: {goldstein}", text, count=1))
        outputs.append(run(path, "--format", "csv").stdout_bytes)
        assert len(entries(cache)) == 1
    assert outputs[0] == outputs[2] != outputs[1]


def test_an_unusable_path_is_the_loaders_to_report(cache: Path) -> None:
    with pytest.raises(ScenarioError, match="NUL"):
        load_for_run(Path("a\0b.yaml"), DEFAULT_LIMITS)
    assert not entries(cache)


def test_the_cache_can_be_turned_off(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIPSIM_NO_CACHE", "1")
    assert cache_folder() is None
    assert run(JAN2024).exit_code == 0
    assert not entries(cache)
    monkeypatch.setenv("DIPSIM_NO_CACHE", "0")
    assert cache_folder() == cache


def test_the_cache_folder_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIPSIM_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "dipsim"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert cache_folder() == tmp_path / "home" / ".cache" / "dipsim"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_folder() == tmp_path / "home" / ".cache" / "dipsim"


def test_a_failing_run_is_located_on_a_hit(cache: Path, tmp_path: Path) -> None:
    path = write(tmp_path, guard="tension / 0 > 1")
    outputs = [run(path) for _ in range(2)]  # a miss (the file validates), then a hit
    assert len(entries(cache)) == 1
    for result in outputs:
        assert result.exit_code == 2
        assert f"{path}:" in result.output
        assert "rules[0].when.guard" in result.output
    assert outputs[0].output == outputs[1].output


def test_an_unwritable_cache_is_only_slower(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("DIPSIM_CACHE_DIR", str(blocker / "cache"))
    assert run(JAN2024).stdout_bytes == run(JAN2024, "--no-cache").stdout_bytes


# ---- records behave as the models they were made from -------------------------------------


def test_no_model_has_behaviour_a_record_would_lack() -> None:
    """Every public attribute of a model that is neither a field nor pydantic's comes from its
    traits (simulator.scenario.traits), so a record of it has it too: a property added to a
    model (and not to its traits) fails here, not on a user's second run."""
    for name in model.__all__:
        kind = getattr(model, name)
        if not (isinstance(kind, type) and issubclass(kind, BaseModel)):
            continue
        own = {
            attr
            for attr in dir(kind)
            if not attr.startswith("_")
            and attr not in kind.model_fields
            and not hasattr(BaseModel, attr)
        }
        # The trait classes among its bases (not the models: TrackSpec is a MachineSpec).
        traits = [k for k in kind.__mro__ if issubclass(k, Traits) and not issubclass(k, BaseModel)]
        lacking = {a for a in own if not any(a in vars(k) for k in traits)}
        assert not lacking, f"{name}: move {sorted(lacking)} to simulator.scenario.traits"
        # A record finds its traits by its type's name.
        assert TRAITS.get(name) is (traits[0] if traits else None), name


def same_tree(validated: Any, record: Any, where: str = "scenario") -> None:
    """``record`` has the fields and the traits' values of ``validated``, all the way down."""
    fields = getattr(type(validated), "model_fields", None)
    if fields is None:
        if isinstance(validated, dict):
            assert list(validated) == list(record), where
            for key in validated:
                same_tree(validated[key], record[key], f"{where}[{key!r}]")
        elif isinstance(validated, tuple):
            assert isinstance(record, tuple), where
            for i, (a, b) in enumerate(zip(validated, record, strict=True)):
                same_tree(a, b, f"{where}[{i}]")
        elif isinstance(validated, Expression):
            assert (record.text, record.names) == (validated.text, validated.names), where
        else:
            assert type(record) is type(validated), where
            assert record == validated, where
        return
    assert isinstance(record, Record), where
    assert type(record).__name__ == type(validated).__name__, where
    for name in fields:
        same_tree(getattr(validated, name), getattr(record, name), f"{where}.{name}")
    traits = TRAITS.get(type(validated).__name__)
    for attr, member in vars(traits).items() if traits else ():
        if isinstance(member, property):
            assert getattr(record, attr) == getattr(validated, attr), f"{where}.{attr}"


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_records_have_the_fields_and_traits_of_the_models(path: Path) -> None:
    scenario = load_scenario(path)
    defaults = {"Codes": {"cameo": None, "goldstein": None, "plover": None}}
    record = from_plain(json.loads(json.dumps(to_plain(scenario))), defaults)
    same_tree(scenario, record)
    for event in scenario.events:
        assert record.codes_of(event)._field_values() == scenario.codes_of(event).model_dump()
    for relation, mine in zip(scenario.relations, record.relations, strict=True):
        assert record.initial_values(mine) == scenario.initial_values(relation)
        assert record.initial_state(mine) == scenario.initial_state(relation)
        assert record.relation(mine.pair) == mine
    assert pickle.loads(pickle.dumps(record)) == record  # worker processes receive it so


def test_a_record_is_frozen() -> None:
    record = from_plain({"$m": "Codes", "f": {"cameo": "010", "goldstein": 1.5}}, {})
    with pytest.raises(AttributeError, match="frozen"):
        record.cameo = "020"
    assert to_plain(from_plain({"$date": "2024-01-02"}, {})) == {"$date": "2024-01-02"}
    assert from_plain({"$d": [[["a", 1], dt.date(2024, 1, 2).isoformat()]]}, {}) == {
        ("a", 1): "2024-01-02"
    }


def test_records_run_in_worker_processes_as_the_models_do() -> None:
    """`run --runs` sends the scenario to spawned workers: records go by value (pickled as
    their type's name and fields) and give the outcomes the validated scenario gives."""
    from simulator.engine.montecarlo import run_many
    from simulator.report.outcomes import outcomes_json

    path = SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml"
    scenario = load_scenario(path)
    record = from_plain(json.loads(json.dumps(to_plain(scenario))), {})
    expected = outcomes_json(run_many(scenario, 40, 3, workers=1, chunk_size=10))
    assert outcomes_json(run_many(record, 40, 3, workers=2, chunk_size=10)) == expected


def test_a_changed_data_file_is_a_miss(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data file cited by rows is scanned, not kept: its digest (of the scan) keys the entry,
    so a hit needs the same bytes, and a file cut short makes its cited rows fail again."""
    monkeypatch.chdir(tmp_path)
    imported = ROOT / "scenarios" / "imported"
    shutil.copytree(imported, tmp_path / "imported")
    path = tmp_path / "imported" / "france-iran-1987.yaml"
    first = run(path)
    assert first.exit_code == 0
    assert run(path).stdout_bytes == first.stdout_bytes  # a hit, the same trace
    records = tmp_path / "imported" / "data" / "gulf-frn-irn-1987-1988.csv"
    records.write_text("".join(records.read_text(encoding="utf-8").splitlines(True)[:50]))
    result = run(path)
    assert result.exit_code == 2
    assert "past the end of data/gulf-frn-irn-1987-1988.csv (50 lines)" in result.output
