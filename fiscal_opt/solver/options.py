"""How to solve: the solver, HiGHS's method, limits (:class:`SolverOptions`), checked when made."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError, Problem

METHODS = ("choose", "simplex", "ipm", "highs")
DIRECT = "highs"
"""The solver name of the direct HiGHS engine; any other name is a Pyomo solver."""


@dataclass(frozen=True)
class SolverOptions:
    """How to solve: ``solver`` is ``highs`` (HiGHS through its own interface, the default) or the
    name of a solver Pyomo knows (``glpk``, ``cbc``, ``appsi_highs``, ``gurobi``, ``cplex``, …);
    ``method`` (HiGHS only) is ``choose`` (fiscal_opt's rule by problem shape), ``simplex``, ``ipm``
    (interior point, then crossover to a basis) or ``highs`` (HiGHS's own choice); ``time_limit``
    in seconds per stage; ``threads`` 0 lets HiGHS decide."""

    method: str = "choose"
    time_limit: float | None = None
    threads: int = 0
    solver: str = DIRECT

    def __post_init__(self) -> None:
        problems = []
        if self.method not in METHODS:
            problems.append(Problem("--method", "", f"unknown method {self.method!r}; choose one of "
                                    f"{', '.join(METHODS)}"))
        if self.time_limit is not None and not (isinstance(self.time_limit, (int, float))
                                                and math.isfinite(self.time_limit) and self.time_limit >= 0):
            problems.append(Problem("--time-limit", "", f"must be a number of seconds (0 or more), not {self.time_limit!r}"))
        if not isinstance(self.threads, int) or self.threads < 0:
            problems.append(Problem("--threads", "", f"must be a whole number ≥ 0, not {self.threads!r}"))
        if not isinstance(self.solver, str) or not self.solver.strip():
            problems.append(Problem("--solver", "", "name a solver: highs, or one Pyomo knows (glpk, cbc, …)"))
        if problems:
            raise InputError(problems)
