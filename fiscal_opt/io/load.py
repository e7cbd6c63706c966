"""Reading instance and policy files into validated objects, with every problem found at once.

file → :func:`read_yaml` (plain data + line numbers) → pydantic models of :mod:`schema` →
region table checks (vectorised) → :class:`Instance`.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args, get_origin

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from ..errors import InputError, Problem
from ..rules.policy import PolicyFile
from .check import check
from .instance import SINGLE_PERIOD_YEAR, Instance, Policy
from .schema import InstanceFile
from .yamlfile import (Location, clip, control_character, decode_utf8, format_location, input_error, read_bytes,
                       read_yaml, shown)

TEXT_COLUMNS = ("id", "name", "group")
KNOWN_NUMERIC = ("population", "migrants", "fiscal_capacity", "reform_score", "central_share_cap",
                 "cost_index", "prior_transfer")
"""Region columns with a meaning of their own in MODEL.md §2."""

REQUIRED_COLUMNS = ("id", "population", "fiscal_capacity", "migrants")

MAX_SAME = 50
"""Rows listed one by one for one problem in one column; the rest are counted in a single line, so
that a file broken on every row gives a readable message instead of millions of lines."""
MAX_COLUMNS = 10_000
"""Columns a regions CSV may have (a header row longer than this is not a region table)."""


def _model_of(annotation: Any) -> Any:
    """The pydantic model inside an annotation (``X | None``, ``Annotated[X, ...]``), else the annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) or get_origin(annotation) in (dict, list):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation


