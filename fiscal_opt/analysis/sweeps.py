"""Re-solving one instance over a range of one parameter, or a grid of two: the budget, a rule's
level, a band of the value of coverage.

Each point is a full staged solve; the rows are those of :func:`fiscal_opt.compare.compare` (one
per year), with the parameter's value in front. A point where the policy is infeasible is a row
too (``status`` ``infeasible``, with the rules involved), so that a budget sweep shows where the
rules stop fitting. Read the efficiency–equity frontier from ``weighted_shortfall`` against
``gini`` or ``min_coverage``, and the budget's shadow price along it from ``budget_shadow_price``.

Warm re-solves: the points are cut into as many runs of neighbouring points as the executor has
workers (:mod:`fiscal_opt.analysis.executor`), and within a run each point's primary stage starts
from the basis the previous point's primary stage ended with
(:class:`~fiscal_opt.solver.stages.WarmStart`). Every point still builds and solves its own LP,
later stages included, so the answer is the one a cold solve gives, to the solver's tolerance;
only the time differs (docs/scenarios.md has the figures).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ..api import solve
from .compare import COLUMNS, failure_rows, result_rows, table_columns
from ..errors import InfeasibleError, InputError, Problem, SolverError
from ..solver.options import SolverOptions
from ..solver.stages import WarmStart
from ..io.instance import Instance, Policy
from ..rules import parameters
from .executor import Executor, LocalExecutor

PARAMETERS = ("budget", *parameters())
"""What can be swept by name: ``budget`` (each year's special fund, money_unit, or a percentage of
the instance's own), and the parameter of every rule of the registry (``min_coverage``,
``per_capita_floor``, ``gini_max``, ``hold_harmless.max_cut``, …), as the policy file writes it;
besides these, the bands of the value of coverage (:data:`BAND`)."""

BAND = re.compile(r"coverage_value\.(levels|values)\[(\d+)\]\Z")
"""``coverage_value.levels[K]`` or ``coverage_value.values[K]``: band K (from 0) of the policy's
``coverage_value``, as a sweep parameter."""

MAX_POINTS = 1000
"""A range, or a grid, may hold at most this many points: each one is a full solve."""

SWEEP_COLUMNS = ["parameter", "value", *COLUMNS]
GRID_COLUMNS = ["parameter", "value", "parameter_2", "value_2", *COLUMNS]


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its name (one of :data:`PARAMETERS` or a :data:`BAND`), its values,
    whether they are shares of the instance's own budget (``relative``, budget only), and the
    option that gave it, for messages (default ``--NAME``)."""

    name: str
    values: np.ndarray
    relative: bool = False
    given_as: str = ""

    @property
    def option(self) -> str:
        """How messages name the axis: the option it was given with."""
        if self.given_as:
            return self.given_as
        return f"--{self.name.replace('_', '-')}" if self.name in PARAMETERS else f"--param {self.name}"

    @property
    def label(self) -> str:
        """The ``parameter`` column's text."""
        return self.name + (" (share of own)" if self.relative else "")


def parse_range(text: str, option: str) -> tuple[np.ndarray, bool]:
    """``START:STOP:STEP`` (STOP included when the steps reach it) as values; with a ``%`` after
    each number the values are percentages, returned as fractions with ``relative=True``."""
    parts = [p.strip() for p in text.split(":")]
    relative = all(p.endswith("%") for p in parts)
    if len(parts) != 3 or (not relative and any(p.endswith("%") for p in parts)):
        raise InputError(Problem(option, "", f"expected START:STOP:STEP, all numbers or all percentages "
                                 f"(e.g. 20000:40000:5000 or 80%:120%:10%); got {text!r}"))
    try:
        start, stop, step = (float(p.rstrip("%")) for p in parts)
    except ValueError:
        raise InputError(Problem(option, "", f"START:STOP:STEP must be numbers; got {text!r}")) from None
    if not all(np.isfinite([start, stop, step])) or step <= 0 or stop < start:
        raise InputError(Problem(option, "", f"need START ≤ STOP and a positive STEP; got {text!r}"))
    count = int(np.floor((stop - start) / step + 1e-9)) + 1
    if count > MAX_POINTS:
        raise InputError(Problem(option, "", f"{count:,} points; a sweep may hold at most {MAX_POINTS:,} "
                                 "(each is a full solve): take a larger STEP"))
    values = start + step * np.arange(count)
    return (values / 100.0 if relative else values), relative


