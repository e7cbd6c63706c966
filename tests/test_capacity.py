"""Places (MODEL-v2 §11) and flows of people (§12), solved by hand on tiny instances.

Money in yuan; a place serves one person a year. Each test says what the optimum must be and why.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

import fiscal_opt as fo
from conftest import write_instance
from fiscal_opt.api import formulate


def school(years: list[int] | None = None, **education) -> dict:
    """One region with 150 children and 100 school places; a child costs 1,000 yuan a year, a new
    place 5,000; no local funding; a special fund of a million a year, far more than is needed."""
    spec = {
        "name": "school", "money_unit": "yuan",
        "regions": [{"id": "A", "population": 1000, "migrants": 0, "age0_14": 150, "fiscal_capacity": 1000,
                     "school_places": 100, "local_capital": 1_000_000}],
        "services": {"education": {"driver": "age0_14", "unit_cost": 1000, "capacity": "school_places",
                                   "capital_cost": 5000} | education},
        "budget": {"special_fund": 1_000_000},
        "policy": {"name": "p"},
    }
    if years:
        spec["years"] = years
    return spec


def solve(tmp_path: Path, spec: dict, policy=None) -> fo.Result:
    instance = fo.load_instance(write_instance(tmp_path, spec))
    return fo.solve(instance, policy)


def test_a_place_started_in_year_1_with_lead_time_2_serves_from_year_3(tmp_path: Path) -> None:
    result = solve(tmp_path, school([2025, 2026, 2027], lead_time=2))
    plan = result.solution.plan
    np.testing.assert_allclose(plan.started[0, 0], [50, 0, 0], atol=1e-6)  # all 50 missing places, at once
    np.testing.assert_allclose(plan.places[0, 0], [100, 100, 150], atol=1e-6)
    np.testing.assert_allclose(plan.served[0, 0], [100, 100, 150], atol=1e-6)
    # the special fund pays for the children served, 1,000 yuan each, and nothing more
    np.testing.assert_allclose(result.solution.special_fund[0, 0], [100_000, 100_000, 150_000], rtol=1e-8)
    assert result.solution.objective == pytest.approx(2 * 50 * 1000, rel=1e-8)  # 50 unserved in 2025 and 2026
    table = result.places
    assert table["ready"].tolist() == pytest.approx([0, 0, 50], abs=1e-6)
    assert table["capital_spending"].tolist() == pytest.approx([250_000, 0, 0], rel=1e-8)
    assert result.allocations["coverage_after"].tolist() == pytest.approx([2 / 3, 2 / 3, 1.0], rel=1e-8)


def test_no_place_is_started_that_could_never_serve(tmp_path: Path) -> None:
    instance = fo.load_instance(write_instance(tmp_path, school([2025, 2026], lead_time=2)))
    assert formulate(instance).lp.var_blocks["places_started"].labels == []  # no year leaves the lead time
    np.testing.assert_allclose(fo.solve(instance).solution.plan.served[0, 0], [100, 100], atol=1e-6)


def test_places_depreciate_from_the_first_year(tmp_path: Path) -> None:
    result = solve(tmp_path, school([2025, 2026], depreciation=0.1, capital_cost=0))
    plan = result.solution.plan
    # the 100 places are 90 in 2025; new places cost nothing, so all 150 children are served: 60 new
    # places in 2025, and in 2026 the 15 that a tenth of 150 loses
    np.testing.assert_allclose(plan.served[0, 0], [150, 150], atol=1e-6)
    np.testing.assert_allclose(plan.started[0, 0], [60, 15], atol=1e-6)
    assert result.residuals["capacity"] <= 1e-9


def test_places_bind_and_leave_a_shortfall_with_money_to_spare(tmp_path: Path) -> None:
    spec = school()
    spec["regions"][0]["local_capital"] = 0  # no capital, no capital fund: nothing can be built
    result = solve(tmp_path, spec)
    plan = result.solution.plan
    assert plan.served[0, 0, 0] == pytest.approx(100, abs=1e-6)
    assert plan.started.sum() == pytest.approx(0, abs=1e-9)
    s = result.summary
    assert s["budget_used"]["0"] == pytest.approx(100_000, rel=1e-8)
    assert s["budget_unallocated"]["0"] == pytest.approx(900_000, rel=1e-8)
    assert s["budget_shadow_price"]["0"]["value"] == pytest.approx(0, abs=1e-12)
    assert result.allocations["shortfall"].iloc[0] == pytest.approx(50_000, rel=1e-8)
    assert "capacity" in result.regions["binding_rules"].iloc[0].split(";")


def conversion(cost: float, idle_cost: float = 0.0, budget: float = 1_000_000, health: bool = False) -> dict:
    """One region, one year: 200 school places for 100 children, 100 care beds for 150 elderly.
    A new place costs 10,000 yuan; a school place becomes a bed for ``cost`` (half the schools at
    most); the region has 100,000 yuan of capital."""
    services = {
        "education": {"driver": "age0_14", "unit_cost": 1000, "capacity": "schools", "capital_cost": 10_000,
                      "idle_cost": idle_cost, "convert_to": {"elderly": {"cost": cost, "max_share": 0.5}}},
        "elderly": {"driver": "age65plus", "unit_cost": 1000, "capacity": "beds", "capital_cost": 10_000},
    }
    if health:
        services["health"] = {"driver": "population", "unit_cost": 100}
    return {
        "name": "conversion", "money_unit": "yuan",
        "regions": [{"id": "A", "population": 1000, "migrants": 0, "age0_14": 100, "age65plus": 150,
                     "fiscal_capacity": 1000, "schools": 200, "beds": 100, "local_capital": 100_000}],
        "services": services, "budget": {"special_fund": budget}, "policy": {"name": "p"},
    }


def test_conversion_is_chosen_when_it_is_cheaper_than_building(tmp_path: Path) -> None:
    cheap = solve(tmp_path, conversion(cost=2000)).solution.plan
    assert cheap.converted[0, 0, 0] == pytest.approx(50, rel=1e-7)  # 50 beds for 100,000 yuan
    assert cheap.started.sum() == pytest.approx(0, abs=1e-6)
    assert cheap.served[0, 1, 0] == pytest.approx(150, rel=1e-7)
    dear = solve(tmp_path, conversion(cost=12_000)).solution.plan
    assert dear.started[0, 1, 0] == pytest.approx(10, rel=1e-7)  # 10 new beds rather than 8.3 converted
    assert dear.converted.sum() == pytest.approx(0, abs=1e-6)
    assert dear.served[0, 1, 0] == pytest.approx(110, rel=1e-7)


def test_idle_upkeep_makes_converting_idle_places_pay(tmp_path: Path) -> None:
    """No bed is missing here (150 beds for 150 elderly), so conversion serves no one. But each of
    the 100 idle school places costs 400 yuan a year of upkeep, paid from a special fund too small
    for everything (300,000 yuan for 350,000 of need): converted, they cost nothing, and the 40,000
    yuan serve 40 more people."""
    spec = conversion(cost=500, idle_cost=400, budget=300_000, health=True)
    spec["regions"][0]["beds"] = 150
    upkeep = solve(tmp_path, spec)
    assert upkeep.solution.plan.converted[0, 0, 0] == pytest.approx(100, rel=1e-7)  # all it may: half of 200
    assert upkeep.solution.plan.idle[0, 0, 0] == pytest.approx(0, abs=1e-6)
    assert upkeep.solution.objective == pytest.approx(50_000, rel=1e-8)  # 350,000 of need, 300,000 paid
    kept = copy.deepcopy(spec)
    kept["services"]["education"]["convert_to"]["elderly"]["max_share"] = 0.0
    # kept, the 200 places' upkeep (80,000) comes first out of education's fund ceiling (its standard
    # cost, 100,000): 20,000 is left to serve 33⅓ children at 600 yuan net each (1,000 less the 400 a
    # used place no longer costs idle); the other services share the rest
    assert solve(tmp_path, kept).solution.objective == pytest.approx(50_000 + 200_000 / 3, rel=1e-8)
    free = copy.deepcopy(spec)
    free["services"]["education"]["idle_cost"] = 0
    no_upkeep = solve(tmp_path, free)
    assert no_upkeep.solution.plan.converted.sum() == pytest.approx(0, abs=1e-6)  # nothing to gain: not done
    assert no_upkeep.solution.objective == pytest.approx(50_000, rel=1e-8)


def test_the_capital_fund_pays_its_share_where_priority_is_highest(tmp_path: Path) -> None:
    """Two regions each lack 50 school places; B has more migrants (priority 1.5); the capital fund
    pays at most 60 % of a place (central share cap) and holds 300,000 yuan: 100 places' share."""
    spec = school()
    spec["services"]["education"]["local_funding"] = "local_education"
    a = spec["regions"][0] | {"local_capital": 0, "central_share_cap": 0.6, "local_education": 60_000}
    b = a | {"id": "B", "migrants": 500}
    spec["regions"] = [a, b]
    spec["budget"]["capital_fund"] = 150_000  # the share of 50 places at 5,000 × 0.6 = 3,000 each
    plan = solve(tmp_path, spec).solution.plan
    # with no local capital, 40 % of every place must come from somewhere: nothing can be built
    assert plan.started.sum() == pytest.approx(0, abs=1e-6)
    spec["regions"] = [a | {"local_capital": 100_000}, b | {"local_capital": 100_000}]
    plan = solve(tmp_path, spec).solution.plan
    # B first (priority): 50 places, 250,000 yuan, 150,000 of it from the fund; A gets nothing more
    assert plan.started[1, 0, 0] == pytest.approx(50, rel=1e-7)
    assert plan.grant[1, 0] == pytest.approx(150_000, rel=1e-7)
    assert plan.grant[0, 0] == pytest.approx(0, abs=1e-6)
    # A builds from its own capital alone: 100,000 yuan is 20 places
    assert plan.started[0, 0, 0] == pytest.approx(20, rel=1e-7)


