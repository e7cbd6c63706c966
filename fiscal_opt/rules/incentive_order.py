"""``incentive_order[r,t,side]``: a better reform score never earns less per unit of basis (ν > 0)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..model.lp import INF
from .base import Outcome, Rule, relative

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class IncentiveOrder(Rule):
    name = "incentive_order"
    scope = "region-year"
    always_on = True
    description = ("y_rt/E_rt ≤ y_qt/E_qt when π_rt < π_qt: a better reform score never earns less per unit of "
                   "basis (only when incentives may move, ν > 0)")

    def build(self, f: Formulation) -> None:
        """Regions are grouped by distinct score within a year; a threshold variable h_g between
        consecutive score groups g < g+1 carries the order with O(R) rows instead of O(R²):
        c·y_r/E_r ≤ h_g for r in g, c·y_q/E_q ≥ h_g for q in g+1, with c the mean basis."""
        p, lp = f.params, f.lp
        if f.flexibility <= 0 or not lp.row_blocks.get("incentive_pool"):
            return
        labels, rows, cols, vals, lower, upper, h_labels = [], [], [], [], [], [], []
        n_rows = 0
        for t, year in enumerate(p.years):
            sel = np.flatnonzero(f.pay_t == t)
            if sel.size < 2:
                continue
            regions = f.pay_r[sel]
            levels, group = np.unique(p.reform_score[regions, t], return_inverse=True)
            if levels.size < 2:
                continue
            basis = p.basis[regions, t]
            rate = basis.mean() / basis
            h_labels += [(year, float(lv)) for lv in levels[:-1]]
            h_first = len(h_labels) - (levels.size - 1)
            for side, grp, lo, up in (("at_most", group, -INF, 0.0), ("at_least", group - 1, 0.0, INF)):
                ok = (grp >= 0) & (grp < levels.size - 1)
                k = int(ok.sum())
                labels += list(zip(p.region_ids[regions[ok]].tolist(), [year] * k, [side] * k))
                rows += [n_rows + np.arange(k), n_rows + np.arange(k)]
                cols += [f.y_cols[sel[ok]], np.full(k, -1) - (h_first + grp[ok])]
                vals += [rate[ok], -np.ones(k)]
                lower.append(np.full(k, lo))
                upper.append(np.full(k, up))
                n_rows += k
        if not h_labels:
            return
        h = lp.add_vars("incentive_order_threshold", h_labels, 0.0, INF)
        cols_arr = np.concatenate(cols)
        cols_arr = np.where(cols_arr < 0, h[np.maximum(-cols_arr - 1, 0)], cols_arr)
        lp.add_rows(self.name, labels, np.concatenate(rows), cols_arr, np.concatenate(vals),
                    lower=np.concatenate(lower), upper=np.concatenate(upper), rule=self.name)

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        """Among regions paid, the largest rate of a score group above the smallest of the next."""
        if p.flexibility <= 0:
            return None
        worst = 0.0
        for t in range(o.y.shape[1]):
            paid = np.flatnonzero(p.incentive_basis[:, t] > 0)
            if paid.size < 2:
                continue
            score = p.reform_score[paid, t]
            rate = o.y[paid, t] / p.basis[paid, t]
            order = np.argsort(score, kind="stable")
            levels, start = np.unique(score[order], return_index=True)
            if levels.size > 1:
                high = np.maximum.reduceat(rate[order], start)
                low = np.minimum.reduceat(rate[order], start)
                worst = max(worst, relative(high[:-1] - low[1:], np.maximum(high[:-1], 1e-300)))
        return worst


def in_score_order(p: Params, y: np.ndarray) -> np.ndarray:
    """Incentives ``y`` (R, T) with any rate y/E out of score order — by the solver's feasibility
    tolerance, never more — pooled with its neighbours (pool-adjacent violators, weighted by the
    basis E, so each year's total is kept): the order then holds exactly, as the clipping of the
    special fund to its ceilings makes those hold exactly."""
    out = y.copy()
    for t in range(y.shape[1]):
        paid = np.flatnonzero(p.incentive_basis[:, t] > 0)
        if paid.size < 2:
            continue
        basis = p.basis[paid, t]
        rate = y[paid, t] / basis
        order = np.lexsort((rate, p.reform_score[paid, t]))
        blocks: list[list[float]] = []  # [weighted sum, weight, count]
        for r, w in zip(rate[order], basis[order]):
            blocks.append([r * w, w, 1])
            while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
                s, w2, n = blocks.pop()
                blocks[-1] = [blocks[-1][0] + s, blocks[-1][1] + w2, blocks[-1][2] + n]
        pooled = np.repeat([b[0] / b[1] for b in blocks], [b[2] for b in blocks])
        fixed = np.empty_like(rate)
        fixed[order] = pooled
        out[paid, t] = fixed * basis
    return out


RULE = IncentiveOrder()
