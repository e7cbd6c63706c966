"""The robust plan: one first-year allocation for every draw of a scenario file, the later years
adapting to each draw, chosen to minimise

    E[L] + λ · CVaR_α(L),    L = a draw's weighted shortfall summed over the years (money_unit),

as one LP in extensive form (Rockafellar and Uryasev's CVaR rows):

    min  (1/N) Σ_n L_n + λ (η + Σ_n u_n / ((1 − α) N))
    s.t. every row of every draw's own LP, in that draw's columns;
         u_n ≥ L_n − η, u_n ≥ 0;
         the first year's special fund the same in every draw (non-anticipativity).

Each draw's LP is the formulation of :mod:`fiscal_opt.model.build` for its instance
(:func:`fiscal_opt.analysis.scenarios.drawn_instances`), so every hard rule holds in every draw and
soft rules are priced as in a single solve; incentives follow each draw's own rules (they pay
for reform performance, and are fixed at each draw's formula when no rule links them). The plan is set beside the mean-forecast plan (the
first year of the optimum for the instance at the mean of the drawn values): both are judged by
fixing their first year in every draw and letting the later years adapt (:func:`evaluate`), which
gives each draw's shortfall, whether the draw can still meet the policy, and whether it breaks
the judged minimum coverage.

The extensive form grows linearly with the draws (N copies of one LP plus N + 1 columns and
N + (N − 1)·(first-year cells) rows); ``PlanResult.summary["lp"]`` reports its size. No
decomposition is built: past a few hundred draws at prefecture scale the LP is the limit
(docs/scenarios.md, "The robust plan").

Ties: the plan is an optimum of the extensive LP as HiGHS returns it; where the first year has
several equally good allocations, the data-order tie rule of a single solve is not applied.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..api import formulate, solve
from ..errors import InfeasibleError, InputError, Problem, SolverError
from ..io.instance import Instance, Policy
from ..io.scenario import Scenario
from ..model.build import Formulation
from ..model.lp import INF, LinearProgram
from ..model.objectives import first_stage
from ..solver.highs import DirectHighs
from ..solver.options import SolverOptions
from .scenarios import breaks, drawn_instances

OBJECTIVES = ("weighted_shortfall",)
"""Policies whose objective a plan can take as the loss of a draw."""


@dataclass(frozen=True)
class FirstYear:
    """A first-year allocation: special fund per funded first-year cell (region, service), money_unit,
    in the order of the draws' formulations."""

    special_fund: np.ndarray


@dataclass(frozen=True)
class Judged:
    """A first-year allocation judged in every draw (see :func:`evaluate`): per draw, the weighted
    shortfall summed over the years (money_unit; NaN where the draw cannot be solved even with its
    rules bending), whether some rule had to bend, and whether the judged minimum coverage is
    broken in some region-year (``True`` also where the draw cannot be solved)."""

    loss: np.ndarray
    feasible: np.ndarray
    bends: np.ndarray
    misses: np.ndarray


def cvar(losses: np.ndarray, alpha: float) -> float:
    """CVaR_α of equally likely ``losses``: min over η of η + E[max(L − η, 0)] / (1 − α), the mean of
    the worst (1 − α) share of the draws (α = 0: the mean)."""
    values = np.sort(np.asarray(losses, dtype=float))
    if values.size == 0:
        return float("nan")
    tail = np.maximum(values[None, :] - values[:, None], 0.0).mean(axis=1) / (1.0 - alpha)
    return float(np.min(values + tail))


def _first_year(f: Formulation) -> np.ndarray:
    """Positions, within ``f``'s special-fund columns, of the first year's."""
    return np.flatnonzero(f.cell_t == 0)


def first_year_cells(forms: list[Formulation]) -> tuple[np.ndarray, np.ndarray]:
    """The (region, service) index pairs of every first-year cell some draw funds, sorted."""
    keys = np.unique(np.concatenate([f.cell_r[_first_year(f)] * len(f.params.services) + f.cell_s[_first_year(f)]
                                     for f in forms]))
    return np.divmod(keys, len(forms[0].params.services))