def test_the_capital_fund_a_coverage_rule_needs_is_the_repair(tmp_path: Path) -> None:
    spec = school([2025, 2026])
    spec["regions"][0] |= {"local_capital": 0}
    spec["budget"]["capital_fund"] = 100_000
    spec["policy"]["min_coverage"] = {"education": 1.0}
    with pytest.raises(fo.InfeasibleError) as info:
        solve(tmp_path, spec)
    repair = next(r for r in info.value.repairs if r["rule"] == "budget.capital_fund")
    # 50 places at 5,000 yuan, all in the first year, paid by the centre (share cap 1)
    assert repair["nearest_feasible"] == pytest.approx([250_000, 0], rel=1e-6, abs=1e-3)
    assert "budget.capital_fund: at least 250,000, 0 yuan per year" in str(info.value)


def test_a_coverage_asked_before_new_places_are_ready_is_explained(tmp_path: Path) -> None:
    spec = school([2025, 2026], lead_time=1)
    spec["policy"]["min_coverage"] = {"education": 0.9}
    with pytest.raises(fo.InfeasibleError, match=r"min_coverage\[A,education,2025\] needs 135 places in use but at "
                                                 r"most 100 can be by 2025 \(places started in 2025 serve from 2026"):
        solve(tmp_path, spec)


