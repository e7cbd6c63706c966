"""Monte Carlo scenarios: an instance changed as a scenario file says, solved once per draw of its
uncertain quantities under the policy, and what the draws say together.

:func:`run_scenarios` draws every uncertain quantity (:mod:`fiscal_opt.analysis.draws`), applies
the fixed changes and each draw to the instance (:func:`apply`), solves every draw on an executor
(:mod:`fiscal_opt.analysis.executor`; draws are independent solves, so each is its own task and
its answer does not depend on where it ran) and gathers, in :class:`ScenarioResult`:

- ``draws``: one row per draw × year, the drawn national values, the columns of
  :func:`fiscal_opt.compare.compare`, the formula baseline's weighted shortfall, and whether the
  baseline and the optimum break the judged levels (minimum coverage, per-capita floor) that year,
  and whether the judged minimum coverage is out of reach of any allocation (:func:`out_of_reach`);
- ``regions``: per region × year, the mean and the 5th and 95th percentiles of the optimum's
  transfer (special fund plus incentive) and special fund over the draws that solved, the
  baseline's mean transfer, the share of those draws in which each rule binds for the region,
  and the share in which the baseline and the optimum break each judged level there (and in
  which the judged minimum coverage is out of reach there);
- ``rules``: per rule, the draws in which it binds anywhere, as a count and a probability;
- ``summary``: the scenario, the seed, the statuses, the distribution of each draw's weighted
  shortfall summed over the years (with its unit), the binding probabilities and how often the
  baseline and the optimum break each judged level (and how often it is out of reach).

Money in the instance's money_unit. The same seed gives the same draws and the same files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ..api import solve
from ..errors import InfeasibleError, InputError, Problem, SolverError
from ..io.instance import Instance, Policy
from ..io.scenario import FACTORS, GROWTH, MAX_DRAWS, QUANTITIES, Scenario
from ..model.baseline import formula_special_fund
from ..model.coverage_value import shortfall_value
from ..model.params import Params, derive
from ..rules import active_rules, rule_named
from ..rules.base import Outcome, Rule
from ..solver.options import SolverOptions
from ..solver.verify import TOLERANCE
from .compare import COLUMNS, failure_rows, result_rows, table_columns
from .draws import draw
from .executor import Executor, LocalExecutor

JUDGED = ("min_coverage", "per_capita_floor")
"""The levels each draw's baseline and optimum are judged against."""

HEADCOUNTS = ("age0_14", "age65plus")
"""Headcount columns that move with the population even when no service names them."""

MAX_STORED = 50_000_000
"""Draws × regions × years a run may hold (each draw's allocation is kept for the percentiles)."""

PERCENTILES = (5, 95)


