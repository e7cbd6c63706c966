"""The formulation as a real Pyomo model, in the instance's own units.

One indexed ``Var`` per variable block, named for it and indexed by its labels
(``m.special_fund['11', 'health', 2020]``, money_unit), and one indexed ``Constraint`` per row
block, named for its rule (``m.per_capita_floor['11', 2020]``): readable in ``m.pprint()``,
solvable by any solver Pyomo supports, and open to constraints of a user's own, written in
Pyomo algebra on those variables. Units: money in the instance's ``money_unit``; per-capita
variables (``per_capita``, ``per_capita_min``, ``per_capita_max``, ``gini_pair_gap``) in yuan per
person; ``coverage_level`` a share; places and people served (``served``, ``places``,
``places_started``, ``places_converted``) in persons. Each component's ``doc`` says so.

The objective ``m.objective`` is the policy's first-stage objective in the LP's internal units
(solvers only need its direction); the result reports it in the instance's terms.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pyomo.core as pyo  # not pyomo.environ: its solver and modelling plugins take a second to import
from pyomo.core.expr.numeric_expr import LinearExpression

from ..io.values import MONEY_UNITS
from .objectives import first_stage

if TYPE_CHECKING:
    from .build import Formulation
    from .lp import LinearProgram, RowBlock, VarBlock

UNIT_NAMES = {"money": "{money_unit}", "per_capita": "yuan per person", "share": "share", "persons": "persons"}


def unit_scales(f: Formulation) -> dict[str, float]:
    """The instance's own units per LP unit, by kind of quantity (:data:`~fiscal_opt.model.lp.UNITS`)."""
    ms, ps = f.scale.money, f.scale.population
    return {"money": ms, "per_capita": ms * MONEY_UNITS[f.params.money_unit] / ps, "share": 1.0, "persons": ps}


def column_scales(f: Formulation) -> np.ndarray:
    """Natural units per LP unit of every column, in LP column order."""
    return _scales(f, f.lp.var_blocks.values(), f.lp.n_cols)


def row_scales(f: Formulation) -> np.ndarray:
    """Natural units per LP unit of every row, in LP row order."""
    return _scales(f, f.lp.row_blocks.values(), f.lp.n_rows)


def _scales(f: Formulation, blocks: Iterable[VarBlock | RowBlock], n: int) -> np.ndarray:
    scales = unit_scales(f)
    out = np.ones(n)
    for block in blocks:
        out[block.start:block.start + len(block.labels)] = scales[block.unit]
    return out


def _index(labels: list[tuple]) -> list:
    return [lab[0] for lab in labels] if labels and len(labels[0]) == 1 else labels


def _bound(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def variables(m: pyo.ConcreteModel, lp: LinearProgram) -> list:
    """The model's variables in LP column order (what the solve reads and writes)."""
    return [var for name in lp.var_blocks for var in m.component(name).values()]


def constraints(m: pyo.ConcreteModel, lp: LinearProgram) -> list:
    """The model's constraint rows in LP row order."""
    return [row for name in lp.row_blocks for row in m.component(name).values()]


def to_pyomo(f: Formulation) -> pyo.ConcreteModel:
    """The Pyomo model of ``f`` (see the module docstring); ``m.formulation`` is ``f``."""
    lp = f.lp
    units = {kind: text.format(money_unit=f.params.money_unit) for kind, text in UNIT_NAMES.items()}
    col_scale, row_scale = column_scales(f), row_scales(f)
    lower, upper = lp.bounds()
    m = pyo.ConcreteModel(name="fiscal_opt")
    for name, block in lp.var_blocks.items():
        cols = block.columns
        bounds = dict(zip(_index(block.labels), zip((lower[cols] * col_scale[cols]).tolist(),
                                                     (upper[cols] * col_scale[cols]).tolist())))
        m.add_component(name, pyo.Var(pyo.Set(initialize=_index(block.labels), dimen=None, ordered=True),
                                      bounds=lambda _m, *key, b=bounds: tuple(map(_bound, b[key[0] if len(key) == 1
                                                                                          else key])),
                                      dense=True, doc=units[block.unit]))
    columns = variables(m, lp)
    a = lp.matrix()
    row_lower, row_upper = lp.row_bounds()

    def row(k: int) -> object:
        part = slice(a.indptr[k], a.indptr[k + 1])
        cols = a.indices[part]
        body = LinearExpression(constant=0.0, linear_coefs=(a.data[part] * row_scale[k] / col_scale[cols]).tolist(),
                                linear_vars=[columns[c] for c in cols])
        lo, up = _bound(row_lower[k] * row_scale[k]), _bound(row_upper[k] * row_scale[k])
        return body == lo if lo is not None and lo == up else pyo.inequality(lo, body, up)

    for name, block in lp.row_blocks.items():
        index = _index(block.labels)
        at = {key: block.start + i for i, key in enumerate(index)}
        m.add_component(name, pyo.Constraint(pyo.Set(initialize=index, dimen=None, ordered=True),
                                             rule=lambda _m, *key, at=at: row(at[key[0] if len(key) == 1 else key]),
                                             doc=f"rule {block.rule or name}, in {units[block.unit]}"))
    cost, offset = first_stage(f)
    m.objective = pyo.Objective(expr=linear(columns, cost / col_scale, offset), sense=pyo.minimize,
                                doc="the policy's first-stage objective, in the LP's internal units")
    m.formulation = f
    return m


def linear(columns: list, coefs: np.ndarray, constant: float = 0.0) -> LinearExpression:
    """Σ coefs·columns + constant over the non-zero coefficients."""
    nz = np.flatnonzero(coefs)
    return LinearExpression(constant=float(constant), linear_coefs=coefs[nz].tolist(),
                            linear_vars=[columns[i] for i in nz])
