"""The batch backends: one suite, run against the sequential, process-pool and Dask backends.

The worker functions below are module-level so that spawned processes and Dask workers can
import them (``tests`` is a package on the path: pyproject sets ``pythonpath = ["."]``). The
Dask backend runs on a real ``LocalCluster`` of two worker processes, started once per module.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from simulator.batch.backends import (
    DASK_MISSING,
    IN_FLIGHT_PER_WORKER,
    Backend,
    BackendError,
    DaskBackend,
    ProcessBackend,
    SequentialBackend,
    make_backend,
)
from simulator.core.errors import DipsimError
from tests.conftest import ROOT

# --- work sent to the workers ------------------------------------------------------------------


def _square(x: int) -> int:
    return x * x


def _fail_at_13(x: int) -> int:
    if x == 13:
        raise ValueError(f"bad item {x}")
    return x


def _slow_square(x: int) -> int:
    time.sleep(0.02)
    return x * x


#: Calls made in this process, per test token: stands in for the runner's per-worker cache.
_CALLS: dict[str, int] = {}


def _count_calls(item: tuple[str, int]) -> tuple[int, int]:
    """(this process's id, the items of this token it has seen, this one included)."""
    token = item[0]
    _CALLS[token] = _CALLS.get(token, 0) + 1
    return os.getpid(), _CALLS[token]


def _die(x: int) -> int:
    os._exit(3)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    """A local Dask cluster of two worker processes for the whole module, started by the backend
    itself (so its own-cluster path is exercised too); tests connect to it by address."""
    with DaskBackend(workers=2) as owner:
        assert owner.address is not None
        yield owner.address


@pytest.fixture(params=["sequential", "local", "dask"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each backend, not yet entered: the sequential reference, two processes, two Dask workers."""
    name: str = request.param
    if name == "dask":
        return make_backend("dask", workers=2, scheduler=request.getfixturevalue("dask_scheduler"))
    return make_backend(name, workers=1 if name == "sequential" else 2)


# --- the suite every backend passes ------------------------------------------------------------


def test_results_are_those_of_a_plain_map(backend: Backend) -> None:
    """Every item's result comes back once (equal items included), in some order; a backend
    serves several maps in one with block."""
    items = [*range(200), *[7] * 20]
    with backend:
        first = Counter(backend.map_unordered(_square, items))
        second = sorted(backend.map_unordered(_square, range(20)))
    assert first == Counter(map(_square, items))
    assert second == [x * x for x in range(20)]


def test_no_items_no_results(backend: Backend) -> None:
    """An empty input gives an empty output."""
    with backend:
        assert list(backend.map_unordered(_square, [])) == []


def test_an_exception_in_fn_reaches_the_caller(backend: Backend) -> None:
    """An exception raised by fn propagates with its type and message; the backend still stops."""
    with backend, pytest.raises(ValueError, match="bad item 13"):
        list(backend.map_unordered(_fail_at_13, range(100)))


def test_items_are_drawn_as_results_come_back(backend: Backend) -> None:
    """A generator of 10**9 items is drawn lazily, never more than twice the in-flight bound
    ahead of the results; breaking after 50 results and leaving the block is prompt."""
    drawn = 0

    def items() -> Iterator[int]:
        nonlocal drawn
        for i in range(10**9):
            drawn += 1
            yield i

    bound = 2 * IN_FLIGHT_PER_WORKER * backend.workers
    got = 0
    start = time.perf_counter()
    with backend:
        for _ in backend.map_unordered(_square, items()):
            got += 1
            assert drawn - got <= bound
            if got == 50:
                break
    assert drawn <= 50 + bound
    assert time.perf_counter() - start < 10


def test_leaving_after_partial_consumption_is_prompt(backend: Backend) -> None:
    """Leaving the block with most of the work unread (the iterator still open) cancels it:
    the exit takes about one task, not the 1,000 × 20 ms queued; closing the iterator later is
    harmless."""
    with backend:
        results = backend.map_unordered(_slow_square, range(1000))
        assert [next(results) for _ in range(3)]
        start = time.perf_counter()
    assert time.perf_counter() - start < 5
    results.close()


def test_module_state_lasts_across_a_workers_tasks(backend: Backend) -> None:
    """A module-level cache in a worker survives from task to task (the runner keeps its built
    simulators so): each process counts its own calls 1, 2, 3, … without a gap or restart."""
    token = uuid.uuid4().hex
    with backend:
        seen = list(backend.map_unordered(_count_calls, [(token, i) for i in range(100)]))
    per_process: dict[int, list[int]] = {}
    for pid, count in seen:
        per_process.setdefault(pid, []).append(count)
    assert len(per_process) <= backend.workers
    for counts in per_process.values():
        assert sorted(counts) == list(range(1, len(counts) + 1))


def test_map_outside_a_with_block_is_refused(backend: Backend) -> None:
    """map_unordered on a backend not entered (or already left) is a BackendError at once."""
    with pytest.raises(BackendError, match="not running: use it in a with block"):
        backend.map_unordered(_square, [1])
    with backend:
        pass
    with pytest.raises(BackendError, match="not running"):
        backend.map_unordered(_square, [1])


# --- one backend at a time ---------------------------------------------------------------------


def test_a_lost_worker_process_is_a_backend_error() -> None:
    """A worker process that dies (killed, out of memory) surfaces as a BackendError."""
    with ProcessBackend(2) as local, pytest.raises(BackendError, match=r"worker process .* died"):
        list(local.map_unordered(_die, range(10)))


def test_dask_counts_the_threads_of_a_cluster_it_joins(dask_scheduler: str) -> None:
    """With a scheduler and no worker count, the backend keeps the cluster's threads busy."""
    joined = DaskBackend(scheduler=dask_scheduler)
    with joined:
        assert joined.workers == 2
        assert joined.address == dask_scheduler
    assert joined.address is None


def test_backends_leave_the_global_start_method_alone() -> None:
    """Importing the backends and running the process-pool and local Dask backends leave the
    global multiprocessing start method unset, during and after (checked in a fresh
    interpreter, where it starts unset)."""
    code = (
        "import multiprocessing as mp\n"
        "from simulator.batch.backends import make_backend\n"
        "assert mp.get_start_method(allow_none=True) is None, 'at start'\n"
        "for name in ('local', 'dask'):\n"
        "    with make_backend(name, workers=2) as backend:\n"
        "        assert sorted(backend.map_unordered(abs, range(-5, 0))) == [1, 2, 3, 4, 5]\n"
        "        assert mp.get_start_method(allow_none=True) is None, name + ': during'\n"
        "    assert mp.get_start_method(allow_none=True) is None, name + ': after'\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize(
    ("name", "workers", "scheduler", "message"),
    [
        (
            "dsak",
            None,
            None,
            "unknown backend 'dsak' (did you mean 'dask'?); choose one of: sequential, local, dask",
        ),
        ("threads", 2, None, "unknown backend 'threads'; choose one of: sequential, local, dask"),
        (
            "local",
            2,
            "tcp://h:8786",
            "a scheduler address ('tcp://h:8786') needs the dask backend, not 'local'",
        ),
        ("sequential", None, "tcp://h:8786", "needs the dask backend, not 'sequential'"),
        ("sequential", 2, None, "the sequential backend has one worker, not 2"),
        ("local", 0, None, "workers must be at least 1, not 0"),
        ("dask", -1, None, "workers must be at least 1, not -1"),
        ("dask", None, " ", "the dask scheduler address is empty (' ')"),
    ],
)
def test_make_backend_refuses_bad_requests(
    name: str, workers: int | None, scheduler: str | None, message: str
) -> None:
    """A bad name (with the names to choose from), worker count or scheduler is a BackendError
    quoting the value — a DipsimError, which the CLI reports without a traceback."""
    with pytest.raises(BackendError) as caught:
        make_backend(name, workers, scheduler)
    assert message in str(caught.value)
    assert isinstance(caught.value, DipsimError)


def test_make_backend_builds_what_it_is_asked_for() -> None:
    """Names map to classes literally; workers default to the number of CPUs."""
    assert isinstance(make_backend("sequential"), SequentialBackend)
    local = make_backend("local", workers=1)
    assert isinstance(local, ProcessBackend)
    assert local.workers == 1
    assert make_backend("local").workers == (os.cpu_count() or 1)
    dask = make_backend("dask", workers=3)
    assert isinstance(dask, DaskBackend)
    assert (dask.workers, dask.address) == (3, None)


def test_dask_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without dask[distributed] installed, asking for the Dask backend says what to install."""
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "distributed" else find_spec(name, *args),
    )
    with pytest.raises(BackendError) as caught:
        make_backend("dask")
    assert str(caught.value) == DASK_MISSING
    assert "pip install 'dipsim[dask]'" in DASK_MISSING


def test_an_unreachable_scheduler_is_a_backend_error() -> None:
    """A scheduler address nobody answers at is a BackendError naming the address."""
    import dask
    import distributed  # noqa: F401  # loads its config defaults before the override below

    with (
        dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}),
        pytest.raises(BackendError) as caught,
    ):
        DaskBackend(scheduler="tcp://127.0.0.1:1").__enter__()
    assert "cannot reach the dask scheduler at 'tcp://127.0.0.1:1'" in str(caught.value)
