"""Synthetic places and flows of people (fiscal_opt.generate.places): calibrated on the flagship
capacity instance, deterministic, and solvable with every rule of places checked."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fiscal_opt as fo
from fiscal_opt.generate import places
from fiscal_opt.generate.synthetic import generate_instance, write_instance

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "instances" / "data"


def test_the_calibration_is_the_flagship_capacity_instance() -> None:
    table = pd.read_csv(DATA / "china-2020-capacity.csv", dtype={"id": str})
    first = table[table["year"] == 2020].set_index("id")
    education = np.log(first["school_places"] / (0.607284 * first["age0_14"]))
    health = np.log(first["beds"] / (0.006247 * first["population"]))
    for ratio, service in ((education, "education"), (health, "health")):
        assert places.LOG_RATIO[service] == pytest.approx((ratio.mean(), ratio.std(ddof=0)), abs=1e-6)
    assert places.RATIO_CORRELATION == pytest.approx(np.corrcoef(education, health)[0, 1], abs=1e-3)
    spec = importlib.util.spec_from_file_location("capacity_build", DATA / "build_china_2020_capacity.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    rate = build.net_migration() / first["population"]
    assert places.NET_FLOW == pytest.approx((rate.mean(), rate.std(ddof=0)), abs=1e-6)


def test_places_on_every_service_and_flows_that_add_up_to_zero(tmp_path: Path) -> None:
    base = generate_instance(60, years=3, seed=4)
    generated = places.with_places(base, seed=4)
    pd.testing.assert_frame_equal(generated.regions[base.regions.columns], base.regions)  # the rest unchanged
    for name, service in generated.instance["services"].items():
        assert service["capacity"] == f"places_{name}"
        assert service["capital_cost"] > 0 and service["idle_cost"] > 0
    flows = generated.flows
    assert sorted(flows["year"].unique()) == [2026, 2027]
    assert flows.groupby("year")["persons"].sum().abs().max() <= 60  # rounding of 60 regions
    path = write_instance(generated, tmp_path)
    again = write_instance(places.with_places(generate_instance(60, years=3, seed=4), seed=4), tmp_path / "again")
    for suffix in (".yaml", ".regions.csv", ".flows.csv"):
        name = path.name.removesuffix(".yaml") + suffix
        assert (tmp_path / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    assert again.exists()


def test_a_generated_instance_with_places_solves_and_every_rule_holds(tmp_path: Path) -> None:
    path = write_instance(places.with_places(generate_instance(40, years=3, seed=0), seed=0), tmp_path)
    result = fo.solve(fo.load_instance(path), fo.load_policy(ROOT / "benchmarks" / "policies" / "bands.yaml"))
    assert result.status == "optimal"
    for rule in ("capacity", "demand", "recurrent", "capital", "capital_share", "capital_fund", "conversion"):
        assert result.residuals[rule] <= 1e-7, rule
    plan, p = result.solution.plan, result.params
    assert np.all(plan.served <= plan.places * (1 + 1e-9) + 1e-6)
    assert np.all(plan.grant.sum(axis=0) <= p.capacity.fund * (1 + 1e-9))
    assert plan.started.sum() > 0  # somewhere places are short and worth building
    moved = result.regions.groupby("year")["net_migration"].sum()
    assert moved.abs().max() <= 40


def test_the_generate_command_adds_places_on_request(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fiscal_opt.cli import app

    result = CliRunner().invoke(app, ["generate", "--regions", "12", "--years", "2", "--out", str(tmp_path),
                                      "--places"])
    assert result.exit_code == 0, result.output
    instance = fo.load_instance(tmp_path / "synthetic-12r-2y-s0.yaml")
    assert instance.has_places and instance.migration is not None
    assert len(instance.migration.persons) == 12  # one net flow per region in the second year


def test_a_warm_budget_sweep_with_places_gives_the_cold_answers(tmp_path: Path) -> None:
    instance = fo.load_instance(write_instance(places.with_places(generate_instance(30, years=3, seed=2), seed=2),
                                               tmp_path))
    policy = fo.load_policy(ROOT / "benchmarks" / "policies" / "bands.yaml")
    values = np.linspace(1.0, 1.3, 4)  # below its own budget min_coverage 0.5 cannot be met here
    warm = fo.sweep(instance, policy, "budget", values, relative=True)
    cold = fo.sweep(instance, policy, "budget", values, relative=True, warm=False)
    assert (warm["status"] == "optimal").all() and list(warm["status"]) == list(cold["status"])
    for column in ("objective", "weighted_shortfall", "min_coverage", "budget_used", "gini"):
        a, b = (pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float) for frame in (warm, cold))
        assert np.allclose(a, b, rtol=1e-6, atol=1e-6, equal_nan=True), column
    # more money never raises the valued shortfall
    by_point = warm.groupby("value")["weighted_shortfall"].sum().to_numpy()
    assert np.all(np.diff(by_point) <= 1e-6 * by_point[:-1])
