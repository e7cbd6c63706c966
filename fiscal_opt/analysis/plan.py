"""The robust plan: one first-year plan for every draw of a scenario file, the later years
adapting to each draw, chosen to minimise

    E[L] + λ · CVaR_α(L),    L = a draw's weighted shortfall summed over the years (money_unit),

as one LP in extensive form (Rockafellar and Uryasev's CVaR rows):

    min  (1/N) Σ_n L_n + λ (η + Σ_n u_n / ((1 − α) N))
    s.t. every row of every draw's own LP, in that draw's columns;
         u_n ≥ L_n − η, u_n ≥ 0;
         the first year's decisions the same in every draw (non-anticipativity).

The first year's decisions (:data:`KINDS`) are the special fund per region and service and, in an
instance with places, the places started and converted and the capital grants: what has to be
committed before anyone knows how migration turns out. Each draw's LP is the formulation of
:mod:`fiscal_opt.model.build` for its instance (:func:`fiscal_opt.analysis.scenarios.drawn_instances`),
so every hard rule holds in every draw and soft rules are priced as in a single solve; incentives
follow each draw's own rules (they pay for reform performance, and are fixed at each draw's
formula when no rule links them). The plan is set beside the mean-forecast plan (the first year
of the optimum for the instance at the mean of the drawn values): both are judged by fixing their
first year in every draw and letting the later years adapt (:func:`evaluate`), which gives each
draw's shortfall, whether a rule must bend, whether the draw can be solved at all, and whether it
breaks the judged minimum coverage.

The extensive form grows linearly with the draws (N copies of one LP, N + 1 CVaR columns and N
rows, one plan column per first-year decision and one row per decision and draw);
``PlanResult.summary["lp"]`` reports its size. No decomposition is built: past a few hundred draws
at prefecture scale the LP is the limit (docs/scenarios.md, "The robust plan").

Ties: the plan is an optimum of the extensive LP as HiGHS returns it; where the first year has
several equally good plans, the order-free tie rule of a single solve is not applied.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
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


KINDS = ("special_fund", "places_started", "places_converted", "capital_grant")
"""The first-year decisions a plan shares: special fund per (region, service); with places, places
started per (region, service) and converted per (region, conversion), persons, and the capital
grant per region, money_unit."""


@dataclass(frozen=True)
class FirstYear:
    """A first-year plan: per kind of decision (:data:`KINDS`), its keys (region, then service or
    conversion; :func:`decisions`) and its values in the instance's units."""

    keys: dict[str, np.ndarray]
    values: dict[str, np.ndarray]


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
    eta = values[max(int(np.ceil(alpha * values.size)) - 1, 0)]  # the minimiser: the α-quantile (VaR)
    return float(eta + np.maximum(values - eta, 0.0).sum() / ((1.0 - alpha) * values.size))


def decisions(f: Formulation) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    """``f``'s first-year decisions by kind (:data:`KINDS`): their keys (r·S + s, r·J + j or r),
    their columns, and the LP unit of the kind (``Scale.money`` or ``Scale.population``)."""
    p = f.params
    S = len(p.services)
    x0 = np.flatnonzero(f.cell_t == 0)
    found = {"special_fund": (f.cell_r[x0] * S + f.cell_s[x0], f.x_cols[x0], f.scale.money)}
    if p.capacity is not None:
        places = f.places
        r, s = np.nonzero(places.n[:, :, 0] >= 0)
        found["places_started"] = (r * S + s, places.n[r, s, 0], f.scale.population)
        J = places.v.shape[1]
        r, j = np.nonzero(places.v[:, :, 0] >= 0)
        found["places_converted"] = (r * J + j, places.v[r, j, 0], f.scale.population)
        if places.g is not None:
            r = np.flatnonzero(places.g[:, 0] >= 0)
            found["capital_grant"] = (r, places.g[r, 0], f.scale.money)
    return found


def _union(found: list[dict[str, tuple[np.ndarray, np.ndarray, float]]]) -> dict[str, np.ndarray]:
    """Per kind, the sorted keys of every draw's first-year decisions (``found``: :func:`decisions` of each)."""
    return {kind: np.unique(np.concatenate([d[kind][0] for d in found])) for kind in found[0]}


