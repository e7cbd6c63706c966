"""Why a region gets what it gets: its cells, the rules that bind it, and the formula beside it.

Reads a :class:`~fiscal_opt.results.Result` only (no solver calls).
"""

from __future__ import annotations

from ..errors import InputError, Problem
from ..results.result import Result


def explain(result: Result, region: str) -> str:
    """A plain-text explanation of region ``region``'s allocation, year by year (money_unit)."""
    regions = result.regions
    rows = regions[regions["region"] == region]
    if rows.empty:
        ids = ", ".join(regions["region"].drop_duplicates().head(10))
        raise InputError(Problem("--region", "", f"no region {region!r}; regions include {ids}"))
    cells = result.allocations[result.allocations["region"] == region]
    unit = result.instance.money_unit
    first = rows.iloc[0]
    lines = [f"{region} {first['name']} ({first['group']}) under policy {result.policy.name!r}, money in {unit}"]
    for row in rows.itertuples(index=False):
        lines.append("")
        lines.append(f"{row.year}: transfer {row.transfer:,.2f} = special fund {row.special_fund:,.2f} + incentive "
                     f"{row.incentive:,.2f} (formula incentive {row.formula_incentive:,.2f}); formula allocation "
                     f"{row.baseline_special_fund + row.baseline_incentive:,.2f}, difference "
                     f"{row.transfer - row.baseline_special_fund - row.baseline_incentive:+,.2f}")
        lines.append(f"  priority {row.priority:.3f} (fiscal difficulty {row.fiscal_difficulty:.3f}, migrant share "
                     f"{row.migrants / row.population:.3f}); resources per head {row.resources_per_capita_before:,.0f}"
                     f" → {row.resources_per_capita_after:,.0f} yuan")
        lines.append(f"  binding rules: {row.binding_rules or 'none (the objective alone decides)'}")
        for c in cells[cells["year"] == row.year].itertuples(index=False):
            at = "at its ceiling" if c.ceiling > 0 and c.special_fund >= c.ceiling * (1 - 1e-9) else (
                "nothing" if c.special_fund <= 0 else "below its ceiling")
            cover = "" if c.standard_cost <= 0 else f", coverage {c.coverage_before:.3f} → {c.coverage_after:.3f}"
            lines.append(f"  {c.service}: gap {c.gap:,.2f}, ceiling {c.ceiling:,.2f}, gets {c.special_fund:,.2f} "
                         f"({at}{cover}; formula {c.baseline_special_fund:,.2f})")
    prices = result.summary["budget_shadow_price"]
    shown = [f"{y}: {v['value']:.4g}" for y, v in prices.items() if v["value"] is not None]
    if shown:
        lines += ["", f"Budget shadow price (objective per extra {unit}): " + ", ".join(shown)]
    return "\n".join(lines) + "\n"
