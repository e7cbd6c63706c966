"""``--set KEY=VALUE`` and ``load_instance(path, overrides=…)``: one value changed without copying a file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import fiscal_opt as fo
from fiscal_opt.cli import app
from fiscal_opt.errors import InputError
from fiscal_opt.io.overrides import key_path, parse_assignments

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "instances" / "demo-4.yaml"
CSV = REPO / "tests" / "good_inputs" / "csv_instance.yaml"
runner = CliRunner()


def test_an_override_changes_the_value_and_the_answer():
    plain = fo.load_instance(DEMO)
    more = fo.load_instance(DEMO, {"budget.special_fund": "3000", "incentive.flexibility": "0.2"})
    assert plain.special_fund.tolist() == [1200.0] and more.special_fund.tolist() == [3000.0]
    assert more.incentive.flexibility == 0.2
    assert more.input_sha256 != plain.input_sha256
    assert fo.solve(more).solution.objective < fo.solve(plain).solution.objective  # the shortfall falls


def test_python_values_year_maps_regions_and_services():
    inst = fo.load_instance(CSV, {"budget.special_fund": {2025: 80_000, 2026: 85_000},
                                  "services.health.unit_cost.2026": 1200, "services.health.take_up": "0.9"})
    assert inst.special_fund.tolist() == [80_000.0, 85_000.0]
    assert inst.services["health"].unit_cost == {2025: 1100, 2026: 1200} and inst.services["health"].take_up == 0.9
    inst = fo.load_instance(DEMO, {"regions[1].population": "41000000", "regions.2.name": "Inland two"})
    assert inst.regions["population"].iloc[1] == 41_000_000 and inst.regions["name"].iloc[2] == "Inland two"


def test_policy_overrides_reach_the_policy_file_or_the_inline_policy():
    assert fo.load_instance(DEMO, {"policy.min_coverage": "0.6"}).policy.min_coverage.value == 0.6
    assert fo.load_instance(CSV, {"policy.per_capita_floor": "0.4"}).policy.per_capita_floor.value == 0.4
    policy = fo.load_policy(REPO / "models" / "efficiency.yaml", {"policy.gini_max": "0.3"})
    assert policy.gini_max.value == 0.3
    assert fo.load_policy(REPO / "models" / "efficiency.yaml", {"gini_max": 0.3}) == policy


@pytest.mark.parametrize("overrides, expected", [
    ({"budget.special_fnd": "3000"}, "--set budget.special_fnd=3000: budget.special_fnd: unknown key `special_fnd` "
                                     "in `budget`; did you mean `special_fund`?"),
    ({"incentive.flexibilty": "0.1"}, "did you mean `flexibility`?"),
    ({"services.helth.unit_cost": "5"}, "unknown key `helth` in `services`; did you mean `health`?"),
    ({"budget.special_fund": "abc"}, "--set budget.special_fund=abc: budget.special_fund: expected a number"),
    ({"budget.special_fund": "20:00"}, "YAML 1.1 would read 20:00 as the number 1,200 (base 60)"),
    ({"incentive.flexibility": "2"}, "--set incentive.flexibility=2: incentive.flexibility: is a share"),
    ({"regions.0.population": "-1"}, "--set regions.0.population=-1: regions[0].population: must not be negative"),
    ({"regions.9.population": "1"}, "`regions` is a list of 5: give an index from 0 to 4"),
    ({"budget.special_fund.2025": "5"}, "`budget.special_fund` is 1200, not a mapping"),
    ({"policy.min_coverge": "0.6"}, "--set policy.min_coverge=0.6: min_coverge: unknown key `min_coverge` in the "
                                    "policy file; did you mean `min_coverage`?"),
    ({"policy.min_coverage": "1.5"}, "--set policy.min_coverage=1.5: min_coverage: is a share"),
    ({"name": "*a"}, "--set name=*a: name: not valid YAML: YAML aliases (*name) are not allowed"),
    ({"budget..special_fund": "1"}, "`budget..special_fund` is not a key path"),
])
def test_bad_overrides_are_named_as_the_option(overrides: dict[str, str], expected: str):
    with pytest.raises(InputError) as info:
        fo.load_instance(DEMO, overrides)
    assert expected in str(info.value)
    assert all(p.file.startswith("--set ") and p.line is None for p in info.value.problems)


def test_key_paths_and_assignments():
    assert key_path("regions[0].population") == key_path("regions.0.population") == ("regions", 0, "population")
    assert key_path("budget.special_fund.2025") == ("budget", "special_fund", 2025)
    assert parse_assignments(["a.b=1", "c= x "]) == {"a.b": "1", "c": "x"}
    with pytest.raises(InputError, match="expected KEY=VALUE"):
        parse_assignments(["budget.special_fund"])
    with pytest.raises(InputError, match="`a` is set twice"):
        parse_assignments(["a=1", "a=2"])


def test_cli_solve_takes_repeated_set_options():
    done = runner.invoke(app, ["solve", str(DEMO), "--set", "budget.special_fund=3000", "--set",
                               "policy.min_coverage=0.6"])
    assert done.exit_code == 0, done.stderr
    assert "of 3,000.00" in done.stdout
    done = runner.invoke(app, ["solve", str(DEMO), "--policy", str(REPO / "models" / "efficiency.yaml"),
                               "--set", "policy.min_coverage=0.6", "--set", "budget.special_fund=1500"])
    assert done.exit_code == 0, done.stderr
    assert "under efficiency" in done.stdout and "of 1,500.00" in done.stdout


def test_cli_compare_and_sweep_take_set_options_for_the_instance_and_each_policy(tmp_path: Path):
    policies = ["--policy", str(REPO / "models" / "efficiency.yaml"), "--policy",
                str(REPO / "models" / "current-practice.yaml")]
    done = runner.invoke(app, ["compare", str(DEMO), *policies, "--out", str(tmp_path / "c.csv"),
                               "--set", "budget.special_fund=1500", "--set", "policy.min_coverage=0.7"])
    assert done.exit_code == 0, done.stderr
    table = pd.read_csv(tmp_path / "c.csv")
    optimum = table[table["status"] == "optimal"]
    assert len(optimum) == 2 and optimum["budget_used"].to_numpy() == pytest.approx([1500, 1500])
    assert (optimum["min_coverage"] >= 0.7 - 1e-9).all()          # both policies got the floor (0.6 alone)
    assert "optimal" in done.stdout and "…" not in done.stdout    # the table fits: nothing cut
    done = runner.invoke(app, ["sweep", str(DEMO), "--budget", "50%:100%:50%", "--out", str(tmp_path / "s.csv"),
                               "--set", "budget.special_fund=3000"])
    assert done.exit_code == 0, done.stderr
    used = pd.read_csv(tmp_path / "s.csv")["budget_used"].to_numpy()   # half of 3,000, then what 3,000 buys
    assert used[0] == pytest.approx(1500) and 1500 < used[1] <= 3000 + 1e-6


def test_cli_solve_refuses_a_bad_set_option_with_exit_2():
    done = runner.invoke(app, ["solve", str(DEMO), "--set", "budget.special_fnd=3000"])
    assert done.exit_code == 2
    assert "--set budget.special_fnd=3000" in done.stderr and "did you mean `special_fund`?" in done.stderr
    done = runner.invoke(app, ["solve", str(DEMO), "--set", "oops"])
    assert done.exit_code == 2 and "expected KEY=VALUE" in done.stderr


def test_a_key_the_file_may_hold_is_added():
    """year_maps_inline.yaml has neither `incentive` nor `policy`: both are added."""
    inst = fo.load_instance(REPO / "tests" / "good_inputs" / "year_maps_inline.yaml",
                            {"incentive.flexibility": "0.1", "policy.min_coverage": "0.2"})
    assert inst.incentive.flexibility == 0.1 and inst.policy.min_coverage.value == 0.2
