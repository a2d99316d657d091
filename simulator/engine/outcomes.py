"""Monte Carlo outcomes: what many runs of a scenario came to, with their uncertainty.

The result types of :func:`simulator.engine.montecarlo.run_many`, plain and immutable, and the
statistics behind them. Reports read these (they never need the engine); ``Outcomes.to_dict``
and ``Outcomes.from_dict`` give a lossless plain-data form for JSON.

Shares of runs come with 95% Wilson score intervals (:func:`wilson_interval`). Days until a state
is first entered are summarised by the 5/25/50/75/95% quantiles over the runs that entered it,
computed by ``statistics.quantiles(data, n=20, method="inclusive")`` (linear interpolation
between order statistics; a single run gives its own value for each).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

OUTCOMES_FORMAT = 1
#: z of a two-sided 95% interval: the 0.975 quantile of the standard normal distribution.
Z95 = 1.959963984540054
#: The quantile levels of ``DaysToReach`` (cut points 1, 5, 10, 15 and 19 of 20).
QUANTILE_LEVELS = (5, 25, 50, 75, 95)


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95% by default).

    E. B. Wilson (1927), "Probable inference, the law of succession, and statistical
    inference", Journal of the American Statistical Association 22(158): 209-212. Unlike the
    normal-approximation interval it stays inside [0, 1] and is not empty at 0 or n successes.
    With no trials the interval is [0, 1].
    """
    if trials <= 0:
        return 0.0, 1.0
    p, n, z2 = successes / trials, trials, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= trials else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True, slots=True)
class Proportion:
    """``count`` runs out of ``n``: their share and its 95% Wilson interval ``[low, high]``."""

    count: int
    share: float
    low: float
    high: float

    @classmethod
    def of(cls, count: int, n: int) -> Proportion:
        low, high = wilson_interval(count, n)
        return cls(count, count / n if n else 0.0, low, high)


