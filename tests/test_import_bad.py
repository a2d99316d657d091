"""``dipsim import`` on what is wrong: bad rows, files that are not records, bad mapping files
and bad options — the exact messages, the counts and the exit statuses.

A few bad rows among good ones are counted by kind, with their first line numbers, and the
scenario is still made (exit 0); more than ``--max-bad`` of the rows that say the file is read
wrongly refuse the file whole (exit 2, nothing written). Every command runs in ``tmp_path`` so
that the file names in messages are short and the same everywhere.
"""

from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli
from simulator.eventdata.formats import MAX_LINE, BadRow, lines
from tests.conftest import ROOT

# A real process with a timeout: a read that blocks fails the test instead of hanging it.
from tests.test_file_kinds import dipsim as run_process

DATA = ROOT / "tests" / "data" / "eventdata"
QUAD = DATA / "quad-classes.yaml"
LEVANT = ROOT / "scenarios" / "imported" / "data" / "levant-egy-isr-1982-1986.csv"

#: 100 good KEDS rows (lines 2 to 101), EGY → ISR cooperation (042) on ten days: 10 events.
GOOD = "date,source,target,code\n" + "".join(f"1982-08-1{i % 10},EGY,ISR,042\n" for i in range(100))

#: The header and the first 12 of them.
FEW = "".join(GOOD.splitlines(keepends=True)[:13])


