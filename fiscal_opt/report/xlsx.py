"""``allocations.xlsx`` for analysts: a summary sheet, then regions, allocations and metrics.

Every sheet has a bold header row naming each column with its unit, frozen, with a filter, number
formats (money ``#,##0.00``, per head ``#,##0``, shares ``0.0%``) and column widths. The regions sheet
sets the formula allocation (and the actual transfer, when regions.csv has ``actual_transfer``)
beside the optimum.

openpyxl builds the workbook: styles, the summary sheet, and each data sheet's header and first
row. The data rows are then written as sheet XML directly, column by column with the style each
column's first row got from openpyxl: a county-scale workbook (2,850 regions × 4 services × 5
years) takes a second or two where a cell-by-cell writer takes ten (docs/reports.md). The file is
the same bytes for the same result: zip entries and document properties carry a fixed timestamp.
Text is neutralised against formula injection like the CSV files.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from .content import binding_counts

if TYPE_CHECKING:
    from ..results.result import Result

FIXED_TIME = datetime.datetime(2000, 1, 1)
"""The creation and modification time written into every workbook, so equal results give equal bytes."""
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

MONEY, PER_HEAD, SHARE, PLAIN, COUNT, YEAR, RATIO = "#,##0.00", "#,##0", "0.0%", "0.000", "#,##0", "0", "0.0000"


@dataclass(frozen=True)
class Column:
    """One column of a data sheet: the frame's column, its header unit and number format."""

    name: str
    unit: str = ""
    number_format: str | None = None


def region_columns(result: Result) -> list[Column]:
    """The regions sheet: identity, then transfer beside formula (and actual), then the details."""
    money = result.instance.money_unit
    columns = [Column("region"), Column("name")]
    if "name_zh" in result.region_labels.columns:
        columns.append(Column("name_zh"))
    columns += [Column("group"), Column("year", number_format=YEAR), Column("transfer", money, MONEY),
                Column("formula_transfer", money, MONEY)]
    if "actual_transfer" in result.regions.columns:
        columns.append(Column("actual_transfer", money, MONEY))
    columns += [Column("vs_formula", money, MONEY), Column("special_fund", money, MONEY),
                Column("incentive", money, MONEY), Column("baseline_special_fund", money, MONEY),
                Column("baseline_incentive", money, MONEY), Column("formula_incentive", money, MONEY),
                Column("transfer_per_capita", "yuan/person", PER_HEAD),
                Column("transfer_per_migrant", "yuan/migrant", PER_HEAD),
                Column("resources_per_capita_before", "yuan/person", PER_HEAD),
                Column("resources_per_capita_after", "yuan/person", PER_HEAD),
                Column("population", "persons", COUNT), Column("migrants", "persons", COUNT),
                Column("fiscal_difficulty", "0-1", PLAIN), Column("priority", "weight", PLAIN),
                Column("binding_rules")]
    return columns


def allocation_columns(result: Result) -> list[Column]:
    """The allocations sheet: one row per region × year × service."""
    money = result.instance.money_unit
    return [Column("region"), Column("name"), Column("year", number_format=YEAR), Column("service"),
            Column("standard_cost", money, MONEY), Column("local_funding", money, MONEY), Column("gap", money, MONEY),
            Column("ceiling", money, MONEY), Column("special_fund", money, MONEY),
            Column("baseline_special_fund", money, MONEY), Column("shortfall", money, MONEY),
            Column("coverage_before", "share", SHARE), Column("coverage_after", "share", SHARE),
            Column("weight", "priority", PLAIN)]


def metric_columns(result: Result) -> list[Column]:
    """The metrics sheet: unit-free equity metrics by year and state."""
    return [Column("year", number_format=YEAR), Column("state")] + [
        Column(c, "", RATIO) for c in result.metrics.columns if c not in ("year", "state")]


def data_frames(result: Result) -> dict[str, tuple[pd.DataFrame, list[Column]]]:
    """The data sheets' frames (columns as :func:`region_columns` etc. name them)."""
    reg = result.regions.copy()
    reg["formula_transfer"] = reg["baseline_special_fund"] + reg["baseline_incentive"]
    reg["vs_formula"] = reg["transfer"] - reg["formula_transfer"]
    labels = result.region_labels.set_index("region")
    if "name_zh" in labels.columns:
        reg["name_zh"] = reg["region"].map(labels["name_zh"]).to_numpy()
    alloc = result.allocations.copy()
    alloc["name"] = alloc["region"].map(labels["name"]).to_numpy()
    return {"regions": (reg, region_columns(result)), "allocations": (alloc, allocation_columns(result)),
            "metrics": (result.metrics, metric_columns(result))}


