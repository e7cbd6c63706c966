"""Region tables: rows from inline YAML or a regions CSV, one row per region × year, checked in bulk.

inline rows / :func:`~fiscal_opt.io.csvfile.read_csv` → :class:`RegionTable` (text columns as
text, every other column as float64 with the text of cells that are not numbers) →
:func:`cell_problems` → :func:`expand_years` (ids checked, a row without a year holds for every
year) → :func:`check_regions` (typed frame, vectorised checks) → :func:`cost_problems`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from .csvfile import MAX_SAME, CsvTable, numbers
from .schema import MAX_REGION_YEARS, Service
from .values import MAX_NUMBER, MONEY_UNITS
from .yamlfile import (Lines, Location, clip, codepoints, format_location, invisible_character, same_name, shown)

TEXT_COLUMNS = ("id", "name", "group")
STRUCTURAL = (*TEXT_COLUMNS, "year")
"""Columns that say which row is which; never a number a service or the incentive can use."""
KNOWN_NUMERIC = ("population", "migrants", "fiscal_capacity", "reform_score", "central_share_cap",
                 "cost_index", "prior_transfer", "local_capital")
"""Region columns with a meaning of their own in MODEL.md §2."""
REQUIRED_COLUMNS = ("id", "population", "fiscal_capacity", "migrants")
MEANINGS = {"id": "the region id (text)", "name": "the region name (text)", "group": "the region group (text)",
            "year": "the year a row holds for", "population": "a count of persons", "migrants": "a count of persons",
            "fiscal_capacity": "money (the region's fiscal capacity)",
            "prior_transfer": "money (last year's transfer)", "reform_score": "a share (the reform score)",
            "central_share_cap": "a share (the region's central share cap)", "cost_index": "a cost index",
            "local_capital": "money (the region's own capital for new places)"}
"""What each column with a meaning of its own holds."""
ROLES = {"driver": ("a column counting the service's beneficiaries (persons)", ("population", "migrants")),
         "local_funding": ("a column of the region's own money for the service", ("fiscal_capacity",)),
         "central_share_cap": ("a column of shares in (0, 1]", ("central_share_cap",)),
         "basis": ("a column counting persons (such as settled migrants)", ("population", "migrants")),
         "capacity": ("a column counting places (persons served at once, such as school places)", ())}
"""Keys that name a region column: what the column must hold, and which columns of
:data:`MEANINGS` hold it."""
SERVICE_COLUMN_KEYS = ("driver", "local_funding", "central_share_cap", "capacity")
"""Service keys that may name a region column."""


class RegionTable:
    """Region rows with the file, line and key path each row came from.

    ``frame`` holds ``id``, ``name``, ``group`` and label columns as text, every other column as
    float64 (NaN where blank or not a number; ``bad`` keeps the text of those cells, column →
    {row: text}). Row ``i`` comes from ``label.format(origin[i])`` (``row 3``, ``regions[2]``) at
    line ``lines[i]`` (0 when unknown). ``by_year`` marks the cells of inline ``{year: value}`` maps
    (row, column), whose key path names the year; ``reported`` holds key paths whose problem is
    already reported.
    """

    def __init__(self, frame: pd.DataFrame, file: str, lines: np.ndarray, origin: np.ndarray, label: str,
                 by_year: set[tuple[int, str]] | None = None, reported: set[str] | None = None,
                 header_line: int | None = None, bad: dict[str, dict[int, str]] | None = None):
        self.frame = frame
        self.file = file
        self.lines = lines
        self.origin = origin
        self.label = label
        self.by_year = by_year or set()
        self.reported = reported if reported is not None else set()
        self.header_line = header_line
        """Where the columns are named: the CSV header row, or the instance's ``regions:`` key."""
        self.bad = bad or {}

    def row_path(self, row: int) -> str:
        return self.label.format(self.origin[row])

    def path(self, row: int, column: str) -> str:
        year = f"[{int(self.frame['year'].iloc[row])}]" if (row, column) in self.by_year else ""
        return f"{self.row_path(row)}.{column}{year}"

    def problem(self, row: int, column: str, message: str) -> Problem:
        return Problem(self.file, self.path(row, column), message, int(self.lines[row]) or None)

    def flag(self, rows: np.ndarray, column: str, message: Callable[[int], str]) -> list[Problem]:
        """One problem per row in ``rows`` (not those already reported), at most :data:`MAX_SAME`;
        a last line counts the rest."""
        picked = [int(i) for i in rows if not self.reported or self.path(int(i), column) not in self.reported]
        out = [self.problem(i, column, message(i)) for i in picked[:MAX_SAME]]
        if len(picked) > MAX_SAME:
            out.append(Problem(self.file, column, f"… and {len(picked) - MAX_SAME:,} more rows with the same "
                               "problem"))
        return out


