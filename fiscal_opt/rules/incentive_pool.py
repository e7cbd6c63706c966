"""``incentive_pool[t]``: the incentives paid in a year add up to the pool I_t (0 when nobody qualifies)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import Outcome, Rule, relative

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class IncentivePool(Rule):
    name = "incentive_pool"
    scope = "year"
    always_on = True
    description = "Σ_r y_rt = I_t where someone qualifies (Σ e > 0), else nothing is paid"

    def build(self, f: Formulation) -> None:
        p = f.params
        T = len(p.years)
        years = np.flatnonzero((p.incentive_pool > 0) & (p.incentive_basis.sum(axis=0) > 0))
        if not years.size:
            return
        row_of_year = np.full(T, -1)
        row_of_year[years] = np.arange(years.size)
        pool = p.incentive_pool[years] / f.scale.money
        f.lp.add_rows(self.name, [f.year_labels[t] for t in years], row_of_year[f.pay_t], f.y_cols,
                      np.ones(len(f.y_cols)), lower=pool, upper=pool, rule=self.name)

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        pool = p.incentive_pool
        qualifies = (pool > 0) & (p.incentive_basis.sum(axis=0) > 0)
        return relative(np.abs(o.y.sum(axis=0) - np.where(qualifies, pool, 0.0)), np.maximum(pool, 1e-12))


RULE = IncentivePool()