def _positions(keys: np.ndarray, own: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of the plan's ``keys``: which a draw has (a mask), and its columns for them, from the draw's
    own keys ``own`` and ``columns``."""
    present = np.isin(keys, own)
    order = np.argsort(own)
    return present, columns[order[np.searchsorted(own[order], keys[present])]]


@dataclass(frozen=True)
class ExtensiveForm:
    """The plan's LP (in the first draw's LP units), where each draw's columns start, and per kind
    of first-year decision the plan's keys, its columns (one per key of any draw) and the first
    draw's LP unit of the kind."""

    lp: LinearProgram
    cost: np.ndarray
    offset: float
    starts: np.ndarray
    keys: dict[str, np.ndarray]
    plan: dict[str, np.ndarray]
    units: dict[str, float]


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
    found = [decisions(f) for f in forms]
    keys, plan = _non_anticipativity(lp, found, starts)
    total = np.zeros(lp.n_cols)
    for n, c in enumerate(costs):
        total[starts[n]:starts[n] + c.size] = c / N
    total[eta] = lam
    total[u] = lam / ((1.0 - alpha) * N)
    units = {kind: unit for kind, (_, _, unit) in found[0].items()}
    return ExtensiveForm(lp, total, float(np.sum(offsets)) / N, np.array(starts), keys, plan, units)


