"""Batch results on disk: chunked, atomic, resumable, streamed (simulator.batch.sinks).

Every behaviour is checked for each format (.parquet, .csv, .jsonl) through the ``suffix``
fixture, so the three writers answer to one suite.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.batch import formats
from simulator.batch.journal import LOCK
from simulator.batch.sinks import (
    FORMATS,
    JOURNAL,
    MANIFEST,
    Column,
    ResultSink,
    SinkError,
    missing_extra,
    read_columns,
    read_rows,
)
from simulator.core.errors import DipsimError
from tests.conftest import ROOT

COLUMNS: list[Column] = [
    ("run", "int"),
    ("chunk", "int"),
    ("share", "float"),
    ("state", "str"),
    ("held", "bool"),
    ("error", "str"),
]
STATES = ("calm", "tense", "broken")
Row = dict[str, object]


def rows_for(chunk_id: int, size: int = 4) -> list[Row]:
    """The rows of one chunk: run ids ``chunk_id * size …``; some values missing, some None."""
    rows: list[Row] = []
    for k in range(size):
        run = chunk_id * size + k
        row: Row = {
            "run": run,
            "chunk": chunk_id,
            "share": None if run % 4 == 3 else run / 7,
            "state": STATES[run % 3],
            "held": run % 2 == 0,
        }
        if run % 5 == 0:
            row["error"] = f'boom, "quoted"\nin run {run} — ünïcode'
        rows.append(row)
    return rows


def expected(chunk_ids: range | list[int], size: int = 4) -> list[Row]:
    """What reading back the rows of these chunks gives: every column, missing ones None."""
    return [
        {name: row.get(name) for name, _ in COLUMNS}
        for chunk_id in chunk_ids
        for row in rows_for(chunk_id, size)
    ]


def write(out: Path, chunk_ids: list[int], *, resume: bool = False, finish: bool = True) -> None:
    """Write these chunks (in this order) with a fresh sink, and finish unless told not to."""
    with ResultSink(out, COLUMNS, "spec-1", resume=resume) as sink:
        for chunk_id in chunk_ids:
            sink.write_chunk(chunk_id, rows_for(chunk_id))
        if finish:
            sink.finish()


def parts_of(out: Path) -> Path:
    """The folder the parts of ``out`` are written to."""
    return Path(f"{out}.parts")


def test_chunks_written_out_of_order_come_back_in_chunk_order(tmp_path: Path, suffix: str) -> None:
    """Chunks may arrive in any order; the results file holds them in chunk (= run id) order."""
    out = tmp_path / f"results{suffix}"
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        for chunk_id in [3, 0, 4, 1, 2]:
            sink.write_chunk(chunk_id, rows_for(chunk_id))
        assert (sink.chunks_written, sink.rows_written) == (5, 20)
        assert sink.completed() == frozenset(range(5))
        assert sink.finish() == out
    assert list(read_rows(out, COLUMNS)) == expected(range(5))
    assert not parts_of(out).exists()
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_parts_sit_beside_the_results_with_a_manifest(tmp_path: Path, suffix: str) -> None:
    """Before finishing, each chunk is a part-NNNNNN file, the manifest describes the batch and
    the journal records each part in the order written, with its rows, size and SHA-256."""
    out = tmp_path / f"results{suffix}"
    write(out, [7, 2], finish=False)
    names = sorted(p.name for p in parts_of(out).iterdir())
    assert names == [JOURNAL, LOCK, MANIFEST, f"part-000002{suffix}", f"part-000007{suffix}"]
    manifest = json.loads((parts_of(out) / MANIFEST).read_text())
    assert manifest == {
        "version": 2,
        "fingerprint": "spec-1",
        "format": suffix,
        "columns": [list(column) for column in COLUMNS],
    }
    lines = [json.loads(line) for line in (parts_of(out) / JOURNAL).read_text().splitlines()]
    assert [(e["chunk"], e["rows"]) for e in lines] == [(7, 4), (2, 4)]
    for e in lines:
        part = parts_of(out) / f"part-{e['chunk']:06d}{suffix}"
        assert e["size"] == part.stat().st_size
        assert e["sha256"] == hashlib.sha256(part.read_bytes()).hexdigest()
    assert not out.exists()


def test_resume_skips_written_chunks_and_gives_the_same_bytes(tmp_path: Path, suffix: str) -> None:
    """An interrupted then resumed batch ends with the bytes of an uninterrupted one.

    Parquet included: pyarrow's output is deterministic for the same rows and writer options.
    """
    whole = tmp_path / "whole" / f"results{suffix}"
    write(whole, [0, 1, 2, 3, 4])

    out = tmp_path / "resumed" / f"results{suffix}"
    write(out, [0, 3], finish=False)
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        assert sink.completed() == frozenset({0, 3})
        assert (sink.chunks_written, sink.rows_written) == (2, 8)
        for chunk_id in sorted(set(range(5)) - sink.completed()):
            sink.write_chunk(chunk_id, rows_for(chunk_id))
        sink.finish()
    assert list(read_rows(out, COLUMNS)) == expected(range(5))
    assert out.read_bytes() == whole.read_bytes()


def test_file_bytes_do_not_depend_on_chunk_size(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same rows cut into chunks of 3 or of 12 give the same results file, byte for byte.

    Parquet row groups (made 10 rows here) are cut by row count, across chunk boundaries.
    """
    monkeypatch.setattr(formats, "ROW_GROUP_ROWS", 10)
    rows = expected(range(9))  # 36 rows
    files = []
    for size in (3, 12):
        out = tmp_path / str(size) / f"results{suffix}"
        with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
            for chunk_id in reversed(range(len(rows) // size)):
                sink.write_chunk(chunk_id, rows[chunk_id * size : (chunk_id + 1) * size])
            files.append(sink.finish().read_bytes())
        assert list(read_rows(out, COLUMNS)) == rows
    assert files[0] == files[1]


def test_a_crash_leaves_nothing_resume_would_trust(tmp_path: Path, suffix: str) -> None:
    """A sink abandoned mid-batch, a temporary file and an unrecorded part left by a killed
    writer: resuming ignores both, keeps the recorded chunks and finishes correctly."""
    out = tmp_path / f"results{suffix}"
    write(out, [0, 1, 2], finish=False)
    stray_temp = parts_of(out) / f".part-000003{suffix}.k1ll3d.tmp"
    stray_temp.write_bytes(b"half a chunk")
    # Killed after renaming its part into place but before updating the manifest:
    unrecorded = parts_of(out) / f"part-000004{suffix}"
    unrecorded.write_bytes(b"not in the manifest")
    stray_out = tmp_path / f".results{suffix}.abc.tmp"  # killed while assembling
    stray_out.write_bytes(b"half a results file")

    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        assert sink.completed() == frozenset({0, 1, 2})
        assert not stray_temp.exists()
        assert not stray_out.exists()
        sink.write_chunk(4, rows_for(4))
        sink.write_chunk(3, rows_for(3))
        sink.finish()
    assert list(read_rows(out, COLUMNS)) == expected(range(5))


#: A batch that writes chunks until it is killed, saying which chunk it has just written.
_WRITER = """
import sys
from pathlib import Path
from tests.test_sinks import COLUMNS, rows_for
from simulator.batch.sinks import ResultSink
sink = ResultSink(Path(sys.argv[1]), COLUMNS, "spec-1", resume=False)
for chunk_id in range(100_000):
    sink.write_chunk(chunk_id, rows_for(chunk_id, 50))
    print(chunk_id, flush=True)
"""


def test_sigkill_mid_batch_then_resume_gives_every_row_once(tmp_path: Path, suffix: str) -> None:
    """A real process killed with SIGKILL while writing: resume keeps at least every chunk it
    reported, and the finished file holds exactly the rows of an uninterrupted batch."""
    out = tmp_path / f"results{suffix}"
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    reported = [int(child.stdout.readline()) for _ in range(3)]
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()

    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        done = sink.completed()
        assert set(reported) <= done
        assert done == frozenset(range(len(done)))  # whole chunks, in the order written
        total = len(done) + 2
        for chunk_id in range(len(done), total):
            sink.write_chunk(chunk_id, rows_for(chunk_id, 50))
        sink.finish()
    assert list(read_rows(out, COLUMNS)) == expected(range(total), 50)


def test_parts_without_resume_are_refused(tmp_path: Path, suffix: str) -> None:
    """An unfinished batch is never overwritten by accident: --resume or delete the folder."""
    out = tmp_path / f"results{suffix}"
    write(out, [0], finish=False)
    with pytest.raises(SinkError, match=r"\.parts holds .*pass --resume.*delete the folder"):
        ResultSink(out, COLUMNS, "spec-1", resume=False)
    assert ResultSink(out, COLUMNS, "spec-1", resume=True).completed() == {0}


def test_resume_refuses_another_spec(tmp_path: Path, suffix: str) -> None:
    """Parts made by a different spec (fingerprint, or columns) are not mixed with this one's."""
    out = tmp_path / f"results{suffix}"
    write(out, [0], finish=False)
    with pytest.raises(SinkError, match=r"were made by a different batch spec.*'spec-1'.*'spec-2'"):
        ResultSink(out, COLUMNS, "spec-2", resume=True)
    with pytest.raises(SinkError, match="different batch spec"):
        ResultSink(out, [*COLUMNS, ("extra", "int")], "spec-1", resume=True)
    with pytest.raises(SinkError, match="different batch spec"):
        ResultSink(out, [(n, "str") for n, _ in COLUMNS], "spec-1", resume=True)


def test_an_existing_results_file_is_never_overwritten(tmp_path: Path, suffix: str) -> None:
    """A results file already there is refused, with or without resume, and left as it was."""
    out = tmp_path / f"results{suffix}"
    out.write_bytes(b"precious")
    for resume in (False, True):
        with pytest.raises(SinkError, match="exists already: delete it or choose another --out"):
            ResultSink(out, COLUMNS, "spec-1", resume=resume)
    assert out.read_bytes() == b"precious"
    assert not parts_of(out).exists()


def test_a_chunk_written_twice_is_an_error(tmp_path: Path, suffix: str) -> None:
    """Nothing twice: a chunk id already written (now or before a resume) is refused."""
    out = tmp_path / f"results{suffix}"
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        sink.write_chunk(0, rows_for(0))
        with pytest.raises(SinkError, match="chunk 0 was written already"):
            sink.write_chunk(0, rows_for(0))
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        with pytest.raises(SinkError, match="chunk 0 was written already"):
            sink.write_chunk(0, rows_for(0))
        sink.finish()
    assert list(read_rows(out, COLUMNS)) == expected([0])


def test_an_interrupted_chunk_is_not_recorded(tmp_path: Path, suffix: str) -> None:
    """Rows that fail midway (an error, Ctrl-C) leave no part, no temporary file, no record."""

    def failing() -> Iterator[Row]:
        yield from rows_for(1)
        raise KeyboardInterrupt

    out = tmp_path / f"results{suffix}"
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        sink.write_chunk(0, rows_for(0))
        with pytest.raises(KeyboardInterrupt):
            sink.write_chunk(1, failing())
        assert sink.completed() == {0}
        assert sorted(p.name for p in parts_of(out).iterdir()) == [
            JOURNAL,
            LOCK,
            MANIFEST,
            f"part-000000{suffix}",
        ]
        sink.write_chunk(1, rows_for(1))
        sink.finish()
    assert list(read_rows(out, COLUMNS)) == expected(range(2))


def test_none_round_trips_in_every_column(tmp_path: Path, suffix: str) -> None:
    """None (and a row with no values at all) reads back as None in every kind of column."""
    out = tmp_path / f"results{suffix}"
    every = {name: None for name, _ in COLUMNS}
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        sink.write_chunk(0, [{}, every, {"run": 0, "held": False, "share": 0.0}])
        sink.finish()
    assert list(read_rows(out, COLUMNS)) == [
        every,
        every,
        {**every, "run": 0, "held": False, "share": 0.0},
    ]


def test_awkward_text_round_trips(tmp_path: Path, suffix: str) -> None:
    """Line breaks of every kind, quotes, commas, NUL and non-ASCII text come back unchanged."""
    texts = ["\r", "\n", "a\r\nb", '"', "x,y", "\x00", "tab\there", "ünï — 中文 🙂", "true", " "]
    out = tmp_path / f"results{suffix}"
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        sink.write_chunk(0, [{"state": text} for text in texts])
        sink.finish()
    assert [row["state"] for row in read_rows(out, COLUMNS)] == texts


def test_an_empty_batch_gives_a_file_with_its_columns(tmp_path: Path, suffix: str) -> None:
    """Finishing with no chunks writes a results file with no rows (but its header or schema)."""
    out = tmp_path / f"results{suffix}"
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        sink.finish()
    assert list(read_rows(out, COLUMNS)) == []
    assert read_columns(out) == (COLUMNS if suffix == ".parquet" else None)


def test_nothing_is_written_after_finish(tmp_path: Path, suffix: str) -> None:
    """A finished sink refuses more chunks and a second finish."""
    out = tmp_path / f"results{suffix}"
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        sink.finish()
        with pytest.raises(SinkError, match="finished"):
            sink.write_chunk(0, rows_for(0))
        with pytest.raises(SinkError, match="finished"):
            sink.finish()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"run": "1"}, "column 'run' holds int values (64-bit), not '1'"),
        ({"run": True}, "column 'run' holds int values (64-bit), not True"),
        ({"run": 2**63}, "column 'run' holds int values (64-bit), not 9223372036854775808"),
        ({"share": "0.5"}, "column 'share' holds float values, not '0.5'"),
        ({"held": 1}, "column 'held' holds bool values, not 1"),
        ({"state": 3}, "column 'state' holds str values, not 3"),
        ({"stat": "calm"}, "a row has columns the batch does not: ['stat']"),
    ],
)
def test_values_of_the_wrong_kind_are_refused(
    tmp_path: Path, suffix: str, row: Row, message: str
) -> None:
    """A value that does not fit its column is refused, quoted; nothing is recorded."""
    out = tmp_path / f"results{suffix}"
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        with pytest.raises(SinkError, match=re.escape(message)):
            sink.write_chunk(0, [row])
        assert sink.completed() == frozenset()