def _merged(base: Any, change: Any) -> Any:
    """``change`` laid over ``base``: mappings key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(change, dict):
        return {**base, **{k: _merged(base.get(k), v) for k, v in change.items()}}
    return change


def changed_policy(policy: Policy, scenario: Scenario) -> Policy:
    """``policy`` with the scenario's ``changes.policy`` laid over it, validated like a policy file
    (problems reported at their line in the scenario file)."""
    change = scenario.spec.changes.policy
    if not change:
        return policy
    from ..io.load import validation_problems

    data = _merged(policy.model_dump(), change)
    try:
        return type(policy).model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, type(policy), data, scenario.shown_as, scenario.lines,
                                             ("changes", "policy"))) from None


def _headcounts(instance: Instance) -> list[str]:
    """Columns counting persons that scale with the population: the services' drivers, the
    incentive basis and :data:`HEADCOUNTS`, other than ``population`` and ``migrants``."""
    named = [s.driver for s in instance.services.values()] + [instance.incentive.basis, *HEADCOUNTS]
    return [c for c in dict.fromkeys(named) if c in instance.regions.columns and c not in ("population", "migrants")]


def apply(instance: Instance, values: dict[str, np.ndarray]) -> Instance:
    """``instance`` with the quantities ``values`` (each an array over regions, (R,)) applied:
    factors on the budget (its first value), fiscal capacity and migrants; growth of the locally
    registered residents and of the migrants, compounding from the first year. Residents are the
    locally registered plus the migrants; every other headcount column moves in proportion to them."""
    T = len(instance.years)
    frame = instance.regions.copy()
    step = np.tile(np.arange(T), len(frame) // T)  # rows are region by region, years ascending
    region = np.repeat(np.arange(len(frame) // T), T)

    def per_row(name: str, default: float) -> np.ndarray:
        return np.asarray(values[name], dtype=float)[region] if name in values else np.full(len(frame), default)

    fund = instance.special_fund
    if "budget" in values and fund is not None:
        fund = fund * float(np.asarray(values["budget"]).flat[0])
    if "fiscal_capacity" in values:
        frame["fiscal_capacity"] = frame["fiscal_capacity"].to_numpy(dtype=float) * per_row("fiscal_capacity", 1.0)
    if {"migrants", "migrant_growth", "population_growth"} & set(values):
        people = frame["population"].to_numpy(dtype=float)
        migrants = frame["migrants"].to_numpy(dtype=float)
        moved = migrants * per_row("migrants", 1.0) * (1.0 + per_row("migrant_growth", 0.0)) ** step
        local = (people - migrants) * (1.0 + per_row("population_growth", 0.0)) ** step
        residents = local + moved
        ratio = np.divide(residents, people, out=np.ones_like(people), where=people > 0)
        for column in _headcounts(instance):
            frame[column] = frame[column].to_numpy(dtype=float) * ratio
        frame["population"], frame["migrants"] = residents, moved
    return dataclasses.replace(instance, regions=frame, special_fund=fund)


def _draw_values(scenario: Scenario, instance: Instance, draws: int) -> dict[str, np.ndarray]:
    """The drawn values (draws, R) of every uncertain quantity, each checked to stay in its range."""
    spec = scenario.spec
    groups = instance.regions["group"].to_numpy(dtype=str)[:: len(instance.years)]
    drawn = {}
    problems = []
    for quantity, dist in spec.uncertain.items():
        values = draw(dist, spec.seed, quantity, groups, draws)
        low = 0.0 if quantity in FACTORS else -1.0
        bad = np.argwhere(values < low if quantity in FACTORS else values <= low)
        if bad.size:
            d, r = bad[0]
            what = "a factor cannot be below 0" if quantity in FACTORS else "a growth rate must stay above −100 %"
            problems.append(Problem(scenario.shown_as, f"uncertain.{quantity}",
                                    f"draw {d + 1} gives {values[d, r]:.4g}{'' if dist.by == 'national' else ' in ' + str(instance.region_ids[r])}"
                                    f" ({len(np.unique(bad[:, 0])):,} of {draws:,} draws fall outside): {what}; take a "
                                    "distribution that stays inside (lognormal, or a smaller sd)",
                                    scenario.lines.near(("uncertain", quantity))))
        drawn[quantity] = values
    if problems:
        raise InputError(problems)
    return drawn


def _check_fits(scenario: Scenario, instance: Instance, draws: int) -> None:
    """Refuse what the instance cannot carry: a budget factor without a budget, growth over a single
    year, more draws than :data:`MAX_DRAWS` or than memory for their allocations."""
    spec, file, lines = scenario.spec, scenario.shown_as, scenario.lines
    used = set(spec.uncertain) | {q for q in QUANTITIES if getattr(spec.changes, q) is not None}
    problems = []

    def where(q: str) -> tuple[str, str]:
        return ("uncertain", q) if q in spec.uncertain else ("changes", q)
    if "budget" in used and instance.special_fund is None:
        problems.append(Problem(file, ".".join(where("budget")), "the instance has no special-fund budget to change",
                                lines.near(where("budget"))))
    for q in sorted(used & set(GROWTH)):
        if len(instance.years) == 1:
            problems.append(Problem(file, ".".join(where(q)), "growth acts from the first year on, and the instance "
                                    "has one year: it would change nothing; give migrants (a factor) instead",
                                    lines.near(where(q))))
    if not 1 <= draws <= MAX_DRAWS:
        problems.append(Problem("--draws", "", f"must be between 1 and {MAX_DRAWS:,}, not {draws:,}"))
    elif draws * len(instance.regions) > MAX_STORED:
        most = MAX_STORED // len(instance.regions)
        problems.append(Problem("--draws", "", f"{draws:,} draws of {len(instance.regions):,} region-years are more "
                                f"than a run keeps in memory; at most {most:,} for this instance"))
    if problems:
        raise InputError(problems)


def judge_policy(policy: Policy, scenario: Scenario) -> Policy:
    """The levels draws are judged against: the scenario's ``judge`` levels, else the policy's own,
    as a policy holding only those two rules (one level for every service)."""
    levels = {}
    for name in JUDGED:
        level = getattr(scenario.spec.judge, name)
        if level is None:
            level = rule_named(name).value(policy)  # type: ignore[union-attr]
        if level is not None:
            levels[name] = {"value": level}
    return Policy.model_validate({"name": "judge", **levels})


@dataclass(frozen=True)
class _Job:
    """What every draw shares (sent once to each worker)."""

    instance: Instance
    policy: Policy
    judge: Policy
    fixed: dict[str, float]
    drawn: dict[str, np.ndarray]
    national: tuple[str, ...]
    options: SolverOptions | None
    draws: int

    def values(self, d: int) -> dict[str, np.ndarray]:
        R = len(self.instance.regions) // len(self.instance.years)
        return {q: np.full(R, v) for q, v in self.fixed.items()} | {q: v[d] for q, v in self.drawn.items()}


@dataclass
class DrawOutcome:
    """One draw: its table rows, and per region × year (R, T) the optimum's transfer and special
    fund (``None`` when it did not solve), the baseline's transfer, where each rule binds, where
    the baseline and the optimum break each judged level, and where the judged minimum coverage
    is out of reach."""

    draw: int
    status: str
    rows: list[dict]
    transfer: np.ndarray | None
    special_fund: np.ndarray | None
    baseline_transfer: np.ndarray | None
    binds: dict[str, np.ndarray]
    baseline_breaks: dict[str, np.ndarray]
    optimum_breaks: dict[str, np.ndarray] | None
    binding_rules: list[str]
    out_of_reach: dict[str, np.ndarray]


def breaks(p: Params, judge: Policy, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Where special fund ``x`` (R, S, T) and incentives ``y`` (R, T) break each level of ``judge``:
    (R, T) masks, by the rules' own measure and the tolerance answers are checked to."""
    found = {}
    coverage, floor = rule_named("min_coverage"), rule_named("per_capita_floor")
    if coverage.active(judge):  # type: ignore[union-attr]
        need = np.nan_to_num(coverage.need(p, judge), nan=-np.inf)  # type: ignore[union-attr]
        found["min_coverage"] = (need - x > TOLERANCE * np.maximum(p.standard_cost, 1e-12)).any(axis=1)
    if floor.active(judge):  # type: ignore[union-attr]
        o = Outcome(p, x, y, p.special_fund)
        mean = o.national_per_capita[None, :]
        found["per_capita_floor"] = floor.value(judge) * mean - o.per_capita > TOLERANCE * mean  # type: ignore
    return found


