"""Where a batch's work runs: in this process, in a pool of spawned processes, or on Dask.

A backend is a small context-manager protocol (:class:`Backend`): entering it starts its
workers, :meth:`~Backend.map_unordered` applies a function to a stream of items and yields the
results as they complete, and leaving it stops the workers — cancelling the work not started,
so Ctrl-C or an early ``break`` ends a batch promptly. :class:`SequentialBackend` is the
reference: the others must give the same results, in some order, for the same items.

Three rules hold for every backend:

- **Bounded work in flight.** At most ``IN_FLIGHT_PER_WORKER × workers`` items are sent out and
  not yet yielded back, and items are drawn from their iterable only as results come back: a
  lazy generator of a million chunks is never materialised, nor are its results.
- **Picklable work.** ``fn`` must be a module-level function and the items picklable; a worker
  imports ``fn``'s module. Module-level state of that module (a cache of built simulators, say)
  lives once per worker process and persists across the tasks it runs.
- **No global side effects.** Starting a ``spawn`` process fixes the interpreter's *global*
  multiprocessing start method (CPython's ``spawn.get_preparation_data`` asks for it); the
  backends put back "not set yet" when they found it so. Dask's client is not made the default
  client of the process.

Dask (``dask[distributed]``) is imported only when a Dask backend is entered.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from simulator.core.errors import DipsimError, did_you_mean

T = TypeVar("T")
R = TypeVar("R")

#: Items a backend keeps sent out per worker: enough that a worker finding its next item
#: waiting never idles, few enough that memory stays flat whatever the number of items.
IN_FLIGHT_PER_WORKER = 2

#: The names :func:`make_backend` accepts.
BACKENDS = ("sequential", "local", "dask")

DASK_MISSING = "the dask backend needs dask[distributed]: pip install 'dipsim[dask]'"


class BackendError(DipsimError):
    """A backend cannot be made or run: a bad name or option, a missing library, a lost worker."""


class Backend(Protocol):
    """Runs a function over many items on some workers; a context manager.

    ``with backend:`` starts the workers and stops them on leaving, cancelling pending work.
    """

    name: str
    workers: int

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Generator[R, None, None]:
        """``fn(item)`` for each item, yielded as each completes (in any order).

        Items are drawn lazily, keeping at most ``IN_FLIGHT_PER_WORKER × workers`` in flight.
        An exception raised by ``fn`` propagates to the caller; the work still in flight is
        cancelled, as it is when the caller closes the generator (``close()``, or dropping it).
        """
        ...


def make_backend(name: str, workers: int | None = None, scheduler: str | None = None) -> Backend:
    """The backend called ``name``, not yet entered.

    Args:
        name: ``"sequential"`` (this process), ``"local"`` (a pool of spawned processes) or
            ``"dask"`` (a Dask cluster).
        workers: worker processes; ``None`` means ``os.cpu_count()`` — except for Dask with a
            ``scheduler``, where it means the cluster's threads, counted on entering.
        scheduler: the address of a running Dask scheduler (Dask only); without it the Dask
            backend starts a local cluster of ``workers`` processes.

    Raises:
        BackendError: an unknown name, ``workers`` below 1 (or other than 1 for the sequential
            backend), a scheduler for a backend other than Dask, or Dask not installed.
    """
    if name not in BACKENDS:
        raise BackendError(
            f"unknown backend {name!r}{did_you_mean(name, BACKENDS)}; "
            f"choose one of: {', '.join(BACKENDS)}"
        )
    if scheduler is not None and name != "dask":
        raise BackendError(
            f"a scheduler address ({scheduler!r}) needs the dask backend, not {name!r}"
        )
    if name == "sequential":
        if workers not in (None, 1):
            raise BackendError(f"the sequential backend has one worker, not {workers}")
        return SequentialBackend()
    if name == "local":
        return ProcessBackend(workers)
    return DaskBackend(workers, scheduler)


class SequentialBackend:
    """Runs each item in this process, in order, as it is asked for: the reference backend."""

    name = "sequential"
    workers = 1

    def __init__(self) -> None:
        self._entered = False

    def __enter__(self) -> Self:
        self._entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._entered = False

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Generator[R, None, None]:
        """``fn(item)`` for each item, in the items' order (one order among the allowed)."""
        if not self._entered:
            raise BackendError(_NOT_ENTERED.format(self.name))
        return (fn(item) for item in items)


