"""The formula allocation (因素法) of MODEL.md §7: the baseline the optimum is compared with.

- Special fund: each year's budget B_t is shared across region-service cells in proportion to
  w_rst * G_rst, each cell capped at its ceiling U_rst, the excess redistributed among the cells
  still below their ceiling (again in proportion to w * G) until the budget or every ceiling is
  used up.
- Incentive: ybar_rt = I_t * e_rt / sum_q e_qt.

The baseline ignores the policy's rules. Pure numpy: no I/O, no state.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["formula_special_fund", "formula_incentive"]

FloatArray = npt.NDArray[np.float64]


def _as_array(x: npt.ArrayLike, name: str, ndim: int) -> FloatArray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0")
    return arr


def _water_fill(intensity: FloatArray, ceiling: FloatArray, budget: float) -> FloatArray:
    """One year's capped proportional share, exactly, by one sort.

    The end point of "share in proportion to ``intensity``, cap at ``ceiling``, redistribute
    the excess, repeat" is x_i = min(u_i, lam * a_i) with the level lam at which the x sum to
    the budget (or lam = inf when the budget covers every ceiling). With cells sorted by
    r_i = u_i / a_i, f(lam) = sum_i min(u_i, lam a_i) is piecewise linear and increasing; at
    lam = r_k the cells 0..k are capped, so f(r_k) = sum_{j<=k} u_j + r_k sum_{j>k} a_j.
    The first k with f(r_k) >= budget brackets lam in [r_{k-1}, r_k], where
    lam = (budget - sum_{j<k} u_j) / sum_{j>=k} a_j.

    Args:
        intensity: shape (n,), w * G > 0 for every cell (cells with 0 are left out by the caller).
        ceiling: shape (n,), U >= 0, money.
        budget: money >= 0.

    Returns:
        x of shape (n,), money, 0 <= x <= ceiling, sum(x) = min(budget, sum(ceiling)).
    """
    if budget >= ceiling.sum():
        return ceiling.copy()
    with np.errstate(over="ignore", divide="ignore"):
        ratio = ceiling / intensity  # inf only if intensity is ~1e-308 of its ceiling
        overflow = np.isinf(ratio)
        # Sort by r; overflowed ratios go last, ordered among themselves by log r.
        log_key = np.where(overflow, np.log(ceiling) - np.log(intensity), 0.0)
    order = np.lexsort((log_key, ratio))
    a, u, ratio, overflow = intensity[order], ceiling[order], ratio[order], overflow[order]
    capped_u = np.cumsum(u)  # sum_{j<=k} u_j
    # sum_{j>k} a_j, as a suffix sum (no cancellation against the total)
    rest_a = np.concatenate([np.cumsum(a[::-1])[::-1][1:], [0.0]])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        over_rest = ratio * rest_a  # r_k sum_{j>k} a_j, <= sum_{j>k} u_j when exact
        redo = overflow | ~np.isfinite(over_rest)
        over_rest[redo] = np.exp(np.log(u[redo]) - np.log(a[redo]) + np.log(rest_a[redo]))
    level = capped_u + over_rest  # f(r_k), non-decreasing in k
    k = int(np.searchsorted(level, budget, side="left"))
    k = min(k, a.size - 1)  # budget < sum(u) = level[-1] guarantees k < n; guard rounding
    spent_capped = capped_u[k - 1] if k > 0 else 0.0
    # lam * a_j written as remaining * (a_j / sum_{j>=k} a_j): shares <= 1, no overflow.
    remaining = max(0.0, budget - spent_capped)
    sorted_x = np.empty_like(a)
    sorted_x[:k] = u[:k]
    sorted_x[k:] = np.minimum(remaining * (a[k:] / (rest_a[k] + a[k])), u[k:])
    x = np.empty_like(sorted_x)
    x[order] = sorted_x
    return x


def formula_special_fund(
    weight: npt.ArrayLike,
    gap: npt.ArrayLike,
    ceiling: npt.ArrayLike,
    budget: npt.ArrayLike,
) -> FloatArray:
    """Formula (因素法) special-fund allocation x_rst, MODEL.md §7.

    For each year t independently, B_t is shared across the (r, s) cells in proportion to
    w_rst * G_rst, each cell is capped at U_rst and the excess redistributed among the cells
    still below their ceiling, until the budget or every ceiling is used up. Computed exactly as
    a water-filling (one sort per year, O(n log n)): x = min(U, lam_t * w * G).

    Args:
        weight: shape (R, S, T), shortfall weight w_rst >= 0, dimensionless.
        gap: shape (R, S, T), gap G_rst >= 0, money.
        ceiling: shape (R, S, T), fund ceiling U_rst >= 0, money (same unit as ``gap``).
        budget: shape (T,), special-fund budget B_t >= 0, money (same unit).

    Returns:
        x of shape (R, S, T), money: 0 <= x <= ceiling, x = 0 where weight * gap == 0, and
        x[..., t].sum() == min(B_t, sum of ceilings of cells with weight * gap > 0).

    Raises:
        ValueError: shapes disagree, or an entry is negative, NaN or infinite.
    """
    w = _as_array(weight, "weight", 3)
    g = _as_array(gap, "gap", 3)
    u = _as_array(ceiling, "ceiling", 3)
    b = _as_array(budget, "budget", 1)
    if not (w.shape == g.shape == u.shape):
        raise ValueError(
            f"weight {w.shape}, gap {g.shape} and ceiling {u.shape} must have the same shape (R, S, T)"
        )
    n_years = w.shape[2]
    if b.shape != (n_years,):
        raise ValueError(f"budget must have shape ({n_years},) to match T, got {b.shape}")

    with np.errstate(over="ignore"):
        intensity = (w * g).reshape(-1, n_years)
    if not np.all(np.isfinite(intensity)):
        raise ValueError("weight * gap overflows: rescale gap to a larger money unit")
    flat_u = u.reshape(-1, n_years)
    x = np.zeros_like(flat_u)
    for t in range(n_years):
        cells = np.flatnonzero(intensity[:, t] > 0)
        if cells.size:
            x[cells, t] = _water_fill(intensity[cells, t], flat_u[cells, t], float(b[t]))
    return x.reshape(u.shape)


def formula_incentive(basis: npt.ArrayLike, pool: npt.ArrayLike) -> FloatArray:
    """Formula incentive ybar_rt = I_t * e_rt / sum_q e_qt, MODEL.md §3.

    Args:
        basis: shape (R, T), incentive basis e_rt >= 0 (e.g. score-weighted migrants, persons).
        pool: shape (T,), incentive pool I_t >= 0, money.

    Returns:
        ybar of shape (R, T), money (unit of ``pool``); a year whose basis sums to 0 gets 0
        everywhere (no incentive is paid), otherwise ybar[:, t].sum() == I_t.

    Raises:
        ValueError: shapes disagree, or an entry is negative, NaN or infinite.
    """
    e = _as_array(basis, "basis", 2)
    pool_t = _as_array(pool, "pool", 1)
    if pool_t.shape != (e.shape[1],):
        raise ValueError(f"pool must have shape ({e.shape[1]},) to match T, got {pool_t.shape}")
    total = e.sum(axis=0)
    share = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    return share * pool_t
