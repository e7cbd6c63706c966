"""The fiscal formulation of MODEL.md §4–6 as a :class:`~fiscal_opt.lp.LinearProgram`.

Built in bulk with numpy over sparse index sets: a special-fund variable exists only for the
region × service × year cells with a positive ceiling, an incentive variable only where the
formula pays something. No I/O. Internal units: money is divided by ``Scale.money`` and
population by ``Scale.population`` so that a typical cell ceiling and a typical region are 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError, Problem
from ..io.instance import Policy
from .lp import INF, LinearProgram
from .params import Params

GINI_PAIRWISE_LIMIT = 500
"""The pairwise Gini rule is built for at most this many regions (it has R²/2 pairs per year)."""


@dataclass(frozen=True)
class Scale:
    """Internal units: ``money`` money_unit and ``population`` persons per LP unit."""

    money: float
    population: float


@dataclass(eq=False)
class Formulation:
    """The LP with what is needed to read its solution in the instance's terms.

    ``cell_r, cell_s, cell_t`` index the special-fund columns ``x_cols`` into (R, S, T);
    ``pay_r, pay_t`` index the incentive columns ``y_cols`` into (R, T). ``objectives`` holds cost
    vectors (LP units) and constant offsets by name: ``shortfall``, ``spend``, ``coverage``,
    ``penalty`` (soft-rule slacks), ``tie_break``. ``flexibility`` is the incentive band the LP
    models: the instance's ν, or 0 when no rule links incentives to anything (see :func:`build`).
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
    objectives: dict[str, tuple[np.ndarray, float]]
    flexibility: float = 0.0


