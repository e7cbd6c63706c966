"""The report of a compare or sweep table (``fiscal-opt compare/sweep … --report DIR``): the
efficiency–equity frontier, the budget's shadow price and each group's share along a sweep, and the
points as a table. Reads the table's columns by name (a table with more columns works the same).
Money in the instance's money_unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import charts
from .content import Chart, Page, Table, glossary
from .labels import Labels, money, ratio, share

FORMULA = "formula baseline"


def compare_page(table: pd.DataFrame, instance: str, money_unit: str, lang: str = "en") -> Page:
    """The page of a :func:`~fiscal_opt.analysis.compare.compare` table."""
    lab = Labels(lang, money_unit)
    points = charts.summarise_points(table, "policy")
    policies = points[points.index != FORMULA]
    summary = [lab("cs_summary", n=len(policies), instance=instance)]
    if len(policies):
        best, equal = policies["weighted_shortfall"].idxmin(), policies["gini"].idxmin()
        summary.append(lab("cs_best", best=best, shortfall=money(policies.loc[best, "weighted_shortfall"]),
                           equal=equal, gini=ratio(policies.loc[equal, "gini"])))
    shown = [Chart("frontier", charts.frontier(table, lang, "policy", money_unit),
                   lab("c_frontier_caption"))]
    rows = [[lab("baseline") if name == FORMULA else str(name), money(r["weighted_shortfall"]), ratio(r["gini"]),
             share(r["min_coverage"]), ratio(r.get("budget_shadow_price"))] for name, r in points.iterrows()]
    columns = [lab("col_policy"), lab("col_shortfall"), lab("col_gini"), lab("col_min_cov"), lab("col_price")]
    tables = [Table(lab("t_compare"), columns, rows, [False, True, True, True, True], _units(lab))]
    return Page(lang=lang, title=lab("cs_title"), subtitle=instance,
                meta=[(lab("col_policy"), f"{len(policies)}"), (lab("years"), lab.years(_years(table)))], facts=[],
                summary=summary, charts=shown, tables=tables, glossary=glossary(lab), footer=lab("generated_by_table"))


SHARE_PARAMETERS = ("per_capita_floor", "min_coverage", "hold_harmless.max_cut", "hold_harmless.max_rise",
                    "mean_deviation_max")
"""Swept parameters that are shares, shown as percentages (a budget as a share of its own too)."""


def _shown(parameter: str):  # noqa: ANN202 - a float -> str function
    """How a value of ``parameter`` is written: money, a percentage or a plain number."""
    if "share of own" in parameter or parameter in SHARE_PARAMETERS or parameter.startswith("coverage_value.levels"):
        return lambda v: share(v, 0 if abs(100 * v - round(100 * v)) < 1e-9 else 1)
    if parameter == "budget":
        return lambda v: money(v, 0)
    return ratio


def sweep_page(table: pd.DataFrame, instance: str, money_unit: str, lang: str = "en") -> Page:
    """The page of a :func:`~fiscal_opt.analysis.sweeps.sweep` table, or of a grid of two
    parameters (``parameter_2``, ``value_2``): its points are labelled by both values, and the
    shadow price is drawn along the first, one line per value of the second."""
    lab = Labels(lang, money_unit)
    parameter = str(table["parameter"].iloc[0]) if len(table) else ""
    shown_value = _shown(parameter)
    grid = "value_2" in table.columns
    by = "value"
    name = lab.parameter(parameter)
    if grid:
        second = str(table["parameter_2"].iloc[0]) if len(table) else ""
        shown_second = _shown(second)
        table = table.assign(point=[f"{shown_value(a)} · {shown_second(b)}" for a, b in zip(table["value"],
                                                                                           table["value_2"])])
        by, shown_value = "point", str
        name = f"{name} × {lab.parameter(second)}"
    points = charts.summarise_points(table, by)
    status = table.groupby(by, sort=False)["status"].first()
    infeasible = int((status != "optimal").sum())
    policy = str(table["policy"].dropna().iloc[0]) if table["policy"].notna().any() else ""
    summary = [lab("sw_summary", n=len(points), parameter=name, instance=instance, policy=policy,
                   first=shown_value(points.index[0]), last=shown_value(points.index[-1]), infeasible=infeasible)]
    feasible = points.dropna(subset=["weighted_shortfall"])
    if len(feasible):
        best, equal = feasible["weighted_shortfall"].idxmin(), feasible["gini"].idxmin()
        summary.append(lab("sw_best", shortfall=money(feasible.loc[best, "weighted_shortfall"]),
                           value=shown_value(best), gini=ratio(feasible.loc[equal, "gini"]), at=shown_value(equal)))
    label = _value_label(shown_value)
    shown = [Chart("frontier", charts.frontier(table, lang, by, money_unit, label, join=not grid),
                   lab("c_frontier_caption")),
             Chart("shadow_price", charts.sweep_shadow_price(table, lang, money_unit, _value_label(_shown(parameter)),
                                                             series="value_2" if grid else None,
                                                             series_format=shown_second if grid else str),
                   lab("c_sweep_price_caption", unit=lab.unit))]
    shares = None if grid else charts.sweep_group_shares(table, lang, label)
    if shares is not None:
        shown.append(Chart("group_shares", shares, lab("c_sweep_shares_caption")))
    rules = table.groupby(by, sort=False)["rules_involved"].first().fillna("")
    rows = [[shown_value(v), lab("c_infeasible") if status[v] != "optimal" else "✓", money(r["weighted_shortfall"]),
             ratio(r["gini"]), share(r["min_coverage"]), ratio(r.get("budget_shadow_price")), rules[v]]
            for v, r in points.iterrows()]
    columns = [lab("col_value"), lab("col_status"), lab("col_shortfall"), lab("col_gini"), lab("col_min_cov"),
               lab("col_price"), lab("col_rules_involved")]
    tables = [Table(lab("t_sweep"), columns, rows, [True, False, True, True, True, True, False], _units(lab))]
    return Page(lang=lang, title=lab("sw_title", parameter=name), subtitle=instance,
                meta=[(lab("col_value"), f"{len(points)}"), (lab("years"), lab.years(_years(table)))], facts=[],
                summary=summary, charts=shown, tables=tables, glossary=glossary(lab), footer=lab("generated_by_table"))


def _years(table: pd.DataFrame) -> list[int]:
    return [int(y) for y in dict.fromkeys(table["year"].dropna())]


def _units(lab: Labels) -> str:
    return lab("units_line", units=lab.join([f"{lab('col_shortfall')}: {lab.unit_long}",
                                             f"{lab('col_price')}: {lab('unit_price', unit=lab.unit)}",
                                             lab("all_years")]))


def _value_label(shown_value):  # noqa: ANN001, ANN202 - a float -> str function
    def label(value: object) -> str:
        number = float(value) if isinstance(value, (int, float, np.floating)) else float("nan")
        return shown_value(number) if np.isfinite(number) else str(value)
    return label
