"""Running the staged solves of MODEL.md §6 on the Pyomo model and reading the answer back.

Stages: the primary objective; for ``max_min_coverage`` the coverage level z is then fixed at its
optimum and the weighted shortfall minimised; ``leximin_coverage`` raises, fixes and raises
again, then fixes the last level and minimises the shortfall; every objective ends with a
tie-break stage that holds the optimal face (and each year's total special fund where the budget
does not bind) and picks one allocation among equally good ones (see
:func:`fiscal_opt.model._objectives`), so the same input always gives the same answer. Stages
after the first are solved afresh with presolve, which drops the fixed part
(:meth:`fiscal_opt.solver.highs.DirectHighs.run`). Any engine of :mod:`fiscal_opt.solver.engine` runs them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InfeasibleError, SolverError
from ..io.instance import Policy
from ..model.build import Formulation
from ..model.capacity import CapacityPlan
from ..io.values import MONEY_UNITS
from ..model.coverage_value import shortfall_value
from ..model.objectives import COVERAGE_OBJECTIVES, PENALTY_YUAN, first_stage
from ..rules.incentive_order import in_score_order
from .diagnose import diagnose_infeasible, presolve_check
from .engine import Engine, make_engine
from .options import SolverOptions
from .solution import Solution
from .tie_rule import MAX_FREE_COLUMNS, equal_coverage, free_columns

OPTIMALITY_SLACK = 1e-9
"""Relative room left when max-min's coverage level is held for the next stage."""

FACE_DUAL = 1e-9
"""A budget row whose dual is larger than this binds: the optimal face keeps its total."""

LEXIMIN_MAX_STAGES = 200
"""Leximin raises at most this many coverage levels; remaining cells keep the last level."""


def _check(status: str, engine: Engine, f: Formulation, stage: str, diagnose: bool) -> None:
    if status == "optimal":
        return
    if status in ("infeasible", "infeasible_or_unbounded") and stage == "primary":
        rules = diagnose_infeasible(f, engine) if diagnose else []
        raise InfeasibleError("no allocation satisfies every rule of the policy; rules involved: "
                              + ", ".join(rules), rules)
    if status in ("time_limit", "iteration_limit"):
        raise SolverError(f"HiGHS stopped at its {status.replace('_', ' ')} in the {stage} stage; no answer is "
                          "reported. Raise the time limit or simplify the policy")
    raise SolverError(f"HiGHS ended the {stage} stage with status {status!r}; no answer is reported")


SLACK_ROOM = 1e-9
"""Relative room (and as much again absolute, LP units) above a held slack's value."""


SETTERS_SHOWN = 3
"""Cells named per coverage level as the ones that set it."""


def _level_setters(f: Formulation, values: np.ndarray, duals: np.ndarray | None, notes: list[str]) -> list[dict]:
    """The cells that set each max-min level: those whose coverage row carries the largest duals (or,
    without duals, those at the level), with whether a central share cap pins them. A capped setter
    is explained in ``notes``: more money cannot raise that level."""
    p, ms, cov = f.params, f.scale.money, f.coverage
    block = f.lp.row_blocks["coverage"]
    z_cols = f.lp.columns_of("coverage_level")
    C = p.standard_cost[cov.r, cov.s, cov.t]
    L = p.local_funding[cov.r, cov.s, cov.t]
    U = p.ceiling[cov.r, cov.s, cov.t]
    paid = f.special_fund_of(values)[cov.r, cov.s, cov.t]
    coverage = np.where(cov.places, cov.covered(values) * ms / C, (L + paid) / C)
    found = []
    for k, z in enumerate(z_cols):
        level = float(values[z])
        cells = np.flatnonzero(cov.t == k) if f.policy.per_year else np.arange(len(cov))
        weight = np.abs(duals[block.rows[cells]]) if duals is not None else np.zeros(cells.size)
        if (weight > 1e-9).any():
            cells, weight = cells[weight > 1e-9], weight[weight > 1e-9]
        else:
            weight = -np.abs(coverage[cells] - level)
        top = cells[np.argsort(-weight, kind="stable")[:SETTERS_SHOWN]]
        for c in top:
            r, s, t = int(cov.r[c]), int(cov.s[c]), int(cov.t[c])
            at_cap = bool(U[c] < p.gap[r, s, t] * (1 - 1e-9) and paid[c] >= U[c] * (1 - 1e-7))
            found.append({"level": level, "year": p.years[t] if f.policy.per_year else None,
                          "region": str(p.region_ids[r]), "name": str(p.names[r]), "service": p.services[s],
                          "cell_year": p.years[t], "coverage": float(coverage[c]), "capped": at_cap,
                          "reachable": float((L[c] + U[c]) / C[c]), "ceiling": float(U[c])})
        first = next((s for s in found[-len(top):] if s["capped"]), None)
        if first is not None:
            notes.append(f"the minimum coverage {level:.4f}{'' if first['year'] is None else ' of ' + str(first['year'])} "
                         f"is set by {first['region']} {first['name']} {first['service']} {first['cell_year']}, "
                         f"whose central share cap lets the centre pay at most {first['ceiling']:,.6g} "
                         f"{p.money_unit}: coverage {first['reachable']:.4f} at most. More special fund cannot raise "
                         "that level (its shadow price is 0 where no other cell limits it); leximin_coverage raises "
                         "the other cells past it")
    return found


