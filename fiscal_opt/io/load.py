"""Reading instance and policy files into validated objects, with every problem found at once.

file → :func:`read_yaml` (plain data + line numbers) → pydantic models of :mod:`schema` →
region table (:mod:`regions`, read by :mod:`csvfile` or from the inline rows) → :class:`Instance`.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path
from collections.abc import Mapping
from typing import Any, get_args, get_origin

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from ..errors import InputError, Problem
from ..rules.policy import PolicyFile
from .csvfile import read_csv
from .instance import SINGLE_PERIOD_YEAR, Instance, Policy
from .migration import Migration, population_problems, read_migration
from .overrides import POLICY, apply as overrides_apply, attribute, split_policy
from .regions import (KNOWN_NUMERIC, SERVICE_COLUMN_KEYS, STRUCTURAL, TEXT_COLUMNS, RegionTable, cell_problems,
                      check_regions, cost_problems, csv_table, expand_years, inline_table, needed_columns,
                      role_problems)
from .schema import InstanceFile
from .values import MAX_NUMBER
from .yamlfile import Lines, Location, format_location, input_error, read_yaml, shown


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
        elif isinstance(node, dict) and isinstance(part, str) and part.isdigit() and int(part) in node:
            out.append(int(part))  # a name written as a whole number (a service `1`)
            node = node[int(part)]
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
        elif err.get("ctx", {}).get("class_name") == "ServiceLevels":
            word = ("a number, or {value: number, soft: true/false}, or a number per service "
                    "({education: 0.9, default: 0.5})")
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
        why = ": a cap of 0 allows no central money" if value == 0 and "central_share_cap" in err["loc"] else ""
        return f"must be above {ctx.get('gt'):g}{why} (got {shown(value)})"
    if kind == "less_than_equal":
        if ctx.get("le") == MAX_NUMBER:
            return f"is above {MAX_NUMBER:.0e}, more than any real figure: check the unit (got {shown(value)})"
        return f"is a share and must be between 0 and 1 (got {shown(value)})" if ctx.get("le") == 1 else \
            f"must be at most {ctx.get('le'):g} (got {shown(value)})"
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


def validation_problems(exc: ValidationError, model: type[BaseModel], data: Any, file: str,
                        lines: Lines, prefix: Location = ()) -> list[Problem]:
    """The problems of a pydantic ``exc`` for ``data`` (read from ``file`` with ``lines``, at key
    path ``prefix`` in it) in the words of a fiscal analyst, with line and key path."""
    by_key: dict[Location, list[dict[str, Any]]] = {}
    for err in exc.errors():
        by_key.setdefault(_data_location(data, err["loc"]), []).append(err)
    problems: list[Problem] = []
    for loc, errors in by_key.items():
        full = prefix + loc
        line = lines.near(full)
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
            message = _message(err) if err is not None else _wrong_type(wrong_type, lines.notes.get(full))
        problems.append(Problem(file, format_location(full), message, line))
    return problems


def _wrong_type(errors: list[dict[str, Any]], note: str | None) -> str:
    """A value of the wrong type, over every branch of a union (``number | {year: number}``);
    ``note`` says what YAML 1.1 would have read a plain scalar as."""
    value = errors[0].get("input")
    if isinstance(value, int) and not isinstance(value, bool) and errors[0]["type"].startswith("float"):
        return f"the number is too large ({len(str(abs(value))):,} digits)"
    expected = _expected(errors)
    if note is not None:
        hint = f"; {note}"
    elif isinstance(value, str) and "a number" in expected and pd.notna(pd.to_numeric(value, errors="coerce")):
        hint = "; write it without quotes"
    elif expected == "text" and isinstance(value, (int, float)):
        hint = "; put it in quotes to mean the text"
    else:
        hint = ""
    return f"expected {expected}, not {shown(value)}{hint}"


KINDS = {bool: "a single true/false", int: "a single number", float: "a single number", str: "text only",
         list: "a list"}


def validate(model: type[BaseModel], data: Any, file: str, lines: Lines, kind: str) -> Any:
    """``data`` read from ``file`` (with its ``lines``) as ``model``, or an
    :class:`~fiscal_opt.errors.InputError` listing every problem with its line and key path, in the
    words instance and policy files get; ``kind`` names the file (``a scenario``)."""
    return _validate(model, data, file, lines, kind=kind)


def _validate(model: type[BaseModel], data: Any, file: str, lines: Lines, prefix: Location = (),
              kind: str | None = None) -> Any:
    if not isinstance(data, dict):
        what = "empty" if data is None else f"{KINDS.get(type(data), type(data).__name__)}, not a mapping of keys"
        kind = kind or ("a policy" if model is PolicyFile else "an instance")
        raise InputError(Problem(file, format_location(prefix), f"the file is {what}; expected the keys of {kind} file"))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise input_error(validation_problems(exc, model, data, file, lines, prefix), file) from None


def load_policy(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Policy:
    """Read and validate a policy file (models/*.yaml); ``overrides`` change its data first (key
    paths such as ``min_coverage`` or ``policy.min_coverage``, values as YAML text or Python
    values; see :mod:`fiscal_opt.io.overrides`)."""
    path = Path(path)
    data, lines = read_yaml(path)
    named = overrides_apply(data, overrides or {}, lambda loc: _allowed_keys(PolicyFile, loc), lines, POLICY)
    try:
        return _validate(PolicyFile, data, str(path), lines)
    except InputError as exc:
        raise InputError(attribute(exc.problems, named)) from None


def _year_array(value: float | dict[int, float] | None, years: tuple[int, ...], key: str, file: str,
                lines: Lines, problems: list[Problem], single: bool) -> np.ndarray | None:
    if value is None:
        return None
    if isinstance(value, dict):
        extra = sorted(set(value) - set(years))
        missing = [y for y in years if y not in value]
        loc = tuple(key.split("."))
        if single:
            problems.append(Problem(file, key, "a {year: value} map needs the instance's `years`: give one "
                                    "number, or list the years in `years:`", lines.near(loc)))
        elif extra:
            problems.append(Problem(file, key, f"year(s) {extra} are not in the instance's years {list(years)}",
                                    lines.near(loc)))
        if missing and not single:
            problems.append(Problem(file, key, f"no value for year(s) {missing}", lines.near(loc)))
        return np.array([float(value.get(y, 0.0)) for y in years])
    return np.full(len(years), float(value))


def _resolve(base: Path, relative: str, file: str, key: str, lines: Lines) -> Path:
    """The path written under ``key``, relative to ``base``, with every symbolic link followed."""
    try:
        return (base / relative).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link that loops (Python < 3.13)
        raise InputError(Problem(file, key, f"{shown(relative)} cannot be followed: a symbolic link on the way "
                                 "loops or cannot be read", lines.near((key,)))) from None


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


def load_instance(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Instance:
    """Read and validate an instance file, its regions CSV and its policy file.

    ``overrides`` change the instance file's data before it is validated: dotted key paths
    (``budget.special_fund``, ``incentive.flexibility``, ``policy.min_coverage`` — which changes
    the policy file when the instance names one) → values, as YAML text (``"30000"``) or Python
    values (see :mod:`fiscal_opt.io.overrides`); problems with them are reported as ``--set
    KEY=VALUE``. Raises :class:`~fiscal_opt.errors.InputError` listing every problem with file,
    line and key path. Paths inside the file are relative to the file's folder; ``regions_csv``
    must stay inside that folder.
    """
    path = Path(path)
    data, lines = read_yaml(path)
    overrides = dict(overrides or {})
    own, for_policy = split_policy(overrides)
    if not (isinstance(data, dict) and isinstance(data.get("policy"), str)):
        own, for_policy = overrides, {}
    named = overrides_apply(data, own, lambda loc: _allowed_keys(InstanceFile, loc), lines)
    try:
        return _instance(path, data, lines, overrides, for_policy)
    except InputError as exc:
        raise InputError(attribute(exc.problems, named)) from None


def _instance(path: Path, data: Any, lines: Lines, overrides: dict[str, Any], for_policy: dict[str, Any]) -> Instance:
    """The instance of ``data`` (read from ``path``, ``overrides`` applied; ``for_policy`` are
    those of its policy file)."""
    file = str(path)
    spec: InstanceFile = _validate(InstanceFile, data, file, lines)
    digest = hashlib.sha256(path.read_bytes())
    for key, value in overrides.items():  # the same files under other overrides are another input
        digest.update(f"\n--set {key}={value!r}".encode())
    single = spec.years is None
    years = (SINGLE_PERIOD_YEAR,) if single else tuple(spec.years or ())
    problems = role_problems(spec.services, spec.incentive.basis, file, lines)
    special = _year_array(spec.budget.special_fund, years, "budget.special_fund", file, lines, problems, single)
    pool = _year_array(spec.budget.incentive_pool, years, "budget.incentive_pool", file, lines, problems, single)
    for name, service in spec.services.items():
        _year_array(service.unit_cost, years, f"services.{name}.unit_cost", file, lines, problems, single)
    problems += _place_problems(spec, years, file, lines)
    capital = _year_array(spec.budget.capital_fund, years, "budget.capital_fund", file, lines, problems, single)
    assert pool is not None
    has_pool = bool(pool.sum() > 0)
    needed = needed_columns(spec.services, spec.incentive.basis, has_pool)
    used = set(needed) | set(KNOWN_NUMERIC)
    notes: list[str] = []
    folder = path.parent.resolve()
    if spec.regions_csv is not None:
        table = _csv_regions(spec.regions_csv, folder, path, lines, used, single, digest, notes)
    else:
        table, inline_problems = inline_table(spec.regions or [], file, lines, years, single, used)
        problems += inline_problems
    if table.frame.empty and not problems:
        raise InputError(Problem(table.file, "regions", "no regions: give at least one region"))
    cells = cell_problems(table, used, _role_keys(spec, lines, has_pool), file)
    year_problems: list[Problem] = []
    if not table.frame.empty:
        table, year_problems = expand_years(table, years)
    problems += year_problems
    if not year_problems and not table.frame.empty:
        caps = {service.central_share_cap: f"services.{name}.central_share_cap"
                for name, service in spec.services.items()
                if isinstance(service.central_share_cap, str) and service.central_share_cap not in STRUCTURAL}
        typed, region_problems = check_regions(table, needed, caps, "regions_csv" if spec.regions_csv else "regions")
        problems += cells + region_problems + _completeness(typed, years, table)
        if not problems:  # every factor is known and in range; their products may still overflow
            problems += cost_problems(typed, spec.services, years, spec.money_unit, file, lines)
    policy: Policy | None
    if isinstance(spec.policy, str):
        policy_path = _resolve(folder, spec.policy, file, "policy", lines)
        why = _missing_file(policy_path, spec.policy, "policy file")
        if why:
            problems.append(Problem(file, "policy", why, lines.near(("policy",))))
            policy = None
        else:
            try:
                policy = load_policy(policy_path, for_policy)
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
    typed = typed.reset_index(drop=True)
    migration = None
    if spec.migration is not None:
        migration = _migration(spec, typed, years, single, folder, path, lines, digest)
    return Instance(name=spec.name, description=spec.description, money_unit=spec.money_unit, years=years,
                    single_period=single, regions=typed, services=dict(spec.services),
                    special_fund=special, incentive_pool=pool, incentive=spec.incentive, policy=policy,
                    source=path, input_sha256=digest.hexdigest(), notes=tuple(notes), capital_fund=capital,
                    migration=migration)


def _place_problems(spec: InstanceFile, years: tuple[int, ...], file: str, lines: Lines) -> list[Problem]:
    """Conversions into a service without places (or into the service itself), a capital fund with
    no service that has places, and places over years that do not follow one another."""
    with_places = [name for name, service in spec.services.items() if service.capacity is not None]
    problems = []
    if with_places and any(b != a + 1 for a, b in zip(years, years[1:])):
        problems.append(Problem(file, "years", f"places depreciate and take their lead time year by year: an instance "
                                f"with `capacity` lists consecutive years (got {list(years)})", lines.near(("years",))))
    for name, service in spec.services.items():
        for target in service.convert_to:
            loc = ("services", name, "convert_to", target)
            if target == name:
                why = "a service cannot convert places into itself"
            elif target not in with_places:
                known = ", ".join(n for n in with_places if n != name) or "none"
                why = (f"`{target}` is not a service with places: converted places must become places of another "
                       f"service with `capacity` (services with places: {known})")
            else:
                continue
            problems.append(Problem(file, format_location(loc), why, lines.near(loc)))
    if spec.budget.capital_fund is not None and not with_places:
        problems.append(Problem(file, "budget.capital_fund", "the capital fund pays for new places, but no service "
                                "has `capacity` (a region column of places)", lines.near(("budget", "capital_fund"))))
    return problems


MIGRATION_KINDS = {"migration_csv": "od", "net_csv": "net"}
"""The two forms of ``migration``: an origin–destination table, or net flows per region."""


def _migration(spec: InstanceFile, typed: pd.DataFrame, years: tuple[int, ...], single: bool, folder: Path,
               path: Path, lines: Lines, digest: Any) -> Migration:
    """The instance's flows, read and checked against its regions (file, line, row and column)."""
    file = str(path)
    assert spec.migration is not None
    key, written = next((k, v) for k, v in spec.migration.model_dump().items() if v is not None)
    loc = ("migration", key)
    where = format_location(loc)
    if single:
        raise InputError(Problem(file, where, "flows of people change the residents from year to year: list the "
                                 "instance's `years`", lines.near(loc)))
    try:
        csv_path = (folder / written).resolve()
    except (OSError, RuntimeError):
        raise InputError(Problem(file, where, f"{shown(written)} cannot be followed: a symbolic link on the way "
                                 "loops or cannot be read", lines.near(loc))) from None
    if not csv_path.is_relative_to(folder):
        raise InputError(Problem(file, where, f"{shown(written)} points outside the instance's folder; keep the "
                                 "flows table beside the instance file or below it", lines.near(loc)))
    why = _missing_file(csv_path, written, "migration CSV file")
    if why:
        raise InputError(Problem(file, where, why, lines.near(loc)))
    ids = list(pd.unique(typed["id"].to_numpy()))
    R, T = len(ids), len(years)
    movable = list(dict.fromkeys(c for c in [*(s.driver for s in spec.services.values()), spec.incentive.basis]
                                 if c not in ("population", "migrants") and c in typed.columns
                                 and typed[c].dtype.kind == "f"))
    migration = read_migration(csv_path, str(path.parent / written), MIGRATION_KINDS[key], ids, years, movable,
                               digest)
    found = population_problems(migration, ids, years,
                                lambda column: typed[column].to_numpy(dtype=float).reshape(R, T), movable)
    if found:
        raise InputError(found)
    return migration


def _csv_regions(written: str, folder: Path, path: Path, lines: Lines, used: set[str], single: bool, digest: Any,
                 notes: list[str]) -> RegionTable:
    """The instance's ``regions_csv`` as a region table (its bytes hashed into ``digest``)."""
    file = str(path)
    csv_path = _resolve(folder, written, file, "regions_csv", lines)
    if not csv_path.is_relative_to(folder):
        raise InputError(Problem(file, "regions_csv", f"{shown(written)} points outside the instance's folder; keep "
                                 "the regions CSV beside the instance file or below it", lines.near(("regions_csv",))))
    why = _missing_file(csv_path, written, "regions CSV file")
    if why:
        raise InputError(Problem(file, "regions_csv", why, lines.near(("regions_csv",))))
    shown_as = str(path.parent / written)
    csv = read_csv(csv_path, shown_as, TEXT_COLUMNS, used | {"year"}, digest)
    if single and "year" in csv.columns:
        raise InputError(Problem(shown_as, "year", "the CSV has a `year` column but the instance lists no `years`", 1))
    if csv.blank_rows:
        notes.append(f"{shown_as}: {csv.blank_rows:,} rows of only empty cells (as spreadsheets write below a "
                     "formatted table) were skipped")
    return csv_table(csv, shown_as)


def _role_keys(spec: InstanceFile, lines: Lines, has_pool: bool) -> dict[str, tuple[str, int | None]]:
    """Each region column a key names, with the first such key and its line."""
    keys: dict[str, tuple[str, int | None]] = {}
    for name, service in spec.services.items():
        for key in SERVICE_COLUMN_KEYS:
            column = getattr(service, key)
            if isinstance(column, str):
                keys.setdefault(column, (f"services.{name}.{key}", lines.near(("services", name, key))))
    if has_pool:
        keys.setdefault(spec.incentive.basis, ("incentive.basis", lines.near(("incentive", "basis"))))
    return keys


def _completeness(typed: pd.DataFrame, years: tuple[int, ...], table: RegionTable) -> list[Problem]:
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
