"""What a solve's report says, independent of how it is shown: sentences, key figures, charts,
tables with units, glossary. :mod:`~fiscal_opt.report.html` and :mod:`~fiscal_opt.report.markdown`
render the same :class:`Page`.

Reads the result's tables only; never calls the solver. Text here is plain (unescaped): each
renderer escapes all of it for its format. Money in the instance's money_unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..model.coverage_value import shortfall_value
from . import charts
from .labels import (GROUP_NAMES, RULE_NAMES, SERVICE_NAMES, STATUS_NAMES, Labels, column_decimals, money, named, ratio,
                     region_names, share, signed)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..results.result import Result

REPORT_REGIONS = 200
"""Regions listed in a report's table; the rest are in regions.csv and allocations.xlsx."""
SOFT_ROWS = 50
"""Soft-rule bends listed in a report; summary.json has them all."""
METRICS = ("gini", "theil_t", "theil_t_between", "theil_t_within", "theil_l", "cv", "max_min_ratio")


@dataclass
class Table:
    """A table as people read it: cells already formatted, a units line, numeric columns flagged."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    units: str
    note: str = ""
    kind: str = ""


@dataclass
class Chart:
    """A figure with its file stem and a sentence on how to read it."""

    name: str
    figure: Figure
    caption: str
    wide: bool = True


@dataclass
class Page:
    """Everything a report page shows, in order."""

    lang: str
    title: str
    subtitle: str
    meta: list[tuple[str, str]]
    facts: list[tuple[str, str, str]]
    summary: list[str]
    charts: list[Chart]
    tables: list[Table]
    glossary: list[tuple[str, str]]
    footer: str


def region_table(result: Result) -> pd.DataFrame:
    """Per region, summed over years: optimum vs formula baseline (money_unit)."""
    reg = result.regions
    table = reg.groupby(["region", "name"], sort=False)[
        ["special_fund", "incentive", "transfer", "baseline_special_fund", "baseline_incentive"]].sum()
    table["baseline_transfer"] = table.pop("baseline_special_fund") + table.pop("baseline_incentive")
    table["difference"] = table["transfer"] - table["baseline_transfer"]
    return table.reset_index()


CAPTIONS = {
    "transfer_per_head": ("Bars: what each region receives per resident at the optimum; ticks: the factor formula"
                          "{actual}. Sorted from the largest transfer per head.",
                          "柱：优化方案下各地区人均转移支付；竖线：因素法{actual}。按人均转移支付由高到低排列。"),
    "transfer_per_head_many": ("Each point is a region: the factor formula's transfer per head across, the "
                               "optimum's up; above the grey line the optimum gives more than the formula.",
                               "每个点代表一个地区：横轴为因素法人均转移支付，纵轴为优化方案；灰线以上表示优化方案多于因素法。"),
    "province_map": ("Darker provinces receive more per resident at the optimum; grey: not in the instance. "
                     "Boundaries from the cnmaps data package.",
                     "颜色越深，优化方案下人均转移支付越高；灰色为不在本实例中的地区。边界数据来自 cnmaps。"),
    "lorenz": ("The further a curve bows below the diagonal, the more unequal resources per head are; "
               "transfers move the curve towards equality.",
               "曲线越偏离对角线，人均财力越不均衡；转移支付使曲线向均等方向移动。"),
    "coverage": ("Each cell: local funding plus special fund over the standard cost of the service; darker "
                 "is better covered, white cells have no standard cost.",
                 "每格为地方财力加专项资金除以该项服务的标准支出；颜色越深保障越充分。"),
    "need": ("Filled: the optimum; hollow: the factor formula. Transfers per head should rise with fiscal "
             "difficulty; the migrant share shows whether money follows residents rather than hukou.",
             "实心点：优化方案；空心点：因素法。人均转移支付应随财政困难程度上升；流动人口占比反映资金是否跟着常住人口走。"),
    "shadow_price": ("What one more {unit} of special fund would change in the objective, year by year "
                     "(see the glossary for the sign).",
                     "各年度专项资金每增加1{unit}对目标值的影响（符号含义见术语）。"),
    "groups": ("Transfers summed over all years by group of regions{actual}.",
               "按区域加总的各年度转移支付{actual}。"),
    "places": ("Left: places whose building starts over the horizon; right: places that stand idle in the last "
               "year (more places than people to serve), by service. New places serve after their lead time.",
               "左：规划期内开工新建的学位、床位；右：末年闲置的学位、床位（容量多于服务对象），按服务分列。"
               "新建容量在建设周期结束后投入使用。"),
}
ACTUAL_NOTE = ("; diamonds: the actual transfer", "；菱形：实际转移支付")


def build_page(result: Result, lang: str = "en") -> Page:
    """The report of ``result`` in ``lang`` (``en`` or ``zh``)."""
    lab = Labels(lang, result.instance.money_unit)
    s = result.summary
    names = region_names(result.region_labels, lang)
    meta = [(lab("status"), named(STATUS_NAMES, s["status"], lang)), (lab("objective"), lab.describe_objective(s["objective_name"])),
            (lab("years"), lab.years(s["years"])), (lab("regions"), f"{len(result.region_labels):,}")]
    return Page(lang=lang, title=lab("title"), subtitle=lab("subtitle", instance=s["instance"], policy=s["policy"]),
                meta=meta, facts=key_figures(result, lab), summary=summary_sentences(result, lab, names),
                charts=result_charts(result, lab), tables=result_tables(result, lab, names),
                glossary=glossary(lab), footer=lab("generated_by"))


def _has_actual(result: Result) -> bool:
    return "actual_transfer" in result.regions.columns and result.regions["actual_transfer"].notna().any()


def result_charts(result: Result, lab: Labels) -> list[Chart]:
    """The solve's charts with their captions."""
    index = 0 if lab.lang == "en" else 1
    actual = ACTUAL_NOTE[index] if _has_actual(result) else ""
    many = len(result.region_labels) > charts.MANY
    shown = [Chart(name, chart(result, lab.lang), CAPTIONS[name + "_many" if many and name + "_many" in CAPTIONS
                                                          else name][index].format(actual=actual, unit=lab.unit),
                   name not in charts.HALF_WIDTH) for name, chart in charts.RESULT_CHARTS.items()]
    area = charts.province_map(result, lab.lang)
    if area is not None:
        shown.insert(1, Chart("province_map", area, CAPTIONS["province_map"][index]))
    built = charts.places(result, lab.lang)
    if built is not None:
        shown.append(Chart("places", built, CAPTIONS["places"][index]))
    return shown


