"""The validated, frozen instance: what the loader hands to the rest of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..rules.policy import PolicyFile
from .migration import Migration
from .schema import Incentive, Service
from .values import MONEY_UNITS

Policy = PolicyFile
"""A validated policy (objective and rules); see :mod:`fiscal_opt.schema`."""

SINGLE_PERIOD_YEAR = 0
"""The year written for instances without ``years``."""


@dataclass(frozen=True, eq=False)
class Instance:
    """A validated instance.

    ``regions`` has one row per region × year, regions in the order the user wrote them and years
    ascending within each region; columns ``id``, ``name``, ``group``, ``year`` and every column the
    user gave (numeric columns as float). Money columns are in ``money_unit``; populations in
    persons. ``special_fund`` and ``incentive_pool`` are per year, in ``money_unit``
    (``special_fund`` is ``None`` when the file gives none, which only ``min_budget`` accepts).
    ``notes`` say what the loader accepted but left out (rows of only empty cells in a CSV).
    ``capital_fund`` is the central capital fund per year (money_unit; ``None`` when none is given:
    no central grants for places), ``migration`` the flows of people between regions, if any.
    """

    name: str
    description: str
    money_unit: str
    years: tuple[int, ...]
    single_period: bool
    regions: pd.DataFrame
    services: dict[str, Service]
    special_fund: np.ndarray | None
    incentive_pool: np.ndarray
    incentive: Incentive
    policy: Policy | None
    source: Path | None = None
    input_sha256: str = ""
    notes: tuple[str, ...] = ()
    capital_fund: np.ndarray | None = None
    migration: Migration | None = None

    @property
    def has_places(self) -> bool:
        """Whether some service has places (``capacity``, MODEL-v2 §11)."""
        return any(service.capacity is not None for service in self.services.values())

    @property
    def shown_as(self) -> str:
        """How messages name the instance: its file, else its name."""
        return str(self.source or self.name)

    @property
    def region_ids(self) -> list[str]:
        """Region ids in input order."""
        return list(dict.fromkeys(self.regions["id"]))

    @property
    def yuan_per_unit(self) -> float:
        """Yuan in one unit of ``money_unit``."""
        return MONEY_UNITS[self.money_unit]
