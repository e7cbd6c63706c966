"""``recurrent[r,s,t]``: a service with places pays its people served and its idle places from its
local funding and the special fund, c_s·κ_r·q_rst + ι_s·κ_r·(K_rst − q_rst) ≤ L_rst + x_rst (MODEL-v2 §11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import InfeasibleError
from ..model.capacity import recurrent_need
from .base import Outcome, Rule, money_scale, relative
from .diagnosis import listing, named

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class Recurrent(Rule):
    name = "recurrent"
    scope = "cell"
    always_on = True
    binding_rows = "recurrent"
    description = ("c_s·κ_r·q_rst + ι_s·κ_r·(K_rst − q_rst) ≤ L_rst + x_rst: for a service with places the special fund "
                   "pays for people actually served, and for the upkeep of idle places (idle_cost)")

    def build(self, f: Formulation) -> None:
        p = f.params
        cp = p.capacity
        if cp is None:
            return
        places, ms = f.places, f.scale.money
        R, S, T = p.shape
        r, s, t = np.nonzero(places.K >= 0)
        q_of = np.full((R, S, T), -1, dtype=np.int64)
        q_of[f.served_r, f.served_s, f.served_t] = f.q_cols
        x_of = np.full((R, S, T), -1, dtype=np.int64)
        x_of[f.cell_r, f.cell_s, f.cell_t] = f.x_cols
        q, x = q_of[r, s, t], x_of[r, s, t]
        idle = cp.idle[r, s, t] * places.per_person
        keep = (q >= 0) | (idle > 0)
        r, s, t, q, x, idle = r[keep], s[keep], t[keep], q[keep], x[keep], idle[keep]
        unit = cp.unit[r, s, t] * places.per_person
        k = np.arange(r.size)
        has_q, has_x = q >= 0, x >= 0
        # x + (ι − c)·q − ι·K ≥ −L
        rows = np.concatenate([k[has_x], k[has_q], k])
        cols = np.concatenate([x[has_x], q[has_q], places.K[r, s, t]])
        vals = np.concatenate([np.ones(int(has_x.sum())), (idle - unit)[has_q], -idle])
        f.lp.add_rows(self.name, list(zip(p.region_ids[r].tolist(), np.array(p.services, dtype=object)[s].tolist(),
                                          np.array(p.years)[t].tolist())),
                      rows, cols, vals, lower=-p.local_funding[r, s, t] / ms, rule=self.name, region=r, year=t)

    def precheck(self, p: Params, policy: Policy) -> None:
        cp = p.capacity
        if cp is None:
            return
        T = len(p.years)
        years = np.arange(T)
        items = []
        for s in cp.services:
            out = cp.conv_share[cp.conv_from == s].sum()
            least = np.maximum(0.0, cp.start[:, s, None] * ((1 - cp.depreciation[s]) ** (years[None, :] + 1) - out))
            used = np.minimum(least, cp.demand[:, s, :])
            need = cp.idle[:, s, :] * least + np.minimum(0.0, (cp.unit[:, s, :] - cp.idle[:, s, :]) * used)
            most = p.local_funding[:, s, :] + p.ceiling[:, s, :]
            for r, t in np.argwhere(need > most * (1 + 1e-9) + 1e-12):
                items.append(f"{named(self.name, (p.region_ids[r], p.services[s], p.years[t]))}: the upkeep of the "
                             f"places that cannot be converted away costs at least {need[r, t]:,.6g} {p.money_unit}, "
                             f"but local funding and the fund ceiling give at most {most[r, t]:,.6g}")
        if items:
            raise InfeasibleError("idle places cost more upkeep than a region can pay: " + listing(items),
                                  [self.name, "fund_ceiling"])

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        cp, plan = p.capacity, o.plan
        if cp is None or plan is None:
            return None
        need = recurrent_need(cp, plan)
        gap = np.where(cp.mask[None, :, None], need - p.local_funding - o.x, 0.0)
        return relative(gap, np.maximum(np.maximum(p.standard_cost, need), money_scale(p)))


RULE = Recurrent()