def _valued(result: Result) -> bool:
    """Whether the gap closed is measured valued band by band (``coverage_value``, no places): the
    measure the optimum minimises, rather than the priority-weighted gap."""
    return result.policy.coverage_value is not None and "served" not in result.allocations.columns


def _cell_totals(result: Result) -> dict[str, float]:
    """Gap closed at the optimum and under the formula, by the policy's own measure (the priority-
    weighted gap, or with ``coverage_value`` the gap valued band by band); lowest coverage before,
    formula, optimum."""
    a = result.allocations
    gap, formula = a["gap"], a["gap"] - a["baseline_special_fund"]
    cost = a["standard_cost"].where(a["standard_cost"] > 0)
    formula_coverage = (a["local_funding"] + a["baseline_special_fund"]) / cost
    if "served" in a.columns:  # a service with places: what its coverage leaves short, served ÷ demand
        places = a["served"].notna()
        gap = gap.where(~places, a["standard_cost"] * (1 - a["coverage_before"].fillna(1.0)))
        formula = formula.where(~places, a["standard_cost"] * (1 - a["baseline_coverage"].fillna(1.0)))
        formula_coverage = a["baseline_coverage"]
    weighted_gap = float((a["weight"] * gap).sum())
    formula_weighted = float((a["weight"] * formula).sum())
    optimum_weighted = float((a["weight"] * a["shortfall"]).sum())
    if _valued(result):
        p, policy = result.params, result.policy
        weighted_gap = float(shortfall_value(p, policy, np.zeros_like(p.gap)).sum())
        formula_weighted = float(shortfall_value(p, policy, result.baseline_special_fund).sum())
        optimum_weighted = float(shortfall_value(p, policy, result.solution.special_fund).sum())
    return {"closed": 1 - optimum_weighted / weighted_gap if weighted_gap > 0 else float("nan"),
            "formula_closed": 1 - formula_weighted / weighted_gap if weighted_gap > 0 else float("nan"),
            "min_before": float(a["coverage_before"].min()) if "served" in a.columns
            else float((a["local_funding"] / cost).min()),
            "min_formula": float(formula_coverage.min()),
            "min_after": float(a["coverage_after"].min()) if "served" in a.columns
            else float(((a["local_funding"] + a["special_fund"]) / cost).min())}


