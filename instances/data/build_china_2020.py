"""Build ``china-2020-provinces.csv``, the region table of the flagship instance.

Reads the raw 2020 data copied unchanged into ``instances/data/china-2020/`` and writes
``instances/data/china-2020-provinces.csv``: one row per province (31) per year (2020–2025).
Every column, its source ids (S1, M1, S6a, T1, …) and every assumption are documented in
``instances/data/SOURCES.md``; the constants below carry the same names as there.

Usage (from anywhere; paths are relative to this file)::

    python instances/data/build_china_2020.py            # write the CSV
    python instances/data/build_china_2020.py --check    # exit 1 if the committed CSV differs
    python instances/data/build_china_2020.py --report   # unit costs, gaps, capacity, cost index

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

# --- Fiscal capacity: DERIVED (SOURCES.md, "Fiscal capacity") ----------------------------------
# The column the model reads as `fiscal_capacity`: "standard_revenue" (a capacity: 2019 GDP times
# the national ratio of local revenue to GDP) or "measured_revenue" (2019 revenue as collected).
# Both stay in the CSV; change this one line and rebuild to switch.
FISCAL_CAPACITY = "standard_revenue"

# --- Cost index: DERIVED + ASSUMPTION (SOURCES.md, "Cost index") ------------------------------
WAGE_SHARE = 0.60  # share of public-service cost that is pay, and so follows local wages
WAGE_RATIO_CAP = 1.50  # relative wages above this do not pass into public-service pay
SPARSITY_ELASTICITY = 0.10  # extra cost per unit of ln(land per resident / national), above 1
COST_INDEX_DECIMALS = 2

# --- prior_transfer: ASSUMPTION (SOURCES.md, "prior_transfer") -------------------------------
PRIOR_INCENTIVE_POOL = 300.0  # 亿元: the real 2019 citizenisation reward fund (S12a)
MIN_SCORE = 0.3  # the instance's incentive.min_score

# --- Central share caps: the five tiers of 国办发〔2018〕6号 (SOURCES.md, source R1) -----------
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

# service -> (driver column, local-funding column, 2020 spending column in the raw data)
SERVICES = {
    "education": ("age0_14", "local_education", "education_exp_2020_100m_yuan"),
    "health": ("population", "local_health", "health_exp_2020_100m_yuan"),
    "elderly": ("age65plus", "local_social_security", "social_security_employment_exp_2020_100m_yuan"),
    "housing": ("migrants", "local_housing", "housing_security_exp_2020_100m_yuan"),
}

# actual central transfers (T1, T2): column of central_transfers_2020_2022.csv per model year;
# years not listed stay blank (SOURCES.md, "Actual central transfers")
ACTUAL_TRANSFER = {
    "actual_transfer": {2020: "central_transfers_2020_executed_100m_yuan",
                        2021: "central_transfers_2021_executed_100m_yuan"},
    "actual_transfer_excl_special": {2020: "central_transfers_2020_executed_excl_special_100m_yuan"},
}

COLUMNS = [
    "id", "name", "name_zh", "group", "year", "population", "migrants", "intra_floating",
    "age0_14", "age65plus", "fiscal_capacity", "measured_revenue", "standard_revenue",
    "local_education", "local_health", "local_social_security", "local_housing",
    "central_share_cap", "reform_score", "prior_transfer", "cost_index", *ACTUAL_TRANSFER,
]
PERSON_COLUMNS = ["population", "migrants", "intra_floating", "age0_14", "age65plus"]
MONEY_COLUMNS = ["fiscal_capacity", "measured_revenue", "standard_revenue", "local_education",
                 "local_health", "local_social_security", "local_housing", "prior_transfer",
                 *ACTUAL_TRANSFER]


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


def revenue_to_gdp_ratio() -> float:
    """The national ratio of local general-public-budget revenue to GDP in 2019: the sum of the
    31 provinces' 2019 revenue (S6a) over the sum of their 2019 GDP (T3)."""
    fis = _read("fiscal_budget_2019_2020.csv")
    gdp = _read("gdp_2019_2020.csv")
    return float(fis["gpb_revenue_2019_100m_yuan"].sum() / gdp["gdp_2019_nbs_100m_yuan"].sum())


def cost_index_parts() -> pd.DataFrame:
    """Per province: the cost index and its parts (SOURCES.md, "Cost index").

    wage factor = 1 − WAGE_SHARE + WAGE_SHARE · min(w / w̄, WAGE_RATIO_CAP), with w the 2019
    average wage of urban non-private units (T3) and w̄ its mean over the 31 provinces weighted by
    2020 residents; sparsity factor = 1 + SPARSITY_ELASTICITY · max(0, ln(a / ā)), with a the land
    area per resident (T6, S1) and ā the national one; the index is their product divided by its
    resident-weighted mean (so that mean is 1), rounded to COST_INDEX_DECIMALS.
    """
    pop = _read("census2020_population_age.csv")["resident_pop_2020_persons"].astype(float)
    wage = _read("capacity_2019_nbs.csv")["avg_wage_urban_nonprivate_units_2019_yuan"]
    area = _read("land_area.csv")["land_area_km2"]
    relative_wage = wage / ((wage * pop).sum() / pop.sum())
    relative_land = (area / pop) / (area.sum() / pop.sum())
    parts = pd.DataFrame({"relative_wage": relative_wage, "relative_land": relative_land})
    parts["wage_factor"] = 1.0 - WAGE_SHARE + WAGE_SHARE * relative_wage.clip(upper=WAGE_RATIO_CAP)
    parts["sparsity_factor"] = 1.0 + SPARSITY_ELASTICITY * np.log(relative_land).clip(lower=0.0)
    raw = parts["wage_factor"] * parts["sparsity_factor"]
    parts["cost_index"] = _round_half_up(raw / ((raw * pop).sum() / pop.sum()), COST_INDEX_DECIMALS)
    return parts


