"""``conversion[r,s,s']``: over the horizon, at most ``max_share`` of a service's places at the start
become places of another service (``convert_to``, MODEL-v2 §11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import Outcome, Rule, persons_scale, relative

if TYPE_CHECKING:
    from ..io.instance import Policy
    from ..model.build import Formulation
    from ..model.params import Params


class Conversion(Rule):
    name = "conversion"
    scope = "region"
    always_on = True
    binding_rows = "conversion"
    description = ("Σ_t v_rss't ≤ max_share·K⁰_rs: at most max_share of a service's places at the start are converted "
                   "into places of service s' over the horizon (convert_to)")

    def build(self, f: Formulation) -> None:
        p = f.params
        cp = p.capacity
        if cp is None or not len(cp.conv_from):
            return
        places = f.places
        R, J, T = places.v.shape
        r, j = np.divmod(np.arange(R * J), J)
        rows = np.repeat(np.arange(R * J), T)
        cols = places.v[r, j, :].ravel()
        svcs = np.array(p.services, dtype=object)
        labels = list(zip(p.region_ids[r].tolist(), svcs[cp.conv_from[j]].tolist(), svcs[cp.conv_to[j]].tolist()))
        f.lp.add_rows(self.name, labels, rows, cols, np.ones(cols.size),
                      upper=cp.conv_share[j] * cp.start[r, cp.conv_from[j]] / f.scale.population, rule=self.name,
                      region=r, year=np.zeros(r.size, dtype=np.int64), unit="persons")

    def binding(self, f: Formulation, values: np.ndarray, activity: np.ndarray) -> np.ndarray | None:
        """Conversion limits hold over the horizon: they mark no region-year."""
        return None

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        cp, plan = p.capacity, o.plan
        if cp is None or plan is None or not len(cp.conv_from):
            return None
        limit = cp.conv_share[None, :] * cp.start[:, cp.conv_from]
        return relative(plan.converted.sum(axis=2) - limit, np.maximum(cp.start[:, cp.conv_from], persons_scale(p)))


RULE = Conversion()
