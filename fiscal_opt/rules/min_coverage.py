"""``min_coverage[r,s,t]``: every service in every region covers at least τ of its standard cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import InfeasibleError, Problem
from .base import Outcome, Rule, relative
from .diagnosis import listing, named
from .settings import ServiceShareLevels

if TYPE_CHECKING:
    from ..io.instance import Instance, Policy
    from ..model.build import Formulation
    from ..model.params import Params


class MinCoverage(Rule):
    name = "min_coverage"
    key = "min_coverage"
    setting = ServiceShareLevels | None
    parameter = "min_coverage"
    loosens_upward = False
    scope = "cell"
    binding_rows = "min_coverage"
    description = ("k_rst = (L_rst + x_rst)/C_rst ≥ τ_s: every service in every region covers at least τ_s of its "
                   "standard cost (one τ for all services, or one per service with a default); for a service with "
                   "places k_rst = q_rst/(a_s·D_rst), the share of its demand served")
    meaning = "the highest minimum coverage every service can reach with the other rules kept"

    def value(self, policy: Policy) -> float | None:
        """The level of every service not named on its own (the sweepable, repairable number)."""
        setting = self.setting_of(policy)
        return None if setting is None else setting.value

    def active(self, policy: Policy) -> bool:
        setting = self.setting_of(policy)
        return setting is not None and (setting.value is not None or bool(setting.by_service))

    def check(self, instance: Instance, policy: Policy) -> list[Problem]:
        unknown = sorted(set(self.setting_of(policy).by_service) - set(instance.services))
        return [Problem(f"policy {policy.name}", f"{self.key}.{name}", f"no service `{name}` in the instance "
                        f"(its services: {', '.join(instance.services)})") for name in unknown]

    def need(self, p: Params, policy: Policy) -> np.ndarray:
        """τ_s·C − L (R, S, T), money_unit; NaN where a service has no level."""
        setting = self.setting_of(policy)
        tau = np.array([np.nan if (v := setting.level(s)) is None else v for s in p.services])
        return tau[None, :, None] * p.standard_cost - p.local_funding

    def covered_need(self, p: Params, policy: Policy) -> np.ndarray:
        """τ_s·C − L (R, S, T), money_unit, with τ_s·C for a service with places (its coverage is the
        standard cost of the people served, from 0); NaN where a service has no level."""
        need = self.need(p, policy)
        if p.capacity is None:
            return need
        return np.where(p.capacity.mask[None, :, None], need + p.local_funding, need)

    def build(self, f: Formulation) -> None:
        p, cov = f.params, f.coverage
        need = self.covered_need(p, f.policy)[cov.r, cov.s, cov.t] / f.scale.money
        sel = np.flatnonzero(np.nan_to_num(need, nan=0.0) > 0)
        f.lp.add_rows(self.name, [cov.labels[i] for i in sel.tolist()], np.arange(sel.size), cov.cols[sel],
                      cov.coef[sel], lower=need[sel], soft=self.soft(f.policy), rule=self.name, region=cov.r[sel],
                      year=cov.t[sel])

    def precheck(self, p: Params, policy: Policy) -> None:
        if self.soft(policy):
            return
        money = p.money_unit
        need = np.nan_to_num(self.need(p, policy), nan=-np.inf)
        short = need - p.ceiling > 1e-9 * np.maximum(1.0, p.standard_cost)
        if short.any():
            items = [f"{named(self.name, (p.region_ids[i], p.services[j], p.years[k]))} needs {need[i, j, k]:.6g} "
                     f"{money} but the fund ceiling (gap capped at the central share) allows {p.ceiling[i, j, k]:.6g}"
                     for i, j, k in zip(*np.nonzero(short))]
            raise InfeasibleError("min_coverage cannot be met within the central share caps: " + listing(items)
                                  + f". The highest coverage every cell can reach is {reachable_coverage(p):.4f}",
                                  [self.name, "fund_ceiling"])
        _places_check(self, p, policy)
        if p.special_fund is not None and policy.objective != "min_budget":
            needed = np.maximum(need, 0.0).sum(axis=(0, 1))
            over = np.flatnonzero(needed > p.special_fund * (1 + 1e-9) + 1e-12)
            if over.size:
                items = [f"year {p.years[t]}: needs {needed[t]:.6g} {money}, budget {p.special_fund[t]:.6g}"
                         for t in over]
                raise InfeasibleError("min_coverage needs more special fund than the budget: " + listing(items)
                                      + ". The smallest budget that meets it is the sum above (run the min_budget "
                                      "objective for the full answer)", ["budget", self.name])

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        setting = self.setting_of(policy)
        tau = np.array([np.nan if (v := setting.level(s)) is None else v for s in p.services])
        need = np.nan_to_num(tau[None, :, None] * p.standard_cost - o.covered, nan=-np.inf)
        return relative(need, np.maximum(p.standard_cost, 1e-12))


def _places_check(rule: MinCoverage, p: Params, policy: Policy) -> None:
    """A level a service with places cannot reach before new places are ready: in the years before
    its lead time ends, at most the places at the start (depreciated) and the conversions that can
    arrive by then are in use."""
    cp = p.capacity
    if cp is None:
        return
    setting = rule.setting_of(policy)
    T = len(p.years)
    items = []
    for s in cp.services:
        tau = setting.level(p.services[s])
        lead = int(cp.lead[s])
        if tau is None or tau <= 0 or lead == 0:
            continue
        years = np.arange(min(lead, T))
        most = cp.start[:, s, None] * (1 - cp.depreciation[s]) ** (years[None, :] + 1)
        for j in np.flatnonzero(cp.conv_to == s):
            arrived = years >= cp.conv_lead[j]
            most = most + np.where(arrived[None, :], cp.conv_share[j] * cp.start[:, cp.conv_from[j], None], 0.0)
        need = tau * cp.demand[:, s, :years.size]
        for r, t in np.argwhere(need > most * (1 + 1e-9) + 1e-9):
            items.append(f"{named(rule.name, (p.region_ids[r], p.services[s], p.years[t]))} needs {need[r, t]:,.6g} "
                         f"places in use but at most {most[r, t]:,.6g} can be by {p.years[t]} (places started in "
                         f"{p.years[0]} serve from {p.years[0] + lead}: lead time {lead} years)")
    if items:
        raise InfeasibleError("min_coverage asks for places before new ones can be ready: " + listing(items),
                              [rule.name, "capacity"])


def reachable_coverage(p: Params) -> float:
    """The highest coverage every cell can reach within its fund ceiling: min over cells of (L + U)/C."""
    with np.errstate(divide="ignore", invalid="ignore"):
        top = np.where(p.standard_cost > 0, (p.local_funding + p.ceiling) / p.standard_cost, np.inf)
    return float(min(1.0, top.min())) if top.size else 1.0


RULE = MinCoverage()
