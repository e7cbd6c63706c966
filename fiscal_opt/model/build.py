"""The fiscal formulation of MODEL.md §4–6: the special-fund and incentive variables, every active
rule of the registry (:mod:`fiscal_opt.rules`) and the objectives, as a
:class:`~fiscal_opt.model.lp.LinearProgram`.

Built in bulk with numpy over sparse index sets: a special-fund variable exists only for the
region × service × year cells with a positive ceiling, an incentive variable only where the
formula pays something, and for a service with places (MODEL-v2 §11) a variable of the people
served where there is demand. No I/O. Internal units: money is divided by ``Scale.money`` and
persons by ``Scale.population`` so that a typical cell ceiling and a typical region are 1.
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
from .places import Places


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


class Coverage:
    """The cells whose coverage the LP moves, each with the column that moves it (LP units).

    A cell's covered money (LP money) is ``base + coef · column``: for a service without places the
    special fund, ``L + x`` (``coef`` 1, ``base`` L), in the cells with a positive ceiling; for a
    service with places the standard cost of the people served, c·κ·q (``base`` 0), in the cells with
    demand. Coverage k = covered money / C. Without places these are exactly the special-fund cells.
    """

    def __init__(self, f: Formulation):
        p, ms = f.params, f.scale.money
        R, S, T = p.shape
        places = p.capacity.mask if p.capacity is not None else np.zeros(S, dtype=bool)
        column = np.full((R, S, T), -1, dtype=np.int64)
        column[f.cell_r, f.cell_s, f.cell_t] = f.x_cols
        column[:, places, :] = -1
        column[f.served_r, f.served_s, f.served_t] = f.q_cols
        self.r, self.s, self.t = np.nonzero(column >= 0)
        self.cols = column[self.r, self.s, self.t]
        by_places = places[self.s]
        self.places = by_places
        """Which cells are of a service with places."""
        coef = np.ones(self.cols.size)
        if p.capacity is not None:
            coef[by_places] = p.capacity.unit[self.r, self.s, self.t][by_places] * f.scale.population / ms
        self.coef = coef
        self.base = np.where(by_places, 0.0, p.local_funding[self.r, self.s, self.t] / ms)
        self.cost = p.standard_cost[self.r, self.s, self.t] / ms
        """C of each cell, LP money."""
        self.upper = np.where(by_places, 0.0, p.ceiling[self.r, self.s, self.t] / ms)
        if p.capacity is not None:
            self.upper[by_places] = p.capacity.demand[self.r, self.s, self.t][by_places] / f.scale.population
        """Each column's upper bound (the fund ceiling U, or the demand), LP units."""
        self.labels = labels(p.region_ids[self.r], np.array(p.services, dtype=object)[self.s],
                             np.array(p.years)[self.t])

    def __len__(self) -> int:
        return self.cols.size

    def covered(self, values: np.ndarray) -> np.ndarray:
        """Covered money of each cell at column ``values`` (LP units)."""
        return self.base + self.coef * values[self.cols]


@dataclass(eq=False)
class Formulation:
    """The LP being built, then built: what rules write into and what the solve reads back.

    ``cell_r, cell_s, cell_t`` index the special-fund columns ``x_cols`` into (R, S, T);
    ``pay_r, pay_t`` index the incentive columns ``y_cols`` into (R, T); ``served_r, served_s,
    served_t`` index the columns of people served ``q_cols`` (services with places only). ``objectives`` holds cost
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
    served_r: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    served_s: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    served_t: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    q_cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    objectives: dict[str, tuple[np.ndarray, float]] = field(default_factory=dict)
    _total: np.ndarray | None = None

    # --- what rules are written in (LP units) ------------------------------------------------------

    @cached_property
    def transfer(self) -> Transfer:
        """The terms of every region-year's transfer X = Σ_s x + y."""
        return Transfer(self)

    @cached_property
    def coverage(self) -> Coverage:
        """The cells whose coverage the LP moves, and the columns that move it."""
        return Coverage(self)

    @cached_property
    def places(self) -> Places:
        """The places of the services with places (MODEL-v2 §11): their variables and stock rows,
        made the first time a rule asks for them."""
        return Places(self)

    @property
    def fund_cells(self) -> np.ndarray:
        """Positions of the special-fund columns whose money buys coverage directly (services
        without places): the ones whose yearly total a tie-break holds."""
        p = self.params
        if p.capacity is None:
            return np.arange(len(self.x_cols))
        return np.flatnonzero(~p.capacity.mask[self.cell_s])

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

    def special_fund_of(self, values: np.ndarray) -> np.ndarray:
        """The special fund x (R, S, T), money_unit, that the LP's column ``values`` hold."""
        x = np.zeros(self.params.shape)
        x[self.cell_r, self.cell_s, self.cell_t] = values[self.x_cols] * self.scale.money
        return x

    def incentive_of(self, values: np.ndarray) -> np.ndarray:
        """The incentives y (R, T), money_unit, that the LP's column ``values`` hold (as the solver
        returned them: within its tolerance of their bounds)."""
        R, _, T = self.params.shape
        y = np.zeros((R, T))
        y[self.pay_r, self.pay_t] = values[self.y_cols] * self.scale.money
        return y

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
    if p.capacity is not None:  # people served by a service with places, within its demand (rule `demand`)
        demand = p.capacity.demand * p.capacity.mask[None, :, None]
        f.served_r, f.served_s, f.served_t = np.nonzero(demand > 0)
        f.q_cols = lp.add_vars("served", labels(ids[f.served_r], svcs[f.served_s], yrs[f.served_t]), 0.0,
                               demand[f.served_r, f.served_s, f.served_t] / scale.population, unit="persons")
    for rule in rules:
        rule.build(f)
    add_objectives(f)
    return f