def _allowed_keys(model: type[BaseModel], loc: Location) -> set[str]:
    """The keys a model allows at ``loc`` (a data location), for "did you mean" hints."""
    current: Any = model
    for part in loc:
        current = _model_of(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(str(part))
            if info is None:
                return set()
            current = info.annotation
        elif get_origin(current) in (dict, list):
            current = get_args(current)[-1]
        else:
            return set()
    current = _model_of(current)
    return set(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else set()


def _data_location(data: Any, loc: tuple[Any, ...]) -> Location:
    """Keep the parts of a pydantic error location that exist in the data (drop union tags)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, int) and str(part) in node:
            out.append(str(part))
            node = node[str(part)]
        elif isinstance(node, dict) and not (isinstance(part, str) and part[:1].isupper()) and \
                "[" not in str(part) and "-" not in str(part) and part not in ("float", "int", "str", "bool"):
            out.append(part)
            node = None
    return tuple(out)


def _closest_line(lines: dict[Location, int], loc: Location) -> int | None:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


TYPE_WORDS = {
    "float_type": "a number", "float_parsing": "a number", "int_type": "a whole number",
    "int_parsing": "a whole number", "int_from_float": "a whole number", "string_type": "text",
    "bool_type": "true or false", "bool_parsing": "true or false", "dict_type": "a mapping (key: value)",
    "model_type": "a mapping of keys", "model_attributes_type": "a mapping of keys", "list_type": "a list",
}
"""Pydantic error types that mean "the value has the wrong type", and what was expected, in words."""


def _expected(errors: list[dict[str, Any]]) -> str:
    """What a value of the wrong type should have been, over every branch of a union."""
    words = []
    for err in errors:
        if err.get("ctx", {}).get("class_name") == "Level":
            word = "a number, or {value: number, soft: true/false}"
        else:
            word = TYPE_WORDS[err["type"]]
        if word not in words:
            words.append(word)
    if words == ["a number", "a mapping (key: value)"]:
        words = ["a number", "a {year: number} map"]
    return " or ".join(words)


def _message(err: dict[str, Any]) -> str:
    """One pydantic error in the words of a fiscal analyst."""
    value = err.get("input")
    ctx = err.get("ctx", {})
    kind = err["type"]
    if kind == "finite_number":
        return f"must be a finite number (got {shown(value)})"
    if kind == "greater_than_equal":
        return f"must not be negative (got {shown(value)})" if ctx.get("ge") == 0 else \
            f"must be at least {ctx.get('ge')} (got {shown(value)})"
    if kind == "greater_than":
        return f"must be above {ctx.get('gt'):g} (got {shown(value)})"
    if kind == "less_than_equal":
        return f"is a share and must be between 0 and 1 (got {shown(value)})" if ctx.get("le") == 1 else \
            f"must be at most {ctx.get('le')} (got {shown(value)})"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.6)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        return f"must be one of {', '.join(options)} (got {shown(value)}){hint}"
    if kind == "missing":
        return "required key is missing"
    message = err["msg"].removeprefix("Value error, ")
    if isinstance(value, (dict, list)) or value is None or "(got " in message:
        return message
    return f"{message} (got {shown(value)})"


def _validation_problems(exc: ValidationError, model: type[BaseModel], data: Any, file: str,
                         lines: dict[Location, int], prefix: Location = ()) -> list[Problem]:
    by_key: dict[Location, list[dict[str, Any]]] = {}
    for err in exc.errors():
        by_key.setdefault(_data_location(data, err["loc"]), []).append(err)
    problems: list[Problem] = []
    for loc, errors in by_key.items():
        full = prefix + loc
        line = _closest_line(lines, full)
        wrong_type = [e for e in errors if e["type"] in TYPE_WORDS]
        if len(wrong_type) == len(errors) and any(k[:len(loc)] == loc and len(k) > len(loc) for k in by_key):
            continue  # a union branch that does not apply: the value's own errors are reported below it
        err = next((e for e in errors if e["type"] not in TYPE_WORDS), None)
        if err is not None and err["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), sorted(allowed), n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else (
                f"; allowed keys: {', '.join(sorted(allowed))}" if allowed else "")
            message = f"unknown key `{loc[-1]}`{hint}"
        else:
            message = _message(err) if err is not None else _wrong_type(wrong_type)
        problems.append(Problem(file, format_location(full), message, line))
    return problems


def _wrong_type(errors: list[dict[str, Any]]) -> str:
    """A value of the wrong type, over every branch of a union (``number | {year: number}``)."""
    value = errors[0].get("input")
    if isinstance(value, int) and not isinstance(value, bool) and errors[0]["type"].startswith("float"):
        return f"the number is too large ({len(str(abs(value))):,} digits)"
    expected = _expected(errors)
    quoted = isinstance(value, str) and "a number" in expected and pd.notna(pd.to_numeric(value, errors="coerce"))
    return f"expected {expected}, not {shown(value)}" + ("; write it without quotes" if quoted else "")


KINDS = {bool: "a single true/false", int: "a single number", float: "a single number", str: "text only",
         list: "a list"}


def _validate(model: type[BaseModel], data: Any, file: str, lines: dict[Location, int],
              prefix: Location = ()) -> Any:
    if not isinstance(data, dict):
        what = "empty" if data is None else f"{KINDS.get(type(data), type(data).__name__)}, not a mapping of keys"
        raise InputError(Problem(file, format_location(prefix), f"the file is {what}; expected "
                                 f"the keys of {'a policy' if model is PolicyFile else 'an instance'} file"))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise input_error(_validation_problems(exc, model, data, file, lines, prefix), file) from None


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file (models/*.yaml)."""
    path = Path(path)
    data, lines = read_yaml(path)
    return _validate(PolicyFile, data, str(path), lines)


def _read_csv(path: Path, shown_as: str) -> tuple[pd.DataFrame, list[int], bytes]:
    """The regions CSV as text cells, the line each row starts on, and the file's bytes.

    Read with the csv module rather than pandas so that a row with too many or too few cells, a
    duplicate or unnamed column, or broken quoting is refused with its line instead of shifting
    the columns silently. Rows that are entirely blank are skipped.
    """
    raw = read_bytes(path, shown_as, "regions CSV file")
    if b"\x00" in raw:
        line = raw[:raw.index(b"\x00")].count(b"\n") + 1
        raise InputError(Problem(shown_as, "", "the file holds NUL bytes: it is not a text CSV file; "
                                 "save it as CSV (UTF-8)", line))
    text = decode_utf8(raw, shown_as)
    bad = control_character(text)
    if bad is not None:
        raise InputError(Problem(shown_as, "", f"the control character U+{ord(text[bad]):04X} (column "
                                 f"{bad - text.rfind(chr(10), 0, bad)}) is not allowed in a regions CSV file",
                                 text.count("\n", 0, bad) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        if '"' not in text:  # one record per line: the line of record k is k + 1
            records = list(reader)
            lines = range(1, len(records) + 1)
        else:                # quoted cells may span lines
            records, lines, last = [], [], 0
            for cells in reader:
                records.append(cells)
                lines.append(last + 1)
                last = reader.line_num
    except csv.Error as exc:
        raise InputError(Problem(shown_as, "", f"not a readable CSV file: {exc}", reader.line_num)) from None
    kept = [k for k, cells in enumerate(records) if len(cells) > 1 or (cells and cells[0].strip())]
    if not kept:
        raise InputError(Problem(shown_as, "", "the file is empty; expected a header row and one row per region"))
    header = [cell.strip() for cell in records[kept[0]]]
    if len(header) > MAX_COLUMNS:
        raise InputError(Problem(shown_as, "", f"the header row has {len(header):,} columns; a regions CSV has at "
                                 f"most {MAX_COLUMNS:,}", lines[kept[0]]))
    rows = [records[k] for k in kept[1:]]
    row_lines = [lines[k] for k in kept[1:]]
    problems = _header_problems(header, shown_as, lines[kept[0]])
    ragged = [j for j, cells in enumerate(rows) if len(cells) != len(header)]
    problems += [Problem(shown_as, "", f"this row has {len(rows[j])} cells but the header row has {len(header)} "
                         "columns", row_lines[j]) for j in ragged[:MAX_SAME]]
    if len(ragged) > MAX_SAME:
        problems.append(Problem(shown_as, "", f"… and {len(ragged) - MAX_SAME:,} more rows whose number of cells "
                                "differs from the header row"))
    if problems:
        raise InputError(problems)
    frame = pd.DataFrame({name: [cells[j].strip() for cells in rows] for j, name in enumerate(header)}, dtype=str)
    return frame, row_lines, raw


def _header_problems(header: list[str], shown_as: str, line: int) -> list[Problem]:
    problems = []
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        problems.append(Problem(shown_as, "", f"the header row is one column {shown(header[0])}: separate the "
                                "columns with commas", line))
    first: dict[str, int] = {}
    for j, name in enumerate(header):
        if name == "":
            problems.append(Problem(shown_as, "", f"column {j + 1} has no name in the header row", line))
        elif name in first:
            problems.append(Problem(shown_as, "", f"column `{clip(name)}` appears twice in the header row "
                                    f"(columns {first[name] + 1} and {j + 1}); keep one", line))
        else:
            first[name] = j
    return problems[:MAX_SAME]


class _RegionTable:
    """Region rows as text cells, with the file, line and key path each row came from.

    ``by_year`` marks the cells of inline ``{year: value}`` maps (row, column), whose key path
    names the year; ``reported`` holds key paths whose problem the reader already reported.
    """

    def __init__(self, frame: pd.DataFrame, file: str, lines: list[int | None], paths: list[str],
                 by_year: set[tuple[int, str]] | None = None, reported: set[str] | None = None,
                 header_line: int | None = None):
        self.frame = frame
        self.file = file
        self.lines = lines
        self.paths = paths
        self.by_year = by_year or set()
        self.reported = reported or set()
        self.header_line = header_line
        """Where the columns are named: the CSV header row, or the instance's ``regions:`` key."""

    def path(self, row: int, column: str) -> str:
        year = f"[{self.frame['year'].iloc[row]}]" if (row, column) in self.by_year else ""
        return f"{self.paths[row]}.{column}{year}"

    def problem(self, row: int, column: str, message: str) -> Problem:
        return Problem(self.file, self.path(row, column), message, self.lines[row])

    def flag(self, rows: np.ndarray, column: str, message: Callable[[int], str]) -> list[Problem]:
        """One problem per row in ``rows`` (not those already reported), at most :data:`MAX_SAME`;
        a last line counts the rest."""
        picked = [int(i) for i in rows if not self.reported or self.path(int(i), column) not in self.reported]
        out = [self.problem(i, column, message(i)) for i in picked[:MAX_SAME]]
        if len(picked) > MAX_SAME:
            out.append(Problem(self.file, column, f"… and {len(picked) - MAX_SAME:,} more rows with the same "
                               "problem"))
        return out


def _cell_text(value: Any) -> str:
    """Inline YAML values as the text a CSV would hold (floats round-trip exactly through repr)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, float) else str(value)


def _inline_rows(rows: list[dict[str, Any]], file: str, lines: dict[Location, int],
                 years: tuple[int, ...], single: bool) -> tuple[_RegionTable, list[Problem]]:
    """Inline rows as text; a ``{year: value}`` map gives one row per year."""
    out: list[dict[str, str]] = []
    row_lines: list[int | None] = []
    paths: list[str] = []
    by_year: set[tuple[int, str]] = set()
    reported: set[str] = set()
    problems: list[Problem] = []

    def report(loc: Location, message: str) -> None:
        problems.append(Problem(file, format_location(loc), message, _closest_line(lines, loc)))
        reported.add(format_location(loc))

    for i, row in enumerate(rows):
        base = ("regions", i)
        if not isinstance(row, dict):
            problems.append(Problem(file, format_location(base), "each region must be a mapping of column: value",
                                    lines.get(base)))
            continue
        if "year" in row:
            problems.append(Problem(file, format_location(base + ("year",)), "inline regions give year-dependent "
                                    "values as {year: value} maps, not a `year` key", lines.get(base + ("year",))))
            continue
        cells: dict[str, Any] = {}
        for key, value in row.items():
            loc = base + (key,)
            if isinstance(value, list):
                report(loc, "a list is not a value: give a number or text"
                       + ("" if single else ", or a {year: value} map"))
                value = None
            elif isinstance(value, dict) and single:
                report(loc, "a {year: value} map needs the instance's `years`: give one value, or list the "
                       "years in `years:`")
                value = None
            elif isinstance(value, dict):
                quoted = [y for y in value if isinstance(y, str) and y.strip().isdigit()]
                unknown = [y for y in value if y not in years and y not in quoted]
                if quoted:
                    report(loc, f"year(s) {', '.join(quoted)} are written as text; write years without quotes")
                    reported.update(format_location(loc + (int(y),)) for y in quoted)
                if unknown:
                    report(loc, f"year(s) {', '.join(map(shown, unknown))} are not in the instance's years "
                           f"{list(years)}")
                for year, cell in value.items():
                    if isinstance(cell, (dict, list)) and year in years:
                        report(loc + (year,), f"the value for {year} must be a number or text, not {shown(cell)}")
                value = {y: None if isinstance(v, (dict, list)) else v for y, v in value.items()}
            cells[str(key)] = value
        maps = [k for k, v in cells.items() if isinstance(v, dict)]
        for year in years if maps else ("",):
            by_year.update((len(out), k) for k in maps)
            out.append({k: _cell_text(v.get(year) if isinstance(v, dict) else v) for k, v in cells.items()}
                       | {"year": str(year)})
            row_lines.append(lines.get(base))
            paths.append(format_location(base))
    frame = pd.DataFrame(out, dtype=str).fillna("") if out else pd.DataFrame(columns=["id", "year"], dtype=str)
    return _RegionTable(frame, file, row_lines, paths, by_year, reported, lines.get(("regions",))), problems


def _csv_rows(path: Path, shown_as: str, single_period: bool) -> tuple[_RegionTable, bytes]:
    """The regions CSV as text and its bytes; without a ``year`` column every row holds for every year."""
    frame, row_lines, raw = _read_csv(path, shown_as)
    table = _RegionTable(frame, shown_as, list(row_lines), [f"row {i + 1}" for i in range(len(frame))],
                         header_line=1)
    if "year" not in frame.columns:
        frame["year"] = ""
    elif single_period:
        raise InputError(Problem(shown_as, "year", "the CSV has a `year` column but the instance lists no `years`",
                                 1))
    return table, raw


def _expand_years(table: _RegionTable, years: tuple[int, ...]) -> tuple[_RegionTable, list[Problem]]:
    """One row per region × year: a row without a year holds for every year, and a year row's
    cells override it (its blank cells keep the all-years value)."""
    frame = table.frame
    problems: list[Problem] = []
    if "id" not in frame.columns:
        return table, [Problem(table.file, "regions", "no region column `id`", table.header_line)]
    year_text = frame["year"]
    numeric = pd.to_numeric(year_text.where(year_text != ""), errors="coerce")
    problems += table.flag(np.flatnonzero((numeric.isna() & (year_text != "")).to_numpy()), "year",
                           lambda i: f"not a year: {shown(year_text.iloc[i])}")
    problems += table.flag(np.flatnonzero((numeric.notna() & ~numeric.isin(years)).to_numpy()), "year",
                           lambda i: f"year {clip(year_text.iloc[i])} is not in the instance's years {list(years)}")
    problems += table.flag(np.flatnonzero((frame["id"] == "").to_numpy()), "id", lambda i: "missing region id")
    duplicate = frame.duplicated(["id", "year"]).to_numpy()
    if duplicate.any():
        first = pd.Series(np.arange(len(frame))).groupby([frame["id"].to_numpy(), year_text.to_numpy()]) \
            .transform("first").to_numpy()
        problems += table.flag(np.flatnonzero(duplicate), "id", lambda i: (
            f"duplicate region id {shown(frame['id'].iloc[i])}"
            f"{f' for year {year_text.iloc[i]}' if year_text.iloc[i] else ''} (first at {table.paths[first[i]]}); "
            "region ids must be unique"))
    if problems:
        return table, problems
    marked = frame.assign(_row=np.arange(len(frame)))
    general = marked[year_text == ""]
    specific = marked[year_text != ""].assign(year=numeric[year_text != ""].astype(int).astype(str))
    expanded = general.loc[general.index.repeat(len(years))].assign(
        year=np.tile(np.array([str(y) for y in years]), len(general)))
    both = pd.concat([specific, expanded], ignore_index=True).replace("", np.nan)
    combined = both.groupby(["id", "year"], sort=False).first().reset_index().fillna("")
    rows = combined.pop("_row").astype(int).to_numpy()
    columns_of: dict[int, list[str]] = {}
    for old, column in table.by_year:
        columns_of.setdefault(old, []).append(column)
    by_year = {(j, column) for j, r in enumerate(rows.tolist()) for column in columns_of.get(r, ())} \
        if columns_of else set()
    return _RegionTable(combined, table.file, [table.lines[r] for r in rows], [table.paths[r] for r in rows],
                        by_year, table.reported, table.header_line), []


def _needed_columns(spec: InstanceFile, has_pool: bool) -> dict[str, str]:
    """Numeric region columns the instance uses, with what uses them."""
    needed = {c: "every instance" for c in REQUIRED_COLUMNS if c != "id"}
    for name, service in spec.services.items():
        needed.setdefault(service.driver, f"services.{name}.driver")
        if service.local_funding is not None:
            needed.setdefault(service.local_funding, f"services.{name}.local_funding")
        if isinstance(service.central_share_cap, str):
            needed.setdefault(service.central_share_cap, f"services.{name}.central_share_cap")
    if has_pool:
        needed.setdefault(spec.incentive.basis, "incentive.basis")
        needed.setdefault("reform_score", "the incentive pool")
    return needed


def _check_regions(table: _RegionTable, spec: InstanceFile, needed: dict[str, str]) -> tuple[pd.DataFrame,
                                                                                                  list[Problem]]:
    """Vectorised checks of the region table; returns the typed frame and every problem found."""
    frame = table.frame
    problems: list[Problem] = []
    where = "regions_csv" if spec.regions_csv else "regions"
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
        if column in TEXT_COLUMNS or column == "year":
            continue
        text = frame[column]
        values = pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(dtype=float)
        empty = (text == "").to_numpy()
        unparsable = np.isnan(values) & ~empty
        used = column in needed or column in KNOWN_NUMERIC
        if not used and unparsable.any():
            typed[column] = text  # a label column the model does not use, kept as written
            continue
        problems += table.flag(np.flatnonzero(unparsable), column, lambda i: _not_a_number(text.iloc[i]))
        if used:
            if column in needed:
                problems += table.flag(np.flatnonzero(empty), column, lambda i: "missing value")
            problems += table.flag(np.flatnonzero(np.isinf(values)), column, lambda i: (
                f"must be a finite number (got {shown(text.iloc[i])})"
                if text.iloc[i].lower().lstrip("+-.") in ("inf", "infinity")
                else f"the number is too large (got {shown(text.iloc[i])})"))
            problems += table.flag(np.flatnonzero(values < 0), column,
                                   lambda i: f"must not be negative (got {_number(values[i])})")
        typed[column] = values
    problems += _range_checks(typed, table)
    return typed, problems


def _number(value: float) -> str:
    """A number as a message quotes it: ``12,000,000`` rather than ``1.2e+07``."""
    return f"{value:,.0f}" if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def _not_a_number(text: str) -> str:
    if text.lower().lstrip("+-.") == "nan":
        return f"must be a finite number (got {shown(text)})"
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?", text):
        return f"not a number: {shown(text)}; write numbers without thousands separators"
    if re.fullmatch(r"[-+]?\d+(\.\d*)?\s*%", text):
        return f"not a number: {shown(text)}; write shares as fractions (0.12), not percentages"
    return f"not a number: {shown(text)}"


def _range_checks(typed: pd.DataFrame, table: _RegionTable) -> list[Problem]:
    problems: list[Problem] = []

    def flag(mask: np.ndarray, column: str, message: str) -> None:
        values = typed[column].to_numpy()
        problems.extend(table.flag(np.flatnonzero(mask), column, lambda i: message.format(_number(values[i]))))

    if "population" in typed:
        population = typed["population"].to_numpy()
        flag(population == 0, "population", "population is {} but per-capita figures need a positive population")
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
    if "cost_index" in typed:
        flag(typed["cost_index"].to_numpy() == 0, "cost_index", "must be above 0 (got {})")
    return problems


def _year_array(value: float | dict[int, float] | None, years: tuple[int, ...], key: str, file: str,
                lines: dict[Location, int], problems: list[Problem], single: bool) -> np.ndarray | None:
    if value is None:
        return None
    if isinstance(value, dict):
        extra = sorted(set(value) - set(years))
        missing = [y for y in years if y not in value]
        loc = tuple(key.split("."))
        if single:
            problems.append(Problem(file, key, "a {year: value} map needs the instance's `years`: give one "
                                    "number, or list the years in `years:`", _closest_line(lines, loc)))
        elif extra:
            problems.append(Problem(file, key, f"year(s) {extra} are not in the instance's years {list(years)}",
                                    _closest_line(lines, loc)))
        if missing and not single:
            problems.append(Problem(file, key, f"no value for year(s) {missing}", _closest_line(lines, loc)))
        return np.array([float(value.get(y, 0.0)) for y in years])
    return np.full(len(years), float(value))


def _resolve(base: Path, relative: str, file: str, key: str, lines: dict[Location, int]) -> Path:
    """The path written under ``key``, relative to ``base``, with every symbolic link followed."""
    try:
        return (base / relative).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link that loops (Python < 3.13)
        raise InputError(Problem(file, key, f"{shown(relative)} cannot be followed: a symbolic link on the way "
                                 "loops or cannot be read", lines.get((key,)))) from None


def _missing_file(path: Path, written: str, what: str) -> str | None:
    """Why ``path`` (written ``written`` in the file) cannot be read as a ``what``, or ``None``."""
    try:
        if path.is_file():
            return None
        if path.is_dir():
            return f"{shown(written)} is a folder; expected a {what}"
        if path.exists():
            return f"{shown(written)} is not a regular file; expected a {what}"
    except OSError as exc:  # a name too long for the file system, a folder that cannot be searched
        return f"{what} {shown(written)} cannot be looked up ({exc.strerror or exc})"
    return f"{what} {shown(written)} not found (looked for {path})"


def load_instance(path: str | Path) -> Instance:
    """Read and validate an instance file, its regions CSV and its policy file.

    Raises :class:`~fiscal_opt.errors.InputError` listing every problem with file, line and key
    path. Paths inside the file are relative to the file's folder; ``regions_csv`` must stay
    inside that folder.
    """
    path = Path(path)
    file = str(path)
    data, lines = read_yaml(path)
    spec: InstanceFile = _validate(InstanceFile, data, file, lines)
    digest = hashlib.sha256(path.read_bytes())
    single = spec.years is None
    years = (SINGLE_PERIOD_YEAR,) if single else tuple(spec.years or ())
    problems: list[Problem] = []
    folder = path.parent.resolve()
    if spec.regions_csv is not None:
        csv_path = _resolve(folder, spec.regions_csv, file, "regions_csv", lines)
        if not csv_path.is_relative_to(folder):
            raise InputError(Problem(file, "regions_csv", f"{shown(spec.regions_csv)} points outside the instance's "
                                     "folder; keep the regions CSV beside the instance file or below it",
                                     lines.get(("regions_csv",))))
        why = _missing_file(csv_path, spec.regions_csv, "regions CSV file")
        if why:
            raise InputError(Problem(file, "regions_csv", why, lines.get(("regions_csv",))))
        table, raw = _csv_rows(csv_path, str(path.parent / spec.regions_csv), single)
        digest.update(raw)
    else:
        table, problems = _inline_rows(spec.regions or [], file, lines, years, single)
    if table.frame.empty and not problems:
        raise InputError(Problem(table.file, "regions", "no regions: give at least one region"))
    special = _year_array(spec.budget.special_fund, years, "budget.special_fund", file, lines, problems, single)
    pool = _year_array(spec.budget.incentive_pool, years, "budget.incentive_pool", file, lines, problems, single)
    for name, service in spec.services.items():
        _year_array(service.unit_cost, years, f"services.{name}.unit_cost", file, lines, problems, single)
    assert pool is not None
    year_problems: list[Problem] = []
    if not table.frame.empty:
        table, year_problems = _expand_years(table, years)
    problems += year_problems
    if not year_problems and not table.frame.empty:
        needed = _needed_columns(spec, bool(pool.sum() > 0))
        typed, region_problems = _check_regions(table, spec, needed)
        problems += region_problems + _completeness(typed, years, table)
    policy: Policy | None
    if isinstance(spec.policy, str):
        policy_path = _resolve(folder, spec.policy, file, "policy", lines)
        why = _missing_file(policy_path, spec.policy, "policy file")
        if why:
            problems.append(Problem(file, "policy", why, lines.get(("policy",))))
            policy = None
        else:
            try:
                policy = load_policy(policy_path)
            except InputError as exc:
                problems += exc.problems
                policy = None
            else:
                digest.update(policy_path.read_bytes())
    else:
        policy = spec.policy
    if problems:
        raise input_error(problems, file)
    order = pd.Index(pd.unique(typed["id"].to_numpy())).get_indexer(typed["id"])
    typed = typed.assign(_order=order).sort_values(["_order", "year"], kind="stable").drop(columns="_order")
    return Instance(name=spec.name, description=spec.description, money_unit=spec.money_unit, years=years,
                    single_period=single, regions=typed.reset_index(drop=True), services=dict(spec.services),
                    special_fund=special, incentive_pool=pool, incentive=spec.incentive, policy=policy,
                    source=path, input_sha256=digest.hexdigest())


def _completeness(typed: pd.DataFrame, years: tuple[int, ...], table: _RegionTable) -> list[Problem]:
    """Every region needs a row for every year."""
    counts = typed.groupby("id", sort=False)["year"].nunique()
    short = counts.index[counts.to_numpy() < len(years)]
    if not len(short):
        return []
    ids, year = typed["id"].to_numpy(), typed["year"].to_numpy()
    some = typed["id"].isin(short).to_numpy()
    first = pd.Series(np.flatnonzero(some)).groupby(ids[some], sort=False).first()

    def message(i: int) -> str:
        have = set(year[ids == ids[i]].tolist())
        return f"region {shown(ids[i])} has no row for year(s) {[y for y in years if y not in have]}"
    return table.flag(first.to_numpy(), "year", message)


def load_any(path: str | Path) -> str:
    """Validate an instance or a policy file (told apart by their keys); returns which it was. An
    instance is checked against its own policy too (:func:`fiscal_opt.io.check.check`), so that
    what ``solve`` would refuse, ``validate`` refuses."""
    path = Path(path)
    data, _ = read_yaml(path)
    if isinstance(data, dict) and not ({"services", "regions", "regions_csv", "budget"} & set(data)):
        load_policy(path)
        return "policy"
    instance = load_instance(path)
    check(instance, instance.policy or Policy())
    return "instance"
