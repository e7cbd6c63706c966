"""Any solver Pyomo supports, on the Pyomo model of the formulation (the second engine).

:class:`PyomoSolver` implements :class:`~fiscal_opt.solver.engine.Engine` on a model from
:func:`~fiscal_opt.model.pyomo_model.to_pyomo` — ours, or one a user has extended with
constraints of their own. The model is in the instance's units; the engine converts to and from
the LP units the stages work in. Duals come from Pyomo's ``dual`` suffix (budget shadow prices and
leximin need them, and holding a stage's optimal face); there is no ranging and no irreducible
infeasible subset, so an infeasible policy lists every active rule.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import numpy as np
from pyomo.repn import generate_standard_repn

from ..errors import InputError, Problem
from ..model.pyomo_model import column_scales, constraints, linear, row_scales, to_pyomo, variables
from .options import DIRECT, SolverOptions
from .tie_rule import Face

if TYPE_CHECKING:
    from ..model.build import Formulation

FACE_TOLERANCE = 1e-9
"""Reduced costs and duals above this (LP units) mark a variable or constraint as fixed on the face."""

STATUS = {"optimal": "optimal", "infeasible": "infeasible", "unbounded": "unbounded",
          "infeasibleOrUnbounded": "infeasible_or_unbounded", "maxTimeLimit": "time_limit",
          "maxIterations": "iteration_limit"}

STAGE_ROWS = "fiscal_opt_stage_rows"
"""The model component holding the rows the staged solve adds (held optima, year totals)."""

THROUGH_PYOMO = {DIRECT: "appsi_highs"}
"""A user's Pyomo model cannot take the direct path: ``highs`` then means Pyomo's HiGHS interface."""


def solver_factory(name: str) -> Any:
    """Pyomo's solver ``name``, available on this machine; :class:`~fiscal_opt.errors.InputError`
    (exit code 2) for a name Pyomo does not know or a solver that is not installed."""
    import pyomo.environ as pyo  # registers Pyomo's solver plugins

    logging.getLogger("pyomo.solvers").setLevel(logging.ERROR)
    logging.getLogger("pyomo.opt").setLevel(logging.ERROR)
    try:
        opt = pyo.SolverFactory(name)
    except Exception:  # noqa: BLE001 - Pyomo raises various errors for names it cannot resolve
        opt = None
    if opt is None or type(opt).__name__ == "UnknownSolver":
        raise InputError(Problem("--solver", "", f"unknown solver {name!r}: give highs, or a solver Pyomo knows "
                                 "(glpk, cbc, appsi_highs, gurobi, cplex, copt, …)"))
    try:
        available = bool(opt.available(exception_flag=False))
    except Exception:  # noqa: BLE001 - a broken installation is "not available" to the user
        available = False
    if not available:
        raise InputError(Problem("--solver", "", f"the solver {name!r} is not installed or not licensed on this "
                                 "machine (for example `apt-get install glpk-utils` gives glpk, `coinor-cbc` gives "
                                 "cbc); the default, highs, needs nothing"))
    return opt


def _working_copy(model: Any) -> Any:
    """A copy of a user's model for the staged solve to change (held faces, fixed levels), so that
    the user's model is left as it was; the formulation and instance it refers to are shared."""
    shared = {name: model.__dict__.pop(name) for name in ("formulation", "instance") if name in model.__dict__}
    try:
        copy = model.clone()
    finally:
        model.__dict__.update(shared)
    copy.__dict__.update(shared)
    return copy


