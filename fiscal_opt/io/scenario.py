"""The scenario file (docs/scenarios.md): changes to an instance, and the quantities drawn anew for
every Monte Carlo draw, read into a validated :class:`Scenario` with every problem found at once
(file, line, key path), like instance and policy files.

Quantities (:data:`QUANTITIES`), each either fixed under ``changes`` or drawn under ``uncertain``:

- ``budget``: a factor on each year's special fund (1.0 = as written; one value for the nation);
- ``fiscal_capacity``: a factor on each region's fiscal capacity;
- ``migrants``: a factor on each region's migrants in every year (a level);
- ``population_growth`` and ``migrant_growth``: extra yearly growth of the residents with local
  household registration and of the migrants, compounding from the first year (which stays as
  written).

``changes.policy`` changes keys of the policy (its rules) as a policy file writes them; ``judge``
names the levels of minimum coverage and of the per-capita floor against which both the formula
baseline and the optimum of each draw are judged; ``plan`` (``risk_weight`` λ, ``alpha`` α) is how
``fiscal-opt plan`` weighs the tail of the draws' shortfall. Flows of people between regions (origin,
destination, persons) are the next quantity this file is laid out for: they will come under a
``migration`` key of their own, which is refused until they exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, field_validator, model_validator

from ..errors import InputError, Problem
from .values import Number, Share, Strict

FACTORS = ("budget", "fiscal_capacity", "migrants")
"""Quantities that multiply a figure of the instance (at least 0)."""
GROWTH = ("population_growth", "migrant_growth")
"""Quantities that are yearly growth rates (above −1)."""
QUANTITIES = (*FACTORS, *GROWTH)
"""Every quantity a scenario can fix or draw, in the order draws are made."""

MAX_DRAWS = 10_000
"""Draws a run may hold at the most: each is a full solve."""

Quantity = Literal["budget", "fiscal_capacity", "migrants", "population_growth", "migrant_growth"]
Factor = Annotated[float, Field(strict=True, ge=0, le=1000, allow_inf_nan=False)]
Growth = Annotated[float, Field(strict=True, gt=-1, le=10, allow_inf_nan=False)]

PARAMETERS = {"normal": ("mean", "sd"), "lognormal": ("mean", "sd"), "uniform": ("low", "high"),
              "triangular": ("low", "mode", "high")}
"""The parameters each distribution takes, all required."""


class Distribution(Strict):
    """How one quantity is drawn: ``normal`` (mean, sd), ``lognormal`` (the mean and sd of the
    value itself, mean above 0), ``uniform`` (low, high), ``triangular`` (low, mode, high).

    ``by``: ``national`` (one value per draw for every region), ``group`` (one per group of
    regions, independent between groups) or ``region`` (one per region); with ``region``,
    ``correlation`` is the correlation of the regions of one group (0: independent), through a
    Gaussian copula, so each region keeps the stated distribution."""

    distribution: Literal["normal", "lognormal", "uniform", "triangular"]
    mean: Number | None = None
    sd: Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)] | None = None
    low: Number | None = None
    mode: Number | None = None
    high: Number | None = None
    by: Literal["national", "group", "region"] = "national"
    correlation: Share = 0.0

    @model_validator(mode="after")
    def _parameters(self) -> Distribution:
        wanted = PARAMETERS[self.distribution]
        given = [k for k in ("mean", "sd", "low", "mode", "high") if getattr(self, k) is not None]
        missing, extra = [k for k in wanted if k not in given], [k for k in given if k not in wanted]
        if missing or extra:
            raise ValueError(f"a {self.distribution} distribution takes {', '.join(wanted)}"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; {', '.join(extra)} {'belongs' if len(extra) == 1 else 'belong'} to another distribution"
                                if extra else ""))
        if self.distribution == "lognormal" and self.mean <= 0:  # type: ignore[operator]
            raise ValueError(f"a lognormal value is above 0, so its mean must be too (got {self.mean:g})")
        if self.distribution in ("uniform", "triangular") and not self.low < self.high:  # type: ignore[operator]
            raise ValueError(f"low must be below high (got {self.low:g} and {self.high:g})")
        if self.distribution == "triangular" and not self.low <= self.mode <= self.high:  # type: ignore[operator]
            raise ValueError(f"mode must lie between low and high (got {self.mode:g})")
        if self.correlation and self.by != "region":
            raise ValueError(f"correlation is between the regions of a group: it goes with by: region, not by: {self.by}")
        return self

    def support(self) -> tuple[float, float]:
        """The lowest and highest value a draw can take."""
        if self.distribution == "normal":
            return (-math.inf, math.inf) if self.sd else (self.mean, self.mean)  # type: ignore[return-value]
        if self.distribution == "lognormal":
            return (0.0, math.inf) if self.sd else (self.mean, self.mean)  # type: ignore[return-value]
        return self.low, self.high  # type: ignore[return-value]


class Changes(Strict):
    """What every draw changes in the instance and its policy (see the module docstring)."""

    budget: Factor | None = None
    fiscal_capacity: Factor | None = None
    migrants: Factor | None = None
    population_growth: Growth | None = None
    migrant_growth: Growth | None = None
    policy: dict[str, Any] | None = None


class Judge(Strict):
    """The levels against which the baseline and the optimum of each draw are judged: the lowest
    coverage of any cell, and resources per resident as a share of the national average."""

    min_coverage: Share | None = None
    per_capita_floor: Share | None = None


class PlanSettings(Strict):
    """How ``fiscal-opt plan`` weighs the tail of the draws' shortfall: it minimises the expected
    weighted shortfall plus ``risk_weight`` (λ) times its CVaR at level ``alpha`` (α), the mean of
    the worst (1 − α) share of the draws."""

    risk_weight: Annotated[float, Field(strict=True, ge=0, le=1000, allow_inf_nan=False)] = 1.0
    alpha: Annotated[float, Field(strict=True, ge=0, lt=1, allow_inf_nan=False)] = 0.9


class ScenarioFile(Strict):
    """The top level of a scenario file."""

    name: str
    description: str = ""
    seed: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)]
    draws: Annotated[StrictInt, Field(ge=1, le=MAX_DRAWS)] | None = None
    changes: Changes = Changes()
    uncertain: dict[Quantity, Distribution] = {}
    judge: Judge = Judge()
    plan: PlanSettings = PlanSettings()
    migration: Any = None

    @field_validator("migration")
    @classmethod
    def _not_yet(cls, value: Any) -> Any:
        if value is not None:
            raise ValueError("flows of people between regions are not read yet (they come with the capacity and "
                             "migration model); give migrants, migrant_growth or population_growth instead")
        return value


def _cross_problems(spec: ScenarioFile, file: str, lines: Any) -> list[Problem]:
    """What the schema of each key cannot see: a quantity both fixed and drawn, a budget drawn by region."""
    problems = [Problem(file, f"uncertain.{q}", f"is also fixed under changes.{q}; keep one of the two",
                        lines.near(("uncertain", q))) for q in spec.uncertain if getattr(spec.changes, q) is not None]
    if "budget" in spec.uncertain and spec.uncertain["budget"].by != "national":
        problems.append(Problem(file, "uncertain.budget.by", "the special fund is one budget for the nation: it is "
                                "drawn by: national", lines.near(("uncertain", "budget", "by"))))
    return problems


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file: its content, and where it came from (for messages)."""

    spec: ScenarioFile
    source: Path
    lines: Any

    @property
    def shown_as(self) -> str:
        return str(self.source)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raises :class:`~fiscal_opt.errors.InputError` listing
    every problem with its line and key path."""
    from .load import validate
    from .yamlfile import read_yaml

    path = Path(path)
    data, lines = read_yaml(path)
    spec = validate(ScenarioFile, data, str(path), lines, "a scenario")
    problems = _cross_problems(spec, str(path), lines)
    if problems:
        raise InputError(problems)
    return Scenario(spec, path, lines)