def key_figures(result: Result, lab: Labels) -> list[tuple[str, str, str]]:
    """Four tiles: money shared, shortfall closed, Gini, lowest coverage (label, value, note)."""
    s = result.summary
    cells = _cell_totals(result)
    first = str(s["years"][0])
    gini = s["metrics"][first]
    fund = sum(v or 0.0 for v in s["budget_used"].values())
    paid = sum(v or 0.0 for v in s["incentive_paid"].values())
    return [
        (lab("kpi_budget"), f"{money(fund, 0)} {lab.unit}", f"{lab('kpi_incentive')}: {money(paid, 0)} {lab.unit}"),
        (lab("kpi_valued" if _valued(result) else "kpi_shortfall"), share(cells["closed"]),
         lab("formula_vs", value=share(cells["formula_closed"]))),
        (f"{lab('kpi_gini')} ({first})", ratio(gini["optimum"]["gini"]),
         lab("before_arrow", before=ratio(gini["before"]["gini"]), after=ratio(gini["optimum"]["gini"]))
         + " · " + lab("formula_vs", value=ratio(gini["baseline"]["gini"]))),
        (lab("kpi_min_coverage"), share(cells["min_after"]),
         lab("before_arrow", before=share(cells["min_before"]), after=share(cells["min_after"]))
         + " · " + lab("formula_vs", value=share(cells["min_formula"]))),
    ]


def summary_sentences(result: Result, lab: Labels, names: pd.Series) -> list[str]:
    """The executive summary: budget and what it buys, gainers and losers, groups, equity, rules, price."""
    s = result.summary
    unit = lab.unit
    fund = sum(v or 0.0 for v in s["budget_used"].values())
    paid = sum(v or 0.0 for v in s["incentive_paid"].values())
    out = [lab("s_budget", years=lab.years(s["years"]), fund=money(fund, 0), incentive=money(paid, 0), unit=unit,
               n=f"{len(result.region_labels):,}", policy=s["policy"],
               objective=lab.describe_objective(s["objective_name"]))]
    unallocated = sum(v or 0.0 for v in s["budget_unallocated"].values())
    if unallocated > 1e-6 * max(fund, 1.0):
        key = "s_unallocated_places" if "places" in s else "s_unallocated"
        out.append(lab(key, amount=money(unallocated), unit=unit))
    cells = _cell_totals(result)
    out.append(lab("s_buys_valued" if _valued(result) else "s_buys", before=share(cells["min_before"]),
                   after=share(cells["min_after"]),
                   min_formula=share(cells["min_formula"]), closed=share(cells["closed"]),
                   formula=share(cells["formula_closed"])))
    out.append(_gainers_sentence(result, lab, names))
    out.append(lab("s_groups", groups=_groups_text(result, lab)))
    first = str(s["years"][0])
    gini = s["metrics"][first]
    out.append(lab("s_equity", year=first, before=ratio(gini["before"]["gini"]), formula=ratio(gini["baseline"]["gini"]),
                   optimum=ratio(gini["optimum"]["gini"])))
    binding = binding_counts(result)
    out.append(lab("s_binding", rules=lab.join([f"{named(RULE_NAMES, r, lab.lang)} ({lab('region_years', count=n)})"
                                               for r, n in binding.items()])) if binding else lab("s_nobinding"))
    violations = s["soft_rule_violations"]
    out.append(lab("s_soft", rules=lab.join([
        f"{named(RULE_NAMES, name, lab.lang)}: " + lab("place", count=len(items), unit=unit,
                                                       amount=money(sum(i["amount"] or 0.0 for i in items)))
        for name, items in violations.items()])) if violations else lab("s_soft_none"))
    if s["baseline_breaks"]:
        out.append(lab("s_baseline_breaks", rules=lab.join([named(RULE_NAMES, r, lab.lang) for r in s["baseline_breaks"]])))
    out.append(_price_sentence(result, lab))
    return out + places_sentences(result, lab, names)


