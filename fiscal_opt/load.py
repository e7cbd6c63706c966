"""Reading instance and policy files into validated objects, with every problem found at once.

file → :func:`read_yaml` (plain data + line numbers) → pydantic models of :mod:`schema` →
region table checks (vectorised) → :class:`Instance`.
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path
from typing import Any, get_args, get_origin

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from .errors import InputError, Problem
from .instance import SINGLE_PERIOD_YEAR, Instance, Policy
from .schema import InstanceFile, PolicyFile
from .yamlfile import Location, MAX_FILE_BYTES, format_location, read_yaml

TEXT_COLUMNS = ("id", "name", "group")
KNOWN_NUMERIC = ("population", "migrants", "fiscal_capacity", "reform_score", "central_share_cap",
                 "cost_index", "prior_transfer")
"""Region columns with a meaning of their own in MODEL.md §2."""

REQUIRED_COLUMNS = ("id", "population", "fiscal_capacity", "migrants")


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


def _validation_problems(exc: ValidationError, model: type[BaseModel], data: Any, file: str,
                         lines: dict[Location, int], prefix: Location = ()) -> list[Problem]:
    problems: dict[str, Problem] = {}
    for err in exc.errors():
        loc = _data_location(data, err["loc"])
        full = prefix + loc
        key = format_location(full)
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), sorted(allowed), n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else (
                f"; allowed keys: {', '.join(sorted(allowed))}" if allowed else "")
            message = f"unknown key `{loc[-1]}`{hint}"
        elif err["type"] == "missing":
            message = "required key is missing"
        else:
            shown = err.get("input")
            value = "" if isinstance(shown, (dict, list)) or shown is None else f" (got {shown!r})"
            message = err["msg"].removeprefix("Value error, ") + value
        if key not in problems:
            problems[key] = Problem(file, key, message, _closest_line(lines, full))
    return list(problems.values())


def _validate(model: type[BaseModel], data: Any, file: str, lines: dict[Location, int],
              prefix: Location = ()) -> Any:
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}, not a mapping of keys"
        raise InputError(Problem(file, format_location(prefix), f"the file is {what}; expected "
                                 f"the keys of {'a policy' if model is PolicyFile else 'an instance'} file"))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(_validation_problems(exc, model, data, file, lines, prefix)) from None


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file (models/*.yaml)."""
    path = Path(path)
    data, lines = read_yaml(path)
    return _validate(PolicyFile, data, str(path), lines)


