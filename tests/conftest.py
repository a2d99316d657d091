"""Shared fixtures and hypothesis profiles.

Profiles: ``ci`` (derandomised, so CI is repeatable; the default when ``CI`` is set),
``dev`` (random, the default otherwise) and ``deep`` (many more examples, on demand:
``HYPOTHESIS_PROFILE=deep pytest``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=100,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "deep", max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# dipsim's tables take their width from COLUMNS when it is set: the outputs the tests compare
# are those of no terminal (100 columns), whatever the shell running the tests exports.
os.environ.pop("COLUMNS", None)

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
JAN2024 = SCENARIOS / "jan2024.yaml"
#: Batch specs live under scenarios/batches/; every other .yaml under scenarios/ is a scenario.
BATCHES = SCENARIOS / "batches"
#: Exercise starters (and an exercise's batch spec) live under scenarios/exercises/. They are
#: unfinished on purpose: some do not even load until the student has done the exercise, so
#: tests/test_exercises.py checks them, not the tests that replay every shipped scenario.
EXERCISES = SCENARIOS / "exercises"


def scenario_files() -> list[Path]:
    """Every scenario file shipped under scenarios/ (batch specs and exercises excluded)."""
    return sorted(
        p
        for p in SCENARIOS.rglob("*.yaml")
        if BATCHES not in p.parents and EXERCISES not in p.parents
    )


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def jan2024_path() -> Path:
    return JAN2024


@pytest.fixture(params=(".parquet", ".csv", ".jsonl"), ids=lambda suffix: suffix.lstrip("."))
def suffix(request: pytest.FixtureRequest) -> str:
    """Each results format of a batch in turn (``simulator.batch.sinks.FORMATS``)."""
    value: str = request.param
    return value


@pytest.fixture(scope="session", autouse=True)
def scenario_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``dipsim run``'s validated-scenario cache, in a folder of this session's: the tests never
    read or write the user's cache (``~/.cache/dipsim``), and run with the cache on, as users
    do, so every later run of a scenario in the session is a cache hit. Set in the environment,
    so that the commands the tests start as processes use it too."""
    folder = tmp_path_factory.mktemp("scenario-cache")
    saved = {k: os.environ.get(k) for k in ("DIPSIM_CACHE_DIR", "DIPSIM_NO_CACHE")}
    os.environ["DIPSIM_CACHE_DIR"] = str(folder)
    os.environ.pop("DIPSIM_NO_CACHE", None)
    yield folder
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
