"""Derived quantities of MODEL.md §3 as numpy arrays indexed by (region, service, year).

Arrays of shape (R, T) are per region × year, (R, S, T) per region × service × year, in the
instance's region order, service order and year order. Money is in the instance's ``money_unit``,
populations in persons, shares as fractions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .baseline import formula_incentive
from .capacity import CapacityParams
from ..io.instance import Instance, Policy
from ..io.migration import evolve, net_flow


@dataclass(frozen=True, eq=False)
class Params:
    """Everything the model and the baseline need, as arrays (see the module docstring)."""

    region_ids: np.ndarray
    names: np.ndarray
    groups: np.ndarray
    services: tuple[str, ...]
    years: tuple[int, ...]
    money_unit: str
    population: np.ndarray        # P (R, T), persons
    migrants: np.ndarray          # M (R, T), persons
    fiscal_capacity: np.ndarray   # F (R, T), money
    reform_score: np.ndarray      # π (R, T)
    prior_transfer: np.ndarray | None  # X⁰ (R,), money; None when the instance has none
    standard_cost: np.ndarray     # C (R, S, T), money
    local_funding: np.ndarray     # L (R, S, T), money
    gap: np.ndarray               # G (R, S, T), money
    ceiling: np.ndarray           # U (R, S, T), money
    difficulty: np.ndarray        # d (R, T) in [0, 1]
    migrant_share: np.ndarray     # m (R, T)
    priority: np.ndarray          # p (R, T)
    weight: np.ndarray            # w (R, S, T)
    basis: np.ndarray             # E (R, T): the incentive basis column
    incentive_basis: np.ndarray   # e (R, T) = π·E where π ≥ min_score
    formula_incentive: np.ndarray  # ȳ (R, T), money
    special_fund: np.ndarray | None  # B (T,), money
    incentive_pool: np.ndarray    # I (T,), money
    flexibility: float            # ν
    columns: dict[str, np.ndarray]  # every numeric region column (R, T), after any flows of people
    capacity: CapacityParams | None = None  # places (MODEL-v2 §11); None when no service has any
    migration: np.ndarray | None = None  # net persons arriving (R, T) by the flows (MODEL-v2 §12)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(regions, services, years)."""
        return self.standard_cost.shape  # type: ignore[return-value]


def _by_year(instance: Instance, column: str, default: float = np.nan) -> np.ndarray:
    """A region column as an (R, T) array (the instance's rows are region-major, years ascending);
    a missing column or a blank cell takes ``default``. The loader and :func:`fiscal_opt.io.check.check`
    have made sure that every column the model needs without a default is there and complete."""
    shape = (len(instance.regions) // len(instance.years), len(instance.years))
    if column not in instance.regions.columns:
        return np.full(shape, default)
    values = instance.regions[column].to_numpy(dtype=float)
    return np.where(np.isnan(values), default, values).reshape(shape)


def _year_values(value: float | dict[int, float], years: tuple[int, ...]) -> np.ndarray:
    if isinstance(value, dict):
        return np.array([float(value[y]) for y in years])
    return np.full(len(years), float(value))


def _people(instance: Instance) -> dict[str, np.ndarray]:
    """The counts of persons the flows of people move (MODEL-v2 §12), after the flows (R, T):
    ``population``, ``migrants``, the services' drivers and the incentive basis. Empty without flows."""
    if instance.migration is None:
        return {}
    names = ["population", "migrants", *(s.driver for s in instance.services.values()), instance.incentive.basis]
    columns = [c for c in dict.fromkeys(names) if c in instance.regions.columns
               and instance.regions[c].dtype.kind == "f"]
    return evolve({c: _by_year(instance, c, 0.0) for c in columns}, instance.migration)[0]


def derive(instance: Instance, policy: Policy) -> Params:
    """Compute MODEL.md §3 from a validated instance under a policy (vectorised, no I/O); with flows
    of people, every count of persons they move is taken after the flows, year by year."""
    years = instance.years
    services = tuple(instance.services)
    people = _people(instance)

    def persons(column: str, default: float = np.nan) -> np.ndarray:
        return people[column] if column in people else _by_year(instance, column, default)

    pop = persons("population")
    fiscal = _by_year(instance, "fiscal_capacity")
    migrants = persons("migrants")
    cost_index = _by_year(instance, "cost_index", 1.0)
    region_cap = _by_year(instance, "central_share_cap", 1.0)
    per_yuan = 1.0 / instance.yuan_per_unit
    R, T, S = pop.shape[0], len(years), len(services)
    cost = np.empty((R, S, T))
    local = np.empty((R, S, T))
    cap = np.empty((R, S, T))
    weight_s = np.empty(S)
    demand = np.empty((R, S, T))
    for j, (name, svc) in enumerate(instance.services.items()):
        driver = persons(svc.driver)
        demand[:, j, :] = svc.take_up * driver
        unit = _year_values(svc.unit_cost, years)
        cost[:, j, :] = unit[None, :] * cost_index * svc.take_up * driver * per_yuan
        if svc.local_funding is not None:
            local[:, j, :] = _by_year(instance, svc.local_funding)
        else:
            local[:, j, :] = (svc.local_share or 0.0) * fiscal
        if isinstance(svc.central_share_cap, str):
            cap[:, j, :] = _by_year(instance, svc.central_share_cap)
        elif svc.central_share_cap is not None:
            cap[:, j, :] = svc.central_share_cap
        else:
            cap[:, j, :] = region_cap
        weight_s[j] = svc.weight
    gap = np.maximum(0.0, cost - local)
    ceiling = np.minimum(gap, cap * cost)
    national = fiscal.sum(axis=0) / pop.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):  # no fiscal capacity anywhere: nobody is weaker
        relative = np.where(national[None, :] > 0, (fiscal / pop) / national[None, :], 1.0)
    difficulty = np.maximum(0.0, 1.0 - relative)
    share = migrants / pop
    eta = policy.priority
    if eta.form == "product":
        priority = (1.0 + eta.fiscal_difficulty * difficulty) * (1.0 + eta.migrant_share * share)
    else:
        priority = 1.0 + eta.fiscal_difficulty * difficulty + eta.migrant_share * share
    weight = weight_s[None, :, None] * priority[:, None, :]
    pool = np.asarray(instance.incentive_pool, dtype=float)
    score = _by_year(instance, "reform_score", 0.0)
    basis = persons(instance.incentive.basis, 0.0)
    e = np.where(score >= instance.incentive.min_score, score * basis, 0.0)
    prior = instance.regions.groupby("id", sort=False)["prior_transfer"].first().to_numpy(dtype=float) \
        if "prior_transfer" in instance.regions.columns else None
    regions = instance.regions.iloc[:: len(years)]
    return Params(
        region_ids=regions["id"].to_numpy(dtype=str), names=regions["name"].to_numpy(dtype=str),
        groups=regions["group"].to_numpy(dtype=str), services=services, years=years,
        money_unit=instance.money_unit, population=pop, migrants=migrants, fiscal_capacity=fiscal,
        reform_score=score, prior_transfer=prior, standard_cost=cost, local_funding=local, gap=gap,
        ceiling=ceiling, difficulty=difficulty, migrant_share=share, priority=priority, weight=weight,
        basis=basis, incentive_basis=e, formula_incentive=formula_incentive(e, pool),
        special_fund=instance.special_fund, incentive_pool=pool, flexibility=instance.incentive.flexibility,
        columns={c: people[c] if c in people else _by_year(instance, c) for c in instance.regions.columns
                 if c not in ("id", "year") and instance.regions[c].dtype.kind == "f"},
        capacity=_capacity(instance, demand, cost_index, cap) if instance.has_places else None,
        migration=None if instance.migration is None else net_flow(instance.migration, R, T))


