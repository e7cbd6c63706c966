"""Synthetic instances calibrated on China's 31 provinces (2020), at any number of regions.

`generate_instance` draws a region table whose marginal distributions, group means and
correlations are those stored in ``fiscal_opt/generate/data/calibration.yaml`` (see
:mod:`fiscal_opt.calibration`), rescaled so that the national 2020 resident population is spread
over ``n_regions`` regions (about 330 for prefectures, 2,850 for counties, 40,000 for townships).
`write_instance` writes it as ``<name>.yaml`` + ``<name>.regions.csv``. Pure numpy/pandas, fully
vectorised, deterministic: the same arguments give byte-identical files.

Every generated instance is feasible by construction under the DESIGN_POLICY rules
(min_coverage 0.5, per_capita_floor 0.6 with margin, hold_harmless max_cut 0.1, incentive at
the formula): the generator builds an allocation that meets them all (`_certificate`), checks it
(`_violations`) and never returns an instance without one. docs/generator.md describes the method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any, Mapping

import numpy as np
import pandas as pd
import yaml

from ..io.schema import MAX_YEARS
from ..model.baseline import formula_incentive, formula_special_fund
from .calibration import load_calibration

__all__ = ["GeneratedInstance", "generate_instance", "write_instance", "DESIGN_POLICY"]

GENERATOR_VERSION = 1
FIRST_YEAR = 2025
MONEY_UNIT = "100m_yuan"
YUAN_PER_UNIT = 1e8

#: Services in the order the ``services`` argument takes them: name -> driver column.
SERVICE_DRIVERS = {"education": "age0_14", "health": "population",
                   "elderly": "age65plus", "housing": "migrants"}

#: Yearly drift of counts from the second year on: (national rate, sd of a region's own
#: persistent rate around it, sd of year-to-year noise). Population slightly falling, migrants
#: rising with urbanisation, ageing (65+ up) and fewer births (0-14 down).
DRIFT = {
    "population": (-0.001, 0.004, 0.002),
    "migrants": (0.020, 0.010, 0.005),
    "age65plus": (0.035, 0.008, 0.004),
    "age0_14": (-0.030, 0.008, 0.004),
}
#: Reform scores rise by REFORM_STEP x U(0, 2) a year (never fall), capped at 1.
REFORM_STEP = 0.02
#: First-year reform score: 0.2 + 0.8 * Beta(a, b) ("uniform-ish" on [0.2, 1]).
REFORM_BETA = (1.2, 1.1)
#: Central share caps by group; East regions by fiscal capacity, richest first.
CENTRAL_SHARE_CAP = {"West": 0.8, "Central": 0.6, "Northeast": 0.5}
#: (cap, lowest quantile of the East log-f distribution it applies from): top 20% 0.1, next 40%
#: 0.3, bottom 40% 0.5.
EAST_CAPS = ((0.1, 0.8), (0.3, 0.4), (0.5, 0.0))
#: cost_index = exp(COST_SLOPE * (log f - mean) + N(0, COST_SD)), clipped to COST_RANGE.
COST_SLOPE, COST_SD, COST_RANGE = 0.10, 0.05, (0.8, 1.4)
MIN_POPULATION = 1000
#: Budgets: special fund = this share of the year's total fund ceiling sum U; the incentive pool
#: = POOL_SHARE_OF_FUND of the first year's fund, then growing with the incentive basis.
FUND_SHARE_OF_CEILING = 0.70
POOL_SHARE_OF_FUND = 0.05
INCENTIVE = {"basis": "migrants", "min_score": 0.3, "flexibility": 0.1}
#: last year's transfer = formula transfer x exp(N(0, PRIOR_NOISE_SD)).
PRIOR_NOISE_SD = 0.05
#: The rules every generated instance satisfies (with the margins below).
DESIGN_POLICY = {"min_coverage": 0.5, "per_capita_floor": 0.6, "hold_harmless": {"max_cut": 0.1}}
COVERAGE_MARGIN = 0.05   # local share + cap >= min_coverage + this, in every cell
FLOOR_DESIGN = 0.65      # the certificate meets per_capita_floor at this level (> 0.6)
CUT_MARGIN = 0.02        # the certificate keeps transfers >= (1 - max_cut) * previous * (1 + this)
DECIMALS = 6             # every float in the CSV, in money_unit or as a fraction
#: Regions × years generate_instance makes at the most: the CSV takes about 135 bytes a region-year,
#: so it stays within the loader's 50 MB file limit (40,000 townships over 5 years are 200,000).
MAX_REGION_YEARS = 300_000

@dataclass(frozen=True)
class GeneratedInstance:
    """A generated instance: the YAML mapping and the region table it points to.

    ``instance`` is the content of ``<name>.yaml`` (plain data, ready for ``yaml.safe_dump``);
    ``regions`` the content of ``<name>.regions.csv`` (long format with ``year`` when the
    instance has several years). ``adjustments`` counts the draws the generator changed to keep
    the instance feasible (see docs/generator.md). ``flows`` holds net flows of people
    (``<name>.flows.csv``: region, year, persons) when :func:`~.places.with_places` added them.
    """

    instance: dict[str, Any]
    regions: pd.DataFrame = field(repr=False)
    adjustments: Mapping[str, int] = field(default_factory=dict)
    flows: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return str(self.instance["name"])


def default_name(n_regions: int, years: int, seed: int) -> str:
    """``synthetic-<n>r-<t>y-s<seed>``."""
    return f"synthetic-{n_regions}r-{years}y-s{seed}"


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _round(x: np.ndarray) -> np.ndarray:
    return np.round(x, DECIMALS)


def _draw_regions(cal: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """First-year draws: group, population, shares, fiscal capacity, local shares, caps."""
    groups = list(cal["groups"])
    probs = np.array([cal["groups"][g]["share"] for g in groups])
    g = rng.choice(len(groups), size=n, p=probs / probs.sum())
    mean = np.array([cal["group_means"][k] for k in groups])
    chol = np.linalg.cholesky(np.array(cal["within_covariance"]))
    v = mean[g] + rng.standard_normal((n, chol.shape[0])) @ chol.T
    var = {name: v[:, i] for i, name in enumerate(cal["variables"])}

    # Population: log-normal with the provinces' sd, rescaled so the total is the national one.
    raw = np.exp(cal["log_population"]["sd"] * rng.standard_normal(n))
    total = int(cal["national_population"])
    pop = np.maximum(MIN_POPULATION, np.rint(raw * (total / raw.sum()))).astype(np.int64)
    pop[np.argmax(pop)] += total - int(pop.sum())

    log_f = var["log_fiscal_capacity_per_capita"]
    group = np.array(groups)[g]
    cap = np.array([CENTRAL_SHARE_CAP.get(name, np.nan) for name in groups])[g]
    # East: by the quantile of log f in the East's calibrated distribution (fixed thresholds,
    # not sample ranks): the richest get the lowest cap.
    i_f = cal["variables"].index("log_fiscal_capacity_per_capita")
    mu_e, sd_e = cal["group_means"]["East"][i_f], float(np.sqrt(cal["within_covariance"][i_f][i_f]))
    tiers = [log_f >= mu_e + sd_e * NormalDist().inv_cdf(q) for _, q in EAST_CAPS[:-1]]
    east_cap = np.select(tiers, [c for c, _ in EAST_CAPS[:-1]], EAST_CAPS[-1][0])
    cap = np.where(group == "East", east_cap, cap)
    log_cost = COST_SLOPE * (log_f - cal["mean"]["log_fiscal_capacity_per_capita"]) \
        + COST_SD * rng.standard_normal(n)
    reform = 0.2 + 0.8 * rng.beta(*REFORM_BETA, size=n)
    local = {s: np.exp(var[f"log_local_{s}"]) for s in SERVICE_DRIVERS}
    return {
        "group": group, "population": pop,
        "migrant_share": _expit(var["logit_migrant_share"]),
        "age0_14_share": _expit(var["logit_age0_14_share"]),
        "age65plus_share": _expit(var["logit_age65plus_share"]),
        "fiscal_pc": np.exp(log_f), "local_share": local, "cap": cap,
        "cost_index": _round(np.clip(np.exp(log_cost), *COST_RANGE)), "reform": reform,
    }


def _growth(rng: np.random.Generator, n: int, years: int, rate: tuple[float, float, float]
            ) -> np.ndarray:
    """(n, years) cumulative growth factors, 1 in the first year."""
    mean, region_sd, noise_sd = rate
    own = mean + region_sd * rng.standard_normal((n, 1))
    steps = 1.0 + own + noise_sd * rng.standard_normal((n, years - 1))
    return np.concatenate([np.ones((n, 1)), np.cumprod(steps, axis=1)], axis=1)


def _panel(d: dict[str, Any], years: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Counts and scores per region x year, (R, T), with the DRIFT from the second year on."""
    n = d["population"].size
    p0 = d["population"].astype(float)
    grow = {k: _growth(rng, n, years, r) for k, r in DRIFT.items()}
    pop = np.maximum(MIN_POPULATION, np.rint(p0[:, None] * grow["population"]))
    child = np.rint(d["age0_14_share"][:, None] * p0[:, None] * grow["age0_14"])
    old = np.rint(d["age65plus_share"][:, None] * p0[:, None] * grow["age65plus"])
    mig = np.rint(d["migrant_share"][:, None] * p0[:, None] * grow["migrants"])
    child = np.minimum(child, np.floor(0.45 * pop))
    old = np.minimum(old, pop - child)
    mig = np.minimum(mig, np.floor(0.95 * pop))
    steps = REFORM_STEP * rng.uniform(0.0, 2.0, size=(n, years - 1))
    reform = np.minimum(1.0, d["reform"][:, None]
                        + np.concatenate([np.zeros((n, 1)), np.cumsum(steps, axis=1)], axis=1))
    as_int = lambda a: a.astype(np.int64)  # noqa: E731
    return {"population": as_int(pop), "age0_14": as_int(child), "age65plus": as_int(old),
            "migrants": as_int(mig), "reform_score": _round(reform)}