def workbook_bytes(result: Result) -> bytes:
    """The workbook of ``result`` as bytes (deterministic)."""
    from openpyxl import Workbook

    from .safety import neutralise

    book = Workbook()
    _summary_sheet(book.active, result)
    frames = {name: (neutralise(frame[[c.name for c in columns]]), columns)
              for name, (frame, columns) in data_frames(result).items()}
    for name, (frame, columns) in frames.items():
        _template_sheet(book.create_sheet(name), frame, columns)
    book.properties.creator = "fiscal_opt"
    book.properties.created = book.properties.modified = FIXED_TIME
    draft = io.BytesIO()
    from openpyxl.writer.excel import ExcelWriter

    with zipfile.ZipFile(draft, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    sheets = {f"xl/worksheets/sheet{k}.xml": frames[name] for k, name in enumerate(frames, start=2)}
    out = io.BytesIO()
    with zipfile.ZipFile(draft) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename in sheets:
                data = _fill_sheet(data.decode("utf-8"), *sheets[entry.filename]).encode("utf-8")
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data, compresslevel=6)
    return out.getvalue()


def write_workbook(result: Result, path: Path) -> None:
    """Write ``allocations.xlsx`` of ``result`` to ``path``."""
    path.write_bytes(workbook_bytes(result))


def _header(column: Column) -> str:
    return f"{column.name} ({column.unit})" if column.unit else column.name


def _template_sheet(sheet, frame: pd.DataFrame, columns: list[Column]) -> None:  # noqa: ANN001 - openpyxl sheet
    """Header row, the first data row (which carries each column's style), freeze, filter, widths."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E9EEF4")
    for j, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=j, value=_header(column))
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(vertical="bottom", wrap_text=False)
        sample = sheet.cell(row=2, column=j, value=_plain(frame[column.name].iloc[0]) if len(frame) else None)
        if column.number_format:
            sample.number_format = column.number_format
        sheet.column_dimensions[get_column_letter(j)].width = _width(frame[column.name], _header(column))
    sheet.freeze_panes = "C2" if columns[0].name == "region" else "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(frame) + 1}"


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _width(series: pd.Series, header: str) -> float:
    """A column width (characters) that shows the header and the first hundred values."""
    sample = series.head(100)
    if pd.api.types.is_numeric_dtype(sample):
        longest = max((len(f"{v:,.2f}") for v in sample.to_numpy(dtype=float) if np.isfinite(v)), default=4)
    else:
        longest = max((_display_length(str(v)) for v in sample), default=4)
    return float(min(max(len(header), longest) + 2, 48))


def _display_length(text: str) -> int:
    """Characters as wide as a Latin letter: a CJK character counts two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


