"""Recompute every rule from the written result files and assert it holds.

Reads allocations.csv and regions.csv back from disk, rebuilds the allocation arrays in the
instance's order and runs the independent numpy check of :mod:`fiscal_opt.solver.verify` on them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import fiscal_opt as fo
from fiscal_opt.model.params import derive
from fiscal_opt.solver.verify import TOLERANCE, hard_violations, rule_residuals


def check_written_result(instance: fo.Instance, policy: fo.Policy, out: Path) -> dict[str, float]:
    """Assert the files in ``out`` satisfy every hard rule and reconcile; returns the residuals."""
    p = derive(instance, policy)
    alloc = pd.read_csv(out / "allocations.csv", dtype={"region": str})
    regions = pd.read_csv(out / "regions.csv", dtype={"region": str})
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    r_pos = {r: i for i, r in enumerate(p.region_ids)}
    s_pos = {s: i for i, s in enumerate(p.services)}
    t_pos = {y: i for i, y in enumerate(p.years)}
    R, S, T = p.shape
    assert len(alloc) == R * S * T and len(regions) == R * T
    x = np.zeros((R, S, T))
    x[alloc["region"].map(r_pos), alloc["service"].map(s_pos), alloc["year"].map(t_pos)] = alloc["special_fund"]
    y = np.zeros((R, T))
    y[regions["region"].map(r_pos), regions["year"].map(t_pos)] = regions["incentive"]
    budget = None if p.special_fund is not None and policy.objective != "min_budget" else x.sum(axis=(0, 1))
    residuals = rule_residuals(p, policy, x, y, budget)
    assert not hard_violations(residuals, policy), residuals
    for t, year in enumerate(p.years):
        key = str(year)
        used = float(alloc.loc[alloc["year"] == year, "special_fund"].sum())
        assert abs(used - summary["budget_used"][key]) <= 1e-9 * max(1.0, abs(used))
        assert summary["budget_unallocated"][key] >= -TOLERANCE * max(1.0, summary["budget"][key])
    # the per-region table agrees with the per-cell table
    per_region = alloc.groupby(["region", "year"])["special_fund"].sum()
    merged = regions.set_index(["region", "year"])["special_fund"]
    assert np.allclose(per_region.loc[merged.index].to_numpy(), merged.to_numpy(), rtol=1e-12, atol=1e-9)
    assert np.allclose(regions["transfer"], regions["special_fund"] + regions["incentive"], rtol=1e-12, atol=1e-9)
    return residuals