def places_sentences(result: Result, lab: Labels, names: pd.Series) -> list[str]:
    """With places: how many are started and of which services, where they stand idle, the capital
    grants; with flows of people: who gains and loses people, and the money that moves with them."""
    out = []
    s = result.summary
    table = result.by_region
    if "places" in s:
        services = s["places"]["services"]
        built = sum(v["places_started"] or 0.0 for v in services.values())
        idle = sum(v["idle_last_year"] or 0.0 for v in services.values())
        top = table[table["idle_places"] > 0.5].nlargest(3, "idle_places")
        out.append(lab("s_places", built=money(built, 0), year=s["years"][-1], idle=money(idle, 0),
                       services=lab.join([f"{named(SERVICE_NAMES, k, lab.lang)} {money(v['places_started'] or 0.0, 0)}"
                                          for k, v in services.items()]),
                       idle_regions=lab.join([names.get(r, r) for r in top["region"]]) or "–",
                       grant=money(sum(v or 0.0 for v in s["places"]["capital_grant"].values())), unit=lab.unit))
    if "migration" in s:
        gainers = table[table["people_gained"] > 0].nlargest(3, "people_gained")
        losers = table[table["people_gained"] < 0].nsmallest(3, "people_gained")

        def people(rows: pd.DataFrame) -> str:
            return lab.join([f"{names.get(r.region, r.name)} ({signed(r.people_gained, 0)})"
                             for r in rows.itertuples()]) or "–"
        moved = sum(v or 0.0 for v in s["migration"]["money_with_people"].values())
        out.append(lab("s_people", moved=money(s["migration"]["persons_in_flows"] or 0.0, 0), gainers=people(gainers),
                       losers=people(losers), money=signed(moved), unit=lab.unit))
    return out


def _gainers_sentence(result: Result, lab: Labels, names: pd.Series) -> str:
    table = region_table(result)
    table["pct"] = table["difference"] / table["baseline_transfer"].where(table["baseline_transfer"] > 0)
    moved = table[table["difference"].abs() > 0.005 * table["baseline_transfer"].abs()]
    if moved.empty:
        return lab("s_nochange")

    def shown(rows: pd.DataFrame) -> str:
        return lab.join([f"{names.get(r.region, r.name)} ({signed(r.difference)} {lab.unit}, {_signed_share(r.pct)})"
                         for r in rows.itertuples()])
    gainers = moved[moved["difference"] > 0].nlargest(3, "difference")
    losers = moved[moved["difference"] < 0].nsmallest(3, "difference")
    return lab("s_gainers", gainers=shown(gainers) or "–", losers=shown(losers) or "–")


def _signed_share(value: float) -> str:
    if abs(value) < 0.0005:
        return share(0.0)
    text = share(value)
    return text if text.startswith(("−", "–")) else "+" + text


def _groups_text(result: Result, lab: Labels) -> str:
    stats = result.statistics
    diff = stats.vs_formula("group", aggregate_years=True)
    formula = stats.formula_transfer("group", aggregate_years=True)
    return lab.join([f"{named(GROUP_NAMES, str(g), lab.lang)} {signed(d)} {lab.unit} "
                     f"({_signed_share(d / formula[g]) if formula[g] > 0 else '–'})" for g, d in diff.items()])


def binding_counts(result: Result) -> dict[str, int]:
    """How many region-years each rule binds, most first (from regions.csv's ``binding_rules``)."""
    rules = result.regions["binding_rules"].fillna("").astype(str)
    counts = rules[rules != ""].str.split(";").explode().value_counts(sort=False)
    return {str(k): int(v) for k, v in counts.sort_values(ascending=False, kind="stable").items()}


def _price_sentence(result: Result, lab: Labels) -> str:
    prices = result.summary["budget_shadow_price"]
    year, first = next(iter(prices.items()))
    value = first["value"]
    if value is None or abs(value) < 1e-12:
        return lab("s_price_zero", unit=lab.unit)
    return lab("s_price", unit=lab.unit, year=year, value=ratio(value),
               objective=lab.objective(result.summary["objective_name"]), low=money(first["valid_from"], 0),
               high=money(first["valid_to"], 0))


def result_tables(result: Result, lab: Labels, names: pd.Series) -> list[Table]:
    """Budget by year, regions, equity metrics, Gini by year, soft-rule bends (when any)."""
    tables = [year_table(result, lab), regions_table(result, lab, names), metrics_table(result, lab)]
    if len(result.summary["years"]) > 1:
        tables.append(gini_table(result, lab))
    if result.summary["soft_rule_violations"]:
        tables.append(soft_table(result, lab))
    if "places" in result.summary:
        tables.append(places_service_table(result, lab))
    if "by_region" in result.summary:
        tables.append(places_table(result, lab, names))
    return tables


