"""``disparity[t]``: the richest region's resources per head are at most ρ times the poorest's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..model.lp import INF
from .base import Outcome, Rule, relative
from .settings import RatioLevel

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class Disparity(Rule):
    name = "disparity"
    key = "max_disparity_ratio"
    setting = RatioLevel | None
    parameter = "max_disparity_ratio"
    scope = "year"
    links_incentives = True
    binding_rows = "disparity_range"
    description = ("u_max,t ≤ ρ·u_min,t with u_min,t ≤ Q_rt/P_rt ≤ u_max,t (rows disparity_range[r,t,min|max]): "
                   "resources per head differ by at most the ratio ρ")
    meaning = "the smallest max/min ratio of resources per head that can be met"

    def build(self, f: Formulation) -> None:
        lp = f.lp
        T = len(f.params.years)
        keys, rt_r, rt_t, rt_labels = f.region_year
        P, F = f.population, f.fiscal
        umin = lp.add_vars("per_capita_min", f.year_labels, 0.0, INF, unit="per_capita")
        umax = lp.add_vars("per_capita_max", f.year_labels, 0.0, INF, unit="per_capita")
        rows, cols, vals = f.transfer.rows(keys)
        n = len(keys)
        lp.add_rows("disparity_range", [lab + ("min",) for lab in rt_labels] + [lab + ("max",) for lab in rt_labels],
                    np.concatenate([rows, keys, rows + n, keys + n]),
                    np.concatenate([cols, umin[rt_t], cols, umax[rt_t]]),
                    np.concatenate([vals, -P[rt_r, rt_t], vals, -P[rt_r, rt_t]]),
                    lower=np.concatenate([-F[rt_r, rt_t], np.full(n, -INF)]),
                    upper=np.concatenate([np.full(n, INF), -F[rt_r, rt_t]]),
                    rule=self.name, region=np.r_[rt_r, rt_r], year=np.r_[rt_t, rt_t])
        lp.add_rows(self.name, f.year_labels, np.r_[np.arange(T), np.arange(T)], np.r_[umax, umin],
                    np.r_[np.ones(T), -self.value(f.policy) * np.ones(T)], upper=0.0, soft=self.soft(f.policy),
                    rule=self.name, unit="per_capita")

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        u = o.per_capita
        return relative(u.max(axis=0) - self.value(policy) * u.min(axis=0), u.max(axis=0))

    def loosest(self, p: Params, policy: Policy, o: Outcome) -> float:
        u = o.per_capita
        return float((u.max(axis=0) / np.maximum(u.min(axis=0), 1e-300)).max()) * (1 + 1e-6)


RULE = Disparity()
