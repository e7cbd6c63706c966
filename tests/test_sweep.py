"""Sweeps: hand-solved points along a budget range and a rule's range, range parsing, the command."""

from __future__ import annotations

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
    assert bad.returncode == 2 and "give exactly one of" in bad.stderr and "Traceback" not in bad.stderr
