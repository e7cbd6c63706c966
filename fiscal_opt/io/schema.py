"""Pydantic models of instance files: what users may write, and the messages they see.

Every model forbids unknown keys (the loader adds a "did you mean" hint) and is frozen. The
policy file's model is assembled from the rule registry (:mod:`fiscal_opt.rules.policy`).
Numbers are strict: ``"12"`` or ``true`` are not numbers. Money is in the instance's
``money_unit``; unit costs are yuan per beneficiary per year. Amounts are at most
:data:`~fiscal_opt.io.values.MAX_NUMBER`; an instance has at most :data:`MAX_YEARS` years and
:data:`MAX_SERVICES` services.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from ..rules.policy import PolicyFile
from .values import Amount, Cap, Share, Strict, Year, YearValue

MAX_YEARS = 200
"""Years an instance may list at the most."""
MAX_REGION_YEARS = 1_000_000
"""Regions × years an instance may have at the most (40,000 townships over 25 years)."""
MAX_SERVICES = 1000
"""Services an instance may name at the most (the national standard of basic public services lists
about 80)."""


def _name_text(value: Any) -> Any:
    """A name written as a whole number (a service ``1``) is the text it was written as."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


ServiceName = Annotated[str, BeforeValidator(_name_text)]

MAX_LEAD_TIME = 50
"""Years from the start of building to use, at the most."""
LeadTime = Annotated[int, Field(strict=True, ge=0, le=MAX_LEAD_TIME)]
"""Whole years from the start of building (or converting) a place to its first year of use."""


def _at_most(limit: int, what: str) -> Any:
    """Refuse a list or mapping longer than ``limit`` before its items are looked at."""
    def check(value: Any) -> Any:
        if isinstance(value, (list, dict)) and len(value) > limit:
            raise ValueError(f"lists {len(value):,} {what}; an instance has at most {limit:,}")
        return value
    return BeforeValidator(check)


class Conversion(Strict):
    """Idle places of one service that may become places of another (MODEL-v2 §11): ``cost`` yuan
    per converted place (× cost index), at most ``max_share`` of the service's places at the start
    over the whole horizon, in use ``lead_time`` years after the conversion starts."""

    cost: Amount
    max_share: Share
    lead_time: LeadTime = 0


CAPACITY_KEYS = ("capital_cost", "lead_time", "depreciation", "idle_cost", "convert_to")
"""Service keys that only mean something for a service with places (``capacity``)."""


class Service(Strict):
    """One basic public service (MODEL.md §2): who it serves and what it costs; with ``capacity``
    (MODEL-v2 §11) also the places that serve it, what new places cost and how long they take."""

    driver: str
    unit_cost: YearValue
    local_funding: str | None = None
    local_share: Share | None = None
    take_up: Share = 1.0
    weight: Amount = 1.0
    central_share_cap: Cap | str | None = None
    capacity: str | None = None
    """Region column: places at the start (persons served at once), at the end of the year before
    the first year."""
    capital_cost: Amount | None = None
    """Yuan per new place (× cost index)."""
    lead_time: LeadTime = 0
    depreciation: Share = 0.0
    """Share of places lost each year."""
    idle_cost: Amount = 0.0
    """Yuan per idle place per year (upkeep, × cost index)."""
    convert_to: dict[ServiceName, Conversion] = {}

    @model_validator(mode="after")
    def _one_local(self) -> Service:
        if self.local_funding is not None and self.local_share is not None:
            raise ValueError("give local_funding (a region column) or local_share, not both")
        if self.capacity is None:
            given = [key for key in CAPACITY_KEYS if key in self.model_fields_set]
            if given:
                raise ValueError(f"{', '.join(given)} describe places: give `capacity` (the region column of places "
                                 "at the start) or leave them out")
        elif self.capital_cost is None:
            raise ValueError("a service with `capacity` needs `capital_cost`: yuan per new place (0 if new places "
                             "cost nothing)")
        return self


class Budget(Strict):
    """Special fund B_t and incentive pool I_t, in money_unit per year."""

    special_fund: YearValue | None = None
    incentive_pool: YearValue = 0.0
    capital_fund: YearValue | None = None
    """B^K_t: central capital grants for new and converted places (MODEL-v2 §11), money_unit."""


class Migration(Strict):
    """Flows of people between regions (MODEL-v2 §12), from a CSV relative to the instance file:
    an origin–destination table or net flows per region, exactly one."""

    migration_csv: str | None = None
    net_csv: str | None = None

    @model_validator(mode="after")
    def _one_table(self) -> Migration:
        if (self.migration_csv is None) == (self.net_csv is None):
            raise ValueError("give the flows either as `migration_csv` (origin, destination, year, persons) or as "
                             "`net_csv` (region, year, persons), exactly one")
        return self


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
    years: Annotated[list[Year] | None, _at_most(MAX_YEARS, "years")] = None
    regions: list[dict[str, Any]] | None = None
    regions_csv: str | None = None
    services: Annotated[dict[ServiceName, Service], _at_most(MAX_SERVICES, "services")]
    budget: Budget
    incentive: Incentive = Incentive()
    migration: Migration | None = None
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
