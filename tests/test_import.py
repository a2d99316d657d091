"""``dipsim import`` on real records: a golden scenario per format's slice; what the options do.

The slices are real rows (provenance in tests/data/eventdata/README.md and
scenarios/imported/data/README.md): KEDS Levant (CAMEO), KEDS Gulf (WEIS), ICEWS, GDELT 1.0 and
GDELT 2.0. Each import's scenario and its report are kept in tests/golden/import/; a deliberate
change is accepted with ``DIPSIM_UPDATE_GOLDEN=1 python -m pytest tests/test_import.py`` and a
review of the diff. Every scenario made must check (exit 0) and run.

Each import copies its slice into a temporary folder and writes the scenario beside it, so that
the path the scenario gives its source (``data/<file>``) is the same on every machine.
"""

from __future__ import annotations

import contextlib
import csv
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from simulator.check.codebook import codebooks
from simulator.cli import cli
from simulator.eventdata.formats import detect_format
from simulator.scenario.yamlread import read_yaml_file
from tests.conftest import ROOT
from tests.test_golden import _compare

DATA = ROOT / "tests" / "data" / "eventdata"
KEDS = ROOT / "scenarios" / "imported" / "data"
LEVANT = KEDS / "levant-egy-isr-1982-1986.csv"
GULF = KEDS / "gulf-frn-irn-1987-1988.csv"
ICEWS = DATA / "icews-20180601-02.tab"
GOLDEN = ROOT / "tests" / "golden" / "import"
QUAD = "quad-classes.yaml"  # a mapping for the tests, in DATA


@dataclass(frozen=True)
class Case:
    """One golden import: a slice, the options, and the format it is in."""

    records: Path
    args: tuple[str, ...]
    fmt: str


CASES = {
    "levant-egy-isr": Case(LEVANT, ("--dyad", "EGY-ISR"), "keds"),
    "gulf-frn-irn-weis": Case(GULF, ("--codebook", "weis", "--dyad", "FRN-IRN"), "keds"),
    "icews-usa-prk-kor-chn": Case(
        ICEWS,
        ("--dyad", "USA-PRK", "--dyad", "KOR-PRK", "--dyad", "CHN-USA", "--dyad", "KOR-USA"),
        "icews",
    ),
    # GDELT 1.0's few two-actor rows have statement and appeal codes only, which the shipped
    # mapping leaves out: a mapping of every root (and --mapping) is tried on it.
    "gdelt1-isr-pse-vct-can": Case(
        DATA / "gdelt1-20141124.tsv",
        ("--dyad", "ISR-PSE", "--dyad", "VCT-CAN", "--mapping", QUAD),
        "gdelt",
    ),
    "gdelt2-gbr-sau-rus-usa-chn": Case(
        DATA / "gdelt2-20191024143000.tsv",
        ("--dyad", "GBR-SAU", "--dyad", "RUS-SYR", "--dyad", "RUS-TUR", "--dyad", "USA-CHN"),
        "gdelt",
    ),
}


