"""The results of places and of flows of people (MODEL-v2 §11–12): ``capacity.csv`` (one row per
region × service with places × year), the per-region summary (people gained or lost, places built,
idle places, money that moved with the people) and the parts of summary.json they fill.

Knows nothing of how the answer was found. Places and people in persons; money in money_unit.
The money that moved with the people in a region-year is its transfer per resident times the
people it gained (or, negative, lost) by the flows since the first year: the part of its transfer
that pays for the residents who arrived, or that it no longer receives for those who left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..model.capacity import arriving, baseline_plan, capital_spending

if TYPE_CHECKING:
    from .result import Result


def places_table(result: Result) -> pd.DataFrame:
    """One row per region × year × service with places: ``places`` K at the year's end of building,
    ``started`` (building starts), ``ready`` (new and converted places coming into use),
    ``converted_out``, ``served``, ``demand``, ``idle``, ``coverage`` (served ÷ demand), capital
    ``capital_spending``, ``capital_grant`` (the region-year's grant shared by capital spending),
    ``baseline_served`` (the formula with the places at the start). Empty without places."""
    p, plan = result.params, result.solution.plan
    cp = p.capacity
    if cp is None or plan is None:
        return pd.DataFrame()
    R, S, T = p.shape
    arrive, leave = arriving(cp, plan.started, plan.converted)
    spend = capital_spending(cp, plan.started, plan.converted)
    total = spend.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        grant = np.where(total > 0, plan.grant[:, None, :] * spend / np.where(total > 0, total, 1.0), 0.0)
        coverage = np.where(cp.demand > 0, plan.served / np.where(cp.demand > 0, cp.demand, 1.0), np.nan)
    base = result.baseline_plan.served if result.baseline_plan is not None else np.zeros((R, S, T))
    r, s, t = np.nonzero(np.broadcast_to(cp.mask[None, :, None], (R, S, T)))
    return pd.DataFrame({
        "region": p.region_ids[r], "year": np.array(p.years)[t], "service": np.array(p.services)[s],
        "places": plan.places[r, s, t], "started": plan.started[r, s, t], "ready": arrive[r, s, t],
        "converted_out": leave[r, s, t], "served": plan.served[r, s, t], "demand": cp.demand[r, s, t],
        "idle": plan.idle[r, s, t], "coverage": coverage[r, s, t], "capital_spending": spend[r, s, t],
        "capital_grant": grant[r, s, t], "baseline_served": base[r, s, t]})


def coverage_before(result: Result) -> np.ndarray:
    """Coverage before transfers (R, S, T): L/C, and for a service with places the share of its
    demand that local funding and the places at the start serve."""
    p = result.params
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.where(p.standard_cost > 0, p.local_funding / np.where(p.standard_cost > 0, p.standard_cost, 1.0),
                          np.nan)
        if p.capacity is None:
            return before
        cp = p.capacity
        served = baseline_plan(cp, p.local_funding, np.zeros_like(p.local_funding)).served
        return np.where(cp.mask[None, :, None], np.where(cp.demand > 0, served / np.where(cp.demand > 0, cp.demand,
                                                                                          1.0), np.nan), before)


def people_moved(result: Result) -> np.ndarray:
    """People each region gained (negative: lost) by the flows since the first year (R, T), persons."""
    p = result.params
    if p.migration is None:
        return np.zeros((len(p.region_ids), len(p.years)))
    return np.cumsum(p.migration, axis=1)


def money_with_people(result: Result) -> np.ndarray:
    """The money that moved with the people (R, T), money_unit: transfer per resident × people moved."""
    p, sol = result.params, result.solution
    transfer = sol.special_fund.sum(axis=1) + sol.incentive
    return transfer / p.population * people_moved(result)


def by_region(result: Result) -> pd.DataFrame:
    """One row per region: ``people_gained`` by the last year (negative: lost), ``places_built``
    (started over the horizon) and ``places_converted`` (into another service), ``idle_places`` in
    the last year, ``capital_grant`` over the horizon, ``money_with_people`` summed over years."""
    p, plan = result.params, result.solution.plan
    R = len(p.region_ids)
    moved = people_moved(result)
    frame = pd.DataFrame({"region": p.region_ids, "name": p.names, "group": p.groups,
                          "people_gained": moved[:, -1], "places_built": np.zeros(R), "places_converted": np.zeros(R),
                          "idle_places": np.zeros(R), "capital_grant": np.zeros(R),
                          "money_with_people": money_with_people(result).sum(axis=1)})
    if plan is not None:
        frame["places_built"] = plan.started.sum(axis=(1, 2))
        frame["places_converted"] = plan.converted.sum(axis=(1, 2))
        frame["idle_places"] = plan.idle[:, :, -1].sum(axis=1)
        frame["capital_grant"] = plan.grant.sum(axis=1)
    return frame


def summary_section(result: Result, plain: Any) -> dict[str, Any]:
    """The ``places`` and ``migration`` parts of summary.json (plain JSON types; ``plain`` turns a
    number into one), or nothing when the instance has neither."""
    p, plan = result.params, result.solution.plan
    out: dict[str, Any] = {}
    years = [str(y) for y in p.years]
    if p.capacity is not None and plan is not None:
        cp = p.capacity
        spend = capital_spending(cp, plan.started, plan.converted)
        services = {}
        for s in cp.services:
            name = p.services[s]
            services[name] = {
                "places_at_start": plain(cp.start[:, s].sum()), "places_started": plain(plan.started[:, s].sum()),
                "places_converted_out": plain(plan.converted[:, cp.conv_from == s].sum()),
                "places_converted_in": plain(plan.converted[:, cp.conv_to == s].sum()),
                "places_last_year": plain(plan.places[:, s, -1].sum()),
                "served_last_year": plain(plan.served[:, s, -1].sum()),
                "demand_last_year": plain(cp.demand[:, s, -1].sum()),
                "idle_last_year": plain(plan.idle[:, s, -1].sum())}
        out["places"] = {
            "capital_fund": None if cp.fund is None else dict(zip(years, map(plain, cp.fund))),
            "capital_grant": dict(zip(years, map(plain, plan.grant.sum(axis=0)))),
            "capital_spending": dict(zip(years, map(plain, spend.sum(axis=(0, 1))))),
            "services": services}
    if p.migration is not None or p.capacity is not None:
        table = by_region(result)
        out["by_region"] = [{k: v if isinstance(v, str) else plain(v) for k, v in row.items()}
                            for row in table.to_dict("records")]
    if p.migration is not None:
        flows = result.instance.migration
        out["migration"] = {"persons_in_flows": plain(flows.persons.sum() if flows is not None else 0.0),
                            "net_by_year": dict(zip(years, map(plain, p.migration.sum(axis=0)))),
                            "money_with_people": dict(zip(years, map(plain, money_with_people(result).sum(axis=0))))}
    return out
