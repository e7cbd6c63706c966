"""``capital[r,t]``: the capital cost of the places a region starts and converts in a year is paid
from its own capital (region column ``local_capital``) and the central capital grant (MODEL-v2 §11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..model.capacity import capital_spending
from .base import Outcome, Rule, money_scale, relative

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class Capital(Rule):
    name = "capital"
    scope = "region-year"
    always_on = True
    binding_rows = "capital"
    description = ("Σ_s capital_cost_s·κ_r·n_rst + Σ conversion cost·κ_r·v ≤ local capital_rt + g_rt: new and converted "
                   "places are paid, in the year they start, from the region's own capital and the central capital "
                   "grant")

    def build(self, f: Formulation) -> None:
        p = f.params
        if p.capacity is None:
            return
        places = f.places
        keys, cols, vals = places.capital_terms()
        _, rt_r, rt_t, rt_labels = f.region_year
        used = np.zeros(len(rt_r), dtype=bool)
        used[keys] = True
        if places.g is not None:
            used[:] = True
        row = np.cumsum(used) - 1
        rows, columns, values = [row[keys]], [cols], [vals]
        if places.g is not None:
            g = places.g[rt_r, rt_t]
            rows.append(row[used])
            columns.append(g[used])
            values.append(-np.ones(int(used.sum())))
        f.lp.add_rows(self.name, [rt_labels[i] for i in np.flatnonzero(used).tolist()], np.concatenate(rows),
                      np.concatenate(columns), np.concatenate(values),
                      upper=p.capacity.local_capital[rt_r[used], rt_t[used]] / f.scale.money, rule=self.name,
                      region=rt_r[used], year=rt_t[used])

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        cp, plan = p.capacity, o.plan
        if cp is None or plan is None:
            return None
        spend = capital_spending(cp, plan.started, plan.converted).sum(axis=1)
        size = np.maximum(np.maximum(spend, cp.local_capital), money_scale(p))
        return relative(spend - cp.local_capital - plan.grant, size)


RULE = Capital()
