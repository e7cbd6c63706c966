"""Scenarios: the file's schema and messages, the draws' distributions and correlations, how a draw
changes an instance, a hand-solved run, seeded files byte for byte, and the command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

import fiscal_opt as fo
from conftest import REPO, cli, two_regions, write_instance
from fiscal_opt.analysis.draws import draw
from fiscal_opt.analysis.executor import LocalExecutor
from fiscal_opt.analysis.scenarios import apply, run_scenarios
from fiscal_opt.io.scenario import Distribution, load_scenario


def _scenario(tmp_path, spec, name="scenario.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------- the file

@pytest.mark.parametrize(("text", "line", "message"), [
    ("name: s\nseed: 1\nuncertain:\n  budget: {distribution: normal, mean: 1}\n", 4,
     "uncertain.budget: a normal distribution takes mean, sd; missing sd"),
    ("name: s\nseed: 1\nuncertain:\n  migrants:\n    distribution: uniform\n    low: 1\n    high: 2\n    sd: 3\n", 5,
     "sd belongs to another distribution"),
    ("name: s\nseed: 1\nuncertain:\n  migrants: {distribution: triangular, low: 1, mode: 3, high: 2}\n", 4,
     "mode must lie between low and high"),
    ("name: s\nseed: 1\nuncertain:\n  migrants: {distribution: lognormal, mean: 0, sd: 1}\n", 4,
     "its mean must be too"),
    ("name: s\nseed: 1\nuncertain:\n  migrants: {distribution: normal, mean: 1, sd: 1, correlation: 0.5}\n", 4,
     "goes with by: region"),
    ("name: s\nseed: 1\nuncertain:\n  people: {distribution: normal, mean: 1, sd: 1}\n", 4, "uncertain.people"),
    ("name: s\nseed: 1\nuncertain:\n  budget: {distribution: gamma, mean: 1, sd: 1}\n", 4, "must be one of normal"),
    ("name: s\nseed: 1\nchanges:\n  budget: -1\n", 4, "changes.budget: must not be negative"),
    ("name: s\nseed: 1\nchanges:\n  migrant_growth: -1\n", 4, "changes.migrant_growth: must be above -1"),
    ("name: s\nseed: 1\nchanges:\n  budjet: 1\n", 4, "did you mean `budget`?"),
    ("name: s\nseed: 1.5\n", 2, "seed: expected a whole number"),
    ("name: s\n", 1, "seed: required key is missing"),
    ("name: s\nseed: 1\ndraws: 0\n", 3, "draws: must be at least 1"),
    ("name: s\nseed: 1\nmigration: {migration_csv: flows.csv}\n", 3, "flows of people between regions are not read yet"),
    ("name: s\nseed: 1\nchanges: {budget: 1.1}\nuncertain:\n  budget: {distribution: uniform, low: 1, high: 2}\n", 5,
     "uncertain.budget: is also fixed under changes.budget"),
    ("name: s\nseed: 1\nuncertain:\n  budget:\n    distribution: uniform\n    low: 1\n    high: 2\n    by: group\n", 8,
     "uncertain.budget.by: the special fund is one budget for the nation"),
    ("- a list\n", None, "expected the keys of a scenario file"),
])
def test_scenario_file_problems_name_the_file_line_and_key(tmp_path, text, line, message):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(fo.InputError) as err:
        load_scenario(path)
    found = [p for p in err.value.problems if message in str(p)]
    assert found and found[0].file == str(path) and found[0].line == line, err.value


# ------------------------------------------------------------------------------------ the draws

GROUPS = np.array(["a"] * 30 + ["b"] * 30)


@pytest.mark.parametrize(("spec", "mean", "sd"), [
    ({"distribution": "normal", "mean": 0.02, "sd": 0.01}, 0.02, 0.01),
    ({"distribution": "lognormal", "mean": 1.0, "sd": 0.2}, 1.0, 0.2),
    ({"distribution": "uniform", "low": 0.5, "high": 1.5}, 1.0, 1 / np.sqrt(12)),
    ({"distribution": "triangular", "low": 0.0, "mode": 0.3, "high": 1.2}, 0.5, np.sqrt((0 + 0.09 + 1.44 - 0 - 0 - 0.36) / 18)),
])
def test_each_distribution_has_its_stated_mean_and_spread(spec, mean, sd):
    values = draw(Distribution(**spec, by="region"), 7, "migrants", GROUPS, 4000)
    assert values.mean() == pytest.approx(mean, abs=3 * sd / np.sqrt(values.size) + 1e-12)
    assert values.std() == pytest.approx(sd, rel=0.03)
    if spec["distribution"] in ("uniform", "triangular"):
        assert values.min() >= spec["low"] and values.max() <= spec["high"]
    if spec["distribution"] == "lognormal":
        assert values.min() > 0


def test_regions_of_a_group_are_correlated_as_asked_and_groups_are_not():
    dist = Distribution(distribution="uniform", low=0, high=1, by="region", correlation=0.6)
    values = draw(dist, 3, "migrant_growth", GROUPS, 5000)
    corr = np.corrcoef(values.T)
    within = corr[:30, :30][np.triu_indices(30, 1)].mean()
    between = corr[:30, 30:].mean()
    # a Gaussian copula with ρ = 0.6 gives uniforms a rank correlation of (6/π)·asin(ρ/2) = 0.582
    assert within == pytest.approx(6 / np.pi * np.arcsin(0.3), abs=0.02)
    assert abs(between) < 0.02
    independent = draw(Distribution(distribution="uniform", low=0, high=1, by="region"), 3, "migrant_growth", GROUPS,
                       5000)
    assert abs(np.corrcoef(independent.T)[np.triu_indices(60, 1)].mean()) < 0.01


def test_national_and_group_draws_share_their_value():
    national = draw(Distribution(distribution="normal", mean=1, sd=0.1), 1, "budget", GROUPS, 50)
    assert (national == national[:, :1]).all() and national[:, 0].std() > 0
    grouped = draw(Distribution(distribution="normal", mean=1, sd=0.1, by="group"), 1, "migrants", GROUPS, 50)
    assert (grouped[:, :30] == grouped[:, :1]).all() and (grouped[:, 30:] == grouped[:, 30:31]).all()
    assert (grouped[:, 0] != grouped[:, 30]).all()


def test_the_same_seed_gives_the_same_draws_and_a_longer_run_begins_with_a_shorter_one():
    dist = Distribution(distribution="lognormal", mean=1, sd=0.3, by="region", correlation=0.3)
    long, short = draw(dist, 9, "migrants", GROUPS, 200), draw(dist, 9, "migrants", GROUPS, 50)
    assert np.array_equal(long[:50], short)
    assert not np.array_equal(draw(dist, 10, "migrants", GROUPS, 50), short)
    assert not np.array_equal(draw(dist, 9, "fiscal_capacity", GROUPS, 50), short)  # each quantity its own streams


# ------------------------------------------------------------------------- how a draw changes an instance

def _two_years(tmp_path):
    spec = two_regions()
    spec["years"] = [2025, 2026, 2027]
    spec["regions"][0] |= {"age0_14": 20}
    spec["regions"][1] |= {"age0_14": 30}
    spec["services"]["school"] = {"driver": "age0_14", "unit_cost": 1}
    return fo.load_instance(write_instance(tmp_path, spec))


def test_growth_compounds_from_the_first_year_and_headcounts_follow_the_residents(tmp_path):
    inst = _two_years(tmp_path)  # A: 100 residents, 50 migrants, 20 children; B: 100, 0, 30
    moved = apply(inst, {"migrant_growth": np.array([0.1, 0.1]), "population_growth": np.array([0.0, 0.2])})
    frame = moved.regions.set_index(["id", "year"])
    assert frame.loc[("A", 2025), "migrants"] == pytest.approx(50)
    assert frame.loc[("A", 2027), "migrants"] == pytest.approx(50 * 1.1 ** 2)
    assert frame.loc[("A", 2027), "population"] == pytest.approx(50 + 50 * 1.21)
    assert frame.loc[("A", 2027), "age0_14"] == pytest.approx(20 * (50 + 60.5) / 100)
    assert frame.loc[("B", 2026), "population"] == pytest.approx(120)
    assert frame.loc[("B", 2027), "age0_14"] == pytest.approx(30 * 1.44)
    assert (moved.regions["fiscal_capacity"] == inst.regions["fiscal_capacity"]).all()


def test_factors_scale_the_budget_fiscal_capacity_and_migrants(tmp_path):
    inst = _two_years(tmp_path)
    moved = apply(inst, {"budget": np.array([1.5, 1.5]), "fiscal_capacity": np.array([0.5, 2.0]),
                         "migrants": np.array([2.0, 2.0])})
    assert list(moved.special_fund) == pytest.approx([150, 150, 150])
    frame = moved.regions.set_index(["id", "year"])
    assert frame.loc[("A", 2026), "fiscal_capacity"] == pytest.approx(50)
    assert frame.loc[("B", 2026), "fiscal_capacity"] == pytest.approx(200)
    assert frame.loc[("A", 2025), "migrants"] == pytest.approx(100)
    assert frame.loc[("A", 2025), "population"] == pytest.approx(150)
    assert list(inst.special_fund) == [100, 100, 100]  # the instance itself is left as it was


# --------------------------------------------------------------------------------- a hand-solved run

def test_a_budget_drawn_uniformly_gives_the_hand_solved_draws(tmp_path):
    # two regions, standard cost 100 each, A's priority 1.5, B's 1; budget b = 100·U(0.5, 1.5).
    # Optimum: A is filled first: shortfall 1.5·(100 − b) + 100 for b ≤ 100, else 200 − b; B gets
    # max(0, b − 100). Formula: x = λ·w·G, so A 0.6·b, B 0.4·b; shortfall 250 − 1.3·b.
    # Coverage 0.5 judged: the formula's B falls short below b = 125, the optimum's below 150.
    # Floor 0.9 of the national resources per head (100 + X)/100 against (200 + b)/200: the
    # formula's B holds it for every b ≤ 200; the optimum's B breaks it for 22.2 < b < 163.6.
    inst = fo.load_instance(write_instance(tmp_path, two_regions()))
    scenario = load_scenario(_scenario(tmp_path, {
        "name": "budget", "seed": 4, "uncertain": {"budget": {"distribution": "uniform", "low": 0.5, "high": 1.5}},
        "judge": {"min_coverage": 0.5, "per_capita_floor": 0.9}}))
    result = run_scenarios(inst, None, scenario, 40)
    draws = result.draws
    b = 100 * draws["drawn_budget"].to_numpy()
    assert list(draws["draw"]) == list(range(1, 41)) and (draws["status"] == "optimal").all()
    assert draws["weighted_shortfall"].to_numpy() == pytest.approx(np.where(b <= 100, 1.5 * (100 - b) + 100, 200 - b))
    assert draws["baseline_weighted_shortfall"].to_numpy() == pytest.approx(250 - 1.3 * b)
    assert list(draws["baseline_breaks_min_coverage"]) == list(b < 125)
    assert draws["optimum_breaks_min_coverage"].all() and draws["optimum_breaks_per_capita_floor"].all()
    assert not draws["baseline_breaks_per_capita_floor"].any()
    breaks = result.summary["breaks"]
    assert breaks["min_coverage"] == {"level": 0.5, "formula_baseline": pytest.approx(np.mean(b < 125)),
                                      "optimum": 1.0, "optimum_infeasible": 0.0, "out_of_reach": 0.0}
    assert breaks["per_capita_floor"]["formula_baseline"] == 0.0 and breaks["per_capita_floor"]["optimum"] == 1.0
    regions = result.regions.set_index("id")
    assert regions.loc["A", "transfer_mean"] == pytest.approx(np.minimum(b, 100).mean())
    assert regions.loc["B", "transfer_p95"] == pytest.approx(np.percentile(np.maximum(b - 100, 0), 95))
    assert regions.loc["B", "baseline_transfer_mean"] == pytest.approx((0.4 * b).mean())
    assert regions.loc["B", "baseline_breaks_min_coverage"] == pytest.approx(np.mean(b < 125))
    assert regions.loc["A", "binds_budget"] == 1.0  # every draw's money is all used
    assert result.summary["rules_binding"]["budget"] == 1.0
    assert result.summary["weighted_shortfall_unit"] == "yuan, priority-weighted, summed over the years"
    assert result.summary["weighted_shortfall"]["mean"] == pytest.approx(np.where(b <= 100, 250 - 1.5 * b,
                                                                                  200 - b).mean())


def test_a_level_no_allocation_can_meet_is_out_of_reach_in_the_draws_where_it_is(tmp_path):
    # local funding 0.3 of fiscal capacity 100·f, standard cost 100, central share cap 0.5: the
    # ceiling is min(0.5·100, 100 − 30f) = 50 and coverage 0.7 needs 70 − 30f, above it when f < 2/3
    spec = two_regions()
    spec["services"]["basic"] |= {"local_share": 0.3, "central_share_cap": 0.5}
    inst = fo.load_instance(write_instance(tmp_path, spec))
    scenario = load_scenario(_scenario(tmp_path, {
        "name": "revenue", "seed": 3, "judge": {"min_coverage": 0.7},
        "uncertain": {"fiscal_capacity": {"distribution": "uniform", "low": 0.4, "high": 1.0}}}))
    result = run_scenarios(inst, None, scenario, 30)
    f = draw(scenario.spec.uncertain["fiscal_capacity"], 3, "fiscal_capacity", np.array(["x", "x"]), 30)[:, 0]
    assert 0 < np.mean(f < 2 / 3) < 1
    assert list(result.draws["out_of_reach_min_coverage"]) == list(f < 2 / 3)
    assert result.summary["breaks"]["min_coverage"]["out_of_reach"] == pytest.approx(np.mean(f < 2 / 3))
    assert result.regions["out_of_reach_min_coverage"].to_numpy() == pytest.approx([np.mean(f < 2 / 3)] * 2)
    # where it is out of reach, the optimum breaks it too
    assert result.draws.loc[f < 2 / 3, "optimum_breaks_min_coverage"].all()


def test_an_infeasible_draw_is_a_row_and_counted(tmp_path):
    # min_coverage 0.6 of both cells needs 120: a budget drawn between 50 and 150 is short in some draws
    inst = fo.load_instance(write_instance(tmp_path, two_regions(min_coverage=0.6)))
    scenario = load_scenario(_scenario(tmp_path, {
        "name": "short", "seed": 2, "uncertain": {"budget": {"distribution": "uniform", "low": 0.5, "high": 1.5}}}))
    result = run_scenarios(inst, None, scenario, 30)
    b = 100 * result.draws["drawn_budget"].to_numpy()
    assert list(result.draws["status"]) == ["infeasible" if v < 120 else "optimal" for v in b]
    assert result.summary["status"] == {s: int(n) for s, n in pd.Series(np.where(b < 120, "infeasible", "optimal"))
                                        .value_counts(sort=False).items()}
    assert result.summary["breaks"]["min_coverage"]["optimum_infeasible"] == pytest.approx(np.mean(b < 120))
    assert result.draws.loc[b < 120, "rules_involved"].str.contains("min_coverage").all()
    # every draw has a formula allocation, solvable or not: below 0.6 its B falls short when 0.4·b < 60
    assert list(result.draws["baseline_breaks_min_coverage"]) == list(0.4 * b < 60)


def test_policy_changes_apply_and_bad_ones_point_into_the_scenario_file(tmp_path):
    inst = fo.load_instance(write_instance(tmp_path, two_regions()))
    good = load_scenario(_scenario(tmp_path, {"name": "floor", "seed": 1, "changes": {"policy": {"min_coverage": 0.3}},
                                              "uncertain": {"budget": {"distribution": "uniform", "low": 1,
                                                                       "high": 1.2}}}))
    result = run_scenarios(inst, None, good, 3)
    assert result.summary["breaks"]["min_coverage"]["level"] == 0.3  # the policy's own level is judged
    assert "min_coverage" in result.summary["rules_binding"]
    bad = load_scenario(_scenario(tmp_path, {"name": "bad", "seed": 1, "changes": {"policy": {"min_coverage": 1.5}}},
                                  "bad.yaml"))
    with pytest.raises(fo.InputError) as err:
        run_scenarios(inst, None, bad, 3)
    problem = err.value.problems[0]
    assert problem.file.endswith("bad.yaml") and problem.path.startswith("changes.policy.min_coverage")
    assert problem.line == 5 and "between 0 and 1" in problem.message


@pytest.mark.parametrize(("spec", "draws", "message"), [
    ({"uncertain": {"budget": {"distribution": "normal", "mean": 1, "sd": 2}}}, 50,
     "uncertain.budget: draw 1 gives"),
    ({"uncertain": {"migrant_growth": {"distribution": "uniform", "low": 0, "high": 0.1}}}, 5,
     "growth acts from the first year on"),
    ({"changes": {"population_growth": 0.1}}, 5, "changes.population_growth: growth acts from the first year on"),
    ({}, 0, "--draws: must be between 1 and 10,000"),
    ({}, None, "give the number of draws"),
])
def test_what_the_instance_cannot_carry_is_refused_before_solving(tmp_path, spec, draws, message):
    inst = fo.load_instance(write_instance(tmp_path, two_regions()))  # one year
    scenario = load_scenario(_scenario(tmp_path, {"name": "s", "seed": 5, **spec}))
    with pytest.raises(fo.InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_scenarios(inst, None, scenario, draws)


def test_draws_on_two_processes_are_the_draws_of_one(tmp_path):
    inst = fo.load_instance(REPO / "instances" / "china-2020-provinces.yaml")
    scenario = fo.load_scenario(REPO / "instances" / "scenarios" / "migration-uncertainty.yaml")
    one = fo.run_scenarios(inst, None, scenario, 6)
    two = run_scenarios(inst, None, scenario, 6, executor=LocalExecutor(2))
    pd.testing.assert_frame_equal(one.draws, two.draws)
    pd.testing.assert_frame_equal(one.regions, two.regions)
    assert one.summary == two.summary


# ---------------------------------------------------------------------------------------- the command

def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path):
    scenario = REPO / "instances" / "scenarios" / "migration-uncertainty.yaml"
    outs = []
    for k, path in enumerate([scenario, scenario]):
        out = tmp_path / f"out{k}"
        proc = cli("scenarios", "instances/china-2020-provinces.yaml", "--scenarios", str(path), "--draws", "8",
                   "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == [".fiscal-opt-results", "draws.csv", "regions.csv", "rules.csv", "summary.json"]
    for name in names:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    other = yaml.safe_load(scenario.read_text(encoding="utf-8")) | {"seed": 12345}
    proc = cli("scenarios", "instances/china-2020-provinces.yaml", "--scenarios", str(_scenario(tmp_path, other)),
               "--draws", "8", "--out", str(tmp_path / "other"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "other" / "draws.csv").read_bytes() != (outs[0] / "draws.csv").read_bytes()
    summary = json.loads((outs[0] / "summary.json").read_text(encoding="utf-8"))
    assert summary["draws"] == 8 and sum(summary["status"].values()) == 8
    regions = pd.read_csv(outs[0] / "regions.csv")
    assert len(regions) == 31 * 6
    assert (regions["transfer_p5"] <= regions["transfer_mean"] + 1e-9).all()
    assert (regions["transfer_mean"] <= regions["transfer_p95"] + 1e-9).all()


def test_the_command_prints_what_binds_and_what_breaks_and_refuses_bad_input(tmp_path):
    proc = cli("scenarios", "instances/china-2020-provinces.yaml", "--scenarios",
               "instances/scenarios/migration-uncertainty.yaml", "--draws", "4")
    assert proc.returncode == 0, proc.stderr
    assert "4 draws (seed" in proc.stdout and "binds in" in proc.stdout and "out of reach" in proc.stdout
    breaks = next(line for line in proc.stdout.splitlines() if line.strip().startswith("min_coverage"))
    assert breaks.split()[1:3] == ["│", "0.3"] and breaks.count("%") == 4
    bad = cli("scenarios", "instances/china-2020-provinces.yaml", "--scenarios",
              str(_scenario(tmp_path, {"name": "s", "seed": 1})))
    assert bad.returncode == 2 and "give the number of draws" in bad.stderr
    missing = cli("scenarios", "instances/china-2020-provinces.yaml", "--scenarios", str(tmp_path / "none.yaml"),
                  "--draws", "2")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


@pytest.mark.parametrize(("args", "counted"), [
    (["scenarios", "instances/china-2020-provinces.yaml", "--scenarios", "instances/scenarios/migration-uncertainty.yaml",
      "--draws", "3", "--workers", "1"], "Solving 3 draws"),
    (["sweep", "instances/demo-4.yaml", "--budget", "90%:110%:10%", "--workers", "1"], "Solving 3 points"),
])
def test_a_terminal_shows_a_progress_bar_that_counts_every_solve(monkeypatch, args, counted):
    import io

    from rich.console import Console

    import fiscal_opt.cli as cli_module

    screen = io.StringIO()
    monkeypatch.setattr(cli_module, "err_console", Console(file=screen, force_terminal=True, width=120))
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    shown = screen.getvalue()
    assert counted in shown and "3/3" in shown  # the bar reached every solve
    monkeypatch.setattr(cli_module, "err_console", Console(file=io.StringIO(), force_terminal=False))
    assert cli(*args).returncode == 0 and cli_module.err_console.file.getvalue() == ""  # no terminal, no bar