def csv_table(table: CsvTable, shown_as: str) -> RegionTable:
    """A regions CSV as a region table; without a ``year`` column every row holds for every year."""
    frame = pd.DataFrame(table.columns)
    if "year" not in frame.columns:
        frame["year"] = np.nan
    return RegionTable(frame, shown_as, table.lines, np.arange(1, len(frame) + 1), "row {}",
                       header_line=table.header_line, bad=table.bad)


def _cell_text(value: Any, written: str | None) -> str:
    """Inline YAML values as the text a CSV would hold: text stripped as a CSV cell is, numbers as
    written (``1.50`` stays ``1.50`` in a text column) or exactly (floats round-trip through repr)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return value.strip()
    if written is not None:
        return written
    return repr(value) if isinstance(value, float) else str(value)


def inline_table(rows: list[Any], file: str, lines: Lines, years: tuple[int, ...], single: bool,
                 number_columns: set[str]) -> tuple[RegionTable, list[Problem]]:
    """Inline rows as a region table; a ``{year: value}`` map gives one row per year. A cell of
    ``number_columns`` written in a YAML 1.1 form that is text here (``010``, ``20:00``) is a problem."""
    out: list[dict[str, str]] = []
    row_lines: list[int] = []
    origin: list[int] = []
    by_year: set[tuple[int, str]] = set()
    reported: set[str] = set()
    problems: list[Problem] = []

    def report(loc: Location, message: str) -> None:
        problems.append(Problem(file, format_location(loc), message, lines.near(loc)))
        reported.add(format_location(loc))

    def cell(loc: Location, column: str, value: Any) -> str:
        note = lines.notes.get(loc)
        if note is not None and column in number_columns:
            report(loc, f"not a number: {shown(value)}; {note}")
            return ""
        return _cell_text(value, lines.written.get(loc) if column in TEXT_COLUMNS else None)

    for i, row in enumerate(rows):
        base = ("regions", i)
        if not isinstance(row, dict):
            problems.append(Problem(file, format_location(base), "each region must be a mapping of column: value",
                                    lines.near(base)))
            continue
        if "year" in row:
            problems.append(Problem(file, format_location(base + ("year",)), "inline regions give year-dependent "
                                    "values as {year: value} maps, not a `year` key", lines.near(base + ("year",))))
            continue
        cells: dict[str, Any] = {}
        for key, value in row.items():
            loc = base + (key,)
            column = str(key).strip()
            if column in cells:
                report(loc, f"the column `{clip(column)}` appears twice in this region (once with spaces around "
                       "it); write it once")
                continue
            if isinstance(value, list):
                report(loc, "a list is not a value: give a number or text"
                       + ("" if single else ", or a {year: value} map"))
                value = None
            elif isinstance(value, dict) and single:
                report(loc, "a {year: value} map needs the instance's `years`: give one value, or list the "
                       "years in `years:`")
                value = None
            elif isinstance(value, dict):
                value = _year_map(value, loc, years, report)
            cells[column] = ({y: cell(loc + (y,), column, v) for y, v in value.items()} if isinstance(value, dict)
                             else cell(loc, column, value))
        maps = [k for k, v in cells.items() if isinstance(v, dict)]
        for year in years if maps else ("",):
            by_year.update((len(out), k) for k in maps)
            out.append({k: v.get(year, "") if isinstance(v, dict) else v for k, v in cells.items()}
                       | {"year": str(year)})
            row_lines.append(lines.near(base) or 0)
            origin.append(i)
    columns = pd.DataFrame(out, dtype=str).fillna("") if out else pd.DataFrame(columns=["id", "year"], dtype=str)
    frame, bad = _typed(columns, number_columns)
    return RegionTable(frame, file, np.array(row_lines, dtype=np.int64), np.array(origin, dtype=np.int64),
                       "regions[{}]", by_year, reported, lines.near(("regions",)), bad), problems


def _year_map(value: dict[Any, Any], loc: Location, years: tuple[int, ...],
              report: Callable[[Location, str], None]) -> dict[Any, Any]:
    """A region's ``{year: value}`` map, with wrongly written and unknown years reported."""
    as_text = [y for y in value if isinstance(y, str) and y.strip().isdigit()]
    unknown = [y for y in value if y not in years and y not in as_text]
    if as_text:
        report(loc, f"year(s) {', '.join(as_text)} are written as text; write years as plain whole numbers "
               "(2025), without quotes or a leading zero")
    if unknown:
        report(loc, f"year(s) {', '.join(map(shown, unknown))} are not in the instance's years {list(years)}")
    for year, cell in value.items():
        if isinstance(cell, (dict, list)) and year in years:
            report(loc + (year,), f"the value for {year} must be a number or text, not {shown(cell)}")
    return {y: None if isinstance(v, (dict, list)) else v for y, v in value.items() if y in years}


