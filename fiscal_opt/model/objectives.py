"""The objectives of MODEL.md §6 as cost vectors, and the rows only an objective needs: the
coverage level of max-min and leximin, the incentive deviation priced by the tie-break.

Cost vectors are in LP units (:class:`~fiscal_opt.model.build.Scale`). No I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..io.values import MONEY_UNITS
from .coverage_value import bands, reachable, widths
from .lp import INF

if TYPE_CHECKING:
    from .build import Formulation

COVERAGE_OBJECTIVES = ("max_min_coverage", "leximin_coverage")


def _coverage_rows(f: Formulation) -> None:
    """``coverage[r,s,t]``: covered money − C·z ≥ 0 for every cell whose coverage the LP moves (max-min
    and leximin; x − C·z ≥ −L for a service without places), with one level z, or one per year with
    ``per_year``."""
    lp, cov = f.lp, f.coverage
    n = len(cov)
    if f.policy.per_year:  # a level z_t per year (MODEL-v2 §10.4)
        z = lp.add_vars("coverage_level", f.year_labels, 0.0, 1.0, unit="share")[cov.t]
    else:
        z = np.repeat(lp.add_vars("coverage_level", [("z",)], 0.0, 1.0, unit="share"), n)
    lp.add_rows("coverage", cov.labels, np.r_[np.arange(n), np.arange(n)], np.r_[cov.cols, z],
                np.r_[cov.coef, -cov.cost], lower=-cov.base, region=cov.r, year=cov.t)


def _coverage_bands(f: Formulation) -> tuple[np.ndarray, np.ndarray]:
    """``coverage_band[r,s,t,j]``: the covered money of each cell the LP moves split by band of
    coverage, each at most what the band still lacks within the cell's ceiling, with
    ``coverage_value[r,s,t]``: covered money − base − Σ_j band_j = 0. Returns the band columns and
    their value w·v_j (LP units): the shortfall objective prices the bands, so money fills the
    least-covered bands first."""
    p, lp, ms, cov = f.params, f.lp, f.scale.money, f.coverage
    levels, values = bands(f.policy)
    room = reachable(p, levels)[cov.r, cov.s, cov.t] / ms  # (cells, J)
    cell, band = np.nonzero(room > 0)
    labels = [cov.labels[i] + (float(levels[j]),) for i, j in zip(cell.tolist(), band.tolist())]
    cols = lp.add_vars("coverage_band", labels, 0.0, room[cell, band])
    n = len(cov)
    lp.add_rows("coverage_value", cov.labels, np.r_[np.arange(n), cell], np.r_[cov.cols, cols],
                np.r_[cov.coef, -np.ones(cell.size)], lower=0.0, upper=0.0)
    weight = p.weight[cov.r[cell], cov.s[cell], cov.t[cell]]
    return cols, weight * values[band]


def _incentive_deviation(f: Formulation) -> None:
    """|y − ȳ| as a non-negative variable, priced only in the tie-break stage."""
    lp = f.lp
    n = len(f.y_cols)
    ybar = f.params.formula_incentive[f.pay_r, f.pay_t] / f.scale.money
    names = lp.var_blocks["incentive"].labels
    dev = lp.add_vars("incentive_deviation", names, 0.0, INF)
    k = np.arange(n)
    lp.add_rows("incentive_deviation_abs", [lab + ("above",) for lab in names] + [lab + ("below",) for lab in names],
                np.r_[k, k, k + n, k + n], np.r_[dev, f.y_cols, dev, f.y_cols],
                np.r_[np.ones(n), -np.ones(n), np.ones(n), np.ones(n)], lower=np.r_[-ybar, ybar])


def add_objectives(f: Formulation) -> None:
    """The objective rows (coverage, incentive deviation) and the cost vectors of MODEL.md §6 and
    of the deterministic tie-break, in ``f.objectives``."""
    p, lp = f.params, f.lp
    if f.policy.objective in COVERAGE_OBJECTIVES:
        _coverage_rows(f)
    if f.flexibility > 0 and len(f.y_cols):
        _incentive_deviation(f)
    band_cols, band_value = _coverage_bands(f) if f.policy.coverage_value is not None else (None, None)
    n = lp.n_cols
    cov = f.coverage
    w = p.weight[cov.r, cov.s, cov.t]
    shortfall = np.zeros(n)
    if band_cols is None:
        shortfall[cov.cols] = -w * cov.coef
    else:
        shortfall[band_cols] = -band_value
    spend = np.zeros(n)
    spend[f.x_cols] = 1.0
    coverage = np.zeros(n)
    coverage[lp.columns_of("coverage_level")] = -1.0
    penalty = np.zeros(n)
    for block in lp.row_blocks.values():
        if block.slack is not None:
            penalty[block.slack.columns] = f.policy.soft_penalty
    coverage_penalty = penalty * coverage_points_per_lp_unit(f)
    # the linear data-order rule (solver/tie_rule.py runs the equal-coverage rule first): keep
    # incentives nearest the formula (a deviation costs 2 plus a premium by data: better score,
    # larger basis, year), then prefer cells by data alone — higher weight, lower coverage before,
    # larger gap, larger standard cost, year — never by id or position unless the data tie too;
    # with places, first no money, place or grant that serves no one (a price above all others)
    r, s, t = cov.r, cov.s, cov.t
    C, L, G = (a[r, s, t] for a in (p.standard_cost, p.local_funding, p.gap))
    order = np.lexsort((t, -C, -G, L / C, -w))
    tie = np.zeros(n)
    tie[cov.cols] = (_ranks(order) + 1) / max(len(order), 1)  # steps of 1/N stay above HiGHS's 1e-7 tolerance
    tie[waste_columns(f)] = WASTE_PRICE
    dev = lp.columns_of("incentive_deviation")
    if dev.size:
        pay_order = np.lexsort((f.pay_t, -p.basis[f.pay_r, f.pay_t], -p.reform_score[f.pay_r, f.pay_t]))
        tie[dev] = 2.0 + (_ranks(pay_order) + 1) / len(pay_order)  # above every cell's price: the formula first
    levels, values = bands(f.policy)
    offset = float(np.einsum("rst,rstj,j->", p.weight, widths(p, levels), values) / f.scale.money)
    f.objectives = {"shortfall": (shortfall, offset), "spend": (spend, 0.0), "coverage": (coverage, 0.0),
                    "penalty": (penalty, 0.0), "coverage_penalty": (coverage_penalty, 0.0), "tie_break": (tie, 0.0)}


WASTE_PRICE = 4.0
"""The linear tie rule's price of a unit of what serves no one by itself (LP units): above every
cell's rank price (at most 1) and every incentive deviation's (below 3)."""


def waste_columns(f: Formulation) -> np.ndarray:
    """Columns that buy no coverage by themselves, with places (MODEL-v2 §11): the special fund of
    a service with places (it pays for people served, not for coverage), places started, places
    converted, capital grants. Among equally good allocations the tie rules take the least of each."""
    p, lp = f.params, f.lp
    if p.capacity is None:
        return np.zeros(0, dtype=np.int64)
    own = f.x_cols[p.capacity.mask[f.cell_s]]
    return np.concatenate([own, *(lp.columns_of(name) for name in ("places_started", "places_converted",
                                                                   "capital_grant"))])


def _ranks(order: np.ndarray) -> np.ndarray:
    """The position of each element in ``order`` (ranks from 0)."""
    rank = np.empty(len(order))
    rank[order] = np.arange(len(order))
    return rank


PENALTY_YUAN = 1e8
"""Soft penalties are stated per 亿元 (10⁸ yuan) of violation, whatever the instance's money_unit."""


def coverage_points_per_lp_unit(f: Formulation) -> float:
    """Coverage shares per (coverage point per 亿元 of violation) per LP money unit of slack: how a
    soft penalty stated in coverage points per 亿元 enters an objective measured in shares."""
    return 0.01 * f.scale.money * MONEY_UNITS[f.params.money_unit] / PENALTY_YUAN


def first_stage(f: Formulation) -> tuple[np.ndarray, float]:
    """Cost vector and offset of the policy's first stage (LP units): its objective plus the price
    of every soft rule's slack, in that objective's terms (docs/model.md, "Soft rules")."""
    objective = f.policy.objective
    if objective in COVERAGE_OBJECTIVES:
        return f.objectives["coverage"][0] + f.objectives["coverage_penalty"][0], 0.0
    cost, offset = f.objectives["spend" if objective == "min_budget" else "shortfall"]
    return cost + f.objectives["penalty"][0], offset
