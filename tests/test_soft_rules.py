"""Soft rules mean what docs/model.md says: ``soft_penalty`` is the price of one 亿元 of violation in
the objective's own terms — 亿元 of weighted shortfall, 亿元 of budget, or coverage points — the
same in every money unit; a coverage level is the level reached, never the level less the penalty.

Each case is solved by hand: the rule starts to bend exactly where the penalty falls below the
objective's gain per 亿元 of violation.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import fiscal_opt as fo
from conftest import two_regions


def _alloc(res: fo.Result) -> dict[str, float]:
    return res.regions.groupby("region")["special_fund"].sum().to_dict()


def _in_unit(spec: dict, unit: str) -> dict:
    """The same instance with every amount written in ``unit`` instead of 亿元."""
    factor = {"100m_yuan": 1.0, "10k_yuan": 1e4, "yuan": 1e8}[unit]
    other = copy.deepcopy(spec)
    other["money_unit"] = unit
    for region in other["regions"]:
        for key in ("fiscal_capacity", "prior_transfer"):
            if key in region:
                region[key] = region[key] * factor
    other["budget"] = {k: v * factor for k, v in other["budget"].items()}
    return other


def _shortfall_case(penalty: float) -> dict:
    # two_regions in 亿元: A (priority 1.5) and B (1.0), each a gap of 100 亿元, budget 100. Free:
    # A gets 100. Hold-harmless asks B to keep its prior 80: each 亿元 given to B instead of A costs
    # 1.5 − 1.0 = 0.5 of weighted shortfall, each 亿元 it lacks costs the penalty
    spec = two_regions(hold_harmless={"max_cut": 0.0, "soft": True}, soft_penalty=penalty)
    spec["money_unit"] = "100m_yuan"
    for region in spec["regions"]:
        region["population"] = 100_000_000
        region["migrants"] = region["migrants"] * 1_000_000
    spec["services"]["basic"]["unit_cost"] = 100  # yuan per resident: a gap of 100 亿元 each
    spec["regions"][0]["prior_transfer"] = 0
    spec["regions"][1]["prior_transfer"] = 80
    return spec


@pytest.mark.parametrize("unit", ["100m_yuan", "10k_yuan", "yuan"])
@pytest.mark.parametrize("penalty, b_gets", [(0.4, 0.0), (0.6, 80.0)])
def test_weighted_shortfall_bends_below_half_an_yi_per_yi(solve_spec, unit, penalty, b_gets):
    factor = {"100m_yuan": 1.0, "10k_yuan": 1e4, "yuan": 1e8}[unit]
    res = solve_spec(_in_unit(_shortfall_case(penalty), unit))
    assert _alloc(res)["B"] == pytest.approx(b_gets * factor, rel=1e-9)
    bent = 80 - b_gets
    paid = res.summary["soft_rule_penalties"]
    assert res.solution.objective == pytest.approx((1.5 * b_gets + 1.0 * (100 - b_gets)) * factor, rel=1e-9)
    if bent:
        assert paid["hold_harmless"]["violation"] == pytest.approx(bent * factor, rel=1e-9)
        assert paid["hold_harmless"]["penalty"] == pytest.approx(penalty * bent * factor, rel=1e-9)
        assert paid["hold_harmless"]["penalty_unit"] == f"{unit} of weighted shortfall"
    else:
        assert paid == {}


@pytest.mark.parametrize("penalty, budget", [(0.5, 0.0), (2.0, 60.0)])
def test_min_budget_bends_below_one_yi_of_budget_per_yi(solve_spec, penalty, budget):
    # min_coverage 0.3 needs 30 亿元 in each region: each 亿元 not spent saves one of budget
    spec = two_regions(objective="min_budget", min_coverage={"value": 0.3, "soft": True}, soft_penalty=penalty)
    spec["money_unit"] = "100m_yuan"
    spec["services"]["basic"]["unit_cost"] = 100
    for region in spec["regions"]:
        region["population"] = 100_000_000
    res = solve_spec(spec)
    assert res.solution.objective == pytest.approx(budget, abs=1e-9)
    if budget == 0:
        assert res.summary["soft_rule_penalties"]["min_coverage"]["penalty"] == pytest.approx(0.5 * 60)


def _maxmin_case(penalty: float, objective: str = "max_min_coverage") -> dict:
    # A and B each a cost of 100 亿元 and no local funding, budget 100: free, 50 each and z = 0.5.
    # Hold-harmless asks A to keep 80: z = (100 − x_A)/100, so each 亿元 A lacks raises z by one
    # coverage point, until x_A = 50
    spec = _shortfall_case(penalty)
    spec["policy"]["objective"] = objective
    spec["regions"][0]["prior_transfer"] = 80
    spec["regions"][1]["prior_transfer"] = 0
    return spec


@pytest.mark.parametrize("objective", ["max_min_coverage", "leximin_coverage"])
@pytest.mark.parametrize("unit", ["100m_yuan", "yuan"])
@pytest.mark.parametrize("penalty, level", [(0.5, 0.5), (2.0, 0.2)])
def test_max_min_bends_below_one_coverage_point_per_yi(solve_spec, objective, unit, penalty, level):
    res = solve_spec(_in_unit(_maxmin_case(penalty, objective), unit))
    assert res.solution.objective == pytest.approx(level, rel=1e-9)  # the level itself, unpenalised
    assert res.solution.coverage_levels[0] == pytest.approx(level, rel=1e-9)
    if level == 0.5:
        paid = res.summary["soft_rule_penalties"]["hold_harmless"]
        assert paid["penalty"] == pytest.approx(0.5 * 30, rel=1e-6)  # 30 亿元 at 0.5 points each
        assert paid["penalty_unit"] == "coverage points"


ISSUE_16 = {
    # A has no gap and no incentive: its transfer is 0 whatever happens, so any rule asking A for
    # money bends by an amount nothing can change. B and C each have a gap of 95; the budget 95
    # closes half: best x_B = x_C = 47.5, minimum coverage (5 + 47.5)/100 = 0.525.
    "name": "maxmin-soft-zhold",
    "money_unit": "100m_yuan",
    "regions": [
        {"id": "A", "population": 1.0e7, "migrants": 0, "fiscal_capacity": 1000, "prior_transfer": 10},
        {"id": "B", "population": 1.0e7, "migrants": 0, "fiscal_capacity": 10, "prior_transfer": 0},
        {"id": "C", "population": 1.0e7, "migrants": 5.0e6, "fiscal_capacity": 10, "prior_transfer": 0},
    ],
    "services": {"health": {"driver": "population", "unit_cost": 1000, "local_share": 0.5}},
    "budget": {"special_fund": 95},
}

UNAVOIDABLE = {
    "hold_harmless": {"hold_harmless": {"max_cut": 0.0, "soft": True}},
    "per_capita_floor": {"per_capita_floor": {"value": 0.9, "soft": True}},
    "min_coverage": {"min_coverage": {"value": 0.9, "soft": True}},
    "disparity": {"max_disparity_ratio": {"value": 2.0, "soft": True}},
    "gini": {"gini_max": {"value": 0.1, "soft": True}},
    "mean_deviation": {"mean_deviation_max": {"value": 0.1, "soft": True}},
}


@pytest.mark.parametrize("objective", ["max_min_coverage", "leximin_coverage"])
@pytest.mark.parametrize("rule", sorted(UNAVOIDABLE))
def test_a_rule_that_must_bend_leaves_the_level_where_it_can_be(solve_spec, objective, rule):
    spec = dict(ISSUE_16, policy={"objective": objective, "soft_penalty": 1000, **UNAVOIDABLE[rule]})
    res = solve_spec(spec)
    assert _alloc(res)["B"] == pytest.approx(47.5, rel=1e-7)
    assert _alloc(res)["C"] == pytest.approx(47.5, rel=1e-7)
    assert res.solution.objective == pytest.approx(0.525, rel=1e-9)
    assert rule in res.summary["soft_rule_violations"]
    paid = res.summary["soft_rule_penalties"][rule]
    assert paid["penalty"] == pytest.approx(1000 * paid["violation"], rel=1e-9)  # money_unit is 亿元


def test_the_issue_16_reproducer_reports_level_violation_and_penalty_apart(solve_spec):
    res = solve_spec(dict(ISSUE_16, policy={"objective": "max_min_coverage", "soft_penalty": 1000,
                                            **UNAVOIDABLE["hold_harmless"]}))
    s = res.summary
    assert s["objective"] == pytest.approx(0.525)
    assert s["soft_rule_violations"]["hold_harmless"][0]["amount"] == pytest.approx(10)
    assert s["soft_rule_penalties"]["hold_harmless"] == pytest.approx(
        {"violation": 10.0, "penalty": 10_000.0, "penalty_unit": "coverage points"})


def test_min_budget_and_tie_break_hold_the_answer_not_the_penalised_value(solve_spec):
    # min_budget with a soft floor that must bend: each 亿元 given to B or C lowers the floor's
    # violation by 1 − 0.9/3 = 0.7 亿元, worth 0.7 × 1 < 1 亿元 of budget at a penalty of 1, so the
    # budget is what min_coverage needs; the tie-break moves nothing
    spec = dict(ISSUE_16, policy={"objective": "min_budget", "min_coverage": 0.6, "soft_penalty": 1.0,
                                  "per_capita_floor": {"value": 0.9, "soft": True}})
    spec = copy.deepcopy(spec)
    spec.pop("budget")
    spec["budget"] = {"incentive_pool": 0}
    untied = solve_spec(spec, tie_break=False)
    tied = solve_spec(spec)
    need = 2 * (0.6 * 100 - 5)  # B and C each to 60 % of 100
    assert tied.solution.objective == pytest.approx(need, rel=1e-9)
    assert untied.solution.objective == pytest.approx(need, rel=1e-9)
    np.testing.assert_allclose(tied.solution.special_fund, untied.solution.special_fund, atol=1e-7)