def _hold_slacks(f: Formulation, engine: Engine) -> None:
    """Bound every soft rule's slack by its value in the last solution."""
    cols = np.concatenate([block.slack.columns for block in f.lp.row_blocks.values() if block.slack is not None]
                          or [np.zeros(0, dtype=np.int64)])
    if cols.size:
        at = np.maximum(engine.values()[cols], 0.0)
        engine.set_col_bounds(cols, np.zeros(cols.size), at * (1 + SLACK_ROOM) + SLACK_ROOM)


def _hold_for_tie_break(f: Formulation, engine: Engine) -> None:
    """Keep the optimum found so far: fix the optimal face (columns with a non-zero reduced cost and
    rows with a non-zero dual stay at their bounds), and keep each year's total special fund where
    the budget does not bind (there the face alone would let the tie-break move money out)."""
    cells = f.fund_cells  # the special fund of a service with places pays for people served, as little as it can
    spent = engine.values()[f.x_cols[cells]]
    duals = engine.row_duals()
    engine.hold_optimal_face()
    budget = f.lp.row_blocks.get("budget")
    for t in range(len(f.params.years)):
        if budget is not None and duals is not None and abs(duals[budget.start + t]) > FACE_DUAL:
            continue
        in_year = f.cell_t[cells] == t
        total = float(spent[in_year].sum())
        engine.add_row(f.x_cols[cells][in_year], np.ones(int(in_year.sum())), total, total)


@dataclass
class WarmStart:
    """The primary stage's basis carried from one solve to the next: the next solve's primary
    stage starts from it when its LP has the same shape (a sweep's next point). Only the primary
    LP's basis is kept, never the later stages' held faces, so each solve's LP is its own."""

    basis: Any = None
    warm_solves: int = 0
    """Solves whose primary stage started from a carried basis."""