def places_service_table(result: Result, lab: Labels) -> Table:
    """Per service with places: at the start, started, converted in and away, idle, served and demand
    in the last year (persons)."""
    services = result.summary["places"]["services"]
    keys = ("places_at_start", "places_started", "places_converted_in", "places_converted_out", "idle_last_year",
            "served_last_year", "demand_last_year")
    rows = [[named(SERVICE_NAMES, name, lab.lang)] + [money(v[k] or 0.0, 0) for k in keys]
            for name, v in services.items()]
    columns = [lab(c) for c in ("col_service", "col_places_start", "col_places_built", "col_places_converted_in",
                                "col_places_converted", "col_idle", "col_served", "col_demand")]
    return Table(lab("t_places_services"), columns, rows, [False] + [True] * 7,
                 lab("units_line", units=lab("unit_places")))


def places_table(result: Result, lab: Labels, names: pd.Series) -> Table:
    """Per region: people gained or lost, places started and converted, idle places in the last year,
    capital grants and the money that moved with the people; regions with most places built and
    most people moved first, the first :data:`REPORT_REGIONS`."""
    table = result.by_region.copy()
    table["_order"] = table["places_built"] + table["idle_places"] + table["people_gained"].abs()
    table = table.sort_values("_order", ascending=False, kind="stable")
    shown = table.head(REPORT_REGIONS)
    decimals = {c: column_decimals(shown[c].tolist()) for c in ("capital_grant", "money_with_people")}
    rows = [[str(r.region), names.get(r.region, r.name), signed(r.people_gained, 0), money(r.places_built, 0),
             money(r.places_converted, 0), money(r.idle_places, 0), money(r.capital_grant, decimals["capital_grant"]),
             signed(r.money_with_people, decimals["money_with_people"])] for r in shown.itertuples()]
    columns = [lab(c) for c in ("col_region", "col_name", "col_people", "col_places_built", "col_places_converted",
                                "col_idle", "col_capital_grant", "col_money_people")]
    units = lab.join([lab("unit_places"), f"{lab('col_capital_grant')}, {lab('col_money_people')}: {lab.unit_long}"])
    note = lab("t_regions_first", shown=REPORT_REGIONS, total=f"{len(table):,}") if len(table) > REPORT_REGIONS else ""
    return Table(lab("t_places"), columns, rows, [False, False] + [True] * 6, lab("units_line", units=units), note)


def year_table(result: Result, lab: Labels) -> Table:
    """Per year: budget, used, incentive pool and paid, the budget's shadow price and its range."""
    s = result.summary
    rows = []
    for y in s["years"]:
        key = str(y)
        price = s["budget_shadow_price"][key]
        valid = (f"{money(price['valid_from'], 0)} – {money(price['valid_to'], 0)}"
                 if price["valid_from"] is not None and price["valid_to"] is not None else "–")
        rows.append([key, money(s["budget"][key], 0), money(s["budget_used"][key], 0),
                     money(s["incentive_pool"][key], 0), money(s["incentive_paid"][key], 0), ratio(price["value"]),
                     valid])
    columns = [lab(c) for c in ("col_year", "col_budget", "col_used", "col_pool", "col_paid", "col_price", "col_valid")]
    units = lab.join([f"{lab('col_budget')}, {lab('col_used')}, {lab('col_pool')}, {lab('col_paid')}, "
                      f"{lab('col_valid')}: {lab.unit_long}",
                      f"{lab('col_price')}: {lab('unit_price', unit=lab.unit)}"])
    return Table(lab("t_years"), columns, rows, [False] + [True] * 6, lab("units_line", units=units))


