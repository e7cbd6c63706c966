"""The rule that decides between equally good allocations, from the data alone (MODEL-v2 §10.2).

On the optimal face of the last stage (every earlier optimum held), the answer is the unique
minimiser of

    Σ_cells C_rst · k_rst²  +  Σ_paid (y_rt − ȳ_rt)² / ȳ_rt

— tied cells get the same coverage k = (L + x)/C (for a service with places, k = q/(a·D), the
share of its demand served) where the rules allow, and incentives stay as near the formula as the
rules allow — a strictly convex quadratic program, solved by Clarabel
(an interior-point solver) on the face's free part. It uses no id and no position, so permuting
or renaming regions or services permutes or renames the answer. In one sentence: *among equally
good allocations, the one whose coverage is most even, cost-weighted, and whose incentives are
nearest the formula.* With places (MODEL-v2 §11) the sum adds Σ (w² + w)/s for what serves no one
by itself — the special fund of a service with places, places started and converted, capital
grants, each over its own size s — so that among equally good allocations none is spent, built
or granted beyond need.

The interior point is fast on faces of up to tens of thousands of free columns (the flagship:
7 ms; 10,000 regions under max-min: 0.07 s) but slows down on very degenerate large faces
(2,850 regions × 5 years under a floor and hold-harmless: 72,000 free columns, 116 s). Above
:data:`MAX_FREE_COLUMNS` free columns, or when the interior point does not converge, the linear
data-only rule of :mod:`fiscal_opt.model.objectives` decides instead, and the summary says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..model.objectives import waste_columns

if TYPE_CHECKING:
    from ..model.build import Formulation

MAX_FREE_COLUMNS = 20_000
"""The quadratic rule is run on faces with at most this many free columns."""

TOLERANCE = 1e-10
"""Clarabel's gap and feasibility tolerances (its defaults are 10⁻⁸)."""

FEASIBILITY = 1e-7
"""Largest violation of a face row (relative, at least 1 LP unit) accepted from the interior point."""

MAX_ITERATIONS = 100
"""Interior-point iterations allowed before the linear rule decides instead (deterministic, unlike a
time limit)."""


@dataclass(frozen=True)
class Face:
    """The LP restricted to its optimal face (LP units): rows ``row_lower <= A x <= row_upper``
    with ``A`` in compressed-row form (``indptr``, ``indices``, ``data``, ``shape``), column bounds.
    Columns beyond the formulation's (a user's own Pyomo variables) come last."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray


def free_columns(face: Face) -> int:
    """Columns the face does not fix."""
    return int(np.count_nonzero(face.col_lower < face.col_upper))


def waste_sizes(f: Formulation) -> tuple[np.ndarray, np.ndarray]:
    """The columns that serve no one by themselves (:func:`~fiscal_opt.model.objectives.waste_columns`)
    and the size each is measured against (LP units): the standard cost of its cell for the special
    fund, the demand of its cell for places started, the places at the start for places converted,
    the region-year's standard cost of services with places for a capital grant (at least 1)."""
    p = f.params
    cols = waste_columns(f)
    if not cols.size:
        return cols, np.zeros(0)
    cp, ms, ps = p.capacity, f.scale.money, f.scale.population
    size = np.ones(f.lp.n_cols)
    own = p.capacity.mask[f.cell_s]
    size[f.x_cols[own]] = p.standard_cost[f.cell_r[own], f.cell_s[own], f.cell_t[own]] / ms
    places = f.places
    n = places.n >= 0
    size[places.n[n]] = np.broadcast_to(cp.demand.max(axis=2, keepdims=True), n.shape)[n] / ps
    v = places.v >= 0
    size[places.v[v]] = np.broadcast_to(cp.start[:, cp.conv_from][:, :, None], v.shape)[v] / ps
    if places.g is not None:
        size[places.g.ravel()] = (p.standard_cost * cp.mask[None, :, None]).sum(axis=1).ravel() / ms
    return cols, np.maximum(size[cols], 1e-6)


def equal_coverage(f: Formulation, face: Face) -> np.ndarray | None:
    """Column values (LP units) of the tie rule's answer on ``face``, or ``None`` when the face is
    too large for it or the interior point does not converge to a point of the face."""
    if free_columns(face) > MAX_FREE_COLUMNS:
        return None
    import clarabel
    import scipy.sparse as sp

    p, ms, cov = f.params, f.scale.money, f.coverage
    n = face.shape[1]
    hessian, linear = np.zeros(n), np.zeros(n)
    C = cov.cost
    # C·((base + coef·col)/C)², less its constant (coef 1, base L for the special fund)
    hessian[cov.cols], linear[cov.cols] = 2 * cov.coef ** 2 / C, 2 * cov.base * cov.coef / C
    waste, size = waste_sizes(f)
    hessian[waste], linear[waste] = 2 / size, 1 / size  # (w² + w)/s: the least of each, 0 where the face allows
    ybar = p.formula_incentive[f.pay_r, f.pay_t] / ms
    paid = ybar > 0  # an incentive column exists where the formula pays; ȳ may underflow to 0
    hessian[f.y_cols[paid]], linear[f.y_cols[paid]] = 2 / ybar[paid], -2.0  # (y − ȳ)²/ȳ, less its constant
    A = sp.csr_matrix((face.data, face.indices, face.indptr), shape=face.shape)
    fixed = face.col_lower >= face.col_upper
    free = ~fixed
    at = np.where(fixed, face.col_lower, 0.0)
    shift = A @ at
    A = A[:, free]
    lower, upper = face.row_lower - shift, face.row_upper - shift
    used = A.getnnz(axis=1) > 0
    A, lower, upper = A[used], lower[used], upper[used]
    equal = lower == upper
    above, below = ~equal & np.isfinite(upper), ~equal & np.isfinite(lower)
    col_lower, col_upper = face.col_lower[free], face.col_upper[free]
    identity = sp.identity(int(free.sum()), format="csr")
    has_upper, has_lower = np.isfinite(col_upper), np.isfinite(col_lower)
    inequalities = sp.vstack([A[above], -A[below], identity[has_upper], -identity[has_lower]])
    constraints = sp.vstack([A[equal], inequalities]).tocsc()
    rhs = np.concatenate([upper[equal], upper[above], -lower[below], col_upper[has_upper], -col_lower[has_lower]])
    cones = [clarabel.ZeroConeT(int(equal.sum())), clarabel.NonnegativeConeT(inequalities.shape[0])]
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.max_iter = MAX_ITERATIONS
    settings.max_threads = 1  # the same answer every time
    # the minimiser is found only to about the square root of the objective's accuracy where the
    # cost-weighted curvature is small: 10⁻¹⁰ gives allocations within 3·10⁻⁷ (LP units) between two
    # engines whose faces differ by rounding (10⁻⁸ left 2.5·10⁻⁵); tighter, Clarabel 0.11 has
    # reported "Solved" for points that break rows by thousands (checked below all the same)
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = TOLERANCE
    solution = clarabel.DefaultSolver(sp.diags(hessian[free]).tocsc(), linear[free], constraints, rhs, cones,
                                      settings).solve()
    if solution.status != clarabel.SolverStatus.Solved:
        return None
    values = at.copy()
    values[free] = np.asarray(solution.x)
    values = np.clip(values, face.col_lower, face.col_upper)
    activity = sp.csr_matrix((face.data, face.indices, face.indptr), shape=face.shape) @ values
    room = FEASIBILITY * np.maximum(1.0, np.abs(activity))
    if np.any(activity < face.row_lower - room) or np.any(activity > face.row_upper + room):
        return None
    return values
