"""``fund_ceiling[r,s,t]``: 0 ≤ x_rst ≤ U_rst, the gap capped at the central share (variable bounds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import BINDING_TOLERANCE, Outcome, Rule, relative

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class FundCeiling(Rule):
    name = "fund_ceiling"
    scope = "bounds"
    always_on = True
    bounds_of = "special_fund"
    description = "0 ≤ x_rst ≤ U_rst = min(G_rst, θ_rs·C_rst): no cell gets more than its gap or its central share cap"

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        scale = max(float(p.ceiling.max(initial=0.0)), 1e-12)
        return max(relative(-o.x, scale), relative(o.x - p.ceiling, np.maximum(p.ceiling, scale)))

    def binding(self, f: Formulation, values: np.ndarray, activity: np.ndarray) -> np.ndarray | None:
        x = values[f.x_cols]
        upper = f.lp.bounds()[1][f.x_cols]
        hit = x >= upper - BINDING_TOLERANCE * np.maximum(1.0, upper)
        mark = np.zeros(f.params.shape[::2], dtype=bool)
        mark[f.cell_r[hit], f.cell_t[hit]] = True
        return mark


RULE = FundCeiling()
