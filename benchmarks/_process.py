"""What several benchmarks share: the package at another commit, and a command's peak memory.

Imported by the scripts beside it (``python benchmarks/X.py`` puts this folder on the path).
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
#: Seconds between two samples of a process tree's memory.
SAMPLE_EVERY = 0.2


def unpack(rev: str, into: Path) -> Path:
    """The ``simulator`` package at commit ``rev``, unpacked with ``git archive`` into ``into``
    (put ``into`` on ``PYTHONPATH`` to run it)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "simulator"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise SystemExit(f"git cannot give the baseline {rev}: {archive.stderr.decode()[:200]}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def run_in(tree: Path, code: str, *args: object) -> str:
    """Run ``code`` in a fresh interpreter importing ``simulator`` from ``tree``; its stdout
    (exit with its errors if it fails)."""
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        env=dict(os.environ, PYTHONPATH=str(tree)),
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"measuring in {tree} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def machine() -> str:
    """What the figures are measured on."""
    return (
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )


def loads() -> str:
    """The load averages over 1, 5 and 15 minutes."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass(frozen=True)
class Peak:
    """A command run as a subprocess: its wall time and its memory, sampled."""

    seconds: float
    tree: int  # bytes: the peak of the sum of RSS over the process and its descendants
    parent: int  # bytes: the peak RSS of the process alone
    processes: int  # the most processes seen at once
    samples: int


def peak_memory(cmd: list[str], log: Path) -> Peak:
    """Run ``cmd`` (standard error to ``log``), sampling the RSS of its process tree with psutil
    every ``SAMPLE_EVERY`` seconds; exit with its errors if it fails."""
    with log.open("w", encoding="utf-8") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        top = psutil.Process(proc.pid)
        tree = parent = processes = samples = 0
        try:
            while proc.poll() is None:
                try:
                    own = top.memory_info().rss
                    children = top.children(recursive=True)
                except psutil.NoSuchProcess:
                    break
                total = own
                for child in children:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        total += child.memory_info().rss
                tree, parent = max(tree, total), max(parent, own)
                processes = max(processes, 1 + len(children))
                samples += 1
                time.sleep(SAMPLE_EVERY)
        finally:
            if proc.poll() is None:  # this script stopped early: stop the command (Ctrl-C)
                proc.send_signal(signal.SIGINT)
        code = proc.wait()
        seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {code}:\n{log.read_text(encoding='utf-8')}")
    return Peak(seconds, tree, parent, processes, samples)
