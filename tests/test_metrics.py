"""Tests for fiscal_opt.results.metrics: closed forms, brute-force cross-checks and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fiscal_opt.results.metrics import (
    coefficient_of_variation,
    gini,
    inequality_table,
    max_min_ratio,
    theil_decomposition,
    theil_l,
    theil_t,
)

TABLE_KEYS = {
    "gini",
    "theil_t",
    "theil_l",
    "theil_t_between",
    "theil_t_within",
    "theil_l_between",
    "theil_l_within",
    "cv",
    "max_min_ratio",
}


# ---------------------------------------------------------------- reference implementations


def gini_pairwise(v: np.ndarray, w: np.ndarray) -> float:
    """The definition, literally: O(n^2)."""
    v, w = np.asarray(v, float), np.asarray(w, float)
    total = w.sum()
    mean = (w * v).sum() / total
    pair = np.abs(v[:, None] - v[None, :]) * w[:, None] * w[None, :]
    return float(pair.sum() / (2 * total**2 * mean))


def theil_t_log_form(v: np.ndarray, w: np.ndarray) -> float:
    """T = sum s v ln v / mu - ln mu (a different arrangement of the same formula)."""
    s = w / w.sum()
    mu = (s * v).sum()
    return float((s * v * np.log(v)).sum() / mu - math.log(mu))


def theil_l_log_form(v: np.ndarray, w: np.ndarray) -> float:
    """L = ln mu - sum s ln v."""
    s = w / w.sum()
    mu = (s * v).sum()
    return float(math.log(mu) - (s * np.log(v)).sum())


# ---------------------------------------------------------------- strategies

positive_values = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False)
populations = st.floats(min_value=1e-2, max_value=1e7, allow_nan=False, allow_infinity=False)


@st.composite
def weighted_sample(draw, min_size: int = 1, max_size: int = 40):
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    v = np.array(draw(st.lists(positive_values, min_size=n, max_size=n)))
    w = np.array(draw(st.lists(populations, min_size=n, max_size=n)))
    groups = np.array(draw(st.lists(st.sampled_from(["East", "Central", "West", "NE"]), min_size=n, max_size=n)))
    return v, w, groups


# ---------------------------------------------------------------- closed forms


def test_gini_two_regions_equal_population():
    # |1-3| counted twice (i,j and j,i): 2*1*1*2 = 4; 2 * W^2 * mean = 2*4*2 = 16.
    assert gini([1.0, 3.0], [1.0, 1.0]) == pytest.approx(0.25, abs=1e-15)


def test_gini_two_regions_unequal_population():
    # weights (1, 3): W=4, mean=(1+9)/4=2.5, pair sum 2*1*3*2=12, 12/(2*16*2.5)=0.15.
    assert gini([1.0, 3.0], [1.0, 3.0]) == pytest.approx(0.15, abs=1e-15)
    # weights (3, 1): mean=1.5, 12/(2*16*1.5)=0.25.
    assert gini([1.0, 3.0], [3.0, 1.0]) == pytest.approx(0.25, abs=1e-15)


def test_gini_one_region_holds_everything():
    # n equal regions, all resources in one: Gini = (n-1)/n.
    n = 10
    v = np.zeros(n)
    v[3] = 5.0
    assert gini(v, np.ones(n)) == pytest.approx((n - 1) / n, abs=1e-14)


def test_gini_large_uniform_closed_form():
    # values 1..n, equal weights: Gini = (n-1)/(3n). n = 40,000 (a pairwise matrix would be 12.8 GB).
    n = 40_000
    assert gini(np.arange(1, n + 1), np.ones(n)) == pytest.approx((n - 1) / (3 * n), rel=1e-12)


def test_two_region_theil_and_cv_closed_form():
    v, w = [1.0, 3.0], [1.0, 1.0]
    # mean 2: T = 1/2 (1/2 ln 1/2 + 3/2 ln 3/2), L = 1/2 (ln 2 + ln 2/3), CV = 1/2.
    assert theil_t(v, w) == pytest.approx(0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5)), rel=1e-13)
    assert theil_l(v, w) == pytest.approx(0.5 * (math.log(2.0) + math.log(2.0 / 3.0)), rel=1e-13)
    assert coefficient_of_variation(v, w) == pytest.approx(0.5, rel=1e-14)
    assert max_min_ratio(v) == 3.0


def test_weighted_cv_closed_form():
    # weights (1, 3), values (1, 3): mean 2.5, var = (1*2.25 + 3*0.25)/4 = 0.75.
    assert coefficient_of_variation([1.0, 3.0], [1.0, 3.0]) == pytest.approx(math.sqrt(0.75) / 2.5, rel=1e-14)


def test_equal_values_give_zero_inequality():
    v = np.full(7, 123.456)
    w = np.array([1.0, 5.0, 2.0, 9.0, 3.0, 4.0, 7.0])
    groups = np.array(["E", "E", "C", "C", "W", "W", "W"])
    table = inequality_table(v, w, groups)
    for key in TABLE_KEYS - {"max_min_ratio"}:
        assert table[key] == pytest.approx(0.0, abs=1e-14), key
    assert table["max_min_ratio"] == 1.0


def test_theil_groups_internally_equal_within_is_zero():
    v = np.array([2.0, 2.0, 5.0, 5.0, 5.0, 9.0])
    w = np.array([3.0, 1.0, 2.0, 2.0, 4.0, 1.0])
    groups = np.array(["a", "a", "b", "b", "b", "c"])
    d = theil_decomposition(v, w, groups)
    assert d["theil_t_within"] == pytest.approx(0.0, abs=1e-15)
    assert d["theil_l_within"] == pytest.approx(0.0, abs=1e-15)
    assert d["theil_t_between"] == pytest.approx(d["theil_t"], rel=1e-13)
    assert d["theil_l_between"] == pytest.approx(d["theil_l"], rel=1e-13)
    assert d["theil_t"] > 0.05


def test_theil_groups_with_equal_means_between_is_zero():
    # both groups have mean 3 (population-weighted): all inequality is within.
    v = np.array([1.0, 5.0, 2.0, 4.0])
    w = np.array([1.0, 1.0, 2.0, 2.0])
    d = theil_decomposition(v, w, ["x", "x", "y", "y"])
    assert d["theil_t_between"] == pytest.approx(0.0, abs=1e-15)
    assert d["theil_l_between"] == pytest.approx(0.0, abs=1e-15)
    assert d["theil_t_within"] == pytest.approx(d["theil_t"], rel=1e-13)


def test_theil_single_group_and_singletons():
    v = np.array([1.0, 2.0, 4.0, 8.0])
    w = np.array([4.0, 3.0, 2.0, 1.0])
    one = theil_decomposition(v, w, np.zeros(4, dtype=int))
    assert one["theil_t_between"] == pytest.approx(0.0, abs=1e-15)
    assert one["theil_l_within"] == pytest.approx(one["theil_l"], rel=1e-13)
    each = theil_decomposition(v, w, np.arange(4))
    assert each["theil_t_within"] == pytest.approx(0.0, abs=1e-15)
    assert each["theil_l_between"] == pytest.approx(each["theil_l"], rel=1e-13)


def test_theil_decomposition_hand_computed():
    # group a: values (1, 3) pop (1, 1); group b: value 4 pop 2. mu = (1+3+8)/4 = 3.
    v, w, g = [1.0, 3.0, 4.0], [1.0, 1.0, 2.0], ["a", "a", "b"]
    mu, mu_a, mu_b = 3.0, 2.0, 4.0
    t_a = 0.5 * ((1 / mu_a) * math.log(1 / mu_a) + (3 / mu_a) * math.log(3 / mu_a))
    l_a = 0.5 * (math.log(mu_a / 1) + math.log(mu_a / 3))
    d = theil_decomposition(v, w, g)
    assert d["theil_t_between"] == pytest.approx(
        0.5 * (mu_a / mu) * math.log(mu_a / mu) + 0.5 * (mu_b / mu) * math.log(mu_b / mu), rel=1e-13
    )
    assert d["theil_t_within"] == pytest.approx(0.5 * (mu_a / mu) * t_a, rel=1e-13)
    assert d["theil_l_between"] == pytest.approx(0.5 * math.log(mu / mu_a) + 0.5 * math.log(mu / mu_b), rel=1e-13)
    assert d["theil_l_within"] == pytest.approx(0.5 * l_a, rel=1e-13)


def test_max_min_ratio_zero_minimum_is_inf():
    assert max_min_ratio([0.0, 2.0]) == math.inf
    assert max_min_ratio([4.0, 2.0, 8.0]) == 4.0


def test_zero_weight_regions_are_ignored():
    v, w, g = np.array([1.0, 3.0, 1000.0]), np.array([1.0, 1.0, 0.0]), ["a", "b", "c"]
    full = inequality_table(v, w, g)
    kept = inequality_table(v[:2], w[:2], g[:2])
    assert full == pytest.approx(kept, rel=1e-15)
    assert full["max_min_ratio"] == 3.0


def test_inequality_table_keys_and_plain_floats():
    table = inequality_table([1.0, 3.0, 5.0, 7.0], [1, 2, 3, 4], ["a", "a", "b", "b"])
    assert set(table) == TABLE_KEYS
    assert all(type(val) is float for val in table.values())
    assert table["gini"] == pytest.approx(gini([1.0, 3.0, 5.0, 7.0], [1, 2, 3, 4]), rel=1e-15)
    assert table["max_min_ratio"] == 7.0


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("metric", [theil_t, theil_l])
@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_theil_rejects_non_positive_values(metric, bad):
    with pytest.raises(ValueError, match="> 0"):
        metric([1.0, bad, 2.0], [1.0, 1.0, 1.0])


def test_decomposition_and_table_reject_non_positive_values():
    with pytest.raises(ValueError, match="> 0"):
        theil_decomposition([1.0, 0.0], [1.0, 1.0], ["a", "b"])
    with pytest.raises(ValueError, match="> 0"):
        inequality_table([1.0, 0.0], [1.0, 1.0], ["a", "b"])


@pytest.mark.parametrize(
    "values, weights",
    [
        ([1.0, 2.0], [1.0]),  # shape mismatch
        ([1.0, 2.0], [1.0, -1.0]),  # negative population
        ([1.0, 2.0], [0.0, 0.0]),  # no population
        ([1.0, np.nan], [1.0, 1.0]),  # NaN
        ([], []),  # empty
        ([[1.0, 2.0]], [[1.0, 1.0]]),  # not 1-D
        ([0.0, 0.0], [1.0, 1.0]),  # mean 0
    ],
)
def test_gini_and_cv_reject_bad_input(values, weights):
    with pytest.raises(ValueError):
        gini(values, weights)
    with pytest.raises(ValueError):
        coefficient_of_variation(values, weights)


def test_gini_rejects_negative_values():
    with pytest.raises(ValueError, match=">= 0"):
        gini([-1.0, 3.0], [1.0, 1.0])


def test_decomposition_rejects_missing_group_and_bad_shape():
    with pytest.raises(ValueError, match="missing"):
        theil_decomposition([1.0, 2.0], [1.0, 1.0], np.array(["a", None], dtype=object))
    with pytest.raises(ValueError, match="shape"):
        theil_decomposition([1.0, 2.0], [1.0, 1.0], ["a"])


# ---------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None)
@given(weighted_sample())
def test_gini_equals_pairwise_definition(sample):
    v, w, _ = sample
    assert gini(v, w) == pytest.approx(gini_pairwise(v, w), rel=1e-9, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(weighted_sample())
def test_theil_matches_log_forms(sample):
    v, w, _ = sample
    assert theil_t(v, w) == pytest.approx(theil_t_log_form(v, w), rel=1e-7, abs=1e-9)
    assert theil_l(v, w) == pytest.approx(theil_l_log_form(v, w), rel=1e-7, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(weighted_sample(), st.floats(min_value=1e-6, max_value=1e6))
def test_all_metrics_scale_invariant(sample, scale):
    v, w, g = sample
    base = inequality_table(v, w, g)
    scaled = inequality_table(v * scale, w, g)
    for key in TABLE_KEYS:
        assert scaled[key] == pytest.approx(base[key], rel=1e-9, abs=1e-12), key


@settings(max_examples=150, deadline=None)
@given(weighted_sample())
def test_between_plus_within_equals_total(sample):
    v, w, g = sample
    d = theil_decomposition(v, w, g)
    assert abs(d["theil_t_between"] + d["theil_t_within"] - d["theil_t"]) <= 1e-12
    assert abs(d["theil_l_between"] + d["theil_l_within"] - d["theil_l"]) <= 1e-12
    assert all(val >= 0.0 for val in d.values())
    assert d["theil_t"] == pytest.approx(theil_t(v, w), rel=1e-12, abs=1e-15)
    assert d["theil_l"] == pytest.approx(theil_l(v, w), rel=1e-12, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(positive_values, st.integers(min_value=1, max_value=5), st.sampled_from("ABC")),
             min_size=1, max_size=15)
)
def test_integer_weights_equal_repeated_regions(rows):
    """Population weights mean 'this many people': weight k == the value repeated k times."""
    v = np.array([r[0] for r in rows])
    w = np.array([r[1] for r in rows], dtype=float)
    g = np.array([r[2] for r in rows])
    weighted = inequality_table(v, w, g)
    expanded = inequality_table(np.repeat(v, w.astype(int)), np.ones(int(w.sum())), np.repeat(g, w.astype(int)))
    for key in TABLE_KEYS:
        assert weighted[key] == pytest.approx(expanded[key], rel=1e-9, abs=1e-12), key


@settings(max_examples=100, deadline=None)
@given(weighted_sample(min_size=2))
def test_metric_ranges(sample):
    v, w, _ = sample
    assert 0.0 <= gini(v, w) < 1.0
    assert theil_t(v, w) >= 0.0
    assert theil_l(v, w) >= 0.0
    assert coefficient_of_variation(v, w) >= 0.0
    assert max_min_ratio(v) >= 1.0


def test_two_group_between_theil_by_hand():
    """Group a: two regions of 1 person with 1 each; group b: two of 1 person with 3 each. mu = 2,
    within-group inequality is 0, so Theil T = T_between = 1/2 (1/2 ln 1/2) + 1/2 (3/2 ln 3/2) and
    Theil L = L_between = 1/2 ln 2 + 1/2 ln 2/3; between + within add up to the total."""
    v, w, g = [1.0, 1.0, 3.0, 3.0], [1.0, 1.0, 1.0, 1.0], ["a", "a", "b", "b"]
    d = theil_decomposition(v, w, g)
    t_between = 0.5 * 0.5 * math.log(0.5) + 0.5 * 1.5 * math.log(1.5)
    l_between = 0.5 * math.log(2.0) + 0.5 * math.log(2.0 / 3.0)
    assert d["theil_t_between"] == pytest.approx(t_between, rel=1e-13)
    assert d["theil_l_between"] == pytest.approx(l_between, rel=1e-13)
    assert d["theil_t_within"] == pytest.approx(0.0, abs=1e-15)
    assert d["theil_t_between"] + d["theil_t_within"] == pytest.approx(d["theil_t"], rel=1e-13)
    assert d["theil_l_between"] + d["theil_l_within"] == pytest.approx(d["theil_l"], rel=1e-13)
    assert d["theil_t"] == pytest.approx(theil_t(v, w), rel=1e-13)
