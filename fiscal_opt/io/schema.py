"""Pydantic models of instance and policy files: what users may write, and the messages they see.

Every model forbids unknown keys (the loader adds a "did you mean" hint) and is frozen.
Numbers are strict: ``"12"`` or ``true`` are not numbers. Money is in the instance's
``money_unit``; unit costs are yuan per beneficiary per year.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, StrictBool, BeforeValidator, ConfigDict, Field, field_validator, model_validator

MONEY_UNITS: dict[str, float] = {"yuan": 1.0, "10k_yuan": 1e4, "100m_yuan": 1e8}
"""Yuan per one unit of each accepted ``money_unit``."""

OBJECTIVES = ("weighted_shortfall", "max_min_coverage", "leximin_coverage", "min_budget")

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
Share = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
Year = Annotated[int, Field(strict=True, ge=0, le=9999)]
YearValue = NonNegative | dict[Year, NonNegative]
"""A number that holds for every year, or a map ``{year: number}``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _number_to_rule(value: Any) -> Any:
    """``0.6`` is shorthand for ``{value: 0.6}``."""
    return {"value": value} if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class Rule(_Strict):
    """A policy rule with one parameter; ``soft`` lets it bend at ``soft_penalty`` per unit."""

    value: NonNegative
    soft: StrictBool = False


RuleSpec = Annotated[Rule, BeforeValidator(_number_to_rule)]


class HoldHarmless(_Strict):
    """Limits on how fast a region's transfer X (special + incentive) may change year on year."""

    max_cut: Share | None = None
    max_rise: NonNegative | None = None
    soft: StrictBool = False


class Priority(_Strict):
    """η_d and η_m of MODEL.md §3: p = 1 + η_d·d + η_m·m."""

    fiscal_difficulty: NonNegative = 1.0
    migrant_share: NonNegative = 1.0


class PolicyFile(_Strict):
    """A policy design: the objective and the rules (MODEL.md §5–6)."""

    name: str = "policy"
    description: str = ""
    objective: Literal["weighted_shortfall", "max_min_coverage", "leximin_coverage", "min_budget"] = (
        "weighted_shortfall"
    )
    priority: Priority = Priority()
    min_coverage: RuleSpec | None = None
    per_capita_floor: RuleSpec | None = None
    max_disparity_ratio: RuleSpec | None = None
    gini_max: RuleSpec | None = None
    mean_deviation_max: RuleSpec | None = None
    hold_harmless: HoldHarmless | None = None
    soft_penalty: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] = 1000.0

    @field_validator("min_coverage", "per_capita_floor", "gini_max", "mean_deviation_max")
    @classmethod
    def _share(cls, rule: Rule | None) -> Rule | None:
        # one validator per key, so that each rule out of range is reported under its own key
        if rule is not None and rule.value > 1:
            raise ValueError(f"is a share and must be between 0 and 1 (got {rule.value:g})")
        return rule

    @field_validator("max_disparity_ratio")
    @classmethod
    def _ratio(cls, rule: Rule | None) -> Rule | None:
        if rule is not None and rule.value < 1:
            raise ValueError(f"is max/min and must be at least 1 (got {rule.value:g})")
        return rule


class Service(_Strict):
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


class Budget(_Strict):
    """Special fund B_t and incentive pool I_t, in money_unit per year."""

    special_fund: YearValue | None = None
    incentive_pool: YearValue = 0.0


class Incentive(_Strict):
    """How the incentive pool is shared: basis column × reform score, with flexibility ν."""

    basis: str = "migrants"
    min_score: Share = 0.0
    flexibility: Share = 0.0


class InstanceFile(_Strict):
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
