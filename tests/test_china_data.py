"""Checks on the China 2020 data files alone (pandas and PyYAML, no solver).

The flagship instance instances/china-2020-provinces.yaml reads its regions from
instances/data/china-2020-provinces.csv, built by instances/data/build_china_2020.py from the
shared data copied into instances/data/china-2020/ and documented in instances/data/SOURCES.md.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "instances" / "data"
RAW = DATA / "china-2020"
CSV = DATA / "china-2020-provinces.csv"
YAML = ROOT / "instances" / "china-2020-provinces.yaml"
YEARS = [2020, 2021, 2022, 2023, 2024, 2025]

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


def test_no_empty_cells_and_shares_in_range(table):
    assert not table.isna().any().any()
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
