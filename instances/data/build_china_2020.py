"""Build ``china-2020-provinces.csv``, the region table of the flagship instance.

Reads the shared 2020 data copied unchanged into ``instances/data/china-2020/`` and writes
``instances/data/china-2020-provinces.csv``: one row per province (31) per year (2020–2025).
Every column, its source ids (S1, M1, S6a, …) and every assumption are documented in
``instances/data/SOURCES.md``; the constants below carry the same names as there.

Usage (from anywhere; paths are relative to this file)::

    python instances/data/build_china_2020.py            # write the CSV
    python instances/data/build_china_2020.py --check    # exit 1 if the committed CSV differs
    python instances/data/build_china_2020.py --report   # unit costs and gaps per year

Deterministic: no randomness, rows sorted by year then code, fixed number formats, ``\\n``
line ends. The committed CSV must be byte-identical to this script's output (a test checks it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RAW = HERE / "china-2020"
OUT = HERE / "china-2020-provinces.csv"

BASE_YEAR = 2020
YEARS = [2020, 2021, 2022, 2023, 2024, 2025]

# --- ASSUMPTIONS (SOURCES.md, "Years 2021–2025") -------------------------------------------
# Annual drift applied to the 2020 census counts, identical for every province.
GROWTH = {
    "population": 0.0,  # resident population held at the census level
    "migrants": 0.02,  # inter-provincial migrants +2 % a year
    "intra_floating": 0.02,  # intra-province floating population +2 % a year
    "age0_14": -0.03,  # children 0-14 -3 % a year (falling births)
    "age65plus": 0.04,  # residents 65+ +4 % a year (ageing)
}
# Money columns are held at their 2020 values (constant 2020 yuan, no real growth).

# --- Reform score: SCENARIO (SOURCES.md, "reform_score") -------------------------------------
SCORE_TOP = 0.95  # score of a province with no migrants
SCORE_SPREAD = 0.70  # how far the province with the highest migrant share falls below SCORE_TOP
SCORE_STEP = 0.05  # reform progress per year, every province, capped at 1

# --- Special fund rule (SOURCES.md, "Special fund") ------------------------------------------
FUND_SHARE_OF_CEILING = 0.70  # B_t = this share of the year's total fund ceiling ΣU, rounded
FUND_ROUNDING = -2  # to the nearest 100 亿元
UNIT_COST_DECIMALS = 0  # the instance YAML states unit costs rounded to whole yuan

# --- prior_transfer: ASSUMPTION (SOURCES.md, "prior_transfer") -------------------------------
PRIOR_INCENTIVE_POOL = 300.0  # 亿元: the real 2019 citizenisation reward fund (S12a)
MIN_SCORE = 0.3  # the instance's incentive.min_score

# --- Central share caps: the five tiers of 国办发〔2018〕6号 (SOURCES.md, source T1) -----------
TIER_CAP = {
    0.8: ["15", "45", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"],
    0.6: ["13", "14", "22", "23", "34", "36", "41", "42", "43", "46"],
    0.5: ["21", "35", "37"],
    0.3: ["12", "32", "33", "44"],
    0.1: ["11", "31"],
}
# --- The four official economic regions (东部/中部/西部/东北) ---------------------------------
GROUPS = {
    "East": ["11", "12", "13", "31", "32", "33", "35", "37", "44", "46"],
    "Central": ["14", "34", "36", "41", "42", "43"],
    "West": ["15", "45", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"],
    "Northeast": ["21", "22", "23"],
}

# service -> (driver column, local-funding column, 2020 spending column in the shared data)
SERVICES = {
    "education": ("age0_14", "local_education", "education_exp_2020_100m_yuan"),
    "health": ("population", "local_health", "health_exp_2020_100m_yuan"),
    "elderly": ("age65plus", "local_social_security", "social_security_employment_exp_2020_100m_yuan"),
    "housing": ("migrants", "local_housing", "housing_security_exp_2020_100m_yuan"),
}

COLUMNS = [
    "id", "name", "name_zh", "group", "year", "population", "migrants", "intra_floating",
    "age0_14", "age65plus", "fiscal_capacity", "local_education", "local_health",
    "local_social_security", "local_housing", "central_share_cap", "reform_score",
    "prior_transfer", "cost_index",
]
PERSON_COLUMNS = ["population", "migrants", "intra_floating", "age0_14", "age65plus"]
MONEY_COLUMNS = ["fiscal_capacity", "local_education", "local_health", "local_social_security",
                 "local_housing", "prior_transfer"]


def _read(name: str) -> pd.DataFrame:
    df = pd.read_csv(RAW / name, dtype={"province_code": str})
    return df.set_index("province_code").sort_index()


def _round_half_up(values: pd.Series | np.ndarray, decimals: int = 0) -> np.ndarray:
    """Round half away from zero (values here are non-negative), independent of float quirks."""
    scale = 10.0 ** decimals
    return np.floor(np.asarray(values, dtype=float) * scale + 0.5 + 1e-9) / scale


def _lookup(table: dict[object, list[str]], code: str) -> object:
    hits = [key for key, codes in table.items() if code in codes]
    if len(hits) != 1:
        raise ValueError(f"province {code} is in {len(hits)} entries of a mapping, expected 1")
    return hits[0]


def base_table() -> pd.DataFrame:
    """The 2020 rows from the shared files, before scenario columns; one row per province."""
    pop = _read("census2020_population_age.csv")
    mig = _read("census2020_migration_more.csv")
    fis = _read("fiscal_budget_2019_2020.csv")
    exp = _read("expenditure_by_function_2019_2020.csv")
    if not (list(pop.index) == list(mig.index) == list(fis.index) == list(exp.index)):
        raise ValueError("the shared files do not list the same 31 provinces")

    out = pd.DataFrame(index=pop.index)
    out["id"] = pop.index
    out["name"] = pop["name_en"]
    out["name_zh"] = pop["name_zh"]
    out["group"] = [_lookup(GROUPS, c) for c in pop.index]
    out["population"] = pop["resident_pop_2020_persons"].astype(float)
    out["migrants"] = _round_half_up(mig["inflow_from_other_provinces_10k_persons"] * 1e4)
    out["intra_floating"] = _round_half_up(mig["intra_province_floating_10k_persons"] * 1e4)
    out["age0_14"] = pop["age0_14_count_derived_persons"].astype(float)
    out["age65plus"] = pop["age65plus_count_derived_persons"].astype(float)
    # fiscal capacity: official 2019 revenue, the latest official provincial figure (ASSUMPTION)
    out["fiscal_capacity"] = fis["gpb_revenue_2019_100m_yuan"]
    # own-revenue-financed share of 2020 spending: revenue / total 2020 expenditure
    self_financed = fis["gpb_revenue_2019_100m_yuan"] / fis["gpb_expenditure_2020_100m_yuan"]
    for _service, (_driver, local_col, spend_col) in SERVICES.items():
        out[local_col] = _round_half_up(exp[spend_col] * self_financed, 2)
    out["central_share_cap"] = [_lookup(TIER_CAP, c) for c in pop.index]
    out["cost_index"] = 1.0
    return out


def unit_costs(base: pd.DataFrame | None = None, exact: bool = False) -> dict[str, float]:
    """Yuan per beneficiary: 2020 spending of the 31 provinces / their 2020 beneficiaries;
    rounded to whole yuan as stated in the instance YAML unless ``exact``."""
    base = base_table() if base is None else base
    exp = _read("expenditure_by_function_2019_2020.csv")
    costs = {s: exp[spend].sum() * 1e8 / base[driver].sum()
             for s, (driver, _local, spend) in SERVICES.items()}
    if exact:
        return costs
    return {s: float(_round_half_up([c], UNIT_COST_DECIMALS)[0]) for s, c in costs.items()}


def reform_scores(base: pd.DataFrame, year: int) -> np.ndarray:
    """SCENARIO: lower where the migrant share is high (megacities' points-based settlement)."""
    share = base["migrants"] / base["population"]
    start = SCORE_TOP - SCORE_SPREAD * share / share.max()
    return np.minimum(1.0, _round_half_up(start, 2) + SCORE_STEP * (year - BASE_YEAR))


def ceilings(frame: pd.DataFrame, costs: dict[str, float]) -> pd.DataFrame:
    """Per province and service: standard cost C, gap G and fund ceiling U = min(G, θC), 亿元."""
    result = {}
    for service, (driver, local_col, _spend) in SERVICES.items():
        cost = costs[service] * frame[driver] * frame["cost_index"] / 1e8
        gap = (cost - frame[local_col]).clip(lower=0.0)
        result[(service, "C")] = cost
        result[(service, "G")] = gap
        result[(service, "U")] = np.minimum(gap, frame["central_share_cap"] * cost)
    return pd.DataFrame(result, index=frame.index)


def special_fund(frame: pd.DataFrame, costs: dict[str, float]) -> float:
    """The special-fund rule: FUND_SHARE_OF_CEILING of the year's total ceiling ΣU, rounded."""
    total = ceilings(frame, costs).xs("U", axis=1, level=1).to_numpy().sum()
    return float(round(FUND_SHARE_OF_CEILING * total, FUND_ROUNDING))


def prior_transfer(base: pd.DataFrame, costs: dict[str, float]) -> np.ndarray:
    """ASSUMPTION: last year's special fund (= the 2020 fund) shared by the 2020 fund ceilings,
    plus the 2019 reward fund shared by the incentive formula with 2019 scores (2020 − a step)."""
    ceiling = ceilings(base, costs).xs("U", axis=1, level=1).sum(axis=1)
    special = special_fund(base, costs) * ceiling / ceiling.sum()
    score_2019 = reform_scores(base, BASE_YEAR - 1)
    basis = np.where(score_2019 >= MIN_SCORE - 1e-12, score_2019 * base["migrants"], 0.0)
    incentive = PRIOR_INCENTIVE_POOL * basis / basis.sum()
    return _round_half_up(special + incentive, 2)


def build() -> pd.DataFrame:
    base = base_table()
    costs = unit_costs(base)
    base["prior_transfer"] = prior_transfer(base, costs)
    frames = []
    for year in YEARS:
        frame = base.copy()
        frame["year"] = year
        for column, rate in GROWTH.items():
            frame[column] = _round_half_up(base[column] * (1.0 + rate) ** (year - BASE_YEAR))
        frame["reform_score"] = reform_scores(base, year)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True).sort_values(["year", "id"], kind="mergesort")
    return table[COLUMNS].reset_index(drop=True)


