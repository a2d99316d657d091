"""Whole-process wall time of dipsim's commands, against a bare ``import yaml, click``.

Each command is started as a fresh process N times. The runs are interleaved — every round
runs every command once, in an order rotated from round to round — so that whatever else the
machine is doing slows all of them alike. A warm-up round (not counted) fills the bytecode and
file caches first. Figures are the median and the minimum of the rounds. The ratio to the
baseline, measured in the same run, is taken round by round (each command's time over the
baseline's in the same round) and the median of those is shown, with min over min beside it.

The commands run with Python allowed to write bytecode (``PYTHONDONTWRITEBYTECODE`` is taken out
of their environment), as an installed dipsim runs: pip compiles a package when it installs it,
and an editable checkout gets its ``__pycache__`` on the first run (the warm-up round). Without
bytecode every dipsim module would be compiled from source on every start, which no user pays.

``dipsim run`` keeps the scenarios it has validated in a cache (``simulator/scenario/cache.py``):
run again on the same files, it rebuilds the scenario without YAML, pydantic or checks. Both
cases are timed: the *cache hit* (every run after the first, the usual case) and the *cache
miss* (the first run of a file, or after any change to it: validation as before, plus writing
the entry), each command with a cache folder of its own in a temporary folder (the user's
cache is never touched); the miss's folder is emptied before each of its runs (not timed).
``--no-cache`` shows the run without the cache at all.

Floor (issue 10): ``dipsim run scenarios/jan2024.yaml`` at most 3× the baseline, on a hit; the
miss is shown beside it, with its ratio, so that the first run's cost is not hidden.

Run from anywhere::

    .venv/bin/python benchmarks/bench_startup.py            # 20 rounds
    .venv/bin/python benchmarks/bench_startup.py --quick    # 3 rounds, a smoke run
    .venv/bin/python benchmarks/bench_startup.py --rounds 50
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "jan2024.yaml"
#: The run of the main job may take at most this many times the baseline (issue 10).
FLOOR = 3.0
#: The environment of every timed process: bytecode may be written and read (see above).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass(frozen=True)
class Command:
    """One process to time."""

    label: str
    argv: tuple[str, ...]
    #: The command's own validated-scenario cache folder (``DIPSIM_CACHE_DIR``), if any.
    cache: Path | None = None
    #: Empty the cache folder before each run (untimed): every run is a cache miss.
    cold: bool = False

    def environment(self) -> dict[str, str]:
        return {**ENV, **({"DIPSIM_CACHE_DIR": str(self.cache)} if self.cache else {})}


#: The label of the command whose ratio the floor is about, and of its first-run twin.
HIT = "dipsim run scenarios/jan2024.yaml (cache hit)"
MISS = "dipsim run scenarios/jan2024.yaml (cache miss)"


def commands(folder: Path) -> list[Command]:
    """The commands measured; the first is the baseline. ``folder``: for the caches."""
    python = sys.executable
    dipsim = str(Path(python).parent / "dipsim")
    run = (dipsim, "run", str(SCENARIO))
    return [
        Command('python -c "import yaml, click"', (python, "-c", "import yaml, click")),
        Command("dipsim --help", (dipsim, "--help")),
        Command(HIT, run, cache=folder / "hit"),
        Command(MISS, run, cache=folder / "miss", cold=True),
        Command("dipsim run scenarios/jan2024.yaml --no-cache", (*run, "--no-cache")),
        Command("python -m simulator --help", (python, "-m", "simulator", "--help")),
    ]


def time_once(command: Command) -> float:
    """Wall time of one run of ``command``, in seconds; its output goes to /dev/null."""
    if command.cold and command.cache is not None:
        shutil.rmtree(command.cache, ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run(
        command.argv,
        cwd=ROOT,
        env=command.environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        # A benchmark of a failing command measures nothing; say so rather than print a figure.
        message = done.stderr.decode(errors="replace").strip()
        raise SystemExit(f"{command.label!r} exited with status {done.returncode}:\n{message}")
    return elapsed


def measure(cmds: list[Command], rounds: int) -> dict[str, list[float]]:
    """Seconds per run of each command, ``rounds`` interleaved rounds after one warm-up round
    (which also fills the hit's cache)."""
    for command in cmds:
        time_once(command)
    hit = next(c for c in cmds if c.label == HIT)
    if hit.cache is None or not any(hit.cache.glob("*.json")):
        raise SystemExit(f"{HIT!r} wrote no cache entry: its runs would be misses")
    times: dict[str, list[float]] = {c.label: [] for c in cmds}
    for r in range(rounds):
        shift = r % len(cmds)
        for command in cmds[shift:] + cmds[:shift]:
            times[command.label].append(time_once(command))
    return times


def machine_line() -> str:
    """What the figures were measured on."""
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )


def report(cmds: list[Command], times: dict[str, list[float]], rounds: int) -> str:
    """The results as a plain-text table."""
    base = times[cmds[0].label]
    width = max(len(c.label) for c in cmds)
    lines = [
        f"bench_startup: {rounds} interleaved rounds (after 1 warm-up); {machine_line()}",
        f"baseline: {cmds[0].label}; × base = median over rounds of (command / baseline)",
        "",
        f"{'command':<{width}}  {'median ms':>9}  {'min ms':>7}  {'× base':>6}  "
        f"{'× base (min/min)':>16}",
        f"{'-' * width}  {'-' * 9}  {'-' * 7}  {'-' * 6}  {'-' * 16}",
    ]
    ratios = {}
    for c in cmds:
        mine = times[c.label]
        ratios[c.label] = paired = statistics.median(t / b for t, b in zip(mine, base, strict=True))
        lines.append(
            f"{c.label:<{width}}  {statistics.median(mine) * 1e3:9.1f}  "
            f"{min(mine) * 1e3:7.1f}  {paired:6.2f}  {min(mine) / min(base):16.2f}"
        )
    run = ratios[HIT]
    verdict = "floor met" if run <= FLOOR else "floor NOT met"
    lines += [
        "",
        f"floor: {HIT} ≤ {FLOOR}× base — measured {run:.2f}×: {verdict}",
        f"(the first run of a file, {MISS}: {ratios[MISS]:.2f}×)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse the options, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 rounds: a smoke run (a few s).")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        metavar="N",
        help="interleaved rounds (default 20; 3 with --quick).",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds if args.rounds is not None else (3 if args.quick else 20)
    if rounds < 1:
        parser.error(f"--rounds must be at least 1, not {rounds}")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        cmds = commands(Path(folder))
        print(report(cmds, measure(cmds, rounds), rounds))


if __name__ == "__main__":
    main()
