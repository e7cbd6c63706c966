"""The public pipeline: validated instance → params → model → solve → verified result."""

from __future__ import annotations

import time

from .model.baseline import formula_special_fund
from .errors import InfeasibleError, SolverError
from .solver.highs import SolverOptions
from .io.instance import Instance, Policy
from .model.build import build
from .model.params import derive
from .solver.repair import diagnose_with_repairs
from .results.result import Result
from .solver.stages import run_stages
from .solver.verify import hard_violations, rule_residuals


def solve(instance: Instance, policy: Policy | None = None, *, engine: str = "highs",
          options: SolverOptions | None = None, tie_break: bool = True, repairs: bool = True) -> Result:
    """Solve ``instance`` under ``policy`` (default: the instance's own, else weighted shortfall
    with no rules) and return the verified :class:`Result`.

    ``engine`` is ``highs`` (bulk hand-off to highspy, the default) or ``pyomo`` (Pyomo's own HiGHS
    interface, slower, the reference). ``repairs=False`` leaves the nearest feasible changes out of
    an infeasibility diagnosis (they take a solve per bisection step). Raises :class:`~fiscal_opt.errors.InputError`,
    :class:`~fiscal_opt.errors.InfeasibleError` or :class:`~fiscal_opt.errors.SolverError`.
    """
    policy = policy or instance.policy or Policy()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    params = derive(instance, policy)
    timings["derive"] = time.perf_counter() - start
    start = time.perf_counter()
    formulation = build(params, policy)
    timings["build"] = time.perf_counter() - start
    options = options or SolverOptions()
    try:
        solution, stage_times = run_stages(formulation, options, engine, tie_break)
    except InfeasibleError as exc:
        raise (diagnose_with_repairs(params, policy, exc, options) if repairs else exc) from None
    timings |= stage_times
    start = time.perf_counter()
    budget = params.special_fund if params.special_fund is not None else solution.special_fund.sum(axis=(0, 1))
    base_x = formula_special_fund(params.weight, params.gap, params.ceiling, budget)
    base_y = params.formula_incentive
    timings["baseline"] = time.perf_counter() - start
    start = time.perf_counter()
    residuals = rule_residuals(params, policy, solution.special_fund, solution.incentive)
    broken = hard_violations(residuals, policy)
    if broken:
        raise SolverError("the solver's answer breaks rules when checked independently: "
                          + ", ".join(f"{k} by {v:.3g}" for k, v in broken.items())
                          + "; no answer is reported")
    baseline_res = rule_residuals(params, policy, base_x, base_y, budget)
    baseline_breaks = sorted(hard_violations(baseline_res, policy.model_copy(update={
        "min_coverage": None if policy.min_coverage is None else policy.min_coverage.model_copy(update={"soft": False}),
    })))
    timings["verify"] = time.perf_counter() - start
    return Result(instance=instance, policy=policy, params=params, solution=solution, baseline_special_fund=base_x,
                  baseline_incentive=base_y, residuals=residuals, baseline_breaks=baseline_breaks, timings=timings)
