"""Population-weighted inequality metrics of per-capita resources (MODEL.md §8).

Every function takes 1-D arrays of shape ``(n,)``, one entry per region:

- ``values``: per-capita money (any unit: every metric is unit-free, i.e. invariant to
  multiplying ``values`` by a constant > 0);
- ``weights``: population, persons (>= 0, not all 0). Integer weights give the same result as
  repeating each value that many times with weight 1;
- ``groups``: a group label per region (any hashable: str, int, ...), e.g. East/Central/West.

Entries with zero weight are ignored (they carry no population). Inputs are validated and bad
input raises ``ValueError``. The functions are pure numpy/pandas: no I/O, no state.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "gini",
    "theil_t",
    "theil_l",
    "theil_decomposition",
    "coefficient_of_variation",
    "max_min_ratio",
    "inequality_table",
]

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]


def _as_vector(x: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return arr


def _prepare(
    values: ArrayLike, weights: ArrayLike
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Validate and return (values, population shares, keep mask) over positive-weight entries."""
    v = _as_vector(values, "values")
    w = _as_vector(weights, "weights")
    if v.shape != w.shape:
        raise ValueError(f"values {v.shape} and weights {w.shape} must have the same shape")
    if np.any(w < 0):
        raise ValueError("weights (population) must be >= 0")
    keep = w > 0
    if not np.any(keep):
        raise ValueError("weights (population) sum to 0")
    v, w = v[keep], w[keep]
    return v, w / w.sum(), keep


def _positive_mean(v: FloatArray, s: FloatArray) -> float:
    mean = float(s @ v)
    if not mean > 0:
        raise ValueError(f"the population-weighted mean of values must be > 0, got {mean!r}")
    return mean


def _require_positive(v: FloatArray, metric: str) -> None:
    if np.any(v <= 0):
        raise ValueError(
            f"{metric} needs every value (with positive weight) > 0; "
            f"got min {float(v.min())!r} (log of a non-positive value is undefined)"
        )


def gini(values: ArrayLike, weights: ArrayLike) -> float:
    """Population-weighted Gini coefficient of ``values``.

    G = sum_i sum_j w_i w_j |v_i - v_j| / (2 W^2 mean), W = sum w, mean = sum w v / W.

    Computed in O(n log n) by one sort and cumulative sums (never pairwise): with values sorted
    ascending, sum_{j<i} w_i w_j (v_i - v_j) = sum_i w_i v_i (W_{<i} - W_{>i}).

    Args:
        values: shape (n,), per-capita money (any unit), every value >= 0, weighted mean > 0.
        weights: shape (n,), population, persons (>= 0).

    Returns:
        Dimensionless Gini in [0, 1).
    """
    v, s, keep = _prepare(values, weights)
    if np.any(v < 0):
        raise ValueError(f"gini needs values >= 0; got min {float(v.min())!r}")
    mean = _positive_mean(v, s)
    order = np.argsort(v, kind="stable")
    # Cumulate raw populations (integers are summed exactly) rather than shares.
    w = np.asarray(weights, dtype=float)[keep][order]
    v, s = v[order], s[order]
    total = w.sum()
    cum = np.cumsum(w)
    # W_{<i} - W_{>i} = (cum_i - w_i) - (W - cum_i), over W: share before i minus share after i.
    below_minus_above = (2.0 * cum - w - total) / total
    # sum over ordered pairs j<i of s_i s_j (v_i - v_j), ties contribute 0 whatever the order.
    half_sum = float(np.sum(s * v * below_minus_above))
    return max(0.0, half_sum / mean)


def _theil_terms(v: FloatArray, s: FloatArray) -> tuple[float, float]:
    mean = _positive_mean(v, s)
    ratio = v / mean
    log_ratio = np.log(ratio)
    # Both are >= 0 mathematically; clamp rounding noise (about -1e-17) at 0.
    t = max(0.0, float(np.sum(s * ratio * log_ratio)))
    l_ = max(0.0, float(-np.sum(s * log_ratio)))
    return t, l_


def _theil(values: ArrayLike, weights: ArrayLike, metric: str) -> tuple[float, float]:
    """Validated (Theil T, Theil L); ``metric`` names the caller in error messages."""
    v, s, _ = _prepare(values, weights)
    _require_positive(v, metric)
    return _theil_terms(v, s)


def theil_t(values: ArrayLike, weights: ArrayLike) -> float:
    """Population-weighted Theil T index, GE(1).

    T = sum_i s_i (v_i / mean) ln(v_i / mean), s_i = w_i / sum w.

    Args:
        values: shape (n,), per-capita money (any unit), every value > 0.
        weights: shape (n,), population, persons (>= 0).

    Returns:
        Dimensionless T >= 0 (0 when all values are equal).

    Raises:
        ValueError: a value with positive weight is <= 0 (or bad shapes / weights).
    """
    return _theil(values, weights, "theil_t")[0]


def theil_l(values: ArrayLike, weights: ArrayLike) -> float:
    """Population-weighted Theil L index (mean log deviation), GE(0).

    L = sum_i s_i ln(mean / v_i), s_i = w_i / sum w. Dimensionless, >= 0, 0 when all values
    are equal. Inputs (shape (n,) values > 0 in any money unit, population weights in persons)
    and errors are those of :func:`theil_t`.
    """
    return _theil(values, weights, "theil_l")[1]


