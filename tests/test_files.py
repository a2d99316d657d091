"""Atomic writes: the whole file or the old one, with the mode a plain open would give."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from simulator.core import files
from simulator.core.errors import DipsimError


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    files._default_mode.cache_clear()
    try:
        yield
    finally:
        os.umask(old)
        files._default_mode.cache_clear()


@pytest.mark.usefixtures("umask_027")
def test_a_written_file_gets_the_umask_mode_not_mkstemps_owner_only(tmp_path: Path) -> None:
    out = files.save_bytes(tmp_path / "deep" / "figure.png", b"data")
    assert out.read_bytes() == b"data"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "results.csv"
    target.write_bytes(b"old")

    def half(file: IO[bytes]) -> None:
        file.write(b"new, half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        files.write_atomically(target, half, suffix=".tmp")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


def test_an_unwritable_place_is_a_dipsim_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DipsimError, match=r"file/out.svg: cannot create the folder .*file"):
        files.save_bytes(blocker / "out.svg", b"<svg/>")
