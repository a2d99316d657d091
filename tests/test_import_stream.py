"""``dipsim import``'s accounting and streaming, on generated KEDS files.

- Every line is accounted for: a hypothesis property over random small files holds the tally
  (kept, of other actors, outside the dates, not mapped, bad) and the events (one per day,
  actors and type, citing exactly its rows) to a plain model of the rules, written here
  apart from the importer.
- A large file is read in bounded memory: the peak that ``tracemalloc`` sees while importing
  a file 4× longer (with the same records of the dyad among the rest) is about the same, and a
  small part of the file's size. That is the pass over the file (``import_records``); the
  command then validates the scenario made as ``check`` reads it, which scans the cited
  records file a line at a time too: benchmarks/bench_import.py measures both.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import tempfile
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from simulator.cli import cli
from simulator.eventdata.formats import FORMATS, Format
from simulator.eventdata.importer import RecordsError, import_records
from simulator.eventdata.mapping import Mapping, default_mapping_path, load_mapping
from simulator.eventdata.select import Selection
from simulator.eventdata.tables import code_table
from simulator.scenario.yamlread import read_yaml_file
from tests.conftest import ROOT

#: Codes and what the shipped CAMEO mapping makes of them (``None``: left out, not mapped).
TYPES = {
    "161": "break_relations",
    "054": "restore_relations",
    "190": "use_force",
    "1823": "use_force",
    "112": "hostility",
    "042": "cooperation",
    "0871": "cooperation",
    "010": None,
    "020": None,
}
UNKNOWN, MALFORMED = "999", "1x2"  # not a CAMEO code; not a code at all
#: Actor codes and the dyad's actor each counts as, by prefix and exactly.
PREFIX = {"EGY": "EGY", "EGYGOV": "EGY", "ISR": "ISR", "ISRMIL": "ISR", "USA": None, "": None}
EXACT = {"EGY": "EGY", "EGYGOV": None, "ISR": "ISR", "ISRMIL": None, "USA": None, "": None}
START = dt.date(1985, 3, 1)


@pytest.fixture(scope="module")
def mapping() -> Mapping:
    return load_mapping(default_mapping_path("cameo"), set(code_table("cameo").names))


record = st.tuples(
    st.integers(0, 5),  # the day after START
    st.sampled_from(sorted(PREFIX)),
    st.sampled_from(sorted(PREFIX)),
    st.sampled_from([*TYPES, UNKNOWN, MALFORMED]),
    st.integers(0, 19),  # 0: the date is written wrong
)


def model(
    records: list[tuple[int, str, str, str, int]], exact: bool, window: tuple[int, int] | None
) -> tuple[Counter[str], dict[str, list[int]]]:
    """What the rules say becomes of each record: the tally by outcome, and the events (by id:
    day, the actors counted as, type) with the lines they cite."""
    actors = EXACT if exact else PREFIX
    tally: Counter[str] = Counter()
    events: dict[str, list[int]] = defaultdict(list)
    for line, (day, source, target, code, written) in enumerate(records, start=2):
        a, b = actors[source], actors[target]
        if not written or code in (MALFORMED, UNKNOWN) or not source or not target:
            tally["bad"] += 1
        elif a is None or b is None or a == b:
            tally["outside"] += 1
        elif window is not None and not window[0] <= day <= window[1]:
            tally["out_of_window"] += 1
        elif TYPES[code] is None:
            tally["not_mapped"] += 1
        else:
            tally["kept"] += 1
            events[f"{START + dt.timedelta(day)}-{a}-{b}-{TYPES[code]}"].append(line)
    return tally, events


def write_keds(path: Path, records: list[tuple[int, str, str, str, int]]) -> None:
    lines = ["date,source,target,code"]
    for day, source, target, code, written in records:
        date = (START + dt.timedelta(day)).isoformat() if written else "1985-02-30"
        lines.append(f"{date},{source},{target},{code}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@given(
    records=st.lists(record, min_size=1, max_size=40),
    exact=st.booleans(),
    window=st.none() | st.tuples(st.integers(0, 5), st.integers(0, 5)).map(sorted).map(tuple),
)
def test_every_line_accounted_for_and_cited_once(
    mapping: Mapping,
    records: list[tuple[int, str, str, str, int]],
    exact: bool,
    window: tuple[int, int] | None,
) -> None:
    """The tally's parts sum to the rows and match the model; the events are the model's
    (day, actors, type) groups, each citing exactly its rows: every kept row once, no other."""
    tally, events = model(records, exact, window)
    first, last = (None, None) if window is None else (START + dt.timedelta(d) for d in window)
    selection = Selection((("EGY", "ISR"),), exact=exact, first=first, last=last)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.csv"
        write_keds(path, records)
        if not events:
            with pytest.raises(RecordsError):
                import_records(path, mapping, selection, relative_to=Path(folder), max_bad=1.0)
            return
        made = import_records(path, mapping, selection, relative_to=Path(folder), max_bad=1.0)
    t = made.tally
    parts = t.kept + t.outside + t.out_of_window + sum(t.not_mapped.values()) + t.bad_total
    assert parts == t.rows == len(records)
    assert (
        Counter(
            kept=t.kept,
            outside=t.outside,
            out_of_window=t.out_of_window,
            not_mapped=sum(t.not_mapped.values()),
            bad=t.bad_total,
        )
        == tally
    )  # (a missing key is a zero)
    cited = {e["id"]: e["source"]["rows"] for e in made.data["events"]}
    assert cited == events
    assert t.events == len(events)
    # In date order, a day's events in the order of their first rows; each takes the code most
    # of its records have (the smallest of those tied), and that code's Goldstein value.
    order = [(e["date"], e["source"]["rows"][0]) for e in made.data["events"]]
    assert order == sorted(order)
    goldstein = code_table("cameo").goldstein
    for e in made.data["events"]:
        counts = Counter(records[n - 2][3] for n in e["source"]["rows"])
        most = max(counts.values())
        assert e["codes"]["cameo"] == min(c for c, k in counts.items() if k == most)
        assert e["codes"]["goldstein"] == goldstein[e["codes"]["cameo"]]


def synthetic(path: Path, rows: int) -> int:
    """The benchmark's file (benchmarks/bench_import.py, a script, loaded from its path): 200
    records of EGY-ISR among ``rows`` over 30 years; its size in bytes."""
    script = ROOT / "benchmarks" / "bench_import.py"
    spec = importlib.util.spec_from_file_location("bench_import", script)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    size: int = bench.synthetic(path, rows)
    return size


def traced_peak(path: Path, mapping: Mapping) -> tuple[int, int]:
    """The peak of memory Python allocated while importing ``path``, and the events made."""
    tracemalloc.start()
    try:
        made = import_records(path, mapping, Selection((("EGY", "ISR"),)), relative_to=path.parent)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, made.tally.events


def test_large_file_streamed_in_bounded_memory(mapping: Mapping, tmp_path: Path) -> None:
    """20,000 and 80,000 rows (0.5 and 1.9 MB), the same 200 records of the dyad in each: the
    peak is about the same (it holds the dyad's events, not the file) and a small part of the
    larger file. (tracemalloc makes the import ~5× slower: 300,000 rows are measured in
    benchmarks/bench_import.py, not here.)"""
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    synthetic(small, 20_000)
    size = synthetic(large, 80_000)
    peak_small, events_small = traced_peak(small, mapping)
    peak_large, events_large = traced_peak(large, mapping)
    assert events_small > 150
    assert events_large > 150
    assert peak_large < 1.2 * peak_small + 64 * 1024, (peak_small, peak_large)
    assert peak_large < size / 4, (peak_large, size)


def test_an_event_takes_its_most_frequent_code(mapping: Mapping, tmp_path: Path) -> None:
    """A day's records of one act take the code most of them have, the smallest of those
    tied, and that code's Goldstein value; every code is counted in the summary."""
    records = [(0, "EGY", "ISR", c, 1) for c in ("0871", "042", "0871", "042", "036")]
    records += [(1, "EGY", "ISR", c, 1) for c in ("042", "0871", "0871")]
    path = tmp_path / "records.csv"
    write_keds(path, records)
    made = import_records(path, mapping, Selection((("EGY", "ISR"),)), relative_to=tmp_path)
    assert [(e["codes"]["cameo"], e["codes"]["goldstein"]) for e in made.data["events"]] == [
        ("042", 1.9),
        ("0871", 9.0),
    ]
    assert made.data["events"][0]["summary"].endswith("; 5 records (042 ×2, 0871 ×2, 036 ×1)")


#: Lines a fuzzed file is made of: good rows of each format's shape, and pieces of bad ones.
_PIECES = [
    "date,source,target,code",
    '"","date","source","target","code"',
    "1985-03-01,EGY,ISR,042",
    "1985-03-02,ISRMIL,EGYGOV,190",
    "850303\tEGY\tISR\t161",
    "1985-02-30,EGY,ISR,042",
    "1985-03-01,EGY,,042",
    "1985-03-01,EGY,ISR,9999",
    "\t".join(["1", "19850301", "", "", "", "EGY"] + [""] * 9 + ["ISR"] + [""] * 10 + ["042"])
    + "\t" * 31,
    "Event ID\tEvent Date\tSource Country\tTarget Country\tCAMEO Code",
    "7\t1985-03-01\tEgypt\tIsrael\t042",
    "",
    "\ufeff",
    ",,,,",
    "\t\t\t",
]


@given(
    lines=st.lists(st.sampled_from(_PIECES) | st.text(max_size=30), max_size=12),
    noise=st.binary(max_size=20),
    fmt=st.sampled_from([None, *FORMATS]),
)
def test_any_file_is_imported_or_refused(
    mapping: Mapping, lines: list[str], noise: bytes, fmt: Format | None
) -> None:
    """Whatever a file holds, the import makes a scenario or refuses the file with a
    :class:`RecordsError` (a message, exit 2): no other exception escapes."""
    selection = Selection((("EGY", "ISR"),))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.txt"
        path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + noise)
        try:
            made = import_records(path, mapping, selection, fmt=fmt, relative_to=Path(folder))
        except RecordsError:
            return  # refused, with a message
    assert made.tally.events == len(made.data["events"]) > 0


