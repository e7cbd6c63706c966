"""The kinds of value users write in instance and policy files, as pydantic types.

Numbers are strict: ``"12"`` or ``true`` are not numbers, and infinities and NaN are refused.
Every model built on :class:`Strict` forbids unknown keys and is frozen.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

MONEY_UNITS: dict[str, float] = {"yuan": 1.0, "10k_yuan": 1e4, "100m_yuan": 1e8}
"""Yuan per one unit of each accepted ``money_unit``."""

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
Share = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
Year = Annotated[int, Field(strict=True, ge=0, le=9999)]

MAX_NUMBER = 1e15
"""The largest amount an instance may hold (a count, an amount of money in any unit, a unit cost):
China's yearly GDP is about 1.3e14 yuan, so a larger figure is a unit mistake. Beyond it the LP's
numbers would reach what HiGHS treats as infinite (1e20) once multiplied together."""
Amount = Annotated[float, Field(strict=True, ge=0, le=MAX_NUMBER, allow_inf_nan=False)]
"""A non-negative amount of an instance, at most :data:`MAX_NUMBER`."""
Cap = Annotated[float, Field(strict=True, gt=0, le=1, allow_inf_nan=False)]
"""A central share cap θ ∈ (0, 1]: a cap of 0 would allow no central money at all."""


def _year_keys(value: Any) -> Any:
    """Year maps are keyed by whole numbers written as such (``2025``, not ``'2025'`` or ``2025.0``)."""
    if isinstance(value, dict):
        wrong = [key for key in value if not isinstance(key, int) or isinstance(key, bool)]
        if wrong:
            raise ValueError(f"year(s) {', '.join(repr(key) for key in wrong)} are not years: write each year as a "
                             "plain whole number (2025), without quotes, decimals or a leading zero")
    return value


YearValue = Annotated[Amount | dict[Year, Amount], BeforeValidator(_year_keys)]
"""An amount that holds for every year, or a map ``{year: amount}``."""


class Strict(BaseModel):
    """A file section: unknown keys are errors, values are frozen once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)
