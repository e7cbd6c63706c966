"""Running many solves (sweep points, scenario draws) on this machine's cores or a Dask cluster.

One interface, :class:`Executor`: ``run(task, context, chains, progress)`` calls
``task(context, item, state)`` for every item of every chain and returns the results chain by
chain, item by item. The items of one chain run one after the other, each given the ``state``
the previous one returned (a sweep's warm-start basis; ``None`` for the first); chains are
independent and run side by side. A result is placed by its chain and position, never by the
order in which results arrive, so the results depend on the chains alone, not on the executor
or the number of its workers, and no item can be lost or counted twice: an item a dead worker
was running is run again and still fills its one place.

- :class:`LocalExecutor` (the default): worker processes of this machine (``concurrent.futures``,
  spawned fresh so that no HiGHS thread state is inherited), as many as the cores this process
  may use; with one worker, everything runs in this process.
- :class:`DaskExecutor`: the workers of a Dask distributed scheduler (``--scheduler
  tcp://HOST:PORT`` or the ``FISCAL_OPT_SCHEDULER`` environment variable; ``pip install
  'fiscal-opt[distributed]'``). The context goes to every worker once; each item is a task
  keyed by its chain and position. When a worker dies, the scheduler runs its tasks again on
  another, those whose finished results died with it included.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Protocol

from ..errors import InputError, Problem

Task = Callable[[Any, Any, Any], tuple[Any, Any]]
"""``task(context, item, state) -> (result, next_state)``: a module-level function (it is pickled
by reference to the workers)."""

SCHEDULER_VARIABLE = "FISCAL_OPT_SCHEDULER"
"""The environment variable naming a Dask scheduler when ``--scheduler`` is not given."""

IN_PROCESS_CELL_SOLVES = 40_000
"""Runs of fewer cell-solves than this (region × service × year cells times solves) stay in this
process when no number of workers is given: at about 10⁻⁴ s per cell and solve (0.06 s for the 744
cells of the 31 provinces, 9 s for the 57,000 of 2,850 counties over 5 years) they take less than
the 2.2 s that starting two worker processes and importing fiscal_opt in them took."""

CONNECT_SECONDS = 20.0
"""How long to wait for a Dask scheduler to answer before giving up."""


class Executor(Protocol):
    """Runs chains of tasks; ``workers`` is how many tasks it runs at once."""

    workers: int

    def run(self, task: Task, context: Any, chains: Sequence[Sequence[Any]],
            progress: Callable[[], None] | None = None) -> list[list[Any]]:
        """The result of ``task`` for each item, chain by chain; ``progress()`` after each item."""

    def close(self) -> None:
        """Release the workers (or the connection to them)."""


def available_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_CONTEXT: Any = None
"""The context of the run a local worker process belongs to (set once when the process starts)."""


def _set_context(context: Any) -> None:
    global _CONTEXT
    _CONTEXT = context


def _local_step(task: Task, item: Any, state: Any) -> tuple[Any, Any]:
    return task(_CONTEXT, item, state)


class LocalExecutor:
    """``workers`` processes of this machine (default: every core this process may use)."""

    def __init__(self, workers: int | None = None):
        if workers is not None and workers < 1:
            raise InputError(Problem("--workers", "", f"must be at least 1, not {workers}"))
        self.workers = workers or available_cores()

    def run(self, task: Task, context: Any, chains: Sequence[Sequence[Any]],
            progress: Callable[[], None] | None = None) -> list[list[Any]]:
        chains = [list(chain) for chain in chains]
        results: list[list[Any]] = [[None] * len(chain) for chain in chains]
        busy = sum(1 for chain in chains if chain)
        if self.workers == 1 or busy <= 1:
            for c, chain in enumerate(chains):
                state = None
                for k, item in enumerate(chain):
                    results[c][k], state = task(context, item, state)
                    if progress is not None:
                        progress()
            return results
        pool = ProcessPoolExecutor(max_workers=min(self.workers, busy), mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_set_context, initargs=(context,))
        try:
            running = {pool.submit(_local_step, task, chain[0], None): (c, 0) for c, chain in enumerate(chains) if chain}
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    c, k = running.pop(future)
                    results[c][k], state = future.result()
                    if progress is not None:
                        progress()
                    if k + 1 < len(chains[c]):
                        running[pool.submit(_local_step, task, chains[c][k + 1], state)] = (c, k + 1)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return results

    def close(self) -> None:
        """Nothing to release: each run starts and ends its own processes."""


def _dask_step(task: Task, context: Any, item: Any, previous: tuple[Any, Any] | None) -> tuple[Any, Any]:
    return task(context, item, None if previous is None else previous[1])


class DaskExecutor:
    """The workers of the Dask distributed scheduler at ``address`` (``tcp://HOST:PORT``), reached
    within ``timeout`` seconds."""

    def __init__(self, address: str, timeout: float = CONNECT_SECONDS):
        try:
            from distributed import Client
        except ImportError:
            raise InputError(Problem("--scheduler", "", "running on a Dask cluster needs the optional extra: "
                                     "pip install 'fiscal-opt[distributed]'")) from None
        if "://" not in address:
            raise InputError(Problem("--scheduler", "", f"expected a scheduler address such as tcp://HOST:8786, not "
                                     f"{address!r}"))
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(Problem("--scheduler", "", f"cannot reach the Dask scheduler at {address}: {exc}")) from None
        self.address = address

    @property
    def workers(self) -> int:
        """The threads of the cluster's workers, at least 1 (a cluster may still be starting)."""
        found = self.client.scheduler_info(n_workers=-1)["workers"].values()
        return max(1, sum(int(w.get("nthreads", 1)) for w in found))

    def run(self, task: Task, context: Any, chains: Sequence[Sequence[Any]],
            progress: Callable[[], None] | None = None) -> list[list[Any]]:
        from distributed import as_completed

        shared = self.client.scatter(context, broadcast=True, hash=False)
        run = uuid.uuid4().hex[:12]
        futures = []
        for c, chain in enumerate(chains):
            previous = None
            row = []
            for k, item in enumerate(chain):
                previous = self.client.submit(_dask_step, task, shared, item, previous, key=f"fiscal-opt-{run}-{c}-{k}",
                                              pure=False)
                row.append(previous)
            futures.append(row)
        flat = [future for row in futures for future in row]
        try:
            for future in as_completed(flat, loop=self.client.loop):
                future.result()  # raises the task's error here, at once
                if progress is not None:
                    progress()
            return [[future.result()[0] for future in row] for row in futures]
        finally:
            self.client.cancel([*flat, shared])

    def close(self) -> None:
        self.client.close()


def make_executor(scheduler: str | None = None, workers: int | None = None,
                  cell_solves: int | None = None) -> Executor:
    """A :class:`DaskExecutor` for ``scheduler``, else a :class:`LocalExecutor` of ``workers``
    processes; with neither, the scheduler the ``FISCAL_OPT_SCHEDULER`` variable names, if any,
    else every core, or this process alone for fewer than :data:`IN_PROCESS_CELL_SOLVES`
    ``cell_solves`` (cells of the instance times solves)."""
    if scheduler is not None and workers is not None:
        raise InputError(Problem("--workers", "", "a cluster's workers are set where the cluster is started; give "
                                 "--workers only without --scheduler"))
    address = scheduler or (os.environ.get(SCHEDULER_VARIABLE) or None if workers is None else None)
    if address is not None:
        return DaskExecutor(address)
    small = workers is None and cell_solves is not None and cell_solves < IN_PROCESS_CELL_SOLVES
    return LocalExecutor(1 if small else workers)