def test_upkeep_no_region_can_pay_is_explained(tmp_path: Path) -> None:
    spec = school(idle_cost=900)
    spec["regions"][0] |= {"school_places": 2000}
    spec["budget"]["special_fund"] = 100_000
    spec["services"]["education"]["central_share_cap"] = 0.5
    with pytest.raises(fo.InfeasibleError, match="idle places cost more upkeep than a region can pay"):
        solve(tmp_path, spec)


# ----------------------------------------------------------------------------------- flows of people


def two_regions(basis: str) -> dict:
    """A (no migrants) and B (half migrants, priority 1.5), 1,000 residents each; a service costing 2
    yuan a resident; a special fund of 1,500 a year; last year A received 1,000. In 2026, 100 people
    move from A to B."""
    return {
        "name": "flows", "money_unit": "yuan", "years": [2025, 2026],
        "regions": [{"id": "A", "population": 1000, "migrants": 0, "age0_14": 200, "fiscal_capacity": 100,
                     "prior_transfer": 1000},
                    {"id": "B", "population": 1000, "migrants": 500, "age0_14": 100, "fiscal_capacity": 100,
                     "prior_transfer": 500}],
        "services": {"basic": {"driver": "population", "unit_cost": 2}},
        "budget": {"special_fund": 1500},
        "migration": {"migration_csv": "flows.csv"},
        "policy": {"name": "p", "hold_harmless": {"max_cut": 0.0, "basis": basis}},
    }


def write_flows(tmp_path: Path, text: str = "origin,destination,year,persons\nA,B,2026,100\n") -> None:
    (tmp_path / "flows.csv").write_text(text, encoding="utf-8")