def _read_csv(path: Path, shown: str) -> pd.DataFrame:
    try:
        size = path.stat().st_size
    except OSError:
        raise InputError(Problem(shown, "", "regions_csv file not found")) from None
    if size > MAX_FILE_BYTES:
        raise InputError(Problem(shown, "", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}"))
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(Problem(shown, "", f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")) from None
    except pd.errors.EmptyDataError:
        raise InputError(Problem(shown, "", "the file is empty; expected a header row and one row per region")) \
            from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(Problem(shown, "", f"not a readable CSV file: {exc}")) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    unnamed = [c for c in frame.columns if c.startswith("Unnamed:") or c == ""]
    if unnamed:
        raise InputError(Problem(shown, "", "a column has no name in the header row", 1))
    return frame.apply(lambda col: col.str.strip())


class _RegionTable:
    """Region rows as text cells, with the file, line and key path each row came from."""

    def __init__(self, frame: pd.DataFrame, file: str, lines: list[int | None], paths: list[str]):
        self.frame = frame
        self.file = file
        self.lines = lines
        self.paths = paths

    def problem(self, row: int, column: str, message: str) -> Problem:
        return Problem(self.file, f"{self.paths[row]}.{column}", message, self.lines[row])


def _cell_text(value: Any) -> str:
    """Inline YAML values as the text a CSV would hold (floats round-trip exactly through repr)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, float) else str(value)


def _inline_rows(rows: list[dict[str, Any]], file: str, lines: dict[Location, int],
                 years: tuple[int, ...]) -> tuple[_RegionTable, list[Problem]]:
    """Inline rows as text; a ``{year: value}`` map gives one row per year."""
    out: list[dict[str, str]] = []
    row_lines: list[int | None] = []
    paths: list[str] = []
    problems: list[Problem] = []
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
        maps = {k: v for k, v in row.items() if isinstance(v, dict)}
        for key, value in maps.items():
            bad = [y for y in value if y not in years]
            if bad:
                problems.append(Problem(file, format_location(base + (key,)),
                                        f"year(s) {bad} are not in the instance's years {list(years)}",
                                        lines.get(base + (key,))))
        for year in years if maps else ("",):
            out.append({str(k): _cell_text(v.get(year) if isinstance(v, dict) else v) for k, v in row.items()}
                       | {"year": str(year)})
            row_lines.append(lines.get(base))
            paths.append(format_location(base))
    frame = pd.DataFrame(out, dtype=str).fillna("") if out else pd.DataFrame(columns=["id", "year"], dtype=str)
    return _RegionTable(frame, file, row_lines, paths), problems


def _csv_rows(path: Path, shown: str, single_period: bool) -> _RegionTable:
    """The regions CSV as text; without a ``year`` column every row holds for every year."""
    frame = _read_csv(path, shown)
    table = _RegionTable(frame, shown, [i + 2 for i in range(len(frame))], [f"row {i + 1}" for i in range(len(frame))])
    if "year" not in frame.columns:
        frame["year"] = ""
    elif single_period:
        raise InputError(Problem(shown, "year", "the CSV has a `year` column but the instance lists no `years`", 1))
    return table


def _expand_years(table: _RegionTable, years: tuple[int, ...]) -> tuple[_RegionTable, list[Problem]]:
    """One row per region × year: a row without a year holds for every year, and a year row's
    cells override it (its blank cells keep the all-years value)."""
    frame = table.frame
    problems: list[Problem] = []
    if "id" not in frame.columns:
        return table, [Problem(table.file, "regions", "no region column `id`")]
    year_text = frame["year"]
    numeric = pd.to_numeric(year_text.where(year_text != ""), errors="coerce")
    for i in np.flatnonzero((numeric.isna() & (year_text != "")).to_numpy()):
        problems.append(table.problem(int(i), "year", f"not a year: {year_text.iloc[i]!r}"))
    for i in np.flatnonzero((numeric.notna() & ~numeric.isin(years)).to_numpy()):
        problems.append(table.problem(int(i), "year", f"year {year_text.iloc[i]} is not in the instance's years "
                                                      f"{list(years)}"))
    for i in np.flatnonzero((frame["id"] == "").to_numpy()):
        problems.append(table.problem(int(i), "id", "missing region id"))
    for i in np.flatnonzero(frame.duplicated(["id", "year"]).to_numpy()):
        when = f" for year {year_text.iloc[i]}" if year_text.iloc[i] else ""
        problems.append(table.problem(int(i), "id", f"duplicate region id {frame['id'].iloc[i]!r}{when}"))
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
    return _RegionTable(combined, table.file, [table.lines[r] for r in rows], [table.paths[r] for r in rows]), []


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
            problems.append(Problem(table.file, where, f"no region column `{column}` (needed by {user}){hint}"))
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
        for i in np.flatnonzero(unparsable):
            problems.append(table.problem(int(i), column, f"not a number: {text.iloc[i]!r}"))
        if used:
            if column in needed:
                for i in np.flatnonzero(empty):
                    problems.append(table.problem(int(i), column, "missing value"))
            for i in np.flatnonzero(np.isinf(values)):
                problems.append(table.problem(int(i), column, f"must be finite, not {text.iloc[i]!r}"))
            for i in np.flatnonzero(values < 0):
                problems.append(table.problem(int(i), column, f"must not be negative (got {values[i]:g})"))
        typed[column] = values
    problems += _range_checks(typed, table)
    return typed, problems


def _range_checks(typed: pd.DataFrame, table: _RegionTable) -> list[Problem]:
    problems: list[Problem] = []

    def flag(mask: np.ndarray, column: str, message: str) -> None:
        for i in np.flatnonzero(mask):
            problems.append(table.problem(int(i), column, message.format(typed[column].iloc[i])))

    if "population" in typed:
        flag(typed["population"].to_numpy() == 0, "population",
             "population is {} but per-capita figures need a positive population")
        for column in ("migrants", "age0_14", "age65plus"):
            if column in typed and typed[column].dtype.kind == "f":
                flag(typed[column].to_numpy() > typed["population"].to_numpy(), column,
                     "{:g} is more than the region's population")
    for column in ("reform_score", "central_share_cap"):
        if column in typed:
            flag(typed[column].to_numpy() > 1, column, "is a share and must be between 0 and 1 (got {:g})")
    if "central_share_cap" in typed:
        flag(typed["central_share_cap"].to_numpy() == 0, "central_share_cap",
             "must be above 0 (a cap of 0 allows no central money; leave the region out instead)")
    if "cost_index" in typed:
        flag(typed["cost_index"].to_numpy() == 0, "cost_index", "must be above 0 (got {:g})")
    return problems


def _year_array(value: float | dict[int, float] | None, years: tuple[int, ...], key: str, file: str,
                lines: dict[Location, int], problems: list[Problem]) -> np.ndarray | None:
    if value is None:
        return None
    if isinstance(value, dict):
        extra = sorted(set(value) - set(years))
        missing = [y for y in years if y not in value]
        loc = tuple(key.split("."))
        if extra:
            problems.append(Problem(file, key, f"year(s) {extra} are not in the instance's years {list(years)}",
                                    _closest_line(lines, loc)))
        if missing:
            problems.append(Problem(file, key, f"no value for year(s) {missing}", _closest_line(lines, loc)))
        return np.array([float(value.get(y, 0.0)) for y in years])
    return np.full(len(years), float(value))


def _resolve(base: Path, relative: str) -> Path:
    return (base / relative).resolve()


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
        csv_path = _resolve(folder, spec.regions_csv)
        if not csv_path.is_relative_to(folder):
            raise InputError(Problem(file, "regions_csv", f"{spec.regions_csv!r} points outside the instance's "
                                     "folder; keep the regions CSV beside the instance file or below it",
                                     lines.get(("regions_csv",))))
        if not csv_path.is_file():
            raise InputError(Problem(file, "regions_csv", f"{spec.regions_csv!r}: file not found",
                                     lines.get(("regions_csv",))))
        digest.update(csv_path.read_bytes())
        table = _csv_rows(csv_path, str(path.parent / spec.regions_csv), single)
    else:
        table, problems = _inline_rows(spec.regions or [], file, lines, years)
    if table.frame.empty:
        raise InputError(Problem(table.file, "regions", "no regions: give at least one region"))
    special = _year_array(spec.budget.special_fund, years, "budget.special_fund", file, lines, problems)
    pool = _year_array(spec.budget.incentive_pool, years, "budget.incentive_pool", file, lines, problems)
    for name, service in spec.services.items():
        _year_array(service.unit_cost, years, f"services.{name}.unit_cost", file, lines, problems)
    assert pool is not None
    table, year_problems = _expand_years(table, years)
    problems += year_problems
    if not year_problems:
        needed = _needed_columns(spec, bool(pool.sum() > 0))
        typed, region_problems = _check_regions(table, spec, needed)
        problems += region_problems + _completeness(typed, years, table)
    policy: Policy | None
    if isinstance(spec.policy, str):
        policy_path = _resolve(folder, spec.policy)
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
        raise InputError(problems)
    order = pd.Index(dict.fromkeys(typed["id"])).get_indexer(typed["id"])
    typed = typed.assign(_order=order).sort_values(["_order", "year"], kind="stable").drop(columns="_order")
    return Instance(name=spec.name, description=spec.description, money_unit=spec.money_unit, years=years,
                    single_period=single, regions=typed.reset_index(drop=True), services=dict(spec.services),
                    special_fund=special, incentive_pool=pool, incentive=spec.incentive, policy=policy,
                    source=path, input_sha256=digest.hexdigest())


def _completeness(typed: pd.DataFrame, years: tuple[int, ...], table: _RegionTable) -> list[Problem]:
    """Every region needs a row for every year."""
    counts = typed.groupby("id", sort=False)["year"].nunique()
    short = counts[counts < len(years)]
    problems = []
    for rid in short.index:
        have = set(typed.loc[typed["id"] == rid, "year"])
        i = int(np.flatnonzero((typed["id"] == rid).to_numpy())[0])
        problems.append(Problem(table.file, f"{table.paths[i]}.year",
                                f"region {rid!r} has no row for year(s) {[y for y in years if y not in have]}",
                                table.lines[i]))
    return problems


def load_any(path: str | Path) -> str:
    """Validate an instance or a policy file (told apart by their keys); returns which it was."""
    path = Path(path)
    data, _ = read_yaml(path)
    if isinstance(data, dict) and not ({"services", "regions", "regions_csv", "budget"} & set(data)):
        load_policy(path)
        return "policy"
    load_instance(path)
    return "instance"