def test_ints_widen_to_float_columns(tmp_path: Path, suffix: str) -> None:
    """An int in a float column is written as a float, so it reads back as one."""
    out = tmp_path / f"results{suffix}"
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        sink.write_chunk(0, [{"share": 1}])
        sink.finish()
    (share,) = (row["share"] for row in read_rows(out, COLUMNS))
    assert isinstance(share, float)
    assert share == 1.0


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([("a", "int"), ("a", "str")], "column 'a' is named twice"),
        ([("a", "number")], "column 'a' has kind 'number'; kinds are int, float, str, bool"),
        ([("", "int")], "a column name is non-empty text, not ''"),
    ],
)
def test_bad_columns_are_refused(tmp_path: Path, columns: list[Column], message: str) -> None:
    """Columns have distinct names and one of the four kinds."""
    with pytest.raises(SinkError, match=message):
        ResultSink(tmp_path / "results.csv", columns, "spec-1", resume=False)


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    """The suffix picks the format; any other suffix is refused by name."""
    with pytest.raises(
        SinkError, match=r"results files are \.parquet, \.csv, \.jsonl, not '\.xlsx'"
    ):
        ResultSink(tmp_path / "results.xlsx", COLUMNS, "spec-1", resume=False)
    with pytest.raises(SinkError, match="not 'no suffix'"):
        read_rows(tmp_path / "results")


