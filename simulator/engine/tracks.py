"""Parallel tracks within a run: each relation's place on every track, and firing an event's
type on each of them (statecharts' orthogonal regions, as one machine per track).

A track's machine is a :class:`~simulator.engine.machine.RelationMachine` like the diplomatic
one, built once per scenario and shared; a relation's place on a track is a
:class:`RelationModel`. A scenario without tracks never comes here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.engine.machine import RelationMachine, RelationModel
from simulator.engine.trace import TrackStep

if TYPE_CHECKING:  # not at run time: a cached scenario is run without pydantic (see cache)
    from simulator.scenario.model import Scenario


@dataclass(slots=True)
class OnTrack:
    """One relation's place on one parallel track, within one run."""

    track: str
    machine: RelationMachine
    model: RelationModel


def track_machines(
    scenario: Scenario, like: tuple[tuple[str, RelationMachine], ...] | None = None
) -> tuple[tuple[str, RelationMachine], ...]:
    """The machine of each of ``scenario``'s tracks, in order; ``like``: the machines of a
    scenario with the very same ``tracks`` (a batch's design point), rebound to this one's
    parameters (each machine is itself when none of its guards changes)."""
    if like is not None:
        return tuple((name, m.rebound(scenario.parameters)) for name, m in like)
    return tuple(
        (name, RelationMachine(spec, scenario.parameters, ("tracks", name)))
        for name, spec in scenario.tracks.items()
    )


def on_tracks(tracks: Iterable[tuple[str, RelationMachine]]) -> tuple[OnTrack, ...]:
    """A relation's places on ``tracks`` at the start of a run: each track's initial state."""
    return tuple(OnTrack(name, machine, machine.new_model()) for name, machine in tracks)


def fire_tracks(
    places: tuple[OnTrack, ...], trigger: str, variables: Mapping[str, float]
) -> tuple[TrackStep, ...]:
    """Fire ``trigger`` on each track, in track order; every track's guards read the variables
    as the diplomatic machine's did (after the event's effects)."""
    steps = []
    for on in places:
        before = on.model.state
        outcome = on.machine.fire(on.model, trigger, variables)
        steps.append(TrackStep(on.track, before, on.model.state, outcome.value))
    return tuple(steps)


def moved(steps: Iterable[TrackStep]) -> tuple[TrackStep, ...]:
    """The steps that changed their track's state."""
    return tuple(step for step in steps if step.before != step.after)


__all__ = ["OnTrack", "fire_tracks", "moved", "on_tracks"]
