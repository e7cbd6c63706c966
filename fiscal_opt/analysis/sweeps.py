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
from .compare import COLUMNS, policy_rows, table_columns
from ..errors import InfeasibleError, InputError, Problem
from ..solver.highs import SolverOptions
from ..io.instance import Instance, Policy
from ..io.schema import Rule

PARAMETERS = ("budget", "per_capita_floor", "min_coverage")
"""What can be swept: ``budget`` (each year's special fund, money_unit, or a percentage of the
instance's own), and the levels (shares in [0, 1]) of the policy's ``per_capita_floor`` and
``min_coverage`` rules."""

MAX_POINTS = 1000
"""A range may hold at most this many points: each one is a full solve."""

SWEEP_COLUMNS = ["parameter", "value", "status", *COLUMNS, "rules_involved"]


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
    if relative:
        raise InputError(Problem(f"--{parameter.replace('_', '-')}", "", "a rule level is a share: give it "
                                 "as a number between 0 and 1, not a percentage"))
    if not 0 <= value <= 1:
        raise InputError(Problem(f"--{parameter.replace('_', '-')}", "", f"{value:g} is not a share between 0 and 1"))
    current = getattr(policy, parameter)
    rule = Rule(value=value, soft=current.soft if current is not None else False)
    return instance, policy.model_copy(update={parameter: rule})


def sweep(instance: Instance, policy: Policy | None, parameter: str, values: np.ndarray | list[float],
          relative: bool = False, options: SolverOptions | None = None) -> pd.DataFrame:
    """Solve ``instance`` under ``policy`` (default: the instance's own) once per value of
    ``parameter`` (one of :data:`PARAMETERS`).

    ``budget`` values are each year's special fund in money_unit, or with ``relative=True``
    fractions of the instance's own budget for each year (1.0 = as written). Returns one row per
    value × year (columns :data:`SWEEP_COLUMNS`; money in money_unit). Infeasible points are rows
    with ``status`` ``infeasible`` and the rules involved; solver failures raise as in
    :func:`fiscal_opt.solve`.
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
        except InfeasibleError as exc:
            rows += [point | {"status": "infeasible", "policy": pol.name, "year": year,
                              "rules_involved": ";".join(exc.rules)} for year in inst.years]
            continue
        sol = result.solution
        rows += [point | {"status": "optimal"} | row | {"rules_involved": ""}
                 for row in policy_rows(result, pol.name, sol.special_fund, sol.incentive, "optimum",
                                        sol.objective_name, sol.objective, [], sol.budget_shadow_price)]
    return pd.DataFrame(rows, columns=table_columns(rows, SWEEP_COLUMNS))
