"""Human-facing reports of a :class:`~fiscal_opt.results.Result` (Markdown, HTML, terminal table).

Reads the result's tables only; never calls the solver. User text is escaped in HTML, and in
Markdown also against links, images and line breaks.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..results.result import Result

METRIC_COLUMNS = ["gini", "theil_t", "theil_l", "cv", "max_min_ratio"]
REPORT_REGIONS = 200
"""Regions listed in a report; the rest are in regions.csv."""
_MD_SPECIAL = re.compile(r"([\\\[\]|])")
"""Backslash-escaped in Markdown cells: the brackets of links and images, the table's bar, and the
backslash that could undo an escape."""
_LINE_BREAK = re.compile(r"\r\n?|\n")


def region_table(result: Result) -> pd.DataFrame:
    """Per region, summed over years: optimum vs formula baseline (money_unit)."""
    reg = result.regions
    table = reg.groupby(["region", "name"], sort=False)[
        ["special_fund", "incentive", "transfer", "baseline_special_fund", "baseline_incentive"]].sum()
    table["baseline_transfer"] = table.pop("baseline_special_fund") + table.pop("baseline_incentive")
    table["difference"] = table["transfer"] - table["baseline_transfer"]
    return table.reset_index()


def year_table(result: Result) -> pd.DataFrame:
    """Per year: budget, used, incentive paid and the budget's shadow price."""
    s = result.summary
    rows = []
    for y in s["years"]:
        key = str(y)
        rows.append({"year": y, "budget": s["budget"][key], "budget_used": s["budget_used"][key],
                     "incentive_paid": s["incentive_paid"][key],
                     "budget_shadow_price": s["budget_shadow_price"][key]["value"]})
    return pd.DataFrame(rows)


def _headline(result: Result, quote: Callable[[str], str]) -> list[str]:
    """Headline facts; ``quote`` makes user text safe for the target format."""
    s = result.summary
    unit = s["money_unit"]
    lines = [f"- Instance: **{quote(s['instance'])}**; policy: **{quote(s['policy'])}** "
             f"(objective `{s['objective_name']}`)",
             f"- Status: **{s['status']}**; objective: {s['objective']:.6g}",
             f"- Money in `{unit}`; per-capita figures in yuan per person"]
    if s["coverage_levels"]:
        lines.append(f"- Coverage levels reached: {', '.join(f'{v:.4f}' for v in s['coverage_levels'][:10])}")
    if s["baseline_breaks"]:
        lines.append(f"- The formula baseline breaks: {', '.join(s['baseline_breaks'])}")
    else:
        lines.append("- The formula baseline keeps every rule of the policy")
    lines += [f"- Note: {n}" for n in s["notes"]]
    return lines


def _md(frame: pd.DataFrame) -> str:
    cols = [str(c) for c in frame.columns]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        out.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(out)


def _cell(v: object) -> str:
    """Markdown text of a cell or a name: numbers formatted; user text HTML-escaped (Markdown viewers
    render HTML), ``[``, ``]``, ``|`` and ``\\`` backslash-escaped (no link, image or extra cell),
    each line break a space (CommonMark ends a line at CR too)."""
    if isinstance(v, float):
        return "" if v != v else f"{v:,.4g}" if abs(v) < 1 else f"{v:,.2f}"
    return _MD_SPECIAL.sub(r"\\\1", _LINE_BREAK.sub(" ", html.escape(str(v))))


def _regions_shown(result: Result) -> tuple[pd.DataFrame, str]:
    table = region_table(result)
    rest = len(table) - REPORT_REGIONS
    return table.head(REPORT_REGIONS), (f"The first {REPORT_REGIONS} of {len(table)} regions; all are in regions.csv."
                                        if rest > 0 else "")


def markdown_report(result: Result) -> str:
    """The report as Markdown: headline facts, years, regions vs baseline, equity metrics."""
    metrics = result.metrics[["year", "state"] + METRIC_COLUMNS]
    regions, note = _regions_shown(result)
    parts = [f"# fiscal_opt report: {_cell(result.instance.name)}", "", *_headline(result, _cell), "",
             "## Budget by year", "", _md(year_table(result)), "",
             "## Transfers by region (all years): optimum and formula baseline", "", _md(regions), note, "",
             "## Equity of per-capita resources", "", _md(metrics), ""]
    violations = result.summary["soft_rule_violations"]
    if violations:
        parts += ["## Soft rules that bend", ""]
        parts += [f"- `{name}`: {len(items)} place(s), total {sum(i['amount'] for i in items):.6g}"
                  for name, items in violations.items()]
        parts.append("")
    return "\n".join(parts)


def html_report(result: Result) -> str:
    """The report as a self-contained HTML page; every user string is escaped."""
    esc = html.escape
    items = "".join(f"<li>{esc(line[2:]).replace('**', '')}</li>" for line in _headline(result, str))
    metrics = result.metrics[["year", "state"] + METRIC_COLUMNS]
    regions, note = _regions_shown(result)
    return ("<!doctype html><html><head><meta charset='utf-8'><title>fiscal_opt report: "
            f"{esc(result.instance.name)}</title></head><body>"
            f"<h1>fiscal_opt report: {esc(result.instance.name)}</h1><ul>{items}</ul>"
            f"<h2>Budget by year</h2>{year_table(result).to_html(index=False, escape=True)}"
            f"<h2>Transfers by region</h2>{regions.to_html(index=False, escape=True)}<p>{esc(note)}</p>"
            f"<h2>Equity of per-capita resources</h2>{metrics.to_html(index=False, escape=True)}"
            "</body></html>\n")
