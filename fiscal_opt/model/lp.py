"""A linear program as named blocks of variables and rows (sparse, built in bulk).

The fiscal formulation (:mod:`fiscal_opt.model.build`) fills one of these: every rule of
:mod:`fiscal_opt.rules` adds its blocks. :mod:`fiscal_opt.solver.highs` hands the arrays to HiGHS
in bulk; :mod:`fiscal_opt.model.pyomo_model` turns the same blocks into a Pyomo model (one indexed
``Var`` per variable block, one indexed ``Constraint`` per row block). Everything is in the LP's
internal (scaled) units; each block says which kind of quantity it holds (``unit``) so that the
Pyomo model can be written in the instance's own units.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

INF = np.inf


@dataclass(frozen=True)
class CSR:
    """A sparse matrix in compressed-row form (sorted column indices, no duplicates).

    Plain numpy on purpose: importing scipy next to Pyomo makes Pyomo import half of scipy
    (about half a second at every start of the command line).
    """

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def from_coo(cls, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, shape: tuple[int, int]) -> CSR:
        """Sum duplicate entries and drop zeros."""
        key = rows.astype(np.int64) * max(shape[1], 1) + cols
        order = np.argsort(key, kind="stable")
        key, vals = key[order], vals[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else np.zeros(0, dtype=np.int64)
        summed = np.add.reduceat(vals, starts) if key.size else np.zeros(0)
        key = key[starts]
        keep = summed != 0
        key, summed = key[keep], summed[keep]
        row, col = np.divmod(key, max(shape[1], 1))
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=shape[0]), out=indptr[1:])
        return cls(summed, col, indptr, shape)

    def __getitem__(self, rows: slice) -> CSR:
        """Rows ``lo:hi`` (a step-1 slice)."""
        lo, hi, _ = rows.indices(self.shape[0])
        start, stop = self.indptr[lo], self.indptr[hi]
        return CSR(self.data[start:stop], self.indices[start:stop], self.indptr[lo:hi + 1] - start,
                   (hi - lo, self.shape[1]))

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        """A @ x."""
        row = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
        return np.bincount(row, weights=self.data * x[self.indices], minlength=self.shape[0])


UNITS = ("money", "per_capita", "share", "persons")
"""Kinds of quantity a block holds: money (money_unit), money per person, a pure number, or a count
of persons (places, people served)."""


@dataclass
class VarBlock:
    """Columns ``start .. start+len(labels)`` of the LP, one per label, holding ``unit``."""

    name: str
    labels: list[tuple]
    start: int
    unit: str = "money"

    @property
    def columns(self) -> np.ndarray:
        return np.arange(self.start, self.start + len(self.labels))


@dataclass
class RowBlock:
    """A named block of rows ``lower <= A x <= upper``, rows ``start .. start+len(labels)``.

    ``rule`` is the rule the rows belong to (``None`` for rows that only define a quantity);
    ``region`` and ``year`` index each row into (R, T) where a row is about one region-year (or a
    cell of one), else ``None``; ``unit`` is the kind of quantity the rows are written in.
    """

    name: str
    labels: list[tuple]
    start: int
    soft: bool = False
    slack: VarBlock | None = None
    rule: str | None = None
    region: np.ndarray | None = None
    year: np.ndarray | None = None
    unit: str = "money"

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
    _matrix: CSR | None = None
    n_cols: int = 0
    n_rows: int = 0

    def add_vars(self, name: str, labels: list[tuple], lower: np.ndarray | float = 0.0,
                 upper: np.ndarray | float = INF, unit: str = "money") -> np.ndarray:
        """Add a block of columns; returns their column indices."""
        n = len(labels)
        block = VarBlock(name, labels, self.n_cols, unit)
        self.var_blocks[name] = block
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy())
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy())
        self.n_cols += n
        return block.columns

    def add_rows(self, name: str, labels: list[tuple], rows: np.ndarray, cols: np.ndarray, vals: np.ndarray,
                 lower: np.ndarray | float = -INF, upper: np.ndarray | float = INF, soft: bool = False,
                 rule: str | None = None, region: np.ndarray | None = None, year: np.ndarray | None = None,
                 unit: str = "money") -> RowBlock:
        """Add a named block of rows given in coordinate form (``rows`` local to the block).

        A soft block gets one non-negative slack column per row (``<name>_slack``, in the rows'
        unit) that relaxes the row's finite side; the caller prices the slacks in the objective.
        """
        n = len(labels)
        lo = np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy()
        up = np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy()
        block = RowBlock(name, labels, self.n_rows, soft, rule=rule, region=region, year=year, unit=unit)
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.asarray(vals, dtype=float)
        if soft and n:
            slack_cols = self.add_vars(f"{name}_slack", labels, unit=unit)
            block.slack = self.var_blocks[f"{name}_slack"]
            sign = np.where(np.isfinite(lo), 1.0, -1.0)
            rows = np.concatenate([rows, np.arange(n)])
            cols = np.concatenate([cols, slack_cols])
            vals = np.concatenate([vals, sign])
        self._coo.append((rows + self.n_rows, cols, vals))
        self._matrix = None
        self.row_lower.append(lo)
        self.row_upper.append(up)
        self.row_blocks[name] = block
        self.n_rows += n
        return block

    def matrix(self) -> CSR:
        """The constraint matrix A (rows × columns), CSR with sorted indices and no explicit zeros
        (built once, again only after rows are added)."""
        if self._matrix is None or self._matrix.shape != (self.n_rows, self.n_cols):
            if not self._coo:
                empty = np.zeros(0, dtype=np.int64)
                self._matrix = CSR(np.zeros(0), empty, np.zeros(self.n_rows + 1, dtype=np.int64),
                                   (self.n_rows, self.n_cols))
            else:
                self._matrix = CSR.from_coo(np.concatenate([c[0] for c in self._coo]),
                                            np.concatenate([c[1] for c in self._coo]),
                                            np.concatenate([c[2] for c in self._coo]), (self.n_rows, self.n_cols))
        return self._matrix

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