def _typed(columns: pd.DataFrame, number_columns: set[str]) -> tuple[pd.DataFrame, dict[str, dict[int, str]]]:
    """Text cells as the table keeps them: text columns and labels as text, the rest as numbers."""
    frame: dict[str, Any] = {}
    bad: dict[str, dict[int, str]] = {}
    for column in columns.columns:
        texts = columns[column].to_numpy(dtype=object)
        if column in TEXT_COLUMNS:
            frame[column] = texts
            continue
        values, wrong = numbers(texts)
        if len(wrong) and column not in number_columns and column != "year":
            frame[column] = texts  # a label column the model does not use, kept as written
            continue
        frame[column] = values
        bad[column] = {int(i): texts[i] for i in wrong}
    return pd.DataFrame(frame, index=pd.RangeIndex(len(columns))), bad


def cell_problems(table: RegionTable, used: set[str], roles: Mapping[str, tuple[str, int | None]],
                  file: str) -> list[Problem]:
    """Cells of ``used`` columns that are not finite numbers; a column that a key in ``roles``
    (column → key path and line in ``file``) names and that holds only text is one problem at the key."""
    problems: list[Problem] = []
    for column, cells in table.bad.items():
        if column == "year" or column not in used or not cells:
            continue
        rows = np.array(sorted(cells))
        if column in roles and column not in KNOWN_NUMERIC and not np.isfinite(table.frame[column].to_numpy()).any():
            key, line = roles[column]
            first = int(rows[0])
            problems.append(Problem(file, key, f"names the region column `{clip(column)}`, which holds text "
                                    f"({shown(cells[first])} at {table.row_path(first)}), not numbers", line))
            table.reported.update(table.path(int(i), column) for i in rows)
            continue
        problems += table.flag(rows, column, lambda i: _not_a_finite_number(cells[i]))
        table.reported.update(table.path(int(i), column) for i in rows)
    return problems


def _not_a_finite_number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return _not_a_number(text)
    if not np.isinf(value):
        return _not_a_number(text)
    if text.lower().lstrip("+-.") in ("inf", "infinity"):
        return f"must be a finite number (got {shown(text)})"
    return f"the number is too large (got {shown(text)})"


def _not_a_number(text: str) -> str:
    if text.lower().lstrip("+-.") == "nan":
        return f"must be a finite number (got {shown(text)})"
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?", text):
        return f"not a number: {shown(text)}; write numbers without thousands separators"
    if re.fullmatch(r"[-+]?\d+(\.\d*)?\s*%", text):
        return f"not a number: {shown(text)}; write shares as fractions (0.12), not percentages"
    if re.fullmatch(r"[-+]?\d+(_\d+)+(\.\d*)?", text):
        return f"not a number: {shown(text)}; write numbers without `_` between the digits"
    return f"not a number: {shown(text)}"


