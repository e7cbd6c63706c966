"""What ``fiscal-opt solve`` prints: a headline, one row per region against the formula, and the
budget's use and shadow price by year, within :data:`WIDTH` columns.

User text (instance, policy and region names) is printed literally (never read as Rich markup)
and shortened to fit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import WIDTH
from .content import region_table
from .labels import money, ratio, region_names, signed

if TYPE_CHECKING:
    from ..analysis.design import FormulaDesign
    from ..results.result import Result

SHOWN_REGIONS = 40
NAME_WIDTH = 24


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis, on one line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_result(console: Console, result: Result, lang: str = "en") -> None:
    """Print the solve's summary on ``console`` (region names in ``lang``)."""
    s = result.summary
    head = Text()
    head.append(shorten(s["instance"], 36), style="bold")
    head.append(" under ")
    head.append(shorten(s["policy"], 28), style="bold")
    head.append(f": {s['status']}, {s['objective_name']} = {ratio(s['objective'], 6)} ({s['objective_unit']})")
    console.print(head, width=WIDTH)
    table = region_table(result)
    names = region_names(result.region_labels, lang)
    view = Table(show_edge=False, header_style="bold", width=None)
    view.add_column("region", no_wrap=True, max_width=10, overflow="ellipsis")
    view.add_column("name", no_wrap=True, max_width=NAME_WIDTH, overflow="ellipsis")
    for column in ("special", "incentive", "transfer", "formula", "vs formula"):
        view.add_column(column, justify="right", no_wrap=True)
    for row in table.head(SHOWN_REGIONS).itertuples(index=False):
        view.add_row(Text(shorten(str(row.region), 10)), Text(shorten(names.get(row.region, row.name), NAME_WIDTH)),
                     money(row.special_fund, 2), money(row.incentive, 2), money(row.transfer, 2),
                     money(row.baseline_transfer, 2), signed(row.difference, 2))
    console.print(view, width=WIDTH)
    if len(table) > SHOWN_REGIONS:
        console.print(f"… {len(table) - SHOWN_REGIONS:,} more regions in regions.csv", highlight=False)
    for year, price in s["budget_shadow_price"].items():
        if price["value"] is not None:
            console.print(f"{year}: budget used {money(s['budget_used'][year], 2)} of {money(s['budget'][year], 2)}; "
                          f"shadow price {ratio(price['value'], 6)} per {s['money_unit']}", highlight=False,
                          width=WIDTH)
    for name, paid in s["soft_rule_penalties"].items():
        console.print(Text(f"soft rule {name} bends by {money(paid['violation'], 2)} {s['money_unit']} in "
                           f"{len(s['soft_rule_violations'][name])} place(s), a penalty of {ratio(paid['penalty'], 6)} "
                           f"{paid['penalty_unit']} (summary.json lists them)"), width=WIDTH)
    for note in s["notes"]:
        console.print(Text(shorten(f"note: {note}", 4 * WIDTH)), width=WIDTH)


def print_formula(console: Console, design: FormulaDesign) -> None:
    """The weights of the best formula, one row per factor (a column per year), and the price of
    transparency."""
    weights = design.weights.assign(year=design.weights["year"].fillna("all years"))
    table = weights.pivot(index=["factor", "unit"], columns="year", values="weight")
    view = Table(show_edge=False, header_style="bold")
    view.add_column("factor", no_wrap=True)
    view.add_column("unit", no_wrap=True)
    for year in table.columns:
        view.add_column(str(year), justify="right", no_wrap=True)
    for (factor, unit), row in table.iterrows():
        view.add_row(Text(str(factor)), Text(str(unit)), *(ratio(v, 4) for v in row.tolist()))
    console.print(view, width=WIDTH)
    price = design.price
    console.print(Text(f"{price['objective']}: free optimum {ratio(price['free_optimum'], 8)}, best formula "
                       f"{ratio(price['best_formula'], 8)}, v1 baseline formula {ratio(price['v1_baseline_formula'], 8)}"),
                  width=WIDTH)