def theil_decomposition(values: ArrayLike, weights: ArrayLike, groups: ArrayLike) -> dict[str, float]:
    """Additive between/within-group decomposition of Theil T and Theil L.

    With population share S_g and mean mu_g of group g, and overall mean mu:

    - T_between = sum_g S_g (mu_g/mu) ln(mu_g/mu),  T_within = sum_g S_g (mu_g/mu) T_g
    - L_between = sum_g S_g ln(mu/mu_g),            L_within = sum_g S_g L_g

    Between and within are each computed from their own formula; between + within equals the
    total to rounding (about 1e-15).

    Args:
        values: shape (n,), per-capita money (any unit), every value > 0.
        weights: shape (n,), population, persons (>= 0).
        groups: shape (n,), group label per region (any hashable, no missing labels).

    Returns:
        Dict with float keys ``theil_t``, ``theil_t_between``, ``theil_t_within``, ``theil_l``,
        ``theil_l_between``, ``theil_l_within`` (all dimensionless).
    """
    v, s, keep = _prepare(values, weights)
    _require_positive(v, "theil_decomposition")
    g = np.asarray(groups)
    if g.shape != keep.shape:
        raise ValueError(f"groups {g.shape} must have the same shape as values {keep.shape}")
    codes, _ = pd.factorize(pd.Series(g[keep], dtype=object), use_na_sentinel=True)
    if np.any(codes < 0):
        raise ValueError("groups contains missing labels (NaN/None)")

    mean = _positive_mean(v, s)
    total_t, total_l = _theil_terms(v, s)

    share_g = np.bincount(codes, weights=s)  # S_g, sums to 1
    mean_g = np.bincount(codes, weights=s * v) / share_g  # mu_g
    ratio_g = mean_g / mean
    log_ratio_g = np.log(ratio_g)

    # Within: per-region deviation from its own group mean.
    within_ratio = v / mean_g[codes]
    within_log = np.log(within_ratio)
    # T_within = sum_g S_g (mu_g/mu) T_g = sum_i s_i (v_i/mu) ln(v_i/mu_g)
    t_within = float(np.sum(s * (v / mean) * within_log))
    # L_within = sum_g S_g L_g = sum_i s_i ln(mu_g/v_i)
    l_within = float(-np.sum(s * within_log))
    t_between = float(np.sum(share_g * ratio_g * log_ratio_g))
    l_between = float(-np.sum(share_g * log_ratio_g))
    # Every component is >= 0 (Jensen); clamp rounding noise at 0 as the totals are.
    t_within, l_within, t_between, l_between = (
        max(0.0, x) for x in (t_within, l_within, t_between, l_between)
    )

    return {
        "theil_t": total_t,
        "theil_t_between": t_between,
        "theil_t_within": t_within,
        "theil_l": total_l,
        "theil_l_between": l_between,
        "theil_l_within": l_within,
    }


def coefficient_of_variation(values: ArrayLike, weights: ArrayLike) -> float:
    """Population-weighted coefficient of variation: weighted std / weighted mean.

    std = sqrt(sum_i s_i (v_i - mean)^2) (population std, no small-sample correction).

    Args:
        values: shape (n,), per-capita money (any unit), weighted mean > 0.
        weights: shape (n,), population, persons (>= 0).

    Returns:
        Dimensionless CV >= 0.
    """
    v, s, _ = _prepare(values, weights)
    mean = _positive_mean(v, s)
    dev = v / mean - 1.0  # scale first: unit-free and safe for huge values
    return float(np.sqrt(np.sum(s * dev * dev)))


def max_min_ratio(values: ArrayLike) -> float:
    """Ratio of the largest to the smallest value (unweighted).

    Args:
        values: shape (n,), per-capita money (any unit), every value >= 0.

    Returns:
        max/min (dimensionless, >= 1); ``inf`` when the minimum is 0 (also when all are 0).
    """
    v = _as_vector(values, "values")
    if np.any(v < 0):
        raise ValueError("max_min_ratio needs values >= 0")
    lo, hi = float(v.min()), float(v.max())
    if lo == 0.0:
        return float("inf")
    return hi / lo


def inequality_table(values: ArrayLike, weights: ArrayLike, groups: ArrayLike) -> dict[str, float]:
    """All equity metrics of MODEL.md §8 for one year, as plain Python floats.

    Args:
        values: shape (n,), per-capita money (any unit), every value > 0 (Theil needs it).
        weights: shape (n,), population, persons (>= 0).
        groups: shape (n,), group label per region.

    Returns:
        Dict with keys ``gini``, ``theil_t``, ``theil_l``, ``theil_t_between``,
        ``theil_t_within``, ``theil_l_between``, ``theil_l_within``, ``cv``, ``max_min_ratio``.
        ``max_min_ratio`` is taken over the regions with positive weight.
    """
    v, _, keep = _prepare(values, weights)
    decomposition = theil_decomposition(values, weights, groups)
    table = {
        "gini": gini(values, weights),
        "theil_t": decomposition["theil_t"],
        "theil_l": decomposition["theil_l"],
        "theil_t_between": decomposition["theil_t_between"],
        "theil_t_within": decomposition["theil_t_within"],
        "theil_l_between": decomposition["theil_l_between"],
        "theil_l_within": decomposition["theil_l_within"],
        "cv": coefficient_of_variation(values, weights),
        "max_min_ratio": max_min_ratio(v),
    }
    return {key: float(val) for key, val in table.items()}
