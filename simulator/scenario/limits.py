"""Limits on input: what a file may contain, the defaults, and how far each may be raised.

This is the one place for input limits: the command line's ``--limit NAME=N`` sets these
fields by name, :func:`simulator.scenario.loading.load_scenario` takes ``limits=Limits(...)``,
and :mod:`simulator.scenario.yamlread` enforces them. Each is documented in docs/checking.md
("Limits"), with its maximum.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    """Bounds on what a YAML file may contain; raise them for big legitimate inputs (up to
    :data:`MAXIMA`: a value above its maximum raises ``ValueError``)."""

    #: Size of the file in bytes (checked before anything is parsed).
    max_bytes: int = 5_000_000
    #: Nesting of mappings and lists (checked while composing, before Python recursion is deep).
    max_depth: int = 50
    #: YAML values, each use of an alias counted in full (an alias bomb trips it early).
    max_nodes: int = 1_000_000
    #: Characters of one text value or key.
    max_string: int = 100_000
    #: Items of a scenario's top-level ``events`` list (checked while composing, so an oversized
    #: list is refused before it is converted or validated).
    max_events: int = 100_000
    #: Design points of a batch (computed from the spec before any is made, so that a grid of
    #: two parameters with a million steps each is refused at once, not after filling memory).
    max_points: int = 1_000_000
    #: Runs of ``dipsim run --runs`` (their outcomes are folded as they come, so memory does not
    #: grow with them; the bound stops a slip of the keyboard from running for days).
    max_runs: int = 100_000_000
    #: Folders, besides the working folder and the named file's own, whose files the paths
    #: written inside files (``extends``, a source's ``file``, a batch spec's ``scenario``) may
    #: reach: the command line's ``--allow-path DIR``. Not a number, so not a ``--limit``.
    allow_paths: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        for name, value in dataclasses.asdict(self).items():
            if name not in MAXIMA:
                continue
            problem = limit_problem(name, value)
            if problem is not None:
                raise ValueError(problem)


#: How far each limit may be raised. Past these a limit protects nothing any more: a file of
#: 2 GB is no scenario, Python's own recursion limit (1,000) stops nesting before 1,000 levels,
#: and a number of a billion values, characters or points is already more than memory holds
#: (a number as large as 10^23 made Python fail with OverflowError before it was bounded).
MAXIMA: dict[str, int] = {
    "max_bytes": 2_000_000_000,
    "max_depth": 1_000,
    "max_nodes": 1_000_000_000,
    "max_string": 1_000_000_000,
    "max_events": 100_000_000,
    "max_points": 1_000_000_000,
    "max_runs": 1_000_000_000_000,
}


def limit_problem(name: str, value: object) -> str | None:
    """What is wrong with ``value`` as the limit ``name`` (a whole number from 1 to its
    maximum), or ``None``."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{name}: a limit is a whole number, not {str(value)[:20]!r}"
    if value < 1:
        return f"{name}: a limit is at least 1, not {value}"
    if value > MAXIMA[name]:
        return f"{name}: a limit is at most {MAXIMA[name]:,} (got {shown_number(value)})"
    return None


def shown_number(value: int) -> str:
    """A whole number for a message: whole up to 20 digits, else its first 12 and its length
    (a number typed by mistake may have thousands of digits)."""
    digits = str(value)
    return digits if len(digits) <= 20 else f"{digits[:12]}... ({len(digits)} digits)"


DEFAULT_LIMITS = Limits()


def limit_hint(name: str, limits: Limits) -> str:
    """``(limit max_bytes=5000000; raise it with --limit max_bytes=N)``: what every limit's
    message ends with, so that the reader knows which limit tripped and how to raise it."""
    return f"(limit {name}={getattr(limits, name)}; raise it with --limit {name}=N)"


__all__ = ["DEFAULT_LIMITS", "MAXIMA", "Limits", "limit_hint", "limit_problem", "shown_number"]
