"""The January 2024 replay tells the story the articles tell."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest

from simulator.engine.simulation import simulate
from simulator.engine.trace import Record, Trace
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario
from tests.conftest import JAN2024

PAK_IRN = "PAK-IRN"


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(JAN2024)


@pytest.fixture(scope="module")
def trace(scenario: Scenario) -> Trace:
    return simulate(scenario)


def _state_on(trace: Trace, day: int) -> str:
    return trace.states_on(dt.date(2024, 1, day))[PAK_IRN]


@pytest.mark.parametrize(
    ("day", "state"),
    [
        (15, "normal"),  # before Iran's strikes
        (16, "strained"),  # Iran's strikes of 16 January
        (17, "envoys_recalled"),  # Pakistan recalls its ambassador and bars Iran's
        (18, "envoys_recalled"),  # still recalled through Pakistan's strikes
        (22, "envoys_recalled"),  # ... and through the agreement to de-escalate
        (25, "envoys_recalled"),
        (26, "restored"),  # both ambassadors back at their posts
        (27, "restored"),  # the killing of nine Pakistanis is absorbed
        (28, "restored"),
        (29, "normal"),  # the Iranian foreign minister's visit
        (31, "normal"),
    ],
)
def test_pak_irn_state_by_day(trace: Trace, day: int, state: str) -> None:
    """PAK-IRN is in the state the issue and the articles require at the end of each day."""
    assert _state_on(trace, day) == state


def _record(trace: Trace, event: str) -> Record:
    return next(r for r in trace.records if r.event == event)


def test_strikes_of_18_january_find_envoys_recalled(trace: Trace) -> None:
    """Pakistan's strikes have no transition out of envoys_recalled: recorded, not dropped."""
    r = _record(trace, "pakistan-strikes-iran")
    assert (r.before, r.after, r.outcome) == ("envoys_recalled", "envoys_recalled", "no_transition")


def test_27_january_attack_is_absorbed_by_an_explicit_guard(
    scenario: Scenario, trace: Trace
) -> None:
    """The 27 January killings meet a transition whose guard fails: tension below the threshold."""
    r = _record(trace, "saravan-killings")
    assert (r.before, r.after, r.outcome) == ("restored", "restored", "guard_failed")
    guards = [
        t.guard
        for t in scenario.machine.transitions
        if t.trigger == "militant_attack" and "restored" in t.source
    ]
    assert len(guards) == 1
    assert guards[0] is not None
    assert not guards[0](r.variables)


def test_every_event_is_recorded(scenario: Scenario, trace: Trace) -> None:
    """No event is dropped: one record per event, and every event cites a source."""
    assert sorted(r.event for r in trace.records) == sorted(e.id for e in scenario.events)
    assert all(e.source for e in scenario.events)


def test_file_sources_are_the_seed_articles(scenario: Scenario) -> None:
    """The two article sources are the seed files, cited by file name."""
    files = {s.file for s in scenario.sources.values() if s.file}
    assert files == {"sources/000_f36eace63d7a6c10.txt", "sources/004_05f6971858b76f8a.txt"}
    for f in files:
        assert (JAN2024.parent / f).is_file()


def test_the_articles_are_unchanged_copies() -> None:
    """The articles (and the other files of sources/: a slice of event data) match the
    checksums recorded when they were copied (sources/SHA256SUMS)."""
    sources = JAN2024.parent / "sources"
    recorded: dict[str, str] = {}
    for line in (sources / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        recorded[name] = digest
    kept = {p.name for p in sources.iterdir() if p.name not in {"README.md", "SHA256SUMS"}}
    assert set(recorded) == kept
    for name, digest in recorded.items():
        assert hashlib.sha256((sources / name).read_bytes()).hexdigest() == digest, name


def test_every_dated_fact_of_the_articles_is_an_event(scenario: Scenario) -> None:
    """Each day the articles name (16, 26, 29 January, "two days later", Saturday) has an event."""
    days = {e.day.day for e in scenario.events if e.relation_pair and "PAK" in e.relation_pair}
    assert {16, 18, 26, 27, 29} <= days


def test_third_parties_named_by_the_articles_are_actors(scenario: Scenario) -> None:
    """The United States, the European Union and China are actors, each with an event."""
    assert {"USA", "EU", "CHN"} <= set(scenario.actors)
    assert {"USA", "EU", "CHN"} <= {code for e in scenario.events for code in e.actor}


def test_inferred_dates_name_a_reason(scenario: Scenario) -> None:
    """Where the articles give no date, the event says so and why (a date_note)."""
    inferred = [e for e in scenario.events if e.date_basis == "inferred"]
    assert inferred, "the articles leave some dates out; the scenario must say so"
    assert all(e.date_note and len(e.date_note) > 20 for e in inferred)


def test_caused_by_links_exist(scenario: Scenario) -> None:
    """Pakistan's retaliation, recall and the summons name their causes."""
    causes = {e.id: set(e.caused_by) for e in scenario.events}
    assert "iran-strikes-pakistan" in causes["pakistan-strikes-iran"]
    assert "iran-strikes-pakistan" in causes["pakistan-recalls-ambassador"]
    assert "pakistan-strikes-iran" in causes["iran-summons-pakistani-envoy"]


def test_mission_states_only(scenario: Scenario) -> None:
    """The replay uses exactly the mission's four states; richer machines live elsewhere."""
    assert scenario.machine.state_names == ("normal", "restored", "strained", "envoys_recalled")


def test_quotes_are_verbatim(scenario: Scenario) -> None:
    """Every quote appears in its article (whitespace aside); the loader checks this too."""
    texts = {
        sid: " ".join((JAN2024.parent / s.file).read_text(encoding="utf-8").split())
        for sid, s in scenario.sources.items()
        if s.file
    }
    count = 0
    for e in scenario.events:
        for c in e.source:
            if c.ref in texts:
                assert c.quote is not None
                assert " ".join(c.quote.split()) in texts[c.ref], (e.id, c.quote)
                count += 1
    assert count >= len(scenario.events)


def test_source_file_names_in_header_comment() -> None:
    """The scenario's opening comment names both article files."""
    header = "".join(
        line
        for line in JAN2024.read_text(encoding="utf-8").splitlines(True)
        if line.startswith("#")
    )
    assert re.search(r"000_f36eace63d7a6c10\.txt", header)
    assert re.search(r"004_05f6971858b76f8a\.txt", header)
    assert Path(JAN2024).name == "jan2024.yaml"
