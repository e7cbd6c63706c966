"""A formula the ministry can publish (MODEL-v2 §10.5): the best factor formula under a policy, its
weights with their units, and the price of transparency.

``design_formula`` solves the instance twice under the policy: free (the optimum, any allocation
the rules allow) and with the ``formula`` rule (every region's transfer Σ_k β_k·f_k). The price
of transparency is the objective of the best formula beside the free optimum and the v1 baseline
formula (因素法: the budget shared in proportion to priority-weighted gaps, MODEL.md §7).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..api import solve
from ..io.instance import Instance, Policy
from ..model.coverage_value import shortfall_value
from ..results.result import Result
from ..rules.formula import DEFAULT_FACTORS
from ..solver.options import SolverOptions


@dataclass(eq=False)
class FormulaDesign:
    """The formula's result (the usual files), the free optimum beside it, the weights and the price
    of transparency (objective of the free optimum, the best formula and the v1 baseline formula, in
    the objective's own unit)."""

    result: Result
    free: Result
    weights: pd.DataFrame
    price: dict[str, float | str]


def _baseline_objective(result: Result) -> float:
    """The v1 baseline formula's value under ``result``'s objective."""
    p, x = result.params, result.baseline_special_fund
    if result.policy.objective in ("max_min_coverage", "leximin_coverage"):
        cells = p.standard_cost > 0
        return float(((p.local_funding + x)[cells] / p.standard_cost[cells]).min())
    if result.policy.objective == "min_budget":
        return float(x.sum())
    return float(shortfall_value(p, result.policy, x).sum())


def design_formula(instance: Instance, policy: Policy | None = None, factors: list[str] | None = None,
                   same_every_year: bool | None = None, options: SolverOptions | None = None) -> FormulaDesign:
    """The best factor formula for ``instance`` under ``policy`` (default: the instance's own). The
    factors are ``factors``, else the policy's ``formula.factors``, else the fund ceiling (what the
    centre may pay), population, migrants and difficulty × population. Raises :class:`~fiscal_opt.errors.InfeasibleError` (with the rules
    involved) when no formula meets the policy's rules."""
    policy = policy or instance.policy or Policy()
    free_policy = policy.model_copy(update={"formula": None})
    setting = dict(policy.formula.model_dump()) if policy.formula is not None else {"factors": list(DEFAULT_FACTORS)}
    if factors:
        setting["factors"] = list(factors)
    if same_every_year is not None:
        setting["same_every_year"] = same_every_year
    formula_policy = Policy.model_validate(free_policy.model_dump() | {"formula": setting})
    free = solve(instance, free_policy, options=options)
    result = solve(instance, formula_policy, options=options)
    weights = pd.DataFrame(result.solution.reports["formula"]["weights"])
    price = {"objective": result.solution.objective_name, "free_optimum": free.solution.objective,
             "best_formula": result.solution.objective, "v1_baseline_formula": _baseline_objective(free)}
    result.extras["price_of_transparency"] = price
    return FormulaDesign(result=result, free=free, weights=weights, price=price)
