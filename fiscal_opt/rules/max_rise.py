"""``max_rise[r,t]``: a region's transfer X rises by at most δ⁺ from one year to the next (key
``hold_harmless.max_rise``, owned by :mod:`fiscal_opt.rules.hold_harmless`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import Problem
from .base import Outcome, Rule, relative
from .hold_harmless import add_change_rows, previous, prior_transfer_problems

if TYPE_CHECKING:
    from ..io.instance import Instance, Policy
    from ..model.build import Formulation
    from ..model.params import Params


class MaxRise(Rule):
    name = "max_rise"
    key = "hold_harmless"
    parameter = "hold_harmless.max_rise"
    scope = "region-year"
    links_incentives = True
    binding_rows = "max_rise"
    description = ("X_rt ≤ (1 + δ⁺)·X_r,t−1 with X_r,0 = X⁰_r: a region's transfer rises by at most δ⁺ "
                   "(hold_harmless.max_rise) a year; with X⁰_r = 0 nothing in the first year")
    meaning = "the smallest year-on-year rise limit that can be met"

    def check(self, instance: Instance, policy: Policy) -> list[Problem]:
        return prior_transfer_problems(instance)

    def build(self, f: Formulation) -> None:
        add_change_rows(f, self, 1 + self.value(f.policy), "upper")

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        prev = previous(p, policy, o)
        return relative(o.transfer - (1 + self.value(policy)) * prev, np.maximum(prev, 1e-12))

    def loosest(self, p: Params, policy: Policy, o: Outcome) -> float:
        prev = previous(p, policy, o)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(prev > 0, o.transfer / prev, 1.0)
        return float(max(0.0, ratio.max() - 1)) * (1 + 1e-6) + 1e-9


RULE = MaxRise()