def run_stages(f: Formulation, options: SolverOptions, tie_break: bool = True, diagnose: bool = True,
               model: Any = None, warm: WarmStart | None = None) -> tuple[Solution, dict[str, float]]:
    """Solve ``f`` stage by stage with the engine ``options.solver`` (or a user's Pyomo ``model``
    of ``f``); returns the solution and the seconds spent per phase.

    ``diagnose=False`` skips the irreducible-infeasible-subset search when the policy is infeasible
    (used by the repair search, which only needs to know whether a variant is feasible). ``warm``
    starts the primary stage from the basis it holds and takes this solve's primary basis."""
    timings: dict[str, float] = {}
    presolve_check(f)
    policy: Policy = f.policy
    obj = f.objectives
    penalty = obj["penalty"][0]
    cost, offset = first_stage(f)
    start = time.perf_counter()
    engine = make_engine(f, cost, offset, options, model, warm.basis if warm is not None else None)
    timings["handoff"] = time.perf_counter() - start
    stages: list[dict] = []

    notes: list[str] = []

    def stage(name: str, fresh: bool = False, optional: bool = False) -> float | None:
        """Run a stage; ``optional`` stages (leximin's refinements, the tie-break) that HiGHS cannot
        solve give ``None`` (a limit of time or iterations still stops the solve)."""
        status = engine.run(fresh)
        if optional and status not in ("optimal", "time_limit", "iteration_limit"):
            stages.append({"stage": name, "status": status})
            return None
        _check(status, engine, f, "primary" if not stages else name, diagnose)
        value = engine.objective()
        stages.append({"stage": name, "objective_lp": value})
        return value

    if warm is not None:
        warm.warm_solves += bool(getattr(engine, "warm", False))
        warm.basis = None  # an infeasible primary stage leaves none to carry
    stage(policy.objective)
    if warm is not None:
        warm.basis = engine.basis()
    duals = engine.row_duals()
    budget = f.lp.row_blocks.get("budget")
    ranges = engine.row_ranges(budget.rows) if budget is not None else None
    levels: list[float] = []
    setters: list[dict] = []
    if policy.objective in COVERAGE_OBJECTIVES:
        z = f.lp.columns_of("coverage_level")
        # the level is z itself, not the stage's value (z less the price of any soft rule that
        # bends); the slacks stay at most where this stage put them, so no later stage buys
        # shortfall, a later level or a tie with more bending than the level was worth
        reached = engine.values()[z]
        setters = _level_setters(f, engine.values(), duals, notes)
        _hold_slacks(f, engine)
        if policy.objective == "leximin_coverage":
            levels = _leximin(f, engine, stage, float(reached[0]), notes)
            reached = np.array([levels[-1]])
        else:
            levels = [float(v) for v in reached]  # one level, or one per year
        # z is fixed rather than bounded below: it appears only in the coverage rows x ≥ z·C − L,
        # which a lower z loosens, so the optimum is unchanged, and presolve can then turn those
        # rows into bounds (10,000 × 1: the stage is one budget row over the cells)
        held = reached * (1 - OPTIMALITY_SLACK)
        engine.set_col_bounds(z, held, held)
        engine.set_cost(obj["shortfall"][0] + penalty, obj["shortfall"][1])
        stage("weighted_shortfall", fresh=True)
    values = engine.values()
    if tie_break:
        _hold_for_tie_break(f, engine)
        start = time.perf_counter()
        face = engine.face()
        tied = equal_coverage(f, face)
        timings["tie_rule"] = time.perf_counter() - start
        if tied is not None:
            values = tied[:f.lp.n_cols]
            stages.append({"stage": "tie_break", "rule": "equal_coverage"})
        else:
            notes.append(f"between equally good allocations the linear data-order rule decided (docs/model.md, "
                         f"\"Tie rule\"): the optimal face has {free_columns(face):,} free columns, more than the "
                         f"{MAX_FREE_COLUMNS:,} the equal-coverage rule is run for, or its interior point did not "
                         "converge")
            engine.set_cost(obj["tie_break"][0])
            if stage("tie_break", fresh=True, optional=True) is None:
                notes.append("the tie-break stage could not be solved numerically: the allocation is optimal, but "
                             "between equally good allocations HiGHS chose, not the documented tie rule")
            else:
                values = engine.values()
                stages[-1]["rule"] = "data_order"
    timings["solve"] = engine.solve_seconds
    start = time.perf_counter()
    solution = _extract(f, engine, values, duals, ranges, levels, stages, notes)
    solution.level_setters = setters
    solution.reports = {rule.name: report for rule in f.rules if (report := rule.report(f, values)) is not None}
    timings["extract"] = time.perf_counter() - start
    return solution, timings


