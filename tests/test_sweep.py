"""Sweeps: hand-solved points along a budget range and a rule's range, range parsing, the command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import fiscal_opt as fo
from conftest import REPO, cli, two_regions, write_instance
from fiscal_opt.analysis.sweeps import parse_range


def test_budget_sweep_follows_the_hand_solved_frontier(tmp_path):
    # A (priority 1.5) is filled first, then B: shortfall 1.5·(100 − b) + 100 for b ≤ 100, then
    # 200 − b; the budget's price is −1.5 while A's gap is open, −1 after, 0 once both are closed
    inst = fo.load_instance(write_instance(tmp_path, two_regions()))
    table = fo.sweep(inst, None, "budget", [50, 150, 250])
    assert list(table["status"]) == ["optimal"] * 3
    assert list(table["weighted_shortfall"]) == pytest.approx([175, 50, 0])
    assert list(table["budget_used"]) == pytest.approx([50, 150, 200])
    assert list(table["budget_shadow_price"]) == pytest.approx([-1.5, -1.0, 0.0])
    assert list(table["value"]) == [50, 150, 250]


def test_relative_budget_scales_the_instance_s_own(tmp_path):
    inst = fo.load_instance(write_instance(tmp_path, two_regions()))  # budget 100
    table = fo.sweep(inst, None, "budget", [0.5, 1.5], relative=True)
    assert list(table["budget_used"]) == pytest.approx([50, 150])
    assert table["parameter"].iloc[0] == "budget (share of own)"


def test_rule_sweep_marks_the_infeasible_points(tmp_path):
    # hold-harmless with no cut and prior transfers 100 + 50 = the budget of 150 fix A = 100, B = 50:
    # resources per resident A (100 + 100) / 100 = 2, B (100 + 50) / 100 = 1.5, average 1.75, so
    # B is at 0.857 of the average: a floor of 0.5 holds (shortfall: B's 50), 0.9 cannot
    spec = two_regions(per_capita_floor=0.5)
    spec["budget"]["special_fund"] = 150
    spec["policy"]["hold_harmless"] = {"max_cut": 0.0}
    spec["regions"][0]["prior_transfer"] = 100
    spec["regions"][1]["prior_transfer"] = 50
    inst = fo.load_instance(write_instance(tmp_path, spec))
    table = fo.sweep(inst, None, "per_capita_floor", [0.5, 0.9])
    assert list(table["status"]) == ["optimal", "infeasible"]
    assert table["weighted_shortfall"].iloc[0] == pytest.approx(50)
    assert "per_capita_floor" in table["rules_involved"].iloc[1]
    assert np.isnan(table["weighted_shortfall"].iloc[1])


@pytest.mark.parametrize(("text", "values", "relative"), [
    ("1:3:1", [1, 2, 3], False), ("0.5:0.9:0.2", [0.5, 0.7, 0.9], False), ("80%:120%:20%", [0.8, 1.0, 1.2], True),
    ("5:5:1", [5], False), ("0:1:0.3", [0, 0.3, 0.6, 0.9], False)])
def test_ranges_include_the_stop_when_the_steps_reach_it(text, values, relative):
    got, rel = parse_range(text, "--budget")
    assert list(got) == pytest.approx(values) and rel is relative


@pytest.mark.parametrize("text", ["1:2", "a:b:c", "3:1:1", "1:2:0", "1:2%:1", "0:1e9:1", "nan:1:1"])
def test_bad_ranges_are_input_errors(text):
    with pytest.raises(fo.InputError, match="--budget"):
        parse_range(text, "--budget")


def test_sweep_command_prints_and_writes_the_table(tmp_path):
    out = tmp_path / "sweep.csv"
    proc = cli("sweep", "instances/demo-4.yaml", "--budget", "600:1400:400", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(out)
    assert list(table["value"]) == [600, 1000, 1400]
    assert (np.diff(table["min_coverage"]) > 0).all()  # equity-first: more money, higher minimum
    assert "shortfall" in proc.stdout
    bad = cli("sweep", "instances/demo-4.yaml")
    assert bad.returncode == 2 and "give one parameter to sweep, or two for a grid" in bad.stderr


def test_param_sweeps_any_registry_parameter_and_writes_json(tmp_path):
    out = tmp_path / "sweep.json"
    proc = cli("sweep", "instances/demo-4.yaml", "--param", "gini_max=0.1:0.3:0.1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [r["value"] for r in rows] == pytest.approx([0.1, 0.2, 0.3])
    assert {r["parameter"] for r in rows} == {"gini_max"}
    assert all(r["gini"] <= r["value"] + 1e-7 for r in rows if r["status"] == "optimal")
    assert all(r["reason"] == "" or r["status"] != "optimal" for r in rows)


def test_two_params_make_a_grid_and_the_old_options_still_count(tmp_path):
    out = tmp_path / "grid.csv"
    proc = cli("sweep", "instances/demo-4.yaml", "--budget", "80%:120%:40%", "--param", "min_coverage=0.2:0.3:0.1",
               "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(out)
    # --param axes come first, then --budget, --per-capita-floor, --min-coverage
    assert list(table["value"]) == pytest.approx([0.2, 0.2, 0.3, 0.3])
    assert list(table["value_2"]) == pytest.approx([0.8, 1.2, 0.8, 1.2])
    assert set(table["parameter"]) == {"min_coverage"} and set(table["parameter_2"]) == {"budget (share of own)"}


@pytest.mark.parametrize(("args", "message"), [
    (["--param", "nonsense=1:2:1"], "cannot sweep 'nonsense'"),
    (["--param", "min_coverage"], "expected NAME=START:STOP:STEP"),
    (["--param", "min_coverage=0.9:1.5:0.3"], "min_coverage"),
    (["--param", "coverage_value.levels[0]=0.2:0.4:0.1", "--policy", "models/v1-equity-first.yaml"],
     "no coverage_value bands"),
    (["--param", "budget=1:2:1", "--param", "budget=1:2:1"], "given twice"),
    (["--param", "budget=1:2:1", "--param", "gini_max=0.1:0.2:0.1", "--min-coverage", "0.1:0.2:0.1"],
     "or two for a grid"),
    (["--param", "budget=0:300:1", "--param", "gini_max=0.1:0.5:0.1"], "at most 1,000"),
    (["--budget", "1:2:1", "--workers", "0"], "--workers: must be at least 1"),
    (["--budget", "1:2:1", "--scheduler", "nowhere"], "expected a scheduler address"),
])
def test_bad_sweep_options_are_input_errors(args, message):
    proc = cli("sweep", "instances/demo-4.yaml", *args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_a_band_of_the_value_of_coverage_can_be_swept(tmp_path):
    # budget 50 fills A's first band (worth 1.5·v per yuan, against B's v): left are B's first band,
    # 50 × v, and both second bands, 1.5 × 50 + 1 × 50, so the valued shortfall is 125 + 50·v
    spec = two_regions(coverage_value={"levels": [0.5, 1.0], "values": [2.0, 1.0]})
    spec["budget"]["special_fund"] = 50
    inst = fo.load_instance(write_instance(tmp_path, spec))
    table = fo.sweep(inst, None, "coverage_value.values[0]", [1.5, 3.0])
    assert list(table["status"]) == ["optimal", "optimal"]
    assert list(table["weighted_shortfall"]) == pytest.approx([200, 275])
    with pytest.raises(fo.InputError, match="must decrease"):
        fo.sweep(inst, None, "coverage_value.values[0]", [0.5])


def test_a_grid_report_labels_points_by_both_values(tmp_path):
    from fiscal_opt.analysis.sweeps import Axis, sweep_grid
    from fiscal_opt.report import frontier, html

    inst = fo.load_instance(REPO / "instances" / "demo-4.yaml")
    axes = [Axis("budget", np.array([0.8, 1.2]), True), Axis("gini_max", np.array([0.15, 0.3]))]
    page = frontier.sweep_page(sweep_grid(inst, None, axes), "demo-4", inst.money_unit, "en")
    assert [row[0] for row in page.tables[0].rows] == ["80% · 0.150", "80% · 0.300", "120% · 0.150", "120% · 0.300"]
    assert "the budget (share of the instance's own) × the Gini ceiling" in page.title
    assert [c.name for c in page.charts] == ["frontier", "shadow_price"]
    prices = page.charts[1].figure.axes[0].get_lines()
    assert sorted(line.get_label() for line in prices if not line.get_label().startswith("_")) == ["0.150", "0.300"]
    assert "<svg" in html.render(page)
    proc = cli("sweep", "instances/demo-4.yaml", "--param", "budget=80%:120%:40%", "--param", "gini_max=0.15:0.3:0.15",
               "--report", str(tmp_path / "report"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "report" / "report.html").is_file()
