"""The kinds of value users write in instance and policy files, as pydantic types.

Numbers are strict: ``"12"`` or ``true`` are not numbers, and infinities and NaN are refused.
Every model built on :class:`Strict` forbids unknown keys and is frozen.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MONEY_UNITS: dict[str, float] = {"yuan": 1.0, "10k_yuan": 1e4, "100m_yuan": 1e8}
"""Yuan per one unit of each accepted ``money_unit``."""

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
Share = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
Year = Annotated[int, Field(strict=True, ge=0, le=9999)]
YearValue = NonNegative | dict[Year, NonNegative]
"""A number that holds for every year, or a map ``{year: number}``."""


class Strict(BaseModel):
    """A file section: unknown keys are errors, values are frozen once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)