def out_of_reach(p: Params, judge: Policy) -> dict[str, np.ndarray]:
    """Where the judged minimum coverage cannot be met by any allocation: a cell whose need
    τ·C − L is above its fund ceiling (the gap capped at the central share), so its region
    breaks the level whatever the money. (R, T) masks; empty when minimum coverage is not judged."""
    coverage = rule_named("min_coverage")
    if not coverage.active(judge):  # type: ignore[union-attr]
        return {}
    need = np.nan_to_num(coverage.need(p, judge), nan=-np.inf)  # type: ignore[union-attr]
    return {"min_coverage": (need - p.ceiling > TOLERANCE * np.maximum(p.standard_cost, 1e-12)).any(axis=1)}


PRICE_BINDS = 1e-9
"""A budget whose shadow price is larger than this in a year binds that year."""


def reported(policy: Policy) -> list[str]:
    """The rules of ``policy`` whose binding a run can tell: those that mark the region-years they
    bind (regions.csv's ``binding``), and the budget, which binds in a year whose shadow price is
    not 0. A rule of the whole year (a Gini ceiling, the incentive pool) marks no region."""
    return [r.name for r in active_rules(policy)
            if r.name == "budget" or r.binding_rows is not None or type(r).binding is not Rule.binding]


def _binding_masks(binding: np.ndarray, prices: list[float | None]) -> dict[str, np.ndarray]:
    """(R, T) masks by rule from the ``;``-joined labels of each region-year, and the budget's from
    its shadow price per year."""
    labels, inverse = np.unique(binding.astype(str), return_inverse=True)
    inverse = inverse.reshape(binding.shape)
    names = dict.fromkeys(n for label in labels for n in label.split(";") if n)
    masks = {n: np.isin(inverse, [k for k, label in enumerate(labels) if n in label.split(";")]) for n in names}
    year = np.array([price is not None and abs(price) > PRICE_BINDS for price in prices])
    return masks | {"budget": np.broadcast_to(year, binding.shape).copy()}


