"""Tests for fiscal_opt.model.baseline: the formula allocation (因素法) of MODEL.md §7."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fiscal_opt.model.baseline import formula_incentive, formula_special_fund


def cells(*columns: list[float]) -> np.ndarray:
    """Stack per-year columns of R cells (one service) into shape (R, 1, T)."""
    return np.array(columns, dtype=float).T[:, None, :]


def iterative_reference(intensity: np.ndarray, ceiling: np.ndarray, budget: float) -> np.ndarray:
    """MODEL.md §7 read literally: share, cap, redistribute the excess, repeat (one year)."""
    x = np.zeros_like(ceiling)
    active = intensity > 0
    remaining = budget
    for _ in range(intensity.size + 1):
        if remaining <= 0 or not active.any():
            break
        with np.errstate(over="ignore"):  # inactive cells may overflow; they are masked out
            share = np.where(active, remaining * (intensity / intensity[active].sum()), 0.0)
        proposed = x + share
        over = active & (proposed >= ceiling)
        remaining = float((proposed - ceiling)[over].sum())
        x = np.where(over, ceiling, proposed)
        active &= ~over
    return x


# ---------------------------------------------------------------- hand-solved special fund


def test_one_cell_capped_excess_redistributed_proportionally():
    # w*G = (10, 20, 30), budget 30: first round (5, 10, 15); cell 0 capped at 2,
    # excess 3 goes 20:30 to the others -> (2, 11.2, 16.8).
    weight = cells([1.0, 1.0, 1.0])
    gap = cells([10.0, 20.0, 30.0])
    ceiling = cells([2.0, 20.0, 30.0])
    x = formula_special_fund(weight, gap, ceiling, np.array([30.0]))
    assert x.shape == (3, 1, 1)
    np.testing.assert_allclose(x.ravel(), [2.0, 11.2, 16.8], rtol=1e-14)


def test_cascade_of_caps():
    # w*G = (1, 1, 1, 1) with ceilings (1, 2, 10, 10), budget 16:
    # round 1: 4 each; caps cell 0 (1) and 1 (2), excess 5 -> 2.5 each to cells 2, 3 -> 6.5 each.
    x = formula_special_fund(cells([1.0] * 4), cells([5.0] * 4), cells([1.0, 2.0, 10.0, 10.0]), np.array([16.0]))
    np.testing.assert_allclose(x.ravel(), [1.0, 2.0, 6.5, 6.5], rtol=1e-14)


def test_weight_scales_share():
    # Same gaps, weights (1, 3): shares 1:3 of budget 8 -> (2, 6).
    x = formula_special_fund(cells([1.0, 3.0]), cells([10.0, 10.0]), cells([10.0, 10.0]), np.array([8.0]))
    np.testing.assert_allclose(x.ravel(), [2.0, 6.0], rtol=1e-14)


def test_budget_larger_than_all_ceilings_fills_every_ceiling():
    ceiling = cells([2.0, 20.0, 30.0])
    x = formula_special_fund(cells([1.0, 2.0, 3.0]), cells([10.0, 20.0, 30.0]), ceiling, np.array([1e6]))
    np.testing.assert_array_equal(x, ceiling)


def test_budget_exactly_capacity_is_exhausted():
    ceiling = cells([2.0, 20.0, 30.0])
    x = formula_special_fund(cells([1.0, 1.0, 1.0]), cells([10.0, 20.0, 30.0]), ceiling, np.array([52.0]))
    np.testing.assert_allclose(x, ceiling, rtol=1e-14)
    assert x.sum() == pytest.approx(52.0, rel=1e-14)


def test_budget_exhausted_when_below_capacity():
    rng = np.random.default_rng(7)
    weight, gap = rng.uniform(0.5, 3.0, (20, 4, 3)), rng.uniform(0.0, 100.0, (20, 4, 3))
    ceiling = gap * rng.uniform(0.2, 1.0, gap.shape)
    budget = 0.5 * ceiling.sum(axis=(0, 1))
    x = formula_special_fund(weight, gap, ceiling, budget)
    np.testing.assert_allclose(x.sum(axis=(0, 1)), budget, rtol=1e-12)
    assert np.all(x <= ceiling) and np.all(x >= 0)


def test_uncapped_cells_share_in_proportion_to_weight_times_gap():
    weight = cells([1.0, 2.0, 1.0, 0.5, 4.0])
    gap = cells([3.0, 4.0, 50.0, 8.0, 1.0])
    ceiling = cells([100.0, 100.0, 1.0, 100.0, 100.0])  # cell 2 has the big claim and a tiny cap
    x = formula_special_fund(weight, gap, ceiling, np.array([40.0])).ravel()
    assert x[2] == 1.0
    intensity = (weight * gap).ravel()
    uncapped = [0, 1, 3, 4]
    ratios = x[uncapped] / intensity[uncapped]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-14)
    assert x.sum() == pytest.approx(40.0, rel=1e-14)


def test_zero_weight_or_gap_gets_nothing_and_does_not_count_as_capacity():
    weight = cells([0.0, 1.0, 1.0])
    gap = cells([10.0, 0.0, 10.0])
    ceiling = cells([10.0, 10.0, 4.0])
    x = formula_special_fund(weight, gap, ceiling, np.array([100.0]))
    np.testing.assert_array_equal(x.ravel(), [0.0, 0.0, 4.0])  # capacity is 4, not 24


def test_years_are_independent():
    weight = cells([1.0, 1.0], [1.0, 3.0])
    gap = cells([10.0, 10.0], [10.0, 10.0])
    ceiling = cells([10.0, 10.0], [1.0, 10.0])
    x = formula_special_fund(weight, gap, ceiling, np.array([4.0, 5.0]))
    np.testing.assert_allclose(x[:, 0, 0], [2.0, 2.0], rtol=1e-14)
    np.testing.assert_allclose(x[:, 0, 1], [1.0, 4.0], rtol=1e-14)


def test_zero_budget_and_empty_year():
    x = formula_special_fund(cells([1.0, 1.0], [0.0, 0.0]), cells([1.0, 2.0], [1.0, 2.0]),
                             cells([1.0, 2.0], [1.0, 2.0]), np.array([0.0, 9.0]))
    np.testing.assert_array_equal(x, np.zeros((2, 1, 2)))


def test_multi_service_shape_and_order_preserved():
    # (R, S, T) = (2, 3, 1): every cell uncapped, x = B * wG / sum wG, same layout as the input.
    weight = np.ones((2, 3, 1))
    gap = np.arange(1.0, 7.0).reshape(2, 3, 1)
    x = formula_special_fund(weight, gap, gap * 10, np.array([42.0]))
    np.testing.assert_allclose(x, 42.0 * gap / gap.sum(), rtol=1e-14)


def test_tiny_intensities_whose_ratio_overflows():
    # ceiling / (weight * gap) overflows to inf for the last two cells: they are capped last,
    # in the right order, and the budget is still spent exactly.
    weight = cells([1.0, 1e-300, 2e-300])
    gap = cells([1.0, 1e-10, 1e-10])
    ceiling = cells([1.0, 5.0, 4.0])
    # cell 0 caps at 1; the rest shares 1:2 -> (1, 2, 4) at budget 7, then cell 2 is capped.
    x = formula_special_fund(weight, gap, ceiling, np.array([7.0]))
    np.testing.assert_allclose(x.ravel(), [1.0, 2.0, 4.0], rtol=1e-12)
    x = formula_special_fund(weight, gap, ceiling, np.array([9.5]))
    np.testing.assert_allclose(x.ravel(), [1.0, 4.5, 4.0], rtol=1e-12)


@pytest.mark.parametrize(
    "weight, gap, ceiling, budget",
    [
        (np.ones((2, 1, 1)), np.ones((2, 1, 1)), np.ones((2, 1, 1)), np.array([1.0, 2.0])),  # budget T
        (np.ones((2, 1, 1)), np.ones((3, 1, 1)), np.ones((2, 1, 1)), np.array([1.0])),  # shapes
        (np.ones((2, 1)), np.ones((2, 1)), np.ones((2, 1)), np.array([1.0])),  # not 3-D
        (-np.ones((2, 1, 1)), np.ones((2, 1, 1)), np.ones((2, 1, 1)), np.array([1.0])),  # negative
        (np.ones((2, 1, 1)), np.ones((2, 1, 1)), np.ones((2, 1, 1)), np.array([-1.0])),  # negative B
        (np.ones((2, 1, 1)), np.full((2, 1, 1), np.nan), np.ones((2, 1, 1)), np.array([1.0])),  # NaN
    ],
)
def test_special_fund_rejects_bad_input(weight, gap, ceiling, budget):
    with pytest.raises(ValueError):
        formula_special_fund(weight, gap, ceiling, budget)


# ---------------------------------------------------------------- properties

amounts = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def special_fund_case(draw):
    r = draw(st.integers(1, 12))
    s = draw(st.integers(1, 3))
    t = draw(st.integers(1, 3))
    shape = (r, s, t)
    # a few exact zeros in weight and gap so that excluded cells are exercised
    weight = draw(arrays(float, shape, elements=st.one_of(st.just(0.0), st.floats(0.0, 5.0))))
    gap = draw(arrays(float, shape, elements=st.one_of(st.just(0.0), amounts)))
    ceiling = gap * draw(arrays(float, shape, elements=st.floats(0.0, 1.0)))
    capacity = np.where(weight * gap > 0, ceiling, 0.0).sum(axis=(0, 1))
    budget = capacity * draw(arrays(float, (t,), elements=st.floats(0.0, 1.5)))
    return weight, gap, ceiling, budget


@settings(max_examples=300, deadline=None)
@given(special_fund_case())
def test_never_exceeds_ceiling_and_spends_min_of_budget_and_capacity(case):
    weight, gap, ceiling, budget = case
    x = formula_special_fund(weight, gap, ceiling, budget)
    assert x.shape == weight.shape
    assert np.all(x >= 0.0)
    assert np.all(x <= ceiling)
    assert np.all(x[weight * gap == 0] == 0.0)
    capacity = np.where(weight * gap > 0, ceiling, 0.0).sum(axis=(0, 1))
    np.testing.assert_allclose(x.sum(axis=(0, 1)), np.minimum(budget, capacity), rtol=1e-9, atol=1e-9)


@settings(max_examples=300, deadline=None)
@given(special_fund_case())
def test_water_filling_equals_iterative_redistribution(case):
    weight, gap, ceiling, budget = case
    x = formula_special_fund(weight, gap, ceiling, budget)
    intensity = weight * gap
    for t in range(budget.size):
        expected = iterative_reference(intensity[..., t].ravel(), ceiling[..., t].ravel(), float(budget[t]))
        scale = max(float(budget[t]), 1.0)
        np.testing.assert_allclose(x[..., t].ravel(), expected, rtol=1e-9, atol=1e-9 * scale)


# ---------------------------------------------------------------- incentive


def test_incentive_hand_computed():
    basis = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 0.0]])
    ybar = formula_incentive(basis, np.array([100.0, 50.0]))
    np.testing.assert_allclose(ybar, [[25.0, 0.0], [75.0, 0.0], [0.0, 0.0]], rtol=1e-15)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 10).flatmap(
        lambda r: st.tuples(
            arrays(float, (r, 3), elements=st.one_of(st.just(0.0), st.floats(0.0, 1e6))),
            arrays(float, (3,), elements=st.floats(0.0, 1e9)),
        )
    )
)
def test_incentive_spends_pool_in_proportion(case):
    basis, pool = case
    ybar = formula_incentive(basis, pool)
    totals = basis.sum(axis=0)
    assert ybar.shape == basis.shape and np.all(ybar >= 0)
    np.testing.assert_allclose(ybar.sum(axis=0), np.where(totals > 0, pool, 0.0), rtol=1e-12, atol=1e-6)
    np.testing.assert_array_equal(ybar[:, totals == 0], 0.0)
    np.testing.assert_array_equal(ybar[basis == 0], 0.0)


@pytest.mark.parametrize(
    "basis, pool",
    [
        (np.ones((2, 2)), np.ones(3)),
        (np.ones(2), np.ones(2)),
        (-np.ones((2, 1)), np.ones(1)),
        (np.ones((2, 1)), np.array([np.inf])),
    ],
)
def test_incentive_rejects_bad_input(basis, pool):
    with pytest.raises(ValueError):
        formula_incentive(basis, pool)
