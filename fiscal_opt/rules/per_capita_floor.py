"""``per_capita_floor[r,t]``: every region's resources per head reach φ of the national average."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import Outcome, Rule, relative
from .settings import ShareLevel

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class PerCapitaFloor(Rule):
    name = "per_capita_floor"
    key = "per_capita_floor"
    setting = ShareLevel | None
    parameter = "per_capita_floor"
    loosens_upward = False
    scope = "region-year"
    links_incentives = True
    binding_rows = "per_capita_floor"
    description = "Q_rt ≥ φ·P_rt·Σ_q Q_qt/Σ_q P_qt: resources per head (after transfers) reach φ of the national average"
    meaning = "the highest per-capita floor (share of the national average) that can be met"

    def build(self, f: Formulation) -> None:
        keys, rt_r, rt_t, rt_labels = f.region_year
        total = f.total_resources()
        rows, cols, vals = f.transfer.rows(keys)
        phi = self.value(f.policy)
        f.lp.add_rows(self.name, rt_labels, np.concatenate([rows, keys]), np.concatenate([cols, total[rt_t]]),
                      np.concatenate([vals, -phi * f.population_share[rt_r, rt_t]]), lower=-f.fiscal[rt_r, rt_t],
                      soft=self.soft(f.policy), rule=self.name, region=rt_r, year=rt_t)

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        mean = o.national_per_capita[None, :]
        return relative(self.value(policy) * mean - o.per_capita, mean)


RULE = PerCapitaFloor()
