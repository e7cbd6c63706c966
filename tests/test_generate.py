"""Tests of the synthetic instance generator (fiscal_opt.generate.synthetic) and its calibration."""

from __future__ import annotations

import time
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import sparse
from scipy.optimize import linprog

from fiscal_opt.generate.calibration import calibrate, load_calibration
from fiscal_opt.generate.synthetic import DESIGN_POLICY, generate_instance, write_instance

DATA_DIR = Path(__file__).parents[1] / "instances" / "data" / "china-2020"
CAL = load_calibration()
ALL_COLUMNS = ["id", "name", "group", "population", "migrants", "age0_14", "age65plus",
               "fiscal_capacity", "local_education", "local_health", "local_elderly",
               "local_housing", "prior_transfer", "reform_score", "central_share_cap",
               "cost_index"]


def _logit(p):
    return np.log(p / (1.0 - p))


@pytest.fixture(scope="module")
def large() -> pd.DataFrame:
    """One large single-year draw for the distribution tests."""
    return generate_instance(20000, seed=7).regions


def _files(path: Path) -> tuple[bytes, bytes]:
    inst = yaml.safe_load(path.read_text(encoding="utf-8"))
    return path.read_bytes(), (path.parent / inst["regions_csv"]).read_bytes()


def _arrays(yaml_path: Path) -> dict:
    """The instance's data as (R, S, T) / (R, T) arrays, recomputed from the files alone."""
    inst = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    df = pd.read_csv(yaml_path.parent / inst["regions_csv"])
    years = inst["years"]
    T = len(years)
    R = len(df) // T

    def col(c):
        return df[c].to_numpy(float).reshape(R, T)

    def per_year(v):
        if isinstance(v, dict):
            return np.array([v[y] for y in years], float)
        return np.full(T, float(v))

    svc = inst["services"].values()
    cost = np.stack([s["unit_cost"] * col("cost_index") * col(s["driver"]) / 1e8 for s in svc], 1)
    local = np.stack([col(s["local_funding"]) for s in svc], axis=1)
    cap = col("central_share_cap")[:, None, :]
    pool = per_year(inst["budget"]["incentive_pool"])
    score = col("reform_score")
    inc = inst["incentive"]
    e = np.where(score >= inc["min_score"], score * col(inc["basis"]), 0)
    ceiling = np.minimum(np.maximum(0, cost - local), cap * cost)
    return {"C": cost, "L": local, "cap": cap, "U": ceiling,
            "B": per_year(inst["budget"]["special_fund"]), "I": pool,
            "ybar": pool * e / e.sum(axis=0), "P": col("population"), "F": col("fiscal_capacity"),
            "prior": col("prior_transfer")[:, 0]}


def _lp_status(yaml_path: Path, tau: float, phi: float, cut: float) -> int:
    """scipy/HiGHS status (0 feasible, 2 infeasible) of the policy's rules, incentives at the
    formula: x in [max(0, tau C - L), U], budget, per-capita floor phi, hold-harmless cut.
    Independent of the generator's own certificate."""
    a = _arrays(yaml_path)
    R, S, T = a["C"].shape
    n = R * S * T
    xi = np.arange(n).reshape(R, S, T)
    zi = n + np.arange(T)  # z_t = total special fund of year t, bounded by B_t
    rt = np.arange(R * T).reshape(R, T)
    P, F, ybar = a["P"], a["F"], a["ybar"]
    # total: sum x_t - z_t = 0
    eq = sparse.coo_matrix((np.r_[np.ones(n), -np.ones(T)],
                            (np.r_[np.broadcast_to(np.arange(T), (R, S, T)).ravel(), np.arange(T)],
                             np.r_[xi.ravel(), zi])), shape=(T, n + T))
    # floor (as <=): -(sum_s x_rst) + phi P_rt / sum P_t * z_t
    #                <= F + ybar - phi P (sum F + sum ybar) / sum P
    share = P / P.sum(axis=0)
    rows = [np.repeat(rt.ravel(), S), rt.ravel()]
    cols = [xi.transpose(0, 2, 1).ravel(), np.broadcast_to(zi, (R, T)).ravel()]
    vals = [-np.ones(n), (phi * share).ravel()]
    rhs_floor = F + ybar - phi * P * (F.sum(axis=0) + ybar.sum(axis=0)) / P.sum(axis=0)
    # hold-harmless (as <=): -(sum_s x_rst) + (1-cut) sum_s x_rs,t-1 <= ybar_rt - (1-cut) ybar_r,t-1
    hh = R * T + rt
    rows += [np.repeat(hh.ravel(), S), np.repeat(hh[:, 1:].ravel(), S)]
    cols += [xi.transpose(0, 2, 1).ravel(), xi[:, :, :-1].transpose(0, 2, 1).ravel()]
    vals += [-np.ones(n), (1 - cut) * np.ones(R * S * (T - 1))]
    last = np.concatenate([a["prior"][:, None], ybar[:, :-1]], axis=1)
    rhs_hh = ybar - (1 - cut) * last
    ub = sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(2 * R * T, n + T))
    lo = np.maximum(0.0, tau * a["C"] - a["L"])
    bounds = np.c_[np.r_[lo.ravel(), np.zeros(T)], np.r_[a["U"].ravel(), a["B"]]]
    if np.any(bounds[:, 0] > bounds[:, 1]):
        return 2
    res = linprog(np.zeros(n + T), A_ub=ub.tocsr(), b_ub=np.r_[rhs_floor.ravel(), rhs_hh.ravel()],
                  A_eq=eq.tocsr(), b_eq=np.zeros(T), bounds=bounds, method="highs")
    return res.status


