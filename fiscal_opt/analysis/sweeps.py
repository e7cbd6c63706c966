"""Re-solving one instance over a range of one parameter: the budget, or a rule's level.

Each point is a full solve; the rows are those of :func:`fiscal_opt.compare.compare` (one per
year), with the parameter's value in front. A point where the policy is infeasible is a row too
(``status`` ``infeasible``, with the rules involved), so that a budget sweep shows where the rules
stop fitting. Read the efficiency–equity frontier from ``weighted_shortfall`` against ``gini`` or
``min_coverage``, and the budget's shadow price along it from ``budget_shadow_price``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..api import solve
from .compare import COLUMNS, failure_rows, result_rows, table_columns
from ..errors import InfeasibleError, InputError, Problem, SolverError
from ..solver.options import SolverOptions
from ..io.instance import Instance, Policy
from ..rules import parameters

PARAMETERS = ("budget", *parameters())
"""What can be swept: ``budget`` (each year's special fund, money_unit, or a percentage of the
instance's own), and the parameter of every rule of the registry (``min_coverage``,
``per_capita_floor``, ``gini_max``, ``hold_harmless.max_cut``, …), as the policy file writes it."""

MAX_POINTS = 1000
"""A range may hold at most this many points: each one is a full solve."""

SWEEP_COLUMNS = ["parameter", "value", *COLUMNS]


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


def _variant(instance: Instance, policy: Policy, parameter: str, value: float,
             relative: bool) -> tuple[Instance, Policy]:
    if parameter == "budget":
        if instance.special_fund is None:
            raise InputError(Problem(instance.shown_as, "budget.special_fund",
                                     "a budget sweep needs a special-fund budget in the instance"))
        fund = instance.special_fund * value if relative else np.full(len(instance.years), value)
        return dataclasses.replace(instance, special_fund=fund), policy
    option = f"--{parameter.replace('_', '-')}"
    if relative:
        raise InputError(Problem(option, "", "a rule's parameter is given as a number (a share, a ratio), not a "
                                 "percentage"))
    try:
        return instance, parameters()[parameter].with_value(policy, value)
    except ValueError as exc:
        raise InputError(Problem(option, "", f"{value:g} {exc}")) from None


def sweep(instance: Instance, policy: Policy | None, parameter: str, values: np.ndarray | list[float],
          relative: bool = False, options: SolverOptions | None = None) -> pd.DataFrame:
    """Solve ``instance`` under ``policy`` (default: the instance's own) once per value of
    ``parameter`` (one of :data:`PARAMETERS`).

    ``budget`` values are each year's special fund in money_unit, or with ``relative=True``
    fractions of the instance's own budget for each year (1.0 = as written). Returns one row per
    value × year (columns :data:`SWEEP_COLUMNS`; money in money_unit). A point that cannot be
    solved is a row too: ``status`` ``infeasible`` (with the rules involved) or ``solver_failure``,
    with the ``reason``.
    """
    if parameter not in PARAMETERS:
        raise InputError(Problem("sweep", "", f"cannot sweep {parameter!r}; choose one of {', '.join(PARAMETERS)}"))
    policy = policy or instance.policy or Policy()
    rows: list[dict] = []
    for value in np.asarray(values, dtype=float):
        inst, pol = _variant(instance, policy, parameter, float(value), relative)
        point = {"parameter": parameter + (" (share of own)" if relative else ""), "value": float(value)}
        try:
            result = solve(inst, pol, options=options, repairs=False)
        except (InfeasibleError, SolverError) as exc:
            rows += [point | row for row in failure_rows(exc, pol.name, inst.years)]
            continue
        rows += [point | row for row in result_rows(result, pol.name)]
    return pd.DataFrame(rows, columns=table_columns(rows, SWEEP_COLUMNS))


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
