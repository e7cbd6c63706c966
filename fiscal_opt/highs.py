"""Handing the Pyomo model to HiGHS, and changing it between solve stages.

Two engines with one interface:

- :class:`DirectHighs` (default) reads the Pyomo model in bulk — variable bounds, the CSR arrays
  held by each ``MatrixConstraint``, the objective's coefficient list — and passes one ``HighsLp``
  to highspy. Later stages change costs, bounds and rows in place, so HiGHS warm-starts.
- :class:`PyomoHighs` solves the same Pyomo model through Pyomo's own HiGHS interface
  (``pyomo.contrib.solver``): slower, kept as the reference the direct engine is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.tee import capture_output
from pyomo.core.base.matrix_constraint import MatrixConstraint

from .errors import SolverError
from .pyomo_model import set_objective

STATUS = {"Optimal": "optimal", "Infeasible": "infeasible", "Unbounded": "unbounded",
          "Primal infeasible or unbounded": "infeasible_or_unbounded", "Time limit reached": "time_limit",
          "Iteration limit reached": "iteration_limit"}


IIS_STRATEGY = 2
"""HiGHS ``iis_strategy`` used for diagnosis: 2 computes an irreducible subset from the LP itself
(the default, 0, only reports trivially contradictory bounds and finds nothing in most policies)."""


@dataclass(frozen=True)
class SolverOptions:
    """HiGHS settings: ``method`` is ``choose`` (HiGHS decides), ``simplex`` or ``ipm``;
    ``time_limit`` in seconds per stage; ``threads`` 0 lets HiGHS decide."""

    method: str = "choose"
    time_limit: float | None = None
    threads: int = 0


def highs_version() -> str:
    """The HiGHS version highspy embeds, e.g. ``1.11.0``."""
    return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"


def _matrix_components(model: pyo.ConcreteModel) -> list[MatrixConstraint]:
    return [c for c in model.component_objects(pyo.Constraint, descend_into=False) if isinstance(c, MatrixConstraint)]


def _bounds(values: list, default: float) -> np.ndarray:
    return np.array([default if v is None else v for v in values], dtype=float)


def highs_lp(model: pyo.ConcreteModel) -> highspy.HighsLp:
    """The model as a HighsLp, read in bulk from its variables, MatrixConstraints and objective."""
    columns = model._columns
    position = {id(v): i for i, v in enumerate(columns)}
    lp = highspy.HighsLp()
    n = len(columns)
    lp.num_col_ = n
    lp.col_lower_ = _bounds([v._lb for v in columns], -highspy.kHighsInf)
    lp.col_upper_ = _bounds([v._ub for v in columns], highspy.kHighsInf)
    cost = np.zeros(n)
    expr = model.objective.expr
    idx = [position[id(v)] for v in expr.linear_vars]
    cost[idx] = expr.linear_coefs
    lp.col_cost_ = cost
    lp.offset_ = float(expr.constant)
    comps = _matrix_components(model)
    starts, indices, values, lows, ups = [np.zeros(1, dtype=np.int64)], [], [], [], []
    nnz = 0
    for comp in comps:
        starts.append(np.asarray(comp._A_indptr[1:], dtype=np.int64) + nnz)
        indices.append(np.asarray(comp._A_indices, dtype=np.int64))
        values.append(np.asarray(comp._A_data, dtype=float))
        lows.append(_bounds(comp._lower, -highspy.kHighsInf))
        ups.append(_bounds(comp._upper, highspy.kHighsInf))
        nnz += len(comp._A_data)
    lp.num_row_ = int(sum(len(lo) for lo in lows))
    lp.row_lower_ = np.concatenate(lows) if lows else np.zeros(0)
    lp.row_upper_ = np.concatenate(ups) if ups else np.zeros(0)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.start_ = np.concatenate(starts).astype(np.int32)
    lp.a_matrix_.index_ = (np.concatenate(indices) if indices else np.zeros(0, np.int64)).astype(np.int32)
    lp.a_matrix_.value_ = np.concatenate(values) if values else np.zeros(0)
    return lp


class DirectHighs:
    """highspy fed in bulk from the Pyomo model; stages modify it in place (warm start)."""

    name = "highs"

    def __init__(self, model: pyo.ConcreteModel, options: SolverOptions):
        with capture_output(capture_fd=True):  # HiGHS prints a banner when the first instance is made
            self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("solver", options.method)
        self.h.setOptionValue("threads", options.threads)
        if options.time_limit is not None:
            self.h.setOptionValue("time_limit", float(options.time_limit))
        self.h.passModel(highs_lp(model))
        self.n_cols = len(model._columns)
        self.solve_seconds = 0.0
        self.iterations = 0

    def set_cost(self, cost: np.ndarray, offset: float = 0.0) -> None:
        self.h.changeColsCost(self.n_cols, np.arange(self.n_cols, dtype=np.int32), np.asarray(cost, dtype=float))
        self.h.changeObjectiveOffset(float(offset))

    def add_row(self, cols: np.ndarray, vals: np.ndarray, lower: float, upper: float) -> None:
        self.h.addRow(float(lower), float(upper), len(cols), np.asarray(cols, dtype=np.int32),
                      np.asarray(vals, dtype=float))

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        if len(cols):
            self.h.changeColsBounds(len(cols), np.asarray(cols, dtype=np.int32), np.asarray(lower, dtype=float),
                                    np.asarray(upper, dtype=float))

    def relax_rows(self, rows: np.ndarray) -> None:
        if len(rows):
            inf = np.full(len(rows), highspy.kHighsInf)
            self.h.changeRowsBounds(len(rows), np.asarray(rows, dtype=np.int32), -inf, inf)

    def run(self) -> str:
        """Solve; returns ``optimal``, ``infeasible``, ``unbounded``, ``time_limit``, …"""
        self.h.run()
        info = self.h.getInfo()
        self.solve_seconds += self.h.getRunTime()
        self.iterations += max(info.simplex_iteration_count, 0) + max(info.ipm_iteration_count, 0)
        text = self.h.modelStatusToString(self.h.getModelStatus())
        return STATUS.get(text, text)

    def objective(self) -> float:
        return float(self.h.getInfo().objective_function_value)

    def values(self) -> np.ndarray:
        return np.array(self.h.getSolution().col_value, dtype=float)

    def row_duals(self) -> np.ndarray | None:
        sol = self.h.getSolution()
        return np.array(sol.row_dual, dtype=float) if sol.dual_valid else None

    def row_ranges(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Range of each row's bound over which its dual stays valid (needs a basis)."""
        if not self.h.getBasis().valid:
            return None
        status, ranging = self.h.getRanging()
        if status != highspy.HighsStatus.kOk:
            return None
        return (np.array(ranging.row_bound_dn.value_, dtype=float)[rows],
                np.array(ranging.row_bound_up.value_, dtype=float)[rows])

    def iis(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Rows and columns of an irreducible infeasible subset, when HiGHS finds one."""
        self.h.setOptionValue("iis_strategy", IIS_STRATEGY)
        status, iis = self.h.getIis()
        if status == highspy.HighsStatus.kError or not iis.valid_:
            return None
        return np.asarray(iis.row_index_, dtype=int), np.asarray(iis.col_index_, dtype=int)


class PyomoHighs:
    """The same Pyomo model through Pyomo's own HiGHS interface (the reference engine)."""

    name = "pyomo-highs"

    def __init__(self, model: pyo.ConcreteModel, options: SolverOptions):
        from pyomo.contrib.solver.solvers.highs import Highs

        self.model = model
        self.options = options
        self.solver = Highs()
        self.rows = [data for comp in model.component_objects(pyo.Constraint, descend_into=False)
                     for data in comp.values()]
        self.model.stage_rows = pyo.ConstraintList()
        self.results = None
        self.solve_seconds = 0.0
        self.iterations = 0

    def set_cost(self, cost: np.ndarray, offset: float = 0.0) -> None:
        set_objective(self.model, np.asarray(cost, dtype=float), offset)

    def add_row(self, cols: np.ndarray, vals: np.ndarray, lower: float, upper: float) -> None:
        cols_ = self.model._columns
        body = sum(float(v) * cols_[int(c)] for c, v in zip(cols, vals))
        self.model.stage_rows.add(pyo.inequality(None if lower == -np.inf else lower, body,
                                                 None if upper == np.inf else upper))

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        for c, lo, up in zip(cols, lower, upper):
            var = self.model._columns[int(c)]
            var.setlb(None if lo == -np.inf else float(lo))
            var.setub(None if up == np.inf else float(up))

    def relax_rows(self, rows: np.ndarray) -> None:
        for r in rows:
            self.rows[int(r)].deactivate()

    def run(self) -> str:
        opts = {"solver": self.options.method}
        self.results = self.solver.solve(self.model, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                                         time_limit=self.options.time_limit, solver_options=opts)
        self.solve_seconds += float(self.results.timing_info.wall_time or 0.0)
        cond = str(self.results.termination_condition).split(".")[-1]
        mapping = {"convergenceCriteriaSatisfied": "optimal", "provenInfeasible": "infeasible",
                   "locallyInfeasible": "infeasible", "unbounded": "unbounded",
                   "infeasibleOrUnbounded": "infeasible_or_unbounded", "maxTimeLimit": "time_limit",
                   "iterationLimit": "iteration_limit"}
        return mapping.get(cond, cond)

    def objective(self) -> float:
        assert self.results is not None
        return float(self.results.incumbent_objective)

    def values(self) -> np.ndarray:
        assert self.results is not None
        primals = self.results.solution_loader.get_vars()
        return np.array([primals.get(v, 0.0) for v in self.model._columns])

    def row_duals(self) -> np.ndarray | None:
        assert self.results is not None
        active = [r for r in self.rows if r.active]
        duals = self.results.solution_loader.get_duals(active)
        return np.array([duals.get(r, 0.0) if r.active else 0.0 for r in self.rows])

    def row_ranges(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        return None

    def iis(self) -> tuple[np.ndarray, np.ndarray] | None:
        return None


ENGINES = {"highs": DirectHighs, "pyomo": PyomoHighs}


def make_engine(name: str, model: pyo.ConcreteModel, options: SolverOptions) -> DirectHighs | PyomoHighs:
    """The engine called ``name`` (``highs`` or ``pyomo``) loaded with ``model``."""
    try:
        return ENGINES[name](model, options)
    except KeyError:
        raise SolverError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}") from None