class _Terms:
    """Coordinates of the transfer X_rt = Σ_s x_rst + y_rt, keyed by r·T + t."""

    def __init__(self, f: Formulation, T: int):
        self.keys = np.concatenate([f.cell_r * T + f.cell_t, f.pay_r * T + f.pay_t])
        self.cols = np.concatenate([f.x_cols, f.y_cols])

    def rows(self, row_of_key: np.ndarray, coef: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, vals) placing each term, times ``coef``, in the row ``row_of_key[key]``."""
        rows = row_of_key[self.keys]
        return rows, self.cols, np.full(len(rows), coef)


def _labels(*columns: np.ndarray) -> list[tuple]:
    return list(zip(*(c.tolist() for c in columns)))


def _choose_scale(p: Params) -> Scale:
    positive = p.ceiling[p.ceiling > 0]
    if positive.size == 0:
        positive = p.standard_cost[p.standard_cost > 0]
    money = float(positive.mean()) if positive.size else 1.0
    return Scale(money=money, population=float(p.population.mean()))


LINKING_RULES = ("per_capita_floor", "max_disparity_ratio", "gini_max", "mean_deviation_max", "hold_harmless")
"""Rules on the transfer X = Σ x + y or on resources: the only rows where incentives meet anything else."""


def build(p: Params, policy: Policy) -> Formulation:
    """Build the LP of MODEL.md §4–6 for ``policy`` (all rules; objectives as cost vectors).

    Without a rule of :data:`LINKING_RULES` the incentives are a block of their own: no objective
    prices them and no row ties them to the special fund, so the tie-break's answer is always the
    formula ȳ (it is inside the band and keeps the order). They are then fixed at ȳ, and the order
    rows and the deviation block are left out: the tie-break of a max-min policy at 10,000 regions
    spent 13 s of simplex iterations on that block to find ȳ.
    """
    R, S, T = p.shape
    sc = _choose_scale(p)
    ms, ps = sc.money, sc.population
    lp = LinearProgram()
    ids, svcs, yrs = p.region_ids, np.array(p.services, dtype=object), np.array(p.years)

    r, s, t = np.nonzero(p.ceiling > 0)
    x_cols = lp.add_vars("special_fund", _labels(ids[r], svcs[s], yrs[t]), 0.0, p.ceiling[r, s, t] / ms)
    esum = p.incentive_basis.sum(axis=0)
    pays = (p.incentive_pool[None, :] > 0) & (p.incentive_basis > 0) & (esum[None, :] > 0)
    pr, pt = np.nonzero(pays)
    ybar = p.formula_incentive[pr, pt] / ms
    linked = any(getattr(policy, rule) is not None for rule in LINKING_RULES)
    nu = p.flexibility if linked else 0.0
    y_cols = lp.add_vars("incentive", _labels(ids[pr], yrs[pt]), (1 - nu) * ybar, (1 + nu) * ybar)
    f = Formulation(lp, p, policy, sc, r, s, t, x_cols, pr, pt, y_cols, {}, nu)
    terms = _Terms(f, T)
    P = p.population / ps
    F = p.fiscal_capacity / ms
    all_rt = np.arange(R * T)  # region-year key r·T + t
    rt_r, rt_t = np.divmod(all_rt, T)
    rt_labels = _labels(ids[rt_r], yrs[rt_t])

    if policy.objective != "min_budget":
        if p.special_fund is None:
            raise InputError(Problem(p.source, "budget.special_fund",
                                     f"the objective {policy.objective} needs a special-fund budget"))
        lp.add_rows("budget", _labels(yrs), t, x_cols, np.ones(len(x_cols)), upper=p.special_fund / ms)

    pool_years = np.flatnonzero((p.incentive_pool > 0) & (esum > 0))
    if pool_years.size:
        row_of_year = np.full(T, -1)
        row_of_year[pool_years] = np.arange(pool_years.size)
        lp.add_rows("incentive_pool", _labels(yrs[pool_years]), row_of_year[pt], y_cols, np.ones(len(y_cols)),
                    lower=p.incentive_pool[pool_years] / ms, upper=p.incentive_pool[pool_years] / ms)
        if nu > 0:
            _incentive_order(f)

    total = None
    if policy.per_capita_floor or policy.gini_max or policy.mean_deviation_max:
        total = lp.add_vars("total_resources", _labels(yrs), 0.0, INF)
        rows, cols, vals = terms.rows(rt_t, -1.0)
        lp.add_rows("total_resources_definition", _labels(yrs), np.concatenate([rows, np.arange(T)]),
                    np.concatenate([cols, total]), np.concatenate([vals, np.ones(T)]),
                    lower=F.sum(axis=0), upper=F.sum(axis=0))
    share = P / P.sum(axis=0)[None, :]

    if policy.min_coverage:
        tau = policy.min_coverage.value
        need = (tau * p.standard_cost[r, s, t] - p.local_funding[r, s, t]) / ms
        sel = np.flatnonzero(need > 0)
        lp.add_rows("min_coverage", _labels(ids[r[sel]], svcs[s[sel]], yrs[t[sel]]), np.arange(sel.size),
                    x_cols[sel], np.ones(sel.size), lower=need[sel], soft=policy.min_coverage.soft)

    if policy.per_capita_floor:
        phi = policy.per_capita_floor.value
        rows, cols, vals = terms.rows(all_rt)
        lp.add_rows("per_capita_floor", rt_labels, np.concatenate([rows, all_rt]),
                    np.concatenate([cols, total[rt_t]]), np.concatenate([vals, -phi * share[rt_r, rt_t]]),
                    lower=-F[rt_r, rt_t], soft=policy.per_capita_floor.soft)

    if policy.max_disparity_ratio:
        _disparity(f, terms, P, F, rt_labels, all_rt, rt_r, rt_t)

    if policy.gini_max:
        _gini(f, terms, P, F, total, rt_labels, all_rt, rt_r, rt_t)

    if policy.mean_deviation_max:
        delta = policy.mean_deviation_max.value
        dev = lp.add_vars("mean_deviation_gap", rt_labels, 0.0, INF)
        rows, cols, vals = terms.rows(all_rt)
        n = R * T
        lp.add_rows("mean_deviation_abs", [lab + ("above",) for lab in rt_labels] +
                    [lab + ("below",) for lab in rt_labels],
                    np.concatenate([all_rt, rows, all_rt, all_rt + n, rows + n, all_rt + n]),
                    np.concatenate([dev, cols, total[rt_t], dev, cols, total[rt_t]]),
                    np.concatenate([np.ones(n), -vals, share[rt_r, rt_t], np.ones(n), vals,
                                    -share[rt_r, rt_t]]),
                    lower=np.concatenate([F[rt_r, rt_t], -F[rt_r, rt_t]]))
        lp.add_rows("mean_deviation", _labels(yrs), np.concatenate([rt_t, np.arange(T)]),
                    np.concatenate([dev, total]), np.concatenate([np.ones(n), -delta * np.ones(T)]),
                    upper=0.0, soft=policy.mean_deviation_max.soft)

    hh = policy.hold_harmless
    if hh is not None and (hh.max_cut is not None or hh.max_rise is not None):
        _hold_harmless(f, terms, rt_labels, all_rt, rt_r, rt_t)

    if policy.objective in ("max_min_coverage", "leximin_coverage"):
        z = lp.add_vars("coverage_level", [("z",)], 0.0, 1.0)
        cost = p.standard_cost[r, s, t] / ms
        n = len(x_cols)
        lp.add_rows("coverage", _labels(ids[r], svcs[s], yrs[t]), np.r_[np.arange(n), np.arange(n)],
                    np.r_[x_cols, np.repeat(z, n)], np.r_[np.ones(n), -cost],
                    lower=-p.local_funding[r, s, t] / ms)
    if nu > 0 and len(y_cols):
        _incentive_deviation(f, ybar)
    _objectives(f)
    return f


def _incentive_order(f: Formulation) -> None:
    """incentive_order: a better reform score never earns less per unit of basis (ν > 0).

    Regions are grouped by distinct score within a year; a threshold variable h_g between
    consecutive score groups g < g+1 carries the order with O(R) rows instead of O(R²).
    """
    p, lp = f.params, f.lp
    labels, rows, cols, vals, lower, upper, h_labels = [], [], [], [], [], [], []
    n_rows = 0
    for t, year in enumerate(p.years):
        sel = np.flatnonzero(f.pay_t == t)
        if sel.size < 2:
            continue
        regions = f.pay_r[sel]
        score = p.reform_score[regions, t]
        levels, group = np.unique(score, return_inverse=True)
        if levels.size < 2:
            continue
        basis = p.basis[regions, t]
        rate = basis.mean() / basis
        h_labels += [(year, float(lv)) for lv in levels[:-1]]
        h_first = len(h_labels) - (levels.size - 1)
        for side, grp, lo, up in (("at_most", group, -INF, 0.0), ("at_least", group - 1, 0.0, INF)):
            ok = (grp >= 0) & (grp < levels.size - 1)
            k = int(ok.sum())
            labels += _labels(f.params.region_ids[regions[ok]], np.full(k, year), np.array([side] * k))
            rows += [n_rows + np.arange(k), n_rows + np.arange(k)]
            cols += [f.y_cols[sel[ok]], np.full(k, -1) - (h_first + grp[ok])]
            vals += [rate[ok], -np.ones(k)]
            lower.append(np.full(k, lo))
            upper.append(np.full(k, up))
            n_rows += k
    if not h_labels:
        return
    h = lp.add_vars("incentive_order_threshold", h_labels, 0.0, INF)
    cols_arr = np.concatenate(cols)
    cols_arr = np.where(cols_arr < 0, h[np.maximum(-cols_arr - 1, 0)], cols_arr)
    lp.add_rows("incentive_order", labels, np.concatenate(rows), cols_arr, np.concatenate(vals),
                lower=np.concatenate(lower), upper=np.concatenate(upper))


def _disparity(f: Formulation, terms: _Terms, P: np.ndarray, F: np.ndarray, rt_labels: list[tuple],
               all_rt: np.ndarray, rt_r: np.ndarray, rt_t: np.ndarray) -> None:
    """disparity: u_min,t ≤ Q_rt/P_rt ≤ u_max,t and u_max,t ≤ ρ·u_min,t."""
    p, lp, rule = f.params, f.lp, f.policy.max_disparity_ratio
    assert rule is not None
    T = len(p.years)
    yl = _labels(np.array(p.years))
    umin = lp.add_vars("per_capita_min", yl, 0.0, INF)
    umax = lp.add_vars("per_capita_max", yl, 0.0, INF)
    rows, cols, vals = terms.rows(all_rt)
    n = len(all_rt)
    lp.add_rows("disparity_range", [lab + ("min",) for lab in rt_labels] + [lab + ("max",) for lab in rt_labels],
                np.concatenate([rows, all_rt, rows + n, all_rt + n]),
                np.concatenate([cols, umin[rt_t], cols, umax[rt_t]]),
                np.concatenate([vals, -P[rt_r, rt_t], vals, -P[rt_r, rt_t]]),
                lower=np.concatenate([-F[rt_r, rt_t], np.full(n, -INF)]),
                upper=np.concatenate([np.full(n, INF), -F[rt_r, rt_t]]))
    lp.add_rows("disparity", yl, np.r_[np.arange(T), np.arange(T)], np.r_[umax, umin],
                np.r_[np.ones(T), -rule.value * np.ones(T)], upper=0.0, soft=rule.soft)


def _gini(f: Formulation, terms: _Terms, P: np.ndarray, F: np.ndarray, total: np.ndarray,
          rt_labels: list[tuple], all_rt: np.ndarray, rt_r: np.ndarray, rt_t: np.ndarray) -> None:
    """gini: Σ_{r<q} P_r P_q |u_r − u_q| ≤ ε (Σ P) Σ Q, pairwise (at most 500 regions)."""
    p, lp, rule = f.params, f.lp, f.policy.gini_max
    assert rule is not None
    R, _, T = p.shape
    if R > GINI_PAIRWISE_LIMIT:
        raise InputError(Problem(f"policy {f.policy.name}", "gini_max",
                                 f"gini_max builds one constraint per pair of regions and is allowed up to "
                                 f"{GINI_PAIRWISE_LIMIT} regions; this instance has {R}. Use "
                                 "mean_deviation_max (linear at any scale) instead"))
    u = lp.add_vars("per_capita", rt_labels, 0.0, INF)
    rows, cols, vals = terms.rows(all_rt, -1.0)
    lp.add_rows("per_capita_definition", rt_labels, np.concatenate([rows, all_rt]), np.concatenate([cols, u]),
                np.concatenate([vals, P[rt_r, rt_t]]), lower=F[rt_r, rt_t], upper=F[rt_r, rt_t])
    a, b = np.triu_indices(R, k=1)
    pa, pb = np.tile(a, T), np.tile(b, T)
    pt = np.repeat(np.arange(T), a.size)
    ids, yrs = p.region_ids, np.array(p.years)
    pair_labels = _labels(ids[pa], ids[pb], yrs[pt])
    d = lp.add_vars("gini_pair_gap", pair_labels, 0.0, INF)
    n = d.size
    ua, ub = u[pa * T + pt], u[pb * T + pt]
    k = np.arange(n)
    lp.add_rows("gini_pair", [lab + ("+",) for lab in pair_labels] + [lab + ("-",) for lab in pair_labels],
                np.concatenate([k, k, k, k + n, k + n, k + n]), np.concatenate([d, ua, ub, d, ua, ub]),
                np.concatenate([np.ones(n), -np.ones(n), np.ones(n), np.ones(n), np.ones(n), -np.ones(n)]),
                lower=0.0)
    weight = P[pa, pt] * P[pb, pt] / P.sum(axis=0)[pt]
    lp.add_rows("gini", _labels(yrs), np.concatenate([pt, np.arange(T)]), np.concatenate([d, total]),
                np.concatenate([weight, -rule.value * np.ones(T)]), upper=0.0, soft=rule.soft)


def _hold_harmless(f: Formulation, terms: _Terms, rt_labels: list[tuple], all_rt: np.ndarray,
                   rt_r: np.ndarray, rt_t: np.ndarray) -> None:
    """hold_harmless / max_rise: X_rt against (1 ∓ δ) X_r,t−1, with X_r,0 the prior transfer."""
    p, lp, hh = f.params, f.lp, f.policy.hold_harmless
    assert hh is not None
    if p.prior_transfer is None:
        raise InputError(Problem(p.source, "regions", "hold_harmless needs last year's transfer: add a "
                                 "`prior_transfer` column to the regions"))
    T = len(p.years)
    prior = p.prior_transfer / f.scale.money
    rows, cols, vals = terms.rows(all_rt)
    prev_row = np.where(rt_t[terms.keys] + 1 < T, terms.keys + 1, -1)
    keep = prev_row >= 0
    for name, factor, bound in (("hold_harmless", None if hh.max_cut is None else 1 - hh.max_cut, "lower"),
                                ("max_rise", None if hh.max_rise is None else 1 + hh.max_rise, "upper")):
        if factor is None:
            continue
        first = np.where(rt_t == 0, factor * prior[rt_r], 0.0)
        side = {bound: first, ("upper" if bound == "lower" else "lower"): INF if bound == "lower" else -INF}
        lp.add_rows(name, rt_labels, np.concatenate([rows, prev_row[keep]]),
                    np.concatenate([cols, terms.cols[keep]]), np.concatenate([vals, -factor * np.ones(keep.sum())]),
                    lower=side["lower"], upper=side["upper"], soft=hh.soft)


def _incentive_deviation(f: Formulation, ybar: np.ndarray) -> None:
    """|y − ȳ| as a non-negative variable, priced only in the tie-break stage."""
    lp = f.lp
    n = len(f.y_cols)
    labels = lp.var_blocks["incentive"].labels
    dev = lp.add_vars("incentive_deviation", labels, 0.0, INF)
    k = np.arange(n)
    lp.add_rows("incentive_deviation_abs", [lab + ("above",) for lab in labels] + [lab + ("below",) for lab in labels],
                np.r_[k, k, k + n, k + n], np.r_[dev, f.y_cols, dev, f.y_cols],
                np.r_[np.ones(n), -np.ones(n), np.ones(n), np.ones(n)], lower=np.r_[-ybar, ybar])


def _objectives(f: Formulation) -> None:
    """Cost vectors of MODEL.md §6 and of the deterministic tie-break (LP units)."""
    p, lp = f.params, f.lp
    n = lp.n_cols
    w = p.weight[f.cell_r, f.cell_s, f.cell_t]
    shortfall = np.zeros(n)
    shortfall[f.x_cols] = -w
    spend = np.zeros(n)
    spend[f.x_cols] = 1.0
    coverage = np.zeros(n)
    coverage[lp.columns_of("coverage_level")] = -1.0
    penalty = np.zeros(n)
    for block in lp.row_blocks.values():
        if block.slack is not None:
            penalty[block.slack.columns] = f.policy.soft_penalty
    # tie-break (run on the optimal face): keep incentives nearest the formula (a deviation costs
    # 2 plus a premium by (region id, year), so which region's incentive moves is unique too), then
    # prefer cells by (higher priority, region id, service order, year), independent of input order
    tie = np.zeros(n)
    order = np.lexsort((f.cell_t, f.cell_s, p.region_ids[f.cell_r], -p.priority[f.cell_r, f.cell_t]))
    rank = np.empty(len(order))
    rank[order] = np.arange(len(order))
    tie[f.x_cols] = (rank + 1) / max(len(order), 1)  # steps of 1/N stay above HiGHS's 1e-7 tolerance
    dev = lp.columns_of("incentive_deviation")
    if dev.size:
        pay_order = np.lexsort((f.pay_t, p.region_ids[f.pay_r]))
        pay_rank = np.empty(len(pay_order))
        pay_rank[pay_order] = np.arange(len(pay_order))
        tie[dev] = 2.0 + (pay_rank + 1) / len(pay_order)  # above every cell's price: the formula first
    offset = float((p.weight * p.gap).sum() / f.scale.money)
    f.objectives = {"shortfall": (shortfall, offset), "spend": (spend, 0.0), "coverage": (coverage, 0.0),
                    "penalty": (penalty, 0.0), "tie_break": (tie, 0.0)}
