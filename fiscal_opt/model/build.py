"""The fiscal formulation of MODEL.md §4–6: the special-fund and incentive variables, every active
rule of the registry (:mod:`fiscal_opt.rules`) and the objectives, as a
:class:`~fiscal_opt.model.lp.LinearProgram`.

Built in bulk with numpy over sparse index sets: a special-fund variable exists only for the
region × service × year cells with a positive ceiling, an incentive variable only where the
formula pays something. No I/O. Internal units: money is divided by ``Scale.money`` and
population by ``Scale.population`` so that a typical cell ceiling and a typical region are 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..io.instance import Policy
from ..rules import active_rules
from ..rules.base import Rule
from .lp import INF, LinearProgram
from .objectives import add_objectives
from .params import Params


@dataclass(frozen=True)
class Scale:
    """Internal units: ``money`` money_unit and ``population`` persons per LP unit."""

    money: float
    population: float


def labels(*columns: np.ndarray) -> list[tuple]:
    """Row or column labels: one tuple per position of the given equally long arrays."""
    return list(zip(*(c.tolist() for c in columns)))


class Transfer:
    """Coordinates of the transfer X_rt = Σ_s x_rst + y_rt, keyed by r·T + t."""

    def __init__(self, f: Formulation):
        T = len(f.params.years)
        self.keys = np.concatenate([f.cell_r * T + f.cell_t, f.pay_r * T + f.pay_t])
        self.cols = np.concatenate([f.x_cols, f.y_cols])

    def rows(self, row_of_key: np.ndarray, coef: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, vals) placing each term, times ``coef``, in the row ``row_of_key[key]``."""
        rows = row_of_key[self.keys]
        return rows, self.cols, np.full(len(rows), coef)


@dataclass(eq=False)
class Formulation:
    """The LP being built, then built: what rules write into and what the solve reads back.

    ``cell_r, cell_s, cell_t`` index the special-fund columns ``x_cols`` into (R, S, T);
    ``pay_r, pay_t`` index the incentive columns ``y_cols`` into (R, T). ``objectives`` holds cost
    vectors (LP units) and constant offsets by name: ``shortfall``, ``spend``, ``coverage``,
    ``penalty`` (soft-rule slacks), ``tie_break``. ``flexibility`` is the incentive band the LP
    models: the instance's ν, or 0 when no rule links incentives to anything (see :func:`build`).
    ``rules`` are the active rules in registry order.
    """

    lp: LinearProgram
    params: Params
    policy: Policy
    scale: Scale
    cell_r: np.ndarray
    cell_s: np.ndarray
    cell_t: np.ndarray
    x_cols: np.ndarray
    pay_r: np.ndarray
    pay_t: np.ndarray
    y_cols: np.ndarray
    flexibility: float
    rules: tuple[Rule, ...]
    objectives: dict[str, tuple[np.ndarray, float]] = field(default_factory=dict)
    _total: np.ndarray | None = None

    # --- what rules are written in (LP units) ------------------------------------------------------

    @cached_property
    def transfer(self) -> Transfer:
        """The terms of every region-year's transfer X = Σ_s x + y."""
        return Transfer(self)

    @cached_property
    def population(self) -> np.ndarray:
        """P (R, T) in LP population units."""
        return self.params.population / self.scale.population

    @cached_property
    def fiscal(self) -> np.ndarray:
        """F (R, T) in LP money units."""
        return self.params.fiscal_capacity / self.scale.money

    @cached_property
    def population_share(self) -> np.ndarray:
        """P_rt / Σ_q P_qt (R, T)."""
        return self.population / self.population.sum(axis=0)[None, :]

    @cached_property
    def region_year(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple]]:
        """Every region-year: its key r·T + t, region index, year index and label (id, year)."""
        R, _, T = self.params.shape
        keys = np.arange(R * T)
        r, t = np.divmod(keys, T)
        return keys, r, t, labels(self.params.region_ids[r], np.array(self.params.years)[t])

    @cached_property
    def year_labels(self) -> list[tuple]:
        return labels(np.array(self.params.years))

    def cell_labels(self, sel: np.ndarray | slice = slice(None)) -> list[tuple]:
        """Labels (id, service, year) of the special-fund cells ``sel``."""
        p = self.params
        return labels(p.region_ids[self.cell_r[sel]], np.array(p.services, dtype=object)[self.cell_s[sel]],
                      np.array(p.years)[self.cell_t[sel]])

    def total_resources(self) -> np.ndarray:
        """The column of Σ_r Q_rt per year (``total_resources[t]``, defined by
        ``total_resources_definition[t]``), made the first time a rule asks for it: it keeps the
        rows that compare a region with the national total sparse."""
        if self._total is None:
            T = len(self.params.years)
            total = self.lp.add_vars("total_resources", self.year_labels, 0.0, INF)
            _, _, rt_t, _ = self.region_year
            rows, cols, vals = self.transfer.rows(rt_t, -1.0)
            self.lp.add_rows("total_resources_definition", self.year_labels, np.concatenate([rows, np.arange(T)]),
                             np.concatenate([cols, total]), np.concatenate([vals, np.ones(T)]),
                             lower=self.fiscal.sum(axis=0), upper=self.fiscal.sum(axis=0))
            self._total = total
        return self._total


def choose_scale(p: Params) -> Scale:
    """LP units that make a typical positive cell ceiling and a typical region's population 1."""
    positive = p.ceiling[p.ceiling > 0]
    if positive.size == 0:
        positive = p.standard_cost[p.standard_cost > 0]
    money = float(positive.mean()) if positive.size else 1.0
    return Scale(money=money, population=float(p.population.mean()))


def build(p: Params, policy: Policy) -> Formulation:
    """Build the LP of MODEL.md §4–6 for ``policy``: the variables, the rows of every active rule
    (registry order), the objectives' cost vectors.

    The instance and policy must have passed :func:`fiscal_opt.io.check.check`. Without a rule
    that links incentives (``links_incentives``) the incentives are a block of their own: no
    objective prices them and no row ties them to the special fund, so the tie-break's answer is
    always the formula ȳ (inside the band, in score order). They are then fixed at ȳ, and the
    order rows and the deviation block are left out: the tie-break of a max-min policy at 10,000
    regions spent 13 s of simplex iterations on that block to find ȳ.
    """
    rules = active_rules(policy)
    scale = choose_scale(p)
    ms = scale.money
    lp = LinearProgram()
    ids, svcs, yrs = p.region_ids, np.array(p.services, dtype=object), np.array(p.years)
    r, s, t = np.nonzero(p.ceiling > 0)
    x_cols = lp.add_vars("special_fund", labels(ids[r], svcs[s], yrs[t]), 0.0, p.ceiling[r, s, t] / ms)
    esum = p.incentive_basis.sum(axis=0)
    pays = (p.incentive_pool[None, :] > 0) & (p.incentive_basis > 0) & (esum[None, :] > 0)
    pr, pt = np.nonzero(pays)
    ybar = p.formula_incentive[pr, pt] / ms
    nu = p.flexibility if any(rule.links_incentives for rule in rules) else 0.0
    y_cols = lp.add_vars("incentive", labels(ids[pr], yrs[pt]), (1 - nu) * ybar, (1 + nu) * ybar)
    f = Formulation(lp, p, policy, scale, r, s, t, x_cols, pr, pt, y_cols, nu, rules)
    for rule in rules:
        rule.build(f)
    add_objectives(f)
    return f
