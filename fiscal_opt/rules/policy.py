"""The policy file (MODEL.md §5–6): the objective, the priority weights and one key per rule,
assembled from the rule registry so that a rule's key and schema are declared once, in its module.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, create_model, model_validator

from ..io.values import Strict
from . import RULES

OBJECTIVES = ("weighted_shortfall", "max_min_coverage", "leximin_coverage", "min_budget")


Weight = Annotated[float, Field(strict=True, ge=0, le=1000, allow_inf_nan=False)]
"""A priority weight η: 0 to 1,000 (a weight of 1,000 already puts one factor far above the other)."""


class Priority(Strict):
    """η_d and η_m of MODEL.md §3: ``additive`` p = 1 + η_d·d + η_m·m (v1), or ``product``
    p = (1 + η_d·d)·(1 + η_m·m): a region both fiscally weak and migrant-heavy ranks above one that
    is only one of the two (MODEL-v2 §10.3)."""

    fiscal_difficulty: Weight = 1.0
    migrant_share: Weight = 1.0
    form: Literal["additive", "product"] = "additive"


class CoverageValue(Strict):
    """The value of coverage (MODEL-v2 §10.1): money that raises a cell's coverage inside band j,
    (levels[j−1], levels[j]] with levels[−1] = 0, is worth values[j] per unit of weighted
    shortfall. Levels increase to 1; values decrease, so money goes first to the least-covered
    cells. Without the key: one band up to 1 with value 1 (v1)."""

    levels: list[Annotated[float, Field(strict=True, gt=0, le=1, allow_inf_nan=False)]]
    values: list[Annotated[float, Field(strict=True, gt=0, le=1e6, allow_inf_nan=False)]]

    @model_validator(mode="after")
    def _bands(self) -> CoverageValue:
        if not self.levels or len(self.levels) != len(self.values):
            raise ValueError(f"give as many values as levels, at least one (got {len(self.levels)} levels and "
                             f"{len(self.values)} values)")
        if any(b <= a for a, b in zip(self.levels, self.levels[1:])) or self.levels[-1] != 1:
            raise ValueError(f"levels must increase and end at 1, the full standard cost (got {self.levels})")
        if any(b >= a for a, b in zip(self.values, self.values[1:])):
            raise ValueError(f"values must decrease from band to band, so that the least-covered money comes first "
                             f"(got {self.values})")
        return self


class _PolicyBase(Strict):
    """The keys every policy has; the rules' keys follow (see :data:`RULES`)."""

    name: str = "policy"
    description: str = ""
    objective: Literal["weighted_shortfall", "max_min_coverage", "leximin_coverage", "min_budget"] = (
        "weighted_shortfall")
    priority: Priority = Priority()
    coverage_value: CoverageValue | None = None
    per_year: StrictBool = False
    """With ``max_min_coverage``: a level z_t per year, maximising Σ_t z_t (MODEL-v2 §10.4)."""

    @model_validator(mode="after")
    def _per_year(self) -> _PolicyBase:
        if self.per_year and self.objective != "max_min_coverage":
            raise ValueError(f"per_year: true goes with the objective max_min_coverage (a level per year), not "
                             f"{self.objective}")
        return self


PolicyFile = create_model(
    "PolicyFile",
    __base__=_PolicyBase,
    __doc__="A policy design: the objective and the rules (MODEL.md §5–6), one key per rule.",
    **{rule.key: (rule.setting, None) for rule in RULES if rule.setting is not None},
    soft_penalty=(Annotated[float, Field(strict=True, gt=0, le=1e9, allow_inf_nan=False)], 1000.0),
)