# --- determinism and files -------------------------------------------------------------------

@pytest.mark.parametrize("years", [1, 3])
def test_same_seed_gives_identical_bytes(tmp_path, years):
    a = write_instance(generate_instance(120, years=years, seed=11), tmp_path / "a")
    b = write_instance(generate_instance(120, years=years, seed=11), tmp_path / "b")
    assert a.name == b.name == f"synthetic-120r-{years}y-s11.yaml"
    assert _files(a) == _files(b)


def test_different_seed_gives_different_instance(tmp_path):
    a = write_instance(generate_instance(120, seed=1), tmp_path)
    b = write_instance(generate_instance(120, seed=2), tmp_path)
    assert _files(a)[1] != _files(b)[1]
    assert yaml.safe_load(a.read_text())["budget"] != yaml.safe_load(b.read_text())["budget"]


def test_write_instance_files_and_custom_name(tmp_path):
    gen = generate_instance(40, years=2, seed=3)
    path = write_instance(gen, tmp_path / "new" / "dir", name="custom")
    assert path == tmp_path / "new" / "dir" / "custom.yaml"
    inst = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert inst["name"] == "custom" and inst["regions_csv"] == "custom.regions.csv"
    assert "policy" not in inst and inst["money_unit"] == "100m_yuan"
    assert inst["years"] == [2025, 2026]
    assert inst["incentive"] == {"basis": "migrants", "min_score": 0.3, "flexibility": 0.1}
    assert set(inst["budget"]["special_fund"]) == {2025, 2026}
    csv = pd.read_csv(path.parent / "custom.regions.csv")
    pd.testing.assert_frame_equal(csv, gen.regions, check_dtype=False, atol=1e-6, rtol=0)
    assert gen.name == "synthetic-40r-2y-s3"  # the generated object is unchanged


def test_arguments_are_checked():
    for bad in ({"n_regions": 0}, {"n_regions": 10, "years": 0}, {"n_regions": 10, "services": 5},
                {"n_regions": 10, "services": 0}, {"n_regions": 10, "seed": -1},
                {"n_regions": 10.0}):
        with pytest.raises(ValueError):
            generate_instance(**bad)


# --- shape of the table ----------------------------------------------------------------------

def test_single_year_columns_and_types():
    gen = generate_instance(300, seed=5)
    df = gen.regions
    assert list(df.columns) == ALL_COLUMNS
    assert len(df) == 300 and df["id"].is_unique and not df.isna().any().any()
    assert df["id"].iloc[0] == "R00001"
    for c in ("population", "migrants", "age0_14", "age65plus"):
        assert df[c].dtype.kind == "i" and (df[c] > 0).all()
    assert (df["age0_14"] + df["age65plus"] <= df["population"]).all()
    assert (df["migrants"] <= df["population"]).all()
    assert gen.instance["years"] == [2025]
    assert isinstance(gen.instance["budget"]["special_fund"], float)
    assert list(gen.instance["services"]) == ["education", "health", "elderly", "housing"]


def test_multi_year_long_format():
    df = generate_instance(200, years=4, seed=5).regions
    assert list(df.columns) == ALL_COLUMNS[:3] + ["year"] + ALL_COLUMNS[3:]
    assert len(df) == 800 and not df.isna().any().any()
    assert list(df["year"].iloc[:4]) == [2025, 2026, 2027, 2028]
    assert not df.duplicated(["id", "year"]).any()
    per_region = df.groupby("id")
    for c in ("name", "group", "central_share_cap", "cost_index", "prior_transfer"):
        assert (per_region[c].nunique() == 1).all(), c
    assert (per_region["reform_score"].diff().dropna() >= 0).all()


