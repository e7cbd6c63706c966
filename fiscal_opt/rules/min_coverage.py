"""``min_coverage[r,s,t]``: every service in every region covers at least τ of its standard cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import InfeasibleError
from .base import Outcome, Rule, relative
from .diagnosis import listing, named
from .settings import ShareLevel

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class MinCoverage(Rule):
    name = "min_coverage"
    key = "min_coverage"
    setting = ShareLevel | None
    parameter = "min_coverage"
    loosens_upward = False
    scope = "cell"
    binding_rows = "min_coverage"
    description = "k_rst = (L_rst + x_rst)/C_rst ≥ τ: every service in every region covers at least τ of its standard cost"
    meaning = "the highest minimum coverage every service can reach with the other rules kept"

    def build(self, f: Formulation) -> None:
        p = f.params
        r, s, t = f.cell_r, f.cell_s, f.cell_t
        need = (self.value(f.policy) * p.standard_cost[r, s, t] - p.local_funding[r, s, t]) / f.scale.money
        sel = np.flatnonzero(need > 0)
        f.lp.add_rows(self.name, f.cell_labels(sel), np.arange(sel.size), f.x_cols[sel], np.ones(sel.size),
                      lower=need[sel], soft=self.soft(f.policy), rule=self.name, region=r[sel], year=t[sel])

    def precheck(self, p: Params, policy: Policy) -> None:
        if self.soft(policy):
            return
        money = p.money_unit
        need = self.value(policy) * p.standard_cost - p.local_funding
        short = need - p.ceiling > 1e-9 * np.maximum(1.0, p.standard_cost)
        if short.any():
            items = [f"{named(self.name, (p.region_ids[i], p.services[j], p.years[k]))} needs {need[i, j, k]:.6g} "
                     f"{money} but the fund ceiling (gap capped at the central share) allows {p.ceiling[i, j, k]:.6g}"
                     for i, j, k in zip(*np.nonzero(short))]
            raise InfeasibleError("min_coverage cannot be met within the central share caps: " + listing(items)
                                  + f". The highest coverage every cell can reach is {reachable_coverage(p):.4f}",
                                  [self.name, "fund_ceiling"])
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
        need = self.value(policy) * p.standard_cost - p.local_funding
        return relative(need - o.x, np.maximum(p.standard_cost, 1e-12))


def reachable_coverage(p: Params) -> float:
    """The highest coverage every cell can reach within its fund ceiling: min over cells of (L + U)/C."""
    with np.errstate(divide="ignore", invalid="ignore"):
        top = np.where(p.standard_cost > 0, (p.local_funding + p.ceiling) / p.standard_cost, np.inf)
    return float(min(1.0, top.min())) if top.size else 1.0


RULE = MinCoverage()
