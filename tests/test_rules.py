"""Hand-solved cases, one per rule of MODEL.md §5 (two regions A and B, see conftest.two_regions).

Without rules the weighted-shortfall optimum gives A (priority 1.5) all 100 and B nothing;
each rule moves money to B by an amount solved by hand.
"""

from __future__ import annotations

import pytest

import fiscal_opt as fo
from conftest import two_regions, write_instance
from test_objectives import alloc


def test_no_rule_gives_everything_to_the_higher_priority(solve_spec):
    assert alloc(solve_spec(two_regions())) == pytest.approx({"A": 100, "B": 0})


def test_per_capita_floor(solve_spec):
    # Q_B >= 0.9 * 100 * 300 / 200 = 135  =>  x_B = 35
    res = solve_spec(two_regions(per_capita_floor=0.9))
    assert alloc(res) == pytest.approx({"A": 65, "B": 35})
    assert res.solution.objective == pytest.approx(1.5 * 35 + 1.0 * 65)
    assert "per_capita_floor" in res.regions.set_index("region").loc["B", "binding_rules"]


def test_max_disparity_ratio(solve_spec):
    # (100 + x_A) <= 1.5 (100 + x_B), x_A + x_B = 100  =>  x_A = 80
    assert alloc(solve_spec(two_regions(max_disparity_ratio=1.5))) == pytest.approx({"A": 80, "B": 20})


def test_gini_max(solve_spec):
    # Gini = |Q_A - Q_B| / 600 <= 0.05  =>  x_A - x_B <= 30
    res = solve_spec(two_regions(gini_max=0.05))
    assert alloc(res) == pytest.approx({"A": 65, "B": 35})
    assert res.metrics.query("state == 'optimum'")["gini"].iloc[0] == pytest.approx(0.05)


def test_mean_deviation_max(solve_spec):
    # (|Q_A - 150| + |Q_B - 150|) / 300 <= 0.1  =>  x_A - 50 <= 15
    assert alloc(solve_spec(two_regions(mean_deviation_max=0.1))) == pytest.approx({"A": 65, "B": 35})


def test_min_coverage(solve_spec):
    assert alloc(solve_spec(two_regions(min_coverage=0.3))) == pytest.approx({"A": 70, "B": 30})


def test_hold_harmless_first_year_against_prior_transfer(solve_spec):
    spec = two_regions(hold_harmless={"max_cut": 0.25})
    spec["regions"][0]["prior_transfer"] = 0
    spec["regions"][1]["prior_transfer"] = 80
    # X_B >= 0.75 * 80 = 60
    assert alloc(solve_spec(spec)) == pytest.approx({"A": 40, "B": 60})


def test_max_rise_first_year(solve_spec):
    spec = two_regions(hold_harmless={"max_rise": 0.2})
    spec["regions"][0]["prior_transfer"] = 50
    spec["regions"][1]["prior_transfer"] = 80
    # X_A <= 1.2 * 50 = 60
    assert alloc(solve_spec(spec)) == pytest.approx({"A": 60, "B": 40})


def test_hold_harmless_links_consecutive_years(solve_spec):
    spec = two_regions(hold_harmless={"max_cut": 0.1})
    spec["years"] = [2025, 2026]
    spec["regions"][0]["prior_transfer"] = 0
    spec["regions"][1]["prior_transfer"] = 0
    # 2025: A takes all 100 (prior transfers of 0 bind nothing). 2026: B's weight rises (its
    # migrants grow) but A must keep >= 90 of its 2025 transfer, so B gets only 10.
    spec["regions"][1]["migrants"] = {2025: 0, 2026: 90}
    res = solve_spec(spec)
    by_year = res.regions.pivot(index="region", columns="year", values="special_fund")
    assert by_year[2025].to_dict() == pytest.approx({"A": 100, "B": 0})
    assert by_year[2026].to_dict() == pytest.approx({"A": 90, "B": 10})


def test_incentive_formula_exactly_when_flexibility_is_zero(solve_spec):
    spec = two_regions()
    spec["regions"][0]["reform_score"] = 0.8   # e_A = 0.8 * 50 = 40
    spec["regions"][1] |= {"reform_score": 0.5, "migrants": 10}   # e_B = 5
    spec["budget"]["incentive_pool"] = 9
    res = solve_spec(spec)
    pay = res.regions.set_index("region")["incentive"]
    assert pay.to_dict() == pytest.approx({"A": 8, "B": 1})


