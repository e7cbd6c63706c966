"""Hand-solved cases, one per objective: the optimum is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

import fiscal_opt as fo

from conftest import two_regions


def alloc(result) -> dict[str, float]:
    """Special fund per region (summed over services and years)."""
    return result.regions.groupby("region")["special_fund"].sum().to_dict()


def test_weighted_shortfall_fills_the_heavier_gap_first(solve_spec):
    spec = two_regions(objective="weighted_shortfall")
    spec["budget"]["special_fund"] = 150
    res = solve_spec(spec)
    # A has priority 1.5 (migrant share 0.5), B 1.0: A's gap of 100 is closed first, B gets the rest
    assert alloc(res) == pytest.approx({"A": 100, "B": 50})
    assert res.solution.objective == pytest.approx(1.0 * 50)
    assert res.summary["budget_shadow_price"]["0"]["value"] == pytest.approx(-1.0)
    assert res.summary["budget_shadow_price"]["0"]["valid_from"] == pytest.approx(100)
    assert res.summary["budget_shadow_price"]["0"]["valid_to"] == pytest.approx(200)


def _coverage_spec(**policy):
    spec = two_regions(**policy)
    spec["regions"][0] |= {"local_basic": 50}
    spec["regions"][1] |= {"local_basic": 20, "population": 200, "fiscal_capacity": 200}
    spec["services"]["basic"]["local_funding"] = "local_basic"
    return spec


def test_max_min_coverage_solves_the_linear_equation(solve_spec):
    # C_A = 100, L_A = 50; C_B = 200, L_B = 20; budget 100:
    # (50 + x_A)/100 = (20 + x_B)/200 = z and x_A + x_B = 100  =>  z = 170/300
    res = solve_spec(_coverage_spec(objective="max_min_coverage"))
    z = 170 / 300
    assert res.solution.objective == pytest.approx(z)
    assert alloc(res) == pytest.approx({"A": 100 * z - 50, "B": 200 * z - 20})
    cov = res.allocations.set_index("region")["coverage_after"]
    assert cov.to_dict() == pytest.approx({"A": z, "B": z})


def test_min_budget_is_the_sum_of_required_top_ups(solve_spec):
    spec = _coverage_spec(objective="min_budget", min_coverage=0.8)
    del spec["budget"]["special_fund"]
    res = solve_spec(spec)
    # A needs 0.8*100 - 50 = 30, B needs 0.8*200 - 20 = 140
    assert res.solution.objective == pytest.approx(170)
    assert alloc(res) == pytest.approx({"A": 30, "B": 140})
    assert res.summary["budget"]["0"] == pytest.approx(170)


def test_leximin_raises_the_next_worst_after_a_capped_cell(solve_spec):
    spec = two_regions(objective="leximin_coverage")
    spec["regions"][0]["central_share_cap"] = 0.3   # A can reach coverage 0.3 at most
    spec["regions"][1]["central_share_cap"] = 1.0
    res = solve_spec(spec)
    assert res.solution.coverage_levels[:2] == pytest.approx([0.3, 0.7])
    assert alloc(res) == pytest.approx({"A": 30, "B": 70})


def test_max_min_stage_two_spends_what_the_level_leaves(solve_spec):
    spec = two_regions(objective="max_min_coverage")
    spec["regions"][0]["central_share_cap"] = 0.3
    res = solve_spec(spec)
    # z = 0.3 (A's cap); stage 2 minimises weighted shortfall: A is at its ceiling, B takes the rest
    assert res.solution.objective == pytest.approx(0.3)
    assert alloc(res) == pytest.approx({"A": 30, "B": 70})
    assert res.summary["budget_used"]["0"] == pytest.approx(100)


def test_ties_give_tied_cells_the_same_coverage_whatever_the_region_order(solve_spec):
    spec = two_regions(objective="weighted_shortfall")
    spec["regions"][0]["migrants"] = 0          # equal priorities: every split of 100 is optimal
    first = alloc(solve_spec(spec))
    spec["regions"].reverse()
    second = alloc(solve_spec(spec))
    assert first == pytest.approx(second)
    # the tie rule: least Σ C·k², so two identical regions split evenly
    assert first == pytest.approx({"A": 50, "B": 50}, rel=1e-7)


def test_the_tie_rule_equalises_coverage_among_cells_of_different_size(solve_spec):
    # A's cost is 100, B's 300, both with no local funding and the same priority; a budget of 200
    # is optimal in any split. Equal coverage k: 100k + 300k = 200, k = 0.5, so A 50 and B 150
    spec = two_regions(objective="weighted_shortfall")
    spec["regions"][0]["migrants"] = 0
    spec["regions"][1]["population"] = 300
    spec["regions"][1]["fiscal_capacity"] = 300  # the same revenue per head: no fiscal difficulty either
    spec["budget"]["special_fund"] = 200
    assert alloc(solve_spec(spec)) == pytest.approx({"A": 50, "B": 150}, rel=1e-7)


def test_engines_agree_on_a_hand_solved_case(solve_spec):
    spec = _coverage_spec(objective="max_min_coverage")
    direct = solve_spec(spec)
    reference = solve_spec(spec, options=fo.SolverOptions(solver="appsi_highs"))
    assert np.allclose(direct.solution.special_fund, reference.solution.special_fund, atol=1e-6)


@pytest.mark.parametrize("budget, expected, shortfall", [(100, {"A": 50, "B": 50}, 1.5 * 50 + 1.0 * 50),
                                                          (150, {"A": 100, "B": 50}, 1.0 * 50)])
def test_coverage_value_bands_fill_the_least_covered_first(solve_spec, budget, expected, shortfall):
    # A (priority 1.5) and B (1.0) each lack 100; bands (0, 0.5] worth 3 and (0.5, 1] worth 1. A unit
    # in a first band is worth 4.5 (A) or 3 (B), in a second 1.5 or 1: both first bands fill before
    # A's second, so 100 splits 50/50 and 150 gives A its second band too. Without bands A takes all
    spec = two_regions(coverage_value={"levels": [0.5, 1.0], "values": [3.0, 1.0]})
    spec["budget"]["special_fund"] = budget
    res = solve_spec(spec)
    assert alloc(res) == pytest.approx(expected, rel=1e-9)
    assert res.solution.objective == pytest.approx(shortfall, rel=1e-9)  # the valued shortfall
    assert alloc(solve_spec(two_regions())) == pytest.approx({"A": 100, "B": 0})


def test_product_priority_ranks_weak_and_migrant_heavy_first(solve_spec):
    # revenue per head A 0.5, B 1, C 0.75, D 1.75 (national average 1): difficulty A 0.5, C 0.25;
    # migrant share B 0.5, C 0.25. Additive: A, B, C all 1.5 (a tie), D 1. Product: A 1.5, B 1.5,
    # C 1.25 × 1.25 = 1.5625 — the region that is both weak and migrant-heavy comes first
    spec = two_regions(priority={"form": "product"})
    spec["regions"] = [
        {"id": "A", "population": 100, "migrants": 0, "fiscal_capacity": 50},
        {"id": "B", "population": 100, "migrants": 50, "fiscal_capacity": 100},
        {"id": "C", "population": 100, "migrants": 25, "fiscal_capacity": 75},
        {"id": "D", "population": 100, "migrants": 0, "fiscal_capacity": 175},
    ]
    res = solve_spec(spec)
    priority = res.regions.set_index("region")["priority"]
    assert priority.to_dict() == pytest.approx({"A": 1.5, "B": 1.5, "C": 1.5625, "D": 1.0})
    assert alloc(res)["C"] == pytest.approx(100)  # the highest priority is filled first
    spec["policy"]["priority"] = {"form": "additive"}
    assert solve_spec(spec).regions.set_index("region")["priority"].to_dict() == pytest.approx(
        {"A": 1.5, "B": 1.5, "C": 1.5, "D": 1.0})


def test_per_year_max_min_raises_each_year_on_its_own(solve_spec):
    # two years; in 2026 B's cost doubles, the budget stays 100 a year. One level for both years is
    # held to 2026's 100/300; per year: z_2025 = 100/200 = 0.5, z_2026 = 100/300
    spec = two_regions(objective="max_min_coverage", per_year=True)
    spec["years"] = [2025, 2026]
    spec["regions"][1]["population"] = {2025: 100, 2026: 200}
    spec["regions"][1]["fiscal_capacity"] = {2025: 100, 2026: 200}
    res = solve_spec(spec)
    assert res.solution.coverage_levels == pytest.approx([0.5, 1 / 3], rel=1e-9)
    assert res.solution.objective == pytest.approx(0.5 + 1 / 3, rel=1e-9)
    setters = {s["year"] for s in res.summary["level_setters"]}
    assert setters == {2025, 2026}
    spec["policy"]["per_year"] = False
    assert solve_spec(spec).solution.coverage_levels == pytest.approx([1 / 3], rel=1e-9)
    with pytest.raises(fo.InputError, match="per_year: true goes with the objective max_min_coverage"):
        solve_spec(two_regions(per_year=True))


def test_a_capped_cell_that_sets_the_level_is_named(solve_spec):
    # A's cap of 0.2 lets its coverage reach 0.2 at most, whatever the budget: the level is 0.2, set
    # by A, and the note says that more money cannot raise it
    spec = two_regions(objective="max_min_coverage")
    spec["regions"][0]["central_share_cap"] = 0.2
    res = solve_spec(spec)
    assert res.solution.objective == pytest.approx(0.2, rel=1e-9)
    first = res.summary["level_setters"][0]
    assert (first["region"], first["capped"], first["reachable"]) == ("A", True, pytest.approx(0.2))
    assert any("is set by A" in note and "cannot raise" in note for note in res.summary["notes"])
