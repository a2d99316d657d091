"""The India–Pakistan 2019 replay tells the story its stored articles tell."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from simulator.engine.simulation import simulate
from simulator.engine.trace import Record, Trace
from simulator.scenario.loading import load_scenario
from simulator.scenario.model import Scenario, UncertainDate
from tests.conftest import SCENARIOS

INDIA2019 = SCENARIOS / "india-pakistan-2019.yaml"
IND_PAK = "IND-PAK"


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(INDIA2019)


@pytest.fixture(scope="module")
def trace(scenario: Scenario) -> Trace:
    return simulate(scenario)


def _record(trace: Trace, event: str) -> Record:
    return next(r for r in trace.records if r.event == event)


@pytest.mark.parametrize(
    ("month", "day", "state"),
    [
        (2, 13, "normal"),  # before the attack
        (2, 14, "strained"),  # Pulwama: India holds Pakistan responsible
        (2, 15, "envoys_recalled"),  # India calls its high commissioner home
        (2, 18, "envoys_recalled"),  # ... and Pakistan its own
        (2, 27, "envoys_recalled"),  # through the strikes and the aerial clash
        (3, 1, "envoys_recalled"),  # the pilot is back, the envoys not yet
        (3, 8, "envoys_recalled"),
        (3, 9, "restored"),  # both high commissioners back at their posts
        (3, 10, "restored"),
    ],
)
def test_ind_pak_state_by_day(trace: Trace, month: int, day: int, state: str) -> None:
    """IND-PAK is in the state the issue's dates require at the end of each day."""
    assert trace.states_on(dt.date(2019, month, day))[IND_PAK] == state


def test_the_issue_dates_are_events(scenario: Scenario) -> None:
    """Each date the issue names (14, 15, 18, 26, 27 February; 1, 9 March) has its event."""
    dated = {e.id: e.date for e in scenario.events}
    assert dated["pulwama-attack"] == dt.date(2019, 2, 14)
    assert dated["india-recalls-high-commissioner"] == dt.date(2019, 2, 15)
    assert dated["pakistan-recalls-high-commissioner"] == dt.date(2019, 2, 18)
    assert dated["balakot-strike"] == dt.date(2019, 2, 26)
    assert dated["aerial-clash"] == dt.date(2019, 2, 27)
    assert dated["pilot-returned"] == dt.date(2019, 3, 1)
    assert dated["high-commissioners-return"] == dt.date(2019, 3, 9)


def test_the_captive_blocks_the_return_until_he_is_back(trace: Trace) -> None:
    """captives counts the pilot from his capture to his return; the envoys return at zero."""
    assert _record(trace, "pilot-captured").variables["captives"] == 1
    assert _record(trace, "pilot-returned").variables["captives"] == 0
    r = _record(trace, "high-commissioners-return")
    assert (r.before, r.after, r.outcome) == ("envoys_recalled", "restored", "transition")


def test_every_event_cites_a_stored_article_with_a_verbatim_quote(scenario: Scenario) -> None:
    """Each event's first citation is a file source with a quote found in the file."""
    texts = {
        sid: " ".join((INDIA2019.parent / s.file).read_text(encoding="utf-8").split())
        for sid, s in scenario.sources.items()
        if s.file
    }
    for e in scenario.events:
        first = e.source[0]
        assert first.ref in texts, e.id
        for c in e.source:
            assert c.quote is not None
            assert " ".join(c.quote.split()) in texts[c.ref], (e.id, c.quote)


