"""The result object: pandas tables, equity metrics, the summary, and ``write()``.

Knows nothing of how the answer was found. Money columns are in the instance's ``money_unit``;
per-capita and per-migrant columns are in yuan per person (a money_unit per person would be
unreadably small in 亿元); shares are fractions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..io.instance import Instance, Policy
from .metrics import inequality_table
from .places import by_region, coverage_before, money_with_people, people_moved, places_table, summary_section
from ..model.capacity import CapacityPlan, covered as _covered
from ..model.params import Params

if TYPE_CHECKING:
    from ..report.charts import Plots
    from ..solver.solution import Solution
    from .statistics import Statistics


COMPARISON_PREFIX = "actual_"
"""Region columns named ``actual_…`` (money_unit, e.g. ``actual_transfer``: the central transfers a
region really received) are carried into regions.csv beside the optimum and the formula."""


def _per(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


@dataclass(eq=False)
class Result:
    """One solved instance under one policy, with the formula baseline beside it."""

    instance: Instance
    policy: Policy
    params: Params
    solution: Solution
    baseline_special_fund: np.ndarray
    baseline_incentive: np.ndarray
    residuals: dict[str, float]
    baseline_breaks: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    """Facts an analysis adds to summary.json (``design-formula``: the price of transparency)."""
    baseline_plan: CapacityPlan | None = None
    """The formula baseline's places (MODEL-v2 §11): the places at the start, nothing built."""

    @property
    def status(self) -> str:
        return self.solution.status

    @cached_property
    def allocations(self) -> pd.DataFrame:
        """One row per region × year × service (INSTANCE.md ``allocations.csv``)."""
        p, x = self.params, self.solution.special_fund
        R, S, T = p.shape
        r, s, t = (a.ravel() for a in np.meshgrid(np.arange(R), np.arange(S), np.arange(T), indexing="ij"))
        C, L, G, U = (a.ravel() for a in (p.standard_cost, p.local_funding, p.gap, p.ceiling))
        xs = x.ravel()
        frame = pd.DataFrame({
            "region": p.region_ids[r], "year": np.array(p.years)[t], "service": np.array(p.services)[s],
            "standard_cost": C, "local_funding": L, "gap": G, "ceiling": U, "special_fund": xs,
            "shortfall": G - xs, "coverage_before": _per(L, C), "coverage_after": _per(L + xs, C),
            "weight": p.weight.ravel(), "baseline_special_fund": self.baseline_special_fund.ravel()})
        plan = self.solution.plan
        if p.capacity is not None and plan is not None:  # coverage of a service with places: served ÷ demand
            with_places = np.broadcast_to(p.capacity.mask[None, :, None], p.shape).ravel()
            covered = _covered(p, x, plan.served).ravel()
            base = self.baseline_plan.served if self.baseline_plan is not None else np.zeros(p.shape)
            frame["shortfall"] = np.where(with_places, C - covered, G - xs)
            frame["coverage_before"] = coverage_before(self).ravel()
            frame["coverage_after"] = _per(covered, C)
            frame["baseline_coverage"] = _per(_covered(p, self.baseline_special_fund, base).ravel(), C)
            frame["served"] = np.where(with_places, plan.served.ravel(), np.nan)
            frame["demand"] = np.where(with_places, p.capacity.demand.ravel(), np.nan)
        return frame.sort_values(["region", "year", "service"], kind="stable", key=_stable_key(p)) \
            .reset_index(drop=True)

    @cached_property
    def regions(self) -> pd.DataFrame:
        """One row per region × year (INSTANCE.md ``regions.csv``)."""
        p, sol = self.params, self.solution
        R, S, T = p.shape
        r, t = (a.ravel() for a in np.meshgrid(np.arange(R), np.arange(T), indexing="ij"))
        special = sol.special_fund.sum(axis=1)
        transfer = special + sol.incentive
        yuan = self.instance.yuan_per_unit
        P, M, F = p.population, p.migrants, p.fiscal_capacity
        frame = pd.DataFrame({
            "region": p.region_ids[r], "name": p.names[r], "group": p.groups[r], "year": np.array(p.years)[t],
            "special_fund": special.ravel(), "incentive": sol.incentive.ravel(), "transfer": transfer.ravel(),
            "transfer_per_capita": (transfer * yuan / P).ravel(), "transfer_per_migrant": _per(transfer * yuan, M).ravel(),
            "resources_per_capita_before": (F * yuan / P).ravel(),
            "resources_per_capita_after": ((F + transfer) * yuan / P).ravel(),
            "priority": p.priority.ravel(), "baseline_special_fund": self.baseline_special_fund.sum(axis=1).ravel(),
            "baseline_incentive": self.baseline_incentive.ravel(), "population": P.ravel(), "migrants": M.ravel(),
            "fiscal_difficulty": p.difficulty.ravel(), "formula_incentive": p.formula_incentive.ravel(),
            "binding_rules": sol.binding.ravel()})
        if sol.plan is not None:
            frame["capital_grant"] = sol.plan.grant.ravel()
        if p.migration is not None:
            frame["net_migration"] = p.migration.ravel()
            frame["people_moved"] = people_moved(self).ravel()
            frame["money_with_people"] = money_with_people(self).ravel()
        for column in self.instance.regions.columns:  # figures to compare with, as the instance gives them
            if str(column).startswith(COMPARISON_PREFIX):
                frame[column] = pd.to_numeric(self.instance.regions[column], errors="coerce").to_numpy()
        return frame.sort_values(["region", "year"], kind="stable", key=_stable_key(p)).reset_index(drop=True)

    @cached_property
    def metrics(self) -> pd.DataFrame:
        """Equity metrics of per-capita resources by year and state (before / baseline / optimum)."""
        p = self.params
        states = {"before": p.fiscal_capacity,
                  "baseline": p.fiscal_capacity + self.baseline_special_fund.sum(axis=1) + self.baseline_incentive,
                  "optimum": p.fiscal_capacity + self.solution.special_fund.sum(axis=1) + self.solution.incentive}
        rows = []
        for t, year in enumerate(p.years):
            for state, Q in states.items():
                rows.append({"year": year, "state": state} | _safe_table(Q[:, t] / p.population[:, t],
                                                                         p.population[:, t], p.groups))
        return pd.DataFrame(rows)

    @cached_property
    def places(self) -> pd.DataFrame:
        """One row per region × year × service with places (``capacity.csv``, MODEL-v2 §11): places,
        started, ready, converted out, served, demand, idle, coverage, capital spending and grant.
        Empty when no service has places."""
        return places_table(self).sort_values(["region", "year", "service"], kind="stable",
                                              key=_stable_key(self.params)).reset_index(drop=True) \
            if self.solution.plan is not None else pd.DataFrame()

    @cached_property
    def by_region(self) -> pd.DataFrame:
        """One row per region: people gained or lost by the flows, places built and converted, idle
        places in the last year, capital grants, money that moved with the people (MODEL-v2 §12)."""
        return by_region(self)

    @cached_property
    def shadow_prices(self) -> pd.DataFrame:
        """The special-fund budget's shadow price per year: objective change per extra money_unit."""
        sol = self.solution
        return pd.DataFrame({
            "year": list(self.params.years),
            "budget_shadow_price": sol.budget_shadow_price,
            "valid_from": [r[0] if r else None for r in sol.budget_shadow_range],
            "valid_to": [r[1] if r else None for r in sol.budget_shadow_range]})

    @cached_property
    def summary(self) -> dict[str, Any]:
        """The facts of summary.json (INSTANCE.md), plain JSON types."""
        p, sol = self.params, self.solution
        years = [int(y) for y in p.years]
        used_by_year = [float(v) for v in sol.special_fund.sum(axis=(0, 1))]
        budget = list(p.special_fund) if p.special_fund is not None and self.policy.objective != "min_budget" \
            else used_by_year
        metrics: dict[str, dict[str, dict[str, float | None]]] = {}
        for row in self.metrics.to_dict("records"):
            year, state = str(row.pop("year")), row.pop("state")
            metrics.setdefault(year, {})[state] = {k: _json_float(v) for k, v in row.items()}
        paid = self.regions.groupby("year", sort=False)["incentive"].sum()
        return {
            "status": sol.status,
            "objective": _json_float(sol.objective),
            "objective_name": sol.objective_name,
            "objective_unit": self.objective_unit,
            "instance": self.instance.name,
            "policy": self.policy.name,
            "money_unit": self.instance.money_unit,
            "per_capita_unit": "yuan/person",
            "years": years,
            "budget": _by_year(years, budget),
            "budget_used": _by_year(years, used_by_year),
            "budget_unallocated": _by_year(years, [b - u for b, u in zip(budget, used_by_year)]),
            "incentive_pool": _by_year(years, list(p.incentive_pool)),
            "incentive_paid": _by_year(years, [float(paid.loc[y]) for y in p.years]),
            "budget_shadow_price": {str(y): {"value": _json_float(v), "valid_from": _json_float(r[0] if r else None),
                                             "valid_to": _json_float(r[1] if r else None)}
                                    for y, v, r in zip(years, sol.budget_shadow_price, sol.budget_shadow_range)},
            "coverage_levels": [_json_float(v) for v in sol.coverage_levels],
            "level_setters": [{k: _plain(v) for k, v in setter.items()} for setter in sol.level_setters],
            **({"formula_weights": sol.reports["formula"]["weights"]} if "formula" in sol.reports else {}),
            "soft_rule_violations": {name: [{"at": list(map(_plain, lab)), "amount": _json_float(v)} for lab, v in items]
                                     for name, items in sol.slacks.items()},
            "soft_rule_penalties": {name: {"violation": _json_float(sum(v for _, v in sol.slacks[name])),
                                           "penalty": _json_float(paid), "penalty_unit": self.penalty_unit}
                                    for name, paid in sol.penalties.items()},
            "baseline_breaks": self.baseline_breaks,
            "rule_residuals": {k: _json_float(v) for k, v in sorted(self.residuals.items())},
            "metrics": metrics,
            **summary_section(self, _json_float),
            "notes": sol.notes,
            "solver": {k: _plain(v) for k, v in sol.solver.items() if k != "solve_seconds"},
            "timings": {k: round(v, 6) for k, v in self.timings.items()},
            "input_sha256": self.instance.input_sha256,
        } | {key: _plain(value) for key, value in self.extras.items()}

    @property
    def objective_unit(self) -> str:
        """What the objective value is measured in: a share of need for the coverage objectives, else
        money (priority-weighted under ``weighted_shortfall``)."""
        name = self.solution.objective_name
        if name in ("max_min_coverage", "leximin_coverage"):
            return "share of need"
        unit = self.instance.money_unit
        return f"{unit}, summed over the years" if name == "min_budget" else f"{unit}, priority-weighted"

    @property
    def penalty_unit(self) -> str:
        """What the soft-rule penalties are measured in: the objective's own terms."""
        if self.solution.objective_name in ("max_min_coverage", "leximin_coverage"):
            return "coverage points"
        return f"{self.instance.money_unit} of " + ("budget" if self.solution.objective_name == "min_budget"
                                                    else "weighted shortfall")

    def to_pyomo(self) -> Any:
        """The Pyomo model of this result's instance and policy (see :func:`fiscal_opt.to_pyomo`),
        with its ``special_fund`` and ``incentive`` variables set to this answer (money_unit)."""
        from ..model.build import build
        from ..model.pyomo_model import to_pyomo

        f = build(self.params, self.policy)
        model = to_pyomo(f)
        model.instance = self.instance
        x, y = self.solution.special_fund, self.solution.incentive
        for var, value in zip(model.special_fund.values(), x[f.cell_r, f.cell_s, f.cell_t]):
            var.set_value(float(value), skip_validation=True)
        for var, value in zip(model.incentive.values(), y[f.pay_r, f.pay_t]):
            var.set_value(float(value), skip_validation=True)
        return model

    @cached_property
    def region_labels(self) -> pd.DataFrame:
        """One row per region in input order: ``region``, ``name``, ``group``, and ``name_zh`` (the
        Chinese name, falling back to ``name`` where a cell is empty) when the instance has that column."""
        first = self.instance.regions.drop_duplicates("id")
        frame = pd.DataFrame({"region": first["id"].to_numpy(), "name": first["name"].to_numpy(),
                              "group": first["group"].to_numpy()})
        if "name_zh" in first.columns:
            zh = first["name_zh"].astype(str).to_numpy()
            frame["name_zh"] = np.where((zh == "") | (zh == "nan"), frame["name"], zh)
        return frame

    @property
    def statistics(self) -> Statistics:
        """Named summaries: ``res.statistics.transfer(groupby="group")`` or all at once with
        ``res.statistics(groupby="group")`` (see :mod:`fiscal_opt.results.statistics`)."""
        from .statistics import Statistics

        return Statistics(self)

    @property
    def plot(self) -> Plots:
        """The report's charts as matplotlib figures: ``res.plot.lorenz()`` (see
        :mod:`fiscal_opt.report.charts`)."""
        from ..report.charts import Plots

        return Plots(self)

    def write(self, out: str | Path, formats: list[str] | tuple[str, ...] = ("csv", "json", "md"),
              lang: str = "en") -> Path:
        """Write the result files into folder ``out`` atomically, the reports in ``lang`` (``en`` or
        ``zh``); returns the folder."""
        from ..report.write import write_result

        return write_result(self, Path(out), tuple(formats), lang)


def _stable_key(p: Params):
    """Sort by the instance's region order and year order (not alphabetically)."""
    region_pos = {r: i for i, r in enumerate(p.region_ids.tolist())}
    service_pos = {s: i for i, s in enumerate(p.services)}

    def key(col: pd.Series) -> pd.Series:
        if col.name == "region":
            return col.map(region_pos)
        if col.name == "service":
            return col.map(service_pos)
        return col
    return key


def _safe_table(values: np.ndarray, weights: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    try:
        return inequality_table(values, weights, groups)
    except ValueError:
        return {"gini": float("nan"), "theil_t": float("nan"), "theil_l": float("nan"), "cv": float("nan"),
                "max_min_ratio": float("nan")}


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _json_float(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) or math.isinf(v) else v


def _by_year(years: list[int], values: list) -> dict[str, float | None]:
    return {str(y): _json_float(v) for y, v in zip(years, values)}
