"""design-formula: the best factor formula, its weights with their units, the price of transparency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fiscal_opt as fo
from conftest import cli, two_regions, write_instance


def _instance(tmp_path: Path, **policy) -> fo.Instance:
    # A and B: 100 residents each, one service of cost 1 yuan a head, no local funding, budget 100
    return fo.load_instance(write_instance(tmp_path, two_regions(**policy)))


def test_with_one_factor_the_weight_is_the_budget_over_the_factor_total(tmp_path):
    design = fo.design_formula(_instance(tmp_path), factors=["population"])
    weights = design.weights.set_index("factor")
    # 100 yuan over 200 residents: 0.5 yuan a resident, so each region gets 50
    assert weights.loc["population", "weight"] == pytest.approx(0.5, rel=1e-9)
    assert weights.loc["population", "unit"] == "yuan/person"
    special = design.result.regions.set_index("region")["special_fund"]
    assert special.to_dict() == pytest.approx({"A": 50, "B": 50}, rel=1e-9)
    # free, A (priority 1.5) takes all 100: shortfall 100; the formula's 50/50: 1.5·50 + 50 = 125
    assert design.price["free_optimum"] == pytest.approx(100)
    assert design.price["best_formula"] == pytest.approx(125)
    assert design.price["v1_baseline_formula"] == pytest.approx(1.5 * 40 + 1.0 * 60)  # shares 150 : 100
    assert design.result.residuals["formula"] < 1e-9


def test_migrants_as_a_second_factor_buy_back_the_priority(tmp_path):
    # with migrants (A 50, B 0) as a factor the formula can give A everything: the free optimum
    design = fo.design_formula(_instance(tmp_path), factors=["population", "migrants"], same_every_year=True)
    weights = design.weights.set_index("factor")["weight"]
    assert weights["migrants"] == pytest.approx(2.0, rel=1e-9) and weights["population"] == pytest.approx(0.0, abs=1e-9)
    assert design.price["best_formula"] == pytest.approx(design.price["free_optimum"], rel=1e-9)


def test_a_floor_no_formula_can_meet_is_infeasible_and_diagnosed(tmp_path):
    # revenue A 120, B 80, budget 100: the average per head is 1.5, so the floor asks B for 135, i.e.
    # 55 of the 100 (free: feasible). A lump sum per region ("regions") gives each at most 50
    spec = two_regions(per_capita_floor=0.9)
    spec["regions"][0]["fiscal_capacity"] = 120
    spec["regions"][1]["fiscal_capacity"] = 80
    inst = fo.load_instance(write_instance(tmp_path, spec))
    with pytest.raises(fo.InfeasibleError) as caught:
        fo.design_formula(inst, factors=["regions"])
    assert any(rule.startswith("formula") for rule in caught.value.rules)
    assert any(rule.startswith("per_capita_floor") for rule in caught.value.rules)


def test_an_unknown_factor_is_bad_input(tmp_path):
    with pytest.raises(fo.InputError, match="formula.factors\\[0\\]: no factor `pupils`"):
        fo.design_formula(_instance(tmp_path), factors=["pupils"])


def test_the_command_writes_the_formula_and_its_price(tmp_path):
    out = tmp_path / "formula"
    done = cli("design-formula", "instances/demo-4.yaml", "--policy", "models/efficiency.yaml", "--out", str(out))
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    price = summary["price_of_transparency"]
    assert price["free_optimum"] <= price["best_formula"] + 1e-6
    assert {w["factor"] for w in summary["formula_weights"]} == {"ceiling", "population", "migrants",
                                                                  "difficulty_population"}
    assert "free optimum" in done.stdout