def _solve_draw(job: _Job, d: int, _state: Any) -> tuple[DrawOutcome, None]:
    inst = apply(job.instance, job.values(d))
    try:
        result = solve(inst, job.policy, options=job.options, repairs=False)
    except (InfeasibleError, SolverError) as exc:
        params = derive(inst, job.policy)
        base = None
        if params.special_fund is not None:
            base = (formula_special_fund(params.weight, params.gap, params.ceiling, params.special_fund),
                    params.formula_incentive)
        rows = failure_rows(exc, job.policy.name, inst.years)
        status = rows[0]["status"]
        return _outcome(d, status, rows, params, job, base, None, None), None
    sol = result.solution
    base = (result.baseline_special_fund, result.baseline_incentive)
    return _outcome(d, "optimal", result_rows(result, job.policy.name), result.params, job, base,
                    (sol.special_fund, sol.incentive), _binding_masks(sol.binding, sol.budget_shadow_price)), None


def _outcome(d: int, status: str, rows: list[dict], p: Params, job: _Job, base: tuple | None,
             optimum: tuple | None, binds: dict[str, np.ndarray] | None) -> DrawOutcome:
    baseline_breaks = breaks(p, job.judge, *base) if base is not None else {}
    optimum_breaks = breaks(p, job.judge, *optimum) if optimum is not None else None
    shortfall = shortfall_value(p, job.policy, base[0]) if base is not None else None
    unreachable = out_of_reach(p, job.judge)
    national = {f"drawn_{q}": float(job.drawn[q][d][0]) for q in job.national}
    for t, row in enumerate(rows):
        row.update({"draw": d + 1, **national})
        row["baseline_weighted_shortfall"] = float(shortfall[t]) if shortfall is not None else None
        for name in JUDGED:
            if name in baseline_breaks:
                row[f"baseline_breaks_{name}"] = bool(baseline_breaks[name][:, t].any())
                row[f"optimum_breaks_{name}"] = bool(optimum_breaks[name][:, t].any()) if optimum_breaks else None
        for name, mask in unreachable.items():
            row[f"out_of_reach_{name}"] = bool(mask[:, t].any())
    binds = binds or {}
    return DrawOutcome(d, status, rows,
                       None if optimum is None else optimum[0].sum(axis=1) + optimum[1],
                       None if optimum is None else optimum[0].sum(axis=1),
                       None if base is None else base[0].sum(axis=1) + base[1],
                       binds, baseline_breaks, optimum_breaks, list(binds), unreachable)


@dataclass
class ScenarioResult:
    """The tables and summary of a scenario run (see the module docstring)."""

    draws: pd.DataFrame
    regions: pd.DataFrame
    rules: pd.DataFrame
    summary: dict[str, Any]

    def write(self, out: str | Path) -> Path:
        """Write draws.csv, regions.csv, rules.csv and summary.json into folder ``out`` (replaced
        as safely as result folders are)."""
        from ..report.write import write_folder

        return write_folder(Path(out), {"draws.csv": self.draws, "regions.csv": self.regions, "rules.csv": self.rules},
                            {"summary.json": self.summary})


