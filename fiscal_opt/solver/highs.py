"""The direct engine: the formulation's arrays handed to HiGHS in bulk, changed in place between
solve stages (:class:`DirectHighs`, the default engine of :mod:`fiscal_opt.solver.engine`).

No Pyomo on this path: the LP's CSR matrix, bounds and cost vector go to one ``HighsLp``, and
later stages change costs, bounds and rows through highspy's bulk calls, so HiGHS can warm-start.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import highspy
import numpy as np

from ..errors import SolverError
from ..model.lp import LinearProgram
from .options import SolverOptions
from .tie_rule import Face

STATUS = {"Optimal": "optimal", "Infeasible": "infeasible", "Unbounded": "unbounded",
          "Primal infeasible or unbounded": "infeasible_or_unbounded", "Time limit reached": "time_limit",
          "Iteration limit reached": "iteration_limit"}


IIS_STRATEGY = 2
"""HiGHS ``iis_strategy`` used for diagnosis: 2 computes an irreducible subset from the LP itself
(the default, 0, only reports trivially contradictory bounds and finds nothing in most policies)."""


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

WARM_EDGE_WEIGHTS = 1
"""HiGHS ``simplex_dual_edge_weight_strategy`` of a primary stage started from another solve's basis:
Devex. The default, dual steepest edge, first computes an exact weight per row of the given basis:
3.9 of the 7.1 s a 2 %-budget step took at 2,850 × 4 × 5 before its first iteration (1.2 s in all
with Devex, against 7.9 s for the cold solve)."""


def _face_value(value: np.ndarray, reduced: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Where a column with a non-zero reduced cost sits on the optimal face (minimising): its lower
    bound when the reduced cost is positive, its upper bound when negative — the bound itself, not
    the solver's value, which may lie outside it by the feasibility tolerance."""
    at = np.where(reduced > 0, lower, upper)
    return np.where(np.isfinite(at), at, value)


class Basis:
    """A HiGHS basis that can travel to another process (a sweep's next point on another worker):
    it pickles as two small integer arrays of basis statuses, columns then rows."""

    STATUSES = tuple(highspy.HighsBasisStatus.__members__.values())

    def __init__(self, basis: highspy.HighsBasis):
        self.highs = basis

    @classmethod
    def from_arrays(cls, cols: np.ndarray, rows: np.ndarray) -> Basis:
        basis = highspy.HighsBasis()
        basis.col_status = [cls.STATUSES[k] for k in cols.tolist()]
        basis.row_status = [cls.STATUSES[k] for k in rows.tolist()]
        basis.valid = True
        return cls(basis)

    def __reduce__(self) -> tuple:
        return Basis.from_arrays, tuple(np.array([s.value for s in statuses], dtype=np.int8)
                                        for statuses in (self.highs.col_status, self.highs.row_status))


def highs_version() -> str:
    """The HiGHS version highspy embeds, e.g. ``1.11.0``."""
    return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1 (HiGHS prints a banner from C++ when the first instance is made)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def highs_lp(lp: LinearProgram, cost: np.ndarray, offset: float = 0.0) -> highspy.HighsLp:
    """``lp`` minimising ``cost @ x + offset`` as one HighsLp (row-wise matrix, bounds, costs)."""
    a = lp.matrix()
    col_lower, col_upper = lp.bounds()
    row_lower, row_upper = lp.row_bounds()
    h = highspy.HighsLp()
    h.num_col_ = lp.n_cols
    h.num_row_ = lp.n_rows
    h.col_cost_ = np.asarray(cost, dtype=float)
    h.offset_ = float(offset)
    h.col_lower_ = col_lower
    h.col_upper_ = col_upper
    h.row_lower_ = row_lower
    h.row_upper_ = row_upper
    h.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    h.a_matrix_.num_row_ = lp.n_rows
    h.a_matrix_.num_col_ = lp.n_cols
    h.a_matrix_.start_ = a.indptr.astype(np.int32)
    h.a_matrix_.index_ = a.indices.astype(np.int32)
    h.a_matrix_.value_ = a.data
    return h


