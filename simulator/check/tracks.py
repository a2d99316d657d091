"""The static analysis of each parallel track (``tracks:``): its states (unreachable, dead
ends, final states with exits), its triggers that never fire, its guards (always or never
true, overlapping), as :func:`simulator.check.analysis.analyse` finds them on the machine.

Each track is analysed as the machine of a copy of the scenario in which it stands in the
machine's place (relations start in its initial state); the findings about that machine are
kept, moved to the track's key path and named by the track. Findings about the rest of the
scenario (events, rules) are the machine's analysis's, made once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from simulator.check.analysis import Finding, analyse
from simulator.core.errors import KeyPath, Location
from simulator.scenario.model import Scenario


def track_findings(scenario: Scenario, locate: Callable[[KeyPath], Location]) -> list[Finding]:
    """The findings of every track of ``scenario``, in track order."""
    return [f for name in scenario.tracks for f in _of_track(scenario, name, locate)]


def _of_track(
    scenario: Scenario, name: str, locate: Callable[[KeyPath], Location]
) -> Iterator[Finding]:
    alone = scenario.as_track(name)

    def moved(path: KeyPath) -> KeyPath:
        return ("tracks", name, *path[1:]) if path[:1] == ("machine",) else path

    for f in analyse(alone, lambda path: locate(moved(path))):
        if f.key_path[:1] == ("machine",):
            path = moved(f.key_path)
            yield Finding(f.severity, f.code, locate(path), path, f"track {name!r}: {f.message}")


__all__ = ["track_findings"]