def base_table() -> pd.DataFrame:
    """The 2020 rows from the raw files, before scenario columns; one row per province."""
    pop = _read("census2020_population_age.csv")
    mig = _read("census2020_migration_more.csv")
    fis = _read("fiscal_budget_2019_2020.csv")
    exp = _read("expenditure_by_function_2019_2020.csv")
    gdp = _read("gdp_2019_2020.csv")
    tables = [mig, fis, exp, gdp, _read("capacity_2019_nbs.csv"), _read("land_area.csv"),
              _read("central_transfers_2020_2022.csv")]
    if any(list(t.index) != list(pop.index) for t in tables):
        raise ValueError("the raw files do not list the same 31 provinces")

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
    # revenue: official 2019 revenue, the latest official provincial figure (ASSUMPTION), and the
    # capacity to raise it, 2019 GDP x the 2019 national revenue-to-GDP ratio
    out["measured_revenue"] = fis["gpb_revenue_2019_100m_yuan"]
    out["standard_revenue"] = _round_half_up(gdp["gdp_2019_nbs_100m_yuan"] * revenue_to_gdp_ratio(), 2)
    out["fiscal_capacity"] = out[FISCAL_CAPACITY]
    # own-revenue-financed share of 2020 spending: revenue / total 2020 expenditure
    self_financed = fis["gpb_revenue_2019_100m_yuan"] / fis["gpb_expenditure_2020_100m_yuan"]
    for _service, (_driver, local_col, spend_col) in SERVICES.items():
        out[local_col] = _round_half_up(exp[spend_col] * self_financed, 2)
    out["central_share_cap"] = [_lookup(TIER_CAP, c) for c in pop.index]
    out["cost_index"] = cost_index_parts()["cost_index"]
    return out


def unit_costs(base: pd.DataFrame | None = None, exact: bool = False) -> dict[str, float]:
    """Yuan per beneficiary at a cost index of 1: 2020 spending of the 31 provinces / their 2020
    beneficiaries weighted by the cost index, so that the standard costs add up to national
    spending; rounded to whole yuan as stated in the instance YAML unless ``exact``."""
    base = base_table() if base is None else base
    exp = _read("expenditure_by_function_2019_2020.csv")
    costs = {s: exp[spend].sum() * 1e8 / (base[driver] * base["cost_index"]).sum()
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
    transfers = _read("central_transfers_2020_2022.csv")
    frames = []
    for year in YEARS:
        frame = base.copy()
        frame["year"] = year
        for column, rate in GROWTH.items():
            frame[column] = _round_half_up(base[column] * (1.0 + rate) ** (year - BASE_YEAR))
        frame["reform_score"] = reform_scores(base, year)
        for column, by_year in ACTUAL_TRANSFER.items():
            frame[column] = transfers[by_year[year]] if year in by_year else np.nan
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True).sort_values(["year", "id"], kind="mergesort")
    return table[COLUMNS].reset_index(drop=True)


def to_csv_text(table: pd.DataFrame) -> str:
    """Fixed formats: persons as integers, money with 2 decimals (blank where not known), shares
    and indices with 2 decimals."""
    text = table.copy()
    for column in PERSON_COLUMNS:
        text[column] = [f"{int(v)}" for v in text[column]]
    for column in MONEY_COLUMNS:
        text[column] = ["" if np.isnan(v) else f"{v:.2f}" for v in text[column]]
    for column in ("central_share_cap", "reform_score", "cost_index"):
        text[column] = [f"{v:.2f}" for v in text[column]]
    return text.to_csv(index=False, lineterminator="\n")


def special_funds(table: pd.DataFrame) -> dict[int, float]:
    """The instance's budget.special_fund, per year, by the rule above."""
    costs = unit_costs()
    return {int(year): special_fund(frame.set_index("id"), costs)
            for year, frame in table.groupby("year")}


def report(table: pd.DataFrame) -> str:
    """Unit costs; per year, total standard cost, local funding, gap, ceiling and fund; per
    province, measured and standard revenue, the cost index and its parts, actual transfers."""
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
    lines.append(f"revenue-to-GDP ratio 2019: {revenue_to_gdp_ratio():.6f}; fiscal_capacity = {FISCAL_CAPACITY}")
    first = table[table["year"] == BASE_YEAR].set_index("id")
    parts = cost_index_parts()
    per_head = 1e8 / first["population"]
    lines.append("id name            measured  standard  per head: measured standard  "
                 "rel.wage rel.land wage_f spars_f cost_index  actual_2020 actual_excl")
    for code, row in first.iterrows():
        part = parts.loc[code]
        lines.append(
            f"{code} {row['name']:14s} {row['measured_revenue']:9.2f} {row['standard_revenue']:9.2f} "
            f"{row['measured_revenue'] * per_head[code]:18.0f} {row['standard_revenue'] * per_head[code]:8.0f}  "
            f"{part['relative_wage']:8.3f} {part['relative_land']:8.2f} {part['wage_factor']:6.3f} "
            f"{part['sparsity_factor']:7.3f} {row['cost_index']:10.2f}  {row['actual_transfer']:11.2f} "
            f"{row['actual_transfer_excl_special']:11.2f}")
    lines.append(f"sum            {first['measured_revenue'].sum():9.2f} {first['standard_revenue'].sum():9.2f}"
                 f"{' ' * 76}{first['actual_transfer'].sum():11.2f} {first['actual_transfer_excl_special'].sum():11.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed CSV")
    parser.add_argument("--report", action="store_true", help="print unit costs, gaps, capacity, cost index")
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
