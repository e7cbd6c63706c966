"""Phase timing and peak memory of one solve, measured on the production code path.

:class:`Probe` wraps named functions of the pipeline (``fiscal_opt.api.derive``,
``fiscal_opt.solver.stages.make_engine``, ``DirectHighs.run``, …) for the duration of a ``with`` block. Time
and memory are attributed *exclusively* to the innermost phase running: when a wrapped function is
entered the enclosing phase is charged up to that instant, so the phases add up to the wall time of
the run and, for example, ``stages`` holds only the glue between solver calls.

Peak memory is the process's resident-set high-water mark (``VmHWM``), reset at each phase
boundary by writing ``5`` to ``/proc/self/clear_refs`` (Linux ≥ 4.0), so each phase reports its
own peak, HiGHS's C++ allocations included. Where the reset is not available, each phase reports
the process peak so far (``ru_maxrss``), which is monotone but still bounds the case's peak.
"""

from __future__ import annotations

import functools
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _hwm_mb() -> float:
    """Peak resident memory since the last reset, MiB."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_hwm() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


@dataclass
class Phase:
    """Exclusive wall and CPU seconds and peak resident memory (MiB) of one phase; ``calls`` entries.

    CPU seconds (this process, all threads) are what a shared, noisy machine disturbs least."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_mb: float = 0.0
    calls: int = 0


@dataclass
class Probe:
    """Exclusive time and peak memory per phase; see the module docstring."""

    phases: dict[str, Phase] = field(default_factory=dict)
    hwm_reset: bool = True
    _stack: list[str] = field(default_factory=list)
    _last: float = 0.0
    _last_cpu: float = 0.0
    _patched: list[tuple[Any, str, Any]] = field(default_factory=list)

    def _charge(self) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if self._stack:
            phase = self.phases.setdefault(self._stack[-1], Phase())
            phase.seconds += now - self._last
            phase.cpu_seconds += cpu - self._last_cpu
            phase.peak_mb = max(phase.peak_mb, _hwm_mb())
        self.hwm_reset = _reset_hwm() and self.hwm_reset
        self._last, self._last_cpu = time.perf_counter(), time.process_time()

    def enter(self, name: str) -> None:
        self._charge()
        self._stack.append(name)
        self.phases.setdefault(name, Phase()).calls += 1

    def leave(self) -> None:
        self._charge()
        self._stack.pop()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Charge the block's time and memory to ``name``."""
        self.enter(name)
        try:
            yield
        finally:
            self.leave()

    def wrap(self, owner: Any, attr: str, name: str, after: Callable[[Any, tuple], None] | None = None) -> None:
        """Charge calls of ``owner.attr`` to phase ``name`` until :meth:`restore`.

        ``after(result, args)`` runs when the call returns, outside every phase (its time and
        memory are charged to no phase): the suite uses it to write the reference MPS file.
        """
        original = getattr(owner, attr)

        @functools.wraps(original)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            self.enter(name)
            try:
                result = original(*args, **kwargs)
            finally:
                self.leave()
            if after is not None:
                self.enter("_bench_overhead")
                try:
                    after(result, args)
                finally:
                    self.leave()
            return result

        self._patched.append((owner, attr, original))
        setattr(owner, attr, wrapped)

    def restore(self) -> None:
        """Undo every :meth:`wrap`."""
        while self._patched:
            owner, attr, original = self._patched.pop()
            setattr(owner, attr, original)

    def table(self) -> dict[str, dict[str, float]]:
        """Phases in first-entered order, overhead left out: ``{name: {seconds, cpu_seconds, peak_mb, calls}}``."""
        return {name: {"seconds": round(p.seconds, 6), "cpu_seconds": round(p.cpu_seconds, 6),
                       "peak_mb": round(p.peak_mb, 1), "calls": p.calls}
                for name, p in self.phases.items() if not name.startswith("_")}