def dipsim(*args: str | Path) -> Result:
    """``dipsim ARGS`` in-process; an exception escaping the CLI fails the test."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def import_into(folder: Path, records: Path, *args: str, name: str = "out") -> tuple[Path, Result]:
    """``dipsim import`` of a copy of ``records`` put in ``folder/data/``, run in ``folder``
    (the command the scenario's header gives is the same on every machine), the scenario
    written to ``folder/<name>.yaml``; the test mapping is beside it as ``quad-classes.yaml``."""
    (folder / "data").mkdir(exist_ok=True)
    copy = folder / "data" / records.name
    if not copy.exists():
        shutil.copyfile(records, copy)
    shutil.copyfile(DATA / QUAD, folder / QUAD)
    with contextlib.chdir(folder):
        result = dipsim("import", f"data/{records.name}", *args, "-o", f"{name}.yaml")
    return folder / f"{name}.yaml", result


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Result]]:
    """Every golden case imported once."""
    folder = tmp_path_factory.mktemp("imported")
    return {name: import_into(folder, c.records, *c.args, name=name) for name, c in CASES.items()}


def scenario_data(path: Path) -> dict[str, Any]:
    data = read_yaml_file(path).data
    assert isinstance(data, dict)
    return data


def cited_rows(data: dict[str, Any]) -> list[int]:
    """The line numbers every event of an imported scenario cites, in event order."""
    return [row for event in data["events"] for row in event["source"]["rows"]]


def keds_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """A KEDS CSV's records with their line numbers (the header is line 1)."""
    with path.open(encoding="utf-8", newline="") as f:
        return list(enumerate(csv.DictReader(f), start=2))


@pytest.mark.parametrize("name", CASES)
def test_golden_scenario(name: str, made: dict[str, tuple[Path, Result]]) -> None:
    """The scenario written equals the stored one byte for byte, and so does the report."""
    out, result = made[name]
    assert result.exit_code == 0, result.output
    _compare(out.read_text(encoding="utf-8"), GOLDEN / f"{name}.yaml")
    _compare(result.stderr, GOLDEN / f"{name}.txt")


def test_no_orphan_import_goldens() -> None:
    """Every file in tests/golden/import/ belongs to a case."""
    names = {f"{n}.{ext}" for n in CASES for ext in ("yaml", "txt")}
    assert sorted(p.name for p in GOLDEN.iterdir() if p.name not in names) == []


@pytest.mark.parametrize("name", CASES)
def test_imported_scenario_checks_and_runs(name: str, made: dict[str, tuple[Path, Result]]) -> None:
    """``dipsim check`` passes the scenario (exit 0) and ``dipsim run`` replays it; it is
    written without YAML anchors (a date written twice is written twice)."""
    out, _ = made[name]
    checked = dipsim("check", out)
    assert checked.exit_code == 0, checked.output
    assert "result: ok" in checked.output
    ran = dipsim("run", out)
    assert ran.exit_code == 0, ran.output
    assert "final: " in ran.output
    assert "&id0" not in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", CASES)
def test_format_told_from_the_first_line(name: str, made: dict[str, tuple[Path, Result]]) -> None:
    """Each slice's format is told from its first line, and the scenario's header says it."""
    case = CASES[name]
    with case.records.open(encoding="utf-8") as f:
        assert detect_format(f.readline()) == case.fmt
    out, _ = made[name]
    assert f"({case.fmt} records, " in out.read_text(encoding="utf-8").splitlines()[0]


@pytest.mark.parametrize("name", CASES)
def test_format_named_gives_the_same_scenario(
    name: str, made: dict[str, tuple[Path, Result]], tmp_path: Path
) -> None:
    """``--format`` naming the format that would be told gives the same scenario (the header's
    command, its second line, names it)."""
    case = CASES[name]
    out, result = import_into(tmp_path, case.records, *case.args, "--format", case.fmt, name=name)
    assert result.exit_code == 0, result.output
    named, told = (p.read_text(encoding="utf-8").splitlines() for p in (out, made[name][0]))
    assert f" --format {case.fmt}" in named[1]
    assert named[:1] + named[2:] == told[:1] + told[2:]


@pytest.mark.parametrize(
    ("records", "fmt", "message"),
    [
        (
            LEVANT,
            "gdelt",
            "error: 'data/levant-egy-isr-1982-1986.csv': 362 of 362 rows (100.0%) cannot be read "
            "as CAMEO-coded records (more than --max-bad 0.05): malformed row 362 "
            "(lines 1, 2, 3, 4, 5, ...)\n",
        ),
        (
            ICEWS,
            "keds",
            "error: 'data/icews-20180601-02.tab': 344 of 344 rows (100.0%) cannot be read as "
            "CAMEO-coded records (more than --max-bad 0.05): malformed date 321 "
            "(lines 1, 2, 3, 4, 5, ...); malformed code 23 (lines 30, 31, 35, 36, 37, ...)\n",
        ),
        (
            DATA / "gdelt2-20191024143000.tsv",
            "icews",
            "error: 'data/gdelt2-20191024143000.tsv': line 1 is not an ICEWS header (no 'Event ID' "
            "column); is the file in icews format? (--format)\n",
        ),
    ],
    ids=["keds-as-gdelt", "icews-as-keds", "gdelt-as-icews"],
)
def test_format_named_wrongly_is_refused(
    records: Path, fmt: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file read in a format it is not in is refused whole (exit 2), nothing written."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    shutil.copyfile(records, tmp_path / "data" / records.name)
    result = dipsim(
        "import", f"data/{records.name}", "--format", fmt, "--dyad", "USA-PRK", "-o", "out.yaml"
    )
    assert (result.exit_code, result.stderr) == (2, message)
    assert not (tmp_path / "out.yaml").exists()


def test_weis_file_read_as_cameo_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Gulf slice (WEIS codes) read with the CAMEO mapping: its codes that CAMEO has not
    (counted here from the codebook, apart from the importer) are more than 5% of its rows, and
    all are WEIS codes: refused with the hint, exit 2, nothing written."""
    not_cameo = [n for n, row in keds_rows(GULF) if row["code"] not in codebooks().names]
    assert len(not_cameo) == 14
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    shutil.copyfile(GULF, tmp_path / "data" / GULF.name)
    result = dipsim("import", f"data/{GULF.name}", "--dyad", "FRN-IRN", "-o", "out.yaml")
    assert result.exit_code == 2
    shown = ", ".join(map(str, not_cameo[:5]))
    assert result.stderr == (
        "error: 'data/gulf-frn-irn-1987-1988.csv': 14 of 101 rows (13.9%) cannot be read as "
        f"CAMEO-coded records (more than --max-bad 0.05): unknown code 14 (lines {shown}, ...); "
        "every unknown code is a WEIS code: is the file WEIS-coded? (--codebook weis)\n"
    )
    assert not (tmp_path / "out.yaml").exists()


def test_actor_codes_match_by_prefix_unless_exact(tmp_path: Path) -> None:
    """By prefix, EGYGOV and ISRMIL are Egypt and Israel; with ``--exact-actors`` only the
    rows whose two codes are EGY and ISR themselves are kept, and they are the same rows."""
    by_prefix, r1 = import_into(tmp_path, LEVANT, "--dyad", "EGY-ISR", name="prefix")
    exact, r2 = import_into(tmp_path, LEVANT, "--dyad", "EGY-ISR", "--exact-actors", name="exact")
    assert r1.exit_code == r2.exit_code == 0, r1.output + r2.output
    rows = dict(keds_rows(LEVANT))
    prefix_rows, exact_rows = cited_rows(scenario_data(by_prefix)), cited_rows(scenario_data(exact))
    whole = {n for n in prefix_rows if {rows[n]["source"], rows[n]["target"]} == {"EGY", "ISR"}}
    assert sorted(exact_rows) == sorted(whole)
    assert len(whole) < len(prefix_rows)  # the slice has parts of states: the test can fail
    assert any(rows[n]["source"] == "EGYGOV" for n in prefix_rows)


def test_icews_exact_actors_are_the_states_themselves(tmp_path: Path) -> None:
    """ICEWS: with ``--exact-actors`` only records whose actor is the country itself (its name
    is the country's) are kept; by default its ministries and citizens count too."""
    args = ("--dyad", "USA-PRK")
    by_prefix, r1 = import_into(tmp_path, ICEWS, *args, name="prefix")
    exact, r2 = import_into(tmp_path, ICEWS, *args, "--exact-actors", name="exact")
    assert r1.exit_code == r2.exit_code == 0, r1.output + r2.output
    with ICEWS.open(encoding="utf-8") as f:
        table = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    by_id = {row["Event ID"]: row for row in table}
    cited = [r for e in scenario_data(exact)["events"] for r in e["source"]["records"]]
    assert cited
    for record in cited:
        row = by_id[record]
        assert row["Source Name"] == row["Source Country"]
        assert row["Target Name"] == row["Target Country"]
    everything = [r for e in scenario_data(by_prefix)["events"] for r in e["source"]["records"]]
    assert set(cited) < set(everything)


def test_actors_make_every_pair(tmp_path: Path) -> None:
    """Three ``--actor`` codes make three relations, in the order named; a ``--dyad`` that
    repeats one of them is not a fourth. No event is of another pair."""
    out, result = import_into(
        tmp_path, ICEWS, "--actor", "USA", "--actor", "PRK", "--actor", "KOR", "--dyad", "PRK-USA"
    )
    assert result.exit_code == 0, result.output
    data = scenario_data(out)
    pairs = [r["pair"] for r in data["relations"]]
    assert pairs == [["PRK", "USA"], ["USA", "KOR"], ["PRK", "KOR"]]
    assert {frozenset((e["actor"], e["target"])) for e in data["events"]} == {
        frozenset(p) for p in pairs
    }


def test_window_leaves_out_and_counts_the_rest(tmp_path: Path) -> None:
    """``--from``/``--until`` bound the scenario's span and its events; the rows left out are
    counted as outside the dates (counted here from the CSV)."""
    out, result = import_into(
        tmp_path, LEVANT, "--dyad", "EGY-ISR", "--from", "1984-01-01", "--until", "1985-12-31"
    )
    assert result.exit_code == 0, result.output
    data = scenario_data(out)
    assert (data["start"], data["end"]) == ("1984-01-01", "1985-12-31")
    days = {e["date"] for e in data["events"]}
    assert days
    assert all("1984-01-01" <= d <= "1985-12-31" for d in days)
    outside = sum(1 for _, r in keds_rows(LEVANT) if not "1984-01-01" <= r["date"] <= "1985-12-31")
    assert f"outside the dates: {outside:,}" in result.stderr
    assert outside > 0


BOTH_SIDES = """\
date,source,target,code
1987-07-17,FRN,IRN,195
1988-05-23,IRN,FRN,064
1988-05-23,IRN,FRN,031
1988-06-15,FRN,IRN,064
1988-06-15,IRN,FRN,064
1988-06-15,IRN,FRN,064
"""


def test_both_sides_types(tmp_path: Path) -> None:
    """WEIS 064 restores relations only when both sides' records have it on one day: then it is
    one joint event citing every row; a one-sided 064 is cooperation (taken together with that
    day's other cooperation of the same side)."""
    records = tmp_path / "frn-irn.csv"
    records.write_text(BOTH_SIDES, encoding="utf-8")
    out, result = import_into(tmp_path, records, "--codebook", "weis", "--dyad", "FRN-IRN")
    assert result.exit_code == 0, result.output
    events = [
        (e["date"], e["type"], e.get("actor"), e.get("target"), e.get("joint", False), rows)
        for e in scenario_data(out)["events"]
        for rows in [e["source"]["rows"]]
    ]
    assert events == [
        ("1987-07-17", "break_relations", "FRN", "IRN", False, [2]),
        ("1988-05-23", "cooperation", "IRN", "FRN", False, [3, 4]),
        ("1988-06-15", "restore_relations", ["FRN", "IRN"], None, True, [5, 6, 7]),
    ]
    ran = dipsim("run", out)
    assert ran.exit_code == 0, ran.output
    assert "final: FRN-IRN restored" in ran.output


def _bom(text: str) -> str:
    return "\ufeff" + text


def _r_write_csv(text: str) -> str:
    """As R's ``write.csv`` writes a data frame: every text quoted, row names first."""
    lines = text.splitlines()
    quoted = ['"' + '","'.join(line.split(",")) + '"' for line in lines]
    return "\n".join([f'"",{quoted[0]}'] + [f'"{n}",{q}' for n, q in enumerate(quoted[1:], 1)])


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def _tabari(text: str) -> str:
    """TABARI's output: tab-separated, ``YYMMDD`` dates, no header."""
    rows = [line.split(",") for line in text.splitlines()[1:]]
    return "".join(f"{d[2:4]}{d[5:7]}{d[8:]}\t{s}\t{t}\t{c}\n" for d, s, t, c in rows)


@pytest.mark.parametrize(
    ("write", "shift"),
    [(_bom, 0), (_r_write_csv, 0), (_crlf, 0), (_tabari, -1)],
    ids=["byte-order-mark", "r-write-csv", "crlf", "tabari"],
)
def test_keds_written_otherwise_gives_the_same_events(
    write: Any, shift: int, made: dict[str, tuple[Path, Result]], tmp_path: Path
) -> None:
    """The Levant slice with a byte order mark, quoted with row names as R writes it, with
    CRLF line ends, or as TABARI's tab-separated output: the same events (TABARI's have no
    header, so every cited line is one less)."""
    records = tmp_path / "levant.csv"
    records.write_text(write(LEVANT.read_text(encoding="utf-8")), encoding="utf-8", newline="")
    out, result = import_into(tmp_path, records, "--dyad", "EGY-ISR")
    assert result.exit_code == 0, result.output
    expected = scenario_data(made["levant-egy-isr"][0])["events"]
    for event in expected:
        event["source"]["rows"] = [n + shift for n in event["source"]["rows"]]
    assert scenario_data(out)["events"] == expected


def test_scenario_to_standard_output(
    made: dict[str, tuple[Path, Result]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-o -`` writes the scenario to standard output (its source's path relative to the
    current folder) and the report to standard error: the same scenario as a file's."""
    out, _ = made["levant-egy-isr"]
    monkeypatch.chdir(out.parent)
    result = dipsim("import", f"data/{LEVANT.name}", "--dyad", "EGY-ISR", "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout == out.read_text(encoding="utf-8")
    assert result.stderr.startswith("imported 304 of 361 rows as 276 events → standard output\n")


def test_scenario_written_in_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scenario written in a folder below the working one cites the records by a path
    from its own folder (``../data/...``), and is validated from there: it imports (this was
    refused, the path read from the working folder), checks and runs."""
    (tmp_path / "data").mkdir()
    shutil.copyfile(LEVANT, tmp_path / "data" / LEVANT.name)
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    made = dipsim("import", f"data/{LEVANT.name}", "--dyad", "EGY-ISR", "-o", "out/s.yaml")
    assert made.exit_code == 0, made.output
    assert scenario_data(tmp_path / "out" / "s.yaml")["sources"]["records"]["file"] == (
        f"../data/{LEVANT.name}"
    )
    checked = dipsim("check", "out/s.yaml")
    assert checked.exit_code == 0, checked.output