def _positions(f: Formulation, cells: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Of the first-year ``cells``: which ``f`` funds (a mask) and their columns in ``f``."""
    S = len(f.params.services)
    x0 = _first_year(f)
    own = f.cell_r[x0] * S + f.cell_s[x0]
    keys = cells[0] * S + cells[1]
    present = np.isin(keys, own)
    order = np.argsort(own)
    return present, f.x_cols[x0[order[np.searchsorted(own[order], keys[present])]]]


@dataclass(frozen=True)
class ExtensiveForm:
    """The plan's LP (in the first draw's LP money unit), where each draw's columns start, and the
    columns of the plan: one per first-year cell of :func:`first_year_cells`."""

    lp: LinearProgram
    cost: np.ndarray
    offset: float
    starts: np.ndarray
    plan: np.ndarray
    cells: tuple[np.ndarray, np.ndarray]


def extensive_form(forms: list[Formulation], lam: float, alpha: float) -> ExtensiveForm:
    """The LP of the module docstring for the draws' formulations ``forms``, in bulk."""
    N = len(forms)
    unit = forms[0].scale.money
    lp = LinearProgram()
    starts, costs, offsets = [], [], []
    for n, f in enumerate(forms):
        A = f.lp.matrix()
        lower, upper = f.lp.bounds()
        row_lower, row_upper = f.lp.row_bounds()
        cols = lp.add_vars(f"draw_{n + 1}", [(n + 1,)] * f.lp.n_cols, lower, upper)
        rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
        lp.add_rows(f"draw_{n + 1}", [(n + 1,)] * A.shape[0], rows, A.indices + cols[0], A.data, row_lower, row_upper)
        cost, off = first_stage(f)
        ratio = f.scale.money / unit
        starts.append(int(cols[0]))
        costs.append(cost * ratio)
        offsets.append(off * ratio)
    eta = lp.add_vars("cvar_threshold", [("eta",)], -INF, INF)[0]
    u = lp.add_vars("cvar_excess", [(n + 1,) for n in range(N)], 0.0, INF)
    rows, cols, vals = [], [], []
    for n, c in enumerate(costs):
        nz = np.flatnonzero(c)
        rows.append(np.full(nz.size + 2, n))
        cols.append(np.r_[nz + starts[n], u[n], eta])
        vals.append(np.r_[-c[nz], 1.0, 1.0])
    lp.add_rows("cvar_excess", [(n + 1,) for n in range(N)], np.concatenate(rows), np.concatenate(cols),
                np.concatenate(vals), np.array(offsets), INF)
    cells, plan = _non_anticipativity(lp, forms, starts)
    total = np.zeros(lp.n_cols)
    for n, c in enumerate(costs):
        total[starts[n]:starts[n] + c.size] = c / N
    total[eta] = lam
    total[u] = lam / ((1.0 - alpha) * N)
    return ExtensiveForm(lp, total, float(np.sum(offsets)) / N, np.array(starts), plan, cells)


def _non_anticipativity(lp: LinearProgram, forms: list[Formulation],
                        starts: list[int]) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """The plan's columns p (one per first-year cell of any draw; fixed at 0 for a cell some draw
    does not fund) and rows (s_n / s_1)·x_n − p = 0 in every draw that funds the cell (s: each
    draw's LP money unit). Returns the cells and the plan's columns."""
    unit = forms[0].scale.money
    cells = first_year_cells(forms)
    found = [_positions(f, cells) for f in forms]
    everywhere = np.logical_and.reduce([present for present, _ in found])
    plan = lp.add_vars("plan", [("plan",)] * len(cells[0]), 0.0, np.where(everywhere, INF, 0.0))
    rows, cols, vals = [], [], []
    done = 0
    for f, s, (present, columns) in zip(forms, starts, found):
        k = np.arange(done, done + columns.size)
        rows += [k, k]
        cols += [columns + s, plan[present]]
        vals += [np.full(columns.size, f.scale.money / unit), -np.ones(columns.size)]
        done += columns.size
    lp.add_rows("same_first_year", [("first_year",)] * done, np.concatenate(rows), np.concatenate(cols),
                np.concatenate(vals), 0.0, 0.0)
    return cells, plan


