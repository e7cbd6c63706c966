"""Checks on the China 2020 data files alone (pandas and PyYAML, no solver).

The flagship instance instances/china-2020-provinces.yaml reads its regions from
instances/data/china-2020-provinces.csv, built by instances/data/build_china_2020.py from the
raw data copied into instances/data/china-2020/ and documented in instances/data/SOURCES.md.
The derived columns (standard revenue, cost index) are recomputed here from the raw files by the
method SOURCES.md states, not by calling the build script.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "instances" / "data"
RAW = DATA / "china-2020"
CSV = DATA / "china-2020-provinces.csv"
YAML = ROOT / "instances" / "china-2020-provinces.yaml"
YEARS = [2020, 2021, 2022, 2023, 2024, 2025]
# comparison columns, blank in the years with no executed figure (SOURCES.md, "Actual central transfers")
ACTUAL = {"actual_transfer": {2020: "central_transfers_2020_executed_100m_yuan",
                              2021: "central_transfers_2021_executed_100m_yuan"},
          "actual_transfer_excl_special": {2020: "central_transfers_2020_executed_excl_special_100m_yuan"}}

# service -> 2020 spending column of expenditure_by_function_2019_2020.csv it stands for
SPENDING = {
    "education": "education_exp_2020_100m_yuan",
    "health": "health_exp_2020_100m_yuan",
    "elderly": "social_security_employment_exp_2020_100m_yuan",
    "housing": "housing_security_exp_2020_100m_yuan",
}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(CSV, dtype={"id": str})


@pytest.fixture(scope="module")
def instance() -> dict:
    return yaml.safe_load(YAML.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("build_china_2020", DATA / "build_china_2020.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_2020_population_is_the_census_total(table):
    assert table.loc[table["year"] == 2020, "population"].sum() == 1_409_778_724


def test_2020_migrants_are_the_interprovincial_floating_population(table):
    assert table.loc[table["year"] == 2020, "migrants"].sum() == 124_837_153


def test_31_provinces_in_every_year(table):
    assert sorted(table["year"].unique()) == YEARS
    for year, rows in table.groupby("year"):
        assert rows["id"].nunique() == 31 == len(rows), year
        assert all(re.fullmatch(r"\d{2}", code) for code in rows["id"]), year


def _raw(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW / name, dtype={"province_code": str}).set_index("province_code")


def _rows(table: pd.DataFrame, year: int) -> pd.DataFrame:
    return table[table["year"] == year].set_index("id")


def test_no_empty_cells_and_shares_in_range(table):
    assert not table.drop(columns=list(ACTUAL)).isna().any().any()
    for column, years in ACTUAL.items():
        assert table.loc[table["year"].isin(years), column].notna().all(), column
        assert table.loc[~table["year"].isin(years), column].isna().all(), column
    for column in ("central_share_cap", "reform_score"):
        assert table[column].between(0, 1).all(), column
    assert set(table["group"]) == {"East", "Central", "West", "Northeast"}
    assert (table["age0_14"] + table["age65plus"] < table["population"]).all()
    assert (table["migrants"] < table["population"]).all()


def test_every_column_is_documented(table):
    notes = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    missing = [column for column in table.columns if f"`{column}`" not in notes]
    assert not missing, f"columns not documented in instances/data/SOURCES.md: {missing}"


def test_build_script_reproduces_the_committed_csv(build):
    text = build.to_csv_text(build.build())
    assert text == CSV.read_text(encoding="utf-8")


def test_2020_standard_costs_equal_national_spending(table, instance):
    spending = pd.read_csv(RAW / "expenditure_by_function_2019_2020.csv")
    rows = table[table["year"] == 2020]
    for service, column in SPENDING.items():
        spec = instance["services"][service]
        cost = spec["unit_cost"] * (rows[spec["driver"]] * rows["cost_index"]).sum() / 1e8  # 亿元
        national = spending[column].sum()
        assert cost == pytest.approx(national, rel=1e-3), service


def test_spending_sums_match_the_yearbook_totals():
    """The copied provincial columns add up to the national rows of national_totals_2020.csv."""
    spending = pd.read_csv(RAW / "expenditure_by_function_2019_2020.csv")
    totals = pd.read_csv(RAW / "national_totals_2020.csv").set_index("indicator")["value"]
    pairs = {
        "education_exp_2020_100m_yuan": "local_education_exp_all_regions",
        "health_exp_2020_100m_yuan": "local_health_exp_all_regions",
        "social_security_employment_exp_2020_100m_yuan":
            "local_social_security_employment_exp_all_regions",
        "housing_security_exp_2020_100m_yuan": "local_housing_security_exp_all_regions",
    }
    for column, indicator in pairs.items():
        assert spending[column].sum() == pytest.approx(float(totals[indicator]), abs=0.1), column


def test_yaml_budget_follows_the_documented_rule(table, instance, build):
    assert instance["years"] == YEARS
    assert instance["regions_csv"] == "data/china-2020-provinces.csv"
    assert {int(k): v for k, v in instance["budget"]["special_fund"].items()} == \
        build.special_funds(table)
    assert instance["budget"]["incentive_pool"][2020] == 350  # S12b
    assert instance["budget"]["incentive_pool"][2022] == 400  # S12c
    assert instance["incentive"]["min_score"] == build.MIN_SCORE
    for service, spec in instance["services"].items():
        assert spec["unit_cost"] == build.unit_costs()[service], service


def test_every_raw_file_is_listed_with_its_source():
    readme = (RAW / "README.md").read_text(encoding="utf-8")
    notes = (RAW / "SOURCES.md").read_text(encoding="utf-8") + (RAW / "SOURCES_migration.md").read_text(encoding="utf-8")
    files = sorted(path.name for path in RAW.glob("*.csv"))
    assert len(files) == 12
    assert [f for f in files if f"`{f}`" not in readme] == []
    assert [f for f in files if f not in notes] == []


def test_measured_revenue_is_the_2019_revenue(table):
    revenue = _raw("fiscal_budget_2019_2020.csv")["gpb_revenue_2019_100m_yuan"]
    for year in YEARS:
        assert (_rows(table, year)["measured_revenue"] == revenue).all(), year


def test_standard_revenue_is_2019_gdp_times_the_national_ratio(table):
    """GDP 2019 (T3) × Σ revenue 2019 / Σ GDP 2019, to the 0.01 亿元 the CSV keeps; its total is the
    national local revenue (S6a's table total) within the rounding of 31 cells."""
    gdp = _raw("gdp_2019_2020.csv")["gdp_2019_nbs_100m_yuan"]
    revenue = _raw("fiscal_budget_2019_2020.csv")["gpb_revenue_2019_100m_yuan"]
    ratio = revenue.sum() / gdp.sum()
    assert ratio == pytest.approx(0.1029, abs=5e-5)
    national = pd.read_csv(RAW / "national_totals_2020.csv").set_index("indicator")["value"]
    for year in YEARS:
        standard = _rows(table, year)["standard_revenue"]
        assert (standard - gdp * ratio).abs().max() <= 0.005 + 1e-9, year
        assert standard.sum() == pytest.approx(revenue.sum(), abs=31 * 0.005)
        assert standard.sum() == pytest.approx(float(national["local_gpb_revenue_all_regions"]), abs=0.2)


def test_fiscal_capacity_is_the_column_the_build_names(table, build):
    assert build.FISCAL_CAPACITY in ("standard_revenue", "measured_revenue")
    assert (table["fiscal_capacity"] == table[build.FISCAL_CAPACITY]).all()


def test_switching_fiscal_capacity_changes_that_column_alone(build, monkeypatch):
    """One line of the build script selects the capacity measure; nothing else follows from it."""
    chosen = build.build()
    other = "measured_revenue" if build.FISCAL_CAPACITY == "standard_revenue" else "standard_revenue"
    monkeypatch.setattr(build, "FISCAL_CAPACITY", other)
    switched = build.build()
    assert (switched["fiscal_capacity"] == switched[other]).all()
    assert not (switched["fiscal_capacity"] == chosen["fiscal_capacity"]).all()
    same = [c for c in chosen.columns if c != "fiscal_capacity"]
    pd.testing.assert_frame_equal(switched[same], chosen[same])


def test_cost_index_follows_the_documented_method(table, build):
    """SOURCES.md, "Cost index": (0.4 + 0.6 · min(w/w̄, 1.5)) · (1 + 0.1 · max(0, ln(a/ā))), scaled
    to a resident-weighted mean of 1 and rounded to 0.01."""
    assert (build.WAGE_SHARE, build.WAGE_RATIO_CAP, build.SPARSITY_ELASTICITY) == (0.6, 1.5, 0.1)
    population = _raw("census2020_population_age.csv")["resident_pop_2020_persons"].astype(float)
    wage = _raw("capacity_2019_nbs.csv")["avg_wage_urban_nonprivate_units_2019_yuan"]
    area = _raw("land_area.csv")["land_area_km2"]
    relative_wage = wage / np.average(wage, weights=population)
    relative_land = (area / population) / (area.sum() / population.sum())
    raw = (0.4 + 0.6 * np.minimum(relative_wage, 1.5)) * (1 + 0.1 * np.maximum(0.0, np.log(relative_land)))
    expected = raw / np.average(raw, weights=population)
    for year in YEARS:
        assert (_rows(table, year)["cost_index"] - expected).abs().max() <= 0.005 + 1e-9, year


def test_cost_index_is_bounded_with_mean_one_and_points_to_remote_regions(table):
    rows = _rows(table, 2020)
    index = rows["cost_index"]
    assert index.between(0.8, 1.8).all()
    assert np.average(index, weights=rows["population"]) == pytest.approx(1.0, abs=0.005)
    assert index.idxmax() == "54"  # Tibet
    assert (index[["54", "63", "65", "11", "31"]] > 1.0).all()  # Tibet, Qinghai, Xinjiang, Beijing, Shanghai
    assert (table.groupby("id")["cost_index"].nunique() == 1).all()


def test_actual_transfer_is_the_executed_outturn(table, instance):
    raw = _raw("central_transfers_2020_2022.csv")
    for column, years in ACTUAL.items():
        for year, source in years.items():
            assert (_rows(table, year)[column] == raw[source]).all(), (column, year)
    actual = table.groupby("year")["actual_transfer"].sum(min_count=1)
    assert actual[2020] == pytest.approx(83_315.29, abs=0.005)
    assert actual[2021] == pytest.approx(82_215.93, abs=0.005)
    first = _rows(table, 2020)
    assert (first["actual_transfer_excl_special"] <= first["actual_transfer"]).all()
    assert instance["budget"]["special_fund"][2020] < 0.5 * actual[2020]  # a far narrower scope
