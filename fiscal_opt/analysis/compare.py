"""One instance under several policies, side by side, with the formula baseline as a row of its own.

A policy that cannot be solved is a row too: its ``status`` (``infeasible``, ``solver_failure``)
and ``reason`` say why, and the other policies are still reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..api import solve
from ..errors import InfeasibleError, SolverError
from ..model.coverage_value import shortfall_value
from ..io.instance import Instance, Policy
from ..results.result import Result
from ..results.statistics import SHARE_PREFIX
from ..solver.options import SolverOptions

COLUMNS = ["policy", "year", "status", "objective_name", "objective", "weighted_shortfall", "min_coverage",
           "budget_used", "incentive_paid", "gini", "theil_t", "cv", "max_min_ratio", "budget_shadow_price",
           "soft_bends", "rules_broken", "rules_involved", "reason"]


def soft_bends(result: Result) -> str:
    """The soft rules that bend, for a table cell: ``hold_harmless: 3 × 295.1``, money in money_unit."""
    return "; ".join(f"{name}: {len(items)} × {sum(v for _, v in items):,.6g}"
                     for name, items in result.solution.slacks.items())


def policy_rows(result: Result, name: str, x: np.ndarray, y: np.ndarray, state: str, objective_name: str,
                objective: float | None, broken: list[str], prices: list[float | None],
                bends: str = "") -> list[dict]:
    """One row per year (:data:`COLUMNS`) for allocation ``x`` (R, S, T) and incentives ``y`` (R, T)
    of ``result``'s instance, money in money_unit; ``state`` picks the metrics row."""
    p = result.params
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(p.standard_cost > 0, (p.local_funding + x) / p.standard_cost, np.nan)
    metrics = result.metrics.set_index(["year", "state"])
    shortfall = shortfall_value(p, result.policy, x)
    transfer = pd.DataFrame(x.sum(axis=1) + y).groupby(p.groups, sort=False).sum()
    shares = transfer / transfer.sum(axis=0).where(transfer.sum(axis=0) > 0)
    rows = []
    for t, year in enumerate(p.years):
        m = metrics.loc[(year, state)]
        rows.append({"policy": name, "year": year, "status": "optimal" if state == "optimum" else "formula",
                     "objective_name": objective_name, "objective": objective,
                     "weighted_shortfall": float(shortfall[t]),
                     "min_coverage": float(np.nanmin(coverage[:, :, t])) if np.isfinite(coverage[:, :, t]).any()
                     else None,
                     "budget_used": float(x[:, :, t].sum()), "incentive_paid": float(y[:, t].sum()),
                     "gini": m["gini"], "theil_t": m["theil_t"], "cv": m["cv"], "max_min_ratio": m["max_min_ratio"],
                     "budget_shadow_price": prices[t], "soft_bends": bends, "rules_broken": ";".join(broken),
                     "rules_involved": "", "reason": ""}
                    | {f"{SHARE_PREFIX}{g}": float(shares.loc[g, t]) for g in shares.index})
    return rows


def result_rows(result: Result, name: str) -> list[dict]:
    """The rows of a solved policy (:func:`policy_rows` of its optimum)."""
    sol = result.solution
    return policy_rows(result, name, sol.special_fund, sol.incentive, "optimum", sol.objective_name, sol.objective,
                       [], sol.budget_shadow_price, soft_bends(result))


def failure_rows(error: InfeasibleError | SolverError, name: str, years: tuple[int, ...]) -> list[dict]:
    """The rows of a policy that could not be solved: its status, the rules involved, the reason."""
    status = "infeasible" if isinstance(error, InfeasibleError) else "solver_failure"
    rules = ";".join(getattr(error, "rules", []))
    reason = str(error).splitlines()[0]
    return [{"policy": name, "year": year, "status": status, "rules_involved": rules, "reason": reason}
            for year in years]


def table_columns(rows: list[dict], first: list[str]) -> list[str]:
    """``first``, then the group-share columns the rows hold, in the order they appear."""
    return first + [k for k in dict.fromkeys(k for row in rows for k in row) if k.startswith(SHARE_PREFIX)]


def compare(instance: Instance, policies: list[Policy], options: SolverOptions | None = None) -> pd.DataFrame:
    """Solve ``instance`` under each policy; one row per policy × year, then the formula baseline
    (judged against the first policy that solved). Money in the instance's money_unit."""
    rows: list[dict] = []
    first: Result | None = None
    for policy in policies:
        try:
            result = solve(instance, policy, options=options, repairs=False)
        except (InfeasibleError, SolverError) as exc:
            rows += failure_rows(exc, policy.name, instance.years)
            continue
        first = first or result
        rows += result_rows(result, policy.name)
    if first is not None:
        rows += policy_rows(first, "formula baseline", first.baseline_special_fund, first.baseline_incentive,
                            "baseline", "因素法", None, first.baseline_breaks, [None] * len(first.params.years))
    return pd.DataFrame(rows, columns=table_columns(rows, COLUMNS))
