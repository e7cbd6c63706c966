"""A linear program as named blocks of variables and rows (sparse, built in bulk).

The fiscal formulation (:mod:`fiscal_opt.model`) fills one of these; :mod:`fiscal_opt.pyomo_model`
turns it into a Pyomo model (one ``Var`` per variable block over its sparse index set, one
``MatrixConstraint`` per named rule). Everything is in the LP's internal (scaled) units.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

INF = np.inf


@dataclass
class VarBlock:
    """Columns ``start .. start+len(labels)`` of the LP, one per label."""

    name: str
    labels: list[tuple]
    start: int

    @property
    def columns(self) -> np.ndarray:
        return np.arange(self.start, self.start + len(self.labels))


@dataclass
class RowBlock:
    """A named rule: ``lower <= A x <= upper`` for rows ``start .. start+len(labels)``."""

    name: str
    labels: list[tuple]
    start: int
    soft: bool = False
    slack: VarBlock | None = None

    @property
    def rows(self) -> np.ndarray:
        return np.arange(self.start, self.start + len(self.labels))


@dataclass
class LinearProgram:
    """Minimise ``cost @ x + offset`` subject to the row blocks and column bounds."""

    var_blocks: dict[str, VarBlock] = field(default_factory=dict)
    row_blocks: dict[str, RowBlock] = field(default_factory=dict)
    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    _coo: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    n_cols: int = 0
    n_rows: int = 0

    def add_vars(self, name: str, labels: list[tuple], lower: np.ndarray | float = 0.0,
                 upper: np.ndarray | float = INF) -> np.ndarray:
        """Add a block of columns; returns their column indices."""
        n = len(labels)
        block = VarBlock(name, labels, self.n_cols)
        self.var_blocks[name] = block
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy())
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy())
        self.n_cols += n
        return block.columns

    def add_rows(self, name: str, labels: list[tuple], rows: np.ndarray, cols: np.ndarray, vals: np.ndarray,
                 lower: np.ndarray | float = -INF, upper: np.ndarray | float = INF, soft: bool = False) -> RowBlock:
        """Add a named block of rows given in coordinate form (``rows`` local to the block).

        A soft block gets one non-negative slack column per row (``<name>_slack``) that relaxes
        the row's finite side; the caller prices the slacks in the objective.
        """
        n = len(labels)
        lo = np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy()
        up = np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy()
        block = RowBlock(name, labels, self.n_rows, soft)
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.asarray(vals, dtype=float)
        if soft and n:
            slack_cols = self.add_vars(f"{name}_slack", labels)
            block.slack = self.var_blocks[f"{name}_slack"]
            sign = np.where(np.isfinite(lo), 1.0, -1.0)
            rows = np.concatenate([rows, np.arange(n)])
            cols = np.concatenate([cols, slack_cols])
            vals = np.concatenate([vals, sign])
        self._coo.append((rows + self.n_rows, cols, vals))
        self.row_lower.append(lo)
        self.row_upper.append(up)
        self.row_blocks[name] = block
        self.n_rows += n
        return block

    def matrix(self) -> sp.csr_matrix:
        """The constraint matrix A (rows × columns), CSR with sorted indices and no explicit zeros."""
        if not self._coo:
            return sp.csr_matrix((0, self.n_cols))
        rows = np.concatenate([c[0] for c in self._coo])
        cols = np.concatenate([c[1] for c in self._coo])
        vals = np.concatenate([c[2] for c in self._coo])
        keep = vals != 0
        a = sp.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(self.n_rows, self.n_cols))
        a.sum_duplicates()
        a.sort_indices()
        return a

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Column lower and upper bounds."""
        return _cat(self.lower), _cat(self.upper)

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Row lower and upper bounds."""
        return _cat(self.row_lower), _cat(self.row_upper)

    def columns_of(self, name: str) -> np.ndarray:
        """Column indices of a variable block (empty if the block does not exist)."""
        block = self.var_blocks.get(name)
        return block.columns if block is not None else np.arange(0)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0)