def _first_year(instance: Instance, column: str) -> np.ndarray:
    """A region column's value in each region's first-year row (R,)."""
    return instance.regions.groupby("id", sort=False)[column].first().to_numpy(dtype=float)


def _capacity(instance: Instance, demand: np.ndarray, cost_index: np.ndarray, share_cap: np.ndarray) -> CapacityParams:
    """The places of MODEL-v2 §11 as arrays (see :class:`~fiscal_opt.model.capacity.CapacityParams`):
    costs in yuan become money_unit and take the region's cost index."""
    R, S, T = demand.shape
    per_yuan = 1.0 / instance.yuan_per_unit
    names = list(instance.services)
    mask = np.array([svc.capacity is not None for svc in instance.services.values()])
    start = np.zeros((R, S))
    unit, idle, build = (np.zeros((R, S, T)) for _ in range(3))
    lead, depreciation = np.zeros(S, dtype=np.int64), np.zeros(S)
    conv_from, conv_to, conv_costs, conv_share, conv_lead = [], [], [], [], []
    kappa = cost_index * per_yuan
    for j, svc in enumerate(instance.services.values()):
        unit[:, j, :] = _year_values(svc.unit_cost, instance.years)[None, :] * kappa
        if svc.capacity is None:
            continue
        start[:, j] = _first_year(instance, svc.capacity)
        idle[:, j, :] = svc.idle_cost * kappa
        build[:, j, :] = float(svc.capital_cost or 0.0) * kappa
        lead[j], depreciation[j] = svc.lead_time, svc.depreciation
        for target, conversion in svc.convert_to.items():
            conv_from.append(j)
            conv_to.append(names.index(target))
            conv_costs.append(conversion.cost * kappa)
            conv_share.append(conversion.max_share)
            conv_lead.append(conversion.lead_time)
    return CapacityParams(
        mask=mask, start=start, demand=demand, unit=unit, idle=idle, build=build, lead=lead,
        depreciation=depreciation, conv_from=np.array(conv_from, dtype=np.int64),
        conv_to=np.array(conv_to, dtype=np.int64),
        conv_cost=np.stack(conv_costs, axis=1) if conv_costs else np.zeros((R, 0, T)),
        conv_share=np.array(conv_share, dtype=float), conv_lead=np.array(conv_lead, dtype=np.int64),
        local_capital=_by_year(instance, "local_capital", 0.0), share_cap=share_cap,
        fund=instance.capital_fund)