def dipsim(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@dataclass(frozen=True)
class Bad:
    """A file of records, the options, and what ``dipsim import`` must say."""

    content: bytes
    stderr: str
    status: int = 0
    args: tuple[str, ...] = ("--dyad", "EGY-ISR")
    header: str | None = None  # what the scenario's header says of its bad rows
    #: The report's last line: why the first bad row of each kind is bad.
    first: str | None = None


def accepted(kept: int, rows: int, events: int, bad: str, *more: str) -> str:
    """The report of an import that went through with bad rows."""
    lines = [
        f"imported {kept} of {rows} rows as {events} events → out.yaml",
        "  of other actors: 0; outside the dates: 0",
        f"  bad rows: {bad}",
        *more,
    ]
    return "".join(line + "\n" for line in lines)


def _icews(*countries: tuple[str, str]) -> bytes:
    """An ICEWS file (the real slice's header) with a row per (source, target) country."""
    header = (DATA / "icews-20180601-02.tab").read_text(encoding="utf-8").splitlines()[0]
    names = header.split("\t")
    rows = []
    for n, (source, target) in enumerate(countries):
        cells = dict.fromkeys(names, "")
        cells |= {
            "Event ID": str(1000 + n),
            "Event Date": "2018-06-01",
            "Source Name": source,
            "Source Country": source,
            "Target Name": target,
            "Target Country": target,
            "CAMEO Code": "042",
        }
        rows.append("\t".join(cells[k] for k in names))
    return "\n".join([header, *rows, ""]).encode("utf-8")


def _gdelt(*widths: int) -> bytes:
    """GDELT 1.0 rows (the real slice's ISR → PSE row) cut or padded to ``widths`` columns."""
    row = next(
        line
        for line in (DATA / "gdelt1-20141124.tsv").read_text(encoding="utf-8").splitlines()
        if line.split("\t")[5] == "ISR" and line.split("\t")[15] == "PSE"
    )
    cells = row.split("\t")
    made = [cells[:w] + [""] * (w - len(cells)) for w in widths]
    return "".join("\t".join(c) + "\n" for c in made).encode("utf-8")


CASES = {
    "wrong-column-count": Bad(
        (GOOD + "1982-08-05,EGY,ISR\n").encode(),
        accepted(100, 101, 10, "1: malformed row 1 (line 102)"),
        header="1 bad: malformed row 1 (line 102).",
        first="line 102: 3 columns, not date source target code",
    ),
    "bad-dates": Bad(
        (GOOD + "2019-02-30,EGY,ISR,042\n19820931,EGY,ISR,042\nyesterday,EGY,ISR,042\n").encode(),
        accepted(100, 103, 10, "3: malformed date 3 (lines 102, 103, 104)"),
        header="3 bad: malformed date 3 (lines 102, 103, 104).",
        first="line 102: '2019-02-30' is not a date",
    ),
    "unknown-code": Bad(
        (GOOD + "1982-08-05,EGY,ISR,999\n").encode(),
        accepted(100, 101, 10, "1: unknown code 1 (line 102)", "  unknown: CAMEO code 999 ×1"),
    ),
    "malformed-codes": Bad(
        (GOOD + "1982-08-05,EGY,ISR,1a2\n1982-08-05,EGY,ISR,12345\n1982-08-05,EGY,ISR,\n").encode(),
        accepted(100, 103, 10, "3: malformed code 3 (lines 102, 103, 104)"),
        first="line 102: '1a2' is not a 2-4 digit event code",
    ),
    "missing-actor": Bad(
        (GOOD + "1982-08-05,,ISR,042\n1982-08-05,EGY,,042\n").encode(),
        accepted(100, 102, 10, "2: missing actor 2 (lines 102, 103)"),
        first="line 102: no source actor",
    ),
    # Rows of actors the import cannot name never refuse a file, however many (GDELT and ICEWS
    # have many one-sided records): 200 of 300 here.
    "many-missing-actors": Bad(
        (GOOD + "1982-08-05,,ISR,042\n" * 200).encode(),
        accepted(100, 300, 10, "200: missing actor 200 (lines 102, 103, 104, 105, 106, ...)"),
        first="line 102: no source actor",
    ),
    "icews-unknown-country": Bad(
        _icews(("United States", "North Korea"), ("Atlantis", "North Korea")),
        "imported 1 of 2 rows as 1 event → out.yaml\n"
        "  of other actors: 0; outside the dates: 0\n"
        "  bad rows: 1: unknown actor 1 (line 3)\n"
        "  unknown: country 'Atlantis' ×1\n",
        args=("--dyad", "USA-PRK"),
    ),
    "icews-wrong-column-count": Bad(
        _icews(("United States", "North Korea")) + b"1001\t2018-06-01\n",
        "imported 1 of 2 rows as 1 event → out.yaml\n"
        "  of other actors: 0; outside the dates: 0\n"
        "  bad rows: 1: malformed row 1 (line 3)\n",
        args=("--dyad", "USA-PRK", "--max-bad", "0.5"),
        first="line 3: 2 columns, the header has 20",
    ),
    "gdelt-wrong-column-count": Bad(
        _gdelt(58, 57, 30),
        "error: 'r.csv': 1 of 3 rows (33.3%) cannot be read as CAMEO-coded records (more than "
        "--max-bad 0.05): malformed row 1 (line 3)\n",
        status=2,
        args=("--dyad", "ISR-PSE", "--mapping", str(QUAD)),
    ),
    # The scenario cites its rows in the file, which check and run scan a line at a time (any
    # size, any bytes): a line that is not UTF-8 is a bad row, the rest is imported and cited.
    "not-utf8": Bad(
        GOOD.encode() + b"1982-08-05,EGY,ISR,04\xff\n",
        accepted(100, 101, 10, "1: not UTF-8 1 (line 102)"),
        first="line 102: byte 22 is not UTF-8",
    ),
    "bigger-than-max-bytes": Bad(
        (GOOD * 4).encode(),
        accepted(400, 403, 10, "3: malformed date 3 (lines 102, 203, 304)"),
        args=("--dyad", "EGY-ISR", "--max-bad", "0.1", "--limit", "max_bytes=8000"),
        first="line 102: 'date' is not a date",
    ),
    # The rest of an overlong line is skipped, not read into memory, and the lines after it
    # are numbered right: the good row after it is kept.
    "overlong-line": Bad(
        GOOD.encode() + b"1982-08-05,EGY,ISR,042" + b"x" * 70_000 + b"\n1982-08-20,EGY,ISR,042\n",
        accepted(101, 102, 11, "1: line too long 1 (line 102)"),
        first="line 102: longer than 65,536 bytes",
    ),
    "tabari-tab-separated": Bad(
        b"820805\tEGY\tISR\t042\n820806\tISRGOV\tEGY\t190\tcoder's note\n820807\tEGY\n",
        accepted(2, 3, 2, "1: malformed row 1 (line 3)"),
        args=("--dyad", "EGY-ISR", "--max-bad", "0.5"),
        first="line 3: 2 columns, not date source target code",
    ),
    "too-many-bad": Bad(
        (FEW + "1982-02-30,EGY,ISR,042\n" * 6).encode(),
        "error: 'r.csv': 6 of 18 rows (33.3%) cannot be read as CAMEO-coded records (more than "
        "--max-bad 0.05): malformed date 6 (lines 14, 15, 16, 17, 18, ...)\n",
        status=2,
    ),
    "too-many-bad-allowed": Bad(
        (FEW + "1982-02-30,EGY,ISR,042\n" * 6).encode(),
        accepted(12, 18, 10, "6: malformed date 6 (lines 14, 15, 16, 17, 18, ...)"),
        args=("--dyad", "EGY-ISR", "--max-bad", "0.4"),
        first="line 14: '1982-02-30' is not a date",
    ),
    "empty": Bad(b"", "error: 'r.csv' is empty\n", status=2),
    "header-only": Bad(
        b"date,source,target,code\n", "error: 'r.csv' has no records after its header\n", 2
    ),
    "icews-header-only": Bad(
        _icews(), "error: 'r.csv' has no records after its header\n", 2, ("--dyad", "USA-PRK")
    ),
    "no-format": Bad(
        b"hello, world\n1982-08-05,EGY,ISR,042\n",
        "error: cannot tell the format of 'r.csv' from its first line; name it with --format "
        "keds, icews or gdelt\n",
        status=2,
    ),
    "utf-16": Bad(
        "date,source,target,code\n1982-08-05,EGY,ISR,042\n".encode("utf-16"),
        "error: 'r.csv' is UTF-16 text (line 1: byte 1 is not UTF-8); save it as UTF-8 and "
        "import it again\n",
        status=2,
    ),
    "latin-1": Bad(
        b"date,source,target,code\n1982-08-05,EGY,ISR,042\n".replace(
            b"date", "dat\xe9".encode("latin-1")
        ),
        "error: 'r.csv' is not UTF-8 text (line 1: byte 4 is not UTF-8); save it as UTF-8 and "
        "import it again\n",
        status=2,
        args=("--dyad", "EGY-ISR", "--format", "keds"),
    ),
    "nothing-of-the-dyad": Bad(
        GOOD.encode(),
        "error: no record of USA-IRN in 'r.csv' to import (100 rows of other actors)\n",
        status=2,
        args=("--dyad", "USA-IRN"),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_rows(name: str, tmp_path: Path) -> None:
    """The exact report (standard error) and exit status; a refused file writes nothing."""
    case = CASES[name]
    (tmp_path / "r.csv").write_bytes(case.content)
    result = dipsim("import", "r.csv", *case.args, "-o", "out.yaml")
    said = case.stderr + ("" if case.first is None else f"  the first of each: {case.first}\n")
    assert (result.exit_code, result.stderr) == (case.status, said)
    assert (tmp_path / "out.yaml").exists() == (case.status == 0)
    if case.header is not None:
        text = (tmp_path / "out.yaml").read_text(encoding="utf-8")
        comments = [line[2:] for line in text.splitlines() if line.startswith("# ")]
        assert case.header in " ".join(comments)


def test_bad_rows_leave_a_scenario_that_checks(tmp_path: Path) -> None:
    """A file with bad rows of every kind the tolerance allows still makes a valid scenario."""
    bad = "2019-02-30,EGY,ISR,042\n1982-08-05,EGY,ISR,999\n1982-08-05,EGY,ISR,1a2\n"
    (tmp_path / "r.csv").write_text(GOOD + bad + "1982-08-05,,ISR,042\n", encoding="utf-8")
    made = dipsim("import", "r.csv", "--dyad", "EGY-ISR", "-o", "out.yaml")
    assert made.exit_code == 0, made.output
    checked = dipsim("check", "out.yaml")
    assert checked.exit_code == 0, checked.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO given as the records file is refused before a byte is read (nobody writes to it:
    a read would block), and left as it was."""
    fifo = tmp_path / "records.csv"
    os.mkfifo(fifo)
    done = run_process("import", "records.csv", "--dyad", "EGY-ISR", "-o", "out.yaml", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        "error: 'records.csv' is a FIFO (named pipe), not a file of records\n",
    )
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert not (tmp_path / "out.yaml").exists()


def test_directory_refused(tmp_path: Path) -> None:
    """A folder given as the records file is refused as a usage error."""
    (tmp_path / "records").mkdir()
    done = run_process("import", "records", "--dyad", "EGY-ISR", "-o", "out.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.endswith(
        "Error: Invalid value for 'RECORDS': File 'records' is a directory.\n"
    )
    assert not (tmp_path / "out.yaml").exists()


def test_missing_file(tmp_path: Path) -> None:
    result = dipsim("import", "nothere.csv", "--dyad", "EGY-ISR", "-o", "out.yaml")
    assert (result.exit_code, result.stderr) == (2, "error: 'nothere.csv': no such file\n")


_MAPPING = QUAD.read_text(encoding="utf-8")
_TEMPLATE = _MAPPING.index("scenario:\n")

#: A mapping file with one mistake → the located message (the line:col are counted in the
#: file written: the changed lines are spelt out beside it).
MAPPINGS = {
    "unknown-code": (
        _MAPPING.replace('codes: ["01*", "02*"', 'codes: ["01*", "999", "02*"'),
        "m.yaml:10:20: types.verbal_cooperation.codes[1]: '999' is not a CAMEO code",
    ),
    "unknown-prefix": (
        _MAPPING.replace('codes: ["01*", "02*"', 'codes: ["01*", "99*", "02*"'),
        "m.yaml:10:20: types.verbal_cooperation.codes[1]: '99*' is not a CAMEO prefix of any code",
    ),
    "weis-code-in-a-cameo-mapping": (
        _MAPPING.replace('codes: ["01*", "02*"', 'codes: ["01*", "223", "02*"'),
        "m.yaml:10:20: types.verbal_cooperation.codes[1]: '223' is not a CAMEO code",
    ),
    "same-code-in-two-types": (
        _MAPPING.replace('codes: ["05*"', 'codes: ["04*", "05*"'),
        "m.yaml:13:13: types.material_cooperation.codes[0]: code '04*' is mapped to both "
        "'verbal_cooperation' and 'material_cooperation'",
    ),
    "both-sides-without-otherwise": (
        _MAPPING.replace(
            "    description: Cooperate diplomatically",
            "    both_sides: true\n    description: Cooperate diplomatically",
        ),
        "m.yaml:13:5: types.material_cooperation: a type with 'both_sides' needs 'otherwise': "
        "the type of a one-sided record",
    ),
    "otherwise-without-both-sides": (
        _MAPPING.replace(
            "    description: Cooperate diplomatically",
            "    otherwise: verbal_cooperation\n    description: Cooperate diplomatically",
        ),
        "m.yaml:13:5: types.material_cooperation: 'otherwise' goes with 'both_sides: true'",
    ),
    "otherwise-not-a-type": (
        _MAPPING.replace(
            "    description: Cooperate diplomatically",
            "    both_sides: true\n    otherwise: nothing\n"
            "    description: Cooperate diplomatically",
        ),
        "m.yaml:15:16: types.material_cooperation.otherwise: type 'material_cooperation': "
        "'otherwise' names 'nothing', which is not a type of this mapping without 'both_sides'",
    ),
    "template-key-not-allowed": (
        _MAPPING.replace("scenario:\n", "scenario:\n  events: []\n"),
        "m.yaml:22:3: scenario.events: 'scenario' may hold invariants, machine, max_responses, "
        "parameters, rules, tracks, variables; not 'events' (the import writes the rest)",
    ),
    "missing-machine": (
        _MAPPING[:_TEMPLATE] + "scenario:\n  variables: {}\n",
        "m.yaml:21:1: scenario: 'scenario' needs the 'machine' the events drive",
    ),
    "malformed-code": (
        _MAPPING.replace('["09*",', '["9x",'),
        "m.yaml:16:13: types.verbal_conflict.codes[0]: string should match pattern "
        "'^[0-9]{2,4}\\*?$' (got '9x')",
    ),
    "duplicate-key": (
        _MAPPING.replace("codebook: cameo\n", "codebook: cameo\ncodebook: weis\n"),
        "m.yaml:8:1: codebook: duplicate key 'codebook' (first at line 7)",
    ),
}


@pytest.mark.parametrize("name", MAPPINGS)
def test_mapping_errors_are_located(name: str, tmp_path: Path) -> None:
    """A mapping file's mistake is reported at its ``file:line:col``, exit 2, nothing written."""
    text, message = MAPPINGS[name]
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    result = dipsim("import", LEVANT, "--dyad", "EGY-ISR", "--mapping", "m.yaml", "-o", "out.yaml")
    assert (result.exit_code, result.stderr) == (2, f"error: {message}\n")
    assert not (tmp_path / "out.yaml").exists()


def test_mapping_of_another_codebook_refused(tmp_path: Path) -> None:
    """``--codebook weis`` with a CAMEO mapping is a usage error naming both."""
    result = dipsim(
        "import", LEVANT, "--dyad", "EGY-ISR", "--mapping", QUAD, "--codebook", "weis", "-o", "o"
    )
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: the mapping quad-classes.yaml is for CAMEO codes, not WEIS (--codebook)\n"
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ("--dyad", "EGYISR"),
            "Invalid value for '--dyad': 'EGYISR' is not a dyad written A-B (e.g. EGY-ISR)",
        ),
        (
            ("--dyad", "EGY-ISR-USA"),
            "Invalid value for '--dyad': 'EGY-ISR-USA' is not a dyad written A-B (e.g. EGY-ISR)",
        ),
        (
            ("--dyad", "EGY-IS R"),
            "Invalid value for '--dyad': 'IS R' is not an actor code "
            "(capital letters and digits, at most 16)",
        ),
        (
            ("--dyad", "EGY-EGY"),
            "Invalid value for '--dyad': a dyad is two actors, not EGY with itself",
        ),
        (
            ("--actor", "U SA", "--actor", "PRK"),
            "Invalid value for '--actor': 'U SA' is not an "
            "actor code (capital letters and digits, at most 16)",
        ),
        (("--actor", "USA"), "name the relation to import: --dyad A-B, or two or more --actor"),
        (
            ("--dyad", "EGY-ISR", "--from", "1985-01-01", "--until", "1984-12-31"),
            "--until 1984-12-31 is before --from 1985-01-01",
        ),
        (
            ("--dyad", "EGY-ISR", "--from", "1985-02-30"),
            "Invalid value for '--from': '1985-02-30' is not a date: February 1985 has 28 days",
        ),
        (
            ("--dyad", "EGY-ISR", "--max-bad", "1.5"),
            "Invalid value for '--max-bad': 1.5 is not in the range 0.0<=x<=1.0.",
        ),
    ],
    ids=[
        "no-dash",
        "three-actors",
        "space",
        "same-actor",
        "actor-not-a-code",
        "one-actor",
        "until-before-from",
        "not-a-day",
        "max-bad-over-1",
    ],
)
def test_bad_options(args: tuple[str, ...], error: str, tmp_path: Path) -> None:
    """A bad option is a usage error (exit 2) saying what is wrong; nothing is written."""
    result = dipsim("import", LEVANT, *args, "-o", "out.yaml")
    assert result.exit_code == 2
    assert f"Error: {error}" in result.stderr
    assert not (tmp_path / "out.yaml").exists()