def test_flows_move_residents_migrants_and_drivers(tmp_path: Path) -> None:
    write_flows(tmp_path, "origin,destination,year,persons,age0_14\nA,B,2026,100,30\n")
    spec = two_regions("total")
    spec["services"]["schools"] = {"driver": "age0_14", "unit_cost": 1}
    result = solve(tmp_path, spec)
    p = result.params
    np.testing.assert_allclose(p.population, [[1000, 900], [1000, 1100]])
    np.testing.assert_allclose(p.migrants, [[0, 0], [500, 600]])  # every arrival is a migrant; A had none
    # the region columns a formula may use as factors are those after the flows too
    np.testing.assert_allclose(p.columns["population"], p.population)
    np.testing.assert_allclose(p.columns["age0_14"], [[200, 170], [100, 130]])
    assert result.allocations.query("service == 'schools' and year == 2026")["standard_cost"].tolist() == \
        pytest.approx([170, 130])  # 200 − 30 and 100 + 30 children
    assert result.regions["net_migration"].tolist() == [0, -100, 0, 100]


def test_per_capita_hold_harmless_lets_an_outflow_regions_transfer_fall_with_its_residents_and_no_further(
        tmp_path: Path) -> None:
    write_flows(tmp_path)
    per_head = solve(tmp_path, two_regions("per_capita")).regions.set_index(["region", "year"])["transfer"]
    # B's priority is higher: every yuan A may lose goes to B. A loses a tenth of its residents
    assert per_head[("A", 2025)] == pytest.approx(1000, rel=1e-8)
    assert per_head[("A", 2026)] == pytest.approx(900, rel=1e-8)  # 1,000 × 900 / 1,000, no further
    assert per_head[("B", 2026)] == pytest.approx(600, rel=1e-8)
    total = solve(tmp_path, two_regions("total")).regions.set_index(["region", "year"])["transfer"]
    assert total[("A", 2026)] == pytest.approx(1000, rel=1e-8)  # the total basis holds A's money in place
    money = solve(tmp_path, two_regions("per_capita")).summary["by_region"]
    assert [r["people_gained"] for r in money] == [-100, 100]
    assert money[0]["money_with_people"] == pytest.approx(-100 * 900 / 900, rel=1e-8)  # 1 yuan a head × −100


def test_net_flows_come_from_and_go_outside(tmp_path: Path) -> None:
    (tmp_path / "net.csv").write_text("region,year,persons\nA,2026,-100\nB,2026,50\n", encoding="utf-8")
    spec = two_regions("total") | {"migration": {"net_csv": "net.csv"}}
    p = solve(tmp_path, spec).params
    np.testing.assert_allclose(p.population, [[1000, 900], [1000, 1050]])
    np.testing.assert_allclose(p.migrants, [[0, 0], [500, 550]])


def test_a_flow_table_is_refused_with_its_file_line_and_column(tmp_path: Path) -> None:
    write_flows(tmp_path, "origin,destination,year,persons\nA,B,2026,10\nA,B,2026,20\nB,B,2026,1\n")
    with pytest.raises(fo.InputError) as info:
        fo.load_instance(write_instance(tmp_path, two_regions("total")))
    text = str(info.value)
    assert "flows.csv:4: row 3.destination: a flow from region 'B' to itself" in text
    write_flows(tmp_path, "origin,destination,year,persons\nA,B,2026,10\nA,B,2026,20\n")
    with pytest.raises(fo.InputError, match=r"flows.csv:3: row 2.year: a second row for the same flow and year "
                                            r"\(first at row 1\)"):
        fo.load_instance(write_instance(tmp_path, two_regions("total")))
    write_flows(tmp_path, "origin,destination,year,persons\nA,B,2026,600\nA,B,2026,0\n"
                          "origin,destination,year,persons\n")
    with pytest.raises(fo.InputError, match=r"row 3.year: not a number"):
        fo.load_instance(write_instance(tmp_path, two_regions("total")))


def test_flows_that_empty_a_region_are_refused(tmp_path: Path) -> None:
    spec = two_regions("total")
    spec["years"] = [2025, 2026, 2027]
    write_flows(tmp_path, "origin,destination,year,persons\nA,B,2026,600\nA,B,2027,400\n")
    with pytest.raises(fo.InputError, match=r"after the flows up to 2027, region 'A' has no residents left"):
        fo.load_instance(write_instance(tmp_path, spec))