def _leximin(f: Formulation, engine: Engine, stage: Callable[..., float | None], first: float,
             notes: list[str]) -> list[float]:
    """Raise the worst coverage, fix the cells that cannot rise, repeat (MODEL.md §6).

    A cell is fixed at the current level when its coverage row has a non-zero dual (it limits
    the level) or when its ceiling caps its coverage at or below the level. The solution a level
    was reached with is feasible for the next level, so a next level that HiGHS calls infeasible
    (after its retries, :meth:`fiscal_opt.solver.highs.DirectHighs.run`) is a numerical failure:
    the refinement stops there, the cells fixed for it are freed again, and a note says so; every
    cell still reaches the last level, and every rule still holds.
    """
    cov = f.coverage
    rows = f.lp.row_blocks["coverage"].rows
    C, L, U, coef, cols = cov.cost, cov.base, cov.upper, cov.coef, cov.cols
    top = (L + coef * U) / C
    if f.params.capacity is not None:  # with places, the money of its cell bounds what it can cover too
        p = f.params
        money = (p.local_funding + p.ceiling)[cov.r, cov.s, cov.t] / f.scale.money
        top = np.where(cov.places, np.minimum(top, money / C), top)
    lower = np.zeros(len(C))
    free = np.ones(len(C), dtype=bool)
    levels = [first]
    level = first
    for _ in range(LEXIMIN_MAX_STAGES):
        duals = engine.row_duals()
        blocked = free & (top <= level + 1e-9)
        if duals is not None:
            blocked |= free & (np.abs(duals[rows]) > 1e-9)
        if not blocked.any():
            blocked = free & (cov.covered(engine.values()) / C <= level + 1e-9)
        if not blocked.any():
            break
        # never above the cell's value in the solution just found, so that solution stays feasible
        held = np.clip((level * C[blocked] - L[blocked]) / coef[blocked], 0.0, U[blocked]) * (1 - OPTIMALITY_SLACK)
        lower[blocked] = np.maximum(0.0, np.minimum(held, engine.values()[cols[blocked]]))
        engine.set_col_bounds(cols[blocked], lower[blocked], U[blocked])
        engine.relax_rows(rows[blocked])
        free &= ~blocked
        if not free.any() or level >= 1 - 1e-9:
            break
        if stage(f"leximin_{len(levels)}", optional=True) is None:
            engine.set_col_bounds(cols[blocked], np.zeros(int(blocked.sum())), U[blocked])
            engine.restore_rows(rows[blocked])
            notes.append(f"leximin stopped after {len(levels)} levels: HiGHS could not solve the next level "
                         "numerically; the cells not yet fixed all reach the last level")
            break
        level = float(engine.values()[f.lp.columns_of("coverage_level")][0])
        levels.append(level)
    return levels


def _extract(f: Formulation, engine: Engine, values: np.ndarray, duals: np.ndarray | None,
             ranges: tuple[np.ndarray, np.ndarray] | None, levels: list[float], stages: list[dict],
             notes: list[str]) -> Solution:
    p, lp, ms = f.params, f.lp, f.scale.money
    R, S, T = p.shape
    x = f.special_fund_of(values)
    y = np.zeros((R, T))
    np.clip(x, 0.0, p.ceiling, out=x)
    lower, upper = lp.bounds()
    y[f.pay_r, f.pay_t] = np.clip(values[f.y_cols], lower[f.y_cols], upper[f.y_cols]) * ms  # solver tolerance
    if f.flexibility > 0:
        y = in_score_order(p, y)
    if p.special_fund is not None and f.policy.objective != "min_budget":
        _within_budget(x, p.special_fund)
    plan = _plan(f, values)
    objective_name = f.policy.objective
    shortfall = float(shortfall_value(p, f.policy, x, None if plan is None else plan.served).sum())
    objective = (sum(levels) if f.policy.per_year else levels[0]) if objective_name in COVERAGE_OBJECTIVES else (
        float(x.sum()) if objective_name == "min_budget" else shortfall)
    prices: list[float | None] = [None] * T
    price_ranges: list[tuple[float, float] | None] = [None] * T
    budget = lp.row_blocks.get("budget")
    if budget is not None and duals is not None:
        d = duals[budget.rows]
        factor = 1.0 if objective_name != "max_min_coverage" and objective_name != "leximin_coverage" else -1.0 / ms
        prices = [float(v * factor) for v in d]
        if ranges is not None:
            price_ranges = [(float(lo * ms), float(hi * ms)) for lo, hi in zip(*ranges)]
    slacks: dict[str, list[tuple[tuple, float]]] = {}
    for name, block in lp.row_blocks.items():
        if block.slack is not None:
            sv = values[block.slack.columns] * ms
            hit = np.flatnonzero(sv > 1e-9 * max(1.0, ms))
            if hit.size:
                slacks[block.rule or name] = [(block.labels[i], float(sv[i])) for i in hit]
    per_yuan = MONEY_UNITS[p.money_unit] / PENALTY_YUAN  # 亿元 per money_unit
    penalties = {rule: f.policy.soft_penalty * sum(v for _, v in items) * (
        per_yuan if objective_name in COVERAGE_OBJECTIVES else 1.0) for rule, items in slacks.items()}
    binding = _binding(f, values)
    esum = p.incentive_basis.sum(axis=0)
    for t, year in enumerate(p.years):
        if p.incentive_pool[t] > 0 and esum[t] <= 0:
            notes.append(f"{year}: no region qualifies for incentives (reform scores below min_score or a zero "
                         "basis), so the incentive pool is not paid")
    return Solution(status="optimal", objective_name=objective_name, objective=objective, special_fund=x,
                    incentive=y, budget_shadow_price=prices, budget_shadow_range=price_ranges, slacks=slacks,
                    binding=binding, stages=stages, coverage_levels=levels, penalties=penalties,
                    solver=engine.describe() | {"iterations": engine.iterations, "solve_seconds": engine.solve_seconds},
                    notes=notes, plan=plan)


