"""Monte Carlo draws of a scenario's uncertain quantities: seeded, correlated by group if asked.

Each quantity is drawn from standard normals through a Gaussian copula: one normal per draw for
the nation (``by: national``), per group (``by: group``), or per region (``by: region``), where the
regions of one group share a common normal with weight √ρ (``correlation`` ρ) beside their own
with weight √(1 − ρ); the normal is then carried to the stated distribution by its quantile
function, so every region keeps that distribution and any two regions of a group have normal
scores correlated ρ. Every quantity has its own random streams, seeded by the scenario's seed and
the quantity's place in :data:`~fiscal_opt.io.scenario.QUANTITIES`: the same seed gives the same
draws, and the first N draws of a longer run are the N draws of a shorter one.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from ..io.scenario import QUANTITIES, Distribution

COMMON, OWN = 0, 1
"""The two random streams of a quantity: the nation's or the groups' normals, and the regions' own."""


def normal_scores(dist: Distribution, seed: int, quantity: str, groups: np.ndarray, draws: int) -> np.ndarray:
    """Standard normal scores (draws, R) for ``quantity`` over regions in ``groups`` (R,) (their
    group labels), correlated as ``dist.by`` and ``dist.correlation`` say."""
    place = QUANTITIES.index(quantity)
    labels, group_of = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    common = np.random.default_rng([seed, place, COMMON])
    if dist.by == "national":
        return np.repeat(common.standard_normal((draws, 1)), len(groups), axis=1)
    shared = common.standard_normal((draws, len(labels)))[:, group_of]
    if dist.by == "group":
        return shared
    own = np.random.default_rng([seed, place, OWN]).standard_normal((draws, len(groups)))
    return np.sqrt(dist.correlation) * shared + np.sqrt(1.0 - dist.correlation) * own


def quantile(dist: Distribution, z: np.ndarray) -> np.ndarray:
    """Values of ``dist`` at standard normal scores ``z`` (its quantile function at Φ(z))."""
    if dist.distribution == "normal":
        return dist.mean + dist.sd * z  # type: ignore[operator]
    if dist.distribution == "lognormal":  # the mean and sd of the value itself
        sigma2 = np.log1p((dist.sd / dist.mean) ** 2)  # type: ignore[operator]
        return np.exp(np.log(dist.mean) - sigma2 / 2 + np.sqrt(sigma2) * z)  # type: ignore[arg-type]
    u = ndtr(z)
    low, high = float(dist.low), float(dist.high)  # type: ignore[arg-type]
    if dist.distribution == "uniform":
        return low + (high - low) * u
    mode = float(dist.mode)  # type: ignore[arg-type]
    cut = (mode - low) / (high - low)
    rising = low + np.sqrt(u * (high - low) * (mode - low))
    falling = high - np.sqrt((1.0 - u) * (high - low) * (high - mode))
    return np.where(u < cut, rising, falling)


def draw(dist: Distribution, seed: int, quantity: str, groups: np.ndarray, draws: int) -> np.ndarray:
    """``draws`` values of ``quantity`` for each region (draws, R)."""
    return quantile(dist, normal_scores(dist, seed, quantity, groups, draws))
