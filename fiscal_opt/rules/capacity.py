"""``capacity[r,s,t]``: a service with places serves no more people than it has places, the places
K defined year by year from the places at the start, those started (after their lead time),
depreciation and conversions (rows ``places_balance[r,s,t]``, MODEL-v2 §11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..model.capacity import stock
from .base import Outcome, Rule, persons_scale, relative

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class Capacity(Rule):
    name = "capacity"
    scope = "cell"
    always_on = True
    binding_rows = "capacity"
    description = ("q_rst ≤ K_rst with K_rst = (1 − δ_s)·K_rs,t−1 + n_rs,t−ℓ_s + places converted in − places converted "
                   "out (rows places_balance[r,s,t]) and K_rs,−1 the places at the start: a service with places serves "
                   "no more people than it has places")

    def build(self, f: Formulation) -> None:
        if f.params.capacity is None:
            return
        places = f.places
        r, s, t = f.served_r, f.served_s, f.served_t
        n = r.size
        f.lp.add_rows(self.name, f.lp.var_blocks["served"].labels, np.r_[np.arange(n), np.arange(n)],
                      np.r_[f.q_cols, places.K[r, s, t]], np.r_[np.ones(n), -np.ones(n)], upper=0.0,
                      rule=self.name, region=r, year=t, unit="persons")

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        cp, plan = p.capacity, o.plan
        if cp is None or plan is None:
            return None
        size = np.maximum(np.maximum(plan.places, cp.demand), persons_scale(p))
        implied = stock(cp, plan.started, plan.converted)
        return max(relative(plan.served - plan.places, size), relative(np.abs(plan.places - implied), size),
                   relative(-plan.places, size), relative(-plan.started, size),
                   relative(-plan.converted, persons_scale(p)))


RULE = Capacity()
