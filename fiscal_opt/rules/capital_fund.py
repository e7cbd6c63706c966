"""``capital_fund[t]``: the central capital grants of a year stay within the capital fund B^K_t
(``budget.capital_fund``, MODEL-v2 §11)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from ..model.capacity import capital_spending
from .base import Outcome, Probe, Repair, Rule, money_scale, relative

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class CapitalFund(Rule):
    name = "capital_fund"
    scope = "year"
    always_on = True
    description = "Σ_r g_rt ≤ B^K_t: the capital grants of a year stay within the capital fund (budget.capital_fund)"
    meaning = "the smallest capital fund per year that lets every rule hold, lead times included"

    def build(self, f: Formulation) -> None:
        p = f.params
        if p.capacity is None or p.capacity.fund is None:
            return
        g = f.places.g
        R, T = g.shape
        f.lp.add_rows(self.name, f.year_labels, np.tile(np.arange(T), R), g.ravel(), np.ones(R * T),
                      upper=p.capacity.fund / f.scale.money, rule=self.name)

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        cp, plan = p.capacity, o.plan
        if cp is None or plan is None or cp.fund is None:
            return None
        return relative(plan.grant.sum(axis=0) - cp.fund, np.maximum(cp.fund, money_scale(p)))

    def repair(self, policy: Policy, probe: Probe) -> Repair | None:
        """The least capital grants per year of an allocation that meets every other rule, with a fund
        large enough for any grant the central share caps allow."""
        p = probe.params
        cp = p.capacity
        if cp is None or cp.fund is None:
            return None
        plenty = dataclasses.replace(p, capacity=dataclasses.replace(cp, fund=np.full(len(p.years), _enough(cp))))
        grants = probe.least(policy, plenty, "capital_grant")
        if grants is None:
            return None
        need = grants.reshape(len(p.region_ids), len(p.years)).sum(axis=0)
        return Repair("budget.capital_fund", [float(v) for v in cp.fund], [float(v) for v in need], self.meaning)


def _enough(cp) -> float:
    """A capital fund no year can use up: the central share of building every region's largest demand
    anew and of every conversion allowed, money_unit."""
    most = cp.demand.max(axis=2, keepdims=True)
    J = len(cp.conv_from)
    converted = np.broadcast_to((cp.conv_share[None, :] * cp.start[:, cp.conv_from])[:, :, None],
                                (cp.demand.shape[0], J, cp.demand.shape[2]))
    spend = capital_spending(cp, np.broadcast_to(most, cp.demand.shape) * cp.mask[None, :, None], converted)
    return float((cp.share_cap * spend).sum(axis=(0, 1)).max(initial=0.0)) * 1.01 + 1.0


RULE = CapitalFund()