class PyomoSolver:
    """A Pyomo model solved by a Pyomo solver; stages change it between solves (LP units outside)."""

    name = "pyomo"

    def __init__(self, f: Formulation, cost: np.ndarray, offset: float, options: SolverOptions, model: Any = None):
        import pyomo.environ as pyo

        self.pyo = pyo
        self.solver_name = THROUGH_PYOMO.get(options.solver, options.solver)
        self.opt = solver_factory(self.solver_name)
        self.options = options
        self.model = _working_copy(model) if model is not None else to_pyomo(f)
        self.columns = variables(self.model, f.lp)
        self.rows = constraints(self.model, f.lp)
        self.col_scale, self.row_scale = column_scales(f), row_scales(f)
        if not hasattr(self.model, "dual"):
            self.model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
        if hasattr(self.model, STAGE_ROWS):
            self.model.del_component(STAGE_ROWS)  # rows an earlier solve of this model held
        self.stage_rows = pyo.ConstraintList()
        self.model.add_component(STAGE_ROWS, self.stage_rows)
        self.results: Any = None
        self.solve_seconds = 0.0
        self.iterations = 0
        self.set_cost(cost, offset)

    def set_cost(self, cost: np.ndarray, offset: float = 0.0) -> None:
        self.model.objective.set_value(linear(self.columns, np.asarray(cost, dtype=float) / self.col_scale, offset))

    def add_row(self, cols: np.ndarray, vals: np.ndarray, lower: float, upper: float) -> None:
        body = linear([self.columns[int(c)] for c in cols], np.asarray(vals, dtype=float) / self.col_scale[cols])
        self.stage_rows.add(self.pyo.inequality(lower if np.isfinite(lower) else None, body,
                                                upper if np.isfinite(upper) else None))

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        for c, lo, up in zip(cols, lower, upper):
            var, scale = self.columns[int(c)], self.col_scale[int(c)]
            var.setlb(float(lo) * scale if np.isfinite(lo) else None)
            var.setub(float(up) * scale if np.isfinite(up) else None)

    def relax_rows(self, rows: np.ndarray) -> None:
        for r in rows:
            self.rows[int(r)].deactivate()

    def restore_rows(self, rows: np.ndarray) -> None:
        for r in rows:
            self.rows[int(r)].activate()

    def run(self, fresh: bool = False) -> str:
        """Solve with the Pyomo solver (``fresh`` has no effect: the solver decides how to re-solve)."""
        kwargs: dict[str, Any] = {"load_solutions": False}
        if self.options.time_limit is not None:
            config = getattr(self.opt, "config", None)
            if config is not None and hasattr(config, "time_limit"):
                config.time_limit = float(self.options.time_limit)
            else:
                kwargs["timelimit"] = float(self.options.time_limit)
        start = time.perf_counter()
        try:
            self.results = self.opt.solve(self.model, **kwargs)
        except RuntimeError as exc:  # appsi's interfaces raise on some non-optimal outcomes
            self.results = None
            self.solve_seconds += time.perf_counter() - start
            return "infeasible" if "infeasible" in str(exc).lower() else f"error: {exc}"
        self.solve_seconds += time.perf_counter() - start
        condition = str(self.results.solver.termination_condition).split(".")[-1]
        status = STATUS.get(condition, condition)
        if status == "optimal":
            self.model.solutions.load_from(self.results)
        return status

    def hold_optimal_face(self) -> None:
        """Keep the last optimum in later stages by fixing its optimal face, as the direct engine
        does: every variable with a non-zero reduced cost stays at its bound, every constraint with
        a non-zero dual at its active bound — over the whole model, a user's own constraints and
        variables included. Reduced costs are computed from the duals (c − Aᵀy), which every
        solver reports, rather than read from solvers that may not."""
        pyo = self.pyo
        m = self.model
        rows = list(m.component_data_objects(pyo.Constraint, active=True, descend_into=True))
        duals = np.array([m.dual.get(row, 0.0) for row in rows])
        variables_ = list(m.component_data_objects(pyo.Var, descend_into=True))
        at = {id(v): i for i, v in enumerate(variables_)}
        reduced = np.zeros(len(variables_))
        objective = generate_standard_repn(m.objective.expr)
        for var, coef in zip(objective.linear_vars, objective.linear_coefs):
            reduced[at[id(var)]] += coef
        for row, dual in zip(rows, duals):
            if dual:
                repn = generate_standard_repn(row.body)
                for var, coef in zip(repn.linear_vars, repn.linear_coefs):
                    reduced[at[id(var)]] -= dual * coef
        col_scale = {id(v): s for v, s in zip(self.columns, self.col_scale)}
        row_scale = {id(r): s for r, s in zip(self.rows, self.row_scale)}
        for var, rc in zip(variables_, reduced):
            if abs(rc) * col_scale.get(id(var), 1.0) > FACE_TOLERANCE and not var.fixed:
                bound = var.lb if rc > 0 else var.ub
                value = bound if bound is not None else var.value
                var.setlb(value)
                var.setub(value)
        for row, dual in zip(rows, duals):
            if abs(dual) * row_scale.get(id(row), 1.0) > FACE_TOLERANCE:
                activity, lower, upper = pyo.value(row.body), row.lb, row.ub
                bound = lower if upper is None or (lower is not None and abs(activity - lower) <= abs(activity - upper)) \
                    else upper
                row.set_value((bound, row.body, bound))

    def face(self) -> Face:
        """Every active constraint of the model as it stands (a user's own included), over the
        formulation's columns in LP units and then any variables the user added."""
        pyo = self.pyo
        extra = [v for v in self.model.component_data_objects(pyo.Var, descend_into=True)
                 if id(v) not in {id(c) for c in self.columns}]
        columns = self.columns + extra
        at = {id(v): i for i, v in enumerate(columns)}
        scale = np.concatenate([self.col_scale, np.ones(len(extra))])
        indptr, indices, data, lower, upper = [0], [], [], [], []
        for row in self.model.component_data_objects(pyo.Constraint, active=True, descend_into=True):
            repn = generate_standard_repn(row.body)
            cols = [at[id(v)] for v in repn.linear_vars]
            indices += cols
            data += [c * scale[j] for c, j in zip(repn.linear_coefs, cols)]
            indptr.append(len(indices))
            constant = float(repn.constant or 0.0)
            lower.append(-np.inf if row.lb is None else float(pyo.value(row.lb)) - constant)
            upper.append(np.inf if row.ub is None else float(pyo.value(row.ub)) - constant)
        bounds = [(-np.inf if v.lb is None else v.lb / s, np.inf if v.ub is None else v.ub / s)
                  for v, s in zip(columns, scale)]
        col_lower, col_upper = (np.array(side, dtype=float) for side in zip(*bounds))
        return Face(np.array(indptr), np.array(indices, dtype=np.int64), np.array(data, dtype=float),
                    (len(lower), len(columns)), np.array(lower), np.array(upper), col_lower, col_upper)

    def objective(self) -> float:
        return float(self.pyo.value(self.model.objective))

    def values(self) -> np.ndarray:
        return np.array([v.value if v.value is not None else 0.0 for v in self.columns]) / self.col_scale

    def row_duals(self) -> np.ndarray | None:
        duals = self.model.dual
        if not len(duals):
            return None
        return np.array([duals.get(row, 0.0) if row.active else 0.0 for row in self.rows]) * self.row_scale

    def row_ranges(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        return None

    def iis(self) -> tuple[np.ndarray, np.ndarray] | None:
        return None

    def describe(self) -> dict[str, Any]:
        try:
            version = ".".join(map(str, self.opt.version() or ())) or None
        except Exception:  # noqa: BLE001 - a solver that cannot say its version still solved
            version = None
        return {"name": self.solver_name, "version": version, "engine": self.name}

    def basis(self) -> None:
        """Pyomo hands no basis back: every solve starts as the solver decides."""
        return None