@pytest.mark.parametrize("services", [1, 2, 3])
def test_services_take_the_first_n(services):
    gen = generate_instance(50, seed=0, services=services)
    names = ["education", "health", "elderly", "housing"][:services]
    assert list(gen.instance["services"]) == names
    locals_ = [c for c in gen.regions.columns if c.startswith("local_")]
    assert locals_ == [f"local_{s}" for s in names]


# --- calibration -----------------------------------------------------------------------------

def test_population_sums_to_the_national_total():
    df = generate_instance(2850, years=3, seed=2).regions
    total = df.groupby("year")["population"].sum()
    assert total.iloc[0] == CAL["national_population"]
    assert np.allclose(total, CAL["national_population"], rtol=0.01)


def test_population_marginal(large):
    log_p = np.log(large["population"])
    sd = CAL["log_population"]["sd"]
    assert abs(log_p.std() - sd) < 0.02
    assert abs(log_p.mean() - (np.log(CAL["national_population"] / 20000) - sd**2 / 2)) < 0.02


def _mixture_quantile(variable: str, q: float) -> float:
    """Quantile of the calibrated group mixture of one variable (group means, within sd)."""
    i = CAL["variables"].index(variable)
    sd = CAL["within_covariance"][i][i] ** 0.5
    parts = [(g["share"], CAL["group_means"][name][i]) for name, g in CAL["groups"].items()]
    lo, hi = -20.0, 20.0
    for _ in range(100):
        mid = (lo + hi) / 2
        cdf = sum(w * NormalDist(m, sd).cdf(mid) for w, m in parts)
        lo, hi = (mid, hi) if cdf < q else (lo, mid)
    return lo


def test_migrant_share_and_fiscal_capacity_marginals(large):
    share = large["migrants"] / large["population"]
    z = _logit(share)
    assert abs(z.mean() - CAL["mean"]["logit_migrant_share"]) < 0.015
    assert abs(z.std() - CAL["sd"]["logit_migrant_share"]) < 0.015
    for q in (0.1, 0.5, 0.9):
        expected = 1 / (1 + np.exp(-_mixture_quantile("logit_migrant_share", q)))
        assert abs(share.quantile(q) - expected) < 0.01, q
    log_f = np.log(large["fiscal_capacity"] * 1e8 / large["population"])
    assert abs(log_f.mean() - CAL["mean"]["log_fiscal_capacity_per_capita"]) < 0.02
    assert abs(log_f.std() - CAL["sd"]["log_fiscal_capacity_per_capita"]) < 0.02
    corr = np.corrcoef(z, log_f)[0, 1]
    assert abs(corr - CAL["correlation_migrant_share_fiscal_capacity"]["overall"]) < 0.04


def test_age_and_local_funding_marginals(large):
    for col, var in (("age0_14", "logit_age0_14_share"), ("age65plus", "logit_age65plus_share")):
        z = _logit(large[col] / large["population"])
        assert abs(z.mean() - CAL["mean"][var]) < 0.015 and abs(z.std() - CAL["sd"][var]) < 0.015
    drivers = {"education": "age0_14", "health": "population", "elderly": "age65plus",
               "housing": "migrants"}
    for s, drv in drivers.items():
        cost = CAL["unit_costs"][s] * large["cost_index"] * large[drv] / 1e8
        z = np.log(large[f"local_{s}"] / cost)
        assert abs(z.mean() - CAL["mean"][f"log_local_{s}"]) < 0.03, s
        assert abs(z.std() - CAL["sd"][f"log_local_{s}"]) < 0.03, s


def test_groups_caps_scores_and_cost_index(large):
    shares = large["group"].value_counts(normalize=True)
    for g, info in CAL["groups"].items():
        assert abs(shares[g] - info["share"]) < 0.015, g
    caps = large.groupby("group")["central_share_cap"].unique()
    assert list(caps["West"]) == [0.8] and list(caps["Central"]) == [0.6]
    assert list(caps["Northeast"]) == [0.5] and set(caps["East"]) == {0.1, 0.3, 0.5}
    east = large[large["group"] == "East"]
    # the richest East regions carry the lowest cap
    f_pc = east["fiscal_capacity"] / east["population"]
    by_cap = f_pc.groupby(east["central_share_cap"]).median()
    assert by_cap[0.1] > by_cap[0.3] > by_cap[0.5]
    assert large["reform_score"].between(0.2, 1.0).all()
    assert abs(large["reform_score"].mean() - 0.6) < 0.05
    assert large["cost_index"].between(0.8, 1.4).all()
    assert abs(large["cost_index"].mean() - 1.0) < 0.02