def to_csv_text(table: pd.DataFrame) -> str:
    """Fixed formats: persons as integers, money with 2 decimals, shares with 2 decimals."""
    text = table.copy()
    for column in PERSON_COLUMNS:
        text[column] = [f"{int(v)}" for v in text[column]]
    for column in MONEY_COLUMNS:
        text[column] = [f"{v:.2f}" for v in text[column]]
    for column in ("central_share_cap", "reform_score", "cost_index"):
        text[column] = [f"{v:.2f}" for v in text[column]]
    return text.to_csv(index=False, lineterminator="\n")


def special_funds(table: pd.DataFrame) -> dict[int, float]:
    """The instance's budget.special_fund, per year, by the rule above."""
    costs = unit_costs()
    return {int(year): special_fund(frame.set_index("id"), costs)
            for year, frame in table.groupby("year")}


def report(table: pd.DataFrame) -> str:
    """Unit costs and, per year, total standard cost, local funding, gap, ceiling and fund."""
    exact, rounded = unit_costs(exact=True), unit_costs()
    lines = ["unit costs (yuan per beneficiary per year): exact, as in the YAML"]
    lines += [f"  {s:10s} {exact[s]:12.2f} {rounded[s]:8.0f}" for s in SERVICES]
    lines.append("year  standard_cost  local_funding       gap  ceiling_U  special_fund  (亿元)")
    funds = special_funds(table)
    for year, frame in table.groupby("year"):
        parts = ceilings(frame.set_index("id"), rounded)
        c = parts.xs("C", axis=1, level=1).to_numpy().sum()
        g = parts.xs("G", axis=1, level=1).to_numpy().sum()
        u = parts.xs("U", axis=1, level=1).to_numpy().sum()
        local = frame[[loc for _d, loc, _s in SERVICES.values()]].to_numpy().sum()
        lines.append(f"{year}  {c:13.2f} {local:14.2f} {g:9.2f} {u:10.2f} {funds[int(year)]:13.0f}")
    base = ceilings(table[table["year"] == BASE_YEAR].set_index("id"), rounded)
    for service in SERVICES:
        c, g, u = (base[(service, part)].sum() for part in ("C", "G", "U"))
        lines.append(f"2020 {service:10s} standard cost {c:10.2f}  gap {g:10.2f}  ceiling {u:10.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed CSV")
    parser.add_argument("--report", action="store_true", help="print unit costs and gaps")
    args = parser.parse_args(argv)
    table = build()
    text = to_csv_text(table)
    if args.report:
        print(report(table))
        return 0
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print(f"{OUT.name}: {'up to date' if same else 'DIFFERS from the build'}")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(table)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