def _run(engine: DirectHighs, draws: int) -> None:
    status = engine.run()
    if status == "infeasible":
        raise InfeasibleError(f"the robust plan is infeasible: no single first-year allocation lets every one of the "
                              f"{draws:,} draws meet the policy's hard rules (for example a minimum coverage that a "
                              "draw with more migrants needs, within the budget of a draw with less money); make "
                              "those rules soft (soft: true, in the policy or under changes.policy in the scenario "
                              "file) so that the plan prices their bending, or draw fewer or narrower draws", [])
    if status != "optimal":
        raise SolverError(f"the robust plan: HiGHS ended with status {status}")


def plan_first_year(forms: list[Formulation], lam: float, alpha: float,
                    options: SolverOptions) -> tuple[FirstYear, tuple[np.ndarray, np.ndarray], dict[str, Any]]:
    """Solve the extensive form; the plan's first year, its cells (region, service), and the LP's
    size and seconds."""
    start = time.perf_counter()
    ext = extensive_form(forms, lam, alpha)
    built = time.perf_counter() - start
    engine = DirectHighs(ext.lp, ext.cost, ext.offset, options)
    start = time.perf_counter()
    _run(engine, len(forms))
    seconds = time.perf_counter() - start
    unit = forms[0].scale.money
    plan = FirstYear(engine.values()[ext.plan] * unit)
    size = {"rows": ext.lp.n_rows, "cols": ext.lp.n_cols, "nnz": int(ext.lp.matrix().data.size),
            "build_seconds": round(built, 3), "solve_seconds": round(seconds, 3),
            "objective": engine.objective() * unit}
    return plan, ext.cells, size


def bending(policy: Policy) -> Policy:
    """``policy`` with every rule that can bend made soft (at the policy's ``soft_penalty``): how a
    fixed first year is judged in a draw whose hard rules it cannot meet."""
    data = policy.model_dump()
    for value in data.values():
        if isinstance(value, dict) and "soft" in value:
            value["soft"] = True
    return type(policy).model_validate(data)


BENDS = 1e-9
"""A soft rule's slack above this (LP units) bends the rule."""


def evaluate(forms: list[Formulation], cells: tuple[np.ndarray, np.ndarray], first: FirstYear, judge: Policy,
             options: SolverOptions) -> Judged:
    """Fix the first year's ``cells`` at ``first`` in every draw's formulation ``forms`` (under
    :func:`bending`; cut to a draw's fund ceiling where it is above) and solve each draw's later
    years alone (see :class:`Judged`)."""
    N = len(forms)
    loss, bends, misses = np.full(N, np.nan), np.zeros(N, dtype=bool), np.ones(N, dtype=bool)
    for n, f in enumerate(forms):
        cost, offset = first_stage(f)
        engine = DirectHighs(f.lp, cost, offset, options)
        present, cols = _positions(f, cells)
        lower, upper = f.lp.bounds()
        fixed = np.clip(first.special_fund[present] / f.scale.money, lower[cols], upper[cols])
        engine.set_col_bounds(cols, fixed, fixed)
        if engine.run() != "optimal":
            continue
        values = engine.values()
        p = f.params
        x = np.zeros(p.standard_cost.shape)
        x[f.cell_r, f.cell_s, f.cell_t] = values[f.x_cols] * f.scale.money
        y = np.zeros(p.formula_incentive.shape)
        y[f.pay_r, f.pay_t] = values[f.y_cols] * f.scale.money
        shortfall, constant = f.objectives["shortfall"]
        loss[n] = float(shortfall @ values + constant) * f.scale.money
        slack = f.objectives["penalty"][0] > 0
        bends[n] = bool(slack.any() and values[slack].max() > BENDS)
        found = breaks(p, judge, x, y).get("min_coverage")
        misses[n] = bool(found.any()) if found is not None else False
    return Judged(loss, np.isfinite(loss), bends, misses)


