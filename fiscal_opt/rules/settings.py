"""How a rule is written in a policy file: a level with an optional ``soft`` flag.

``min_coverage: 0.6`` is shorthand for ``min_coverage: {value: 0.6, soft: false}``. A soft rule
may bend at ``soft_penalty`` per unit of violation (docs/model.md, "Soft rules").
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool

from ..io.values import NonNegative, Strict


def _number_to_level(value: Any) -> Any:
    """``0.6`` is shorthand for ``{value: 0.6}``."""
    return {"value": value} if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class Level(Strict):
    """A rule with one parameter; ``soft`` lets it bend at ``soft_penalty`` per unit."""

    value: NonNegative
    soft: StrictBool = False


def _share(level: Level) -> Level:
    if level.value > 1:
        raise ValueError(f"is a share and must be between 0 and 1 (got {level.value:g})")
    return level


MAX_RATIO = 1e6
"""The largest max/min ratio a policy may state (beyond it the rule binds nothing an LP can tell)."""


def _ratio(level: Level) -> Level:
    if level.value < 1:
        raise ValueError(f"is max/min and must be at least 1 (got {level.value:g})")
    if level.value > MAX_RATIO:
        raise ValueError(f"is max/min and must be at most {MAX_RATIO:g} (got {level.value:g}); leave the rule out "
                         "to have no limit")
    return level


ShareLevel = Annotated[Level, BeforeValidator(_number_to_level), AfterValidator(_share)]
"""A level that is a share in [0, 1] (a coverage, a share of the average, a Gini)."""

RatioLevel = Annotated[Level, BeforeValidator(_number_to_level), AfterValidator(_ratio)]
"""A level that is a ratio of at least 1 (max/min)."""


class ServiceLevels(Strict):
    """A level per service (``min_coverage: {education: 0.95, default: 0.5}``): ``value`` is the
    default for services not named (``None``: no level for them), ``by_service`` the named ones."""

    value: Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)] | None = None
    by_service: dict[str, Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]] = {}
    soft: StrictBool = False

    def level(self, service: str) -> float | None:
        """The level of ``service`` (``None``: none)."""
        return self.by_service.get(service, self.value)


def _service_levels(value: Any) -> Any:
    """``0.6`` and ``{value: 0.6, soft: …}`` as before; a map of services (with ``default`` and
    ``soft``) otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"value": value}
    if isinstance(value, dict) and "value" not in value and "by_service" not in value:
        named = {k: v for k, v in value.items() if k not in ("default", "soft")}
        return {"value": value.get("default"), "soft": value.get("soft", False), "by_service": named}
    return value


ServiceShareLevels = Annotated[ServiceLevels, BeforeValidator(_service_levels)]
"""A share level, one for every service or one per service with a default."""
