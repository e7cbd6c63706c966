"""Build the tables of the flagship capacity instance, ``instances/china-2020-capacity.yaml``.

Reads the raw 2019–2020 data in ``instances/data/china-2020/`` (the same files as
``build_china_2020.py``, whose functions it reuses, plus ``population_2010_2019_nbs.csv``) and
writes, beside this file:

- ``china-2020-capacity.csv``: the province table of the flagship (31 provinces × 2020–2025) with
  the places at the start and each province's own capital for new places; populations and migrants
  are not drifted here (the flows of people move them);
- ``china-2020-flows.csv``: the flows of people 2021–2025, origin × destination × year (SCENARIO:
  the 2010–2020 change of each province's share of residents, continued).

Every constant below carries the name it has in ``SOURCES.md`` ("Capacity instance"); each is
DATA, DERIVED, ASSUMPTION or SCENARIO there, with its reasoning.

Usage (from anywhere; paths are relative to this file)::

    python instances/data/build_china_2020_capacity.py            # write both CSVs
    python instances/data/build_china_2020_capacity.py --check    # exit 1 if a committed CSV differs
    python instances/data/build_china_2020_capacity.py --report   # take-ups, unit costs, places, flows

Deterministic: no randomness, fixed formats, ``\\n`` line ends. The committed CSVs must be
byte-identical to this script's output (tests/test_china_capacity_data.py checks it).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RAW = HERE / "china-2020"
TABLE = HERE / "china-2020-capacity.csv"
FLOWS = HERE / "china-2020-flows.csv"


def _base():
    """The provinces build script, imported from beside this file."""
    spec = importlib.util.spec_from_file_location("build_china_2020", HERE / "build_china_2020.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


base = _base()

# --- Years 2021–2025 (ASSUMPTION, SOURCES.md "Capacity instance: years"): ages drift as in the
# provinces table; residents and migrants move only by the flows of people.
GROWTH = {"population": 0.0, "migrants": 0.0, "intra_floating": 0.0, "age0_14": -0.03, "age65plus": 0.04}

# --- Places at the start (SOURCES.md "Places at the start")
SCHOOL_PUPIL_COLUMNS = ("primary_students_2019_10k_persons", "junior_secondary_students_2019_10k_persons")
BED_COLUMN = "medical_institution_beds_2019_10k_beds"
ELDERLY_PLACES_PER_RESIDENT_65 = 1.0  # ASSUMPTION: the 2020 provision serves every resident aged 65+

# --- Own capital for new places (ASSUMPTION, SOURCES.md "Local capital")
LOCAL_CAPITAL_SHARE = 0.02  # of standard revenue, a year

# --- Flows of people (SCENARIO, SOURCES.md "Flows of people 2021–2025")
FLOW_YEARS = [2021, 2022, 2023, 2024, 2025]
DECADE = (2010, 2020)

COLUMNS = [*base.COLUMNS, "school_places", "beds", "elderly_places", "local_capital"]
PLACE_COLUMNS = ["school_places", "beds", "elderly_places"]


def take_ups() -> dict[str, float]:
    """DERIVED: the share of each driver that uses a place at once, nationally — pupils of primary
    and junior-secondary school (2019) per child aged 0–14 (2020 census), and medical-institution
    beds (2019) per resident (2020)."""
    cap = base._read("capacity_2019_nbs.csv")
    pop = base._read("census2020_population_age.csv")
    pupils = sum(cap[c] for c in SCHOOL_PUPIL_COLUMNS).sum() * 1e4
    return {"education": float(pupils / pop["age0_14_count_derived_persons"].sum()),
            "health": float(cap[BED_COLUMN].sum() * 1e4 / pop["resident_pop_2020_persons"].sum())}


def unit_costs() -> dict[str, float]:
    """DERIVED: yuan per person served a year at a cost index of 1 — the provinces flagship's exact
    unit costs divided by the take-up, so that standard costs are the flagship's (a pupil costs
    what 1/take-up children do), rounded to whole yuan."""
    exact = base.unit_costs(exact=True)
    shares = take_ups()
    costs = {s: exact[s] / shares.get(s, 1.0) for s in exact}
    return {s: float(base._round_half_up([c], base.UNIT_COST_DECIMALS)[0]) for s, c in costs.items()}


def places() -> pd.DataFrame:
    """Per province: places at the start (end of 2019) — DATA school places (primary and
    junior-secondary pupils, 2019) and beds (medical institutions, 2019), ASSUMPTION elderly-care
    places (residents 65+ in 2020 × ELDERLY_PLACES_PER_RESIDENT_65)."""
    cap = base._read("capacity_2019_nbs.csv")
    pop = base._read("census2020_population_age.csv")
    return pd.DataFrame({
        "school_places": base._round_half_up(sum(cap[c] for c in SCHOOL_PUPIL_COLUMNS) * 1e4),
        "beds": base._round_half_up(cap[BED_COLUMN] * 1e4),
        "elderly_places": base._round_half_up(pop["age65plus_count_derived_persons"] * ELDERLY_PLACES_PER_RESIDENT_65),
    }, index=pop.index)


def build() -> pd.DataFrame:
    """The province table: the provinces flagship's columns (without its drift of residents and
    migrants) and the capacity columns, rows by year then code."""
    table = base.build()
    first = table[table["year"] == base.BASE_YEAR].set_index("id")
    start = places()
    frames = []
    for year, frame in table.groupby("year", sort=True):
        frame = frame.set_index("id").copy()
        for column, rate in GROWTH.items():
            frame[column] = base._round_half_up(first[column] * (1.0 + rate) ** (year - base.BASE_YEAR))
        frame = frame.join(start)
        frame["local_capital"] = base._round_half_up(LOCAL_CAPITAL_SHARE * frame["standard_revenue"], 2)
        frames.append(frame.reset_index())
    out = pd.concat(frames, ignore_index=True).sort_values(["year", "id"], kind="mergesort")
    return out[COLUMNS].reset_index(drop=True)


def net_migration() -> pd.Series:
    """Persons a year each province gains (negative: loses) under the scenario: the change of its
    residents from the end of 2010 (NBS, T3) to the 2020 census (S1) beyond the national growth
    over the decade, averaged over the ten years; sums to 0."""
    nbs = pd.read_csv(RAW / "population_2010_2019_nbs.csv", dtype={"province_code": str})
    start = nbs[nbs["year"] == DECADE[0]].set_index("province_code")["population_yearend_10k_persons"] * 1e4
    end = base._read("census2020_population_age.csv")["resident_pop_2020_persons"].astype(float)
    start = start.loc[end.index]
    growth = end.sum() / start.sum()
    return (end - start * growth) / (DECADE[1] - DECADE[0])


def flows() -> pd.DataFrame:
    """SCENARIO: every year 2021–2025, each losing province's yearly loss goes to the gaining
    provinces in proportion to their yearly gains, rounded to whole persons."""
    net = net_migration()
    gains, losses = net.clip(lower=0.0), (-net).clip(lower=0.0)
    share = gains / gains.sum()
    rows = []
    for year in FLOW_YEARS:
        for origin in losses.index[losses > 0]:
            for destination in gains.index[gains > 0]:
                rows.append((origin, destination, year, losses[origin] * share[destination]))
    frame = pd.DataFrame(rows, columns=["origin", "destination", "year", "persons"])
    frame["persons"] = base._round_half_up(frame["persons"])
    return frame[frame["persons"] > 0].reset_index(drop=True)


def table_text(table: pd.DataFrame) -> str:
    """The provinces flagship's formats, places as whole persons, local capital with 2 decimals."""
    text = table.copy()
    for column in PLACE_COLUMNS:
        text[column] = [f"{int(v)}" for v in table[column]]
    text["local_capital"] = [f"{v:.2f}" for v in table["local_capital"]]
    return base.to_csv_text(text)


