"""The LP as a Pyomo model, built in bulk: one ``Var`` per variable block over its sparse index set,
one ``MatrixConstraint`` per named rule, one linear ``Objective``.

This is the formulation every solve goes through. :mod:`fiscal_opt.highs` hands it to HiGHS by
reading the CSR arrays the ``MatrixConstraint`` components hold (no expression walking); the
reference path solves it with Pyomo's own HiGHS interface instead.

Building is the one place where the solve creates Python objects per column and per row (a
``VarData`` per column, a constraint row object per row), so it runs with the garbage collector
paused: the objects are all alive until the model is dropped, and the collector's passes over a
heap that grows by hundreds of thousands of objects were half the build time (docs/performance.md).
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo  # not pyomo.environ: its solver and modelling plugins took 1 s of every start
from pyomo.common.gc_manager import PauseGC
from pyomo.core.base.matrix_constraint import MatrixConstraint
from pyomo.core.expr.numeric_expr import LinearExpression

from .lp import LinearProgram


def _index(labels: list[tuple]) -> list:
    return [lab[0] for lab in labels] if labels and len(labels[0]) == 1 else labels


def _none_if_inf(values: np.ndarray) -> list:
    """Bounds as Pyomo takes them: floats, ``None`` for an infinite bound."""
    out = np.asarray(values, dtype=float).astype(object)
    out[~np.isfinite(values)] = None
    return out.tolist()


def to_pyomo(lp: LinearProgram, cost: np.ndarray, offset: float = 0.0, matrix: bool = True) -> pyo.ConcreteModel:
    """Build the Pyomo model of ``lp`` minimising ``cost @ x + offset``.

    Variables keep the labels of their block as index (``m.special_fund['11', 'health', 2020]``);
    ``m._columns`` lists them in LP column order. With ``matrix=False`` each rule is an ordinary
    indexed ``Constraint`` of linear expressions (the plain Pyomo build, which Pyomo's own solver
    interfaces accept; ``MatrixConstraint`` is not supported by them).
    """
    with PauseGC():
        m = pyo.ConcreteModel(name="fiscal_opt")
        lower, upper = lp.bounds()
        columns: list = []
        for name, block in lp.var_blocks.items():
            # dimen=None: the labels are trusted tuples of one length; Pyomo's per-element check
            # of a declared dimension was a fifth of the build
            var = pyo.Var(pyo.Set(initialize=_index(block.labels), ordered=True, dimen=None), dense=True)
            m.add_component(name, var)
            values = list(var.values())
            cols = block.columns
            for v, lo, up in zip(values, _none_if_inf(lower[cols]), _none_if_inf(upper[cols])):
                v._lb = lo
                v._ub = up
            columns.extend(values)
        m._columns = columns
        a = lp.matrix()
        row_lower, row_upper = lp.row_bounds()
        for name, block in lp.row_blocks.items():
            lo, hi = block.start, block.start + len(block.labels)
            part = a[lo:hi]
            lower_, upper_ = _none_if_inf(row_lower[lo:hi]), _none_if_inf(row_upper[lo:hi])
            if matrix:
                m.add_component(name, MatrixConstraint(part.data, part.indices, part.indptr, lower_, upper_, columns))
            else:
                m.add_component(name, pyo.Constraint(range(hi - lo), rule=_row_rule(part, lower_, upper_, columns)))
        set_objective(m, cost, offset)
    return m


def _row_rule(part, lower: list, upper: list, columns: list):
    def rule(_m: pyo.ConcreteModel, i: int):
        cols = part.indices[part.indptr[i]:part.indptr[i + 1]]
        body = LinearExpression(constant=0.0, linear_coefs=part.data[part.indptr[i]:part.indptr[i + 1]].tolist(),
                                linear_vars=[columns[c] for c in cols])
        return pyo.inequality(lower[i], body, upper[i]) if lower[i] != upper[i] else body == lower[i]
    return rule


def set_objective(m: pyo.ConcreteModel, cost: np.ndarray, offset: float = 0.0) -> None:
    """Replace the model's objective by ``minimise cost @ x + offset``."""
    if hasattr(m, "objective"):
        m.del_component("objective")
    nz = np.flatnonzero(cost)
    expr = LinearExpression(constant=float(offset), linear_coefs=cost[nz].tolist(),
                            linear_vars=[m._columns[i] for i in nz])
    m.objective = pyo.Objective(expr=expr, sense=pyo.minimize)