@pytest.mark.parametrize(
    ("extra", "kind"), [(0, None), (1, "line too long")], ids=["at-the-limit", "one-past"]
)
def test_longest_line_read_whole(extra: int, kind: str | None) -> None:
    """A line of MAX_LINE bytes (its line end aside) is read; one byte more is a bad row, and
    the next line is still line 3 (at the end of the file too)."""
    line = b"x" * (MAX_LINE + extra)
    for tail in (b"\nnext\n", b""):
        read = list(lines(io.BytesIO(b"first\n" + line + tail)))
        assert read[0] == (1, "first")
        number, text = read[1]
        assert number == 2
        if kind is None:
            assert text == line.decode()
        else:
            assert isinstance(text, BadRow)
            assert text.kind == kind
        assert read[2:] == ([(3, "next")] if tail else [])


def test_a_records_file_bigger_than_max_bytes_is_cited_and_checks(tmp_path: Path) -> None:
    """check reads a scenario's data file a line at a time, not whole: a records file past
    max_bytes is imported and its rows are checked, in constant memory."""
    records = tmp_path / "r.csv"
    records.write_bytes(("date,source,target,code\n" + GOOD.split("\n", 1)[1] * 4).encode())
    out = tmp_path / "out.yaml"
    limit = ("--limit", "max_bytes=8000")
    made = CliRunner().invoke(
        cli, ["import", str(records), "--dyad", "EGY-ISR", "-o", str(out), *limit]
    )
    assert made.exit_code == 0, made.output
    assert records.stat().st_size > 8000
    checked = CliRunner().invoke(cli, ["check", str(out), *limit])
    assert checked.exit_code == 0, checked.output
    # A cited row past the end is still found: the scan counts the lines.
    text = out.read_text(encoding="utf-8").replace("rows: [", "rows: [99999, ", 1)
    out.write_text(text, encoding="utf-8")
    broken = CliRunner().invoke(cli, ["check", str(out), *limit])
    assert broken.exit_code == 2
    assert "row 99999 past the end of r.csv (401 lines)" in broken.output


def test_actor_codes_are_read_in_capitals_as_dyads_are(tmp_path: Path) -> None:
    """--actor egy --actor isr is --dyad egy-isr is --dyad EGY-ISR."""
    made = [
        dipsim("import", LEVANT, *args, "-o", f"{k}.yaml").exit_code
        for k, args in enumerate(
            (("--actor", "egy", "--actor", "isr"), ("--dyad", "egy-isr"), ("--dyad", "EGY-ISR"))
        )
    ]
    assert made == [0, 0, 0]
    texts = [
        (tmp_path / f"{k}.yaml").read_text(encoding="utf-8").split("\n", 4)[4] for k in range(3)
    ]
    assert texts[0] == texts[1] == texts[2]
