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
    """``coverage[r,s,t]``: x − C·z ≥ −L for every cell with a variable (max-min and leximin), with one
    level z, or one per year with ``per_year``."""
    p, lp, ms = f.params, f.lp, f.scale.money
    r, s, t = f.cell_r, f.cell_s, f.cell_t
    n = len(f.x_cols)
    if f.policy.per_year:  # a level z_t per year (MODEL-v2 §10.4)
        z = lp.add_vars("coverage_level", f.year_labels, 0.0, 1.0, unit="share")[t]
    else:
        z = np.repeat(lp.add_vars("coverage_level", [("z",)], 0.0, 1.0, unit="share"), n)
    lp.add_rows("coverage", f.cell_labels(), np.r_[np.arange(n), np.arange(n)], np.r_[f.x_cols, z],
                np.r_[np.ones(n), -p.standard_cost[r, s, t] / ms], lower=-p.local_funding[r, s, t] / ms,
                region=r, year=t)


def _coverage_bands(f: Formulation) -> tuple[np.ndarray, np.ndarray]:
    """``coverage_band[r,s,t,j]``: the special fund of each cell split by band of coverage, each at
    most what the band still lacks within the cell's ceiling, with ``coverage_value[r,s,t]``:
    x − Σ_j band_j = 0. Returns the band columns and their value w·v_j (LP units): the shortfall
    objective prices the bands, so money fills the least-covered bands first."""
    p, lp, ms = f.params, f.lp, f.scale.money
    levels, values = bands(f.policy)
    room = reachable(p, levels)[f.cell_r, f.cell_s, f.cell_t] / ms  # (cells, J)
    cell, band = np.nonzero(room > 0)
    labels = [lab + (float(levels[j]),) for lab, j in zip((f.cell_labels(cell)), band.tolist())]
    cols = lp.add_vars("coverage_band", labels, 0.0, room[cell, band])
    n = len(f.x_cols)
    lp.add_rows("coverage_value", f.cell_labels(), np.r_[np.arange(n), cell], np.r_[f.x_cols, cols],
                np.r_[np.ones(n), -np.ones(cell.size)], lower=0.0, upper=0.0)
    weight = p.weight[f.cell_r[cell], f.cell_s[cell], f.cell_t[cell]]
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
    w = p.weight[f.cell_r, f.cell_s, f.cell_t]
    shortfall = np.zeros(n)
    if band_cols is None:
        shortfall[f.x_cols] = -w
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
    # larger gap, larger standard cost, year — never by id or position unless the data tie too
    r, s, t = f.cell_r, f.cell_s, f.cell_t
    C, L, G = (a[r, s, t] for a in (p.standard_cost, p.local_funding, p.gap))
    order = np.lexsort((t, -C, -G, L / C, -w))
    tie = np.zeros(n)
    tie[f.x_cols] = (_ranks(order) + 1) / max(len(order), 1)  # steps of 1/N stay above HiGHS's 1e-7 tolerance
    dev = lp.columns_of("incentive_deviation")
    if dev.size:
        pay_order = np.lexsort((f.pay_t, -p.basis[f.pay_r, f.pay_t], -p.reform_score[f.pay_r, f.pay_t]))
        tie[dev] = 2.0 + (_ranks(pay_order) + 1) / len(pay_order)  # above every cell's price: the formula first
    levels, values = bands(f.policy)
    offset = float(np.einsum("rst,rstj,j->", p.weight, widths(p, levels), values) / f.scale.money)
    f.objectives = {"shortfall": (shortfall, offset), "spend": (spend, 0.0), "coverage": (coverage, 0.0),
                    "penalty": (penalty, 0.0), "coverage_penalty": (coverage_penalty, 0.0), "tie_break": (tie, 0.0)}


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
