"""The smallest change to one rule that makes an infeasible policy feasible (MODEL.md §9).

Each rule named in the diagnosis is asked for its repair (:meth:`~fiscal_opt.rules.base.Rule.repair`):
by default the rule alone is relaxed — a coverage level or floor lowered, a ratio, Gini,
deviation or cut limit raised — by bisection on its parameter, with every other rule kept, until
the policy is feasible; the budget that the rules need is a ``min_budget`` solve. Each probe is a
full solve through the normal pipeline without the tie-break stage and without the
infeasibility diagnosis.
"""

from __future__ import annotations

from ..errors import InfeasibleError, InputError
from ..io.instance import Policy
import numpy as np

from ..model.build import build
from ..model.params import Params
from ..rules import RULES, rule_named
from ..rules.base import Outcome, Repair
from .diagnose import presolve_check
from .engine import make_engine
from .options import SolverOptions
from .stages import run_stages

MAX_CELLS_FOR_REPAIR = 200_000
"""Above this many region × service × year cells only the budget repair is tried."""


class _Probe:
    """Solves variants of a policy on one instance (see :class:`~fiscal_opt.rules.base.Probe`)."""

    def __init__(self, params: Params, options: SolverOptions):
        self.params = params
        self.options = options

    def feasible(self, policy: Policy) -> Outcome | None:
        try:
            solution = run_stages(build(self.params, policy), self.options, tie_break=False, diagnose=False)[0]
        except (InfeasibleError, InputError):
            return None
        return Outcome(self.params, solution.special_fund, solution.incentive, None, solution.plan)

    def least(self, policy: Policy, params: Params, block: str) -> np.ndarray | None:
        """The values of ``block`` (instance units) at the least sum of them that meets every rule of
        ``policy`` on ``params`` (soft rules bending at their price, money for money)."""
        try:
            f = build(params, policy)
            presolve_check(f)
        except (InfeasibleError, InputError):
            return None
        cols = f.lp.columns_of(block)
        cost = f.objectives["penalty"][0].copy()
        cost[cols] += 1.0
        engine = make_engine(f, cost, 0.0, self.options)
        if engine.run() != "optimal":
            return None
        unit = f.lp.var_blocks[block].unit
        return np.maximum(engine.values()[cols], 0.0) * (f.scale.population if unit == "persons" else f.scale.money)


def suggest_repairs(params: Params, policy: Policy, rules: list[str], options: SolverOptions) -> list[Repair]:
    """Nearest feasible value of each hard rule involved in ``rules`` (``rule[label]`` names from
    the diagnosis; every active rule when the diagnosis named none)."""
    named = {name.split("[")[0] for name in rules}
    involved = [rule for rule in RULES if rule.name in named] if named else [r for r in RULES if r.active(policy)]
    if params.standard_cost.size > MAX_CELLS_FOR_REPAIR:
        involved = [rule for rule in involved if rule in (rule_named("budget"), rule_named("capital_fund"))]
    probe = _Probe(params, options)
    found = (rule.repair(policy, probe) for rule in involved if rule.active(policy))
    return [repair for repair in found if repair is not None]


def repair_message(repairs: list[Repair], money_unit: str) -> str:
    """One line per repair, for the terminal."""
    lines = []
    for r in repairs:
        if isinstance(r.feasible, list):
            need = ", ".join(f"{v:,.6g}" for v in r.feasible)
            key = "budget.special_fund" if r.rule == "budget" else r.rule
            lines.append(f"  - {key}: at least {need} {money_unit} per year ({r.meaning})")
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
