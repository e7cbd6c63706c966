"""Calibration constants for the synthetic instance generator (fiscal_opt.generate).

`calibrate(data_dir)` reads the 31-province China 2020 tables (instances/data/china-2020 in the repository) and
returns the small set of numbers that the generator's distributions need. The result is stored
once, as package data, in ``fiscal_opt/generate/data/calibration.yaml``; the generator reads only that
file, never the data folder (which users of the package do not have). A test checks that the
stored file is what `calibrate` gives today.

Per province p the calibrated variables are (ML estimates, divisor n = 31):

- log resident population                      -> mean and sd (the generator rescales the mean)
- logit migrant share m = floating / resident   floating = inflow from other provinces
                                                 + intra-province floating population
- log fiscal capacity per capita f (yuan)       own revenue x share of spending on the four basic
                                                 services: revenue/expenditure (2019) x (education
                                                 + social security & employment + health + housing
                                                 security, 2020) / resident population
- logit share aged 0-14, logit share aged 65+
- log local-funding share of standard cost for each service s:
      l_s = spending_s (2020) x revenue/expenditure (2019) / (unit_cost_s x driver_s)
  with spending on elderly care taken as ELDERLY_SHARE_OF_SOCIAL_SECURITY of social security and
  employment spending (an assumption: the tables have no elderly-care line).

The vector of these eight variables is modelled as a mixture over the four groups
(East/Central/West/Northeast): group means plus one pooled within-group covariance, so that the
mixture reproduces the all-province mean and covariance exactly.

Regenerate the stored file with ``python -m fiscal_opt.calibration DATA_DIR [OUT]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

#: Files read by `calibrate`, relative to the data folder.
SOURCE_FILES = (
    "census2020_population_age.csv",
    "census2020_migration_more.csv",
    "fiscal_budget_2019_2020.csv",
    "expenditure_by_function_2019_2020.csv",
)

#: Where the package keeps the stored calibration.
CALIBRATION_PATH = Path(__file__).with_name("data") / "calibration.yaml"

#: Unit costs in yuan per beneficiary per year, shared by calibration and generated instances.
UNIT_COSTS = {"education": 10800, "health": 1360, "elderly": 1800, "housing": 1000}

#: Share of social security and employment spending taken to fund elderly care (assumption).
ELDERLY_SHARE_OF_SOCIAL_SECURITY = 0.10

#: NBS four-region classification by GB/T 2260 province code (the tables carry no group column).
GROUPS = {
    "East": (11, 12, 13, 31, 32, 33, 35, 37, 44, 46),
    "Central": (14, 34, 36, 41, 42, 43),
    "West": (15, 45, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65),
    "Northeast": (21, 22, 23),
}

#: The eight jointly modelled variables, in the order of the stored means and covariance.
VARIABLES = (
    "logit_migrant_share",
    "log_fiscal_capacity_per_capita",
    "logit_age0_14_share",
    "logit_age65plus_share",
    "log_local_education",
    "log_local_health",
    "log_local_elderly",
    "log_local_housing",
)

_HEADER = """\
# Calibration of the synthetic instance generator (fiscal_opt.generate). Do not edit by hand.
# Computed by fiscal_opt.generate.calibration.calibrate() from instances/data/china-2020/:
#   {files}
# (31 provinces; census 2020, general public budget 2019, spending by function 2020).
# Regenerate: python -m fiscal_opt.generate.calibration instances/data/china-2020
"""


def _sig(x: float, digits: int = 8) -> float:
    """Round to `digits` significant digits, so that the YAML round trip is exact."""
    return float(f"{float(x):.{digits}g}")


def _logit(p: pd.Series) -> pd.Series:
    return np.log(p / (1.0 - p))


def province_table(data_dir: Path) -> pd.DataFrame:
    """One row per province with the group and the eight calibrated variables."""
    data_dir = Path(data_dir)
    frames = [pd.read_csv(data_dir / f).drop(columns=["name_zh", "name_en"], errors="ignore")
              for f in SOURCE_FILES]
    df = frames[0]
    for other in frames[1:]:
        df = df.merge(other, on="province_code", how="inner", validate="one_to_one")
    if len(df) != 31:
        raise ValueError(f"expected 31 provinces in {data_dir}, found {len(df)}")

    pop = df["resident_pop_2020_persons"].astype(float)
    migrants = 1e4 * (df["inflow_from_other_provinces_10k_persons"]
                      + df["intra_province_floating_10k_persons"])
    child = df["age0_14_share_pct"] / 100.0
    old = df["age65plus_share_pct"] / 100.0
    own = df["gpb_revenue_2019_100m_yuan"] / df["gpb_expenditure_2019_100m_yuan"]
    spend = {  # 2020 spending by function, yuan
        "education": 1e8 * df["education_exp_2020_100m_yuan"],
        "health": 1e8 * df["health_exp_2020_100m_yuan"],
        "elderly": 1e8 * ELDERLY_SHARE_OF_SOCIAL_SECURITY
        * df["social_security_employment_exp_2020_100m_yuan"],
        "housing": 1e8 * df["housing_security_exp_2020_100m_yuan"],
    }
    basic = 1e8 * (df["education_exp_2020_100m_yuan"]
                   + df["social_security_employment_exp_2020_100m_yuan"]
                   + df["health_exp_2020_100m_yuan"]
                   + df["housing_security_exp_2020_100m_yuan"])
    driver = {"education": pop * child, "health": pop, "elderly": pop * old,
              "housing": migrants}
    group_of = {code: g for g, codes in GROUPS.items() for code in codes}

    out = pd.DataFrame({
        "province_code": df["province_code"],
        "group": df["province_code"].map(group_of),
        "population": pop,
        "logit_migrant_share": _logit(migrants / pop),
        "log_fiscal_capacity_per_capita": np.log(own * basic / pop),
        "logit_age0_14_share": _logit(child),
        "logit_age65plus_share": _logit(old),
    })
    for s, cost in UNIT_COSTS.items():
        out[f"log_local_{s}"] = np.log(own * spend[s] / (cost * driver[s]))
    if out["group"].isna().any():
        raise ValueError("a province code outside the four groups")
    return out


def calibrate(data_dir: Path) -> dict:
    """Calibration constants from the China 2020 provincial tables in `data_dir`.

    Returns a plain dict (the content of ``fiscal_opt/generate/data/calibration.yaml``) with the
    population total and log-population moments, the group proportions, and the group means,
    pooled within-group covariance and overall moments of the eight VARIABLES.
    """
    t = province_table(data_dir)
    groups = list(GROUPS)
    v = t[list(VARIABLES)].to_numpy()
    n = len(t)
    gm = t.groupby("group")[list(VARIABLES)].mean().loc[groups]
    resid = v - gm.loc[t["group"]].to_numpy()
    within = resid.T @ resid / n
    overall = np.cov(v, rowvar=False, bias=True)
    sd = np.sqrt(np.diag(overall))
    corr = overall / np.outer(sd, sd)
    wsd = np.sqrt(np.diag(within))
    log_pop = np.log(t["population"])
    counts = t["group"].value_counts().loc[groups]
    return {
        "version": 1,
        "source": "instances/data/china-2020 (31 provinces, census 2020, budgets 2019-2020)",
        "national_population": int(t["population"].sum()),
        "provinces": n,
        "unit_costs": dict(UNIT_COSTS),
        "assumptions": {"elderly_share_of_social_security": ELDERLY_SHARE_OF_SOCIAL_SECURITY},
        "log_population": {"mean": _sig(log_pop.mean()), "sd": _sig(log_pop.std(ddof=0))},
        "groups": {g: {"count": int(counts[g]), "share": _sig(counts[g] / n)} for g in groups},
        "variables": list(VARIABLES),
        "mean": {k: _sig(x) for k, x in zip(VARIABLES, v.mean(axis=0))},
        "sd": {k: _sig(x) for k, x in zip(VARIABLES, sd)},
        "correlation_migrant_share_fiscal_capacity": {
            "overall": _sig(corr[0, 1], 6),
            "within_groups": _sig(within[0, 1] / (wsd[0] * wsd[1]), 6),
        },
        "group_means": {g: [_sig(x) for x in gm.loc[g]] for g in groups},
        "within_covariance": [[_sig(x) for x in row] for row in within],
    }


def dump_calibration(cal: dict) -> str:
    """The calibration as YAML text with its provenance header."""
    return _HEADER.format(files=", ".join(SOURCE_FILES)) + yaml.safe_dump(
        cal, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True)


def load_calibration(path: Path = CALIBRATION_PATH) -> dict:
    """The stored calibration (package data)."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or len(args) > 2:
        print("usage: python -m fiscal_opt.calibration DATA_DIR [OUT_YAML]", file=sys.stderr)
        return 2
    out = Path(args[1]) if len(args) == 2 else CALIBRATION_PATH
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(dump_calibration(calibrate(Path(args[0]))), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
