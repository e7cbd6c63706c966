"""``capital_share[r,t]``: the central capital grant pays at most the central share θ of the capital
cost of a region's new and converted places (MODEL-v2 §11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..model.capacity import capital_spending
from .base import Outcome, Rule, money_scale, relative

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class CapitalShare(Rule):
    name = "capital_share"
    scope = "region-year"
    always_on = True
    binding_rows = "capital_share"
    description = ("0 ≤ g_rt ≤ Σ_s θ_rst·(capital cost of the places started and converted for s in year t): the capital "
                   "grant pays at most the central share cap of each service's capital cost")

    def build(self, f: Formulation) -> None:
        p = f.params
        if p.capacity is None or p.capacity.fund is None:
            return
        places = f.places
        keys, cols, vals = places.capital_terms(share=True)
        _, rt_r, rt_t, rt_labels = f.region_year
        g = places.g[rt_r, rt_t]
        k = np.arange(len(rt_r))
        f.lp.add_rows(self.name, rt_labels, np.concatenate([k, keys]), np.concatenate([g, cols]),
                      np.concatenate([np.ones(k.size), -vals]), upper=0.0, rule=self.name, region=rt_r, year=rt_t)

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        cp, plan = p.capacity, o.plan
        if cp is None or plan is None or cp.fund is None:
            return None
        allowed = (cp.share_cap * capital_spending(cp, plan.started, plan.converted)).sum(axis=1)
        size = np.maximum(np.maximum(allowed, plan.grant), money_scale(p))
        return max(relative(plan.grant - allowed, size), relative(-plan.grant, size))


RULE = CapitalShare()
