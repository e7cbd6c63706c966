"""Places and flows of people (MODEL-v2 §11–12) for a synthetic instance, calibrated on the
flagship capacity instance (instances/china-2020-capacity.yaml, its 31 provinces in 2020).

:func:`with_places` gives every service of a :class:`~.synthetic.GeneratedInstance` places at the
start (region column ``places_<service>``), the flagship's capital costs, lead times, depreciation
and upkeep, the regions' own capital (``local_capital``), a central capital fund, and net flows of
people per region and year (``<name>.flows.csv``, written by :func:`~.synthetic.write_instance`).

A place serves one beneficiary (the generator's services have a take-up of 1); what a place
costs to build and to keep idle is the flagship's, relative to the unit cost of the service (a bed
costs 3.7 years of a bed-equivalent's health spending there, so a place here costs 3.7 years of
the generated health unit cost).
docs/generator.md ("Places and flows") lists what is calibrated and what is assumed. Pure numpy,
deterministic (its own random stream, so the rest of the instance is unchanged).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .synthetic import DECIMALS, SERVICE_DRIVERS, GeneratedInstance

LOG_RATIO = {"education": (-0.016699, 0.067292), "health": (-0.005814, 0.157618)}
"""Calibrated: mean and standard deviation over the 31 provinces of log(places / demand) in 2020 —
school places (2019 pupils) per school-age child, beds per resident in a bed at once."""
RATIO_CORRELATION = 0.377
"""Calibrated: the correlation of the two log ratios over the provinces."""
ASSUMED_LOG_RATIO = {"elderly": (0.0, 0.067292), "housing": (-0.016699, 0.067292)}
"""ASSUMPTION: elderly-care places as many as residents 65+ on average (as the flagship) and
housing places as many school places per child, both spread like school places."""

PLACE_KEYS = {
    "education": {"capital_years": 60_000 / 22_684, "lead_time": 2, "depreciation": 0.02, "idle_share": 1_500 / 22_684},
    "health": {"capital_years": 800_000 / 214_092, "lead_time": 3, "depreciation": 0.025,
               "idle_share": 20_000 / 214_092},
    "elderly": {"capital_years": 30_000 / 16_578, "lead_time": 1, "depreciation": 0.02, "idle_share": 1_500 / 16_578},
    "housing": {"capital_years": 10.0, "lead_time": 2, "depreciation": 0.02, "idle_share": 0.1},
}
"""A new place's capital cost in years of the service's unit cost, its upkeep idle as a share of
the unit cost, lead time (years) and depreciation (share a year): the flagship's assumptions (its
capital and idle costs over its unit cost per person served); housing, not in the flagship,
ASSUMPTION: a place of public rental housing costs ten years of the housing service, its upkeep
idle a tenth of a year's."""
CONVERSION = {"education": {"elderly": {"cost_years": 15_000 / 22_684, "max_share": 0.3, "lead_time": 1}}}
"""The flagship's conversion of school places into elderly-care places, its cost in years of the
education unit cost."""
LOCAL_CAPITAL_SHARE = 0.02
"""The flagship's own capital for places: 2 % of fiscal capacity a year."""
CAPITAL_FUND_SHARE = 1_000 / 31_000
"""The flagship's capital fund (1,000 亿元 a year) over its first-year special fund."""
NET_FLOW = (-0.000432, 0.008690)
"""Calibrated: mean and standard deviation over the provinces of the yearly net flow per resident
of the flagship's scenario (the 2010–2020 change of shares continued); each region's rate is drawn
once and applied every year from the second, then centred so that the flows add up to 0."""


def with_places(generated: GeneratedInstance, seed: int = 0) -> GeneratedInstance:
    """``generated`` with places on every service and net flows of people (see the module docstring).

    Places at the start are ratio × the first year's driver (persons), rounded; ``local_capital``
    and the capital fund are money_unit. The flows table (``region``, ``year``, ``persons``) has one
    row per region and year from the second year; a one-year instance has no flows.
    """
    rng = np.random.default_rng([seed, 11])
    spec, table = generated.instance, generated.regions.copy()
    services = list(spec["services"])
    years = list(spec["years"])
    n = len(table) // len(years)
    first = table.iloc[:: len(years)]
    z = rng.standard_normal((n, 2))
    z[:, 1] = RATIO_CORRELATION * z[:, 0] + np.sqrt(1 - RATIO_CORRELATION ** 2) * z[:, 1]
    draws = {"education": z[:, 0], "health": z[:, 1], "elderly": rng.standard_normal(n),
             "housing": rng.standard_normal(n)}
    new_services = {}
    for s in services:
        mean, sd = (LOG_RATIO | ASSUMED_LOG_RATIO)[s]
        driver = first[SERVICE_DRIVERS[s]].to_numpy(dtype=float)
        table[f"places_{s}"] = np.repeat(np.round(np.exp(mean + sd * draws[s]) * driver), len(years))
        unit, keys = float(spec["services"][s]["unit_cost"]), PLACE_KEYS[s]
        keys = {"capital_cost": round(keys["capital_years"] * unit, 2), "lead_time": keys["lead_time"],
                "depreciation": keys["depreciation"], "idle_cost": round(keys["idle_share"] * unit, 2)}
        conversions = {t: {"cost": round(c["cost_years"] * unit, 2), "max_share": c["max_share"],
                           "lead_time": c["lead_time"]}
                       for t, c in CONVERSION.get(s, {}).items() if t in services}
        new_services[s] = spec["services"][s] | {"capacity": f"places_{s}", **keys} | (
            {"convert_to": conversions} if conversions else {})
    table["local_capital"] = np.round(LOCAL_CAPITAL_SHARE * table["fiscal_capacity"], DECIMALS)
    fund = spec["budget"]["special_fund"]
    first_fund = fund[years[0]] if isinstance(fund, dict) else fund
    budget = spec["budget"] | {"capital_fund": round(CAPITAL_FUND_SHARE * first_fund, 4)}
    instance = spec | {"services": new_services, "budget": budget}
    flows = _net_flows(first, years, rng)  # write_instance adds the instance's `migration` key
    instance["description"] = spec["description"] + (
        " With places on every service and net flows of people calibrated on the flagship capacity instance.")
    return replace(generated, instance=instance, regions=table, flows=flows)


def _net_flows(first: pd.DataFrame, years: list[int], rng: np.random.Generator) -> pd.DataFrame | None:
    """Net persons arriving per region and year from the second year (:data:`NET_FLOW`)."""
    if len(years) < 2:
        return None
    pop = first["population"].to_numpy(dtype=float)
    rate = NET_FLOW[0] + NET_FLOW[1] * rng.standard_normal(len(pop))
    yearly = rate * pop
    yearly -= pop * yearly.sum() / pop.sum()  # the flows add up to 0, shared by population
    persons = np.round(yearly)
    later = years[1:]
    return pd.DataFrame({"region": np.repeat(first["id"].to_numpy(), len(later)),
                         "year": np.tile(later, len(pop)), "persons": np.repeat(persons, len(later))})

