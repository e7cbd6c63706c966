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

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .options import DIRECT, SolverOptions

if TYPE_CHECKING:
    from ..model.build import Formulation
    from .tie_rule import Face


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

    def restore_rows(self, rows: np.ndarray) -> None:
        """Put rows ``rows`` dropped by :meth:`relax_rows` back as the formulation wrote them."""

    def run(self, fresh: bool = False) -> str:
        """Solve; ``optimal``, ``infeasible``, ``unbounded``, ``time_limit``, … (``fresh``: from
        scratch rather than from the previous stage's basis, where the engine can choose)."""

    def hold_optimal_face(self) -> None:
        """Keep the last stage's optimum in every later stage."""

    def face(self) -> Face:
        """The LP as it stands now (held faces and added rows included), in LP units."""

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

    def basis(self) -> Any:
        """The last solve's basis, to start another solve of an LP of the same shape from
        (:func:`make_engine`'s ``start``); ``None`` when the engine has none."""


def make_engine(f: Formulation, cost: np.ndarray, offset: float, options: SolverOptions,
                model: Any = None, start: Any = None) -> Engine:
    """The engine ``options.solver`` loaded with ``f`` minimising ``cost @ x + offset``; with a
    user's Pyomo ``model`` of ``f`` (from :func:`~fiscal_opt.model.pyomo_model.to_pyomo`), that
    model through Pyomo (``highs`` then means ``appsi_highs``). ``start`` is another solve's
    :meth:`Engine.basis` for the first solve to start from (the direct engine only)."""
    if options.solver == DIRECT and model is None:
        from .highs import DirectHighs

        return DirectHighs(f.lp, cost, offset, options, start)
    from .pyomo_solver import PyomoSolver

    return PyomoSolver(f, cost, offset, options, model)
