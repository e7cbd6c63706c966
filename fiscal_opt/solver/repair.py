"""The smallest change to one rule that makes an infeasible policy feasible (MODEL.md §9).

For each rule named in the diagnosis, the rule alone is relaxed — a coverage level or floor
lowered, a ratio, Gini, deviation or cut limit raised — by bisection on its parameter, with every
other rule kept, until the policy is feasible; the budget that the rules need is found by a
``min_budget`` solve. Each probe is a full solve through the normal pipeline without the tie-break
stage and without the infeasibility diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InfeasibleError, InputError
from .highs import SolverOptions
from ..io.instance import Policy
from ..model.build import build
from ..model.params import Params
from .stages import run_stages

BISECTION_STEPS = 14
"""Bisection steps per rule: the parameter is found to within (range)/2¹⁴."""

MAX_CELLS_FOR_REPAIR = 200_000
"""Above this many region × service × year cells only the budget repair is tried."""


@dataclass(frozen=True)
class Repair:
    """Changing ``rule`` from ``current`` to ``feasible`` (alone) restores feasibility."""

    rule: str
    current: float | list[float]
    feasible: float | list[float]
    meaning: str

    def as_dict(self) -> dict:
        return {"rule": self.rule, "current": self.current, "nearest_feasible": self.feasible, "meaning": self.meaning}


def _feasible(params: Params, policy: Policy, options: SolverOptions):
    """The solution of ``policy`` on ``params``, or ``None`` if it is infeasible."""
    try:
        return run_stages(build(params, policy), options, tie_break=False, diagnose=False)[0]
    except (InfeasibleError, InputError):
        return None


def _with_rule(policy: Policy, rule: str, value: float) -> Policy:
    if rule in ("max_cut", "max_rise"):
        assert policy.hold_harmless is not None
        return policy.model_copy(update={"hold_harmless": policy.hold_harmless.model_copy(update={rule: value})})
    current = getattr(policy, rule)
    return policy.model_copy(update={rule: current.model_copy(update={"value": value})})


def _bisect(params: Params, policy: Policy, rule: str, bad: float, good: float, options: SolverOptions) -> float:
    """The feasible value nearest ``bad`` between ``bad`` (infeasible) and ``good`` (feasible)."""
    for _ in range(BISECTION_STEPS):
        mid = (bad + good) / 2
        if _feasible(params, _with_rule(policy, rule, mid), options) is not None:
            good = mid
        else:
            bad = mid
    return good


def _without(policy: Policy, rule: str) -> Policy:
    if rule in ("max_cut", "max_rise"):
        assert policy.hold_harmless is not None
        return policy.model_copy(update={"hold_harmless": policy.hold_harmless.model_copy(update={rule: None})})
    return policy.model_copy(update={rule: None})


def _loosest_value(params: Params, rule: str, solution) -> float:
    """The rule's parameter that the solution found without the rule already satisfies."""
    x, y = solution.special_fund, solution.incentive
    Q = params.fiscal_capacity + x.sum(axis=1) + y
    u = Q / params.population
    if rule == "max_disparity_ratio":
        return float((u.max(axis=0) / np.maximum(u.min(axis=0), 1e-300)).max()) * (1 + 1e-6)
    if rule == "gini_max":
        from ..results.metrics import gini
        return min(1.0, max(gini(u[:, t], params.population[:, t]) for t in range(u.shape[1])) * (1 + 1e-6) + 1e-9)
    if rule == "mean_deviation_max":
        ubar = Q.sum(axis=0) / params.population.sum(axis=0)
        rmd = (params.population * np.abs(u - ubar)).sum(axis=0) / Q.sum(axis=0)
        return min(1.0, float(rmd.max()) * (1 + 1e-6) + 1e-9)
    X = x.sum(axis=1) + y
    assert params.prior_transfer is not None
    prev = np.column_stack([params.prior_transfer, X[:, :-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(prev > 0, X / prev, 1.0)
    if rule == "max_cut":
        return 1.0
    return float(max(0.0, ratio.max() - 1)) * (1 + 1e-6) + 1e-9


MEANINGS = {
    "min_coverage": "the highest minimum coverage every service can reach with the other rules kept",
    "per_capita_floor": "the highest per-capita floor (share of the national average) that can be met",
    "max_disparity_ratio": "the smallest max/min ratio of resources per head that can be met",
    "gini_max": "the smallest Gini of resources per head that can be met",
    "mean_deviation_max": "the smallest relative mean deviation of resources per head that can be met",
    "max_cut": "the smallest year-on-year cut limit (hold-harmless) that can be met",
    "max_rise": "the smallest year-on-year rise limit that can be met",
    "budget": "the smallest special fund per year that meets every rule (a min_budget solve)",
}


def suggest_repairs(params: Params, policy: Policy, rules: list[str], options: SolverOptions) -> list[Repair]:
    """Nearest feasible value of each hard rule involved in ``rules`` (names from the diagnosis)."""
    involved = {r.split("[")[0] for r in rules} or {"budget", "min_coverage", "per_capita_floor", "disparity",
                                                     "gini", "mean_deviation", "hold_harmless", "max_rise"}
    repairs: list[Repair] = []
    if "budget" in involved and policy.objective != "min_budget":
        found = _feasible(params, policy.model_copy(update={"objective": "min_budget"}), options)
        if found is not None:
            need = [float(v) for v in found.special_fund.sum(axis=(0, 1))]
            repairs.append(Repair("budget", [float(b) for b in params.special_fund], need, MEANINGS["budget"]))
    if params.standard_cost.size > MAX_CELLS_FOR_REPAIR:
        return repairs
    candidates = {"min_coverage": "min_coverage", "per_capita_floor": "per_capita_floor",
                  "disparity": "max_disparity_ratio", "disparity_range": "max_disparity_ratio", "gini": "gini_max",
                  "mean_deviation": "mean_deviation_max", "hold_harmless": "max_cut", "max_rise": "max_rise"}
    tried: set[str] = set()
    for name in sorted(involved):
        rule = candidates.get(name)
        if rule is None or rule in tried:
            continue
        tried.add(rule)
        current = policy.hold_harmless and getattr(policy.hold_harmless, rule) if rule in ("max_cut", "max_rise") \
            else getattr(policy, rule) and getattr(policy, rule).value
        if current is None or (rule not in ("max_cut", "max_rise") and getattr(policy, rule).soft) or \
                (rule in ("max_cut", "max_rise") and policy.hold_harmless.soft):
            continue
        relaxed = _feasible(params, _without(policy, rule), options)
        if relaxed is None:
            continue
        loosest = 0.0 if rule in ("min_coverage", "per_capita_floor") else _loosest_value(params, rule, relaxed)
        value = _bisect(params, policy, rule, float(current), loosest, options)
        repairs.append(Repair(rule if rule not in ("max_cut", "max_rise") else f"hold_harmless.{rule}",
                              float(current), round(value, 6), MEANINGS[rule]))
    return repairs


def repair_message(repairs: list[Repair], money_unit: str) -> str:
    """One line per repair, for the terminal."""
    lines = []
    for r in repairs:
        if r.rule == "budget":
            need = ", ".join(f"{v:,.6g}" for v in r.feasible)  # type: ignore[union-attr]
            lines.append(f"  - budget.special_fund: at least {need} {money_unit} per year ({r.meaning})")
        else:
            lines.append(f"  - {r.rule}: {r.current:.4g} → {r.feasible:.4g} ({r.meaning})")
    return "\n".join(lines)


def diagnose_with_repairs(params: Params, policy: Policy, error: InfeasibleError,
                          options: SolverOptions) -> InfeasibleError:
    """The same error with the nearest feasible changes added to its message and ``repairs``."""
    repairs = suggest_repairs(params, policy, error.rules, options)
    message = str(error)
    if repairs:
        message += "\nNearest feasible changes (one rule at a time, the others kept):\n" + repair_message(
            repairs, params.money_unit)
    return InfeasibleError(message, error.rules, repairs=[r.as_dict() for r in repairs])
