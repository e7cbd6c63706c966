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
import pyomo.core as pyo  # not pyomo.environ: its solver and modelling plugins took 1 s of every start
from pyomo.common.gc_manager import PauseGC
from pyomo.common.tee import capture_output
from pyomo.core.base.matrix_constraint import MatrixConstraint

from ..errors import SolverError
from ..model.pyomo_model import set_objective

STATUS = {"Optimal": "optimal", "Infeasible": "infeasible", "Unbounded": "unbounded",
          "Primal infeasible or unbounded": "infeasible_or_unbounded", "Time limit reached": "time_limit",
          "Iteration limit reached": "iteration_limit"}


IIS_STRATEGY = 2
"""HiGHS ``iis_strategy`` used for diagnosis: 2 computes an irreducible subset from the LP itself
(the default, 0, only reports trivially contradictory bounds and finds nothing in most policies)."""


@dataclass(frozen=True)
class SolverOptions:
    """HiGHS settings: ``method`` is ``choose`` (fiscal_opt's rule by problem shape, see
    :func:`choose_method`), ``simplex``, ``ipm`` (interior point, then crossover to a basis) or
    ``highs`` (HiGHS's own choice); ``time_limit`` in seconds per stage; ``threads`` 0 lets HiGHS
    decide."""

    method: str = "choose"
    time_limit: float | None = None
    threads: int = 0


IPM_MIN_ROWS = 200_000
"""Interior point (with crossover) only from this many rows on…"""

IPM_LINK_SHARE = (0.1, 0.2)
"""…and only when the densest column sits in between these shares of the rows. That is the
single-year LP: one national total (of the per-capita floor) linking every region, 13 % of the
rows. There, at 40,000 regions (300,000 rows), the interior point took about half the time of the
dual simplex. In the five-year LPs each year has its own total (2.6 % of the rows) and the simplex
won at 108,000 rows (2,850 × 5: 12.6 against 20.1 CPU s) and at 379,000 (10,000 × 5: 258 against
345 s for the primary, and its basis warm-started the tie-break better). Max-min's coverage level
z sits in about half the rows and fills the interior point's normal equations: 3-10 times slower.
Below 200,000 rows the simplex won or tied (10,000 × 1: 9.6 against 12.6 CPU s) and leaves the
basis that later stages warm-start from (docs/performance.md)."""


def choose_method(lp: highspy.HighsLp) -> str:
    """The HiGHS algorithm for ``lp`` by shape (measurements in docs/performance.md): ``ipm`` for
    at least :data:`IPM_MIN_ROWS` rows whose densest column sits in a share of them within
    :data:`IPM_LINK_SHARE`, else ``simplex``."""
    index = np.asarray(lp.a_matrix_.index_)
    if lp.num_row_ < IPM_MIN_ROWS or not index.size:
        return "simplex"
    share = np.bincount(index, minlength=max(lp.num_col_, 1)).max() / lp.num_row_
    return "ipm" if IPM_LINK_SHARE[0] <= share <= IPM_LINK_SHARE[1] else "simplex"


DUAL, PRIMAL = 1, 4
"""HiGHS ``simplex_strategy`` values: the dual simplex (HiGHS's default) and the primal simplex."""

FRESH_METHOD = "ipm"
"""HiGHS's algorithm for a fresh stage: the interior point, then crossover to the basis the next
face needs. Against the dual simplex (HiGHS run seconds; docs/performance.md): max-min's second
stage 0.31 → 0.18 (2,850 × 5), 0.61 → 0.22 (10,000 × 1), 12.2 → 1.2 (40,000 × 1), where the dual
simplex spent 11 s on one iteration over one budget row of 139,000 bounded columns; equity-first
at 10,000 × 1: second stage 20.7 → 7.0, tie-break 0.57 → 0.38; at 2,850 × 5 its tie-break
11.5 → 6.2. Slower only on the rules tie-break: 1.1 → 1.8 (2,850 × 5), 0.12 → 0.24 (2,850 × 1)."""