def _repair_fiscal(fiscal_pc, raised, pop, ceiling, ybar, budget) -> np.ndarray:
    """Fiscal capacity F (R, T) as written; raises `fiscal_pc` (yuan per capita) in place where
    even the full ceiling could not lift a region to FLOOR_DESIGN x the national mean resources
    per capita (a few of the poorest regions), marking them in `raised`."""
    for _ in range(50):
        fiscal = _round(fiscal_pc[:, None] * pop / YUAN_PER_UNIT)
        mean_q = (fiscal.sum(axis=0) + budget + ybar.sum(axis=0)) / pop.sum(axis=0)
        short = FLOOR_DESIGN * mean_q * pop * 1.001 - fiscal - ceiling.sum(axis=1) - ybar
        if not np.any(short > 0):
            return fiscal
        need_pc = np.max(np.where(short > 0, (fiscal + short) / pop, 0.0), axis=1) * YUAN_PER_UNIT
        grow = need_pc > fiscal_pc
        raised |= grow
        fiscal_pc[grow] = need_pc[grow] * 1.0001
    return fiscal


def _fill_between(intensity: np.ndarray, low: np.ndarray, up: np.ndarray, target: float
                  ) -> np.ndarray:
    """x = clip(lam * intensity, low, up) with lam such that sum(x) = target, exactly, by one sort.

    f(lam) = sum(x) is piecewise linear and non-decreasing: cell i rises with slope intensity_i
    between lam = low_i / intensity_i and up_i / intensity_i. Requires sum(low) <= target <=
    sum(up) and low <= up; cells with intensity 0 stay at low.
    """
    v, lo, hi = intensity.ravel(), low.ravel(), up.ravel()
    live = v > 0
    if not np.any(live) or target <= lo.sum():
        return low.copy()
    pos = np.concatenate([lo[live] / v[live], hi[live] / v[live]])
    step = np.concatenate([v[live], -v[live]])
    order = np.argsort(pos, kind="stable")
    pos, slope = pos[order], np.cumsum(step[order])
    level = lo.sum() + np.concatenate([[0.0], np.cumsum(slope[:-1] * np.diff(pos))])
    k = max(0, int(np.searchsorted(level, target, side="right")) - 1)
    lam = pos[k] + (target - level[k]) / slope[k] if slope[k] > 0 else pos[k]
    return np.clip(lam * intensity, low, up)