def expand_years(table: RegionTable, years: tuple[int, ...]) -> tuple[RegionTable, list[Problem]]:
    """One row per region × year: a row without a year holds for every year, and a year row's
    cells override it (its blank cells keep the all-years value). Ids are checked first."""
    frame = table.frame
    if "id" not in frame.columns:
        return table, [Problem(table.file, "regions", "no region column `id`", table.header_line)]
    year = frame["year"].to_numpy(dtype=float)
    bad_years = table.bad.get("year", {})
    problems = table.flag(np.array(sorted(bad_years), dtype=np.int64), "year",
                          lambda i: f"not a year: {shown(bad_years[i])}")
    problems += table.flag(np.flatnonzero(~np.isnan(year) & ~np.isin(year, years)), "year",
                           lambda i: f"year {year[i]:g} is not in the instance's years {list(years)}")
    problems += _id_problems(table)
    if problems:
        return table, problems
    ids = frame["id"].to_numpy(dtype=object)
    duplicate = frame.duplicated(["id", "year"]).to_numpy()
    if duplicate.any():
        first = pd.Series(np.arange(len(frame))).groupby([ids, np.nan_to_num(year, nan=-1)]).transform("first")
        first = first.to_numpy()
        return table, table.flag(np.flatnonzero(duplicate), "id", lambda i: (
            f"duplicate region id {shown(ids[i])}{f' for year {year[i]:g}' if not np.isnan(year[i]) else ''} "
            f"(first at {table.row_path(first[i])}); region ids must be unique"))
    count = len(pd.unique(ids)) * len(years)
    if count > MAX_REGION_YEARS:
        raise InputError(Problem(table.file, "regions", f"{count // len(years):,} regions × {len(years)} years = "
                                 f"{count:,} region-years; an instance has at most {MAX_REGION_YEARS:,}",
                                 table.header_line))
    return _merged(table, years, year), []


def _id_problems(table: RegionTable) -> list[Problem]:
    """Missing ids, ids with invisible characters, and ids that read the same after Unicode
    normalisation but are written differently (``é`` as one code point and as two)."""
    ids = table.frame["id"].to_numpy(dtype=object)
    problems = table.flag(np.flatnonzero(ids == ""), "id", lambda i: "missing region id")
    joined = "\n".join(ids)
    if invisible_character(joined) is not None:
        hidden = [i for i, text in enumerate(ids) if invisible_character(text) is not None]

        def invisible(i: int) -> str:
            at = invisible_character(ids[i])
            return (f"the region id {shown(ids[i])} holds the invisible character U+{ord(ids[i][at]):04X}; remove "
                    "it (ids that look the same must be the same)")
        problems += table.flag(np.array(hidden, dtype=np.int64), "id", invisible)
    if not joined.isascii():
        names = pd.Series([same_name(text) for text in ids])
        first = pd.Series(np.arange(len(ids))).groupby(names.to_numpy()).transform("first").to_numpy()
        differ = np.flatnonzero(ids != ids[first])
        problems += table.flag(differ, "id", lambda i: (
            f"region id {shown(ids[i])} reads the same as {shown(ids[first[i]])} ({table.row_path(first[i])}) "
            f"after Unicode normalisation (NFKC) but is written with other characters ({codepoints(ids[i])} "
            f"against {codepoints(ids[first[i]])}); write both the same way, or give the regions ids that differ"))
    return problems


