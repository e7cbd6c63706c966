"""No wrong answer is ever reported: repairs of infeasible policies, solver limits, the
independent check, and numerical robustness across money units and region sizes."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import fiscal_opt as fo
import fiscal_opt.solver.stages as stages
from conftest import two_regions, write_instance


def _infeasible(tmp_path, spec) -> fo.InfeasibleError:
    with pytest.raises(fo.InfeasibleError) as err:
        fo.solve(fo.load_instance(write_instance(tmp_path, spec)))
    return err.value


def _repairs(err: fo.InfeasibleError) -> dict:
    return {r["rule"]: r["nearest_feasible"] for r in err.repairs}


def test_repairs_for_a_floor_against_hold_harmless(tmp_path):
    spec = two_regions(per_capita_floor=1.0, hold_harmless={"max_cut": 0.0})
    spec["regions"][0]["prior_transfer"] = 100
    spec["regions"][1]["prior_transfer"] = 0
    repairs = _repairs(_infeasible(tmp_path, spec))
    # A keeps 100, so B needs 100 too for equal resources: budget 200; or A may be cut to 50;
    # or the floor drops to Q_B / mean = 100 / 150
    assert repairs["budget"] == pytest.approx([200])
    assert repairs["hold_harmless.max_cut"] == pytest.approx(0.5, abs=1e-4)
    assert repairs["per_capita_floor"] == pytest.approx(2 / 3, abs=1e-4)
    assert repairs["per_capita_floor"] <= 2 / 3          # the reported value is feasible


def test_repairs_for_coverage_above_the_budget(tmp_path):
    err = _infeasible(tmp_path, two_regions(min_coverage=0.9))
    assert _repairs(err)["budget"] == pytest.approx([180])
    assert _repairs(err)["min_coverage"] == pytest.approx(0.5, abs=1e-4)
    assert "at least 180 yuan" in str(err)


def test_repair_of_a_disparity_ratio(tmp_path):
    spec = two_regions(max_disparity_ratio=1.0, hold_harmless={"max_cut": 0.0})
    spec["regions"][0]["prior_transfer"] = 100
    spec["regions"][1]["prior_transfer"] = 0
    # A keeps all 100: resources 200 vs 100
    assert _repairs(_infeasible(tmp_path, spec))["max_disparity_ratio"] == pytest.approx(2.0, abs=1e-4)


def test_time_limit_is_a_solver_failure_not_an_answer(tmp_path):
    inst = fo.load_instance(write_instance(tmp_path, two_regions(per_capita_floor=0.5)))
    with pytest.raises(fo.SolverError, match="time limit"):
        fo.solve(inst, options=fo.SolverOptions(time_limit=0.0))


def test_an_answer_that_breaks_a_rule_is_refused(tmp_path, monkeypatch):
    inst = fo.load_instance(write_instance(tmp_path, two_regions(per_capita_floor=0.9)))
    real = stages._extract

    def corrupt(*args, **kwargs):
        solution = real(*args, **kwargs)
        solution.special_fund[:] = 0.0
        solution.special_fund[0] = 100.0    # everything to A: B's floor is broken
        return solution

    monkeypatch.setattr(stages, "_extract", corrupt)
    with pytest.raises(fo.SolverError, match="per_capita_floor"):
        fo.solve(inst)


def test_residuals_are_reported(tmp_path):
    res = fo.solve(fo.load_instance(write_instance(tmp_path, two_regions(per_capita_floor=0.9))))
    assert set(res.summary["rule_residuals"]) >= {"budget", "per_capita_floor", "fund_ceiling"}
    assert max(res.summary["rule_residuals"].values()) <= 1e-6


def _mixed_sizes(unit: str, factor: float) -> dict:
    """Regions from 10³ to 10⁸ residents, money in ``unit`` (``factor`` yuan per unit)."""
    pops = [1_000, 30_000, 2_000_000, 45_000_000, 100_000_000]
    regions = [{"id": f"R{i}", "population": p, "migrants": p // (3 + i), "age65plus": p // 7,
                "fiscal_capacity": p * (900 + 250 * i) / factor, "central_share_cap": [0.8, 0.6, 0.5, 0.3, 0.1][i],
                "prior_transfer": p * 150 / factor, "reform_score": 0.3 + 0.15 * i}
               for i, p in enumerate(pops)]
    total = sum(pops)
    return {"name": "mixed", "money_unit": unit, "regions": regions,
            "services": {"health": {"driver": "population", "unit_cost": 1300, "local_share": 0.1},
                         "elderly": {"driver": "age65plus", "unit_cost": 3000, "local_share": 0.05}},
            "budget": {"special_fund": total * 600 / factor, "incentive_pool": total * 20 / factor},
            "incentive": {"flexibility": 0.2},
            "policy": {"name": "mixed", "objective": "max_min_coverage", "per_capita_floor": 0.5,
                       "hold_harmless": {"max_cut": 0.5}}}


def test_tiny_and_huge_regions_in_yuan_match_the_same_instance_in_100m_yuan(tmp_path):
    in_yuan = fo.solve(fo.load_instance(write_instance(tmp_path, _mixed_sizes("yuan", 1.0), "yuan.yaml")))
    in_yi = fo.solve(fo.load_instance(write_instance(tmp_path, _mixed_sizes("100m_yuan", 1e8), "yi.yaml")))
    a = in_yuan.allocations["special_fund"].to_numpy()
    b = in_yi.allocations["special_fund"].to_numpy() * 1e8
    # the same allocation to 10⁻⁶ of each cell's own ceiling: the 1,000-resident region included
    ceiling = in_yuan.allocations["ceiling"].to_numpy()
    assert np.all(np.abs(a - b) <= 1e-6 * np.maximum(ceiling, 1.0))
    assert in_yuan.solution.objective == pytest.approx(in_yi.solution.objective, rel=1e-9)


def test_determinism_of_the_whole_summary(tmp_path):
    spec = _mixed_sizes("10k_yuan", 1e4)
    inst = fo.load_instance(write_instance(tmp_path, copy.deepcopy(spec)))
    first, second = fo.solve(inst).summary, fo.solve(inst).summary
    first.pop("timings"), second.pop("timings")
    assert first == second


def test_an_instance_with_nothing_to_fund_solves_to_zero(solve_spec):
    # local funding covers every standard cost and there is no incentive pool: the LP has no
    # columns at all (HiGHS reports such a model as "Empty"), and the answer is to pay nothing
    spec = two_regions()
    spec["services"]["basic"]["local_share"] = 1.0
    res = solve_spec(spec)
    assert res.solution.status == "optimal"
    assert res.solution.special_fund.sum() == 0.0
    assert res.solution.objective == 0.0
    assert res.summary["status"] == "optimal"