def _certificate(cost, local, ceiling, weight, gap, fiscal, pop, ybar, budget):
    """A feasible allocation under DESIGN_POLICY (with margins), raising budgets if needed.

    Year by year: each cell starts at its min_coverage floor; regions are raised (within their
    ceilings) to FLOOR_DESIGN x the national mean resources per capita and, from the second year,
    to hold-harmless against the previous year; then x = clip(lam * w * G, those lower bounds, U)
    spends the budget (the formula allocation wherever no requirement binds). Where those
    requirements exceed a year's budget (only with very few regions), that budget is raised.

    Returns (x (R, S, T), budget (T,)), or (None, budget) when some region cannot reach its
    requirement within its ceilings (the caller then raises that region's fiscal capacity).
    """
    tau = DESIGN_POLICY["min_coverage"]
    keep = (1.0 - DESIGN_POLICY["hold_harmless"]["max_cut"]) * (1.0 + CUT_MARGIN)
    x = np.zeros_like(cost)
    budget = budget.copy()
    previous = None
    for t in range(cost.shape[2]):
        floor_cells = np.maximum(0.0, tau * cost[:, :, t] - local[:, :, t])
        up = ceiling[:, :, t]
        head = up - floor_cells
        room = head.sum(axis=1)
        while True:
            mean_q = (fiscal[:, t].sum() + budget[t] + ybar[:, t].sum()) / pop[:, t].sum()
            need = FLOOR_DESIGN * mean_q * pop[:, t] - fiscal[:, t]
            if previous is not None:
                need = np.maximum(need, keep * previous)
            deficit = np.maximum(0.0, need - ybar[:, t] - floor_cells.sum(axis=1))
            if np.any(deficit > room):
                return None, budget
            frac = np.divide(deficit, room, out=np.zeros_like(room), where=room > 0)
            low = floor_cells + head * frac[:, None]
            required = low.sum()
            if required <= budget[t] * (1.0 - 1e-9):
                break
            if budget[t] >= up.sum():
                return None, budget
            budget[t] = min(np.ceil(required * 1.0001 * 1e4) / 1e4, np.floor(up.sum() * 1e4) / 1e4)
        x[:, :, t] = _fill_between(weight[:, :, t] * gap[:, :, t], low, up,
                                   budget[t] * (1.0 - 1e-9))
        previous = x[:, :, t].sum(axis=1) + ybar[:, t]
    return x, budget


