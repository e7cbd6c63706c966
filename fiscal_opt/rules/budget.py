"""``budget[t]``: the special fund spent in a year stays within the year's budget B_t."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import Problem
from .base import Outcome, Probe, Repair, Rule, relative

if TYPE_CHECKING:
    from ..io.instance import Instance, Policy
    from ..model.build import Formulation
    from ..model.params import Params


class Budget(Rule):
    name = "budget"
    scope = "year"
    description = "Σ_rs x_rst ≤ B_t: the special fund spent in a year stays within its budget (not under min_budget)"
    meaning = "the smallest special fund per year that meets every rule (a min_budget solve)"

    def active(self, policy: Policy) -> bool:
        return policy.objective != "min_budget"

    def check(self, instance: Instance, policy: Policy) -> list[Problem]:
        if instance.special_fund is None:
            return [Problem(instance.shown_as, "budget.special_fund",
                            f"the objective {policy.objective} needs a special-fund budget")]
        return []

    def build(self, f: Formulation) -> None:
        p = f.params
        f.lp.add_rows(self.name, f.year_labels, f.cell_t, f.x_cols, np.ones(len(f.x_cols)),
                      upper=p.special_fund / f.scale.money, rule=self.name)

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        if o.budget is None:
            return None
        scale = max(float(p.ceiling.max(initial=0.0)), 1e-12)
        return relative(o.x.sum(axis=(0, 1)) - o.budget, np.maximum(o.budget, scale))

    def repair(self, policy: Policy, probe: Probe) -> Repair | None:
        found = probe.feasible(policy.model_copy(update={"objective": "min_budget"}))
        if found is None or probe.params.special_fund is None:
            return None
        need = [float(v) for v in found.x.sum(axis=(0, 1))]
        return Repair(self.name, [float(b) for b in probe.params.special_fund], need, self.meaning)


RULE = Budget()
