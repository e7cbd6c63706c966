"""One instance under several policies, side by side, with the formula baseline as a row of its own."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..api import solve
from ..solver.highs import SolverOptions
from ..io.instance import Instance, Policy
from ..results.result import Result

COLUMNS = ["policy", "year", "objective_name", "objective", "weighted_shortfall", "min_coverage", "budget_used",
           "incentive_paid", "gini", "theil_t", "cv", "max_min_ratio", "budget_shadow_price", "rules_broken"]
SHARE_PREFIX = "transfer_share_"
"""After :data:`COLUMNS`, one column per group of regions: its share of the year's transfers (fraction)."""


def policy_rows(result: Result, name: str, x: np.ndarray, y: np.ndarray, state: str, objective_name: str,
                objective: float | None, broken: list[str], prices: list[float | None]) -> list[dict]:
    """One row per year (:data:`COLUMNS`) for allocation ``x`` (R, S, T) and incentives ``y`` (R, T)
    of ``result``'s instance, money in money_unit; ``state`` picks the metrics row."""
    p = result.params
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(p.standard_cost > 0, (p.local_funding + x) / p.standard_cost, np.nan)
    metrics = result.metrics.set_index(["year", "state"])
    transfer = pd.DataFrame(x.sum(axis=1) + y).groupby(p.groups, sort=False).sum()
    shares = transfer / transfer.sum(axis=0).where(transfer.sum(axis=0) > 0)
    rows = []
    for t, year in enumerate(p.years):
        m = metrics.loc[(year, state)]
        rows.append({"policy": name, "year": year, "objective_name": objective_name, "objective": objective,
                     "weighted_shortfall": float((p.weight[:, :, t] * (p.gap[:, :, t] - x[:, :, t])).sum()),
                     "min_coverage": float(np.nanmin(coverage[:, :, t])) if np.isfinite(coverage[:, :, t]).any()
                     else None,
                     "budget_used": float(x[:, :, t].sum()), "incentive_paid": float(y[:, t].sum()),
                     "gini": m["gini"], "theil_t": m["theil_t"], "cv": m["cv"], "max_min_ratio": m["max_min_ratio"],
                     "budget_shadow_price": prices[t], "rules_broken": ";".join(broken)}
                    | {f"{SHARE_PREFIX}{g}": float(shares.loc[g, t]) for g in shares.index})
    return rows


def table_columns(rows: list[dict], first: list[str]) -> list[str]:
    """``first``, then the group-share columns the rows hold, in the order they appear."""
    return first + [k for k in dict.fromkeys(k for row in rows for k in row) if k.startswith(SHARE_PREFIX)]


def compare(instance: Instance, policies: list[Policy], options: SolverOptions | None = None) -> pd.DataFrame:
    """Solve ``instance`` under each policy; one row per policy × year, then the formula baseline
    (judged against the first policy's rules). Money in the instance's money_unit."""
    rows: list[dict] = []
    first: Result | None = None
    for policy in policies:
        result = solve(instance, policy, options=options)
        first = first or result
        sol = result.solution
        rows += policy_rows(result, policy.name, sol.special_fund, sol.incentive, "optimum", sol.objective_name,
                            sol.objective, [], sol.budget_shadow_price)
    if first is not None:
        rows += policy_rows(first, "formula baseline", first.baseline_special_fund, first.baseline_incentive,
                            "baseline", "因素法", None, first.baseline_breaks, [None] * len(first.params.years))
    return pd.DataFrame(rows, columns=table_columns(rows, COLUMNS))
