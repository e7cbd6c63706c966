"""The robust plan: CVaR by hand, a hand-solved two-draw plan, the LP's objective against the draws'
own losses, identical draws, the policy it needs, and the command."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

import fiscal_opt as fo
from conftest import REPO, cli, two_regions, write_instance
from fiscal_opt.analysis.plan import FirstYear, cvar, evaluate, plan_first_year, robust_plan
from fiscal_opt.api import formulate
from fiscal_opt.io.scenario import load_scenario
from fiscal_opt.solver.options import SolverOptions

FLAT = {"priority": {"fiscal_difficulty": 0, "migrant_share": 0}}
"""Every cell weighs 1: the weighted shortfall is the gap still open, in yuan."""


def _scenario(tmp_path, spec, name="scenario.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return load_scenario(path)


@pytest.fixture
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    done = cli("generate", "--regions", "24", "--years", "3", "--seed", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return fo.load_instance(next(out.glob("*.yaml")))


@pytest.mark.parametrize(("alpha", "expected"), [(0.0, 2.5), (0.5, 3.5), (0.75, 4.0), (0.6, 3.625)])
def test_cvar_is_the_mean_of_the_worst_share(alpha, expected):
    # the worst 40 % of four equally likely losses 1, 2, 3, 4 hold all of 4 (weight 0.25) and 0.15
    # of 3: (4·0.25 + 3·0.15) / 0.4 = 3.625
    assert cvar(np.array([3.0, 1.0, 4.0, 2.0]), alpha) == pytest.approx(expected)


def _two_draws(tmp_path):
    """Draw 1: two regions of 100 residents, cost 1 yuan a head, budget 100 a year, two years.
    Draw 2: the same, but A has 40 residents in the first year (its gap, and ceiling, 40)."""
    spec = two_regions(name="flat", objective="weighted_shortfall", **FLAT)
    spec["years"] = [2025, 2026]
    first = fo.load_instance(write_instance(tmp_path, spec, "one.yaml"))
    spec["regions"][0]["population"] = {2025: 40, 2026: 100}
    spec["regions"][0]["migrants"] = {2025: 20, 2026: 50}
    second = fo.load_instance(write_instance(tmp_path, spec, "two.yaml"))
    policy = first.policy
    return [formulate(first, policy), formulate(second, policy)], policy


def test_a_hand_solved_plan_shares_the_first_year_and_fits_every_draw(tmp_path):
    forms, policy = _two_draws(tmp_path)
    # each draw spends its whole budget both years whatever the split: shortfall 200 − 100 twice in
    # draw 1 (200), 140 − 100 then 100 in draw 2 (140); E = 170, CVaR_0.5 = 200 (draw 1), λ = 1
    plan, size = plan_first_year(forms, 1.0, 0.5, SolverOptions())
    assert size["objective"] == pytest.approx(170 + 200)
    assert list(plan.keys) == ["special_fund"]               # one service: the key r·S + s is the region
    by_region = dict(zip(plan.keys["special_fund"].tolist(), plan.values["special_fund"].tolist()))
    assert by_region[0] <= 40 + 1e-7                         # A's first year fits draw 2's ceiling
    assert by_region[0] + by_region[1] == pytest.approx(100)  # and the budget is spent
    judged = evaluate(forms, plan, policy, SolverOptions())
    assert judged.loss == pytest.approx([200, 140]) and judged.feasible.all() and not judged.bends.any()


def test_a_first_year_that_overcommits_loses_money_in_the_draw_it_does_not_fit(tmp_path):
    forms, policy = _two_draws(tmp_path)
    keys = {"special_fund": np.array([0, 1])}
    judged = evaluate(forms, FirstYear(keys, {"special_fund": np.array([100.0, 0.0])}), policy, SolverOptions())
    # draw 2 can take only 40 for A in 2025: 60 yuan of that year's budget stay unspent
    assert judged.loss == pytest.approx([200, 140 + 60])


def test_the_plans_objective_is_the_mean_plus_cvar_of_the_draws_own_losses(tmp_path, generated):
    scenario = _scenario(tmp_path, {"name": "s", "seed": 11, "uncertain": {
        "migrants": {"distribution": "lognormal", "mean": 1.0, "sd": 0.1, "by": "region", "correlation": 0.5},
        "budget": {"distribution": "uniform", "low": 1.0, "high": 1.1}},
        "judge": {"min_coverage": 0.5}, "plan": {"risk_weight": 2.0, "alpha": 0.75}})
    policy = fo.load_policy(REPO / "benchmarks" / "policies" / "draws.yaml")
    result = robust_plan(generated, policy, scenario, 8)
    s = result.summary
    losses = result.draws["robust_shortfall"].to_numpy()
    assert s["lp"]["objective"] == pytest.approx(losses.mean() + 2.0 * cvar(losses, 0.75), rel=1e-7)
    assert s["robust_plan"]["draws_infeasible"] == 0 and s["robust_plan"]["draws_bending_rules"] == 0
    assert s["robust_plan"]["draws_missing_min_coverage"] == 0   # the policy's own floor of 0.5 holds
    # the mean forecast's first year cannot serve every draw without bending a rule
    assert s["mean_forecast_plan"]["draws_bending_rules"] + s["mean_forecast_plan"]["draws_infeasible"] > 0
    assert (result.plan["robust_plan"] >= -1e-9).all() and len(result.plan) > 0


def test_identical_draws_give_the_single_solve(tmp_path, generated):
    scenario = _scenario(tmp_path, {"name": "s", "seed": 1, "changes": {"budget": 1.0},
                                    "plan": {"risk_weight": 0.5, "alpha": 0.9}})
    policy = fo.load_policy(REPO / "benchmarks" / "policies" / "draws.yaml")
    single = fo.solve(generated, policy).solution.objective
    result = robust_plan(generated, policy, scenario, 3)
    assert result.summary["lp"]["objective"] == pytest.approx(1.5 * single, rel=1e-7)
    assert result.draws["robust_shortfall"].to_numpy() == pytest.approx([single] * 3, rel=1e-7)
    assert result.draws["mean_forecast_shortfall"].to_numpy() == pytest.approx([single] * 3, rel=1e-7)


def test_a_plan_needs_a_shortfall_objective(tmp_path, generated):
    scenario = _scenario(tmp_path, {"name": "s", "seed": 1})
    with pytest.raises(fo.InputError, match="objective weighted_shortfall"):
        robust_plan(generated, fo.load_policy(REPO / "models" / "leximin.yaml"), scenario, 2)


def test_plan_settings_are_checked_with_their_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nseed: 1\nplan:\n  alpha: 1.0\n", encoding="utf-8")
    with pytest.raises(fo.InputError, match="plan.alpha") as err:
        load_scenario(path)
    assert err.value.problems[0].line == 4


def test_cli_plan_writes_the_plan_and_the_same_files_twice(tmp_path, generated):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "s", "seed": 5, "draws": 4, "uncertain": {
        "budget": {"distribution": "uniform", "low": 0.95, "high": 1.05}}}), encoding="utf-8")
    inst = generated.source
    policy = REPO / "benchmarks" / "policies" / "draws.yaml"
    runs = []
    for name in ("a", "b"):
        done = cli("plan", str(inst), "--scenarios", str(path), "--policy", str(policy), "--out", str(tmp_path / name))
        assert done.returncode == 0, done.stderr
        runs.append({f: (tmp_path / name / f).read_bytes() for f in ("plan.csv", "draws.csv")})
    assert runs[0] == runs[1]
    assert "robust" in done.stdout and "mean forecast" in done.stdout
    summary = json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))
    assert summary["draws"] == 4 and summary["lp"]["rows"] > 0
    bad = cli("plan", str(inst), "--scenarios", str(path), "--policy", str(REPO / "models" / "leximin.yaml"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_the_growth_benchmark_measures_each_count_of_draws(tmp_path):
    from benchmarks.plan_growth import markdown, run

    records = run([1, 3], regions=12, years=2)
    assert [r["draws"] for r in records] == [1, 3]
    one, three = records
    # three draws: three copies of one draw's LP and its CVaR and first-year rows, one set of plan columns
    assert 2.5 * one["rows"] < three["rows"] < 3.5 * one["rows"]
    assert 2.5 * one["cols"] < three["cols"] < 3.5 * one["cols"] and three["peak_mib"] > 0
    assert "| 3 |" in markdown(records, 12, 2, "now")


def test_draws_that_no_shared_first_year_fits_are_diagnosed(tmp_path):
    # a minimum coverage of 0.4: draw 1 needs 40 for A in 2025 (100 residents), draw 2 gives A only
    # 10 residents that year, so its ceiling is 10; each draw alone is feasible, the two together not
    spec = two_regions(name="floor", objective="weighted_shortfall", min_coverage=0.4, **FLAT)
    spec["years"] = [2025, 2026]
    forms = []
    for n, people in enumerate((100, 10)):
        spec["regions"][0]["population"] = {2025: people, 2026: 100}
        spec["regions"][0]["migrants"] = {2025: people // 2, 2026: 50}
        inst = fo.load_instance(write_instance(tmp_path, spec, f"draw{n}.yaml"))
        fo.solve(inst)  # feasible alone
        forms.append(formulate(inst, inst.policy))
    with pytest.raises(fo.InfeasibleError, match="no single first-year allocation lets every one of the 2 draws"):
        plan_first_year(forms, 1.0, 0.9, SolverOptions())


def test_with_places_the_first_years_building_is_shared_and_no_plan_beats_it(tmp_path):
    out = tmp_path / "gen"
    done = cli("generate", "--regions", "12", "--years", "4", "--seed", "2", "--places", "--out", str(out))
    assert done.returncode == 0, done.stderr
    inst = fo.load_instance(next(out.glob("*.yaml")))
    scenario = _scenario(tmp_path, {"name": "s", "seed": 3, "plan": {"risk_weight": 1.0, "alpha": 0.8},
                                    "uncertain": {"migrant_growth": {"distribution": "normal", "mean": 0.0,
                                                                     "sd": 0.05, "by": "region"}}})
    result = robust_plan(inst, None, scenario, 6)
    assert {"special_fund", "places_started", "places_converted"} <= set(result.plan["kind"])
    assert (result.plan.loc[result.plan["kind"] == "places_started", "unit"] == "persons").all()
    robust, mean = result.draws["robust_shortfall"].to_numpy(), result.draws["mean_forecast_shortfall"].to_numpy()
    assert result.summary["lp"]["objective"] == pytest.approx(robust.mean() + cvar(robust, 0.8), rel=1e-7)
    # the mean forecast's first year is one the plan could have chosen: it cannot do better on the
    # plan's own measure (here it needs no rule to bend, so its losses are comparable)
    assert result.summary["mean_forecast_plan"]["draws_bending_rules"] == 0
    assert robust.mean() + cvar(robust, 0.8) <= mean.mean() + cvar(mean, 0.8) + 1e-6 * robust.mean()
