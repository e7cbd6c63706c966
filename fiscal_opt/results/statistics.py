"""Named summaries of a result, grouped the way a question is asked (after PyPSA's ``n.statistics``).

``res.statistics.transfer(groupby="group")`` is one statistic; ``res.statistics(groupby="group")``
is all of them as a DataFrame. One index convention throughout: the ``groupby`` keys in the order
given, then ``year`` (dropped with ``aggregate_years=True``). ``groupby`` is ``"region"``,
``"group"``, ``"service"`` (cell statistics only), a list of these, or ``None`` for the whole
country. Money is in the instance's ``money_unit``, per-head figures in yuan per person per year,
shares and coverage as fractions, population in persons (averaged over years when aggregated).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

SHARE_PREFIX = "transfer_share_"
"""Columns of the compare and sweep tables holding a group of regions' share of a year's transfers
(``transfer_share_East``, …; fractions)."""

if TYPE_CHECKING:
    from .result import Result

KEYS = ("region", "group", "service")
Groupby = str | list[str] | tuple[str, ...] | None


class Statistics:
    """The statistics accessor of a :class:`~fiscal_opt.results.result.Result` (``res.statistics``)."""

    def __init__(self, result: Result) -> None:
        self._result = result

    def __call__(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.DataFrame:
        """Every statistic that applies to ``groupby``, one column each (cell statistics only when
        ``groupby`` includes ``service``)."""
        keys = _keys(groupby)
        names = [n for n in self.names() if "service" not in keys or n in CELL_STATISTICS]
        return pd.concat([getattr(self, n)(groupby, aggregate_years) for n in names], axis=1)

    def names(self) -> list[str]:
        """The statistics this result has (``actual_transfer`` only when regions.csv has the column)."""
        names = list(REGION_STATISTICS) + list(CELL_STATISTICS)
        return names if "actual_transfer" in self._result.regions.columns else \
            [n for n in names if n != "actual_transfer"]

    # money by region and year
    def special_fund(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """Special fund allocated, money_unit."""
        return self._region_sum("special_fund", groupby, aggregate_years)

    def incentive(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """Incentive paid, money_unit."""
        return self._region_sum("incentive", groupby, aggregate_years)

    def transfer(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """Special fund plus incentive, money_unit."""
        return self._region_sum("transfer", groupby, aggregate_years)

    def formula_transfer(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """What the factor formula would transfer (special fund plus incentive), money_unit."""
        return self._region_sum("formula_transfer", groupby, aggregate_years)

    def vs_formula(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """Transfer minus the formula's, money_unit (positive: the region gains against the formula)."""
        return (self.transfer(groupby, aggregate_years) - self.formula_transfer(groupby, aggregate_years)) \
            .rename("vs_formula")

    def actual_transfer(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """The actual central transfer where regions.csv gives one, money_unit (missing elsewhere)."""
        return self._region_sum("actual_transfer", groupby, aggregate_years)

    def transfer_per_capita(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """Transfer per resident, yuan per person per year."""
        yuan = self._result.instance.yuan_per_unit
        people = self._region_sum("population", groupby, aggregate_years)
        return (self.transfer(groupby, aggregate_years) * yuan / people).rename("transfer_per_capita")

    def transfer_share(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """Share of the year's transfers (of all years' when aggregated), fraction."""
        transfer = self.transfer(groupby, aggregate_years)
        total = transfer.sum() if aggregate_years else transfer.groupby(level="year").transform("sum")
        return (transfer / total).rename("transfer_share")

    def population(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """Residents, persons (the mean over years when aggregated)."""
        total = self._region_sum("population", groupby, aggregate_years)
        return (total / len(self._result.params.years) if aggregate_years else total).rename("population")

    # money by region, service and year
    def standard_cost(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """Standard cost of serving the residents, money_unit."""
        return self._cell_sum("standard_cost", groupby, aggregate_years)

    def gap(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """Fundable gap (standard cost less local funding, within the central share cap), money_unit."""
        return self._cell_sum("gap", groupby, aggregate_years)

    def shortfall(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """Gap left unpaid, money_unit."""
        return self._cell_sum("shortfall", groupby, aggregate_years)

    def weighted_shortfall(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """Gap left unpaid times the region's priority weight, money_unit."""
        return self._cell_sum("weighted_shortfall", groupby, aggregate_years)

    def coverage(self, groupby: Groupby = "region", aggregate_years: bool = False) -> pd.Series:
        """Local funding plus special fund over standard cost, fraction (of the sums)."""
        funded = self._cell_sum("funded", groupby, aggregate_years)
        cost = self.standard_cost(groupby, aggregate_years)
        return (funded / cost.where(cost > 0)).rename("coverage")

    def _region_frame(self, groupby: Groupby) -> pd.DataFrame:
        keys = _keys(groupby)
        if "service" in keys:
            raise ValueError("this statistic is by region and year; only the cell statistics "
                             f"({', '.join(CELL_STATISTICS)}) can be grouped by service")
        reg = self._result.regions
        frame = reg[["region", "group", "year", "special_fund", "incentive", "transfer", "population"]].copy()
        frame["formula_transfer"] = reg["baseline_special_fund"] + reg["baseline_incentive"]
        if "actual_transfer" in reg.columns:
            frame["actual_transfer"] = reg["actual_transfer"]
        return frame

    def _region_sum(self, column: str, groupby: Groupby, aggregate_years: bool) -> pd.Series:
        return _sum(self._region_frame(groupby), column, _keys(groupby), aggregate_years)

    def _cell_sum(self, column: str, groupby: Groupby, aggregate_years: bool) -> pd.Series:
        alloc = self._result.allocations
        groups = self._result.regions.drop_duplicates("region").set_index("region")["group"]
        frame = alloc[["region", "year", "service", "standard_cost", "gap", "shortfall"]].copy()
        frame["group"] = alloc["region"].map(groups).to_numpy()
        frame["weighted_shortfall"] = alloc["weight"] * alloc["shortfall"]
        frame["funded"] = alloc["local_funding"] + alloc["special_fund"]
        return _sum(frame, column, _keys(groupby), aggregate_years)


REGION_STATISTICS: dict[str, Callable] = {n: getattr(Statistics, n) for n in (
    "special_fund", "incentive", "transfer", "formula_transfer", "vs_formula", "actual_transfer",
    "transfer_per_capita", "transfer_share", "population")}
CELL_STATISTICS: dict[str, Callable] = {n: getattr(Statistics, n) for n in (
    "standard_cost", "gap", "shortfall", "weighted_shortfall", "coverage")}


def _keys(groupby: Groupby) -> list[str]:
    keys = [] if groupby is None else [groupby] if isinstance(groupby, str) else list(groupby)
    unknown = [k for k in keys if k not in KEYS]
    if unknown:
        raise ValueError(f"cannot group by {unknown}; choose from {', '.join(KEYS)} or None")
    return keys


def _sum(frame: pd.DataFrame, column: str, keys: list[str], aggregate_years: bool) -> pd.Series:
    """``column`` summed by ``keys`` (+ ``year``), groups in the order they first appear."""
    keys = keys + ([] if aggregate_years else ["year"])
    if not keys:
        return pd.Series([frame[column].sum(min_count=1)], name=column)
    return frame.groupby(keys, sort=False)[column].sum(min_count=1).rename(column)