def regions_table(result: Result, lab: Labels, names: pd.Series) -> Table:
    """Per region over all years: transfer, formula, difference (and the actual transfer when
    regions.csv has it), transfer per head, rules that bind."""
    reg = result.regions
    yuan = result.instance.yuan_per_unit
    grouped = reg.groupby("region", sort=False)
    frame = pd.DataFrame({
        "group": grouped["group"].first(), "special": grouped["special_fund"].sum(),
        "incentive": grouped["incentive"].sum(), "transfer": grouped["transfer"].sum(),
        "formula": grouped["baseline_special_fund"].sum() + grouped["baseline_incentive"].sum(),
        "people": grouped["population"].sum(),
        "binding": grouped["binding_rules"].agg(lambda v: ";".join(dict.fromkeys(
            r for text in v.fillna("").astype(str) for r in text.split(";") if r)))})
    frame["difference"] = frame["transfer"] - frame["formula"]
    frame["per_head"] = frame["transfer"] * yuan / frame["people"]
    actual_year = None
    if _has_actual(result):
        known = reg[reg["actual_transfer"].notna()]
        actual_year = int(known["year"].iloc[0])
        frame["actual"] = known[known["year"] == actual_year].set_index("region")["actual_transfer"]
    shown = frame.head(REPORT_REGIONS)
    money_columns = ["special", "incentive", "transfer", "formula", "difference"] + (["actual"] if actual_year else [])
    decimals = {c: column_decimals(shown[c].tolist()) for c in money_columns}
    rows = []
    for region, r in shown.iterrows():
        pct = r["difference"] / r["formula"] if r["formula"] > 0 else float("nan")
        row = [str(region), names.get(region, str(region)), named(GROUP_NAMES, str(r["group"]), lab.lang),
               money(r["special"], decimals["special"]), money(r["incentive"], decimals["incentive"]),
               money(r["transfer"], decimals["transfer"]), money(r["formula"], decimals["formula"]),
               signed(r["difference"], decimals["difference"]), _signed_share(pct) if np.isfinite(pct) else "–"]
        if actual_year:
            row.append(money(r["actual"], decimals["actual"]))
        row += [money(r["per_head"], 0), lab.join([named(RULE_NAMES, b, lab.lang) for b in r["binding"].split(";") if b])]
        rows.append(row)
    columns = [lab(c) for c in ("col_region", "col_name", "col_group", "col_special", "col_incentive", "col_transfer",
                                "col_formula", "col_difference", "col_difference_pct")]
    numeric = [False, False, False] + [True] * 6
    if actual_year:
        columns.append(lab("col_actual", year=actual_year))
        numeric.append(True)
    columns += [lab("col_per_head"), lab("col_binding")]
    numeric += [True, False]
    units = lab.join([f"{lab('col_special')} … {lab('col_difference')}: {lab.unit_long}",
                      f"{lab('col_per_head')}: {lab('unit_per_head')} ({lab('years')} {lab.years(result.summary['years'])})"])
    note = lab("t_regions_first", shown=REPORT_REGIONS, total=f"{len(frame):,}") if len(frame) > REPORT_REGIONS else ""
    return Table(lab("t_regions"), columns, rows, numeric, lab("units_line", units=units), note, "regions")


def metrics_table(result: Result, lab: Labels) -> Table:
    """The first year's equity metrics: rows metrics, columns before / formula / optimum."""
    year = result.summary["years"][0]
    m = result.metrics[result.metrics["year"] == year].set_index("state")
    rows = [[lab("m_" + k)] + [ratio(m.loc[state, k]) for state in ("before", "baseline", "optimum")] for k in METRICS]
    columns = [lab("col_metric"), lab("before"), lab("baseline"), lab("optimum")]
    return Table(lab("t_metrics", year=year), columns, rows, [False, True, True, True],
                 lab("unit_free"))


def gini_table(result: Result, lab: Labels) -> Table:
    """The Gini coefficient by year and state."""
    m = result.metrics.pivot(index="year", columns="state", values="gini")
    rows = [[str(y)] + [ratio(m.loc[y, state]) for state in ("before", "baseline", "optimum")] for y in m.index]
    columns = [lab("col_year"), lab("before"), lab("baseline"), lab("optimum")]
    return Table(lab("t_gini_years"), columns, rows, [False, True, True, True], lab("unit_free"))


def soft_table(result: Result, lab: Labels) -> Table:
    """Each bend of a soft rule: rule, where, amount (money_unit); the first :data:`SOFT_ROWS`."""
    rows = []
    for name, items in result.summary["soft_rule_violations"].items():
        for item in items:
            rows.append([named(RULE_NAMES, name, lab.lang), " / ".join(str(a) for a in item["at"]), money(item["amount"])])
    note = f"{SOFT_ROWS} / {len(rows)}: summary.json" if len(rows) > SOFT_ROWS else ""
    return Table(lab("t_soft"), [lab("col_rule"), lab("col_where"), lab("col_amount")], rows[:SOFT_ROWS],
                 [False, False, True], lab("units_line", units=f"{lab('col_amount')}: {lab.unit_long}"), note)


def glossary(lab: Labels) -> list[tuple[str, str]]:
    """The terms a reader needs: coverage, weighted shortfall, shadow price and its sign, formula, Gini, soft rule."""
    return [(lab(k), lab(k + "_text", unit=lab.unit)) for k in
            ("g_coverage", "g_shortfall", "g_price", "g_formula", "g_gini", "g_soft")]
