"""Recomputing every rule of MODEL.md §5 from an allocation, in plain numpy (not from the LP).

:func:`rule_residuals` asks each active rule of the registry for its largest violation, relative
to the size of the quantities involved (0 when the rule holds). The solve refuses to report an
answer whose hard rules are violated by more than :data:`TOLERANCE`; tests run the same check on
the result files read back from disk.
"""

from __future__ import annotations

import numpy as np

from ..io.instance import Policy
from ..model.capacity import CapacityPlan
from ..model.params import Params
from ..rules import active_rules
from ..rules.base import Outcome

TOLERANCE = 1e-6
"""Largest relative violation of a hard rule accepted in a reported answer."""


def outcome(p: Params, policy: Policy, x: np.ndarray, y: np.ndarray, budget: np.ndarray | None = None,
            plan: CapacityPlan | None = None) -> Outcome:
    """Special fund ``x`` (R, S, T) and incentives ``y`` (R, T), money_unit, as the rules judge
    them; ``budget`` overrides the instance's special fund (for ``min_budget``, whose budget is the
    answer); ``plan`` is what the allocation does with places (MODEL-v2 §11)."""
    B = p.special_fund if budget is None else budget
    return Outcome(p, x, y, None if policy.objective == "min_budget" else B, plan)


def rule_residuals(p: Params, policy: Policy, x: np.ndarray, y: np.ndarray,
                   budget: np.ndarray | None = None, plan: CapacityPlan | None = None) -> dict[str, float]:
    """Largest relative violation of each active rule (by rule name) for special fund ``x`` and
    incentives ``y`` (see :func:`outcome`)."""
    o = outcome(p, policy, x, y, budget, plan)
    found = {rule.name: rule.residual(p, policy, o) for rule in active_rules(policy)}
    return {name: value for name, value in found.items() if value is not None}


def violations(residuals: dict[str, float]) -> dict[str, float]:
    """The residuals above :data:`TOLERANCE`, hard or soft."""
    return {name: value for name, value in residuals.items() if value > TOLERANCE}


def hard_violations(residuals: dict[str, float], policy: Policy) -> dict[str, float]:
    """The residuals above :data:`TOLERANCE` of rules that are not soft."""
    soft = {rule.name for rule in active_rules(policy) if rule.soft(policy)}
    return {name: value for name, value in violations(residuals).items() if name not in soft}