def test_reading_a_missing_file_is_an_error(tmp_path: Path, suffix: str) -> None:
    """read_rows says which file is missing, before any row is asked for."""
    with pytest.raises(SinkError, match=r"no results file at .*results"):
        read_rows(tmp_path / f"results{suffix}")


def test_csv_without_columns_reads_as_text(tmp_path: Path) -> None:
    """CSV carries no types: without columns its values come back as text (empty as None)."""
    out = tmp_path / "results.csv"
    write(out, [0])
    first = next(read_rows(out))
    assert first == {
        "run": "0",
        "chunk": "0",
        "share": "0.0",
        "state": "calm",
        "held": "true",
        "error": rows_for(0)[0]["error"],
    }
    assert out.read_bytes().startswith(b"run,chunk,share,state,held,error\r\n0,0,0.0,calm,true,")
    with pytest.raises(SinkError, match="is not the columns"):
        next(read_rows(out, COLUMNS[:2]))


def test_missing_pyarrow_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pyarrow, Parquet is refused with the extra to install; CSV still works."""
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` fail
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(
        SinkError, match=r"writing \.parquet needs pyarrow: pip install 'dipsim\[batch\]'"
    ):
        ResultSink(tmp_path / "results.parquet", COLUMNS, "spec-1", resume=False)
    with pytest.raises(SinkError, match=r"reading \.parquet needs pyarrow"):
        read_columns(tmp_path / "results.parquet")
    write(tmp_path / "results.csv", [0])
    error = missing_extra("dask", "dask", "the dask backend")
    assert isinstance(error, DipsimError)
    assert str(error) == "the dask backend needs dask: pip install 'dipsim[dask]'"


#: Typed values, as a batch produces them (NaN left out: it is never equal to itself).
_VALUES = st.fixed_dictionaries(
    {},
    optional={
        "run": st.none() | st.integers(-(2**63), 2**63 - 1),
        "share": st.none() | st.floats(allow_nan=False),
        "state": st.none() | st.text(min_size=1),  # CSV cannot tell "" from None
        "held": st.none() | st.booleans(),
    },
)


@settings(max_examples=40)
@given(chunks=st.lists(st.lists(_VALUES, max_size=5), max_size=4))
def test_rows_round_trip_in_every_format(chunks: list[list[Row]]) -> None:
    """Any typed rows written in chunks read back unchanged, in chunk order, in every format."""
    want = [{name: row.get(name) for name, _ in COLUMNS} for chunk in chunks for row in chunk]
    with tempfile.TemporaryDirectory() as folder:
        for suffix in FORMATS:
            out = Path(folder) / f"results{suffix}"
            with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
                for chunk_id, chunk in reversed(list(enumerate(chunks))):
                    sink.write_chunk(chunk_id, chunk)
                sink.finish()
            assert list(read_rows(out, COLUMNS)) == want, suffix


#: Finishes a batch (and then reads it back) in a fresh process, reporting peak memory: Python's
#: (tracemalloc) and Arrow's memory pool, which tracemalloc does not see. A one-row batch goes
#: first, so that lazy imports (pyarrow imports pandas, ~30 MB, on first use) are not counted.
_FINISH = """
import json, sys, tracemalloc
from pathlib import Path
from simulator.batch import formats, sinks
from tests.test_sinks import COLUMNS
out = Path(sys.argv[1])
warm_up = out.with_name("warm-up" + out.suffix)
with sinks.ResultSink(warm_up, COLUMNS, "warm-up", resume=False) as sink:
    sink.write_chunk(0, [{"run": 0}])
    list(sinks.read_rows(sink.finish(), COLUMNS))
