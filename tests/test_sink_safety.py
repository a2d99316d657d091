"""The results folder under stress: damaged parts, a torn journal, two writers, a full disk.

Every case ends with a message that names the file and what happened, and with every finished
chunk kept, so that ``--resume`` completes the batch once the cause is gone. Where a real file
system limit matters (a file-size limit), a real subprocess meets it; a full disk, a read-only
folder and permissions (which root ignores) are simulated by making the write fail.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.batch import sinks
from simulator.batch.journal import JOURNAL, read_journal
from simulator.batch.sinks import ResultSink, SinkError, read_rows
from simulator.core.files import write_atomically
from tests.conftest import ROOT
from tests.test_sinks import COLUMNS, expected, parts_of, rows_for, write


def test_a_damaged_part_stops_assembly_and_keeps_every_part(tmp_path: Path, suffix: str) -> None:
    """A part changed after it was written: finish names it, keeps all parts and writes no
    results; --resume runs that chunk again and the file is whole."""
    out = tmp_path / f"results{suffix}"
    write(out, [0, 1, 2], finish=False)
    damaged = parts_of(out) / f"part-000001{suffix}"
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit: the size stays, the digest does not
    damaged.write_bytes(bytes(data))
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        # resume found it and runs it again
        assert sink.completed() == {0, 2}
        assert sink.damaged == [
            f"{damaged.name}: its bytes are not those written (SHA-256 differs)"
        ]
        sink.write_chunk(1, rows_for(1))
        sink.finish()
    assert list(read_rows(out, COLUMNS)) == expected(range(3))


def test_finish_checks_every_part_before_assembling(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"results{suffix}"
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        for chunk_id in range(3):
            sink.write_chunk(chunk_id, rows_for(chunk_id))
        part = parts_of(out) / f"part-000002{suffix}"
        part.write_bytes(part.read_bytes()[:-5])  # truncated
        with pytest.raises(SinkError, match=r"part-000002.* is damaged \(.* bytes where .* were"):
            sink.finish()
    assert not out.exists()
    assert sorted(p.name for p in parts_of(out).glob("part-*")) == [
        f"part-00000{i}{suffix}" for i in range(3)
    ]


def test_a_missing_part_is_run_again(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"results{suffix}"
    write(out, [0, 1], finish=False)
    (parts_of(out) / f"part-000000{suffix}").unlink()
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        assert sink.completed() == {1}
        assert sink.damaged == [f"part-000000{suffix}: it is missing"]


def test_a_torn_journal_line_is_ignored_and_cut(tmp_path: Path, suffix: str) -> None:
    """What a kill in the middle of an append leaves: the chunk is simply run again."""
    out = tmp_path / f"results{suffix}"
    write(out, [0, 1], finish=False)
    journal = parts_of(out) / JOURNAL
    journal.write_bytes(journal.read_bytes() + b'{"chunk":2,"ro')
    assert set(read_journal(journal)[0]) == {0, 1}
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        assert sink.completed() == {0, 1}
        sink.write_chunk(2, rows_for(2))
        sink.finish()
    assert list(read_rows(out, COLUMNS)) == expected(range(3))


def test_entries_after_a_damaged_journal_line_are_not_lost(tmp_path: Path, suffix: str) -> None:
    """A line that does not parse hides what follows it; a resume cuts the journal there, so
    the chunks it then writes are read back by the next resume."""
    out = tmp_path / f"results{suffix}"
    write(out, [0, 1], finish=False)
    journal = parts_of(out) / JOURNAL
    lines = journal.read_bytes().split(b"\n")
    journal.write_bytes(lines[0] + b"\nnot json\n" + lines[1] + b"\n")
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        assert sink.completed() == {0}  # chunk 1's line came after the damage: run it again
        sink.write_chunk(1, rows_for(1))
    assert set(read_journal(journal)[0]) == {0, 1}
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        assert sink.completed() == {0, 1}
        sink.finish()
    assert list(read_rows(out, COLUMNS)) == expected(range(2))


def test_two_writers_of_one_folder_cannot_interleave(tmp_path: Path, suffix: str) -> None:
    """While one sink is open, a second (a --resume of the same batch, or another batch aimed
    at the same --out) is refused at once; once the first lets go, the resume goes on."""
    out = tmp_path / f"results{suffix}"
    first = ResultSink(out, COLUMNS, "spec-1", resume=False)
    first.write_chunk(0, rows_for(0))
    for resume in (True, False):
        with pytest.raises(SinkError, match="being written by another dipsim batch"):
            ResultSink(out, COLUMNS, "spec-1", resume=resume)
    first.close()
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as second:
        assert second.completed() == {0}


_HOLDER = """
import sys, time
from pathlib import Path
from tests.test_sinks import COLUMNS, rows_for
from simulator.batch.sinks import ResultSink
sink = ResultSink(Path(sys.argv[1]), COLUMNS, "spec-1", resume=False)
sink.write_chunk(0, rows_for(0))
print("holding", flush=True)
time.sleep(60)
"""


def test_the_lock_is_held_across_processes_and_dropped_when_one_dies(
    tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"results{suffix}"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(SinkError, match="being written by another dipsim batch"):
            ResultSink(out, COLUMNS, "spec-1", resume=True)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:  # no stale lock
        assert sink.completed() == {0}


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EROFS, "the file system is read-only"),
        (errno.EACCES, "permission denied"),
        (errno.EFBIG, "a file would grow past the largest size allowed here"),
    ],
)
def test_a_write_that_fails_says_why_and_keeps_the_chunks(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch, code: int, why: str
) -> None:
    out = tmp_path / f"results{suffix}"
    write(out, [0, 1], finish=False)
    real = write_atomically

    def failing(*args: object, **kwargs: object) -> object:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(sinks, "write_atomically", failing)
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        with pytest.raises(SinkError) as caught:
            sink.write_chunk(2, rows_for(2))
        message = str(caught.value)
        assert message.startswith(f"{parts_of(out) / f'part-000002{suffix}'}: cannot write: {why}")
        assert "kept in" in message
        assert "--resume" in message
    monkeypatch.setattr(sinks, "write_atomically", real)  # the cause is gone
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        assert sink.completed() == {0, 1}
        sink.write_chunk(2, rows_for(2))
        sink.finish()
    assert list(read_rows(out, COLUMNS)) == expected(range(3))


_LIMITED = """
import resource, signal, sys
from pathlib import Path
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
from tests.test_sinks import COLUMNS, rows_for
from simulator.batch.sinks import ResultSink, SinkError
with ResultSink(Path(sys.argv[1]), COLUMNS, "spec-1", resume=True) as sink:
    try:
        sink.write_chunk(1, rows_for(1, 20_000))
    except SinkError as err:
        print(err)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs POSIX file-size limits")
def test_a_real_file_size_limit_is_reported(tmp_path: Path) -> None:
    """RLIMIT_FSIZE in a real process: the part cannot grow, the message says so."""
    out = tmp_path / "results.csv"
    write(out, [0], finish=False)
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED, str(out), "100000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "cannot write: a file would grow past the largest size allowed here" in done.stdout
    assert "Traceback" not in done.stderr
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        assert sink.completed() == {0}


def test_results_that_appear_meanwhile_are_never_replaced(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"results{suffix}"
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        sink.write_chunk(0, rows_for(0))
        out.write_bytes(b"someone else's file")
        with pytest.raises(SinkError, match="appeared while the batch ran"):
            sink.finish()
    assert out.read_bytes() == b"someone else's file"
    assert (parts_of(out) / f"part-000000{suffix}").exists()
