"""Hypothesis strategies: random but valid scenarios, built as plain data.

Scenarios are drawn as the plain data a YAML file would hold and validated through the real
model, so every generated scenario is one a user could have written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from simulator.scenario.model import Scenario

STATE_POOL = ("s0", "s1", "s2", "s3", "s4")
TRIGGER_POOL = ("a", "b", "c", "d")
ACTORS = ("AAA", "BBB", "CCC")
PAIRS = (("AAA", "BBB"), ("AAA", "CCC"), ("BBB", "CCC"))
GUARDS = ("x >= 0.3", "x < 0.7", "x > 0.2 and x < 0.8", "not (x > 0.5)", "x * 2 >= 1")
START = dt.date(2024, 1, 1)
END = dt.date(2024, 1, 31)


@st.composite
def machine_data(draw: st.DrawFn, with_variable: bool) -> dict[str, Any]:
    """A machine: states, an initial state and transitions (guards only if ``x`` exists)."""
    states = list(draw(st.lists(st.sampled_from(STATE_POOL), min_size=1, max_size=5, unique=True)))
    transitions = []
    for _ in range(draw(st.integers(0, 10))):
        source: Any = draw(
            st.one_of(
                st.just("*"),
                st.lists(st.sampled_from(states), min_size=1, max_size=len(states), unique=True),
            )
        )
        t: dict[str, Any] = {
            "trigger": draw(st.sampled_from(TRIGGER_POOL)),
            "source": source,
            "dest": draw(st.sampled_from(states)),
        }
        if with_variable and draw(st.booleans()):
            t["guard"] = draw(st.sampled_from(GUARDS))
        transitions.append(t)
    return {"states": states, "initial": draw(st.sampled_from(states)), "transitions": transitions}


@st.composite
def scenario_data(draw: st.DrawFn, max_events: int = 30) -> dict[str, Any]:
    """The plain data of a random valid scenario."""
    with_variable = draw(st.booleans())
    machine = draw(machine_data(with_variable))
    pairs = draw(st.lists(st.sampled_from(PAIRS), min_size=1, max_size=3, unique=True))
    relations = []
    for pair in pairs:
        r: dict[str, Any] = {"pair": list(pair)}
        if draw(st.booleans()):
            r["initial"] = draw(st.sampled_from(machine["states"]))
        relations.append(r)
    event_types = {
        trig: {"codes": {"goldstein": draw(st.floats(-10, 10, allow_nan=False))}}
        for trig in TRIGGER_POOL
    }
    data: dict[str, Any] = {
        "dipsim": 1,
        "title": "generated",
        "start": START.isoformat(),
        "end": END.isoformat(),
        "sources": {"src": {"publisher": "test"}},
        "actors": {code: {"name": code} for code in ACTORS},
        "event_types": event_types,
        "machine": machine,
        "relations": relations,
    }
    if with_variable:
        data["variables"] = {
            "x": {
                "initial": draw(st.floats(0, 1)),
                "decay_per_day": draw(st.sampled_from([0.0, 0.05, 0.3])),
                "per_goldstein": draw(st.sampled_from([0.0, -0.03, 0.05])),
            }
        }
    events = []
    for i in range(draw(st.integers(0, max_events))):
        pair = draw(st.sampled_from(pairs))
        if draw(st.booleans()):
            pair = (pair[1], pair[0])
        e: dict[str, Any] = {
            "id": f"e{i}",
            "date": (
                START + dt.timedelta(days=draw(st.integers(0, (END - START).days)))
            ).isoformat(),
            "type": draw(st.sampled_from(TRIGGER_POOL)),
            "actor": pair[0],
            "target": pair[1],
            "summary": f"event {i}",
            "source": {"ref": "src"},
        }
        if draw(st.booleans()):
            e["time"] = f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}"
        if with_variable and draw(st.booleans()):
            e["effects"] = {"x": draw(st.floats(-0.5, 0.5))}
        events.append(e)
    data["events"] = events
    return data


def scenarios(max_events: int = 30) -> st.SearchStrategy[Scenario]:
    """Random valid scenarios."""
    return scenario_data(max_events).map(Scenario.model_validate)