formats.ROW_GROUP_ROWS = 2_000  # the default (32,768) is about a third of these data
sink = sinks.ResultSink(out, COLUMNS, "spec-1", resume=True)
tracemalloc.start()
sink.finish()
finishing = tracemalloc.get_traced_memory()[1]
tracemalloc.reset_peak()
rows = sum(1 for _ in sinks.read_rows(out, COLUMNS))
reading = tracemalloc.get_traced_memory()[1]
arrow = sys.modules["pyarrow"].default_memory_pool().max_memory() if "pyarrow" in sys.modules else 0
print(json.dumps({"finishing": finishing, "reading": reading, "arrow": arrow, "rows": rows}))
"""


@pytest.mark.slow
def test_memory_stays_flat_while_finishing_and_reading(tmp_path: Path, suffix: str) -> None:
    """200 chunks of 500 rows: finishing and reading back hold about one part (or one Parquet
    row group) at a time, far less than the data. A bound, not a benchmark."""
    out = tmp_path / f"results{suffix}"
    data_size = 0
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        for chunk_id in range(200):
            rows = rows_for(chunk_id, 500)
            data_size += sum(len(json.dumps(row)) for row in rows)
            sink.write_chunk(chunk_id, rows)
    report = subprocess.run(
        [sys.executable, "-c", _FINISH, str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    peaks = json.loads(report.stdout)
    assert peaks["rows"] == 100_000
    bound = data_size / 10  # the data are ~12 MB as JSON; one part is 1/200 of them
    assert peaks["finishing"] < bound, (peaks, data_size)
    assert peaks["reading"] < bound, (peaks, data_size)
    assert peaks["arrow"] < bound, (peaks, data_size)


def test_the_suffix_fixture_covers_every_format() -> None:
    """tests/conftest.py's ``suffix`` names the formats without importing the batch code."""
    assert FORMATS == (".parquet", ".csv", ".jsonl")
