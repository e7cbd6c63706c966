"""Explaining an infeasible policy in the instance's own terms.

Two levels: :func:`presolve_check` catches element-wise contradictions before any solve (a
min_coverage that needs more than the central share cap allows, a hold-harmless floor above what a
region can receive, coverage needs above the budget); :func:`diagnose_infeasible` maps HiGHS's
irreducible infeasible subset back to the named rules of MODEL.md §5.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..errors import InfeasibleError
from ..model.build import Formulation

SHOWN = 12
"""At most this many offending elements are named in a message."""

BOUND_RULES = {"special_fund": "fund_ceiling", "incentive": "incentive_band",
               "coverage_level": "coverage_level"}


class _Engine(Protocol):
    def iis(self) -> tuple[np.ndarray, np.ndarray] | None: ...


def _name(rule: str, label: tuple) -> str:
    return f"{rule}[{','.join(str(v) for v in label)}]"


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def presolve_check(f: Formulation) -> None:
    """Raise :class:`InfeasibleError` for contradictions visible element by element."""
    p, pol = f.params, f.policy
    money = p.money_unit
    if pol.min_coverage and not pol.min_coverage.soft:
        tau = pol.min_coverage.value
        need = tau * p.standard_cost - p.local_funding
        short = need - p.ceiling > 1e-9 * np.maximum(1.0, p.standard_cost)
        if short.any():
            r, s, t = np.nonzero(short)
            items = [f"{_name('min_coverage', (p.region_ids[i], p.services[j], p.years[k]))} needs "
                     f"{need[i, j, k]:.6g} {money} but the fund ceiling (gap capped at the central share) "
                     f"allows {p.ceiling[i, j, k]:.6g}" for i, j, k in zip(r, s, t)]
            raise InfeasibleError("min_coverage cannot be met within the central share caps: " + _listing(items)
                                  + f". The highest coverage every cell can reach is "
                                  f"{_reachable_coverage(f):.4f}", ["min_coverage", "fund_ceiling"])
        if p.special_fund is not None and pol.objective != "min_budget":
            needed = np.maximum(need, 0.0).sum(axis=(0, 1))
            over = np.flatnonzero(needed > p.special_fund * (1 + 1e-9) + 1e-12)
            if over.size:
                items = [f"year {p.years[t]}: needs {needed[t]:.6g} {money}, budget {p.special_fund[t]:.6g}" for t in over]
                raise InfeasibleError("min_coverage needs more special fund than the budget: " + _listing(items)
                                      + ". The smallest budget that meets it is the sum above (run the "
                                      "min_budget objective for the full answer)", ["budget", "min_coverage"])
    hh = pol.hold_harmless
    if hh is not None and hh.max_cut is not None and not hh.soft and p.prior_transfer is not None:
        most = p.ceiling[:, :, 0].sum(axis=1) + (1 + p.flexibility) * p.formula_incentive[:, 0]
        floor = (1 - hh.max_cut) * p.prior_transfer
        bad = np.flatnonzero(floor > most * (1 + 1e-9) + 1e-12)
        if bad.size:
            items = [f"{_name('hold_harmless', (p.region_ids[i], p.years[0]))} needs {floor[i]:.6g} {money} but at "
                     f"most {most[i]:.6g} can be paid" for i in bad]
            raise InfeasibleError("hold_harmless asks more than a region can receive: " + _listing(items),
                                  ["hold_harmless", "fund_ceiling"])


def _reachable_coverage(f: Formulation) -> float:
    p = f.params
    with np.errstate(divide="ignore", invalid="ignore"):
        top = np.where(p.standard_cost > 0, (p.local_funding + p.ceiling) / p.standard_cost, np.inf)
    return float(min(1.0, top.min())) if top.size else 1.0


def diagnose_infeasible(f: Formulation, engine: _Engine) -> list[str]:
    """The named rules in HiGHS's irreducible infeasible subset (or every active rule if none)."""
    found = engine.iis()
    lp = f.lp
    if found is None or (len(found[0]) == 0 and len(found[1]) == 0):
        return sorted(name for name, block in lp.row_blocks.items() if block.labels)
    rows, cols = found
    names: list[str] = []
    for name, block in lp.row_blocks.items():
        inside = rows[(rows >= block.start) & (rows < block.start + len(block.labels))] - block.start
        names += [_name(name, block.labels[i]) for i in inside]
    for name, block in lp.var_blocks.items():
        inside = cols[(cols >= block.start) & (cols < block.start + len(block.labels))] - block.start
        names += [_name(BOUND_RULES.get(name, name), block.labels[i]) for i in inside]
    return names
