"""``dipsim check``: everything that can be said of a scenario without being asked.

A check is three passes over a loaded (hence valid) scenario: static analysis of its machine
and rules (:mod:`simulator.check.analysis`), its ``expect`` items and ``invariants`` judged on runs
(one run when nothing in it is random, else ``runs`` runs of derived seeds), and optionally a
hunt for invariant violations with random event sequences (:mod:`simulator.check.explore`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.check.analysis import Finding, analyse, premise_findings
from simulator.check.codebook import codebook_findings
from simulator.check.expectations import ItemResult, Tally, is_stochastic
from simulator.check.explore import ExploreResult, explore
from simulator.check.tracks import track_findings
from simulator.core.errors import (
    KeyPath,
    Location,
    Problem,
    ScenarioError,
    SimulationError,
    shown_path,
)
from simulator.engine.seeds import derive_seed
from simulator.engine.simulation import Simulator
from simulator.scenario.loading import LoadedScenario
from simulator.scenario.yamlread import Document

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What ``dipsim check`` found in one scenario."""

    path: Path
    findings: tuple[Finding, ...]
    results: tuple[ItemResult, ...]
    runs: int
    stochastic: bool
    seed: int
    explored: ExploreResult | None
    #: The expectations and invariants that hold at the replay point (``results``) but fail on
    #: some runs whose uncertain dates were drawn: they depend on when those events happened.
    draw_dependent: tuple[ItemResult, ...] = ()
    #: Runs made with the uncertain dates drawn (0: every date is a day, or nothing to judge).
    draw_runs: int = 0

    def failures(self, strict: bool = False) -> int:
        """How many checks failed: expectations, invariants, counterexamples found, and
        error findings (warnings too when ``strict``)."""
        failing = {"error", "warning"} if strict else {"error"}
        return (
            sum(not r.passed for r in self.results)
            + sum(f.severity in failing for f in self.findings)
            + (len(self.draw_dependent) if strict else 0)
            + (len(self.explored.counterexamples) if self.explored else 0)
        )


#: Runs of a stochastic scenario without claims that ``check`` makes all the same, so that a
#: rule whose guard, probability or delay fails on some draws is found (a deterministic one is
#: run once); a scenario with claims is run as many times as they are judged on.
SMOKE_RUNS = 20

#: Runs that judge the claims of a scenario whose rules draw at random, unless told otherwise
#: (`dipsim check`, `dipsim report`): a share is then known to within about ±3 points (the
#: half-width of a 95% Wilson interval at 50% is 3.1 points).
CLAIM_RUNS = 1_000

#: Runs with the uncertain dates drawn (seeds ``derive_seed(seed, k)``, as ``dipsim run --runs``
#: draws them) on which ``check`` judges the claims again, to find those that hold at the replay
#: point but not at every possible date; a scenario with random rules uses as many as judged its
#: claims, if more.
DATE_DRAWS = 200


def check_scenario(
    loaded: LoadedScenario,
    runs: int = CLAIM_RUNS,
    seed: int = 0,
    explore_sequences: int = 0,
    progress: Progress | None = None,
) -> CheckReport:
    """Analyse ``loaded``, judge its claims on runs, and explore if asked.

    Args:
        loaded: A scenario with the document it came from (for locating findings).
        runs: Runs to judge a stochastic scenario's claims on (a deterministic one runs once).
        seed: Master seed; run ``k`` uses ``derive_seed(seed, k)`` as ``dipsim run --runs`` does.
        explore_sequences: Random event sequences to hunt invariant violations with (0: none).
        progress: Called with (done, total) runs.
    """
    scenario = loaded.scenario
    # A what-if's findings may sit in its bases' files: its own come first, then by file (the
    # analysis sorts by line and column, which interleaves files).
    own = loaded.document.file
    findings = sorted(
        [
            *analyse(scenario, _locator(loaded), loaded.base.scenario if loaded.base else None),
            *track_findings(scenario, _locator(loaded)),
            *codebook_findings(scenario, _locator(loaded)),
        ],
        key=lambda f: (f.location.file != own, f.location.file),
    )
    stochastic = is_stochastic(scenario)
    claims = bool(scenario.expect or scenario.invariants)
    n = 1 if not stochastic else runs if claims else min(runs, SMOKE_RUNS)
    results: tuple[ItemResult, ...] = ()
    # The scenario is run even without claims: a run that fails (a guard dividing by zero on
    # the run's values, say) is an error of the check, located at the rule or guard at fault.
    sim = Simulator(scenario)
    tally = Tally(scenario, n)
    for k in range(n):
        run_seed = derive_seed(seed, k) if stochastic else seed
        try:
            tally.add(sim.run(run_seed), k)
        except SimulationError as err:
            findings.append(_run_failure(err, k, run_seed, stochastic, _locator(loaded)))
            break
        if progress is not None:
            progress(k + 1, n)
    else:
        results = tuple(tally.results()) if claims else ()
    # As many runs as judged the claims, at least DATE_DRAWS, with the same seeds: a share on
    # random rules then differs from the replay's by the dates alone (the rules draw the same).
    uncertain = results and any(e.uncertain_date() for e in scenario.events)
    draws = max(n, DATE_DRAWS) if uncertain else 0
    dependent = _draw_dependent(sim, results, draws, seed) if draws else ()
    explored = (
        explore(scenario, explore_sequences, seed, progress) if explore_sequences > 0 else None
    )
    return CheckReport(
        loaded.path, tuple(findings), results, n, stochastic, seed, explored, dependent, draws
    )


