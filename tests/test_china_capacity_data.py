"""The flagship capacity instance's tables, recomputed from the raw files.

instances/china-2020-capacity.yaml reads china-2020-capacity.csv and china-2020-flows.csv, written
by instances/data/build_china_2020_capacity.py. Here the script must reproduce them byte for byte,
and the places and flows are recomputed from the raw NBS files without the script.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "instances" / "data"
RAW = DATA / "china-2020"


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("build_china_2020_capacity", DATA / "build_china_2020_capacity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(DATA / "china-2020-capacity.csv", dtype={"id": str})


@pytest.fixture(scope="module")
def moves() -> pd.DataFrame:
    return pd.read_csv(DATA / "china-2020-flows.csv", dtype={"origin": str, "destination": str})


def test_the_build_script_reproduces_both_committed_csvs(build):
    assert build.table_text(build.build()) == (DATA / "china-2020-capacity.csv").read_text(encoding="utf-8")
    assert build.flows_text(build.flows()) == (DATA / "china-2020-flows.csv").read_text(encoding="utf-8")


def test_school_places_and_beds_are_the_2019_counts(table):
    cap = pd.read_csv(RAW / "capacity_2019_nbs.csv", dtype={"province_code": str}).set_index("province_code")
    first = table[table["year"] == 2020].set_index("id")
    pupils = (cap["primary_students_2019_10k_persons"] + cap["junior_secondary_students_2019_10k_persons"]) * 1e4
    np.testing.assert_allclose(first["school_places"], pupils.loc[first.index], atol=0.5)
    np.testing.assert_allclose(first["beds"], cap.loc[first.index, "medical_institution_beds_2019_10k_beds"] * 1e4,
                               atol=0.5)
    assert first["beds"].sum() == pytest.approx(8_806_956, abs=31)  # the national count of T3
    # places are the stock at the start: the same in every year of the table
    assert (table.groupby("id")[["school_places", "beds", "elderly_places"]].nunique() == 1).all().all()


def test_residents_are_not_drifted_and_local_capital_is_two_percent_of_standard_revenue(table):
    assert (table.groupby("id")[["population", "migrants"]].nunique() == 1).all().all()
    np.testing.assert_allclose(table["local_capital"], 0.02 * table["standard_revenue"], atol=0.005)


def test_flows_continue_the_2010_2020_change_of_shares(moves, table):
    nbs = pd.read_csv(RAW / "population_2010_2019_nbs.csv", dtype={"province_code": str})
    start = nbs[nbs["year"] == 2010].set_index("province_code")["population_yearend_10k_persons"] * 1e4
    end = table[table["year"] == 2020].set_index("id")["population"].astype(float)
    net = (end - start.loc[end.index] * end.sum() / start.loc[end.index].sum()) / 10
    assert sorted(moves["year"].unique()) == [2021, 2022, 2023, 2024, 2025]
    assert (moves["persons"] > 0).all() and (moves["origin"] != moves["destination"]).all()
    for _, year in moves.groupby("year"):
        gained = year.groupby("destination")["persons"].sum().reindex(end.index, fill_value=0)
        lost = year.groupby("origin")["persons"].sum().reindex(end.index, fill_value=0)
        # rounding each flow to whole persons moves a province's net by at most half a person a flow
        np.testing.assert_allclose(gained - lost, net, atol=16)
    assert set(moves["origin"]) & set(moves["destination"]) == set()  # no province both sends and receives


def test_every_capacity_parameter_is_labelled_in_the_sources():
    instance = yaml.safe_load((ROOT / "instances" / "china-2020-capacity.yaml").read_text(encoding="utf-8"))
    notes = (DATA / "SOURCES.md").read_text(encoding="utf-8").split("## Capacity instance")[1]
    for key in ("capital_cost", "lead_time", "depreciation", "idle_cost", "convert_to", "take_up",
                "local_capital", "capital_fund"):
        assert f"`{key}`" in notes or key in notes, key
    for service in ("education", "health", "elderly"):
        assert "capacity" in instance["services"][service]
    assert all(label in notes for label in ("DATA", "DERIVED", "ASSUMPTION", "SCENARIO"))
