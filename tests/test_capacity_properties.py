"""Properties of places (MODEL-v2 §11) on random small instances (hypothesis): more capital fund
never raises the shortfall, and permuting the regions permutes the answer (plan of places included)."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fiscal_opt as fo
from conftest import write_instance

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def instances(draw) -> dict:
    """2–4 regions over 3 years, education with school places (lead time 0–2), health without;
    money in yuan."""
    n = draw(st.integers(2, 4))
    regions = []
    for i in range(n):
        pop = draw(st.integers(10_000, 500_000))
        children = draw(st.integers(pop // 10, pop // 4))
        regions.append({
            "id": f"R{i}", "population": pop, "migrants": draw(st.integers(0, pop // 2)), "age0_14": children,
            "fiscal_capacity": draw(st.integers(0, 5_000)) * 1000,
            "central_share_cap": draw(st.sampled_from([0.3, 0.6, 1.0])),
            "school_places": draw(st.integers(children // 2, children * 6 // 5)),
            "local_capital": draw(st.integers(0, 100)) * 100_000,
        })
    education = {"driver": "age0_14", "unit_cost": 1000, "local_share": 0.02, "capacity": "school_places",
                 "capital_cost": draw(st.sampled_from([5_000, 20_000])), "lead_time": draw(st.integers(0, 2)),
                 "depreciation": draw(st.sampled_from([0.0, 0.05])), "idle_cost": draw(st.sampled_from([0, 200]))}
    total = sum(r["age0_14"] for r in regions) * 1000 + sum(r["population"] for r in regions) * 300
    return {"name": "random-places", "money_unit": "yuan", "years": [2025, 2026, 2027], "regions": regions,
            "services": {"education": education,
                         "health": {"driver": "population", "unit_cost": 300, "local_share": 0.05}},
            "budget": {"special_fund": draw(st.integers(total // 4, total)),
                       "capital_fund": draw(st.integers(0, 50)) * 100_000},
            "policy": {"name": "p"}}


def _solve(spec: dict) -> fo.Result:
    with tempfile.TemporaryDirectory() as tmp:
        return fo.solve(fo.load_instance(write_instance(Path(tmp), spec)))


@SETTINGS
@given(instances(), st.floats(1.0, 4.0))
def test_more_capital_fund_never_raises_the_shortfall(spec, factor):
    low = _solve(spec)
    more = copy.deepcopy(spec)
    more["budget"]["capital_fund"] = int(spec["budget"]["capital_fund"] * factor) + 100_000
    high = _solve(more)
    assert high.solution.objective <= low.solution.objective * (1 + 1e-7) + 1e-6 * max(1.0, low.solution.objective)


@SETTINGS
@given(instances(), st.randoms(use_true_random=False))
def test_permuting_regions_permutes_the_answer(spec, rng):
    shuffled = copy.deepcopy(spec)
    rng.shuffle(shuffled["regions"])
    first, second = _solve(spec), _solve(shuffled)
    assert first.solution.objective == pytest.approx(second.solution.objective, rel=1e-7, abs=1e-3)
    key = ["region", "year", "service"]
    a = first.places.set_index(key).sort_index()
    b = second.places.set_index(key).sort_index()
    scale = max(1.0, float(a["demand"].mean()))
    for column in ("served", "places", "started"):
        assert np.allclose(a[column], b[column], atol=1e-5 * scale, rtol=1e-6), column
    money = max(1.0, float(first.allocations["ceiling"].mean()))
    x = first.allocations.set_index(key)["special_fund"].sort_index()
    y = second.allocations.set_index(key)["special_fund"].sort_index()
    assert np.allclose(x, y, atol=1e-5 * money, rtol=1e-6)