def parse_param(text: str) -> Axis:
    """An axis from ``--param NAME=START:STOP:STEP``."""
    name, equals, spec = (part.strip() for part in text.partition("="))
    if not equals or not name:
        raise InputError(Problem("--param", "", f"expected NAME=START:STOP:STEP, e.g. min_coverage=0.4:0.7:0.1 or "
                                 f"budget=80%:120%:10%; got {text!r}"))
    check_parameter(name, "--param")
    values, relative = parse_range(spec, f"--param {name}")
    return Axis(name, values, relative, f"--param {name}")


def check_parameter(name: str, option: str = "sweep") -> None:
    """Refuse a name that is neither in :data:`PARAMETERS` nor a :data:`BAND`."""
    if name not in PARAMETERS and not BAND.match(name):
        raise InputError(Problem(option, "", f"cannot sweep {name!r}; choose one of {', '.join(PARAMETERS)}, "
                                 "coverage_value.levels[K] or coverage_value.values[K]"))


def _with_band(policy: Policy, name: str, value: float) -> Policy:
    kind, index = BAND.match(name).groups()  # type: ignore[union-attr]
    if policy.coverage_value is None:
        raise ValueError("cannot be varied: the policy has no coverage_value bands")
    data = policy.model_dump()
    band = data["coverage_value"][kind]
    if int(index) >= len(band):
        raise ValueError(f"names band {index}, and the policy's coverage_value has {len(band)} (from 0)")
    band[int(index)] = value
    try:
        return type(policy).model_validate(data)
    except ValidationError as exc:
        raise ValueError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None


def _variant(instance: Instance, policy: Policy, axis: Axis, value: float) -> tuple[Instance, Policy]:
    parameter, relative, option = axis.name, axis.relative, axis.option
    if parameter == "budget":
        if instance.special_fund is None:
            raise InputError(Problem(instance.shown_as, "budget.special_fund",
                                     "a budget sweep needs a special-fund budget in the instance"))
        fund = instance.special_fund * value if relative else np.full(len(instance.years), value)
        return dataclasses.replace(instance, special_fund=fund), policy
    if relative:
        raise InputError(Problem(option, "", "a rule's parameter is given as a number (a share, a ratio), not a "
                                 "percentage"))
    try:
        if parameter in PARAMETERS:
            return instance, parameters()[parameter].with_value(policy, value)
        return instance, _with_band(policy, parameter, value)
    except ValueError as exc:
        raise InputError(Problem(option, "", f"{value:g} {exc}")) from None


def _point(instance: Instance, policy: Policy, axes: Sequence[Axis], values: Sequence[float]) -> tuple[Instance, Policy]:
    for axis, value in zip(axes, values):
        instance, policy = _variant(instance, policy, axis, float(value))
    return instance, policy


@dataclass(frozen=True)
class _Job:
    """What every point of a sweep shares (sent once to each worker)."""

    instance: Instance
    policy: Policy
    axes: tuple[Axis, ...]
    options: SolverOptions | None
    warm: bool


def _solve_point(job: _Job, point: tuple[float, ...], warm: WarmStart | None) -> tuple[list[dict], WarmStart | None]:
    """The rows of one point; ``warm`` carries the previous point's primary basis (warm sweeps)."""
    inst, pol = _point(job.instance, job.policy, job.axes, point)
    warm = (warm or WarmStart()) if job.warm else None
    head: dict[str, Any] = {}
    for k, (axis, value) in enumerate(zip(job.axes, point)):
        suffix = "" if k == 0 else f"_{k + 1}"
        head |= {f"parameter{suffix}": axis.label, f"value{suffix}": float(value)}
    try:
        result = solve(inst, pol, options=job.options, repairs=False, warm=warm)
    except (InfeasibleError, SolverError) as exc:
        return [head | row for row in failure_rows(exc, pol.name, inst.years)], warm
    return [head | row for row in result_rows(result, pol.name)], warm


def _order(axes: Sequence[Axis]) -> list[tuple[int, tuple[float, ...]]]:
    """Every point (its place in the table, its values), neighbours next to each other: the second
    axis runs up, then down, then up again (one warm start to the next is a small step)."""
    grid = list(itertools.product(*(axis.values.tolist() for axis in axes)))
    width = len(axes[1].values) if len(axes) == 2 else 1
    order = []
    for i in range(len(axes[0].values)):
        across = range(width) if i % 2 == 0 else reversed(range(width))
        order += [(i * width + j, grid[i * width + j]) for j in across]
    return order


