"""A scenario as the engine takes it: a :class:`Scenario` or the path of its file
(:func:`as_scenario`), its clock (:func:`days_since`: days since midnight at ``start``) and what
a scripted event does to the variables (:func:`event_effects`). Re-exported by
:mod:`simulator.engine.simulation`, where they were first.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

from simulator.engine.responses import effects_for
from simulator.scenario.traits import ScenarioTraits

if TYPE_CHECKING:  # not at run time: a cached scenario is run without pydantic (see cache)
    from simulator.scenario.model import EventSpec, Scenario

DAY_SECONDS = 86_400.0


def days_since(start: dt.date, when: dt.datetime) -> float:
    """Simulated time of ``when``: days (a float) since midnight of ``start``."""
    return (when - dt.datetime.combine(start, dt.time())).total_seconds() / DAY_SECONDS


def as_scenario(scenario: Scenario | str | os.PathLike[str]) -> Scenario:
    """A :class:`Scenario` as it is, or the one loaded from a scenario file's path.

    Raises:
        TypeError: Neither a Scenario nor a path (the message says what to pass).
        ScenarioError: The file is not a valid scenario.
    """
    if isinstance(scenario, str | os.PathLike):
        from simulator.scenario.loading import load_scenario

        return load_scenario(os.fspath(scenario))
    # A model or a cache's record of one (simulator.scenario.records): both have its traits.
    if isinstance(scenario, ScenarioTraits):
        return scenario
    raise TypeError(
        "expected a Scenario (simulator.load_scenario(path) returns one) or the path of a "
        f"scenario file, not {type(scenario).__name__}"
    )


def event_effects(scenario: Scenario, event: EventSpec) -> dict[str, float]:
    """The change a scripted event makes to each variable (see
    :func:`simulator.engine.responses.effects_for`)."""
    return dict(effects_for(scenario, scenario.codes_of(event), event.effects))


__all__ = ["DAY_SECONDS", "as_scenario", "days_since", "event_effects"]
