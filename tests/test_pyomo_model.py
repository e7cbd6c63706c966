"""The Pyomo model as an open door: named components in the instance's units, any Pyomo solver,
and constraints of a user's own (docs/pyomo.md)."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest

import fiscal_opt as fo
from conftest import REPO, two_regions, write_instance
from fiscal_opt.model.coverage_value import shortfall_value

DEMO = REPO / "instances" / "demo-4.yaml"
EFFICIENCY = REPO / "models" / "efficiency.yaml"
needs_glpk = pytest.mark.skipif(shutil.which("glpsol") is None, reason="GLPK (Debian's glpk-utils) is not installed")


def test_the_documented_example_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(REPO)
    runpy.run_path(str(REPO / "docs" / "examples" / "pyomo_user_constraint.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "with the Rustbelt floor  E gets  200.00" in out


def _rustbelt_floor(m: pyo.ConcreteModel, amount: float) -> None:
    m.rustbelt = pyo.Constraint(expr=sum(m.special_fund[k] for k in m.special_fund if k[0] == "E") >= amount)


@pytest.mark.parametrize("solver", ["highs", "appsi_highs", pytest.param("glpk", marks=needs_glpk)])
def test_a_user_constraint_binds_and_every_rule_still_holds(solver: str) -> None:
    inst, policy = fo.load_instance(DEMO), fo.load_policy(EFFICIENCY)
    free = fo.solve(inst, policy)
    m = fo.to_pyomo(inst, policy)
    _rustbelt_floor(m, 200)
    res = fo.solve(inst, policy, model=m, options=fo.SolverOptions(solver=solver))
    special = res.regions.set_index("region")["special_fund"]
    assert special["E"] == pytest.approx(200, rel=1e-9)
    assert special.sum() == pytest.approx(1200, rel=1e-9)
    # the reported objective is the valued shortfall of the allocation, and the floor costs some
    assert res.solution.objective == pytest.approx(
        float(shortfall_value(res.params, policy, res.solution.special_fund).sum()), rel=1e-12)
    assert res.solution.objective > free.solution.objective + 1
    assert res.solution.solver["engine"] == "pyomo"


def test_solving_leaves_the_users_model_as_it_was() -> None:
    inst, policy = fo.load_instance(DEMO), fo.load_policy(EFFICIENCY)
    m = fo.to_pyomo(inst, policy)
    _rustbelt_floor(m, 200)
    before = (m.budget[2025].lb, m.budget[2025].ub, m.special_fund["E", "elderly", 2025].bounds)
    first = fo.solve(inst, policy, model=m)
    assert (m.budget[2025].lb, m.budget[2025].ub, m.special_fund["E", "elderly", 2025].bounds) == before
    second = fo.solve(inst, policy, model=m)
    np.testing.assert_allclose(first.solution.special_fund, second.solution.special_fund, atol=1e-9)


def test_components_are_named_for_the_rules_in_the_instances_units(tmp_path: Path) -> None:
    spec = two_regions(per_capita_floor=0.9, gini_max=0.2)
    spec["money_unit"] = "10k_yuan"
    spec["regions"][0]["fiscal_capacity"] = 0.01  # 100 yuan, as in the hand-solved case
    spec["regions"][1]["fiscal_capacity"] = 0.01
    spec["budget"]["special_fund"] = 0.01
    inst = fo.load_instance(write_instance(tmp_path, spec))
    m = fo.to_pyomo(inst)
    assert {"special_fund", "budget", "per_capita_floor", "gini", "per_capita"} <= {
        c.name for c in m.component_objects(descend_into=False)}
    assert m.special_fund["A", "basic", 0].ub == pytest.approx(0.01)  # the ceiling, in 万元
    assert "10k_yuan" in m.special_fund.doc and "yuan per person" in m.per_capita.doc
    res = fo.solve(inst, model=m)
    # the per-capita variable holds resources per head in yuan per person: (100 + x) / 100
    after = res.regions.set_index("region")["resources_per_capita_after"]
    solved = res.to_pyomo()
    assert pyo.value(solved.special_fund["B", "basic", 0]) == pytest.approx(0.0035, rel=1e-9)
    assert after["B"] == pytest.approx(1.35, rel=1e-9)


def test_a_model_of_another_instance_is_refused() -> None:
    inst, policy = fo.load_instance(DEMO), fo.load_policy(EFFICIENCY)
    m = fo.to_pyomo(inst, policy)
    with pytest.raises(fo.InputError, match="another instance or policy"):
        fo.solve(fo.load_instance(DEMO), policy, model=m)
    with pytest.raises(fo.InputError, match="not a fiscal_opt Pyomo model"):
        fo.solve(inst, policy, model=pyo.ConcreteModel())


@pytest.mark.parametrize("name, message", [("quantum", "unknown solver"), ("gurobi", "not installed")])
def test_a_solver_that_cannot_run_is_bad_input(name: str, message: str) -> None:
    with pytest.raises(fo.InputError, match=message):
        fo.solve(fo.load_instance(DEMO), options=fo.SolverOptions(solver=name))
