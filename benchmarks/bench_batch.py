"""Batch throughput, against a naive loop, peak memory, and the cost of Dask: ``run_batch``.

Four sections, each selectable with ``--only``:

throughput
    A batch spec, written to a temporary folder, over the stochastic what-if
    ``scenarios/whatif/retaliation-kills-iranians.yaml`` (``jan2024.yaml`` with a counter-strike
    rule): a grid of 5 counter-strike probabilities × 5 return thresholds, replicated to 100,000
    runs (``--runs``), written to a temporary ``.parquet``. ``run_batch`` on the ``local``
    backend with 1 and with 2 workers, and on the ``sequential`` backend (this process, the
    reference); also the start-up of a pool of 2 workers on its own. Wall time (spec loading,
    pool start-up and assembling the results file included, as the command line pays them),
    runs/s, runs/s between the first and the last chunk back ("steady"), and the speed-up over
    1 worker. Floors from issue 4: 2 workers ≥ 1.7× one worker, and ≥ 3,000 runs/s.
naive
    The loop a user would write with the same libraries, per run: read the YAML with
    ``yaml.safe_load`` (the what-if and the scenario it extends), apply the what-if's edits,
    build a ``transitions.Machine`` from the ``machine`` section, and step the events through it
    in date order in a SimPy environment, with the what-if's one rule (a chance of a
    counter-strike after a uniform delay, cancelled by the announcement to de-escalate) as a
    SimPy process; collect each relation's final state and variables. It is honest and plain:
    no validation beyond YAML, no sources, no trace, no metrics but the final state and
    variables, no error rows, no results file — and only the edit kinds (remove, replace,
    set a transition's key), rule shape (``when`` by equality, probability, uniform delay,
    ``cancel_on`` by type) and variable semantics this what-if uses. Two variants show where
    the time goes: the same with PyYAML's C parser (``CSafeLoader``), and with the YAML read
    and edited once (only the machine built and the run simulated per run). Timed over a few
    hundred runs of the same design points and seeds, beside dipsim's cost per run from a
    ``sequential`` batch (wall time over runs, results file included). Before timing, the naive
    loop's final state and tension of PAK-IRN are checked equal to dipsim's for every run
    compared: it draws from ``random.Random(seed)`` in the same order, so the two agree run by
    run (the benchmark refuses to time two loops doing different work).
memory
    A 1,000,000-run batch (``--memory-runs``) of a cheap sweep — ``scenarios/jan2024.yaml``, its
    tension's daily decay over 10 values, replicated — run as a subprocess, ``python -m
    simulator batch SPEC --out X.parquet --quiet --workers 2``, its resident memory sampled with
    psutil every 0.2 s: the peak RSS of the parent, and the peak of the sum of RSS over the
    process tree (parent and workers; a sum of RSS counts shared pages once per process, so it
    overstates). The same batch with a tenth of the runs is run the same way: the ratio of the
    peaks says whether memory grows with the number of runs (flat memory: ≈1). Floor: under
    400 MB resident.
dask
    The throughput batch (``--runs``) on the ``dask`` backend (a ``LocalCluster`` of 2
    single-threaded workers, started and stopped by ``run_batch``) and on ``local`` with 2
    workers; also each one's start-up on its own. The time ratio, and the wall time Dask adds
    per chunk (the difference of the two wall times, less the difference of their start-ups,
    over the number of chunks: tasks are chunks of 500 runs, never one run per task).

Every timed case runs in every round, in an order rotated from round to round, so that noise
from the rest of the machine falls on all of them alike; a warm-up round (a tenth of the runs)
comes first, and its results files are checked identical across backends (they must do the
same work). Figures are the median and the best over rounds; ratios are paired (taken within
a round, then the median over rounds).

Run from anywhere (the ``__main__`` guard matters: the backends spawn processes)::

    .venv/bin/python benchmarks/bench_batch.py                    # all sections, ~20 min
    .venv/bin/python benchmarks/bench_batch.py --only throughput,dask --runs 20000
    .venv/bin/python benchmarks/bench_batch.py --quick            # a smoke run, ~15 s
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import simpy
import yaml
from _process import SAMPLE_EVERY
from _process import peak_memory as sampled
from transitions import Machine

from simulator.batch.backends import make_backend
from simulator.batch.runner import DEFAULT_CHUNK, run_batch
from simulator.batch.sinks import read_rows
from simulator.engine.seeds import derive_seed

ROOT = Path(__file__).resolve().parent.parent
WHATIF = ROOT / "scenarios" / "whatif" / "retaliation-kills-iranians.yaml"
BASE = ROOT / "scenarios" / "jan2024.yaml"
SECTIONS = ("throughput", "naive", "memory", "dask")

#: The sweep of the throughput, naive and dask sections: 5 × 5 design points, in grid order.
P_VALUES = (0.0, 0.25, 0.5, 0.75, 1.0)
RETURN_VALUES = (0.05, 0.1, 0.15, 0.2, 0.25)
POINTS = list(itertools.product(P_VALUES, RETURN_VALUES))
SEED = 2024
RELATION = "PAK-IRN"
#: The memory section's sweep: jan2024's daily decay of tension over 10 values.
DECAY_VALUES = tuple(round(0.05 + 0.01 * i, 2) for i in range(10))

FLOOR_SPEEDUP = 1.7
FLOOR_RATE = 3_000.0
FLOOR_MB = 400.0
#: "Several times faster": the least ratio that the naive comparison counts as meeting it.
SEVERAL = 3.0
MB = 1024 * 1024

SEQ, ONE, TWO = "sequential", "local, 1 worker", "local, 2 workers"
DASK = "dask LocalCluster, 2 workers"
POOL_START, DASK_START = "local pool start-up (2 workers)", "dask cluster start-up (2 workers)"
DIPSIM = "dipsim run_batch, sequential"
NAIVE, NAIVE_C, NAIVE_ONCE = (
    "naive: safe_load + build + simulate",
    "naive: CSafeLoader + build + simulate",
    "naive: YAML once; build + simulate",
)


def machine_line() -> str:
    """What the figures were measured on."""
    load = ", load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs{load}"
    )


def say(text: str) -> None:
    """Progress on standard error (the figures go to standard output)."""
    print(text, file=sys.stderr, flush=True)


# --- specs -------------------------------------------------------------------------------------


def write_spec(folder: Path, name: str, doc: Mapping[str, Any]) -> Path:
    """Write a batch spec into ``folder``; its scenario path is absolute."""
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(dict(doc), sort_keys=False), encoding="utf-8")
    return path


def sweep_spec(folder: Path, runs: int) -> tuple[Path, int]:
    """The counter-strike sweep with about ``runs`` runs; the path and the exact number."""
    replications = max(1, runs // len(POINTS))
    doc = {
        "dipsim_batch": 1,
        "title": "bench_batch: counter-strike probability × return threshold",
        "scenario": str(WHATIF),
        "parameters": [
            {
                "path": "rules[iranian-counter-strike].probability",
                "name": "counter_strike_p",
                "values": list(P_VALUES),
            },
            {
                "path": "parameters.return_at_most",
                "name": "return_at_most",
                "values": list(RETURN_VALUES),
            },
        ],
        "design": {"kind": "grid"},
        "replications": replications,
        "seed": SEED,
        "relations": [RELATION],
    }
    return write_spec(folder, f"sweep-{replications}", doc), replications * len(POINTS)


def memory_spec(folder: Path, runs: int) -> tuple[Path, int]:
    """jan2024.yaml's decay of tension over 10 values, replicated to about ``runs`` runs."""
    replications = max(1, runs // len(DECAY_VALUES))
    doc = {
        "dipsim_batch": 1,
        "title": "bench_batch: jan2024, decay of tension",
        "scenario": str(BASE),
        "parameters": [
            {
                "path": "variables.tension.decay_per_day",
                "name": "decay_per_day",
                "values": list(DECAY_VALUES),
            }
        ],
        "design": {"kind": "grid"},
        "replications": replications,
        "seed": SEED,
    }
    return write_spec(folder, f"memory-{replications}", doc), replications * len(DECAY_VALUES)


# --- timing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One timed call: its wall time, and runs/s between the first and last chunk back."""

    seconds: float
    steady: float | None = None


@dataclass(frozen=True)
class Case:
    """One thing to time once per round."""

    label: str
    call: Callable[[], Sample]


class Outputs:
    """Fresh results paths in a temporary folder, removed once timed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def next(self, stem: str = "out") -> Path:
        self.count += 1
        return self.folder / f"{stem}-{self.count}.parquet"


def timed_batch(
    spec: Path, backend: str, workers: int, outputs: Outputs, keep: bool = False
) -> tuple[Sample, Path]:
    """Run a batch once; its wall time and steady rate, and its results file (deleted unless
    ``keep``). A batch with error rows stops the benchmark: it would not time real runs."""
    out = outputs.next(backend)
    marks: list[tuple[float, int]] = []

    def progress(done: int, _total: int) -> None:
        marks.append((time.perf_counter(), done))

    start = time.perf_counter()
    result = run_batch(spec, backend, workers, out=out, progress=progress)
    seconds = time.perf_counter() - start
    if result.errors:
        raise SystemExit(f"{result.errors} runs of {spec.name} raised an error ({backend})")
    back = [m for m in marks if m[1] > 0]
    steady = None
    if len(back) >= 2 and back[-1][0] > back[0][0]:
        steady = (back[-1][1] - back[0][1]) / (back[-1][0] - back[0][0])
    if not keep:
        out.unlink()
    return Sample(seconds, steady), out


def timed_start(backend: str) -> Sample:
    """Start a backend of 2 workers and stop it again."""
    start = time.perf_counter()
    with make_backend(backend, 2):
        pass
    return Sample(time.perf_counter() - start)


def measure(cases: Sequence[Case], rounds: int) -> dict[str, list[Sample]]:
    """Each case once per round, in an order rotated from round to round."""
    times: dict[str, list[Sample]] = {c.label: [] for c in cases}
    for r in range(rounds):
        shift = r % len(cases)
        for case in [*cases[shift:], *cases[:shift]]:
            sample = case.call()
            times[case.label].append(sample)
            say(f"  round {r + 1}/{rounds}: {case.label}: {sample.seconds:.3f} s")
    return times


def median_s(samples: Sequence[Sample]) -> float:
    """Median wall time."""
    return statistics.median(s.seconds for s in samples)


def best_s(samples: Sequence[Sample]) -> float:
    """Least wall time."""
    return min(s.seconds for s in samples)


def median_steady(samples: Sequence[Sample]) -> float | None:
    """Median steady rate, when every sample has one."""
    rates = [s.steady for s in samples if s.steady is not None]
    return statistics.median(rates) if len(rates) == len(samples) else None


def paired(times: Mapping[str, Sequence[Sample]], num: str, den: str) -> float:
    """Median over rounds of ``num``'s wall time over ``den``'s in the same round."""
    return statistics.median(
        a.seconds / b.seconds for a, b in zip(times[num], times[den], strict=True)
    )


def verdict(met: bool) -> str:
    """The floor's status, as measured."""
    return "floor met" if met else "floor NOT met"


def same_results(paths: Sequence[Path]) -> None:
    """Refuse to time backends whose results differ (they would not be doing the same work)."""
    first = paths[0].read_bytes()
    for other in paths[1:]:
        if other.read_bytes() != first and list(read_rows(other)) != list(read_rows(paths[0])):
            raise SystemExit(
                f"{paths[0].name} and {other.name} hold different results: timing their "
                "backends side by side would compare different work"
            )
    for path in paths:
        path.unlink()


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        out = [cells[0].ljust(widths[0])]
        out += [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join(out).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def rounds_text(rounds: int) -> str:
    """How the rounds were run, for a section's heading."""
    return f"{rounds} interleaved round{'s' * (rounds != 1)} (after 1 warm-up)"


def rate(runs: int, seconds: float) -> str:
    """Runs per second, formatted."""
    return f"{runs / seconds:,.0f}"


def steady_text(value: float | None) -> str:
    """A steady rate, or a dash when a batch was too short to have one."""
    return "-" if value is None else f"{value:,.0f}"


def warmed_up(
    folder: Path, outputs: Outputs, runs: int, label: str, backends: Sequence[tuple[str, int]]
) -> tuple[Path, int]:
    """The sweep spec of about ``runs`` runs, after a warm-up batch (a tenth of the runs) on
    each backend whose results files must be identical; the spec's path and exact run count."""
    warm, warm_runs = sweep_spec(folder, max(len(POINTS), runs // 10))
    spec, runs = sweep_spec(folder, runs)
    say(f"{label}: warm-up ({warm_runs:,} runs per backend) and the check of results")
    same_results([timed_batch(warm, b, w, outputs, keep=True)[1] for b, w in backends])
    return spec, runs


# --- throughput --------------------------------------------------------------------------------


def throughput(folder: Path, runs: int, rounds: int) -> str:
    """1 and 2 local workers, and the sequential backend, on the counter-strike sweep."""
    outputs = Outputs(folder)
    spec, runs = warmed_up(
        folder, outputs, runs, "throughput", [("sequential", 1), ("local", 1), ("local", 2)]
    )
    cases = [
        Case(SEQ, lambda: timed_batch(spec, "sequential", 1, outputs)[0]),
        Case(ONE, lambda: timed_batch(spec, "local", 1, outputs)[0]),
        Case(TWO, lambda: timed_batch(spec, "local", 2, outputs)[0]),
        Case(POOL_START, lambda: timed_start("local")),
    ]
    times = measure(cases, rounds)
    rows = []
    for label in (SEQ, ONE, TWO):
        samples = times[label]
        med = median_s(samples)
        rows.append(
            [
                label,
                f"{med:.2f}",
                rate(runs, med),
                rate(runs, best_s(samples)),
                steady_text(median_steady(samples)),
                f"{med / runs * 1e6:.0f}",
                f"{paired(times, ONE, label):.2f}",
            ]
        )
    header = ["run_batch backend", "wall s", "runs/s", "best", "steady", "µs/run", "× 1 worker"]
    speedup = paired(times, ONE, TWO)
    two_rate = runs / median_s(times[TWO])
    best_two = runs / best_s(times[TWO])
    start = median_s(times[POOL_START])
    lines = [
        f"== throughput: {WHATIF.name}, {len(POINTS)} design points × "
        f"{runs // len(POINTS):,} replications = {runs:,} runs per case, out to .parquet, "
        f"chunks of {DEFAULT_CHUNK} runs; "
        f"{rounds_text(rounds)}",
        "runs/s = runs / median wall time (spec, pool start-up and results file included); "
        "best = the best round; steady = runs/s between the first and the last chunk back; "
        "× 1 worker = median over rounds of (1 worker's wall time / the case's): above 1 is "
        "faster",
        "check: the warm-up's results files are identical on the three backends",
        "",
        *table(header, rows),
        f"{POOL_START}: {start * 1e3:.0f} ms (median; best {best_s(times[POOL_START]) * 1e3:.0f})",
        "",
        f"floor: 2 workers ≥ {FLOOR_SPEEDUP}× one worker — measured {speedup:.2f}× (paired "
        f"median): {verdict(speedup >= FLOOR_SPEEDUP)}",
        f"floor: ≥ {FLOOR_RATE:,.0f} runs/s on 2 workers — measured {two_rate:,.0f} runs/s "
        f"(median; best round {best_two:,.0f}): {verdict(two_rate >= FLOOR_RATE)}",
    ]
    return "\n".join(lines)


# --- naive -------------------------------------------------------------------------------------
#
# The naive loop: what a user writes with PyYAML, transitions and SimPy, with no dipsim. It
# handles the what-if at hand (its edit kinds, its one rule), not every scenario.

Doc = dict[str, Any]
Final = dict[str, tuple[str, dict[str, float]]]


def naive_load(path: Path, read: Callable[[str], Any] = yaml.safe_load) -> Doc:
    """Read a what-if and the scenario it extends, and apply its edits."""
    whatif = read(path.read_text(encoding="utf-8"))
    doc: Doc = read((path.parent / whatif["extends"]).read_text(encoding="utf-8"))
    events = {e["id"]: e for e in doc["events"]}  # in file order
    for edit in whatif.get("edits", []):
        if "remove" in edit:
            del events[edit["remove"]]
        elif "replace" in edit:
            events[edit["replace"]] = {**events[edit["replace"]], **edit["with"]}
        elif (found := re.fullmatch(r"machine\.transitions\[(\w+)\]\.(\w+)", edit["set"])) is None:
            raise ValueError(f"the naive loop does not know the edit {edit}")
        else:
            for t in doc["machine"]["transitions"]:
                if t["trigger"] == found[1]:
                    t[found[2]] = edit["value"]
    doc["events"] = list(events.values())
    doc["parameters"] = {**doc.get("parameters", {}), **whatif.get("parameters", {})}
    doc["rules"] = whatif.get("rules", [])
    return doc


class Relation:
    """One relation's state and variables: the model ``transitions`` moves."""

    state: str
    trigger: Callable[..., bool]  # added by transitions.Machine

    def __init__(self, values: dict[str, float]) -> None:
        self.values = values
        self.last = 0.0


def naive_simulate(doc: Doc, params: Mapping[str, float], seed: int) -> Final:
    """Build the machine and run the scenario once; each relation's final state and variables."""
    names = {**doc["parameters"], **params}

    def evaluate(text: object, values: Mapping[str, float]) -> Any:
        return eval(str(text), {"__builtins__": {}}, {**names, **values})

    def condition(guard: str) -> Callable[[dict[str, float]], bool]:
        return lambda values: bool(evaluate(guard, values))

    variables: dict[str, Any] = doc["variables"]
    relations = {
        frozenset(r["pair"]): Relation({n: v["initial"] for n, v in variables.items()})
        for r in doc["relations"]
    }
    machine = Machine(
        model=list(relations.values()),
        states=[s["name"] for s in doc["machine"]["states"]],
        initial=doc["machine"]["initial"],
        auto_transitions=False,
        ignore_invalid_triggers=True,
    )
    for t in doc["machine"]["transitions"]:
        conditions: list[str | Callable[..., bool | None]] = (
            [condition(t["guard"])] if "guard" in t else []
        )
        machine.add_transition(t["trigger"], t["source"], t["dest"], conditions=conditions)

    env, rng = simpy.Environment(), random.Random(seed)
    horizon = (doc["end"] - doc["start"]).days + 1
    pending: dict[int, tuple[simpy.Process, Doc, frozenset[str]]] = {}  # responses not yet due
    numbers = itertools.count()

    def relax(rel: Relation, now: float) -> None:
        gap = now - rel.last
        if gap > 0:
            for name, v in variables.items():
                rest = v["rest"]
                rel.values[name] = (
                    rest + (rel.values[name] - rest) * (1 - v["decay_per_day"]) ** gap
                )
            rel.last = now

    def apply(event: Doc) -> None:
        key = frozenset(event.get("relation") or [event["actor"], event["target"]])
        rel = relations[key]
        relax(rel, env.now)
        goldstein = doc["event_types"][event["type"]]["codes"].get("goldstein")
        for name, v in variables.items():
            if name in event.get("effects", {}):
                delta = event["effects"][name]
            elif v.get("per_goldstein") and goldstein is not None:
                delta = v["per_goldstein"] * goldstein
            else:
                continue
            rel.values[name] = min(v["max"], max(v["min"], rel.values[name] + delta))
        rel.trigger(event["type"], rel.values)
        for n, (process, rule, where) in list(pending.items()):
            if where == key and rule.get("cancel_on", {}).get("type") == event["type"]:
                process.interrupt()
                del pending[n]
        for rule in doc["rules"]:
            matched = all(event.get(k) == v for k, v in rule["when"].items())
            if matched and rng.random() < evaluate(rule["probability"], rel.values):
                delay, n = rng.uniform(*rule["delay"]["uniform"]), next(numbers)
                pending[n] = (env.process(respond(n, rule, event, delay)), rule, key)

    def respond(n: int, rule: Doc, trigger: Doc, delay: float) -> Generator[simpy.Event, Any, None]:
        try:
            yield env.timeout(delay)
        except simpy.Interrupt:
            return
        del pending[n]
        apply(
            {
                "type": rule["respond"]["type"],
                "actor": trigger["target"],
                "target": trigger["actor"],
            }
        )

    def script() -> Generator[simpy.Event, Any, None]:
        for event in sorted(doc["events"], key=lambda e: e["date"]):  # stable: ties in file order
            t = (event["date"] - doc["start"]).days
            if t > env.now:
                yield env.timeout(t - env.now)
            apply(event)

    env.process(script())
    env.run(until=horizon)
    out: Final = {}
    for r in doc["relations"]:
        rel = relations[frozenset(r["pair"])]
        relax(rel, horizon)
        out["-".join(r["pair"])] = (rel.state, {k: round(v, 6) for k, v in rel.values.items()})
    return out


def naive_run(
    path: Path, params: Mapping[str, float], seed: int, read: Callable[[str], Any]
) -> Final:
    """The whole naive loop body: read the YAML, build, simulate."""
    return naive_simulate(naive_load(path, read), params, seed)


#: PyYAML built with libyaml (its C parser): the CSafeLoader variant is timed only then.
HAS_LIBYAML = hasattr(yaml, "CSafeLoader")
#: Runs of the sample each per-run naive loop (YAML read per run) is checked on.
CHECK_PER_RUN = 10


def c_safe_load(text: str) -> Any:
    """``yaml.safe_load`` with PyYAML's C parser (libyaml)."""
    return yaml.load(text, Loader=yaml.CSafeLoader)


def naive_sample(n: int) -> list[tuple[int, int, dict[str, float], int]]:
    """``n`` runs spread over the design points: (point, replication, parameters, seed)."""
    per_point = -(-n // len(POINTS))
    out = []
    for rep in range(per_point):
        for point, (p, r) in enumerate(POINTS):
            params = {"counter_strike_p": p, "return_at_most": r}
            out.append((point, rep, params, derive_seed(SEED, point, rep)))
    return out[:n]


def check_naive(
    folder: Path, outputs: Outputs, sample: Sequence[tuple[int, int, dict[str, float], int]]
) -> int:
    """Refuse to time a naive loop that does not compute what dipsim computes, run by run."""
    reps = 1 + max(rep for _, rep, _, _ in sample)
    spec, _ = sweep_spec(folder, reps * len(POINTS))
    _, out = timed_batch(spec, "sequential", 1, outputs, keep=True)
    rows = {(row["point"], row["replication"]): row for row in read_rows(out)}
    out.unlink()
    once = naive_load(WHATIF)
    # Every run with the YAML read once; the first few also through the whole per-run loop,
    # with each parser (the three timed variants).
    bodies: list[tuple[int, Callable[[dict[str, float], int], Final]]] = [
        (len(sample), lambda p, s: naive_simulate(once, p, s)),
        (CHECK_PER_RUN, lambda p, s: naive_run(WHATIF, p, s, yaml.safe_load)),
    ]
    if HAS_LIBYAML:
        bodies.append((CHECK_PER_RUN, lambda p, s: naive_run(WHATIF, p, s, c_safe_load)))
    wrong = []
    for count, body in bodies:
        for point, rep, params, seed in sample[:count]:
            state, values = body(params, seed)[RELATION]
            row = rows[(point, rep)]
            expected = (row[f"{RELATION}.final_state"], row[f"{RELATION}.tension.final"])
            tension = expected[1]
            if (
                state != expected[0]
                or not isinstance(tension, float)
                or abs(values["tension"] - tension) > 1e-6
            ):
                wrong.append(((point, rep), (state, values["tension"]), expected))
    if wrong:
        raise SystemExit(
            f"the naive loop disagrees with dipsim on {len(wrong)} of {len(sample)} runs "
            f"(first: {wrong[0]}): timing them side by side would compare different work"
        )
    return len(sample)


def naive(folder: Path, naive_runs: int, batch_runs: int, rounds: int) -> str:
    """The naive loop per run, three ways, beside dipsim's sequential batch per run."""
    outputs = Outputs(folder)
    sample = naive_sample(naive_runs)
    say(f"naive: checking the naive loop against dipsim on {len(sample)} runs")
    checked = check_naive(folder, outputs, sample)
    spec, batch_runs = sweep_spec(folder, batch_runs)
    once = naive_load(WHATIF)

    def loop(body: Callable[[dict[str, float], int], Final]) -> Callable[[], Sample]:
        def call() -> Sample:
            start = time.perf_counter()
            finals = [body(params, seed) for _, _, params, seed in sample]
            elapsed = time.perf_counter() - start
            assert len(finals) == len(sample)
            return Sample(elapsed / len(sample))

        return call

    def dipsim() -> Sample:
        sample_ = timed_batch(spec, "sequential", 1, outputs)[0]
        return Sample(sample_.seconds / batch_runs)

    cases = [
        Case(DIPSIM, dipsim),
        Case(NAIVE, loop(lambda p, s: naive_run(WHATIF, p, s, yaml.safe_load))),
        Case(NAIVE_C, loop(lambda p, s: naive_run(WHATIF, p, s, c_safe_load))),
        Case(NAIVE_ONCE, loop(lambda p, s: naive_simulate(once, p, s))),
    ]
    if not HAS_LIBYAML:
        cases = [c for c in cases if c.label != NAIVE_C]
    say("naive: warm-up")
    for case in cases:
        if case.label != DIPSIM:
            case.call()
    timed_batch(sweep_spec(folder, max(len(POINTS), batch_runs // 10))[0], "sequential", 1, outputs)
    times = measure(cases, rounds)
    rows = []
    for case in cases:
        samples = times[case.label]
        med = median_s(samples)
        rows.append(
            [
                case.label,
                f"{med * 1e3:.3f}",
                f"{best_s(samples) * 1e3:.3f}",
                f"{1 / med:,.0f}",
                f"{paired(times, case.label, DIPSIM):.2f}",
            ]
        )
    header = ["case (per run)", "ms/run", "best", "runs/s", "× dipsim"]
    headline = paired(times, NAIVE, DIPSIM)
    once_ratio = paired(times, NAIVE_ONCE, DIPSIM)
    lines = [
        f"== naive: {WHATIF.name} (+ {BASE.name}), the same {len(POINTS)} design points; naive "
        f"loops over {len(sample)} runs, dipsim's sequential batch over {batch_runs:,} runs "
        f"(wall time / runs, results file included); "
        f"{rounds_text(rounds)}",
        "× dipsim = median over rounds of (time per run / dipsim's in the same round)",
        f"check: the naive loop's final state and tension of {RELATION} equal dipsim's (same "
        f"seeds) on all {checked} runs with the YAML read once, and on the first "
        f"{min(CHECK_PER_RUN, checked)} through each loop that reads it per run",
        "",
        *table(header, rows),
        "",
        f"dipsim is {headline:.0f}× faster per run than the naive loop a user writes per run "
        f"(YAML with yaml.safe_load, machine, SimPy run) — several times (≥ {SEVERAL:.0f}×): "
        f"{'met' if headline >= SEVERAL else 'NOT met'}",
        (
            f"with PyYAML's C parser the naive loop is {paired(times, NAIVE_C, DIPSIM):.1f}× "
            "dipsim; "
            if HAS_LIBYAML
            else "PyYAML has no C parser here (no CSafeLoader); "
        )
        + f"with the YAML read once, {once_ratio:.2f}× (the machine built and a SimPy run per "
        "run)",
    ]
    return "\n".join(lines)


# --- memory ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    """Peaks of one batch run as a subprocess."""

    runs: int
    seconds: float
    parent: int  # bytes, peak RSS of the dipsim process
    tree: int  # bytes, peak of the sum of RSS over it and its descendants
    processes: int  # most processes seen at once
    samples: int


def peak_memory(spec: Path, runs: int, out: Path) -> Memory:
    """Run ``python -m simulator batch`` on ``spec`` with 2 workers and sample its memory."""
    cmd = [sys.executable, "-m", "simulator", "batch", str(spec), "--out", str(out), "--quiet"]
    errors = out.with_suffix(".stderr")
    peak = sampled([*cmd, "--workers", "2"], errors)
    errors.unlink()
    out.unlink()
    return Memory(runs, peak.seconds, peak.parent, peak.tree, peak.processes, peak.samples)


def memory(folder: Path, runs: int) -> str:
    """Peak memory of a large batch and of one a tenth its size, both as subprocesses."""
    small_spec, small_runs = memory_spec(folder, runs // 10)
    big_spec, big_runs = memory_spec(folder, runs)
    say(f"memory: {small_runs:,} runs")
    small = peak_memory(small_spec, small_runs, folder / "memory-small.parquet")
    say(f"memory: {big_runs:,} runs")
    big = peak_memory(big_spec, big_runs, folder / "memory-big.parquet")
    rows = [
        [
            f"{m.runs:,} runs",
            f"{m.seconds:.1f}",
            rate(m.runs, m.seconds),
            f"{m.parent / MB:.0f}",
            f"{m.tree / MB:.0f}",
            str(m.processes),
            str(m.samples),
        ]
        for m in (small, big)
    ]
    header = ["batch", "wall s", "runs/s", "parent MB", "tree MB", "processes", "samples"]
    lines = [
        f"== memory: {BASE.name}, tension's decay_per_day over {len(DECAY_VALUES)} values, "
        f"replicated; `python -m simulator batch SPEC --out X.parquet --quiet --workers 2` as a "
        f"subprocess, resident memory sampled every {SAMPLE_EVERY} s with psutil",
        "parent MB = peak RSS of the dipsim process; tree MB = peak of the sum of RSS over it "
        "and its descendants (workers, multiprocessing's resource tracker; shared pages are "
        "counted once per process, so the sum overstates); MB = 2^20 bytes; wall s includes "
        "interpreter start-up",
        "",
        *table(header, rows),
        "",
        f"ratio {big.runs:,} / {small.runs:,} runs: parent peak {big.parent / small.parent:.2f}, "
        f"tree peak {big.tree / small.tree:.2f} (flat memory: ≈1)",
        f"floor: under {FLOOR_MB:.0f} MB resident for {big.runs:,} runs — process tree "
        f"{big.tree / MB:.0f} MB: {verdict(big.tree / MB < FLOOR_MB)}; parent alone "
        f"{big.parent / MB:.0f} MB: {verdict(big.parent / MB < FLOOR_MB)}",
    ]
    return "\n".join(lines)


# --- dask --------------------------------------------------------------------------------------


def dask(folder: Path, runs: int, rounds: int) -> str:
    """The sweep on a local Dask cluster of 2 workers against the local pool of 2."""
    outputs = Outputs(folder)
    spec, runs = warmed_up(folder, outputs, runs, "dask", [("local", 2), ("dask", 2)])
    cases = [
        Case(TWO, lambda: timed_batch(spec, "local", 2, outputs)[0]),
        Case(DASK, lambda: timed_batch(spec, "dask", 2, outputs)[0]),
        Case(POOL_START, lambda: timed_start("local")),
        Case(DASK_START, lambda: timed_start("dask")),
    ]
    times = measure(cases, rounds)
    rows = []
    for label in (TWO, DASK):
        samples = times[label]
        med = median_s(samples)
        rows.append(
            [
                label,
                f"{med:.2f}",
                rate(runs, med),
                rate(runs, best_s(samples)),
                steady_text(median_steady(samples)),
                f"{paired(times, label, TWO):.2f}",
            ]
        )
    header = ["run_batch backend", "wall s", "runs/s", "best", "steady", "× local"]
    chunks = -(-runs // DEFAULT_CHUNK)
    added = statistics.median(
        d.seconds - loc.seconds for d, loc in zip(times[DASK], times[TWO], strict=True)
    )
    start_local, start_dask = median_s(times[POOL_START]), median_s(times[DASK_START])
    per_chunk = (added - (start_dask - start_local)) / chunks
    # A chunk's seconds of work on one worker: from the local pool's steady rate on 2 workers.
    steady = median_steady(times[TWO]) or runs / median_s(times[TWO])
    chunk_work = DEFAULT_CHUNK * 2 / steady
    lines = [
        f"== dask: {WHATIF.name}, {runs:,} runs per case in {chunks} chunks of {DEFAULT_CHUNK} "
        f"runs (one Dask task per chunk), 2 single-threaded workers; "
        f"{rounds_text(rounds)}",
        "× local = median over rounds of (the case's wall time / the local pool's)",
        "check: the warm-up's results files are identical on the two backends",
        "",
        *table(header, rows),
        f"start-up on its own (median): local pool {start_local * 1e3:.0f} ms, dask cluster "
        f"{start_dask * 1e3:.0f} ms",
        "",
        f"Dask costs {paired(times, DASK, TWO):.2f}× the local pool's wall time: "
        f"{added:+.2f} s (paired median), of which {start_dask - start_local:+.2f} s is "
        f"start-up; the rest is {per_chunk * 1e3:+.1f} ms of wall time per chunk, "
        f"{per_chunk * 2e3:+.1f} ms per task if borne by the 2 workers alike, against a "
        f"chunk's {chunk_work * 1e3:.0f} ms of work on one worker "
        f"({100 * per_chunk * 2 / chunk_work:+.1f}%)",
    ]
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Parse the options, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run, every section at a token size, 1 round: 500 runs, 5 naive runs, "
        "memory 2,000 runs (~15 s; the figures mean little).",
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        metavar="LIST",
        help=f"comma-separated sections to run, of: {', '.join(SECTIONS)} (default: all).",
    )
    parser.add_argument(
        "--runs", type=int, default=None, metavar="N", help="runs per batch (default 100,000)."
    )
    parser.add_argument(
        "--naive-runs",
        type=int,
        default=None,
        metavar="N",
        help="runs of each naive loop per round (default 300).",
    )
    parser.add_argument(
        "--naive-batch-runs",
        type=int,
        default=None,
        metavar="N",
        help="runs of dipsim's sequential batch in the naive section (default 10,000).",
    )
    parser.add_argument(
        "--memory-runs",
        type=int,
        default=None,
        metavar="N",
        help="runs of the large memory batch; the small one has a tenth (default 1,000,000).",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        metavar="N",
        help="interleaved rounds of throughput, naive and dask (default 3; 1 with --quick).",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown or not sections:
        parser.error(f"--only takes sections of {', '.join(SECTIONS)}, not {args.only!r}")
    rounds = args.rounds if args.rounds is not None else (1 if quick else 3)
    runs = args.runs if args.runs is not None else (500 if quick else 100_000)
    naive_runs = args.naive_runs if args.naive_runs is not None else (5 if quick else 300)
    batch_runs = args.naive_batch_runs or (200 if quick else 10_000)
    memory_runs = (
        args.memory_runs if args.memory_runs is not None else (2_000 if quick else 1_000_000)
    )
    if rounds < 1 or runs < len(POINTS) or naive_runs < 1 or memory_runs < 10 * len(DECAY_VALUES):
        parser.error(
            f"--rounds must be at least 1, --runs at least {len(POINTS)}, --naive-runs at least "
            f"1 and --memory-runs at least {10 * len(DECAY_VALUES)}"
        )

    print(f"bench_batch: sections {', '.join(sections)}; {machine_line()}", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_batch-") as tmp:
        folder = Path(tmp)
        for section in SECTIONS:
            if section not in sections:
                continue
            begun = time.perf_counter()
            if section == "throughput":
                text = throughput(folder, runs, rounds)
            elif section == "naive":
                text = naive(folder, naive_runs, batch_runs, rounds)
            elif section == "memory":
                text = memory(folder, memory_runs)
            else:
                text = dask(folder, runs, rounds)
            print(f"\n{text}\n({section}: {time.perf_counter() - begun:.0f} s)", flush=True)
    print(f"\nall: {time.perf_counter() - started:.0f} s; {machine_line()}", flush=True)


if __name__ == "__main__":
    main()
