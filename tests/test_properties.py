"""Properties on random small instances (hypothesis)."""

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

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def instances(draw, policy: dict | None = None) -> dict:
    """2–5 regions, 1–3 services, money in yuan; every region has a positive population."""
    n = draw(st.integers(2, 5))
    n_services = draw(st.integers(1, 3))
    regions = []
    for i in range(n):
        pop = draw(st.integers(1_000, 1_000_000))
        regions.append({
            "id": f"R{i}",
            "population": pop,
            "migrants": draw(st.integers(0, pop)),
            "age0_14": draw(st.integers(0, pop // 3)),
            "fiscal_capacity": draw(st.integers(0, 5_000)) * 1000,
            "central_share_cap": draw(st.sampled_from([0.1, 0.3, 0.5, 0.8, 1.0])),
            "reform_score": draw(st.floats(0, 1).map(lambda v: round(v, 3))),
        })
    drivers = ["population", "age0_14", "migrants"]
    services = {f"s{j}": {"driver": drivers[j], "unit_cost": draw(st.integers(100, 5000)),
                          "local_share": draw(st.floats(0, 0.3).map(lambda v: round(v, 3)))}
                for j in range(n_services)}
    total_cost = sum(r["population"] for r in regions) * 5000 * n_services
    return {"name": "random", "money_unit": "yuan", "regions": regions, "services": services,
            "budget": {"special_fund": draw(st.integers(0, total_cost // 2)),
                       "incentive_pool": draw(st.sampled_from([0, 1_000_000]))},
            "policy": {"name": "p", **(policy or {})}}


def _solve(spec: dict, **kwargs) -> fo.Result:
    with tempfile.TemporaryDirectory() as tmp:
        return fo.solve(fo.load_instance(write_instance(Path(tmp), spec)), **kwargs)


def _money_scale(result: fo.Result) -> float:
    """The size the solver's tolerances are relative to: the budget or a typical fund ceiling,
    whichever is larger (the LP is scaled so that a typical ceiling is 1)."""
    ceilings = result.allocations["ceiling"]
    return max(1.0, float(result.summary["budget"]["0"]), float(ceilings[ceilings > 0].mean()))


@SETTINGS
@given(instances(), st.floats(1.0, 3.0))
def test_more_budget_never_increases_weighted_shortfall(spec, factor):
    low = _solve(spec)
    more = copy.deepcopy(spec)
    more["budget"]["special_fund"] = int(spec["budget"]["special_fund"] * factor) + 1
    high = _solve(more)
    assert high.solution.objective <= low.solution.objective * (1 + 1e-7) + 1e-6


@SETTINGS
@given(instances(), st.randoms(use_true_random=False),
       st.sampled_from([{}, {"objective": "max_min_coverage"}, {"per_capita_floor": 0.3}]))
def test_permuting_regions_permutes_the_answer(spec, rng, policy):
    spec["policy"] |= policy
    shuffled = copy.deepcopy(spec)
    rng.shuffle(shuffled["regions"])
    try:
        first = _solve(spec)
    except fo.InfeasibleError:
        with pytest.raises(fo.InfeasibleError):
            _solve(shuffled)
        return
    a = first.regions.set_index("region").sort_index()
    b = _solve(shuffled).regions.set_index("region").sort_index()
    scale = _money_scale(first)
    assert np.allclose(a["special_fund"], b["special_fund"], atol=1e-6 * scale, rtol=1e-6)
    assert np.allclose(a["incentive"], b["incentive"], atol=1e-6 * scale, rtol=1e-6)


SOFT_POLICIES = [{}, {"objective": "max_min_coverage", "per_capita_floor": {"value": 0.95, "soft": True},
                     "min_coverage": {"value": 0.9, "soft": True}, "soft_penalty": 5},
                 {"per_capita_floor": {"value": 0.95, "soft": True}, "soft_penalty": 0.3}]


@SETTINGS
@given(instances(), st.sampled_from([("10k_yuan", 1e4), ("100m_yuan", 1e8)]), st.sampled_from(SOFT_POLICIES))
def test_money_unit_changes_nothing_but_units(spec, unit, policy):
    spec["policy"] |= policy
    name, factor = unit
    other = copy.deepcopy(spec)
    other["money_unit"] = name
    for region in other["regions"]:
        region["fiscal_capacity"] = region["fiscal_capacity"] / factor
    other["budget"] = {k: v / factor for k, v in spec["budget"].items()}
    first = _solve(spec)
    a = first.allocations
    b = _solve(other).allocations
    scale = _money_scale(first)
    assert np.allclose(a["special_fund"], b["special_fund"] * factor, atol=1e-6 * scale, rtol=1e-6)
    paid = {k: v["penalty"] for k, v in first.summary["soft_rule_penalties"].items()}
    other_paid = {k: v["penalty"] for k, v in _solve(other).summary["soft_rule_penalties"].items()}
    money = 1.0 if first.solution.objective_name == "max_min_coverage" else factor  # points, or money_unit
    for rule in set(paid) | set(other_paid):
        assert paid.get(rule, 0.0) == pytest.approx(other_paid.get(rule, 0.0) * money, rel=1e-5, abs=1e-6 * scale)


@SETTINGS
@given(instances())
def test_budget_used_is_what_the_cells_got_and_never_more_than_the_budget(spec):
    res = _solve(spec)
    s = res.summary
    cells = float(res.allocations["special_fund"].sum())
    assert s["budget_used"]["0"] == pytest.approx(cells, rel=1e-12, abs=1e-12)
    assert s["budget_used"]["0"] <= s["budget"]["0"]


def _flagship_with_services_reversed(folder: Path) -> Path:
    """The flagship instance with its four services listed in reverse order (same data)."""
    import shutil

    import yaml

    source = Path(__file__).resolve().parents[1] / "instances"
    data = yaml.safe_load((source / "china-2020-provinces.yaml").read_text(encoding="utf-8"))
    data["services"] = dict(reversed(list(data["services"].items())))
    data["policy"] = str(source.parent / "models" / "current-practice.yaml")
    (folder / "data").mkdir()
    shutil.copy(source / "data" / "china-2020-provinces.csv", folder / "data")
    path = folder / "reversed.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_permuting_the_services_permutes_the_answer(tmp_path: Path) -> None:
    policy = fo.load_policy(Path(__file__).resolve().parents[1] / "models" / "current-practice.yaml")
    first = fo.solve(fo.load_instance(Path(__file__).resolve().parents[1] / "instances" / "china-2020-provinces.yaml"),
                     policy)
    second = fo.solve(fo.load_instance(_flagship_with_services_reversed(tmp_path)), policy)
    a = first.allocations.groupby("service")["special_fund"].sum()
    b = second.allocations.groupby("service")["special_fund"].sum()
    assert first.solution.objective == pytest.approx(second.solution.objective, rel=1e-9)
    np.testing.assert_allclose(b.loc[a.index].to_numpy(), a.to_numpy(), rtol=1e-9, atol=1e-6)


ORDER_TOLERANCE = 1e-7
"""Relative to the money scale: the tie rule's interior point agrees with itself to about 10⁻⁸ across
orderings of the same data (docs/model.md, "Tie rule")."""


@SETTINGS
@given(instances(), st.randoms(use_true_random=False),
       st.sampled_from([{}, {"objective": "max_min_coverage"}, {"per_capita_floor": 0.3},
                        {"objective": "leximin_coverage"}]))
def test_permuting_services_and_renaming_regions_changes_nothing_but_names(spec, rng, policy):
    spec["policy"] |= policy
    other = copy.deepcopy(spec)
    names = list(other["services"].items())
    rng.shuffle(names)
    other["services"] = dict(names)
    rename = {r["id"]: f"Z{rng.randrange(10**6)}-{i}" for i, r in enumerate(other["regions"])}
    for region in other["regions"]:
        region["id"] = rename[region["id"]]
    try:
        first = _solve(spec)
    except fo.InfeasibleError:
        with pytest.raises(fo.InfeasibleError):
            _solve(other)
        return
    second = _solve(other)
    a = first.allocations.set_index(["region", "service", "year"])["special_fund"]
    b = second.allocations.assign(region=second.allocations["region"].map({v: k for k, v in rename.items()})) \
        .set_index(["region", "service", "year"])["special_fund"]
    scale = _money_scale(first)
    assert np.allclose(a.sort_index(), b.loc[a.sort_index().index], atol=ORDER_TOLERANCE * scale, rtol=0)
    assert first.solution.objective == pytest.approx(second.solution.objective, rel=1e-9, abs=1e-9 * scale)