def test_incentive_min_score_excludes(solve_spec):
    spec = two_regions()
    spec["regions"][0]["reform_score"] = 0.8
    spec["regions"][1] |= {"reform_score": 0.2, "migrants": 10}
    spec["budget"]["incentive_pool"] = 9
    spec["incentive"] = {"min_score": 0.3}
    pay = solve_spec(spec).regions.set_index("region")["incentive"]
    assert pay.to_dict() == pytest.approx({"A": 9, "B": 0})


def test_incentive_band_and_order_when_flexible(solve_spec):
    # The floor wants more for B; incentives may move within ±50 % of the formula but B (worse
    # score) may never earn more per migrant than A.
    spec = two_regions(per_capita_floor=1.0)
    spec["budget"]["special_fund"] = 0
    spec["regions"][0] |= {"reform_score": 0.9, "migrants": 50}
    spec["regions"][1] |= {"reform_score": 0.5, "migrants": 50}
    spec["budget"]["incentive_pool"] = 14
    spec["incentive"] = {"flexibility": 0.5}
    spec["policy"]["per_capita_floor"] = {"value": 1.0, "soft": True}
    res = solve_spec(spec)
    pay = res.regions.set_index("region")["incentive"]
    # formula: A 9, B 5. Order: y_B/50 <= y_A/50, so the best B can do is an equal split 7 / 7
    assert pay.to_dict() == pytest.approx({"A": 7, "B": 7})
    assert res.residuals["incentive_order"] == pytest.approx(0, abs=1e-9)


def test_soft_rule_bends_and_is_reported(solve_spec):
    res = solve_spec(two_regions(min_coverage={"value": 0.9, "soft": True}))
    # needs 90 + 90 = 180 with a budget of 100: 80 of coverage is missed, reported by name
    violations = res.summary["soft_rule_violations"]["min_coverage"]
    assert sum(v["amount"] for v in violations) == pytest.approx(80)
    assert res.summary["budget_used"]["0"] == pytest.approx(100)


def test_hard_min_coverage_above_budget_is_infeasible_with_the_needed_budget(tmp_path):
    inst = fo.load_instance(write_instance(tmp_path, two_regions(min_coverage=0.9)))
    with pytest.raises(fo.InfeasibleError) as err:
        fo.solve(inst)
    assert set(err.value.rules) == {"budget", "min_coverage"}
    assert "needs 180" in str(err.value)


def test_hard_min_coverage_above_the_cap_names_the_cell(tmp_path):
    spec = two_regions(min_coverage=0.5)
    spec["regions"][0]["central_share_cap"] = 0.3
    with pytest.raises(fo.InfeasibleError) as err:
        fo.solve(fo.load_instance(write_instance(tmp_path, spec)))
    assert "min_coverage[A,basic,0]" in str(err.value)
    assert "0.3000" in str(err.value)


def test_conflicting_rules_are_named_from_the_irreducible_subset(tmp_path):
    spec = two_regions(per_capita_floor=1.0, hold_harmless={"max_cut": 0.0})
    spec["regions"][0]["prior_transfer"] = 100
    spec["regions"][1]["prior_transfer"] = 0
    with pytest.raises(fo.InfeasibleError) as err:
        fo.solve(fo.load_instance(write_instance(tmp_path, spec)))
    # B's floor needs money that holding A harmless leaves no room for
    assert {"per_capita_floor[B,0]", "hold_harmless[A,0]", "budget[0]"} <= set(err.value.rules)


def test_gini_refused_beyond_500_regions(tmp_path):
    spec = two_regions(gini_max=0.1)
    spec["regions"] = [{"id": f"R{i}", "population": 100, "migrants": 0, "fiscal_capacity": 100}
                       for i in range(501)]
    with pytest.raises(fo.InputError, match="mean_deviation_max"):
        fo.solve(fo.load_instance(write_instance(tmp_path, spec)))


