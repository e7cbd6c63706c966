"""What a solve returns, in the instance's terms (money in money_unit), before any table is made."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model.capacity import CapacityPlan


@dataclass(eq=False)
class Solution:
    """The optimum and the facts of how it was found.

    ``special_fund`` is (R, S, T) and ``incentive`` (R, T), money_unit. ``objective`` is in the
    objective's own unit: money_unit for ``weighted_shortfall`` and ``min_budget``, a coverage
    share for ``max_min_coverage`` and ``leximin_coverage``. ``budget_shadow_price`` is the change
    of that objective per extra money_unit of special fund, per year (``None`` where undefined),
    valid while the budget stays within ``budget_shadow_range`` (money_unit).
    ``slacks`` lists every non-zero soft-rule violation: rule name → [(label, amount)], money_unit;
    ``penalties`` what each rule's bending costs in the objective's terms: money_unit of weighted
    shortfall (or of budget, ``min_budget``) for the money objectives, coverage points for
    ``max_min_coverage`` and ``leximin_coverage`` (docs/model.md, "Soft rules").
    ``binding`` is (R, T): the names of the rules that hold with equality for each region-year.
    ``level_setters`` names, for the max-min objectives, the cells that set each coverage level and
    whether a central share cap pins them. ``reports`` holds what rules report of their own
    variables (the formula rule: its weights).
    ``plan`` is what the solution does with places (MODEL-v2 §11): people served, places, places
    started and converted, capital grants; ``None`` without places.
    """

    status: str
    objective_name: str
    objective: float
    special_fund: np.ndarray
    incentive: np.ndarray
    budget_shadow_price: list[float | None]
    budget_shadow_range: list[tuple[float, float] | None]
    slacks: dict[str, list[tuple[tuple, float]]]
    binding: np.ndarray
    stages: list[dict] = field(default_factory=list)
    coverage_levels: list[float] = field(default_factory=list)
    penalties: dict[str, float] = field(default_factory=dict)
    level_setters: list[dict] = field(default_factory=list)
    reports: dict[str, dict] = field(default_factory=dict)
    solver: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    plan: CapacityPlan | None = None