def _draw_count(scenario: Scenario, draws: int | None) -> int:
    draws = draws if draws is not None else scenario.spec.draws
    if draws is None:
        raise InputError(Problem("--draws", "", f"give the number of draws: --draws N, or draws: in "
                                 f"{scenario.shown_as}"))
    return draws


def _job(instance: Instance, policy: Policy | None, scenario: Scenario, draws: int | None,
         options: SolverOptions | None) -> _Job:
    """What every draw of ``scenario`` shares: the policy with the scenario's changes, the judged
    levels, the fixed changes and the drawn values (checked against the instance first)."""
    draws = _draw_count(scenario, draws)
    policy = changed_policy(policy or instance.policy or Policy(), scenario)
    _check_fits(scenario, instance, draws)
    fixed = {q: float(getattr(scenario.spec.changes, q)) for q in QUANTITIES
             if getattr(scenario.spec.changes, q) is not None}
    national = tuple(q for q, dist in scenario.spec.uncertain.items() if dist.by == "national")
    return _Job(instance, policy, judge_policy(policy, scenario), fixed, _draw_values(scenario, instance, draws),
                national, options, draws)


@dataclass(frozen=True)
class Draws:
    """The instances of a scenario's draws, for a computation over all of them at once (the robust plan)."""

    policy: Policy
    """The policy with the scenario's ``changes.policy``."""
    judge: Policy
    """The judged levels (:func:`judge_policy`)."""
    instances: list[Instance]
    """One instance per draw."""
    mean: Instance
    """The instance at the mean of the drawn values: the mean forecast."""


def drawn_instances(instance: Instance, policy: Policy | None, scenario: Scenario, draws: int | None = None) -> Draws:
    """Every draw of ``scenario`` applied to ``instance`` (:func:`apply`), and the mean forecast."""
    job = _job(instance, policy, scenario, draws, None)
    mean = {q: np.full(len(instance.region_ids), v) for q, v in job.fixed.items()} | \
        {q: v.mean(axis=0) for q, v in job.drawn.items()}
    return Draws(job.policy, job.judge, [apply(instance, job.values(d)) for d in range(job.draws)],
                 apply(instance, mean))


def run_scenarios(instance: Instance, policy: Policy | None, scenario: Scenario, draws: int | None = None,
                  options: SolverOptions | None = None, *, executor: Executor | None = None,
                  progress: Callable[[], None] | None = None) -> ScenarioResult:
    """Solve ``draws`` draws (default: the scenario file's ``draws``) of ``scenario`` on
    ``instance`` under ``policy`` (default: the instance's own) on ``executor`` (default: this
    process); ``progress()`` after each draw. Raises :class:`~fiscal_opt.errors.InputError` for a
    scenario the instance cannot carry, before any solve."""
    job = _job(instance, policy, scenario, draws, options)
    draws = job.draws
    executor = executor or LocalExecutor(1)
    found = [chain[0] for chain in executor.run(_solve_draw, job, [[d] for d in range(draws)], progress)]
    return _gather(found, job, scenario, draws)