@dataclass(frozen=True, slots=True)
class DaysToReach:
    """Days until a state was first entered, over the ``runs`` runs that entered it.

    ``p5`` … ``p95`` are the 5/25/50/75/95% quantiles (``statistics.quantiles``, ``n=20``,
    ``method="inclusive"``).
    """

    runs: int
    p5: float
    p25: float
    p50: float
    p75: float
    p95: float
    #: Runs that first entered the state on day 0, 1, 2, … of the run (the histogram; its sum
    #: is ``runs``). Empty in outcomes read from files written before it existed.
    by_day: tuple[int, ...] = ()

    @classmethod
    def of(cls, times: Sequence[float]) -> DaysToReach:
        by_day = [0] * (int(max(times)) + 1)
        for t in times:
            by_day[int(t)] += 1
        if len(times) == 1:
            q = [float(times[0])] * len(QUANTILE_LEVELS)
        else:
            cuts = statistics.quantiles(times, n=20, method="inclusive")
            q = [cuts[level // 5 - 1] for level in QUANTILE_LEVELS]
        return cls(len(times), q[0], q[1], q[2], q[3], q[4], tuple(by_day))


@dataclass(frozen=True, slots=True)
class StateOutcome:
    """One state of one relation over all runs.

    Attributes:
        state: The state.
        ended: Runs that ended in the state.
        reached: Runs that were in the state at some time (the initial state: all runs).
        mean_days: Days spent in the state, averaged over all runs (0 for a run never in it).
        days_to_reach: Days until first entered, over the runs that reached it (``None`` if none).
    """

    state: str
    ended: Proportion
    reached: Proportion
    mean_days: float
    days_to_reach: DaysToReach | None


@dataclass(frozen=True, slots=True)
class PathCount:
    """A state path (the states visited, in order) and the runs that took it."""

    path: tuple[str, ...]
    count: int
    share: float


@dataclass(frozen=True, slots=True)
class RelationOutcomes:
    """The outcomes of one relation: every state of the machine, then the commonest paths.

    ``paths`` holds the ``TOP_PATHS`` most common paths, most common first, ties in the order
    of the paths' text; ``distinct_paths`` counts all paths taken.
    """

    relation: str
    states: tuple[StateOutcome, ...]
    paths: tuple[PathCount, ...]
    distinct_paths: int


@dataclass(frozen=True, slots=True)
class Outcomes:
    """The distribution of outcomes of ``runs`` runs of a scenario.

    Run ``k`` used the seed ``derive_seed(seed, k)``. ``by_cause`` and ``by_type`` count records
    over all runs; ``log_runs`` counts the runs whose trace log has an entry of each kind (e.g.
    ``cap``: the run hit its cap on responses). All three are sorted by name.
    """

    title: str
    seed: int
    runs: int
    start: dt.date
    stop: dt.date
    relations: tuple[RelationOutcomes, ...]
    by_cause: tuple[tuple[str, int], ...]
    by_type: tuple[tuple[str, int], ...]
    log_runs: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON, keys in a fixed order; ``Outcomes.from_dict`` reads it back."""
        return {
            "outcomes_format": OUTCOMES_FORMAT,
            "title": self.title,
            "seed": self.seed,
            "seeds": "run k uses derive_seed(seed, k)",
            "runs": self.runs,
            "start": self.start.isoformat(),
            "stop": self.stop.isoformat(),
            "interval": "Wilson score, 95%",
            "quantiles": "statistics.quantiles(n=20, method='inclusive')",
            "relations": [
                {
                    "relation": rel.relation,
                    "states": [_state_dict(s) for s in rel.states],
                    "paths": [
                        {"path": list(p.path), "count": p.count, "share": p.share}
                        for p in rel.paths
                    ],
                    "distinct_paths": rel.distinct_paths,
                }
                for rel in self.relations
            ],
            "records_by_cause": dict(self.by_cause),
            "records_by_type": dict(self.by_type),
            "runs_with_log": dict(self.log_runs),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Outcomes:
        return cls(
            title=d["title"],
            seed=int(d["seed"]),
            runs=int(d["runs"]),
            start=dt.date.fromisoformat(d["start"]),
            stop=dt.date.fromisoformat(d["stop"]),
            relations=tuple(
                RelationOutcomes(
                    relation=rel["relation"],
                    states=tuple(_state_from_dict(s) for s in rel["states"]),
                    paths=tuple(
                        PathCount(tuple(p["path"]), int(p["count"]), float(p["share"]))
                        for p in rel["paths"]
                    ),
                    distinct_paths=int(rel["distinct_paths"]),
                )
                for rel in d["relations"]
            ),
            by_cause=tuple((k, int(v)) for k, v in d["records_by_cause"].items()),
            by_type=tuple((k, int(v)) for k, v in d["records_by_type"].items()),
            log_runs=tuple((k, int(v)) for k, v in d.get("runs_with_log", {}).items()),
        )


def _proportion_dict(p: Proportion) -> dict[str, Any]:
    return {"count": p.count, "share": p.share, "low": p.low, "high": p.high}


def _state_dict(s: StateOutcome) -> dict[str, Any]:
    reach = s.days_to_reach
    return {
        "state": s.state,
        "ended": _proportion_dict(s.ended),
        "reached": _proportion_dict(s.reached),
        "mean_days": s.mean_days,
        "days_to_reach": None
        if reach is None
        else {"runs": reach.runs}
        | {f"p{q}": getattr(reach, f"p{q}") for q in QUANTILE_LEVELS}
        | {"by_day": list(reach.by_day)},
    }


def _state_from_dict(d: dict[str, Any]) -> StateOutcome:
    reach = d["days_to_reach"]
    return StateOutcome(
        state=d["state"],
        ended=_proportion_from_dict(d["ended"]),
        reached=_proportion_from_dict(d["reached"]),
        mean_days=float(d["mean_days"]),
        days_to_reach=None if reach is None else _reach_from_dict(reach),
    )


def _reach_from_dict(d: dict[str, Any]) -> DaysToReach:
    q = [float(d[f"p{level}"]) for level in QUANTILE_LEVELS]
    by_day = tuple(int(n) for n in d.get("by_day", ()))
    return DaysToReach(int(d["runs"]), q[0], q[1], q[2], q[3], q[4], by_day)


def _proportion_from_dict(d: dict[str, Any]) -> Proportion:
    return Proportion(int(d["count"]), float(d["share"]), float(d["low"]), float(d["high"]))


__all__ = [
    "OUTCOMES_FORMAT",
    "QUANTILE_LEVELS",
    "Z95",
    "DaysToReach",
    "Outcomes",
    "PathCount",
    "Proportion",
    "RelationOutcomes",
    "StateOutcome",
    "wilson_interval",
]