def test_incentive_rates_out_of_score_order_by_a_tolerance_are_pooled():
    from types import SimpleNamespace

    import numpy as np

    from fiscal_opt.rules.incentive_order import in_score_order

    # scores 0.5 < 0.7 < 0.9, bases 1, 2, 1: rates 3, 3 − 1e-7, 5 break the order between the first
    # two by a solver's tolerance; pooling gives both the weighted mean and keeps the total
    p = SimpleNamespace(incentive_basis=np.array([[1.0], [2.0], [1.0]]), basis=np.array([[1.0], [2.0], [1.0]]),
                        reform_score=np.array([[0.5], [0.7], [0.9]]))
    y = np.array([[3.0], [2 * (3 - 1e-7)], [5.0]])
    fixed = in_score_order(p, y)
    rate = fixed[:, 0] / p.basis[:, 0]
    assert rate[0] == pytest.approx(rate[1]) and rate[0] == pytest.approx((3 + 2 * (3 - 1e-7)) / 3)
    assert fixed.sum() == pytest.approx(y.sum(), rel=1e-15)
    assert fixed[2, 0] == 5.0
    in_order = np.array([[1.0], [4.0], [5.0]])
    assert np.array_equal(in_score_order(p, in_order), in_order)


def test_min_coverage_per_service_with_a_default(solve_spec):
    # two services in A and B: "basic" (cost 100 each) and "extra" (driver migrants: A 50, B 0).
    # basic ≥ 0.3 everywhere (default), extra ≥ 0.8: B's basic needs 30, A's extra 40; A takes the rest
    spec = two_regions(min_coverage={"extra": 0.8, "default": 0.3})
    spec["services"]["extra"] = {"driver": "migrants", "unit_cost": 1}
    spec["budget"]["special_fund"] = 150
    res = solve_spec(spec)
    cells = res.allocations.set_index(["region", "service"])["special_fund"]
    assert cells["B", "basic"] == pytest.approx(30, rel=1e-9)
    assert cells["A", "extra"] >= 40 - 1e-9
    bad = two_regions(min_coverage={"extar": 0.8})
    with pytest.raises(fo.InputError, match="min_coverage.extar: no service `extar`"):
        solve_spec(bad)


def test_no_reranking_keeps_the_order_of_revenue_per_head(solve_spec):
    # A: revenue per head 1, B: 0.5, one service of cost 1 per head, no local funding; B has the
    # higher priority (fiscal difficulty). Free: B takes all 100 (resources per head B 1.5, A 1),
    # which reranks them. No reranking: Q_B/P ≤ Q_A/P, i.e. 50 + x_B ≤ 100 + (100 − x_B), x_B ≤ 75
    spec = two_regions()
    spec["regions"][0].update(migrants=0, fiscal_capacity=100)
    spec["regions"][1].update(migrants=0, fiscal_capacity=50)
    assert alloc(solve_spec(spec)) == pytest.approx({"A": 0, "B": 100})
    spec["policy"]["no_reranking"] = True
    res = solve_spec(spec)
    assert alloc(res) == pytest.approx({"A": 25, "B": 75}, rel=1e-9)
    assert "no_reranking" in res.regions.set_index("region").loc["B", "binding_rules"]
    spec["policy"]["no_reranking"] = {"soft": True}
    spec["policy"]["soft_penalty"] = 0.01  # bending is cheaper than the 1/3 of priority per 亿元 it saves
    bent = solve_spec(spec)
    assert alloc(bent) == pytest.approx({"A": 0, "B": 100})
    assert bent.summary["soft_rule_penalties"]["no_reranking"]["violation"] > 0


def test_per_capita_hold_harmless_lets_money_follow_people(solve_spec):
    # B loses half its residents in 2026 (and half its revenue, so its revenue per head stays): per
    # head its transfer may then fall by half at most; on the total basis it may not fall at all
    spec = two_regions(hold_harmless={"max_cut": 0.0})
    spec["years"] = [2025, 2026]
    spec["regions"][0]["prior_transfer"] = 0
    spec["regions"][1]["prior_transfer"] = 80
    spec["regions"][1]["population"] = {2025: 100, 2026: 50}
    spec["regions"][1]["fiscal_capacity"] = {2025: 100, 2026: 50}
    with pytest.raises(fo.InfeasibleError, match="hold_harmless"):
        solve_spec(spec)  # on the total basis B must keep 80, but its gap in 2026 is only 50
    spec["policy"]["hold_harmless"]["basis"] = "per_capita"
    per_head = solve_spec(spec).regions.pivot(index="region", columns="year", values="transfer")
    assert per_head.loc["B", 2025] == pytest.approx(80, rel=1e-9)
    assert per_head.loc["B", 2026] == pytest.approx(40, rel=1e-9)  # 80 × 50/100: A gets the rest
