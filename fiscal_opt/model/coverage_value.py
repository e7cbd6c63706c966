"""The diminishing value of coverage (MODEL-v2 §10.1) as numpy: bands of coverage, the money each
band still lacks in each cell, and the valued shortfall of an allocation.

Band j holds coverage (b_{j−1}, b_j], b_0 = 0, b_J = 1; a unit of money that raises cell
(r, s, t)'s coverage inside band j is worth w_rst·v_j. Without ``policy.coverage_value`` there
is one band up to 1 with value 1, and every figure below is the v1 shortfall w·(G − x). Arrays are
(R, S, T, J), money in money_unit.

A service with places (MODEL-v2 §11) covers c·κ·q of its standard cost, q the people served: its
coverage is q/(a·D), and it starts from 0 (local money serves people only through q), where a
service without places starts from L/C.
"""

from __future__ import annotations

import numpy as np

from ..io.instance import Policy
from .capacity import covered
from .params import Params


def bands(policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """The band levels b_1 … b_J (ending at 1) and their values v_1 > … > v_J."""
    value = policy.coverage_value
    if value is None:
        return np.array([1.0]), np.array([1.0])
    return np.asarray(value.levels, dtype=float), np.asarray(value.values, dtype=float)


def _coverage_at(p: Params, money: np.ndarray) -> np.ndarray:
    """Coverage (L + money)/C of every cell (R, S, T); cells without a standard cost count as covered."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p.standard_cost > 0, (p.local_funding + money) / np.where(p.standard_cost > 0,
                                                                                   p.standard_cost, 1.0), np.inf)


def _start(p: Params) -> np.ndarray:
    """The coverage the LP starts from (R, S, T): L/C, and 0 for a service with places (with demand)."""
    before = _coverage_at(p, np.zeros_like(p.standard_cost))
    if p.capacity is None:
        return before
    return np.where(p.capacity.mask[None, :, None] & (p.standard_cost > 0), 0.0, before)


def widths(p: Params, levels: np.ndarray, up_to: np.ndarray | None = None) -> np.ndarray:
    """Money in each band between the coverage the LP starts from and ``up_to`` (a coverage
    (R, S, T); full coverage when ``None``): C·max(0, min(b_j, up_to) − max(b_{j−1}, L/C)), with 0
    in place of L/C for a service with places."""
    before = _start(p)[..., None]
    top = levels[None, None, None, :] if up_to is None else np.minimum(levels, up_to[..., None])
    lower = np.r_[0.0, levels[:-1]][None, None, None, :]
    with np.errstate(invalid="ignore"):
        width = p.standard_cost[..., None] * np.maximum(0.0, top - np.maximum(lower, before))
    return np.nan_to_num(width, nan=0.0, posinf=0.0)


def reachable(p: Params, levels: np.ndarray) -> np.ndarray:
    """Money in each band that the cell's fund ceiling lets the centre pay."""
    return widths(p, levels, _coverage_at(p, p.ceiling))


def filled(p: Params, levels: np.ndarray, x: np.ndarray) -> np.ndarray:
    """How special fund ``x`` (R, S, T) fills each band, lowest first (R, S, T, J)."""
    width = widths(p, levels)
    before = np.cumsum(width, axis=-1) - width
    return np.clip(x[..., None] - before, 0.0, width)


def shortfall_value(p: Params, policy: Policy, x: np.ndarray, served: np.ndarray | None = None) -> np.ndarray:
    """The valued shortfall Σ_rs w_rst·Σ_j v_j·(money band j still lacks) per year (T,), money_unit
    of weighted shortfall: the objective ``weighted_shortfall`` minimises; ``served`` the people a
    service with places serves (R, S, T), when the instance has places."""
    levels, values = bands(policy)
    if p.capacity is None or served is None:
        missing = widths(p, levels) - filled(p, levels, x)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.where(p.standard_cost > 0, covered(p, x, served) / np.where(p.standard_cost > 0,
                                                                                p.standard_cost, 1.0), np.inf)
        missing = widths(p, levels) - widths(p, levels, k)
    return np.einsum("rst,rstj,j->t", p.weight, missing, values)


def coverage(p: Params, x: np.ndarray, served: np.ndarray | None = None) -> np.ndarray:
    """Coverage k (R, S, T) of special fund ``x`` (and people ``served`` by services with places):
    covered money / C, NaN where there is no standard cost."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p.standard_cost > 0, covered(p, x, served) / np.where(p.standard_cost > 0,
                                                                              p.standard_cost, 1.0), np.nan)
