"""The policy file (MODEL.md §5–6): the objective, the priority weights and one key per rule,
assembled from the rule registry so that a rule's key and schema are declared once, in its module.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, create_model

from ..io.values import Strict
from . import RULES

OBJECTIVES = ("weighted_shortfall", "max_min_coverage", "leximin_coverage", "min_budget")


Weight = Annotated[float, Field(strict=True, ge=0, le=1000, allow_inf_nan=False)]
"""A priority weight η: 0 to 1,000 (a weight of 1,000 already puts one factor far above the other)."""


class Priority(Strict):
    """η_d and η_m of MODEL.md §3: p = 1 + η_d·d + η_m·m."""

    fiscal_difficulty: Weight = 1.0
    migrant_share: Weight = 1.0


class _PolicyBase(Strict):
    """The keys every policy has; the rules' keys follow (see :data:`RULES`)."""

    name: str = "policy"
    description: str = ""
    objective: Literal["weighted_shortfall", "max_min_coverage", "leximin_coverage", "min_budget"] = (
        "weighted_shortfall")
    priority: Priority = Priority()


PolicyFile = create_model(
    "PolicyFile",
    __base__=_PolicyBase,
    __doc__="A policy design: the objective and the rules (MODEL.md §5–6), one key per rule.",
    **{rule.key: (rule.setting, None) for rule in RULES if rule.setting is not None},
    soft_penalty=(Annotated[float, Field(strict=True, gt=0, le=1e9, allow_inf_nan=False)], 1000.0),
)