def _draw_dependent(
    sim: Simulator, results: tuple[ItemResult, ...], draws: int, seed: int
) -> tuple[ItemResult, ...]:
    """The claims that passed at the replay point and fail on runs with the dates drawn (a
    bound on a share is judged on the draws' share, as on any runs)."""
    tally = Tally(sim.scenario, draws)
    for k in range(draws):
        try:
            tally.add(sim.run(derive_seed(seed, k), draw_dates=True), k)
        except SimulationError:
            break  # the replay's runs report run errors; a draw's is left to dipsim run --runs
    passed = {r.name for r in results if r.passed}
    return tuple(r for r in tally.results() if r.name in passed and not r.passed)


def _run_failure(
    err: SimulationError, k: int, seed: int, stochastic: bool, locate: Callable[[KeyPath], Location]
) -> Finding:
    which = f"run {k} (seed {seed})" if stochastic else f"the run (seed {seed})"
    return Finding("error", "run-error", locate(err.key_path), err.key_path, f"{which}: {err}")


def located(err: SimulationError, loaded: LoadedScenario) -> ScenarioError:
    """A failed run's error placed where its key path is written (``file:line:col``)."""
    return ScenarioError([Problem(_locator(loaded)(err.key_path), err.key_path, str(err))])


def premises_gone(loaded: LoadedScenario, base: LoadedScenario) -> list[Finding]:
    """Events of ``loaded`` that may fire a transition in ``base`` and surely fire none in
    ``loaded``, because ``loaded`` removed what they rested on (``premise-gone``), located as
    ``dipsim check`` locates its findings. ``base`` is any scenario: ``dipsim diff`` passes the
    one it compares with."""
    return premise_findings(loaded.scenario, base.scenario, _locator(loaded))


def _locator(loaded: LoadedScenario) -> Callable[[KeyPath], Location]:
    """Where a key path of the loaded scenario is written.

    A what-if's scenario mixes its own keys with its bases': a path is placed in the what-if if
    written there, else in the nearest base that writes it (events and rules found by id, since
    edits renumber them), else at the nearest enclosing key of the what-if. The bases'
    documents are the ones loading read; their files are shown as the user would write them.
    """
    own = loaded.document
    if not loaded.base:
        return own.locate
    bases = [b.document for b in loaded.bases]
    scenario = loaded.scenario

    def by_id(doc: Document, path: KeyPath) -> KeyPath | None:
        if len(path) < 2 or path[0] not in {"events", "rules"} or not isinstance(path[1], int):
            return path
        items = scenario.events if path[0] == "events" else scenario.rules
        wanted = items[path[1]].id if path[1] < len(items) else None
        written = doc.data.get(path[0]) if isinstance(doc.data, dict) else None
        for i, item in enumerate(written if isinstance(written, list) else []):
            if isinstance(item, dict) and item.get("id") == wanted:
                return (path[0], i, *path[2:])
        return None

    def locate(path: KeyPath) -> Location:
        found = by_id(own, path)
        if found is not None and own.has(found[:2]):
            return own.locate(found)
        for doc in bases:
            found = by_id(doc, path)
            if found is not None and doc.has(found[:2]):
                at = doc.locate(found)
                return Location(shown_path(Path(at.file)), at.line, at.column)
        return own.locate(path)

    return locate


__all__ = [
    "CLAIM_RUNS",
    "DATE_DRAWS",
    "SMOKE_RUNS",
    "CheckReport",
    "check_scenario",
    "located",
    "premises_gone",
]