def _share(masks: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """The share of ``masks`` true at each place (NaN everywhere when there are none)."""
    return np.mean(masks, axis=0) if masks else np.full(shape, np.nan)


def _gather(found: list[DrawOutcome], job: _Job, scenario: Scenario, draws: int) -> ScenarioResult:
    inst, policy = job.instance, job.policy
    ids = inst.region_ids
    T = len(inst.years)
    rows = [row for outcome in found for row in outcome.rows]
    lead = ["draw", *(f"drawn_{q}" for q in job.national)]
    shape = (len(ids), T)
    table = pd.DataFrame(rows, columns=table_columns(rows, lead + COLUMNS + [
        c for c in dict.fromkeys(k for row in rows for k in row) if c.startswith(("baseline_", "optimum_",
                                                                                   "out_of_reach_"))]))
    solved = [o for o in found if o.transfer is not None]
    regions = inst.regions[["id", "name", "group", "year"]].reset_index(drop=True)
    stats: dict[str, np.ndarray] = {}
    for name, pick in (("transfer", lambda o: o.transfer), ("special_fund", lambda o: o.special_fund)):
        stack = np.stack([pick(o) for o in solved]) if solved else np.full((1, *shape), np.nan)
        stats[f"{name}_mean"] = stack.mean(axis=0)
        for q, value in zip(PERCENTILES, np.percentile(stack, PERCENTILES, axis=0)):
            stats[f"{name}_p{q}"] = value
    with_base = [o.baseline_transfer for o in found if o.baseline_transfer is not None]
    stats["baseline_transfer_mean"] = np.mean(with_base, axis=0) if with_base else np.full(shape, np.nan)
    rules = list(dict.fromkeys(reported(policy) + [n for o in solved for n in o.binding_rules]))
    for rule in rules:
        stats[f"binds_{rule}"] = _share([o.binds.get(rule, np.zeros(shape, bool)) for o in solved], shape)
    judged = [n for n in JUDGED if any(n in o.baseline_breaks for o in found)]
    for name in judged:
        stats[f"baseline_breaks_{name}"] = _share([o.baseline_breaks[name] for o in found if name in o.baseline_breaks],
                                                  shape)
        stats[f"optimum_breaks_{name}"] = _share([o.optimum_breaks[name] for o in solved], shape)
        if any(name in o.out_of_reach for o in found):
            stats[f"out_of_reach_{name}"] = _share([o.out_of_reach[name] for o in found if name in o.out_of_reach],
                                                   shape)
    regions = pd.concat([regions, pd.DataFrame({k: v.reshape(-1) for k, v in stats.items()})], axis=1)
    binding_draws = {rule: sum(bool(o.binds.get(rule, np.zeros(1, bool)).any()) for o in solved) for rule in rules}
    rule_table = pd.DataFrame({"rule": rules, "draws_binding": [binding_draws[r] for r in rules],
                               "probability": [binding_draws[r] / len(solved) if solved else np.nan for r in rules]})
    statuses = {s: sum(o.status == s for o in found) for s in dict.fromkeys(o.status for o in found)}
    total = table.groupby("draw", sort=True)["weighted_shortfall"].sum(min_count=1).dropna()
    spec = scenario.spec
    summary = {
        "scenario": spec.name, "description": spec.description, "seed": spec.seed, "draws": draws,
        "instance": inst.name, "policy": policy.name, "money_unit": inst.money_unit,
        "changes": {k: v for k, v in spec.changes.model_dump().items() if v is not None},
        "uncertain": {q: {k: v for k, v in d.model_dump().items() if v is not None} for q, d in spec.uncertain.items()},
        "status": statuses,
        "weighted_shortfall": _spread(total.to_numpy()),
        "weighted_shortfall_unit": f"{inst.money_unit}, priority-weighted, summed over the years",
        "rules_binding": {r: binding_draws[r] / len(solved) if solved else None for r in rules},
        "breaks": {name: {"level": rule_named(name).value(job.judge),  # type: ignore[union-attr]
                          "formula_baseline": _draw_share([name in o.baseline_breaks and o.baseline_breaks[name].any()
                                                           for o in found]),
                          "optimum": _draw_share([o.optimum_breaks[name].any() for o in solved]),
                          "optimum_infeasible": statuses.get("infeasible", 0) / draws,
                          "out_of_reach": _draw_share([bool(o.out_of_reach[name].any()) for o in found
                                                       if name in o.out_of_reach])}
                   for name in judged},
    }
    return ScenarioResult(table, regions, rule_table, summary)


def _spread(values: np.ndarray) -> dict[str, float | None]:
    """Mean and the :data:`PERCENTILES` of ``values`` (``None`` when there are none)."""
    if not values.size:
        return {"mean": None, **{f"p{q}": None for q in PERCENTILES}}
    return {"mean": float(values.mean()), **{f"p{q}": float(v) for q, v in zip(PERCENTILES,
                                                                                np.percentile(values, PERCENTILES))}}


def _draw_share(flags: list[bool]) -> float | None:
    return float(np.mean(flags)) if flags else None