def _violations(x, cost, local, ceiling, fiscal, pop, ybar, budget, prior) -> list[str]:
    """The DESIGN_POLICY rules that allocation x (with y = ybar) breaks; [] when none."""
    tol = 1e-9
    tau, phi = DESIGN_POLICY["min_coverage"], DESIGN_POLICY["per_capita_floor"]
    keep = 1.0 - DESIGN_POLICY["hold_harmless"]["max_cut"]
    transfer = x.sum(axis=1) + ybar
    resources = fiscal + transfer
    mean_q = resources.sum(axis=0) / pop.sum(axis=0)
    last = np.concatenate([prior[:, None], transfer[:, :-1]], axis=1)
    checks = {
        "ceiling": np.all((x >= -tol) & (x <= ceiling * (1 + tol) + tol)),
        "budget": np.all(x.sum(axis=(0, 1)) <= budget * (1 + tol)),
        "min_coverage": np.all(local + x >= tau * cost * (1 - tol) - tol),
        "per_capita_floor": np.all(resources >= phi * pop * mean_q),
        "hold_harmless": np.all(transfer >= keep * last * (1 - tol) - tol),
    }
    return [rule for rule, ok in checks.items() if not ok]


def _money(d: dict[str, Any], panel: dict[str, np.ndarray], names: list[str],
           unit_costs: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Standard cost C and local funding L (R, S, T) in money_unit, L as written (rounded)."""
    kappa = d["cost_index"][:, None]
    cost = np.stack([unit_costs[s] * kappa * panel[SERVICE_DRIVERS[s]] / YUAN_PER_UNIT
                     for s in names], axis=1)
    share = np.stack([d["local_share"][s] for s in names], axis=1)[:, :, None]
    return cost, _round(share * cost)


def generate_instance(n_regions: int, years: int = 1, seed: int = 0, services: int = 4
                      ) -> GeneratedInstance:
    """A synthetic instance of `n_regions` regions over `years` years from 2025.

    Args:
        n_regions: number of regions (>= 1); the national population is spread over them.
        years: consecutive years starting 2025 (1 to ``MAX_YEARS``); regions × years at most
            :data:`MAX_REGION_YEARS`.
        seed: seed of ``numpy.random.default_rng``; same arguments, same instance.
        services: how many of education, health, elderly, housing (in that order), 1 to 4.

    Raises:
        ValueError: an argument out of range.
        RuntimeError: the draw could not be made feasible (a bug: please report the arguments).
    """
    for label, value, low in (("n_regions", n_regions, 1), ("years", years, 1),
                              ("services", services, 1)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            raise ValueError(f"{label} must be an integer >= {low}, got {value!r}")
    if services > len(SERVICE_DRIVERS):
        raise ValueError(f"services must be between 1 and {len(SERVICE_DRIVERS)}, got {services}")
    if years > MAX_YEARS:
        raise ValueError(f"years must be at most {MAX_YEARS} (an instance lists at most {MAX_YEARS}), got {years:,}")
    if n_regions * years > MAX_REGION_YEARS:
        raise ValueError(f"{n_regions:,} regions × {years:,} years = {n_regions * years:,} region-years; at most "
                         f"{MAX_REGION_YEARS:,} are generated (the regions CSV would outgrow the loader's 50 MB limit)")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    call = f"generate_instance({n_regions}, years={years}, seed={seed}, services={services})"
    cal = load_calibration()
    rng = np.random.default_rng(seed)
    names = list(SERVICE_DRIVERS)[:services]
    d = _draw_regions(cal, n_regions, rng)
    prior_noise = rng.standard_normal(n_regions)
    panel = _panel(d, years, rng)
    adjustments: dict[str, int] = {}

    # min_coverage never needs more than the cap: local share >= tau + margin - cap.
    need_share = DESIGN_POLICY["min_coverage"] + COVERAGE_MARGIN - d["cap"]
    for s in names:
        low = d["local_share"][s] < need_share
        adjustments[f"local_{s}_raised"] = int(low.sum())
        d["local_share"][s] = np.where(low, need_share, d["local_share"][s])

    pop = panel["population"].astype(float)
    cost, local = _money(d, panel, names, cal["unit_costs"])
    gap = np.maximum(0.0, cost - local)
    ceiling = np.minimum(gap, d["cap"][:, None, None] * cost)
    budget0 = np.round(FUND_SHARE_OF_CEILING * ceiling.sum(axis=(0, 1)), 4)
    budget = budget0
    score = panel["reform_score"]
    # Someone must qualify for the incentive (only in doubt with a handful of regions).
    adjustments["reform_score_raised"] = int(not np.any(score[:, 0] >= INCENTIVE["min_score"]))
    if adjustments["reform_score_raised"]:
        best = int(np.argmax(score[:, 0]))
        score[best] = np.maximum(score[best], INCENTIVE["min_score"])
    basis = np.where(score >= INCENTIVE["min_score"], score * panel[INCENTIVE["basis"]], 0.0)
    # The pool pays a constant reward per unit of basis: POOL_SHARE_OF_FUND of the special fund
    # in the first year, then growing with the basis (so no region's formula incentive falls).
    pool = np.round(POOL_SHARE_OF_FUND * budget0[0] * basis.sum(axis=0) / basis.sum(axis=0)[0], 4)
    ybar = formula_incentive(basis, pool)
    share = panel["migrants"] / pop

    def weight_of(fiscal: np.ndarray) -> np.ndarray:
        """Shortfall weights w = p (default priority 1 + d + m, every service weight 1)."""
        national = fiscal.sum(axis=0) / pop.sum(axis=0)
        difficulty = np.maximum(0.0, 1.0 - (fiscal / pop) / national)
        return np.broadcast_to((1.0 + difficulty + share)[:, None, :], cost.shape)

    fiscal_pc = d["fiscal_pc"].copy()
    raised = np.zeros(n_regions, dtype=bool)
    for _ in range(20):
        fiscal = _repair_fiscal(fiscal_pc, raised, pop, ceiling, ybar, budget)
        x, new_budget = _certificate(cost, local, ceiling, weight_of(fiscal), gap, fiscal, pop,
                                     ybar, budget)
        if x is not None and np.array_equal(new_budget, budget):
            break
        budget = new_budget
    else:
        raise RuntimeError(f"{call} found no feasible allocation; please report it")
    adjustments["fiscal_capacity_raised"] = int(raised.sum())
    adjustments["budget_raised"] = int((budget > budget0).sum())

    # Last year's transfer: the formula share of the first year's budgets, with noise, capped
    # where the certificate's first-year transfer would break hold-harmless.
    weight = weight_of(fiscal)
    formula = formula_special_fund(weight[:, :, :1], gap[:, :, :1], ceiling[:, :, :1], budget[:1])
    prior = (formula.sum(axis=(1, 2)) + ybar[:, 0]) * np.exp(PRIOR_NOISE_SD * prior_noise)
    keep = (1.0 - DESIGN_POLICY["hold_harmless"]["max_cut"]) * (1.0 + CUT_MARGIN)
    reach = (x[:, :, 0].sum(axis=1) + ybar[:, 0]) / keep
    adjustments["prior_transfer_capped"] = int((prior > reach).sum())
    prior = np.floor(np.minimum(prior, reach) * 10**DECIMALS) / 10**DECIMALS
    broken = _violations(x, cost, local, ceiling, fiscal, pop, ybar, budget, prior)
    if broken:
        raise RuntimeError(f"{call}: the feasibility certificate breaks {broken}; please report it")

    year_list = list(range(FIRST_YEAR, FIRST_YEAR + years))
    name = default_name(n_regions, years, seed)
    regions = _region_table(d, panel, names, local, fiscal, prior, year_list)
    instance = {
        "name": name,
        "description": (
            f"Synthetic instance: {n_regions} regions, {years} year(s), {services} service(s), "
            f"seed {seed}; fiscal_opt.generate v{GENERATOR_VERSION}, marginals calibrated on "
            f"{cal['source']}. Feasible under min_coverage 0.5, per_capita_floor 0.6, "
            "hold_harmless max_cut 0.1."),
        "money_unit": MONEY_UNIT,
        "years": year_list,
        "regions_csv": f"{name}.regions.csv",
        "services": {s: {"driver": SERVICE_DRIVERS[s], "unit_cost": int(cal["unit_costs"][s]),
                         "local_funding": f"local_{s}"} for s in names},
        "budget": {"special_fund": _per_year(budget, year_list),
                   "incentive_pool": _per_year(pool, year_list)},
        "incentive": dict(INCENTIVE),
    }
    return GeneratedInstance(instance=instance, regions=regions, adjustments=adjustments)


def _per_year(values: np.ndarray, year_list: list[int]) -> float | dict[int, float]:
    if len(year_list) == 1:
        return float(values[0])
    return {y: float(v) for y, v in zip(year_list, values)}


def _region_table(d, panel, names, local, fiscal, prior, year_list) -> pd.DataFrame:
    """The region CSV as a DataFrame, region-major with years ascending."""
    n, years = panel["population"].shape
    width = max(5, len(str(n)))
    ids = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)
    rep = lambda a: np.repeat(np.asarray(a), years)  # noqa: E731
    cols: dict[str, Any] = {
        "id": rep("R" + ids), "name": rep(pd.Series(d["group"]) + " " + ids),
        "group": rep(d["group"]), "year": np.tile(year_list, n),
    }
    for k in ("population", "migrants", "age0_14", "age65plus"):
        cols[k] = panel[k].ravel()
    cols["fiscal_capacity"] = fiscal.ravel()
    for j, s in enumerate(names):
        cols[f"local_{s}"] = local[:, j, :].ravel()
    cols["prior_transfer"] = rep(prior)
    cols["reform_score"] = panel["reform_score"].ravel()
    cols["central_share_cap"] = rep(d["cap"])
    cols["cost_index"] = rep(d["cost_index"])
    table = pd.DataFrame(cols)
    if years == 1:
        table = table.drop(columns="year")
    return table


def _csv_text(table: pd.DataFrame) -> str:
    """The table as CSV, floats with DECIMALS fixed decimals ("%.6f"), "\\n" line ends.

    One C-level %-format per row (map over zipped columns): about 4x faster than
    DataFrame.to_csv with a float_format, and byte-identical to it.
    """
    fmt = ",".join(f"%.{DECIMALS}f" if table[c].dtype.kind == "f" else
                   "%d" if table[c].dtype.kind in "iu" else "%s" for c in table.columns)
    rows = zip(*(table[c].tolist() for c in table.columns))
    return ",".join(table.columns) + "\n" + "\n".join(map(fmt.__mod__, rows)) + "\n"


def write_instance(generated: GeneratedInstance, out_dir: Path, name: str | None = None) -> Path:
    """Write ``<name>.yaml`` and ``<name>.regions.csv`` (and ``<name>.flows.csv`` with flows of
    people) into `out_dir`; return the YAML path.

    `name` defaults to the generated instance's name (``synthetic-<n>r-<t>y-s<seed>``).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = name or generated.name
    instance = dict(generated.instance, name=name, regions_csv=f"{name}.regions.csv")
    csv_path = out_dir / instance["regions_csv"]
    yaml_path = out_dir / f"{name}.yaml"
    csv_path.write_text(_csv_text(generated.regions), encoding="utf-8")
    if generated.flows is not None:
        instance["migration"] = {"net_csv": f"{name}.flows.csv"}
        (out_dir / f"{name}.flows.csv").write_text(_csv_text(generated.flows), encoding="utf-8")
    text = yaml.safe_dump(instance, sort_keys=False, allow_unicode=True, width=100,
                          default_flow_style=None)
    yaml_path.write_text(text, encoding="utf-8")
    return yaml_path
