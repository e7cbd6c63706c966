"""What a solve engine does for the staged solves, and how one is chosen.

Two engines implement :class:`Engine`:

- :class:`~fiscal_opt.solver.highs.DirectHighs` (``solver="highs"``, the default) hands the
  formulation's arrays to highspy in bulk and changes costs, bounds and rows in place between
  stages;
- :class:`~fiscal_opt.solver.pyomo_solver.PyomoSolver` solves the Pyomo model of the same
  formulation (:func:`~fiscal_opt.model.pyomo_model.to_pyomo`) with any solver Pyomo knows
  (``glpk``, ``cbc``, ``appsi_highs``, ``gurobi``, ``cplex``, …), including a Pyomo model a user
  has extended with constraints of their own.

Everything crossing the protocol is in the LP's internal units (:mod:`fiscal_opt.model.build`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..errors import InputError, Problem

if TYPE_CHECKING:
    from ..model.build import Formulation

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


class Engine(Protocol):
    """A loaded LP that stages can re-solve after changing it (all in LP units)."""

    name: str
    solve_seconds: float
    iterations: int

    def set_cost(self, cost: np.ndarray, offset: float = 0.0) -> None:
        """Minimise ``cost @ x + offset`` from now on."""

    def add_row(self, cols: np.ndarray, vals: np.ndarray, lower: float, upper: float) -> None:
        """Add the row ``lower <= vals @ x[cols] <= upper``."""

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change the bounds of columns ``cols``."""

    def relax_rows(self, rows: np.ndarray) -> None:
        """Drop rows ``rows`` (indices of the formulation's rows) from the LP."""

    def run(self, fresh: bool = False) -> str:
        """Solve; ``optimal``, ``infeasible``, ``unbounded``, ``time_limit``, … (``fresh``: from
        scratch rather than from the previous stage's basis, where the engine can choose)."""

    def hold_optimal_face(self) -> None:
        """Keep the last stage's optimum in every later stage."""

    def objective(self) -> float:
        """The last stage's objective value (LP units)."""

    def values(self) -> np.ndarray:
        """Column values of the last solution (the formulation's columns, LP units)."""

    def row_duals(self) -> np.ndarray | None:
        """Duals of the formulation's rows in the last solution, ``None`` when unavailable."""

    def row_ranges(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Range of each row's bound over which its dual holds, ``None`` when unavailable."""

    def iis(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Rows and columns of an irreducible infeasible subset, ``None`` when unavailable."""

    def describe(self) -> dict[str, Any]:
        """The solver's name and version, for summary.json."""


def make_engine(f: Formulation, cost: np.ndarray, offset: float, options: SolverOptions,
                model: Any = None) -> Engine:
    """The engine ``options.solver`` loaded with ``f`` minimising ``cost @ x + offset``; with a
    user's Pyomo ``model`` of ``f`` (from :func:`~fiscal_opt.model.pyomo_model.to_pyomo`), that
    model through Pyomo (``highs`` then means ``appsi_highs``)."""
    if options.solver == DIRECT and model is None:
        from .highs import DirectHighs

        return DirectHighs(f.lp, cost, offset, options)
    from .pyomo_solver import PyomoSolver

    return PyomoSolver(f, cost, offset, options, model)
