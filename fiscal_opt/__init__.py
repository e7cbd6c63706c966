"""fiscal_opt: allocate central special funds and incentives so every region can serve its residents.

Public API (imported lazily so that ``fiscal-opt --help`` starts fast)::

    import fiscal_opt as fo
    inst = fo.load_instance("instances/demo-4.yaml")
    res = fo.solve(inst, policy=fo.load_policy("models/equity-first.yaml"))
    res.allocations, res.regions, res.metrics, res.shadow_prices
    res.write("out/")
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_instance": "fiscal_opt.io.load",
    "load_policy": "fiscal_opt.io.load",
    "solve": "fiscal_opt.api",
    "to_pyomo": "fiscal_opt.api",
    "check": "fiscal_opt.io.check",
    "sweep": "fiscal_opt.analysis.sweeps",
    "load_scenario": "fiscal_opt.io.scenario",
    "run_scenarios": "fiscal_opt.analysis.scenarios",
    "robust_plan": "fiscal_opt.analysis.plan",
    "design_formula": "fiscal_opt.analysis.design",
    "Instance": "fiscal_opt.io.instance",
    "Policy": "fiscal_opt.io.instance",
    "Result": "fiscal_opt.results.result",
    "SolverOptions": "fiscal_opt.solver.options",
    "FiscalOptError": "fiscal_opt.errors",
    "InputError": "fiscal_opt.errors",
    "InfeasibleError": "fiscal_opt.errors",
    "SolverError": "fiscal_opt.errors",
    "OutputError": "fiscal_opt.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'fiscal_opt' has no attribute {name!r}")
