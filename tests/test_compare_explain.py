"""compare: several policies side by side; explain: why a region gets what it gets."""

from __future__ import annotations

import pytest

import fiscal_opt as fo
from conftest import REPO, two_regions, write_instance
from fiscal_opt.analysis.compare import compare
from fiscal_opt.analysis.explain import explain


def test_compare_puts_policies_and_the_formula_side_by_side(tmp_path):
    inst = fo.load_instance(write_instance(tmp_path, two_regions()))
    free = fo.Policy(name="free")
    floor = fo.Policy(name="floor", per_capita_floor=0.9)
    table = compare(inst, [free, floor]).set_index("policy")
    assert list(table.index) == ["free", "floor", "formula baseline"]
    # hand-solved in test_rules: free gives A 100 (shortfall 100), the floor 65/35 (shortfall 117.5)
    assert table.loc["free", "weighted_shortfall"] == pytest.approx(100)
    assert table.loc["floor", "weighted_shortfall"] == pytest.approx(117.5)
    # the formula shares 100 in proportion to w·G = 150 : 100
    assert table.loc["formula baseline", "budget_used"] == pytest.approx(100)
    assert table.loc["formula baseline", "weighted_shortfall"] == pytest.approx(1.5 * 40 + 1.0 * 60)
    assert table.loc["free", "gini"] > table.loc["floor", "gini"]


def test_explain_names_binding_rules_and_cells():
    result = fo.solve(fo.load_instance(REPO / "instances" / "demo-4.yaml"))
    text = explain(result, "E")
    assert text.startswith("E Rustbelt (Northeast)")
    assert "education: gap" in text and "binding rules:" in text
    with pytest.raises(fo.InputError, match="no region 'Z'"):
        explain(result, "Z")


def test_explain_names_rules_that_bind_a_region_through_others(tmp_path):
    # the per-capita floor binds B (65/35, test_rules); A is held down by it, not by a rule of its own
    spec = two_regions(per_capita_floor=0.9)
    spec["regions"][0]["name"] = "Coastal"
    spec["regions"][1]["name"] = "Inland"
    result = fo.solve(fo.load_instance(write_instance(tmp_path, spec)))
    text = explain(result, "coastal")  # by name, whatever the case
    assert text.startswith("A Coastal")
    assert "binding rules: none of its own; held through others by the budget" in text
    assert "per_capita_floor of 1 other region(s) (Inland)" in text
    with pytest.raises(fo.InputError, match="did you mean Coastal"):
        explain(result, "Coastl")


def test_explain_finds_a_province_by_its_chinese_name():
    result = fo.solve(fo.load_instance(REPO / "instances" / "china-2020-provinces.yaml"))
    assert explain(result, "广东").startswith("44 Guangdong") and explain(result, "Guangdong").startswith("44 ")
