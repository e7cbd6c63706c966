"""Why a region gets what it gets: its cells, the rules that bind it, and the formula beside it.

Reads a :class:`~fiscal_opt.results.Result` only (no solver calls).
"""

from __future__ import annotations

import difflib

from ..errors import InputError, Problem
from ..results.result import Result


def find_region(result: Result, region: str) -> str:
    """The id of ``region``, given as its id, its name or its Chinese name (``name_zh``), names
    compared without regard to case; an input error naming close matches otherwise."""
    labels = result.region_labels
    ids = labels["region"].astype(str)
    if region in set(ids):
        return region
    wanted = region.strip().casefold()
    for column in ("name", "name_zh"):
        if column in labels.columns:
            hit = ids[labels[column].astype(str).str.strip().str.casefold() == wanted]
            if len(hit):
                return str(hit.iloc[0])
    names = labels["name"].astype(str).tolist() + ids.tolist()
    close = difflib.get_close_matches(region, names, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; regions include {', '.join(ids.head(10))}"
    raise InputError(Problem("--region", "", f"no region {region!r} by id, name or Chinese name{hint}"))


def _elsewhere(result: Result, region: str, year: object) -> str:
    """The rules that bind the year's allocation through other regions or the whole year: the
    budget (when its shadow price is not 0), the rules binding other regions, the soft rules that
    bend — what holds a region back when none of its own rules binds."""
    parts = []
    price = result.summary["budget_shadow_price"].get(str(year), {}).get("value")
    if price:
        parts.append(f"the budget (shadow price {price:.4g})")
    others = result.regions[(result.regions["year"] == year) & (result.regions["region"] != region)]
    counts: dict[str, list[str]] = {}
    for row in others.itertuples(index=False):
        for rule in filter(None, str(row.binding_rules).split(";")):
            if rule != "fund_ceiling":
                counts.setdefault(rule, []).append(str(row.name))
    parts += [f"{rule} of {len(names)} other region(s) ({', '.join(names[:3])}{', …' if len(names) > 3 else ''})"
              for rule, names in counts.items()]
    return ", ".join(parts) if parts else "nothing but the objective"


def explain(result: Result, region: str) -> str:
    """A plain-text explanation of region ``region``'s allocation (an id, a name or a Chinese name),
    year by year (money_unit)."""
    region = find_region(result, region)
    regions = result.regions
    rows = regions[regions["region"] == region]
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
        own = row.binding_rules or "none of its own"
        lines.append(f"  binding rules: {own}; held through others by {_elsewhere(result, region, row.year)}")
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