def test_multi_year_drift_directions():
    df = generate_instance(2000, years=5, seed=9).regions
    totals = df.groupby("year")[["population", "migrants", "age0_14", "age65plus"]].sum()
    rate = (totals.iloc[-1] / totals.iloc[0]) ** (1 / 4) - 1
    assert abs(rate["population"] - (-0.001)) < 0.003
    assert abs(rate["migrants"] - 0.02) < 0.005
    assert abs(rate["age65plus"] - 0.035) < 0.005
    assert abs(rate["age0_14"] - (-0.03)) < 0.005


def test_calibration_reproduces_the_stored_yaml():
    assert calibrate(DATA_DIR) == CAL


# --- budgets and feasibility -----------------------------------------------------------------

def test_budgets_and_prior_transfer(tmp_path):
    gen = generate_instance(2850, years=2, seed=4)
    a = _arrays(write_instance(gen, tmp_path))
    if not gen.adjustments["budget_raised"]:
        assert np.allclose(a["B"], 0.7 * a["U"].sum(axis=(0, 1)), rtol=1e-6)
    assert a["I"][0] == pytest.approx(0.05 * a["B"][0], rel=1e-6)
    assert np.all(np.diff(a["I"]) > 0)
    # prior ~ the formula share: totals match the first year's money within a few percent
    assert a["prior"].sum() == pytest.approx(a["B"][0] + a["I"][0], rel=0.05)
    assert gen.adjustments["prior_transfer_capped"] < 0.1 * 2850


@pytest.mark.parametrize("n,years,seed,services",
                         [(330, 1, 0, 4), (2850, 5, 1, 4), (500, 3, 2, 1), (100, 4, 3, 2)])
def test_min_coverage_never_needs_more_than_the_cap(tmp_path, n, years, seed, services):
    a = _arrays(write_instance(generate_instance(n, years, seed, services), tmp_path))
    tau = DESIGN_POLICY["min_coverage"]
    assert np.all(a["L"] + a["cap"] * a["C"] >= tau * a["C"])


@pytest.mark.parametrize("n,years,seed,services",
                         [(330, 1, 0, 4), (330, 3, 1, 4), (200, 3, 2, 1), (150, 4, 3, 2),
                          (60, 2, 4, 3), (5, 3, 5, 1), (2, 2, 6, 4)])
def test_feasible_under_the_design_policy(tmp_path, n, years, seed, services):
    path = write_instance(generate_instance(n, years, seed, services), tmp_path)
    assert _lp_status(path, tau=0.5, phi=0.6, cut=0.1) == 0


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_tiny_instances_are_feasible(tmp_path, n):
    for seed in range(12):
        gen = generate_instance(n, years=1 + seed % 4, seed=seed, services=1 + seed % 4)
        path = write_instance(gen, tmp_path)
        assert _lp_status(path, tau=0.5, phi=0.6, cut=0.1) == 0, (n, seed)


def test_feasibility_check_has_teeth(tmp_path):
    path = write_instance(generate_instance(100, 2, 0), tmp_path)
    assert _lp_status(path, tau=0.5, phi=0.99, cut=0.1) == 2
    assert _lp_status(path, tau=0.99, phi=0.6, cut=0.1) == 2


def test_large_instance_is_fast(tmp_path):
    start = time.perf_counter()
    gen = generate_instance(40000, years=5, seed=0)
    write_instance(gen, tmp_path)
    assert time.perf_counter() - start < 15.0  # ~2 s measured; catches per-region loops
    assert len(gen.regions) == 200000


# --- end to end with the solver --------------------------------------------------------------

def test_generated_instance_solves(tmp_path):
    import fiscal_opt as fo

    path = write_instance(generate_instance(120, years=2, seed=8), tmp_path)
    policy = tmp_path / "design.yaml"
    policy.write_text(yaml.safe_dump({"name": "design", **DESIGN_POLICY}), encoding="utf-8")
    inst = fo.load_instance(path)
    res = fo.solve(inst, policy=fo.load_policy(policy))
    assert res.status == "optimal"
    a = _arrays(path)
    alloc = res.allocations
    assert len(alloc) == 120 * 4 * 2
    spent = alloc.groupby("year")["special_fund"].sum().to_numpy()
    assert np.all(spent <= a["B"] * (1 + 1e-6))
    covered = alloc[alloc["standard_cost"] > 0]
    assert (covered["coverage_after"] >= 0.5 - 1e-6).all()
