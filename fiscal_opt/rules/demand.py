"""``demand[r,s,t]``: 0 ≤ q_rst ≤ a_s·D_rst, a service with places serves at most the people who
need it (bounds of the variable ``served``, MODEL-v2 §11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import BINDING_TOLERANCE, Outcome, Rule, persons_scale, relative

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class Demand(Rule):
    name = "demand"
    scope = "bounds"
    always_on = True
    bounds_of = "served"
    description = ("0 ≤ q_rst ≤ a_s·D_rst: a service with places serves at most its demand, the take-up share of "
                   "its driver (bounds of the people served)")

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        cp, plan = p.capacity, o.plan
        if cp is None or plan is None:
            return None
        size = np.maximum(cp.demand, persons_scale(p))
        return max(relative(plan.served - cp.demand, size), relative(-plan.served, size))

    def binding(self, f: Formulation, values: np.ndarray, activity: np.ndarray) -> np.ndarray | None:
        if not f.q_cols.size:
            return None
        q = values[f.q_cols]
        upper = f.lp.bounds()[1][f.q_cols]
        hit = q >= upper - BINDING_TOLERANCE * np.maximum(1.0, upper)
        mark = np.zeros(f.params.shape[::2], dtype=bool)
        mark[f.served_r[hit], f.served_t[hit]] = True
        return mark


RULE = Demand()
