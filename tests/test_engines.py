"""The direct HiGHS engine and the Pyomo engine give the same optimum, on every instance and policy.

``solver="highs"`` hands the formulation's arrays to highspy in bulk (warm-started stages, the
algorithm chosen by shape, budget ranging by basis solves); any other solver name solves the Pyomo
model of the same formulation through Pyomo (``glpk`` from Debian's glpk-utils, installed by CI;
``appsi_highs`` through Pyomo's own HiGHS interface). Both must reach the same objective and the
same allocation. Also a smoke run of the quick benchmark suite.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import fiscal_opt as fo
from fiscal_opt.generate.synthetic import generate_instance, write_instance
from fiscal_opt.model.build import build
from fiscal_opt.model.lp import LinearProgram
from fiscal_opt.model.params import derive
from fiscal_opt.solver.highs import DirectHighs

REPO = Path(__file__).resolve().parents[1]
INSTANCES = sorted((REPO / "instances").glob("*.yaml"))
POLICIES = sorted((REPO / "models").glob("*.yaml"))
OBJECTIVE_RTOL = 1e-6
ALLOCATION_TOL = 1e-5  # × the instance's largest fund ceiling: the optimal face each engine holds is found to its
# own tolerances, and the tie rule's minimiser moves with it (2·10⁻⁶ seen with coverage bands)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic instance: 40 regions, 4 services, 2 years (incentive flexibility 0.1)."""
    return write_instance(generate_instance(40, years=2, seed=3, services=4), tmp_path_factory.mktemp("gen"))


PYOMO_SOLVERS = ["appsi_highs", pytest.param("glpk", marks=pytest.mark.skipif(
    shutil.which("glpsol") is None, reason="GLPK (Debian's glpk-utils, which .ci/run installs) is not on this machine"))]


def _solve(instance: fo.Instance, policy: fo.Policy, solver: str) -> fo.Result | str:
    try:
        return fo.solve(instance, policy, options=fo.SolverOptions(solver=solver))
    except fo.InfeasibleError:
        return "infeasible"


PLACES_GLPK_RTOL = 2e-5
"""GLPK on an instance with places: its simplex stops up to 1.3·10⁻⁵ short of the optimum that both
HiGHS paths agree on to 10⁻⁸ (the Pyomo model is in the instance's units, persons near 10⁸ beside
money near 10³), with every rule holding (checked below)."""


def _same_optimum(instance: fo.Instance, policy: fo.Policy, solver: str = "appsi_highs") -> None:
    fast, plain = _solve(instance, policy, "highs"), _solve(instance, policy, solver)
    if isinstance(fast, str) or isinstance(plain, str):
        assert fast == plain, "one engine found the policy infeasible, the other did not"
        return
    places = fast.params.capacity is not None
    rtol = PLACES_GLPK_RTOL if places and solver == "glpk" else OBJECTIVE_RTOL
    assert fast.solution.objective == pytest.approx(plain.solution.objective, rel=rtol, abs=1e-9)
    if places:
        # With places the optimum is degenerate (where a region builds, converts or leaves places
        # idle, at equal cost), and the tie rule's face is fixed by each engine's reduced costs: both
        # answers are optimal and verified (solve refuses one that breaks a hard rule), but need not
        # be the same allocation.
        return
    scale = ALLOCATION_TOL * max(float(fast.params.ceiling.max(initial=0.0)), 1.0)
    np.testing.assert_allclose(fast.solution.special_fund, plain.solution.special_fund, rtol=0, atol=scale)
    np.testing.assert_allclose(fast.solution.incentive, plain.solution.incentive, rtol=0, atol=scale)
    # the first level is the max-min value, unique; the later levels leximin passes through depend on
    # which limiting cells a solver's (degenerate) duals name first, while the answer they lead to
    # is the same (the allocations above)
    np.testing.assert_allclose(fast.solution.coverage_levels[:1], plain.solution.coverage_levels[:1],
                               rtol=OBJECTIVE_RTOL, atol=1e-9)
    assert [s["stage"] for s in fast.solution.stages] == [s["stage"] for s in plain.solution.stages]


