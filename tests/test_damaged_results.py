"""Damaged or misnamed results files: ``dipsim summarize`` (and a resumed batch) says which file
and what is wrong, exits 2, and never shows a traceback.

Parquet has no checksum of its own for most of its bytes, so a flipped bit may also go unseen
and read as other values: then the command succeeds. Either way, no crash.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.batch.sinks import ResultSink, read_rows
from simulator.cli import cli
from tests.test_file_kinds import small_results
from tests.test_sinks import COLUMNS, rows_for

pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a good Parquet results file of a small batch."""
    out = small_results(tmp_path_factory.mktemp("good"), "r.parquet")
    assert summarize(out) == (0, "")
    return out.read_bytes()


def summarize(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["summarize", str(path)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.parquet", lambda _good: b"", "empty.parquet: not a Parquet file: it is empty"),
        (
            "cut.parquet",
            lambda good: good[: len(good) // 2],
            "cut.parquet: a damaged Parquet file, cut short or changed (",
        ),
        (
            "text.parquet",
            lambda _good: b"run,chunk\n1,2\n",
            "text.parquet: not a Parquet file (it does not begin with PAR1); it looks like "
            "text: is it CSV or JSON Lines?",
        ),
        (
            "parquet.csv",
            lambda good: good,
            "parquet.csv: this is a Parquet file, not CSV: name it .parquet",
        ),
        (
            "parquet.jsonl",
            lambda good: good,
            "parquet.jsonl: this is a Parquet file, not JSON Lines: name it .parquet",
        ),
        (
            "latin1.csv",
            lambda _good: b"run,state\n1,caf\xe9\n",
            "latin1.csv:2: not UTF-8 text (byte 0xe9 at column 6)",
        ),
        (
            "huge.csv",
            lambda _good: b"run,state\n1," + b"x" * 200_000 + b"\n",
            "huge.csv:2: not CSV (field larger than field limit (131072))",
        ),
        ("empty.csv", lambda _good: b"", "empty.csv: no rows"),
    ],
    ids=lambda v: v if isinstance(v, str) and "." in v and ":" not in v else "",
)
def test_a_damaged_or_misnamed_results_file_is_a_located_message(
    name: str, content: Callable[[bytes], bytes], message: str, parquet: bytes, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_bytes(content(parquet))
    status, stderr = summarize(path)
    assert status == 2, stderr
    assert stderr.startswith(f"error: {path.parent}/{message}"), stderr


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("damaged")


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["flip", "cut", "zeros"]))
def test_a_randomly_damaged_parquet_file_never_crashes(
    parquet: bytes, scratch: Path, seed: int, kind: str
) -> None:
    """Bits flipped, the file cut or a run of bytes zeroed: exit 0 (the damage went unseen)
    or 2 with one ``error:`` line naming the file, never a traceback."""
    rng = random.Random(seed)
    data = bytearray(parquet)
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == "cut":
        del data[rng.randrange(len(data)) :]
    else:
        start = rng.randrange(len(data))
        data[start : start + 64] = bytes(len(data[start : start + 64]))
    path = scratch / "damaged.parquet"
    path.write_bytes(bytes(data))
    status, stderr = summarize(path)
    assert status in (0, 2)
    if status == 2:
        assert stderr.startswith(f"error: {path}"), stderr


@pytest.mark.parametrize("damage", ["cut", "flip", "fifo"])
def test_a_damaged_parquet_part_is_named_on_resume_and_run_again(
    damage: str, tmp_path: Path
) -> None:
    """A part changed on disk (cut, a bit flipped, replaced by a FIFO) is found by its SHA-256
    (or its kind) when the batch resumes: named, and its chunk written again."""
    out = tmp_path / "r.parquet"
    with ResultSink(out, COLUMNS, "spec-1", resume=False) as sink:
        for chunk_id in range(3):
            sink.write_chunk(chunk_id, rows_for(chunk_id))
    part = sorted(Path(f"{out}.parts").glob("part-*"))[0]
    data = part.read_bytes()
    part.unlink()
    if damage == "cut":
        part.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        part.write_bytes(data[:40] + bytes([data[40] ^ 1]) + data[41:])
    else:
        os.mkfifo(part)
    with ResultSink(out, COLUMNS, "spec-1", resume=True) as sink:
        assert [d.split(":")[0] for d in sink.damaged] == [part.name]
        if damage == "fifo":
            assert sink.damaged == [f"{part.name}: it is a FIFO (named pipe), not a regular file"]
        for chunk_id in sorted(set(range(3)) - sink.completed()):
            sink.write_chunk(chunk_id, rows_for(chunk_id))
        sink.finish()
    assert [r["run"] for r in read_rows(out, COLUMNS)] == list(range(12))