SNAP = 1e-9
"""Values of places, starts, conversions and grants at most this (LP units, where a typical cell is 1)
are the solver's rounding: they are reported as 0."""


def _plan(f: Formulation, values: np.ndarray) -> CapacityPlan | None:
    """What the solution does with places (MODEL-v2 §11), in persons and money_unit; ``None`` without
    places. Values within :data:`SNAP` of 0 are 0."""
    p = f.params
    if p.capacity is None:
        return None
    places, ps = f.places, f.scale.population
    R, S, T = p.shape

    def grid(cols: np.ndarray, scale: float) -> np.ndarray:
        out = np.zeros(cols.shape)
        has = cols >= 0
        value = values[cols[has]]
        out[has] = np.where(value > SNAP, value, 0.0) * scale
        return out

    served = np.zeros((R, S, T))
    served[f.served_r, f.served_s, f.served_t] = np.clip(values[f.q_cols], 0.0, None) * ps
    served = np.minimum(served, p.capacity.demand * p.capacity.mask[None, :, None])
    grant = grid(places.g, f.scale.money) if places.g is not None else np.zeros((R, T))
    return CapacityPlan(served=served, places=grid(places.K, ps), started=grid(places.n, ps),
                        converted=grid(places.v, ps), grant=grant)


def _within_budget(x: np.ndarray, budget: np.ndarray) -> None:
    """Scale down, in place, any year whose total special fund ``x`` (R, S, T) exceeds its budget by
    floating-point excess (≤ 1e-12 relative), until the sum as numpy computes it is within budget."""
    for t in np.flatnonzero(x.sum(axis=(0, 1)) > budget):
        factor = budget[t] / x[:, :, t].sum()
        while x[:, :, t].sum() > budget[t]:
            x[:, :, t] *= factor
            factor = np.nextafter(1.0, 0.0)


def _binding(f: Formulation, values: np.ndarray) -> np.ndarray:
    """Names of the rules binding each region-year (R, T), ``;``-joined in registry order."""
    activity = f.lp.matrix() @ values
    flags = {rule.name: mark for rule in f.rules if (mark := rule.binding(f, values, activity)) is not None}
    R, _, T = f.params.shape
    names = list(flags)
    code = sum((mark.astype(np.int64) << k for k, mark in enumerate(flags.values())), np.zeros((R, T), np.int64))
    uniq, inverse = np.unique(code, return_inverse=True)
    text = np.array([";".join(n for k, n in enumerate(names) if c >> k & 1) for c in uniq], dtype=object)
    return text[inverse.reshape(R, T)]