@pytest.mark.parametrize("solver", PYOMO_SOLVERS)
@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.stem)
@pytest.mark.parametrize("instance", INSTANCES, ids=lambda p: p.stem)
def test_engines_agree_on_shipped_instances(instance: Path, policy: Path, solver: str,
                                            request: pytest.FixtureRequest) -> None:
    if (instance.stem, policy.stem, solver) == ("china-2020-capacity", "leximin", "appsi_highs"):
        request.applymarker(pytest.mark.xfail(raises=fo.SolverError, strict=False, reason=(
            "known issue: through Pyomo (no retry at a looser tolerance, unlike the direct engine) HiGHS finds a "
            "held leximin stage of the capacity flagship infeasible")))
    _same_optimum(fo.load_instance(instance), fo.load_policy(policy), solver)


@pytest.mark.parametrize("policy", POLICIES + sorted((REPO / "benchmarks" / "policies").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_engines_agree_on_a_generated_instance(generated: Path, policy: Path) -> None:
    _same_optimum(fo.load_instance(generated), fo.load_policy(policy))


def test_incentive_split_is_unique() -> None:
    # the tie-break prices each incentive deviation 1 + a small premium by (region id, year), so
    # when the per-capita floor moves incentives, which region's incentive moves is unique
    inst = fo.load_instance(REPO / "instances" / "china-2020-provinces.yaml")
    policy = fo.load_policy(REPO / "models" / "equity-first.yaml")
    fast, plain = _solve(inst, policy, "highs"), _solve(inst, policy, "appsi_highs")
    np.testing.assert_allclose(fast.solution.incentive, plain.solution.incentive, rtol=0, atol=1e-6 * 100)


@pytest.mark.parametrize("method", ["simplex", "ipm", "highs"])
def test_every_method_reaches_the_same_optimum(generated: Path, method: str) -> None:
    inst, policy = fo.load_instance(generated), fo.load_policy(REPO / "benchmarks" / "policies" / "rules.yaml")
    reference = _solve(inst, policy, "appsi_highs")
    res = fo.solve(inst, policy, options=fo.SolverOptions(method=method))
    assert res.solution.objective == pytest.approx(reference.solution.objective, rel=OBJECTIVE_RTOL)


def test_quick_benchmark_suite_writes_json_and_markdown(tmp_path: Path) -> None:
    from benchmarks.suite import run_suite

    records = run_suite(quick=True, out=tmp_path, cli_repeat=1, progress=False)
    doc = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert {"date", "machine", "cli", "cases", "targets", "phases"} <= set(doc)
    assert {"cores", "python", "packages"} <= set(doc["machine"])
    assert {"help", "solve"} == set(doc["cli"])
    assert len(records) == len(doc["cases"]) >= 6
    for rec in doc["cases"]:
        assert "error" not in rec, rec.get("error")
    kinds = {kind: [r for r in doc["cases"] if r["kind"] == kind] for kind in ("solve", "sweep", "draws")}
    for rec in kinds["sweep"]:  # the warm sweep is the cold one, point for point, on one process or two
        assert rec["points"] == 20 and rec["status"] == {"optimal": 20}
        assert rec["largest_difference_warm"] < 1e-6 and rec["largest_difference_2_workers"] < 1e-6
    for rec in kinds["draws"]:  # two workers give the tables of one
        assert rec["identical"] and sum(rec["status"].values()) == rec["draws"] == 20
    assert kinds["sweep"] and kinds["draws"]
    for rec in kinds["solve"]:
        assert {"end_to_end_seconds", "peak_mb", "phases", "stages", "reference", "ratio", "lp"} <= set(rec)
        assert {"load", "derive", "build", "handoff", "solve", "extract", "write", "report"} \
            <= set(rec["phases"])
        assert rec["reference"]["objective_rel_diff"] < 1e-9  # the MPS file is the LP we solved
    markdown = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "| case |" in markdown and "ratio" in markdown and "provinces-rules" in markdown
    assert "| sweep-r330-y1 | 330 × 4 × 1 | 20 |" in markdown and "| draws-r330-y1 | 330 × 4 × 1 | 20 |" in markdown


@pytest.mark.parametrize("policy", ["current-practice", "equity-first", "leximin"])
def test_the_tie_break_keeps_the_optimum(generated: Path, policy: str) -> None:
    """The tie-break holds the optimal face: its answer is as good as the stage before it, on both
    engines, and the engines agree on the allocation it picks."""
    inst, pol = fo.load_instance(generated), fo.load_policy(REPO / "models" / f"{policy}.yaml")
    untied = fo.solve(inst, pol, tie_break=False)
    fast, plain = _solve(inst, pol, "highs"), _solve(inst, pol, "appsi_highs")
    for res in (fast, plain):
        assert res.solution.objective == pytest.approx(untied.solution.objective, rel=OBJECTIVE_RTOL)
    shortfall = [float((r.params.weight * (r.params.gap - r.solution.special_fund)).sum()) for r in (untied, fast)]
    assert shortfall[1] == pytest.approx(shortfall[0], rel=OBJECTIVE_RTOL)
    scale = ALLOCATION_TOL * max(float(fast.params.ceiling.max(initial=0.0)), 1.0)
    np.testing.assert_allclose(fast.solution.special_fund, plain.solution.special_fund, rtol=0, atol=scale)


def _tiny_engine() -> DirectHighs:
    """min −a − b subject to a + b ≤ 1, 0 ≤ a, b ≤ 1, handed to HiGHS directly."""
    lp = LinearProgram()
    lp.add_vars("x", [("a",), ("b",)], 0.0, 1.0)
    lp.add_rows("total", [("all",)], np.array([0, 0]), np.array([0, 1]), np.ones(2), upper=1.0)
    return DirectHighs(lp, np.array([-1.0, -1.0]), 0.0, fo.SolverOptions())


def test_a_fresh_stage_solves_the_held_face() -> None:
    engine = _tiny_engine()
    assert engine.run() == "optimal" and engine.objective() == pytest.approx(-1.0)
    engine.hold_optimal_face()
    engine.set_cost(np.array([1.0, 2.0]))  # on the face a + b = 1: cheapest is a = 1, b = 0
    assert engine.run(fresh=True) == "optimal"
    np.testing.assert_allclose(engine.values(), [1.0, 0.0], atol=1e-9)
    engine.set_cost(np.array([2.0, 1.0]))  # a second fresh stage on the same face
    assert engine.run(fresh=True) == "optimal"
    np.testing.assert_allclose(engine.values(), [0.0, 1.0], atol=1e-9)


def test_a_fresh_stage_that_cannot_be_solved_reports_its_status() -> None:
    # the held face made infeasible: the fresh solve, the looser retry and the warm start all fail
    engine = _tiny_engine()
    assert engine.run() == "optimal"
    engine.add_row(np.array([0, 1]), np.array([1.0, 1.0]), 1.5, 2.0)
    assert engine.run(fresh=True) == "infeasible"


@pytest.mark.parametrize("objective", ["weighted_shortfall", "max_min_coverage"])
def test_incentives_that_no_rule_links_are_the_formula(generated: Path, objective: str) -> None:
    """With no rule on transfers or resources the incentives are fixed at the formula ȳ (no order
    or deviation rows); a policy adding a rule that links them but never binds (a cut of up to
    100 %) reaches the same answer through the band, the order rows and the tie-break."""
    inst = fo.load_instance(generated)
    assert inst.incentive.flexibility > 0
    plain = fo.Policy(objective=objective)
    linked = plain.model_copy(update={"hold_harmless": fo.load_policy(REPO / "benchmarks" / "policies" / "rules.yaml")
                                      .hold_harmless.model_copy(update={"max_cut": 1.0})})
    fixed, banded = fo.solve(inst, plain), fo.solve(inst, linked)
    np.testing.assert_allclose(fixed.solution.incentive, fixed.params.formula_incentive, rtol=0, atol=1e-9)
    scale = ALLOCATION_TOL * float(fixed.params.ceiling.max())
    np.testing.assert_allclose(banded.solution.incentive, fixed.solution.incentive, rtol=0, atol=scale)
    np.testing.assert_allclose(banded.solution.special_fund, fixed.solution.special_fund, rtol=0, atol=scale)
    assert fixed.solution.objective == pytest.approx(banded.solution.objective, rel=OBJECTIVE_RTOL)
    blocks = build(derive(inst, plain), plain).lp.row_blocks
    assert "incentive_order" not in blocks and "incentive_deviation_abs" not in blocks
    assert "incentive_order" in build(derive(inst, linked), linked).lp.row_blocks