PARALLEL_RULE_OFF = 1 << 13
"""``presolve_rule_off`` for a fresh stage: bit 13 is "Parallel rows and columns" in HiGHS 1.16
(checked with ``presolve_rule_logging``). On a held face many columns are parallel (max-min's
second stage is one budget row over every cell, all coefficients 1), and that search took 4.4 of
the 4.9 s of the stage at 10,000 × 4 × 1 (0.5 s without it; the 2,850 × 5 tie-break 1.15 → 0.99 s).
In another HiGHS version the bit may name another rule: presolve rules only ever cost or save time."""

FACE_FEASIBILITY = 1e-6
"""HiGHS's primal feasibility tolerance (default 1e-7) for a stage on a held optimal face that
presolve rejected at the default; the answer is still checked by :mod:`fiscal_opt.verify`."""

FACE_TOLERANCE = 1e-9
"""Reduced costs and duals above this (LP units) mark a column or row as fixed on the optimal face."""


def _face_value(value: np.ndarray, reduced: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Where a column with a non-zero reduced cost sits on the optimal face (minimising): its lower
    bound when the reduced cost is positive, its upper bound when negative — the bound itself, not
    the solver's value, which may lie outside it by the feasibility tolerance."""
    at = np.where(reduced > 0, lower, upper)
    return np.where(np.isfinite(at), at, value)


def highs_version() -> str:
    """The HiGHS version highspy embeds, e.g. ``1.11.0``."""
    return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"


def _matrix_components(model: pyo.ConcreteModel) -> list[MatrixConstraint]:
    return [c for c in model.component_objects(pyo.Constraint, descend_into=False) if isinstance(c, MatrixConstraint)]


def _bounds(values: list, default: float) -> np.ndarray:
    """Pyomo bounds (``None`` for none) as floats, ``default`` for ``None``."""
    return np.fromiter((default if v is None else v for v in values), dtype=float, count=len(values))


def _positions(columns: list, variables: list) -> np.ndarray:
    """The column index of each of ``variables`` in ``columns`` (by identity), vectorised."""
    ids = np.fromiter(map(id, columns), dtype=np.uint64, count=len(columns))
    wanted = np.fromiter(map(id, variables), dtype=np.uint64, count=len(variables))
    order = np.argsort(ids)
    at = np.searchsorted(ids[order], wanted)
    at = order[np.minimum(at, len(ids) - 1)] if len(ids) else at
    if len(wanted) and not np.array_equal(ids[at], wanted):
        raise SolverError("the objective uses a variable that is not a column of the model")
    return at


def highs_lp(model: pyo.ConcreteModel) -> highspy.HighsLp:
    """The model as a HighsLp, read in bulk from its variables, MatrixConstraints and objective."""
    columns = model._columns
    lp = highspy.HighsLp()
    n = len(columns)
    lp.num_col_ = n
    with PauseGC():
        lp.col_lower_ = _bounds([v._lb for v in columns], -highspy.kHighsInf)
        lp.col_upper_ = _bounds([v._ub for v in columns], highspy.kHighsInf)
        cost = np.zeros(n)
        expr = model.objective.expr
        cost[_positions(columns, list(expr.linear_vars))] = expr.linear_coefs
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
    """highspy fed in bulk from the Pyomo model; stages modify it in place (warm start).

    The first solve uses ``options.method`` (``choose``: :func:`choose_method`); every later stage
    re-solves with the simplex from the basis the previous stage left, which is what makes a stage
    that only changes the objective or adds a row cheap.
    """

    name = "highs"

    def __init__(self, model: pyo.ConcreteModel, options: SolverOptions):
        with capture_output(capture_fd=True):  # HiGHS prints a banner when the first instance is made
            self.h = highspy.Highs()
        lp = highs_lp(model)
        self.method = {"choose": choose_method(lp), "highs": "choose"}.get(options.method, options.method)
        if self.method not in ("choose", "simplex", "ipm"):
            raise SolverError(f"unknown method {options.method!r}; choose one of choose, simplex, ipm, highs")
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("solver", self.method)
        self.h.setOptionValue("threads", options.threads)
        self.time_limit = options.time_limit
        if self.time_limit is not None:
            self.h.setOptionValue("time_limit", float(self.time_limit))
        self.h.passModel(lp)
        self.n_cols = lp.num_col_
        self.solve_seconds = 0.0
        self.iterations = 0
        self.runs = 0
        self.new_objective = self.new_rows = False

    def set_cost(self, cost: np.ndarray, offset: float = 0.0) -> None:
        self.h.changeColsCost(self.n_cols, np.arange(self.n_cols, dtype=np.int32), np.asarray(cost, dtype=float))
        self.h.changeObjectiveOffset(float(offset))
        self.new_objective = True

    def add_row(self, cols: np.ndarray, vals: np.ndarray, lower: float, upper: float) -> None:
        self.h.addRow(float(lower), float(upper), len(cols), np.asarray(cols, dtype=np.int32),
                      np.asarray(vals, dtype=float))
        self.new_rows = True

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        if len(cols):
            self.h.changeColsBounds(len(cols), np.asarray(cols, dtype=np.int32), np.asarray(lower, dtype=float),
                                    np.asarray(upper, dtype=float))

    def relax_rows(self, rows: np.ndarray) -> None:
        if len(rows):
            inf = np.full(len(rows), highspy.kHighsInf)
            self.h.changeRowsBounds(len(rows), np.asarray(rows, dtype=np.int32), -inf, inf)

    def run(self, fresh: bool = False) -> str:
        """Solve; returns ``optimal``, ``infeasible``, ``unbounded``, ``time_limit``, …

        A later stage warm-starts from the basis the previous stage left (leximin's levels).
        ``fresh=True`` (max-min's second stage, a tie-break on its held optimal face) solves from
        scratch with presolve and :data:`FRESH_METHOD` instead: presolve removes every column and
        row the face fixed (2,850 × 5 tie-break: 1.9 s against 13 s warm-started), without its
        search for parallel columns (:data:`PARALLEL_RULE_OFF`). The held face is feasible only
        within HiGHS's primal tolerance (the previous stage's values are), and presolve's
        reductions can then prove it infeasible: the stage is retried with the tolerance
        :data:`FACE_FEASIBILITY` (10,000 × 1: 0.6 s), and only then warm-started.
        """
        primal = self.new_objective and not self.new_rows
        if fresh and self.runs:
            basis = self.h.getBasis()
            default = self.h.getOptionValue("primal_feasibility_tolerance")[1]
            for tolerance in (default, FACE_FEASIBILITY):
                self.h.clearSolver()
                self.h.setOptionValue("solver", FRESH_METHOD)
                self.h.setOptionValue("primal_feasibility_tolerance", tolerance)
                self.h.setOptionValue("presolve_rule_off", PARALLEL_RULE_OFF)
                status = self._solve()
                self.h.setOptionValue("primal_feasibility_tolerance", default)
                self.h.setOptionValue("presolve_rule_off", 0)
                if status in ("optimal", "time_limit", "iteration_limit"):
                    return status
            if not basis.valid:
                return status
            self.h.setBasis(basis)
        if self.runs and self.h.getBasis().valid:
            # warm start from the previous stage's basis. After a new objective alone that basis
            # is still primal feasible and the primal simplex goes on from it (max-min's second
            # stage, when it was warm-started: 7 times fewer CPU seconds than the dual simplex);
            # otherwise the dual simplex (docs/performance.md)
            self.h.setOptionValue("solver", "simplex")
            self.h.setOptionValue("simplex_strategy", PRIMAL if primal else DUAL)
        return self._solve()

    def _solve(self) -> str:
        self.new_objective = self.new_rows = False
        clock = self.h.getRunTime()  # HiGHS's run clock adds up over the runs of one instance
        if self.time_limit is not None:
            self.h.setOptionValue("time_limit", clock + float(self.time_limit))
        self.h.run()
        self.runs += 1
        info = self.h.getInfo()
        self.solve_seconds += self.h.getRunTime() - clock
        self.iterations += max(info.simplex_iteration_count, 0) + max(info.ipm_iteration_count, 0)
        text = self.h.modelStatusToString(self.h.getModelStatus())
        if text == "Empty":  # no columns: every row's activity is 0 (HiGHS says Empty, feasible or not)
            lp = self.h.getLp()
            zero_fits = np.all(np.asarray(lp.row_lower_) <= 0) and np.all(np.asarray(lp.row_upper_) >= 0)
            return "optimal" if zero_fits else "infeasible"
        return STATUS.get(text, text)

    def hold_optimal_face(self, tolerance: float = FACE_TOLERANCE) -> None:
        """Keep the last stage's optimum by restricting the LP to its optimal face.

        A feasible point is optimal exactly when it is complementary to the optimal duals: every
        column with a non-zero reduced cost stays at its bound and every row with a non-zero dual
        stays at its bound. Fixing those columns and rows holds the optimum with no extra row, so
        the next stage stays as sparse as the first (a held objective row is as dense as the
        objective and made the tie-break stage cost as much as the primary solve), presolve drops
        the fixed part, and the optimum is held exactly rather than within a slack.
        """
        sol, basis, lp = self.h.getSolution(), self.h.getBasis(), self.h.getLp()
        if lp.num_col_ == 0:
            return  # nothing to hold
        if not (sol.dual_valid and basis.valid):
            raise SolverError("the optimal face needs the duals and basis of an optimal solve")
        col_value, col_dual = np.asarray(sol.col_value, dtype=float), np.asarray(sol.col_dual, dtype=float)
        basic = highspy.HighsBasisStatus.kBasic
        col_basic = np.fromiter((st == basic for st in basis.col_status), dtype=bool, count=len(col_value))
        fix = np.flatnonzero(~col_basic & (np.abs(col_dual) > tolerance))
        at = _face_value(col_value[fix], col_dual[fix], np.asarray(lp.col_lower_, dtype=float)[fix],
                         np.asarray(lp.col_upper_, dtype=float)[fix])
        self.set_col_bounds(fix, at, at)
        row_value, row_dual = np.asarray(sol.row_value, dtype=float), np.asarray(sol.row_dual, dtype=float)
        row_basic = np.fromiter((st == basic for st in basis.row_status), dtype=bool, count=len(row_value))
        rows = np.flatnonzero(~row_basic & (np.abs(row_dual) > tolerance))
        if len(rows):
            lower, upper = np.asarray(lp.row_lower_, dtype=float)[rows], np.asarray(lp.row_upper_, dtype=float)[rows]
            at = np.where(np.abs(row_value[rows] - lower) <= np.abs(row_value[rows] - upper), lower, upper)
            self.h.changeRowsBounds(len(rows), rows.astype(np.int32), at, at)

    def objective(self) -> float:
        return float(self.h.getInfo().objective_function_value)

    def values(self) -> np.ndarray:
        return np.array(self.h.getSolution().col_value, dtype=float)

    def row_duals(self) -> np.ndarray | None:
        sol = self.h.getSolution()
        return np.array(sol.row_dual, dtype=float) if sol.dual_valid else None

    def row_ranges(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Range of each row's bound over which its dual stays valid (needs a basis).

        A row at a bound: how far the bound can move before a basic variable reaches one of its
        own bounds (the primal ratio test along B⁻¹eₖ; one basis solve per row, the figures
        HiGHS's ``getRanging`` gives, which instead ranges every row and column with a solve per
        nonbasic column: longer than the solve itself on large instances). A row off its bounds
        has dual 0, valid while the bound does not cross the row's activity.
        """
        basis = self.h.getBasis()
        if not basis.valid:
            return None
        status, basic = self.h.getBasicVariables()
        if status != highspy.HighsStatus.kOk:
            return None
        lp, sol = self.h.getLp(), self.h.getSolution()
        col_value, row_value = np.asarray(sol.col_value, dtype=float), np.asarray(sol.row_value, dtype=float)
        row_lower, row_upper = np.asarray(lp.row_lower_, dtype=float), np.asarray(lp.row_upper_, dtype=float)
        basic = np.asarray(basic, dtype=np.int64)
        is_col = basic >= 0
        col, row = np.where(is_col, basic, 0), np.where(is_col, 0, -basic - 1)
        lower = np.where(is_col, np.asarray(lp.col_lower_, dtype=float)[col], row_lower[row])
        upper = np.where(is_col, np.asarray(lp.col_upper_, dtype=float)[col], row_upper[row])
        value = np.clip(np.where(is_col, col_value[col], row_value[row]), lower, upper)
        sign = np.where(is_col, 1.0, -1.0)  # HiGHS's logical variable of a row is minus its activity
        rows = np.asarray(rows, dtype=np.int64)
        down, up = np.empty(len(rows)), np.empty(len(rows))
        for i, k in enumerate(rows):
            activity = row_value[k]
            if basis.row_status[k] == highspy.HighsBasisStatus.kBasic:
                down[i], up[i] = (activity, np.inf) if np.isfinite(row_upper[k]) else (-np.inf, activity)
                continue
            unit = np.zeros(len(row_value))
            unit[k] = 1.0
            status, solved = self.h.getBasisSolve(unit)
            if status != highspy.HighsStatus.kOk:
                return None
            move = sign * np.where(np.abs(solved) > 1e-9, solved, 0.0)  # basic values per unit rise
            with np.errstate(divide="ignore", invalid="ignore"):
                rise = np.where(move > 0, (upper - value) / move, np.where(move < 0, (lower - value) / move, np.inf))
                fall = np.where(move < 0, (upper - value) / -move, np.where(move > 0, (lower - value) / -move, np.inf))
            down[i] = activity - (fall.min() if fall.size else np.inf)
            up[i] = activity + (rise.min() if rise.size else np.inf)
        return down, up

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
        import pyomo.environ  # noqa: F401 - registers the plugins Pyomo's solver interfaces expect
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

    def run(self, fresh: bool = False) -> str:
        """Solve through Pyomo's interface, which decides how it re-solves (``fresh`` is accepted
        for the common interface and has no effect here)."""
        opts = {"solver": {"highs": "choose"}.get(self.options.method, self.options.method)}  # choose: HiGHS decides
        self.results = self.solver.solve(self.model, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                                         time_limit=self.options.time_limit, solver_options=opts)
        self.solve_seconds += float(self.results.timing_info.wall_time or 0.0)
        cond = str(self.results.termination_condition).split(".")[-1]
        mapping = {"convergenceCriteriaSatisfied": "optimal", "provenInfeasible": "infeasible",
                   "locallyInfeasible": "infeasible", "unbounded": "unbounded",
                   "infeasibleOrUnbounded": "infeasible_or_unbounded", "maxTimeLimit": "time_limit",
                   "iterationLimit": "iteration_limit"}
        return mapping.get(cond, cond)

    def hold_optimal_face(self, tolerance: float = FACE_TOLERANCE) -> None:
        """As :meth:`DirectHighs.hold_optimal_face`, on the Pyomo model: columns with a non-zero
        reduced cost are fixed at their value, rows with a non-zero dual at their active bound."""
        assert self.results is not None
        loader = self.results.solution_loader
        loader.load_vars()  # the rows' activities below are evaluated at the solution
        primals = loader.get_vars()
        for var, reduced in loader.get_reduced_costs().items():
            if abs(reduced) > tolerance:
                lower = np.array([-np.inf if var.lb is None else var.lb])
                upper = np.array([np.inf if var.ub is None else var.ub])
                at = float(_face_value(np.array([primals[var]]), np.array([reduced]), lower, upper)[0])
                var.setlb(at)
                var.setub(at)
        active = [r for r in self.rows + list(self.model.stage_rows.values()) if r.active]
        for row, dual in loader.get_duals(active).items():
            if abs(dual) > tolerance:
                activity = pyo.value(row.body)
                lower, upper = row.lb, row.ub
                at = lower if upper is None or (lower is not None and abs(activity - lower) <= abs(activity - upper)) \
                    else upper
                row.set_value((at, row.body, at))

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
