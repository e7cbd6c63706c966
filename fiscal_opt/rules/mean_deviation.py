"""``mean_deviation[t]``: the relative mean deviation of resources per head is at most δ (linear at any scale)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..model.lp import INF
from .base import Outcome, Rule, relative
from .settings import ShareLevel

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


def _relative_mean_deviation(p: Params, o: Outcome) -> np.ndarray:
    """Σ_r P_r |u_r − ū| / Σ_r Q_r per year (T,)."""
    deviation = p.population * np.abs(o.per_capita - o.national_per_capita[None, :])
    return deviation.sum(axis=0) / o.resources.sum(axis=0)


class MeanDeviation(Rule):
    name = "mean_deviation"
    key = "mean_deviation_max"
    setting = ShareLevel | None
    parameter = "mean_deviation_max"
    scope = "year"
    links_incentives = True
    description = ("Σ_r P_r |u_rt − ū_t| ≤ δ·Σ_r Q_rt: the relative mean deviation of resources per head is at "
                   "most δ (rows mean_deviation_abs[r,t,above|below] hold the absolute values)")
    meaning = "the smallest relative mean deviation of resources per head that can be met"

    def build(self, f: Formulation) -> None:
        lp = f.lp
        T = len(f.params.years)
        keys, rt_r, rt_t, rt_labels = f.region_year
        F, share = f.fiscal, f.population_share
        total = f.total_resources()
        dev = lp.add_vars("mean_deviation_gap", rt_labels, 0.0, INF)
        rows, cols, vals = f.transfer.rows(keys)
        n = len(keys)
        lp.add_rows("mean_deviation_abs", [lab + ("above",) for lab in rt_labels] +
                    [lab + ("below",) for lab in rt_labels],
                    np.concatenate([keys, rows, keys, keys + n, rows + n, keys + n]),
                    np.concatenate([dev, cols, total[rt_t], dev, cols, total[rt_t]]),
                    np.concatenate([np.ones(n), -vals, share[rt_r, rt_t], np.ones(n), vals, -share[rt_r, rt_t]]),
                    lower=np.concatenate([F[rt_r, rt_t], -F[rt_r, rt_t]]), rule=self.name)
        lp.add_rows(self.name, f.year_labels, np.concatenate([rt_t, np.arange(T)]), np.concatenate([dev, total]),
                    np.concatenate([np.ones(n), -self.value(f.policy) * np.ones(T)]), upper=0.0,
                    soft=self.soft(f.policy), rule=self.name)

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        return relative(_relative_mean_deviation(p, o) - self.value(policy), 1.0)

    def loosest(self, p: Params, policy: Policy, o: Outcome) -> float:
        return min(1.0, float(_relative_mean_deviation(p, o).max()) * (1 + 1e-6) + 1e-9)


RULE = MeanDeviation()
