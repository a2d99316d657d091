"""dipsim: a diplomatic-relations state machine simulator.

Load a scenario, run it, read the trace::

    from simulator import load_scenario, simulate

    scenario = load_scenario("scenarios/jan2024.yaml")
    trace = simulate(scenario, seed=0)
    for record in trace.records:
        print(record.when.date(), record.type, record.before, "->", record.after)

The heavy parts (pydantic, yaml, simpy, transitions) are imported on first use of these
names, so ``import simulator`` — and ``dipsim --help`` — stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.core.errors import (
    DipsimError,
    ExpressionError,
    Location,
    Problem,
    ScenarioError,
    SimulationError,
)

if TYPE_CHECKING:
    from simulator.batch.runner import run_batch
    from simulator.engine.simulation import Simulator, simulate
    from simulator.engine.trace import Record, Trace
    from simulator.scenario.loading import load_scenario
    from simulator.scenario.model import Scenario

__all__ = [
    "DipsimError",
    "ExpressionError",
    "Location",
    "Problem",
    "Record",
    "Scenario",
    "ScenarioError",
    "SimulationError",
    "Simulator",
    "Trace",
    "load_scenario",
    "run_batch",
    "simulate",
]

_LAZY = {
    "Simulator": "simulator.engine.simulation",
    "simulate": "simulator.engine.simulation",
    "load_scenario": "simulator.scenario.loading",
    "run_batch": "simulator.batch.runner",
    "Scenario": "simulator.scenario.model",
    "Record": "simulator.engine.trace",
    "Trace": "simulator.engine.trace",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
