"""A ready instance and policy from a plain CSV of regions (``fiscal-opt new DIR --regions-csv FILE``).

`new_instance` copies the CSV into a new folder as ``regions.csv`` and writes beside it
``instance.yaml`` and ``policy.yaml``, every column and key explained in comments: one service per
column that counts its beneficiaries (health for ``population``, housing for ``migrants``,
education for ``age0_14``, elderly care for ``age65plus``) at the 2020 national unit costs of the
calibration, local funding as a share of fiscal capacity (or a ``local_<service>`` column when the
CSV has one), a special fund of about half the regions' total gap and, when the CSV has reform
scores, an incentive pool of 5 % of it. The files are written to a temporary folder, validated by
the loader, and only then moved into place: a CSV the loader refuses leaves nothing behind.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..errors import InputError, Problem
from ..io.csvfile import read_csv
from ..io.instance import Instance, Policy
from ..io.load import load_instance
from ..io.regions import KNOWN_NUMERIC, REQUIRED_COLUMNS, TEXT_COLUMNS
from ..io.values import MONEY_UNITS
from ..model.params import derive
from .calibration import load_calibration

COLUMNS = {
    "id": "required  the region's id: text, unique (one row per region, or per region and year)",
    "population": "required  residents, persons (migrants included)",
    "migrants": "required  residents without local household registration (hukou), persons",
    "fiscal_capacity": "required  the region's own fiscal capacity, in money_unit",
    "name": "optional  the region's name (default: the id)",
    "group": "optional  a group for reports, e.g. East/Central/West/Northeast (default: all)",
    "year": "optional  the year a row holds for; a blank year holds for every year",
    "age0_14": "optional  children aged 0-14, persons (drives education)",
    "age65plus": "optional  residents aged 65 and over, persons (drives elderly care)",
    "reform_score": "optional  a share in [0, 1]: progress of hukou reform (needed by an incentive pool)",
    "central_share_cap": "optional  a share in (0, 1]: most of a service's standard cost the centre pays (default 1)",
    "cost_index": "optional  the region's cost level, 1 = national average (default 1)",
    "prior_transfer": "optional  last year's central transfer, in money_unit (needed by hold_harmless)",
}
"""Every region column fiscal_opt knows, with what it holds (the comments of the written files)."""
SERVICES = {"health": ("population", 0.08), "housing": ("migrants", 0.02), "education": ("age0_14", 0.15),
            "elderly": ("age65plus", 0.05)}
"""Service → (the column counting its beneficiaries, the share of fiscal capacity a region spends
on it itself when the CSV has no ``local_<service>`` column)."""
FUND_SHARE_OF_GAP = 0.5
POOL_SHARE_OF_FUND = 0.05


def new_instance(folder: Path, regions_csv: Path, money_unit: str = "100m_yuan") -> tuple[Path, Path]:
    """Write ``folder/instance.yaml``, ``folder/policy.yaml`` and ``folder/regions.csv`` (a copy of
    ``regions_csv``); return the instance and policy paths. ``folder`` must be new or empty.

    Raises :class:`InputError` for a folder that is not, an unreadable CSV, a CSV without the
    required columns (all of them listed) and a CSV whose rows the loader refuses.
    """
    folder, regions_csv = Path(folder), Path(regions_csv)
    if money_unit not in MONEY_UNITS:
        raise InputError(Problem("--money-unit", "", f"must be one of {', '.join(MONEY_UNITS)}, not {money_unit!r}"))
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(Problem(str(folder), "", "exists and is not an empty folder; `new` writes into a new or "
                                 "empty folder and never over your files"))
    table = read_csv(regions_csv, str(regions_csv), TEXT_COLUMNS, set(KNOWN_NUMERIC) | {"year"}, hashlib.sha256())
    columns = list(table.columns)
    _check_columns(columns, regions_csv)
    years = sorted({int(y) for y in table.columns["year"] if np.isfinite(y)}) if "year" in columns else []
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".new", dir=folder.parent))
    umask = os.umask(0)
    os.umask(umask)
    work.chmod(0o777 & ~umask)  # a folder like any other the user makes, not mkdtemp's private one
    try:
        shutil.copyfile(regions_csv, work / "regions.csv")
        (work / "policy.yaml").write_text(POLICY_TEXT, encoding="utf-8")
        services = {name: (driver, share) for name, (driver, share) in SERVICES.items() if driver in columns}
        (work / "instance.yaml").write_text(_instance_text(folder.name, regions_csv, columns, years, services,
                                                           money_unit, None), encoding="utf-8")
        gap = derive(_load(work, regions_csv, folder), Policy()).gap.sum(axis=(0, 1))
        (work / "instance.yaml").write_text(_instance_text(folder.name, regions_csv, columns, years, services,
                                                           money_unit, float(gap.mean())), encoding="utf-8")
        _load(work, regions_csv, folder)
        if folder.exists():
            folder.rmdir()
        os.replace(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder / "instance.yaml", folder / "policy.yaml"


def _check_columns(columns: list[str], regions_csv: Path) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if not missing:
        return
    problems = []
    for column in missing:
        close = difflib.get_close_matches(column, columns, n=1, cutoff=0.7)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        problems.append(Problem(str(regions_csv), "", f"no column `{column}`: {COLUMNS[column].split('  ', 1)[1]}"
                                f"{hint}", 1))
    problems.append(Problem(str(regions_csv), "", f"the columns are {', '.join(f'`{c}`' for c in columns)}; the "
                            f"required ones are {', '.join(f'`{c}`' for c in REQUIRED_COLUMNS)}", 1))
    raise InputError(problems)


def _load(work: Path, regions_csv: Path, folder: Path) -> Instance:
    """The instance in ``work``; its problems name the user's CSV and the folder-to-be."""
    try:
        return load_instance(work / "instance.yaml")
    except InputError as exc:
        names = {str(work / "regions.csv"): str(regions_csv), str(work / "instance.yaml"): str(folder / "instance.yaml")}
        raise InputError([Problem(names.get(p.file, p.file), p.path, p.message, p.line)
                          for p in exc.problems]) from None