def _merged(table: RegionTable, years: tuple[int, ...], year: np.ndarray) -> RegionTable:
    frame = table.frame
    general = np.isnan(year)
    every = np.array(years, dtype=float)
    if general.all():
        rows = np.repeat(np.arange(len(frame)), len(years))
        combined = frame.iloc[rows].reset_index(drop=True).assign(year=np.tile(every, len(frame)))
    else:
        marked = frame.assign(_row=np.arange(len(frame)))
        expanded = marked[general]
        expanded = expanded.iloc[np.repeat(np.arange(len(expanded)), len(years))].assign(
            year=np.tile(every, int(general.sum())))
        both = pd.concat([marked[~general], expanded], ignore_index=True)
        text = [c for c in both.columns if both[c].dtype.kind not in "fi" and c != "id"]
        both[text] = both[text].replace("", np.nan)
        combined = both.groupby(["id", "year"], sort=False).first().reset_index()
        combined[text] = combined[text].fillna("")
        rows = combined.pop("_row").astype(int).to_numpy()
    columns_of: dict[int, list[str]] = {}
    for old, column in table.by_year:
        columns_of.setdefault(old, []).append(column)
    by_year = {(j, column) for j, r in enumerate(rows.tolist()) for column in columns_of.get(r, ())} \
        if columns_of else set()
    return RegionTable(combined, table.file, table.lines[rows], table.origin[rows], table.label, by_year,
                       table.reported, table.header_line)


def _wrong_kind(column: str, role: str) -> bool:
    """Whether ``column`` holds something else than what a key of ``role`` (a key of :data:`ROLES`) needs."""
    return column in MEANINGS and column not in ROLES[role][1]


def needed_columns(services: Mapping[str, Service], basis: str, has_pool: bool) -> dict[str, str]:
    """Numeric region columns the instance uses, with what uses them (columns of the wrong kind,
    which :func:`role_problems` reports, left out)."""
    needed = {c: "every instance" for c in REQUIRED_COLUMNS if c != "id"}
    for name, service in services.items():
        for key in SERVICE_COLUMN_KEYS:
            column = getattr(service, key)
            if isinstance(column, str) and not _wrong_kind(column, key):
                needed.setdefault(column, f"services.{name}.{key}")
    if has_pool:
        if not _wrong_kind(basis, "basis"):
            needed.setdefault(basis, "incentive.basis")
        needed.setdefault("reform_score", "the incentive pool")
    return needed


def role_problems(services: Mapping[str, Service], basis: str, file: str, lines: Lines) -> list[Problem]:
    """Keys that name a column of the wrong kind: a structural column (``id``, ``name``, ``year``),
    or a column whose meaning is another (``driver: fiscal_capacity``)."""
    named = [(("services", name, key), column, key) for name, service in services.items()
             for key in SERVICE_COLUMN_KEYS
             if isinstance(column := getattr(service, key), str)]
    named.append((("incentive", "basis"), basis, "basis"))
    problems = []
    for loc, column, role in named:
        if _wrong_kind(column, role):
            needs = ROLES[role][0]
            problems.append(Problem(file, format_location(loc), f"`{column}` is {MEANINGS[column]}; this key needs "
                                    f"{needs}", lines.near(loc)))
    return problems


