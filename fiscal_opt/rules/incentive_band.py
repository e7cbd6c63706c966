"""``incentive_band[r,t]``: (1−ν)·ȳ_rt ≤ y_rt ≤ (1+ν)·ȳ_rt, the incentive near the formula (variable bounds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import BINDING_TOLERANCE, Outcome, Rule, relative

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class IncentiveBand(Rule):
    name = "incentive_band"
    scope = "bounds"
    always_on = True
    bounds_of = "incentive"
    description = "(1−ν)·ȳ_rt ≤ y_rt ≤ (1+ν)·ȳ_rt: each incentive within ν of the formula (ν = incentive.flexibility)"

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        ybar, nu = p.formula_incentive, p.flexibility
        size = np.maximum(ybar, 1e-12)
        return max(relative((1 - nu) * ybar - o.y, size), relative(o.y - (1 + nu) * ybar, size))

    def binding(self, f: Formulation, values: np.ndarray, activity: np.ndarray) -> np.ndarray | None:
        if f.flexibility <= 0 or not len(f.y_cols):
            return None
        lower, upper = f.lp.bounds()
        y = values[f.y_cols]
        tol = BINDING_TOLERANCE * np.maximum(1, np.abs(y))
        at = (y <= lower[f.y_cols] + tol) | (y >= upper[f.y_cols] - tol)
        mark = np.zeros(f.params.shape[::2], dtype=bool)
        mark[f.pay_r[at], f.pay_t[at]] = True
        return mark


RULE = IncentiveBand()