_SHEET_DATA = re.compile(r"<sheetData>.*</sheetData>", re.S)
_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')
_TEMPLATE_CELL = re.compile(r'<c r="([A-Z]+)2"((?: [a-z]+="[^"]*")*)')
_STYLE = re.compile(r' s="(\d+)"')
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _fill_sheet(xml: str, frame: pd.DataFrame, columns: list[Column]) -> str:
    """Replace the template sheet's rows with every row of ``frame``, each cell styled as its
    column's template cell."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(j) for j in range(1, len(columns) + 1)]
    data = _SHEET_DATA.search(xml).group(0)
    header = data[len("<sheetData>"):data.index("</row>") + len("</row>")]
    styles = {}
    for letter, attributes in _TEMPLATE_CELL.findall(xml):
        found = _STYLE.search(attributes)
        styles[letter] = f' s="{found.group(1)}"' if found else ""
    cells = [_column_cells(frame[c.name], letter, styles.get(letter, ""))
             for c, letter in zip(columns, letters)]
    rows = [f'<row r="{i}">' + "".join(parts) + "</row>" for i, parts in enumerate(zip(*cells), start=2)]
    last = f"{letters[-1]}{len(frame) + 1}"
    xml = _DIMENSION.sub(f'<dimension ref="A1:{last}"/>', xml, count=1)
    return _SHEET_DATA.sub(lambda _m: "<sheetData>" + header + "".join(rows) + "</sheetData>", xml, count=1)


def _column_cells(series: pd.Series, letter: str, style: str) -> list[str]:
    """One ``<c>`` element per value of ``series`` (an empty string for a missing value)."""
    values = series.to_numpy()
    n = len(values)
    refs = [f"{letter}{i}" for i in range(2, n + 2)]
    if values.dtype.kind in "iub":
        return [f'<c r="{r}"{style}><v>{v}</v></c>' for r, v in zip(refs, values.astype(np.int64).tolist())]
    if values.dtype.kind == "f":
        finite = np.isfinite(values)
        return [f'<c r="{r}"{style}><v>{v!r}</v></c>' if ok else ""
                for r, v, ok in zip(refs, values.tolist(), finite.tolist())]
    out = []
    for r, v in zip(refs, values.tolist()):
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            out.append("")
            continue
        text = escape(_ILLEGAL.sub("", str(v)))
        space = ' xml:space="preserve"' if text != text.strip() else ""
        out.append(f'<c r="{r}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return out


def _summary_sheet(sheet, result: Result) -> None:  # noqa: ANN001 - openpyxl sheet
    """The first sheet: what was solved, the budget by year with shadow prices and their ranges,
    equity in the first year, the rules that bind and bend, with units."""
    from openpyxl.styles import Font

    from .safety import safe_text as safe

    s = result.summary
    unit = s["money_unit"]
    bold, title = Font(bold=True), Font(bold=True, size=14)
    sheet.title = "summary"
    sheet.append([safe(f"fiscal_opt result: {s['instance']}")])
    sheet["A1"].font = title
    facts = [("instance", s["instance"]), ("policy", s["policy"]), ("status", s["status"]),
             ("objective", s["objective_name"]), ("objective value", s["objective"]),
             ("objective unit", s["objective_unit"]), ("money unit", unit),
             ("per-head unit", s["per_capita_unit"]), ("input sha256", s["input_sha256"])]
    for key, value in facts:
        sheet.append([key, safe(value)])
        sheet.cell(sheet.max_row, 1).font = bold
    sheet.append([])
    header = ["year", f"budget ({unit})", f"used ({unit})", f"unallocated ({unit})", f"incentive pool ({unit})",
              f"incentive paid ({unit})", f"shadow price (objective per {unit})", f"valid from ({unit})",
              f"valid to ({unit})"]
    sheet.append(header)
    first_row = sheet.max_row
    for y in s["years"]:
        key = str(y)
        price = s["budget_shadow_price"][key]
        sheet.append([y, s["budget"][key], s["budget_used"][key], s["budget_unallocated"][key], s["incentive_pool"][key],
                      s["incentive_paid"][key], price["value"], price["valid_from"], price["valid_to"]])
        for j in range(2, 10):
            sheet.cell(sheet.max_row, j).number_format = MONEY if j != 7 else "0.000000"
    for j in range(1, len(header) + 1):
        sheet.cell(first_row, j).font = bold
    sheet.append([])
    year = str(s["years"][0])
    sheet.append([f"equity of resources per head, {year} (unit-free)", "before", "formula", "optimum"])
    for j in range(1, 5):
        sheet.cell(sheet.max_row, j).font = bold
    for metric in ("gini", "theil_t", "theil_l", "cv", "max_min_ratio"):
        sheet.append([metric] + [s["metrics"][year][state][metric] for state in ("before", "baseline", "optimum")])
        for j in range(2, 5):
            sheet.cell(sheet.max_row, j).number_format = RATIO
    sheet.append([])
    sheet.append(["rules that bind (region-years)"])
    sheet.cell(sheet.max_row, 1).font = bold
    for rule, count in binding_counts(result).items():
        sheet.append([safe(rule), count])
    sheet.append(["soft rules that bent (places, total in " + unit + ")"])
    sheet.cell(sheet.max_row, 1).font = bold
    for rule, items in s["soft_rule_violations"].items():
        sheet.append([safe(rule), len(items), sum(i["amount"] or 0.0 for i in items)])
    if not s["soft_rule_violations"]:
        sheet.append(["none"])
    sheet.column_dimensions["A"].width = 44
    for letter in "BCDEFGHI":
        sheet.column_dimensions[letter].width = 18
    sheet.freeze_panes = "A2"