def check_regions(table: RegionTable, needed: dict[str, str], cap_columns: Mapping[str, str],
                  where: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Vectorised checks of the region table (one row per region × year); returns the typed frame
    and every problem found. ``cap_columns`` maps a column that a service names as its
    ``central_share_cap`` to the key that names it; ``where`` is the key of the regions."""
    frame = table.frame
    problems: list[Problem] = []
    for column, user in needed.items():
        if column not in frame.columns:
            close = difflib.get_close_matches(column, [str(c) for c in frame.columns], n=1, cutoff=0.7)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            problems.append(Problem(table.file, where, f"no region column `{column}` (needed by {user}){hint}",
                                    table.header_line))
    typed = pd.DataFrame({"id": frame["id"], "year": frame["year"].astype(int)})
    typed["name"] = frame["name"] if "name" in frame.columns else frame["id"]
    typed["group"] = frame["group"].replace("", "all") if "group" in frame.columns else "all"
    for column in frame.columns:
        if column in STRUCTURAL:
            continue
        if frame[column].dtype.kind != "f":
            typed[column] = frame[column]  # a label column the model does not use, kept as written
            continue
        values = frame[column].to_numpy(dtype=float)
        if column in needed or column in KNOWN_NUMERIC:
            if column in needed:
                problems += table.flag(np.flatnonzero(np.isnan(values)), column, lambda i: "missing value")
            problems += table.flag(np.flatnonzero(values < 0), column,
                                   lambda i: f"must not be negative (got {number(values[i])})")
            problems += table.flag(np.flatnonzero(values > MAX_NUMBER), column, lambda i: (
                f"is above {MAX_NUMBER:.0e}, more than any real figure: check the unit (got {values[i]:g})"))
        typed[column] = values
    problems += _range_checks(typed, table, cap_columns)
    return typed, problems


def number(value: float) -> str:
    """A number as a message quotes it: ``12,000,000`` rather than ``1.2e+07``."""
    return f"{value:,.0f}" if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def _range_checks(typed: pd.DataFrame, table: RegionTable, cap_columns: Mapping[str, str]) -> list[Problem]:
    problems: list[Problem] = []

    def flag(mask: np.ndarray, column: str, message: str) -> None:
        values = typed[column].to_numpy()
        problems.extend(table.flag(np.flatnonzero(mask), column, lambda i: message.format(number(values[i]))))

    if "population" in typed:
        population = typed["population"].to_numpy()
        flag(population == 0, "population", "population is {} but per-capita figures need a positive population")
        flag((population > 0) & (population < 1), "population", "population is {} but populations count persons: "
             "a region has at least 1 (per-capita figures would overflow)")
        for column in ("migrants", "age0_14", "age65plus"):
            if column in typed and typed[column].dtype.kind == "f":
                flag((typed[column].to_numpy() > population) & (population > 0), column,
                     "{} is more than the region's population")
    for column in ("reform_score", "central_share_cap"):
        if column in typed and typed[column].dtype.kind == "f":
            flag(typed[column].to_numpy() > 1, column, "is a share and must be between 0 and 1 (got {})")
    if "central_share_cap" in typed:
        flag(typed["central_share_cap"].to_numpy() == 0, "central_share_cap",
             "must be above 0 (a cap of 0 allows no central money; leave the region out instead)")
    for column, key in cap_columns.items():
        if column in typed and column != "central_share_cap" and typed[column].dtype.kind == "f":
            cap = typed[column].to_numpy()
            flag(cap > 1, column, f"is used as {key}, a share, and must be between 0 and 1 (got {{}})")
            flag(cap == 0, column, f"is used as {key} and must be above 0 (a cap of 0 allows no central money)")
    if "cost_index" in typed:
        flag(typed["cost_index"].to_numpy() == 0, "cost_index", "must be above 0 (got {})")
    return problems


def cost_problems(typed: pd.DataFrame, services: Mapping[str, Service], years: tuple[int, ...], money_unit: str,
                  file: str, lines: Lines) -> list[Problem]:
    """Standard costs C = unit cost × cost index × take-up × driver above :data:`MAX_NUMBER` (in
    money_unit): each factor may be in range while their product overflows what the solver can
    hold. One problem per service, at its ``unit_cost``."""
    problems = []
    year_of_row = np.searchsorted(np.array(years), typed["year"].to_numpy())
    cost_index = typed["cost_index"].fillna(1.0).to_numpy() if "cost_index" in typed else 1.0
    for name, service in services.items():
        if service.driver not in typed or typed[service.driver].dtype.kind != "f":
            continue
        unit = service.unit_cost
        units = np.array([float(unit[y]) if isinstance(unit, dict) else float(unit) for y in years])[year_of_row]
        with np.errstate(over="ignore", invalid="ignore"):
            cost = units * cost_index * service.take_up * typed[service.driver].to_numpy() / MONEY_UNITS[money_unit]
        over = np.flatnonzero(cost > MAX_NUMBER)
        if not len(over):
            continue
        i = int(over[0])
        year = "" if len(years) == 1 else f" in {typed['year'].iloc[i]}"
        more = f" (and in {len(over) - 1:,} more region-years)" if len(over) > 1 else ""
        loc = ("services", name, "unit_cost")
        problems.append(Problem(file, format_location(loc), (
            f"the standard cost of region {shown(typed['id'].iloc[i])}{year} comes to {cost[i]:.3g} {money_unit} "
            f"(unit_cost × {service.driver} × cost_index × take_up){more}, above {MAX_NUMBER:.0e}, more than any "
            "real figure: check the units (yuan per beneficiary, persons)"), lines.near(loc)))
    return problems