class DirectHighs:
    """highspy fed in bulk from the formulation's arrays; stages modify it in place (warm start).

    The first solve uses ``options.method`` (``choose``: :func:`choose_method`); every later stage
    re-solves with the simplex from the basis the previous stage left, which is what makes a stage
    that only changes the objective or adds a row cheap. With ``start``, the basis of another
    solve's first stage on an LP of the same shape (a sweep's previous point), the first solve is
    the dual simplex from that basis instead; when it does not end optimal, the first stage is
    solved again as without ``start``, so that only the time, never the outcome, depends on it.
    """

    name = "highs"

    def __init__(self, formulation_lp: LinearProgram, cost: np.ndarray, offset: float, options: SolverOptions,
                 start: Basis | None = None):
        with quiet_stdout():
            self.h = highspy.Highs()
        lp = highs_lp(formulation_lp, cost, offset)
        self.method = {"choose": choose_method(lp), "highs": "choose"}.get(options.method, options.method)
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("solver", self.method)
        self.h.setOptionValue("threads", options.threads)
        self.time_limit = options.time_limit
        if self.time_limit is not None:
            self.h.setOptionValue("time_limit", float(self.time_limit))
        self.h.passModel(lp)
        self.n_cols = lp.num_col_
        self.row_lower, self.row_upper = formulation_lp.row_bounds()
        self.solve_seconds = 0.0
        self.iterations = 0
        self.runs = 0
        self.new_objective = self.new_rows = False
        self.warm = start is not None and self._start_from(start)

    def _start_from(self, start: Basis) -> bool:
        """Take ``start`` as the first solve's basis; ``False`` when it does not fit this LP."""
        basis = start.highs
        fits = basis.valid and len(basis.col_status) == self.n_cols and len(basis.row_status) == self.h.getNumRow()
        return fits and self.h.setBasis(basis) == highspy.HighsStatus.kOk

    def basis(self) -> Basis | None:
        """The basis of the last solve (``None`` when it left none), for another solve's ``start``."""
        basis = self.h.getBasis()
        return Basis(basis) if basis.valid else None

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

    def restore_rows(self, rows: np.ndarray) -> None:
        if len(rows):
            self.h.changeRowsBounds(len(rows), np.asarray(rows, dtype=np.int32), self.row_lower[rows],
                                    self.row_upper[rows])

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
        if self.warm and not self.runs:
            return self._warm_first()
        primal = self.new_objective and not self.new_rows
        if fresh and self.runs:
            basis = self.h.getBasis()
            status = self._fresh(presolve_off=False)
            if status in ("optimal", "time_limit", "iteration_limit") or not basis.valid:
                return status if status in ("optimal", "time_limit", "iteration_limit") else self._unpresolved()
            self.h.setBasis(basis)
        later = self.runs > 0
        if later and self.h.getBasis().valid:
            # warm start from the previous stage's basis. After a new objective alone that basis
            # is still primal feasible and the primal simplex goes on from it (max-min's second
            # stage, when it was warm-started: 7 times fewer CPU seconds than the dual simplex);
            # otherwise the dual simplex (docs/performance.md)
            self.h.setOptionValue("solver", "simplex")
            self.h.setOptionValue("simplex_strategy", PRIMAL if primal else DUAL)
        status = self._solve()
        if later and status not in ("optimal", "time_limit", "iteration_limit"):
            # a later stage keeps the previous stage's point feasible, within tolerances: an
            # "infeasible" (or "Unknown") here is HiGHS's numerics, not the policy (seen at the 60th
            # level of a leximin with a floor and hold-harmless on the flagship, 2.4e-6 scaled)
            return self._fresh(presolve_off=not fresh) if not fresh else self._unpresolved()
        return status

    def _warm_first(self) -> str:
        """The first stage by the dual simplex from the ``start`` basis (:data:`WARM_EDGE_WEIGHTS`);
        anything but optimal is solved again from scratch with the method a cold first stage uses."""
        self.h.setOptionValue("solver", "simplex")
        self.h.setOptionValue("simplex_strategy", DUAL)
        self.h.setOptionValue("simplex_dual_edge_weight_strategy", WARM_EDGE_WEIGHTS)
        status = self._solve()
        self.h.setOptionValue("simplex_dual_edge_weight_strategy", -1)
        if status == "optimal":
            return status
        self.h.clearSolver()
        self.h.setOptionValue("solver", self.method)
        return self._solve()

    def _fresh(self, presolve_off: bool) -> str:
        """Solve from scratch with presolve and :data:`FRESH_METHOD`, at HiGHS's primal tolerance,
        then at :data:`FACE_FEASIBILITY`, and with ``presolve_off`` then without presolve; the last
        status."""
        default = self.h.getOptionValue("primal_feasibility_tolerance")[1]
        for tolerance in (default, FACE_FEASIBILITY):
            status = self._from_scratch(tolerance, "on")
            if status in ("optimal", "time_limit", "iteration_limit"):
                return status
        return self._unpresolved() if presolve_off else status

    def _unpresolved(self) -> str:
        """The last resort: from scratch at :data:`FACE_FEASIBILITY` without presolve, whose reductions
        on a long leximin chain proved infeasible a stage whose previous point broke no row by more
        than 2·10⁻⁸ (slow: 8 s for a tie-break at 10,000 × 4 × 1, against 0.7 s with presolve)."""
        return self._from_scratch(FACE_FEASIBILITY, "off")

    def _from_scratch(self, tolerance: float, presolve: str) -> str:
        default = self.h.getOptionValue("primal_feasibility_tolerance")[1]
        self.h.clearSolver()
        self.h.setOptionValue("solver", FRESH_METHOD)
        self.h.setOptionValue("primal_feasibility_tolerance", tolerance)
        self.h.setOptionValue("presolve", presolve)
        self.h.setOptionValue("presolve_rule_off", PARALLEL_RULE_OFF)
        status = self._solve()
        self.h.setOptionValue("primal_feasibility_tolerance", default)
        self.h.setOptionValue("presolve", "choose")
        self.h.setOptionValue("presolve_rule_off", 0)
        return status

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

    def face(self) -> Face:
        """The LP as it stands (bounds and rows the stages changed included), LP units."""
        lp = self.h.getLp()
        a = lp.a_matrix_
        start, index = np.asarray(a.start_, dtype=np.int64), np.asarray(a.index_, dtype=np.int64)
        value = np.asarray(a.value_, dtype=float)
        if a.format_ != highspy.MatrixFormat.kRowwise:  # column-wise: transpose into rows
            cols = np.repeat(np.arange(lp.num_col_), np.diff(start))
            order = np.lexsort((cols, index))
            start = np.concatenate([[0], np.cumsum(np.bincount(index, minlength=lp.num_row_))])
            index, value = cols[order], value[order]
        return Face(start, index, value, (lp.num_row_, lp.num_col_), np.asarray(lp.row_lower_, dtype=float),
                    np.asarray(lp.row_upper_, dtype=float), np.asarray(lp.col_lower_, dtype=float),
                    np.asarray(lp.col_upper_, dtype=float))

    def objective(self) -> float:
        return float(self.h.getInfo().objective_function_value)

    def describe(self) -> dict[str, str]:
        return {"name": "HiGHS", "version": highs_version(), "engine": self.name}

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
