"""Fuzzing what a run does with what loading accepted: whatever the expressions (texts of the
guard language over random variable values) and whatever the delays, a scenario loads and runs,
or dipsim says why — a located ``ScenarioError`` while loading, a ``SimulationError`` naming the
key at fault while running — and never any other exception.

Expressions are drawn from the language's grammar (numbers from 0 to 1e308, the variables, a
parameter, the operators, comparisons, ``and``/``or``/``not``, ``a if c else b`` and the named
functions with their arities) and put where a run evaluates them: a transition's guard, a
rule's ``when`` and ``cancel_on`` guards and its probability. Delays are drawn from every
distribution, with values from 0 to 1e308, in and out of range.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, note
from hypothesis import strategies as st

from simulator.core.errors import ScenarioError, SimulationError
from simulator.core.expressions import FUNCTIONS
from simulator.engine.simulation import Simulator
from simulator.scenario.loading import scenario_from_text
from simulator.scenario.yamlread import dump_yaml

#: Numbers that break arithmetic one way or another, and some ordinary ones.
NUMBERS = st.sampled_from(
    ["0", "1", "2", "0.5", "-1", "1e308", "1e-308", "10", "1000", "0.0", "3.75", "1e20"]
)
NAMES = st.sampled_from(["tension", "trust", "limit", "true", "false"])
BINARY = st.sampled_from(
    ["+", "-", "*", "/", "**", "%", "<", "<=", ">", ">=", "==", "!=", "and", "or"]
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def calls(name: str) -> st.SearchStrategy[str]:
        arity = FUNCTIONS[name][1]
        args = st.lists(children, min_size=arity or 1, max_size=arity or 3)
        return args.map(lambda a: f"{name}({', '.join(a)})")

    call = st.sampled_from(sorted(FUNCTIONS)).flatmap(calls)
    return st.one_of(
        st.tuples(children, BINARY, children).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        children.map(lambda e: f"-({e})"),
        children.map(lambda e: f"not ({e})"),
        st.tuples(children, children, children).map(
            lambda t: f"({t[0]}) if ({t[1]}) else ({t[2]})"
        ),
        call,
    )


EXPRESSIONS = st.recursive(NUMBERS | NAMES, _combine, max_leaves=10)

#: Values from the ordinary to the absurd for a delay's numbers.
DAYS = st.one_of(
    st.sampled_from([0, 0.5, 1, 36_500, 36_501, 1e9, 1e308]),
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
)
DELAYS: st.SearchStrategy[dict[str, Any]] = st.one_of(
    DAYS.map(lambda d: {"fixed": d}),
    st.lists(DAYS, min_size=2, max_size=2).map(lambda v: {"uniform": sorted(v)}),
    st.lists(DAYS, min_size=3, max_size=3).map(lambda v: {"triangular": sorted(v)}),
    DAYS.filter(lambda d: d > 0).map(lambda d: {"exponential": d}),
    st.tuples(DAYS.filter(lambda d: d > 0), st.sampled_from([0, 0.5, 3, 10, 11, 1000])).map(
        lambda t: {"lognormal": {"median": t[0], "sigma": t[1]}}
    ),
)


def scenario(
    guards: list[str], probability: str, delay: dict[str, Any], values: list[float]
) -> dict[str, Any]:
    """Two actors, a strike answered by a talk (and talks by strikes: a cascade the cap ends),
    the expressions where a run evaluates them."""
    tension, trust, bound = values
    return {
        "dipsim": 1,
        "title": "fuzz",
        "start": "2024-01-01",
        "end": "2024-01-20",
        "sources": {"src": {"publisher": "test"}},
        "actors": {"AAA": {"name": "A"}, "BBB": {"name": "B"}},
        "event_types": {"strike": {"codes": {"goldstein": -10}}, "talk": {}},
        "machine": {
            "states": ["calm", "tense"],
            "initial": "calm",
            "transitions": [
                {"trigger": "strike", "source": "calm", "dest": "tense", "guard": guards[0]},
                {"trigger": "talk", "source": "*", "dest": "calm"},
            ],
        },
        "variables": {
            "tension": {"initial": tension, "min": -bound, "max": bound, "per_goldstein": -0.1},
            "trust": {"initial": trust, "min": -bound, "max": bound},
        },
        "parameters": {"limit": values[0]},
        "relations": [{"pair": ["AAA", "BBB"]}],
        "events": [
            {
                "id": f"e{i}",
                "date": f"2024-01-{i + 2:02d}",
                "type": "strike",
                "actor": "AAA",
                "target": "BBB",
                "summary": "s",
                "source": {"ref": "src"},
            }
            for i in range(3)
        ],
        "rules": [
            {
                "id": "answer",
                "when": {"type": "strike", "guard": guards[1]},
                "respond": {"type": "talk"},
                "probability": probability,
                "delay": delay,
                "cancel_on": {"type": "strike", "guard": guards[2]},
                "max_fires": 5,
            }
        ],
        "max_responses": 20,
    }


def load_and_run(data: dict[str, Any], seeds: range) -> None:
    """Load and run; dipsim's own errors are answers, anything else fails the test."""
    text = dump_yaml(data)
    note(text)
    try:
        loaded = scenario_from_text(text)
    except ScenarioError as err:
        refused: ScenarioError | None = err
    else:
        refused = None
    if refused is not None:
        assert all(p.location.line is not None for p in refused.problems), str(refused)
        return
    sim = Simulator(loaded)
    for seed in seeds:
        failed: SimulationError | None = None
        try:
            sim.run(seed)
            sim.outline(seed)
        except SimulationError as err:
            failed = err
        if failed is not None:
            # Named where it is written, so that the command line can place it.
            assert failed.key_path, str(failed)
            assert failed.key_path[0] in ("rules", "machine"), failed.key_path


VALUES = st.lists(
    st.sampled_from([0.0, 0.5, -0.5, 1.0, 1e-300, 1e300]), min_size=3, max_size=3
).map(lambda v: [v[0], v[1], max(abs(v[0]), abs(v[1]), abs(v[2]), 1.0)])


@given(
    guards=st.lists(EXPRESSIONS, min_size=3, max_size=3),
    probability=EXPRESSIONS,
    values=VALUES,
)
def test_random_expressions_run_or_fail_with_dipsims_errors(
    guards: list[str], probability: str, values: list[float]
) -> None:
    load_and_run(scenario(guards, probability, {"fixed": 1}, values), range(2))


@given(delay=DELAYS, seed=st.integers(min_value=0, max_value=2**32))
def test_random_delays_run_or_are_refused_with_locations(delay: dict[str, Any], seed: int) -> None:
    load_and_run(
        scenario(["tension < 1", "true", "false"], "0.9", delay, [0.0, 0.0, 1.0]),
        range(seed, seed + 3),
    )
