"""``hold_harmless[r,t]``: a region's transfer X falls by at most δ⁻ from one year to the next.

Owns the policy key ``hold_harmless`` (``max_cut``, ``max_rise``, ``soft``), which it shares with
:mod:`fiscal_opt.rules.max_rise`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import StrictBool

from ..errors import InfeasibleError, Problem
from ..io.values import NonNegative, Share, Strict
from ..model.lp import INF
from .base import Outcome, Rule, relative
from .diagnosis import listing, named

if TYPE_CHECKING:
    from ..io.instance import Instance, Policy
    from ..model.build import Formulation
    from ..model.params import Params


class HoldHarmless(Strict):
    """Limits on how fast a region's transfer X (special + incentive) may change year on year."""

    max_cut: Share | None = None
    max_rise: NonNegative | None = None
    soft: StrictBool = False
    basis: Literal["total", "per_capita"] = "total"
    """``total``: X_rt against X_r,t−1; ``per_capita``: X_rt/P_rt against X_r,t−1/P_r,t−1, so that a
    region losing residents may lose money in proportion (funds follow people, MODEL-v2 §10.4)."""


def prior_transfer_problems(instance: Instance) -> list[Problem]:
    """Hold-harmless and max-rise compare the first year with last year's transfer X⁰: every region
    needs ``prior_transfer``."""
    regions = instance.regions
    if "prior_transfer" not in regions.columns:
        return [Problem(instance.shown_as, "regions", "hold_harmless needs last year's transfer: add a "
                        "`prior_transfer` column to the regions")]
    first = regions.groupby("id", sort=False)["prior_transfer"].first()
    blank = first.index[first.isna().to_numpy()]
    return [Problem(instance.shown_as, f"regions[{rid}].prior_transfer", "missing value (hold_harmless needs "
                    "last year's transfer of every region)") for rid in blank[:10]]


def previous(p: Params, policy: Policy, o: Outcome) -> np.ndarray:
    """What a region's transfer X_rt is compared with (R, T): last year's X_r,t−1 (X⁰_r in the first
    year), times P_rt/P_r,t−1 under ``basis: per_capita``."""
    prev = o.previous_transfer
    if policy.hold_harmless.basis == "per_capita":
        growth = np.column_stack([np.ones(len(prev)), p.population[:, 1:] / p.population[:, :-1]])
        prev = prev * growth
    return prev


def add_change_rows(f: Formulation, rule: Rule, factor: float, side: str) -> None:
    """Rows X_rt − factor·X_r,t−1 on ``side`` (``lower``: ≥ 0, ``upper``: ≤ 0), the first year against
    factor·X⁰_r."""
    p = f.params
    T = len(p.years)
    keys, rt_r, rt_t, rt_labels = f.region_year
    prior = p.prior_transfer / f.scale.money
    terms = f.transfer
    rows, cols, vals = terms.rows(keys)
    prev_row = np.where(rt_t[terms.keys] + 1 < T, terms.keys + 1, -1)
    keep = prev_row >= 0
    # per_capita: X_rt ≥ factor·(P_rt/P_r,t−1)·X_r,t−1, the change of residents carried into the factor
    # (the first year against the prior transfer at the first year's population: no earlier one)
    growth = p.population[:, 1:] / p.population[:, :-1] if f.policy.hold_harmless.basis == "per_capita" \
        else np.ones((p.population.shape[0], max(T - 1, 0)))
    ratio = factor * growth.ravel()[(terms.keys[keep] // T) * max(T - 1, 1) + terms.keys[keep] % T] if T > 1 \
        else np.zeros(0)
    first = np.where(rt_t == 0, factor * prior[rt_r], 0.0)
    bounds = {"lower": first, "upper": INF} if side == "lower" else {"lower": -INF, "upper": first}
    f.lp.add_rows(rule.name, rt_labels, np.concatenate([rows, prev_row[keep]]),
                  np.concatenate([cols, terms.cols[keep]]), np.concatenate([vals, -ratio]),
                  soft=rule.soft(f.policy), rule=rule.name, region=rt_r, year=rt_t, **bounds)


class HoldHarmlessRule(Rule):
    name = "hold_harmless"
    key = "hold_harmless"
    setting = HoldHarmless | None
    parameter = "hold_harmless.max_cut"
    scope = "region-year"
    links_incentives = True
    binding_rows = "hold_harmless"
    description = ("X_rt ≥ (1 − δ⁻)·X_r,t−1 with X_r,0 = X⁰_r (prior_transfer): a region's transfer falls by at "
                   "most δ⁻ (hold_harmless.max_cut) a year; with basis per_capita, X_rt/P_rt against "
                   "X_r,t−1/P_r,t−1 (money follows people)")
    meaning = "the smallest year-on-year cut limit (hold-harmless) that can be met"

    def check(self, instance: Instance, policy: Policy) -> list[Problem]:
        return prior_transfer_problems(instance)

    def precheck(self, p: Params, policy: Policy) -> None:
        if self.soft(policy):
            return
        most = p.ceiling[:, :, 0].sum(axis=1) + (1 + p.flexibility) * p.formula_incentive[:, 0]
        floor = (1 - self.value(policy)) * p.prior_transfer
        bad = np.flatnonzero(floor > most * (1 + 1e-9) + 1e-12)
        if bad.size:
            items = [f"{named(self.name, (p.region_ids[i], p.years[0]))} needs {floor[i]:.6g} {p.money_unit} but "
                     f"at most {most[i]:.6g} can be paid" for i in bad]
            raise InfeasibleError("hold_harmless asks more than a region can receive: " + listing(items),
                                  [self.name, "fund_ceiling"])

    def build(self, f: Formulation) -> None:
        add_change_rows(f, self, 1 - self.value(f.policy), "lower")

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        prev = previous(p, policy, o)
        return relative((1 - self.value(policy)) * prev - o.transfer, np.maximum(prev, 1e-12))

    def loosest(self, p: Params, policy: Policy, o: Outcome) -> float:
        return 1.0


RULE = HoldHarmlessRule()