def _non_anticipativity(lp: LinearProgram, found: list[dict[str, tuple[np.ndarray, np.ndarray, float]]],
                        starts: list[int]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per kind of first-year decision (``found``: :func:`decisions` of each draw), the plan's
    columns p (one per key of any draw; fixed at 0 for a key some draw does not have, such as a
    cell whose ceiling is 0 there) and rows (s_n / s_1)·d_n − p = 0 in every draw that has the key
    (s: the kind's LP unit in each draw). Returns the keys and the plan's columns by kind."""
    union = _union(found)
    plan = {}
    for kind, keys in union.items():
        where = [_positions(keys, *d[kind][:2]) for d in found]
        everywhere = np.logical_and.reduce([present for present, _ in where])
        plan[kind] = lp.add_vars(f"plan_{kind}", [(kind,)] * keys.size, 0.0, np.where(everywhere, INF, 0.0))
        rows, cols, vals, done = [], [], [], 0
        for n, (present, columns) in enumerate(where):
            k = np.arange(done, done + columns.size)
            rows += [k, k]
            cols += [columns + starts[n], plan[kind][present]]
            vals += [np.full(columns.size, found[n][kind][2] / found[0][kind][2]), -np.ones(columns.size)]
            done += columns.size
        if done:
            lp.add_rows(f"same_first_year_{kind}", [(kind,)] * done, np.concatenate(rows), np.concatenate(cols),
                        np.concatenate(vals), 0.0, 0.0)
    return union, plan


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
                    options: SolverOptions) -> tuple[FirstYear, dict[str, Any]]:
    """Solve the extensive form; the plan's first year, and the LP's size and seconds."""
    start = time.perf_counter()
    ext = extensive_form(forms, lam, alpha)
    built = time.perf_counter() - start
    engine = DirectHighs(ext.lp, ext.cost, ext.offset, options)
    start = time.perf_counter()
    _run(engine, len(forms))
    seconds = time.perf_counter() - start
    values = engine.values()
    plan = FirstYear(ext.keys, {kind: values[cols] * ext.units[kind] for kind, cols in ext.plan.items()})
    size = {"rows": ext.lp.n_rows, "cols": ext.lp.n_cols, "nnz": int(ext.lp.matrix().data.size),
            "build_seconds": round(built, 3), "solve_seconds": round(seconds, 3),
            "objective": engine.objective() * forms[0].scale.money}
    return plan, size


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


def evaluate(forms: list[Formulation], first: FirstYear, judge: Policy, options: SolverOptions) -> Judged:
    """Fix the first-year decisions at ``first`` in every draw's formulation ``forms`` (under
    :func:`bending`; cut to a draw's bounds, such as its fund ceiling, where they are outside) and
    solve each draw's later years alone (see :class:`Judged`)."""
    N = len(forms)
    loss, bends, misses = np.full(N, np.nan), np.zeros(N, dtype=bool), np.ones(N, dtype=bool)
    for n, f in enumerate(forms):
        cost, offset = first_stage(f)
        engine = DirectHighs(f.lp, cost, offset, options)
        lower, upper = f.lp.bounds()
        for kind, (own, columns, unit) in decisions(f).items():
            present, cols = _positions(first.keys[kind], own, columns)
            fixed = np.clip(first.values[kind][present] / unit, lower[cols], upper[cols])
            engine.set_col_bounds(cols, fixed, fixed)
        if engine.run() != "optimal":
            continue
        values = engine.values()
        shortfall, constant = f.objectives["shortfall"]
        loss[n] = float(shortfall @ values + constant) * f.scale.money
        slack = f.objectives["penalty"][0] > 0
        bends[n] = bool(slack.any() and values[slack].max() > BENDS)
        found = breaks(f.params, judge, f.special_fund_of(values), f.incentive_of(values)).get("min_coverage")
        misses[n] = bool(found.any()) if found is not None else False
    return Judged(loss, np.isfinite(loss), bends, misses)


def _taken(solution: Any, keys: dict[str, np.ndarray], S: int) -> FirstYear:
    """The first year of a single solve's ``solution`` as a plan with ``keys``."""
    plan = solution.plan
    values = {}
    for kind, k in keys.items():
        if kind == "special_fund":
            values[kind] = solution.special_fund[k // S, k % S, 0]
        elif kind == "places_started":
            values[kind] = plan.started[k // S, k % S, 0]
        elif kind == "places_converted":
            J = plan.converted.shape[1]
            values[kind] = plan.converted[k // J, k % J, 0]
        else:
            values[kind] = plan.grant[k, 0]
    return FirstYear(keys, values)


@dataclass
class PlanResult:
    """The plan's first year beside the mean forecast's (``plan``), each draw judged under both
    (``draws``), and the summary (money in money_unit)."""

    plan: pd.DataFrame
    draws: pd.DataFrame
    summary: dict[str, Any]

    def write(self, out: str | Path) -> Path:
        """Write plan.csv, draws.csv and summary.json into folder ``out`` (replaced as safely as
        result folders are)."""
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


UNITS = {"special_fund": "money", "places_started": "persons", "places_converted": "persons",
         "capital_grant": "money"}


def plan_table(plan: FirstYear, mean: FirstYear, f: Formulation) -> pd.DataFrame:
    """One row per first-year decision: its kind, region, service (or conversion ``from>to``), the
    robust plan and the mean-forecast plan, and the unit (money_unit or persons)."""
    p = f.params
    services = np.asarray(p.services, dtype=object)
    S = len(services)
    parts = []
    for kind, keys in plan.keys.items():
        if kind in ("special_fund", "places_started"):
            region, what = keys // S, services[keys % S]
        elif kind == "places_converted":
            cp = p.capacity
            J = len(cp.conv_from)
            region = keys // J
            what = np.array([f"{services[cp.conv_from[j]]}>{services[cp.conv_to[j]]}" for j in keys % J], dtype=object)
        else:
            region, what = keys, np.full(keys.size, "", dtype=object)
        parts.append(pd.DataFrame({"kind": kind, "region": np.asarray(p.region_ids)[region], "service": what,
                                   "year": p.years[0], "robust_plan": plan.values[kind],
                                   "mean_forecast_plan": mean.values[kind],
                                   "unit": p.money_unit if UNITS[kind] == "money" else "persons"}))
    return pd.concat(parts, ignore_index=True)


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
    plan, size = plan_first_year(forms, spec.risk_weight, spec.alpha, options)
    mean_result = solve(drawn.mean, drawn.policy, options=options, repairs=False)
    S = len(instance.services)
    mean = _taken(mean_result.solution, plan.keys, S)
    soft = bending(drawn.policy)
    judged_forms = [formulate(inst, soft) for inst in drawn.instances]
    robust_judged, mean_judged = (evaluate(judged_forms, a, drawn.judge, options) for a in (plan, mean))
    table = plan_table(plan, mean, forms[0])
    per_draw = pd.DataFrame({"draw": np.arange(1, len(forms) + 1),
                             "robust_shortfall": robust_judged.loss, "mean_forecast_shortfall": mean_judged.loss,
                             "robust_bends_rules": robust_judged.bends, "mean_forecast_bends_rules": mean_judged.bends,
                             "robust_misses_min_coverage": robust_judged.misses,
                             "mean_forecast_misses_min_coverage": mean_judged.misses})
    summary = {"scenario": scenario.spec.name, "seed": scenario.spec.seed, "draws": len(forms),
               "policy": drawn.policy.name, "first_year": forms[0].params.years[0], "risk_weight": spec.risk_weight, "alpha": spec.alpha,
               "unit": f"{instance.money_unit}, summed over the years",
               "robust_plan": _stats(robust_judged, spec.alpha), "mean_forecast_plan": _stats(mean_judged, spec.alpha),
               "lp": size}
    return PlanResult(table, per_draw, summary)
