"""The public pipeline: validated instance → checked pair → params → model → solve → verified result."""

from __future__ import annotations

import time
from typing import Any

from .errors import InfeasibleError, InputError, Problem, SolverError
from .io.instance import Instance, Policy
from .model.baseline import formula_special_fund
from .model.capacity import baseline_plan
from .model.build import Formulation, build
from .io.check import check
from .model.params import derive
from .results.result import Result
from .solver.options import SolverOptions
from .solver.repair import diagnose_with_repairs
from .solver.stages import WarmStart, run_stages
from .solver.verify import hard_violations, rule_residuals, violations


def formulate(instance: Instance, policy: Policy | None = None) -> Formulation:
    """The LP of ``instance`` under ``policy`` (default: the instance's own, else weighted shortfall
    with no rules), after every cross-check of the pair (:func:`fiscal_opt.io.check.check`)."""
    policy = policy or instance.policy or Policy()
    check(instance, policy)
    return build(derive(instance, policy), policy)


def to_pyomo(instance: Instance, policy: Policy | None = None) -> Any:
    """The Pyomo model of ``instance`` under ``policy`` (:mod:`fiscal_opt.model.pyomo_model`):
    extend it with constraints of your own and solve it with ``fo.solve(instance, policy, model=m)``."""
    from .model.pyomo_model import to_pyomo as pyomo_model

    model = pyomo_model(formulate(instance, policy))
    model.instance = instance
    return model


def solve(instance: Instance, policy: Policy | None = None, *, options: SolverOptions | None = None,
          tie_break: bool = True, repairs: bool = True, model: Any = None, warm: WarmStart | None = None) -> Result:
    """Solve ``instance`` under ``policy`` (default: the instance's own, else weighted shortfall
    with no rules) and return the verified :class:`Result`.

    ``options.solver`` picks the engine: ``highs`` (bulk hand-off to highspy, the default) or any
    solver Pyomo knows, through the Pyomo model. ``model`` is a Pyomo model from :func:`to_pyomo`
    for the same instance and policy, possibly with constraints of a user's own; it is solved
    through Pyomo. ``repairs=False`` leaves the nearest feasible changes out of an infeasibility
    diagnosis (they take a solve per bisection step). ``warm`` carries the primary stage's basis
    from one solve to the next of the same instance's LP shape (sweeps, scenario draws): the answer
    is the same, only the time differs. Raises :class:`~fiscal_opt.errors.InputError`,
    :class:`~fiscal_opt.errors.InfeasibleError` or :class:`~fiscal_opt.errors.SolverError`.
    """
    policy = policy or instance.policy or Policy()
    options = options or SolverOptions()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    check(instance, policy)
    params = derive(instance, policy)
    timings["derive"] = time.perf_counter() - start
    start = time.perf_counter()
    if model is not None:
        formulation = _formulation_of(model, instance, policy)
    else:
        formulation = build(params, policy)
    timings["build"] = time.perf_counter() - start
    try:
        solution, stage_times = run_stages(formulation, options, tie_break, model=model, warm=warm)
    except InfeasibleError as exc:
        raise (diagnose_with_repairs(params, policy, exc, options) if repairs else exc) from None
    timings |= stage_times
    start = time.perf_counter()
    budget = params.special_fund if params.special_fund is not None else solution.special_fund.sum(axis=(0, 1))
    base_x = formula_special_fund(params.weight, params.gap, params.ceiling, budget)
    base_y = params.formula_incentive
    base_plan = None if params.capacity is None else baseline_plan(params.capacity, params.local_funding, base_x)
    timings["baseline"] = time.perf_counter() - start
    start = time.perf_counter()
    residuals = rule_residuals(params, policy, solution.special_fund, solution.incentive, plan=solution.plan)
    broken = hard_violations(residuals, policy)
    if broken:
        raise SolverError("the solver's answer breaks rules when checked independently: "
                          + ", ".join(f"{k} by {v:.3g}" for k, v in broken.items())
                          + "; no answer is reported")
    baseline_breaks = sorted(violations(rule_residuals(params, policy, base_x, base_y, budget, base_plan)))
    timings["verify"] = time.perf_counter() - start
    return Result(instance=instance, policy=policy, params=params, solution=solution, baseline_special_fund=base_x,
                  baseline_incentive=base_y, residuals=residuals, baseline_breaks=baseline_breaks, timings=timings,
                  baseline_plan=base_plan)


def _formulation_of(model: Any, instance: Instance, policy: Policy) -> Formulation:
    """The formulation a user's Pyomo ``model`` was built from, checked to be this instance's."""
    f = getattr(model, "formulation", None)
    if not isinstance(f, Formulation):
        raise InputError(Problem("model", "", "not a fiscal_opt Pyomo model: build it with fo.to_pyomo(instance, "
                                 "policy) and add your constraints to it"))
    if getattr(model, "instance", None) is not instance or f.policy != policy:
        raise InputError(Problem("model", "", "the Pyomo model was built for another instance or policy; build it "
                                 "with fo.to_pyomo() from the instance and policy you solve"))
    return f
