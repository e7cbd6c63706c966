"""``gini[t]``: the population-weighted Gini of resources per head is at most ε (pairwise, ≤ 500 regions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import Problem
from ..model.lp import INF
from ..results.metrics import gini
from .base import Outcome, Rule, relative
from .settings import ShareLevel

if TYPE_CHECKING:
    from ..io.instance import Instance, Policy
    from ..model.build import Formulation
    from ..model.params import Params

PAIRWISE_LIMIT = 500
"""The pairwise Gini rule is built for at most this many regions (it has R²/2 pairs per year)."""


class Gini(Rule):
    name = "gini"
    key = "gini_max"
    setting = ShareLevel | None
    parameter = "gini_max"
    scope = "year"
    links_incentives = True
    description = ("Σ_{r<q} P_r P_q |u_r − u_q| ≤ ε·(Σ_r P_r)·Σ_r Q_r: the population-weighted Gini of resources per "
                   f"head is at most ε (pairwise; up to {PAIRWISE_LIMIT} regions)")
    meaning = "the smallest Gini of resources per head that can be met"

    def check(self, instance: Instance, policy: Policy) -> list[Problem]:
        regions = len(instance.region_ids)
        if regions <= PAIRWISE_LIMIT:
            return []
        return [Problem(f"policy {policy.name}", self.key,
                        f"gini_max builds one constraint per pair of regions and is allowed up to {PAIRWISE_LIMIT} "
                        f"regions; this instance has {regions}. Use mean_deviation_max (linear at any scale) "
                        "instead")]

    def build(self, f: Formulation) -> None:
        lp, p = f.lp, f.params
        R, _, T = p.shape
        keys, rt_r, rt_t, rt_labels = f.region_year
        P, F = f.population, f.fiscal
        total = f.total_resources()
        u = lp.add_vars("per_capita", rt_labels, 0.0, INF, unit="per_capita")
        rows, cols, vals = f.transfer.rows(keys, -1.0)
        lp.add_rows("per_capita_definition", rt_labels, np.concatenate([rows, keys]), np.concatenate([cols, u]),
                    np.concatenate([vals, P[rt_r, rt_t]]), lower=F[rt_r, rt_t], upper=F[rt_r, rt_t])
        a, b = np.triu_indices(R, k=1)
        pa, pb = np.tile(a, T), np.tile(b, T)
        pt = np.repeat(np.arange(T), a.size)
        ids, yrs = p.region_ids, np.array(p.years)
        pairs = list(zip(ids[pa].tolist(), ids[pb].tolist(), yrs[pt].tolist()))
        d = lp.add_vars("gini_pair_gap", pairs, 0.0, INF, unit="per_capita")
        n = d.size
        ua, ub = u[pa * T + pt], u[pb * T + pt]
        k = np.arange(n)
        lp.add_rows("gini_pair", [lab + ("+",) for lab in pairs] + [lab + ("-",) for lab in pairs],
                    np.concatenate([k, k, k, k + n, k + n, k + n]), np.concatenate([d, ua, ub, d, ua, ub]),
                    np.concatenate([np.ones(n), -np.ones(n), np.ones(n), np.ones(n), np.ones(n), -np.ones(n)]),
                    lower=0.0, rule=self.name, unit="per_capita")
        weight = P[pa, pt] * P[pb, pt] / P.sum(axis=0)[pt]
        lp.add_rows(self.name, f.year_labels, np.concatenate([pt, np.arange(T)]), np.concatenate([d, total]),
                    np.concatenate([weight, -self.value(f.policy) * np.ones(T)]), upper=0.0,
                    soft=self.soft(f.policy), rule=self.name)

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        u, P = o.per_capita, p.population
        return max(relative(gini(u[:, t], P[:, t]) - self.value(policy), 1.0) for t in range(u.shape[1]))

    def loosest(self, p: Params, policy: Policy, o: Outcome) -> float:
        u, P = o.per_capita, p.population
        return min(1.0, max(gini(u[:, t], P[:, t]) for t in range(u.shape[1])) * (1 + 1e-6) + 1e-9)


RULE = Gini()