def flows_text(frame: pd.DataFrame) -> str:
    return "origin,destination,year,persons\n" + "".join(
        f"{o},{d},{y},{int(p)}\n" for o, d, y, p in frame.itertuples(index=False))


def report(table: pd.DataFrame, moves: pd.DataFrame) -> str:
    """Take-ups, unit costs, places against demand by province (2020 and 2025 before any flow or
    building), and the flows."""
    shares, costs = take_ups(), unit_costs()
    lines = ["take-up (persons using a place at once per driver): "
             + ", ".join(f"{s} {v:.6f}" for s, v in shares.items()),
             "unit costs (yuan per person served a year, cost index 1): "
             + ", ".join(f"{s} {v:.0f}" for s, v in costs.items())]
    first = table[table["year"] == base.BASE_YEAR].set_index("id")
    net = net_migration()
    lines.append("id name            school places  demand 2020   beds    demand   elderly  net flow/yr")
    for code, row in first.iterrows():
        lines.append(f"{code} {row['name']:14s} {row['school_places']:12,.0f} "
                     f"{shares['education'] * row['age0_14']:12,.0f} {row['beds']:8,.0f} "
                     f"{shares['health'] * row['population']:8,.0f} {row['elderly_places']:10,.0f} {net[code]:10,.0f}")
    lines.append(f"flows: {len(moves)} rows, {moves.groupby('year')['persons'].sum().iloc[0]:,.0f} persons a year; "
                 f"local capital {first['local_capital'].sum():,.2f} 亿元 a year")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed CSVs")
    parser.add_argument("--report", action="store_true", help="print take-ups, unit costs, places and flows")
    args = parser.parse_args(argv)
    table, moves = build(), flows()
    texts = {TABLE: table_text(table), FLOWS: flows_text(moves)}
    if args.report:
        print(report(table, moves))
        return 0
    if args.check:
        same = {path: path.exists() and path.read_text(encoding="utf-8") == text for path, text in texts.items()}
        for path, ok in same.items():
            print(f"{path.name}: {'up to date' if ok else 'DIFFERS from the build'}")
        return 0 if all(same.values()) else 1
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
