"""Pydantic models of instance files: what users may write, and the messages they see.

Every model forbids unknown keys (the loader adds a "did you mean" hint) and is frozen. The
policy file's model is assembled from the rule registry (:mod:`fiscal_opt.rules.policy`).
Numbers are strict: ``"12"`` or ``true`` are not numbers. Money is in the instance's
``money_unit``; unit costs are yuan per beneficiary per year.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator, model_validator

from ..rules.policy import PolicyFile
from .values import NonNegative, Share, Strict, Year, YearValue


class Service(Strict):
    """One basic public service (MODEL.md §2): who it serves and what it costs."""

    driver: str
    unit_cost: YearValue
    local_funding: str | None = None
    local_share: Share | None = None
    take_up: Share = 1.0
    weight: NonNegative = 1.0
    central_share_cap: Share | str | None = None

    @model_validator(mode="after")
    def _one_local(self) -> Service:
        if self.local_funding is not None and self.local_share is not None:
            raise ValueError("give local_funding (a region column) or local_share, not both")
        return self


class Budget(Strict):
    """Special fund B_t and incentive pool I_t, in money_unit per year."""

    special_fund: YearValue | None = None
    incentive_pool: YearValue = 0.0


class Incentive(Strict):
    """How the incentive pool is shared: basis column × reform score, with flexibility ν."""

    basis: str = "migrants"
    min_score: Share = 0.0
    flexibility: Share = 0.0


class InstanceFile(Strict):
    """The top level of an instance file (INSTANCE.md)."""

    name: str
    description: str = ""
    money_unit: Literal["yuan", "10k_yuan", "100m_yuan"]
    years: list[Year] | None = None
    regions: list[dict[str, Any]] | None = None
    regions_csv: str | None = None
    services: dict[str, Service]
    budget: Budget
    incentive: Incentive = Incentive()
    policy: str | PolicyFile | None = None

    @field_validator("services")
    @classmethod
    def _some_service(cls, services: dict[str, Service]) -> dict[str, Service]:
        if not services:
            raise ValueError("is empty: name at least one service")
        return services

    @field_validator("years")
    @classmethod
    def _increasing(cls, years: list[int] | None) -> list[int] | None:
        if years is not None:
            if not years:
                raise ValueError("is empty: list at least one year or leave the key out")
            if len(set(years)) != len(years) or sorted(years) != years:
                raise ValueError(f"must be increasing and distinct, not {years}")
        return years

    @model_validator(mode="after")
    def _shape(self) -> InstanceFile:
        if (self.regions is None) == (self.regions_csv is None):
            raise ValueError("give the regions either inline (`regions:`) or as `regions_csv:`, exactly one")
        return self
