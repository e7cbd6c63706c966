"""``formula[r,t]``: every region's transfer follows a factor formula the ministry can publish
(MODEL-v2 §10.5): X_rt = Σ_k β_kt·f_krt with weights β ≥ 0, split across the region's services
freely within their ceilings (Σ_s x_rst = X_rt − y_rt).

The factors are region columns (``population``, ``migrants``, ``age0_14``, …) or derived:
``gap`` = Σ_s G_rst (money), ``ceiling`` = Σ_s U_rst (money: what the centre may pay at most),
``difficulty_population`` = d_rt·P_rt (persons), ``regions`` = 1 for every region (a lump sum). The LP chooses the weights that optimise the policy's objective under
its other rules; ``fiscal-opt design-formula`` reports them with their units and the price of
transparency (:mod:`fiscal_opt.analysis.design`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, StrictBool

from ..errors import Problem
from ..io.values import MONEY_UNITS, Strict
from ..model.lp import INF
from .base import Outcome, Rule, relative

if TYPE_CHECKING:
    from ..io.instance import Instance, Policy
    from ..model.build import Formulation
    from ..model.params import Params

DERIVED = {"gap": "money", "ceiling": "money", "difficulty_population": "person", "regions": "region"}
"""Factors computed from the data, with the unit one of them counts in."""

PERSON_COLUMNS = ("population", "migrants", "age0_14", "age65plus", "intra_floating")

DEFAULT_FACTORS = ("ceiling", "population", "migrants", "difficulty_population")


class FormulaSetting(Strict):
    """``formula: {factors: [population, migrants, gap], same_every_year: false}``."""

    factors: list[str] = Field(default_factory=lambda: list(DEFAULT_FACTORS), min_length=1, max_length=50)
    same_every_year: StrictBool = False


def factor_values(p: Params, name: str) -> np.ndarray:
    """Factor ``name`` as (R, T): a derived factor, or the numeric region column of that name."""
    if name == "gap":
        return p.gap.sum(axis=1)
    if name == "ceiling":
        return p.ceiling.sum(axis=1)
    if name == "difficulty_population":
        return p.difficulty * p.population
    if name == "regions":
        return np.ones_like(p.population)
    return p.columns[name]


def factor_scales(p: Params, names: list[str]) -> np.ndarray:
    """The mean size of each factor: the LP's weights are in LP money per mean factor, which keeps
    them near 1 whatever a factor counts (persons or money)."""
    return np.array([max(float(np.abs(factor_values(p, name)).mean()), 1e-300) for name in names])


def factor_unit(name: str) -> str:
    """What one unit of factor ``name`` counts: ``money``, ``person``, ``region`` or ``unit``."""
    return DERIVED.get(name, "person" if name in PERSON_COLUMNS else "unit")


def weight_in_units(weight: float, name: str, money_unit: str) -> tuple[float, str]:
    """A weight (money_unit per unit of the factor) as people read it: yuan per person, a share of
    money for money factors, money_unit per region or per unit otherwise."""
    kind = factor_unit(name)
    if kind == "person":
        return weight * MONEY_UNITS[money_unit], "yuan/person"
    if kind == "money":
        return weight, "share"
    return weight, f"{money_unit}/{kind}"


class FormulaRule(Rule):
    name = "formula"
    key = "formula"
    setting = FormulaSetting | None
    scope = "region-year"
    links_incentives = True
    binding_rows = None
    description = ("X_rt = Σ_k β_kt·f_krt, β ≥ 0: every region's transfer follows one factor formula (weights per "
                   "year, or one set with same_every_year), split across its services within their ceilings")

    def active(self, policy: Policy) -> bool:
        return self.setting_of(policy) is not None

    def check(self, instance: Instance, policy: Policy) -> list[Problem]:
        numeric = {c for c in instance.regions.columns if instance.regions[c].dtype.kind == "f"}
        problems = []
        for k, name in enumerate(self.setting_of(policy).factors):
            if name not in DERIVED and name not in numeric:
                problems.append(Problem(f"policy {policy.name}", f"formula.factors[{k}]",
                                        f"no factor `{name}`: give a numeric region column or one of "
                                        f"{', '.join(DERIVED)}"))
        if len(set(self.setting_of(policy).factors)) != len(self.setting_of(policy).factors):
            problems.append(Problem(f"policy {policy.name}", "formula.factors", "a factor is listed twice"))
        return problems

    def build(self, f: Formulation) -> None:
        p, lp = f.params, f.lp
        setting = self.setting_of(f.policy)
        keys, rt_r, rt_t, rt_labels = f.region_year
        T = len(p.years)
        factors = [factor_values(p, name) for name in setting.factors]
        scale = factor_scales(p, setting.factors)
        if setting.same_every_year:
            labels = [(name,) for name in setting.factors]
            weight = lp.add_vars("formula_weight", labels, 0.0, INF)
            col_of = lambda k, t: np.full(len(t), weight[k])  # noqa: E731 - one weight for every year
        else:
            labels = [(name, year) for name in setting.factors for year in p.years]
            weight = lp.add_vars("formula_weight", labels, 0.0, INF)
            col_of = lambda k, t: weight[k * T + t]  # noqa: E731
        rows, cols, vals = f.transfer.rows(keys)
        extra_rows, extra_cols, extra_vals = [], [], []
        for k, values in enumerate(factors):
            extra_rows.append(keys)
            extra_cols.append(col_of(k, rt_t))
            extra_vals.append(-values[rt_r, rt_t] / scale[k])
        lp.add_rows(self.name, rt_labels, np.concatenate([rows, *extra_rows]), np.concatenate([cols, *extra_cols]),
                    np.concatenate([vals, *extra_vals]), lower=0.0, upper=0.0, rule=self.name, region=rt_r, year=rt_t)

    def report(self, f: Formulation, values: np.ndarray) -> dict | None:
        """The weights chosen: one row per factor (and year), in money_unit per unit of the factor."""
        p = f.params
        setting = self.setting_of(f.policy)
        block = f.lp.var_blocks["formula_weight"]
        scale = dict(zip(setting.factors, factor_scales(p, setting.factors)))
        rows = []
        for label, value in zip(block.labels, values[block.columns].tolist()):
            name, year = label[0], (label[1] if len(label) > 1 else None)
            weight, unit = weight_in_units(max(value, 0.0) * f.scale.money / scale[name], name, p.money_unit)
            rows.append({"factor": name, "year": year, "weight": float(weight), "unit": unit})
        return {"weights": rows}

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        """How far the transfers are from any formula with non-negative weights (non-negative least
        squares per year, or over all years with ``same_every_year``), relative to the largest."""
        from scipy.optimize import nnls

        setting = self.setting_of(policy)
        factors = np.stack([factor_values(p, name) for name in setting.factors], axis=-1)  # (R, T, K)
        X = o.transfer
        scale = np.maximum(np.abs(factors).max(axis=(0, 1)), 1e-300)
        if setting.same_every_year:
            weights, _ = nnls(factors.reshape(-1, factors.shape[-1]) / scale, X.ravel())
            gap = X - (factors / scale) @ weights
        else:
            gap = np.column_stack([X[:, t] - (factors[:, t] / scale) @ nnls(factors[:, t] / scale, X[:, t])[0]
                                   for t in range(X.shape[1])])
        return relative(np.abs(gap), max(float(np.abs(X).max()), 1e-12))


RULE = FormulaRule()