def _number(value: float) -> str:
    """3 significant digits, written as YAML reads a number (``12300``, ``0.5``)."""
    rounded = float(f"{value:.3g}")
    return str(int(rounded)) if rounded.is_integer() else repr(rounded)


def _instance_text(name: str, regions_csv: Path, columns: list[str], years: list[int],
                   services: dict[str, tuple[str, float]], money_unit: str, gap: float | None) -> str:
    """The instance file, commented; ``gap`` (the regions' total gap a year, money_unit) sets the
    budget (``None``: a first draft whose budget is 0)."""
    unit_costs = load_calibration()["unit_costs"]
    fund = 0.0 if gap is None else FUND_SHARE_OF_GAP * gap
    pool = POOL_SHARE_OF_FUND * fund if "reform_score" in columns else 0.0
    known = [c for c in COLUMNS if c in columns]
    other = [c for c in columns if c not in COLUMNS]
    lines = [
        f"# An instance written by `fiscal-opt new` from {regions_csv.name}: edit what is marked SET YOUR OWN,",
        "# then `fiscal-opt validate instance.yaml` and `fiscal-opt solve instance.yaml --out results`.",
        "# docs/files.md describes every key.",
        "#",
        "# Region columns in regions.csv (a copy of your file):",
        *(f"#   {c:<18} {COLUMNS[c]}" for c in known),
        *(f"#   {c:<18} your own column: a service may name it as its driver or local_funding" for c in other),
        "# Columns fiscal_opt knows that the file does not have:",
        *([f"#   {c:<18} {COLUMNS[c]}" for c in COLUMNS if c not in columns] or ["#   (none)"]),
        f"name: {json.dumps(name, ensure_ascii=False)}",
        f"description: {json.dumps(f'Written by fiscal-opt new from {regions_csv.name}', ensure_ascii=False)}",
        f"money_unit: {money_unit}    # fiscal_capacity, local funding, prior_transfer and the budget are in this unit",
    ]
    if years:
        lines.append(f"years: [{', '.join(map(str, years))}]    # the years of the CSV's `year` column")
    lines += [
        "regions_csv: regions.csv",
        "",
        "# One service per column that counts its beneficiaries. unit_cost: yuan per beneficiary per year, the",
        "# 2020 national average (SET YOUR OWN); local_share: the share of fiscal_capacity a region spends on the",
        "# service itself (SET YOUR OWN, or name a column of the region's own funding as local_funding).",
        "services:",
    ]
    for service, (driver, share) in services.items():
        local = f"local_funding: local_{service}" if f"local_{service}" in columns else f"local_share: {share}"
        lines.append(f"  {service}: {{driver: {driver}, unit_cost: {unit_costs[service]}, {local}}}")
    gap_text = "" if gap is None else f" (the regions' total gap is {gap:,.6g} a year)"
    lines += [
        "",
        "budget:",
        f"  special_fund: {_number(fund)}    # about half of the total gap{gap_text}: SET YOUR OWN",
        f"  incentive_pool: {_number(pool)}    # " + ("5 % of the special fund: SET YOUR OWN" if pool else
                                                 "an incentive pool needs a reform_score column"),
    ]
    if pool:
        lines += ["incentive: {basis: migrants, min_score: 0.3, flexibility: 0.1}    # shared by migrants × reform "
                  "score; flexibility: how far the optimum may move the formula's shares"]
    lines += ["", "policy: policy.yaml    # the objective and the rules; --policy FILE on the command line overrides it",
              ""]
    return "\n".join(lines)


POLICY_TEXT = """\
# A policy written by `fiscal-opt new`: the objective and the rules (docs/files.md).
name: starter
description: >-
  Spend the special fund where it closes the most priority-weighted shortfall. Rules are off; take
  out the # before one to use it.
objective: weighted_shortfall    # or max_min_coverage, leximin_coverage, min_budget
priority: {fiscal_difficulty: 1.0, migrant_share: 1.0}    # how much fiscal difficulty and migrants raise a region's weight
# min_coverage: 0.5              # every region-service covered at least this share of its standard cost
# per_capita_floor: 0.6          # resources per resident at least this share of the national average
# max_disparity_ratio: 3         # highest over lowest resources per resident
# hold_harmless: {max_cut: 0.1}  # a region's transfer falls at most 10 % a year (needs prior_transfer)
# soft_penalty: 1000             # a rule written {value: 0.5, soft: true} may bend at this cost per money_unit
"""
"""The policy file: weighted shortfall, every rule commented out with what it does."""