def test_the_sources_are_recorded_in_the_checksums(scenario: Scenario) -> None:
    """Every file the scenario cites has its SHA-256 in sources/SHA256SUMS and matches it."""
    sums: dict[str, str] = {}
    for line in (SCENARIOS / "sources" / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    for s in scenario.sources.values():
        assert s.file is not None, "every source is a stored text"
        assert s.url, "every source names its address"
        path = INDIA2019.parent / s.file
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sums[path.name]


def test_inferred_dates_name_a_reason(scenario: Scenario) -> None:
    """Where the pages give no date, the event says so and why."""
    inferred = {e.id for e in scenario.events if e.date_basis == "inferred"}
    assert inferred == {"india-recalls-high-commissioner", "usa-urges-restraint", "pilot-returned"}
    assert all(e.date_note for e in scenario.events if e.id in inferred)


def test_the_us_appeal_is_dated_26_or_27_february_and_played_on_the_26th(trace: Trace) -> None:
    """'On Tuesday', from Hanoi and Washington, is a range in South Asia's clock; the replay
    plays its first day, after the strike it answered."""
    (event,) = [e for e in load_scenario(INDIA2019).events if e.id == "usa-urges-restraint"]
    assert isinstance(event.date, UncertainDate)
    assert (event.date.between, event.date.replay) == (
        (dt.date(2019, 2, 26), dt.date(2019, 2, 27)),
        dt.date(2019, 2, 26),
    )
    assert _record(trace, "usa-urges-restraint").when.date() == dt.date(2019, 2, 26)


def test_the_header_says_which_features_are_used_and_what_is_left_out() -> None:
    """The opening comment describes the model as written, not as it was to be upgraded."""
    header = "".join(
        line for line in INDIA2019.read_text(encoding="utf-8").splitlines(True) if line[:1] == "#"
    )
    assert "to be upgraded" not in header
    for word in ("`tracks:", "`mediates: [IND, PAK]`", "`joint: true`", "`opposes:", "{between:"):
        assert word in header, word
    for left_out in ("economic track", "United Arab Emirates", "`decay_in`"):
        assert left_out in header, left_out


def test_the_appeals_mediate_and_reach_ind_pak_as_coded(trace: Trace) -> None:
    """Saudi Arabia's, the United States' and China's appeals are each one act on IND-PAK, with
    both sides named and the appeal's Goldstein value as coded (no side taken)."""
    appeals = {
        "saudi-vows-to-deescalate": "SAU",
        "usa-urges-restraint": "USA",
        "china-urges-restraint": "CHN",
    }
    for event, actor in appeals.items():
        rows = [r for r in trace.records if r.event == event]
        assert len(rows) == 1, event
        r = rows[0]
        assert (r.relation, r.actor, r.stance, set(r.sides)) == (
            IND_PAK,
            actor,
            "mediates",
            {"IND", "PAK"},
        )
        assert r.bearing == r.goldstein


def test_the_clash_is_one_joint_act_and_pulwama_is_jems(trace: Trace) -> None:
    """The aerial clash has both air forces as its actors and no direction; the Pulwama attack
    is Jaish-e-Mohammed's, against India, and raises tension on IND-PAK."""
    clash = _record(trace, "aerial-clash")
    assert (set(clash.parties), clash.stance, clash.target) == ({"IND", "PAK"}, "joint", ())
    pulwama = _record(trace, "pulwama-attack")
    assert (pulwama.actor, pulwama.stance, pulwama.sides) == ("JEM", "opposes", ("IND",))
    assert pulwama.relation == IND_PAK
    assert pulwama.bearing == -10.0  # raises tension, as the attack's coded value does


@pytest.mark.parametrize(
    ("month", "day", "state"),
    [
        (2, 25, "normal"),  # no strike before Balakot
        (2, 26, "strike"),  # India's strike at Balakot
        (2, 27, "aerial_combat"),  # Pakistan's strikes, then the clash the same morning
        (2, 28, "aerial_combat"),  # the pilot still held
        (3, 1, "de_escalated"),  # the pilot home
        (3, 10, "de_escalated"),
    ],
)
def test_the_military_track_by_day(trace: Trace, month: int, day: int, state: str) -> None:
    """The military track moves where the diplomatic one cannot (envoys_recalled throughout)."""
    assert trace.states_on(dt.date(2019, month, day), "military")[IND_PAK] == state
    if (month, day) != (3, 10):
        assert trace.states_on(dt.date(2019, month, day))[IND_PAK] == "envoys_recalled"


def test_the_military_steps_of_the_exchange(trace: Trace) -> None:
    """Each strike, the clash and the return move the military track, one step each."""
    steps = {
        r.event: (s.before, s.after)
        for r in trace.records
        for s in r.tracks
        if s.track == "military" and s.outcome == "transition"
    }
    assert steps == {
        "balakot-strike": ("normal", "strike"),
        "pakistan-air-strikes": ("strike", "strikes_exchanged"),
        "aerial-clash": ("strikes_exchanged", "aerial_combat"),
        "pilot-returned": ("aerial_combat", "de_escalated"),
    }


def test_without_balakot_the_states_are_the_same_and_the_exchange_is_gone(trace: Trace) -> None:
    """no-balakot: the causes rule takes the whole exchange; the states and their days stay."""
    whatif = simulate(load_scenario(SCENARIOS / "whatif" / "india-no-balakot.yaml"))
    events = {r.event for r in whatif.records}
    assert {"aerial-clash", "pilot-captured", "pilot-returned", "china-urges-restraint"}.isdisjoint(
        events
    )
    assert "saudi-vows-to-deescalate" in events
    days = [dt.date(2019, 2, 13) + dt.timedelta(days=k) for k in range(26)]
    assert [whatif.states_on(d) for d in days] == [trace.states_on(d) for d in days]
    assert max(r.variables["tension"] for r in whatif.records) < max(
        r.variables["tension"] for r in trace.records
    )
    assert {d: whatif.states_on(d, "military")[IND_PAK] for d in days} == dict.fromkeys(
        days, "normal"
    ), "without the strike the forces never leave peacetime"


def test_a_pilot_still_held_keeps_the_envoys_away() -> None:
    """pilot-not-returned: the envoys' return meets its guard unmet; the relation stays recalled."""
    whatif = simulate(load_scenario(SCENARIOS / "whatif" / "india-pilot-not-returned.yaml"))
    r = _record(whatif, "high-commissioners-return")
    assert (r.before, r.after, r.outcome) == ("envoys_recalled", "envoys_recalled", "guard_failed")
    assert r.variables["captives"] == 1
    assert [(e.relation, e.state) for e in whatif.final] == [(IND_PAK, "envoys_recalled")]
    assert whatif.states_on(dt.date(2019, 3, 10), "military")[IND_PAK] == "aerial_combat"


def test_every_stored_page_has_its_provenance_in_the_readme(scenario: Scenario) -> None:
    """sources/README.md gives each saved page's file, publisher and address."""
    readme = (SCENARIOS / "sources" / "README.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip(" `"): line for line in readme.splitlines() if "india2019-" in line
    }
    files = {p.name for p in (SCENARIOS / "sources").glob("india2019-*.txt")}
    assert set(rows) == files
    for s in scenario.sources.values():
        assert s.file is not None
        assert s.url is not None
        row = rows[s.file.removeprefix("sources/")]
        assert s.url in row
        assert s.publisher is not None
        assert s.publisher.split(" (")[0] in row
