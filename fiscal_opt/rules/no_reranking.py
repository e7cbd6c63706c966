"""``no_reranking[r,t,side]``: equalisation never reverses the order of regions by own revenue per
head (MODEL-v2 §10.4; the rule of Switzerland's NFA).

Regions are grouped by equal F/P within a year; for consecutive groups g < g+1 (strictly increasing
F/P) resources per head after transfers keep the order: u_r ≤ u_q for r in g, q in g+1. As in
``incentive_order``, a threshold h_g between consecutive groups carries the order with O(R) rows:
Q_r − P_r·h_g ≤ 0 for r in g and Q_q − P_q·h_g ≥ 0 for q in g+1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import BeforeValidator, StrictBool

from ..io.values import Strict
from ..model.lp import INF
from .base import Outcome, Rule, relative

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class NoReranking(Strict):
    """``no_reranking: true`` or ``{soft: true}``."""

    soft: StrictBool = False


def _switch(value: Any) -> Any:
    """``true`` switches the rule on (hard), ``false`` leaves it off."""
    if value is True:
        return {}
    if value is False:
        return None
    return value


def revenue_groups(p: Params, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Regions in ascending order of own revenue per head F/P in year ``t``, and each one's group
    (regions of equal F/P share a group, groups numbered from 0 upwards)."""
    per_head = p.fiscal_capacity[:, t] / p.population[:, t]
    order = np.argsort(per_head, kind="stable")
    _, group = np.unique(per_head[order], return_inverse=True)
    return order, group


class NoRerankingRule(Rule):
    name = "no_reranking"
    key = "no_reranking"
    setting = Annotated[NoReranking | None, BeforeValidator(_switch)]
    scope = "region-year"
    links_incentives = True
    binding_rows = "no_reranking"
    description = ("u_rt ≤ u_qt whenever F_rt/P_rt < F_qt/P_qt: resources per head after transfers keep the order of "
                   "own revenue per head (equalisation never reranks regions)")

    def active(self, policy: Policy) -> bool:
        return self.setting_of(policy) is not None

    def build(self, f: Formulation) -> None:
        p, lp = f.params, f.lp
        keys, _, _, _ = f.region_year
        T = len(p.years)
        terms_rows, terms_cols, terms_vals = f.transfer.rows(keys)
        labels, regions, years, sides, thresholds, h_labels = [], [], [], [], [], []
        for t, year in enumerate(p.years):
            order, group = revenue_groups(p, t)
            last = int(group.max(initial=0))
            for side, members in (("at_most", group < last), ("at_least", group > 0)):
                r = order[members]
                labels += [(rid, year, side) for rid in p.region_ids[r].tolist()]
                regions.append(r)
                years.append(np.full(r.size, t))
                sides.append(np.full(r.size, side == "at_most"))
                thresholds.append(len(h_labels) + (group[members] if side == "at_most" else group[members] - 1))
            h_labels += [(year, k) for k in range(last)]
        if not h_labels:
            return
        h = lp.add_vars("no_reranking_threshold", h_labels, 0.0, INF, unit="per_capita")
        r, t, at_most, k = (np.concatenate(a) for a in (regions, years, sides, thresholds))
        # row i: Q_r − P_r·h = F_r + X_r − P_r·h, written as X_r − P_r·h ≤ (or ≥) −F_r
        row_of_key = np.full(len(keys), -1)
        rows, cols, vals = [], [], []
        for side in (True, False):  # a region can have a row of each side
            pick = np.flatnonzero(at_most == side)
            row_of_key[:] = -1
            row_of_key[r[pick] * T + t[pick]] = pick
            used = row_of_key[f.transfer.keys] >= 0
            rows += [row_of_key[f.transfer.keys[used]], pick]
            cols += [terms_cols[used], h[k[pick]]]
            vals += [terms_vals[used], -f.population[r[pick], t[pick]]]
        bound = -f.fiscal[r, t]
        lp.add_rows(self.name, labels, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                    lower=np.where(at_most, -INF, bound), upper=np.where(at_most, bound, INF),
                    soft=self.soft(f.policy), rule=self.name, region=r, year=t)

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        worst = 0.0
        for t in range(o.x.shape[2]):
            order, group = revenue_groups(p, t)
            u = o.per_capita[order, t]
            if group.max(initial=0) < 1:
                continue
            starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
            high, low = np.maximum.reduceat(u, starts), np.minimum.reduceat(u, starts)
            worst = max(worst, relative(high[:-1] - low[1:], np.maximum(high[:-1], 1e-300)))
        return worst


RULE = NoRerankingRule()
