"""Places that serve people (MODEL-v2 §11) as numpy: the data of the services with ``capacity``,
and a plan of places (served, places, started, converted, capital grants) with what follows from it.

Timing, in year indices t = 0 … T−1 of the instance:

    K_t = (1 − δ)·K_{t−1} + n_{t−ℓ} + Σ_in v_{t−ℓ'} − Σ_out v_t,   K_{−1} = K⁰ (places at the start)

— places depreciate every year, the first included (K⁰ is the stock at the end of the year before
the first year); a place started in year t serves from year t + ℓ (no place is started before the
first year, and none in the last ℓ years, where it would never serve); a converted place leaves
its service in the year its conversion starts and serves the other ℓ' years later. The whole
capital cost of a place is paid in the year building (or converting) starts. Money is in
money_unit, places and people in persons. Pure numpy, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .params import Params


IDLE_TOLERANCE = 1e-7
"""Idle places below this share of the places are the solver's rounding, not places standing idle."""


@dataclass(frozen=True, eq=False)
class CapacityParams:
    """The services with places and what their places cost (see the module docstring).

    ``mask`` (S,) marks the services with places; ``start`` K⁰ (R, S) persons, 0 for the others;
    ``demand`` a_s·D_rst (R, S, T) persons; ``unit`` c_s·κ_r per person served and ``idle`` ι_s·κ_r per
    idle place a year, ``build`` the capital cost of a new place (R, S, T), money_unit; ``lead`` ℓ_s and
    ``depreciation`` δ_s (S,). Conversion j turns places of ``conv_from[j]`` into places of
    ``conv_to[j]`` at ``conv_cost`` (R, J, T) money_unit a place, at most ``conv_share[j]``·K⁰ over the
    horizon, in use ``conv_lead[j]`` years after it starts. ``local_capital`` (R, T) money_unit a year,
    ``share_cap`` θ_rst (R, S, T) the central share of capital costs, ``fund`` B^K_t (T,) or ``None``
    (no central grants).
    """

    mask: np.ndarray
    start: np.ndarray
    demand: np.ndarray
    unit: np.ndarray
    idle: np.ndarray
    build: np.ndarray
    lead: np.ndarray
    depreciation: np.ndarray
    conv_from: np.ndarray
    conv_to: np.ndarray
    conv_cost: np.ndarray
    conv_share: np.ndarray
    conv_lead: np.ndarray
    local_capital: np.ndarray
    share_cap: np.ndarray
    fund: np.ndarray | None

    @property
    def services(self) -> np.ndarray:
        """Indices of the services with places."""
        return np.flatnonzero(self.mask)

    def can_start(self) -> np.ndarray:
        """(S, T): whether a place of service s started in year t would serve within the horizon."""
        T = self.demand.shape[2]
        return self.mask[:, None] & (np.arange(T)[None, :] + self.lead[:, None] < T)


@dataclass(eq=False)
class CapacityPlan:
    """What a solution (or the formula baseline) does with places, in the instance's units:
    ``served`` q (R, S, T), ``places`` K (R, S, T), ``started`` n (R, S, T, by the year building
    starts) and ``converted`` v (R, J, T, by the year the conversion starts), persons; ``grant`` the
    central capital grant g (R, T), money_unit. Services without places hold zeros."""

    served: np.ndarray
    places: np.ndarray
    started: np.ndarray
    converted: np.ndarray
    grant: np.ndarray

    @property
    def idle(self) -> np.ndarray:
        """Places not serving anyone, K − q (R, S, T), persons; 0 within the solver's tolerance of the
        places (:data:`IDLE_TOLERANCE`)."""
        idle = self.places - self.served
        return np.where(idle > IDLE_TOLERANCE * np.maximum(self.places, 1.0), idle, 0.0)


def arriving(cp: CapacityParams, started: np.ndarray, converted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Places that come into use (R, S, T) and that leave their service by conversion (R, S, T) in
    each year, persons."""
    R, S, T = cp.demand.shape
    arrive = np.zeros((R, S, T))
    leave = np.zeros((R, S, T))
    for s in cp.services:
        lead = int(cp.lead[s])
        if lead < T:
            arrive[:, s, lead:] += started[:, s, :T - lead]
    for j, (a, b, lead) in enumerate(zip(cp.conv_from.tolist(), cp.conv_to.tolist(), cp.conv_lead.tolist())):
        leave[:, a, :] += converted[:, j, :]
        if lead < T:
            arrive[:, b, lead:] += converted[:, j, :T - lead]
    return arrive, leave


def stock(cp: CapacityParams, started: np.ndarray, converted: np.ndarray) -> np.ndarray:
    """Places K (R, S, T) that ``started`` and ``converted`` give, by the balance of the module
    docstring, persons."""
    arrive, leave = arriving(cp, started, converted)
    places = np.zeros_like(arrive)
    previous = cp.start.astype(float)
    for t in range(arrive.shape[2]):
        previous = (1 - cp.depreciation)[None, :] * previous + arrive[:, :, t] - leave[:, :, t]
        places[:, :, t] = previous
    return places * cp.mask[None, :, None]


def capital_spending(cp: CapacityParams, started: np.ndarray, converted: np.ndarray) -> np.ndarray:
    """Capital cost of the places started and converted in each year (R, S, T), money_unit; a
    conversion's cost counts for the service its places become."""
    spend = cp.build * started
    for j, b in enumerate(cp.conv_to.tolist()):
        spend[:, b, :] += cp.conv_cost[:, j, :] * converted[:, j, :]
    return spend


def recurrent_need(cp: CapacityParams, plan: CapacityPlan) -> np.ndarray:
    """Money the served and the idle places cost a year, c·κ·q + ι·κ·(K − q) (R, S, T), money_unit."""
    return cp.unit * plan.served + cp.idle * (plan.places - plan.served)


def baseline_plan(cp: CapacityParams, local: np.ndarray, fund: np.ndarray) -> CapacityPlan:
    """The formula baseline's places: the places at the start, depreciating, nothing built or
    converted; each service with places serves as many of its demand as those places and its money
    (local funding ``local`` plus special fund ``fund``, (R, S, T)) pay for, idle places' upkeep
    first (where upkeep costs at least as much as service, the money does not limit)."""
    R, S, T = cp.demand.shape
    J = len(cp.conv_from)
    places = stock(cp, np.zeros((R, S, T)), np.zeros((R, J, T)))
    money = local + fund
    margin = cp.unit - cp.idle
    with np.errstate(divide="ignore", invalid="ignore"):
        paid = np.where(margin > 0, (money - cp.idle * places) / np.where(margin > 0, margin, 1.0), np.inf)
    served = np.clip(np.minimum(np.minimum(cp.demand, places), paid), 0.0, None) * cp.mask[None, :, None]
    return CapacityPlan(served=served, places=places, started=np.zeros((R, S, T)), converted=np.zeros((R, J, T)),
                        grant=np.zeros((R, T)))


def covered(p: Params, x: np.ndarray, served: np.ndarray | None = None) -> np.ndarray:
    """Money of each cell's standard cost that special fund ``x`` (R, S, T) covers with local
    funding: L + x; for a service with places, the standard cost of the people ``served`` (R, S, T,
    persons), c·κ·q. Without places (or ``served``) exactly L + x."""
    money = p.local_funding + x
    if p.capacity is None or served is None:
        return money
    return np.where(p.capacity.mask[None, :, None], p.capacity.unit * served, money)