def test_progress_is_told_every_byte(mapping: Mapping, tmp_path: Path) -> None:
    """The progress callback ends on the file's size, out of the file's size."""
    path = tmp_path / "records.csv"
    size = synthetic(path, 10_000)
    told: list[tuple[int, int]] = []
    import_records(
        path,
        mapping,
        Selection((("EGY", "ISR"),)),
        relative_to=tmp_path,
        progress=lambda done, total: told.append((done, total)),
    )
    assert len(told) > 1
    assert told[-1] == (size, size)
    assert [d for d, _ in told] == sorted(d for d, _ in told)


def test_a_busy_day_is_cited_in_several_citations(tmp_path: Path) -> None:
    """10,050 records of one act on one day: one event, its rows cited once each in citations
    of at most 10,000 rows (the format's bound), and the scenario checks."""
    lines = ["date,source,target,code"] + ["1985-03-01,EGY,ISR,042"] * 10_050
    (tmp_path / "busy.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    made = CliRunner().invoke(
        cli,
        ["import", str(tmp_path / "busy.csv"), "--dyad", "EGY-ISR", "-o", str(tmp_path / "s.yaml")],
    )
    assert made.exit_code == 0, made.output
    events = read_yaml_file(tmp_path / "s.yaml").data["events"]
    assert len(events) == 1
    cited = events[0]["source"]
    assert [len(c["rows"]) for c in cited] == [10_000, 50]
    assert [row for c in cited for row in c["rows"]] == list(range(2, 10_052))
    checked = CliRunner().invoke(cli, ["check", str(tmp_path / "s.yaml")])
    assert checked.exit_code == 0, checked.output
