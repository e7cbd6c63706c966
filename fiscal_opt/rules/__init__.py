"""The rule registry: every rule of the policy, one module each, in the order the LP is built.

Adding a rule is one new module (a :class:`~fiscal_opt.rules.base.Rule` subclass and its
``RULE``) listed in :data:`RULES`, plus its tests and a line of docs/rules.md. Everything else —
the policy file's schema (:mod:`fiscal_opt.rules.policy`), the LP (:func:`fiscal_opt.model.build.build`),
the independent check (:mod:`fiscal_opt.solver.verify`), the diagnosis and repairs of an
infeasible policy, the binding labels of ``regions.csv`` and the parameters a sweep can vary —
iterates over this registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import (budget, disparity, formula, fund_ceiling, gini, hold_harmless, incentive_band, incentive_order,
               incentive_pool, max_rise, mean_deviation, min_coverage, no_reranking, per_capita_floor)
from . import capacity, capital, capital_fund, capital_share, conversion, demand, recurrent
from .base import Rule

if TYPE_CHECKING:
    from ..io.instance import Policy

RULES: tuple[Rule, ...] = (
    budget.RULE,
    incentive_pool.RULE,
    incentive_order.RULE,
    min_coverage.RULE,
    per_capita_floor.RULE,
    disparity.RULE,
    gini.RULE,
    mean_deviation.RULE,
    hold_harmless.RULE,
    max_rise.RULE,
    no_reranking.RULE,
    formula.RULE,
    fund_ceiling.RULE,
    incentive_band.RULE,
    capacity.RULE,
    demand.RULE,
    recurrent.RULE,
    capital.RULE,
    capital_share.RULE,
    capital_fund.RULE,
    conversion.RULE,
)
"""Every rule, in the order its rows are built (and binding labels are listed)."""

BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def active_rules(policy: Policy) -> tuple[Rule, ...]:
    """The rules ``policy`` switches on (those always on included), in registry order."""
    return tuple(rule for rule in RULES if rule.active(policy))


def rule_named(name: str) -> Rule | None:
    """The rule called ``name`` (one name everywhere), or ``None``."""
    return BY_NAME.get(name)


def parameters() -> dict[str, Rule]:
    """Policy parameters (dotted paths) a sweep or a repair can vary, and the rule each belongs to."""
    return {rule.parameter: rule for rule in RULES if rule.parameter is not None}