def sweep_grid(instance: Instance, policy: Policy | None, axes: Sequence[Axis], options: SolverOptions | None = None,
               *, executor: Executor | None = None, warm: bool = True,
               progress: Callable[[], None] | None = None) -> pd.DataFrame:
    """Solve ``instance`` under ``policy`` (default: the instance's own) at every point of one axis
    or the grid of two (:class:`Axis`), on ``executor`` (default: this process).

    Returns one row per point × year, in the order of the axes' values (the first axis slowest;
    columns :data:`SWEEP_COLUMNS`, with ``parameter_2`` and ``value_2`` for a grid; money in
    money_unit). A point that cannot be solved is a row too: ``status`` ``infeasible`` (with the
    rules involved) or ``solver_failure``, with the ``reason``. ``warm=False`` solves every point
    cold (the same answers, more time); ``progress()`` is called after each point.
    """
    if not 1 <= len(axes) <= 2:
        raise InputError(Problem("--param", "", f"a sweep varies one parameter or a grid of two, not {len(axes)}"))
    for axis in axes:
        check_parameter(axis.name)
    if len(axes) == 2 and axes[0].name == axes[1].name:
        raise InputError(Problem("--param", "", f"{axes[0].name} is given twice; a grid needs two parameters"))
    count = int(np.prod([len(axis.values) for axis in axes]))
    if count > MAX_POINTS:
        raise InputError(Problem("--param", "", f"the grid has {count:,} points; a sweep may hold at most "
                                 f"{MAX_POINTS:,} (each is a full solve): take larger steps"))
    policy = policy or instance.policy or Policy()
    order = _order(axes)
    for _, point in order:  # every variant is checked before the first solve
        _point(instance, policy, axes, point)
    executor = executor or LocalExecutor(1)
    job = _Job(instance, policy, tuple(axes), options, warm)
    runs = [list(run) for run in np.array_split(np.arange(len(order)), min(executor.workers, len(order)))] \
        if warm else [[k] for k in range(len(order))]
    chains = [[order[k][1] for k in run] for run in runs]
    found = executor.run(_solve_point, job, chains, progress)
    by_place = {order[k][0]: rows for run, results in zip(runs, found) for k, rows in zip(run, results)}
    rows = [row for place in sorted(by_place) for row in by_place[place]]
    return pd.DataFrame(rows, columns=table_columns(rows, GRID_COLUMNS if len(axes) == 2 else SWEEP_COLUMNS))


def sweep(instance: Instance, policy: Policy | None, parameter: str, values: np.ndarray | list[float],
          relative: bool = False, options: SolverOptions | None = None, *, executor: Executor | None = None,
          warm: bool = True, progress: Callable[[], None] | None = None) -> pd.DataFrame:
    """Solve ``instance`` under ``policy`` (default: the instance's own) once per value of
    ``parameter`` (one of :data:`PARAMETERS`, or a :data:`BAND`): :func:`sweep_grid` of one axis.

    ``budget`` values are each year's special fund in money_unit, or with ``relative=True``
    fractions of the instance's own budget for each year (1.0 = as written). Returns one row per
    value × year (columns :data:`SWEEP_COLUMNS`; money in money_unit).
    """
    check_parameter(parameter)
    return sweep_grid(instance, policy, [Axis(parameter, np.asarray(values, dtype=float), relative)], options,
                      executor=executor, warm=warm, progress=progress)


FAR = 10.0
"""A budget point more than this factor below or above the instance's own budget is worth a word."""


def budget_note(instance: Instance, values: np.ndarray | list[float], relative: bool) -> str | None:
    """A warning when absolute budget points lie far from the instance's own budget (a forgotten
    ``%`` means money_unit), else ``None``."""
    if relative or instance.special_fund is None:
        return None
    own = float(np.mean(instance.special_fund))
    values = np.asarray(values, dtype=float)
    if own <= 0 or not values.size:
        return None
    low, high = values.min() / own, values.max() / own
    if low >= 1 / FAR and high <= FAR:
        return None
    return (f"the budget points run from {values.min():,.6g} to {values.max():,.6g} {instance.money_unit}, "
            f"{low:.3g}–{high:.3g} × the instance's own ({own:,.6g} a year on average); for shares of the "
            "instance's own budget write them with %, as in 80%:120%:10%")