@dataclass
class PlanResult:
    """The plan's first year beside the mean forecast's (``plan``), each draw judged under both
    (``draws``), and the summary (money in money_unit)."""

    plan: pd.DataFrame
    draws: pd.DataFrame
    summary: dict[str, Any]

    def write(self, out: Any) -> Any:
        """Write plan.csv, draws.csv and summary.json into folder ``out`` (replaced as safely as
        result folders are)."""
        from pathlib import Path

        from ..report.write import write_folder

        return write_folder(Path(out), {"plan.csv": self.plan, "draws.csv": self.draws}, {"summary.json": self.summary})


def _stats(judged: Judged, alpha: float) -> dict[str, Any]:
    losses = judged.loss[judged.feasible]
    return {"expected_shortfall": float(losses.mean()) if losses.size else None,
            "cvar_shortfall": cvar(losses, alpha) if losses.size else None,
            "worst_shortfall": float(losses.max()) if losses.size else None,
            "draws_bending_rules": int(judged.bends.sum()),
            "draws_infeasible": int((~judged.feasible).sum()),
            "draws_missing_min_coverage": int(judged.misses.sum())}


def robust_plan(instance: Instance, policy: Policy | None, scenario: Scenario, draws: int | None = None,
                options: SolverOptions | None = None) -> PlanResult:
    """The robust plan of the module docstring for ``draws`` draws of ``scenario`` (λ and α from its
    ``plan`` key), beside the mean-forecast plan."""
    options = options or SolverOptions()
    spec = scenario.spec.plan
    drawn = drawn_instances(instance, policy, scenario, draws)
    if drawn.policy.objective not in OBJECTIVES:
        raise InputError(Problem("policy", "objective", f"a plan minimises the expected weighted shortfall; the policy's "
                                 f"objective is {drawn.policy.objective}: give a policy with objective "
                                 "weighted_shortfall (--policy)"))
    forms = [formulate(inst, drawn.policy) for inst in drawn.instances]
    plan, cells, size = plan_first_year(forms, spec.risk_weight, spec.alpha, options)
    mean_result = solve(drawn.mean, drawn.policy, options=options, repairs=False)
    first = forms[0].params.years[0]
    mean = FirstYear(mean_result.solution.special_fund[cells[0], cells[1], 0])
    soft = bending(drawn.policy)
    judged_forms = [formulate(inst, soft) for inst in drawn.instances]
    robust_judged, mean_judged = (evaluate(judged_forms, cells, a, drawn.judge, options) for a in (plan, mean))
    services = np.asarray(list(instance.services))
    table = pd.DataFrame({"region": np.asarray(instance.region_ids)[cells[0]], "service": services[cells[1]],
                          "year": first, "robust_plan": plan.special_fund, "mean_forecast_plan": mean.special_fund})
    per_draw = pd.DataFrame({"draw": np.arange(1, len(forms) + 1),
                             "robust_shortfall": robust_judged.loss, "mean_forecast_shortfall": mean_judged.loss,
                             "robust_bends_rules": robust_judged.bends, "mean_forecast_bends_rules": mean_judged.bends,
                             "robust_misses_min_coverage": robust_judged.misses,
                             "mean_forecast_misses_min_coverage": mean_judged.misses})
    summary = {"scenario": scenario.spec.name, "seed": scenario.spec.seed, "draws": len(forms),
               "policy": drawn.policy.name, "first_year": first, "risk_weight": spec.risk_weight, "alpha": spec.alpha,
               "unit": f"{instance.money_unit}, summed over the years",
               "robust_plan": _stats(robust_judged, spec.alpha), "mean_forecast_plan": _stats(mean_judged, spec.alpha),
               "lp": size}
    return PlanResult(table, per_draw, summary)