class ProcessBackend:
    """A :class:`~concurrent.futures.ProcessPoolExecutor` of ``spawn`` processes.

    Spawned workers (not forked) start clean whatever threads the parent runs, and behave alike
    on Linux, macOS and Windows. A script using this backend needs the
    ``if __name__ == "__main__":`` guard, since a spawned worker imports the main module.
    Workers ignore SIGINT, so that Ctrl-C reaches only the parent, which then cancels the work
    not started and waits for the tasks running (each a fraction of a second, by the runner's
    choice of chunk size).
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = _resolve_workers(workers)
        self._pool: ProcessPoolExecutor | None = None
        self._start_method: str | None = None

    def __enter__(self) -> Self:
        if self._pool is not None:
            raise BackendError(_ENTERED_TWICE.format(self.name))
        self._start_method = multiprocessing.get_start_method(allow_none=True)
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_ignore_sigint,
        )
        try:
            # Start every worker now (the pool would start them one by one on demand), so that
            # a worker that cannot start fails here and the start method is set back at once.
            with _sigint_ignored():
                started = [self._submit(os.getpid) for _ in range(self.workers)]
            for ready in started:
                ready.result()
        except BrokenProcessPool as err:
            self._close()
            raise BackendError(
                f"worker processes could not start ({err}); a script that uses workers must "
                'start the batch under `if __name__ == "__main__":`'
            ) from None
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Generator[R, None, None]:
        """``fn(item)`` for each item, in worker processes, yielded as each completes.

        Raises:
            BackendError: a worker process died (killed, or out of memory).
        """
        if self._pool is None:
            raise BackendError(_NOT_ENTERED.format(self.name))
        return self._stream(fn, iter(items))

    def _stream(self, fn: Callable[[T], R], source: Iterator[T]) -> Generator[R, None, None]:
        pending: set[Future[R]] = {
            self._submit(fn, item)
            for item in itertools.islice(source, IN_FLIGHT_PER_WORKER * self.workers)
        }
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                # Refill before yielding, so the workers stay busy while the caller works.
                pending.update(self._submit(fn, x) for x in itertools.islice(source, len(done)))
                for future in done:
                    yield future.result()
        except BrokenProcessPool as err:
            raise BackendError(f"a worker process of the local backend died: {err}") from err
        finally:
            # Reached on an error, or when the caller stops early (the generator is closed).
            for future in pending:
                future.cancel()

    def _submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        if self._pool is None:  # pragma: no cover - guarded by the callers
            raise BackendError(_NOT_ENTERED.format(self.name))
        future = self._pool.submit(fn, *args)
        # Submitting may have started a spawn process, which fixed the global start method.
        _restore_start_method(self._start_method)
        return future

    def _close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            # Drop the work not started; wait for the tasks running (short, by design).
            pool.shutdown(wait=True, cancel_futures=True)
        _restore_start_method(self._start_method)


class DaskBackend:
    """A Dask cluster: the one at ``scheduler``, or a local one started and stopped here.

    The local cluster has ``workers`` single-threaded worker processes (Dask spawns them, so a
    script needs the ``if __name__ == "__main__":`` guard). With a ``scheduler``, ``workers``
    only sets how many items are kept in flight; left ``None``, it becomes the cluster's number
    of threads when the backend is entered. Each item is one Dask task, costing a few
    milliseconds (≈6 ms per task streamed on 2 local workers, against ≈0.3 ms for the process
    pool), so items should carry a tenth of a second of work or more. Leaving the backend
    cancels the tasks not finished (a task already running on a worker runs to its end there).
    """

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        if importlib.util.find_spec("distributed") is None:
            raise BackendError(DASK_MISSING)
        if scheduler is not None and not scheduler.strip():
            raise BackendError(f"the dask scheduler address is empty ({scheduler!r})")
        self.scheduler = scheduler
        self.workers = _resolve_workers(workers) if workers is not None or not scheduler else 0
        # distributed's API is only partly typed: its objects are Any here (see _distributed).
        self._client: Any = None
        self._cluster: Any = None
        self._start_method: str | None = None

    def __enter__(self) -> Self:
        if self._client is not None:
            raise BackendError(_ENTERED_TWICE.format(self.name))
        distributed = _distributed()
        self._start_method = multiprocessing.get_start_method(allow_none=True)
        try:
            if self.scheduler is None:
                # Workers started with SIGINT ignored keep ignoring it (Python installs its
                # KeyboardInterrupt handler only where SIGINT is not ignored), so Ctrl-C reaches
                # only this process, which closes the cluster, instead of killing every worker
                # mid-task with a traceback each.
                with _sigint_ignored():
                    self._cluster = distributed.LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        # The scheduler still serves HTTP (health checks) without a
                        # dashboard; a free port keeps two clusters from warning about 8787.
                        dashboard_address=":0",
                    )
                self._client = distributed.Client(self._cluster, set_as_default=False)
            else:
                try:
                    self._client = distributed.Client(self.scheduler, set_as_default=False)
                except OSError as err:
                    raise BackendError(
                        f"cannot reach the dask scheduler at {self.scheduler!r}: {err}"
                    ) from err
                if self.workers == 0:
                    self.workers = max(1, sum(self._client.nthreads().values()))
        except BaseException:
            self._close()
            raise
        finally:
            # The local cluster's nannies started spawn processes from this one.
            _restore_start_method(self._start_method)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    @property
    def address(self) -> str | None:
        """The scheduler's address while the backend runs (a local cluster's too), else None."""
        return None if self._client is None else str(self._client.scheduler.address)

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Generator[R, None, None]:
        """``fn(item)`` for each item, one Dask task each, yielded as each completes.

        Raises:
            BackendError: workers kept dying on an item (Dask's ``KilledWorker``).
        """
        if self._client is None:
            raise BackendError(_NOT_ENTERED.format(self.name))
        return self._stream(self._client, fn, iter(items))

    def _stream(
        self, client: Any, fn: Callable[[T], R], source: Iterator[T]
    ) -> Generator[R, None, None]:
        distributed = _distributed()
        pending: set[Any] = set()  # distributed.Future
        completed = distributed.as_completed(loop=client.loop)

        def submit(item: T) -> None:
            # pure=False: equal items are separate runs, never merged into one task by key.
            future = client.submit(fn, item, pure=False)
            pending.add(future)
            completed.add(future)

        try:
            for item in itertools.islice(source, IN_FLIGHT_PER_WORKER * self.workers):
                submit(item)
            for future in completed:
                pending.discard(future)
                for item in itertools.islice(source, 1):
                    submit(item)
                yield future.result()
        except distributed.KilledWorker as err:
            raise BackendError(f"dask workers died running an item: {err}") from err
        finally:
            if pending and self._client is not None:
                self._client.cancel(list(pending))

    def _close(self) -> None:
        client, self._client = self._client, None
        cluster, self._cluster = self._cluster, None
        try:
            if client is not None:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()
            _restore_start_method(self._start_method)


_NOT_ENTERED = "the {} backend is not running: use it in a with block"
_ENTERED_TWICE = "the {} backend is already running"


def _distributed() -> Any:
    """The ``distributed`` module, typed Any: its API is only partly annotated."""
    try:
        import distributed
    except ImportError as err:
        raise BackendError(f"{DASK_MISSING} ({err})") from err
    return distributed


def _resolve_workers(workers: int | None) -> int:
    if workers is None:
        return os.cpu_count() or 1
    if workers < 1:
        raise BackendError(f"workers must be at least 1, not {workers}")
    return workers


def _restore_start_method(method: str | None) -> None:
    """Put back "no start method chosen yet" if that is how it was found."""
    if method is None and multiprocessing.get_start_method(allow_none=True) is not None:
        multiprocessing.set_start_method(None, force=True)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT in this process for a while (processes started meanwhile inherit that)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers; Ctrl-C then reaches all
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        # None: the handler was not set from Python, and cannot be put back from it.
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _ignore_sigint() -> None:
    """Worker initialiser: leave Ctrl-C to the parent, which cancels and shuts down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


__all__ = [
    "BACKENDS",
    "IN_FLIGHT_PER_WORKER",
    "Backend",
    "BackendError",
    "DaskBackend",
    "ProcessBackend",
    "SequentialBackend",
    "make_backend",
]
