"""Recomputing every rule of MODEL.md §5 from an allocation, in plain numpy (not from the LP).

:func:`rule_residuals` returns, for each rule the policy switches on, the largest violation found,
relative to the size of the quantities involved (0 when the rule holds). The solve refuses to
report an answer whose hard rules are violated by more than :data:`TOLERANCE`; tests run the same
check on the result files read back from disk.
"""

from __future__ import annotations

import numpy as np

from ..io.instance import Policy
from ..results.metrics import gini
from ..model.params import Params

TOLERANCE = 1e-6
"""Largest relative violation of a hard rule accepted in a reported answer."""


def _rel(violation: np.ndarray | float, size: np.ndarray | float) -> float:
    v = np.maximum(np.asarray(violation, dtype=float), 0.0) / np.maximum(np.abs(np.asarray(size, dtype=float)), 1e-12)
    return float(v.max()) if v.size else 0.0


def rule_residuals(p: Params, policy: Policy, x: np.ndarray, y: np.ndarray,
                   budget: np.ndarray | None = None) -> dict[str, float]:
    """Largest relative violation of each active rule for special fund ``x`` (R, S, T) and
    incentives ``y`` (R, T), money_unit. ``budget`` overrides the instance's special fund (for
    ``min_budget``, whose budget is the answer)."""
    out: dict[str, float] = {}
    scale_x = max(float(p.ceiling.max(initial=0.0)), 1e-12)
    out["fund_ceiling"] = max(_rel(-x, scale_x), _rel(x - p.ceiling, np.maximum(p.ceiling, scale_x)))
    B = p.special_fund if budget is None else budget
    spent = x.sum(axis=(0, 1))
    if B is not None and policy.objective != "min_budget":
        out["budget"] = _rel(spent - B, np.maximum(B, scale_x))
    pool = p.incentive_pool
    paid = y.sum(axis=0)
    qualifies = (pool > 0) & (p.incentive_basis.sum(axis=0) > 0)
    out["incentive_pool"] = _rel(np.abs(paid - np.where(qualifies, pool, 0.0)), np.maximum(pool, 1e-12))
    ybar = p.formula_incentive
    nu = p.flexibility
    out["incentive_band"] = max(_rel((1 - nu) * ybar - y, np.maximum(ybar, 1e-12)),
                                _rel(y - (1 + nu) * ybar, np.maximum(ybar, 1e-12)))
    if nu > 0:
        out["incentive_order"] = _order_violation(p, y)
    Q = p.fiscal_capacity + x.sum(axis=1) + y
    P = p.population
    u = Q / P
    if policy.min_coverage:
        need = policy.min_coverage.value * p.standard_cost - p.local_funding
        out["min_coverage"] = _rel(need - x, np.maximum(p.standard_cost, 1e-12))
    if policy.per_capita_floor:
        mean = Q.sum(axis=0) / P.sum(axis=0)
        out["per_capita_floor"] = _rel(policy.per_capita_floor.value * mean[None, :] - u, mean[None, :])
    if policy.max_disparity_ratio:
        out["disparity"] = _rel(u.max(axis=0) - policy.max_disparity_ratio.value * u.min(axis=0), u.max(axis=0))
    if policy.gini_max:
        out["gini"] = max(_rel(gini(u[:, t], P[:, t]) - policy.gini_max.value, 1.0)
                          for t in range(u.shape[1]))
    if policy.mean_deviation_max:
        ubar = Q.sum(axis=0) / P.sum(axis=0)
        rmd = (P * np.abs(u - ubar[None, :])).sum(axis=0) / Q.sum(axis=0)
        out["mean_deviation"] = _rel(rmd - policy.mean_deviation_max.value, 1.0)
    hh = policy.hold_harmless
    if hh is not None and p.prior_transfer is not None:
        X = x.sum(axis=1) + y
        prev = np.column_stack([p.prior_transfer, X[:, :-1]])
        if hh.max_cut is not None:
            out["hold_harmless"] = _rel((1 - hh.max_cut) * prev - X, np.maximum(prev, 1e-12))
        if hh.max_rise is not None:
            out["max_rise"] = _rel(X - (1 + hh.max_rise) * prev, np.maximum(prev, 1e-12))
    return out


def _order_violation(p: Params, y: np.ndarray) -> float:
    """A better reform score never earns less per unit of basis (among regions paid)."""
    worst = 0.0
    for t in range(y.shape[1]):
        paid = np.flatnonzero(p.incentive_basis[:, t] > 0)
        if paid.size < 2:
            continue
        score = p.reform_score[paid, t]
        rate = y[paid, t] / p.basis[paid, t]
        order = np.argsort(score, kind="stable")
        s, r = score[order], rate[order]
        levels, start = np.unique(s, return_index=True)
        group_max = np.maximum.reduceat(r, start)
        group_min = np.minimum.reduceat(r, start)
        if levels.size > 1:
            worst = max(worst, _rel(group_max[:-1] - group_min[1:], np.maximum(group_max[:-1], 1e-300)))
    return worst


def hard_violations(residuals: dict[str, float], policy: Policy) -> dict[str, float]:
    """The residuals above :data:`TOLERANCE` for rules that are not soft."""
    soft = {name for name in ("min_coverage", "per_capita_floor", "gini_max", "mean_deviation_max")
            if getattr(policy, name) is not None and getattr(policy, name).soft}
    if policy.max_disparity_ratio is not None and policy.max_disparity_ratio.soft:
        soft.add("disparity")
    if policy.hold_harmless is not None and policy.hold_harmless.soft:
        soft |= {"hold_harmless", "max_rise"}
    soft = {{"gini_max": "gini", "mean_deviation_max": "mean_deviation"}.get(s, s) for s in soft}
    return {k: v for k, v in residuals.items() if v > TOLERANCE and k not in soft}
