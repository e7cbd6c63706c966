"""Golden rows: the LP built for each rule on a small instance, compared line by line with
``tests/golden/<case>.lp`` (names, coefficients, bounds, objective coefficients).

A coefficient error that leaves an optimum unchanged still fails here. When a change of the
formulation is intended, regenerate with ``FISCAL_OPT_UPDATE_GOLDEN=1 python -m pytest
tests/test_golden_rows.py`` and say in the commit why each changed line changed.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

import fiscal_opt as fo
from conftest import write_instance
from fiscal_opt.model.build import build
from fiscal_opt.model.params import derive
from golden_lp import differences, dump

GOLDEN = Path(__file__).with_name("golden")

INSTANCE = {
    "name": "golden",
    "money_unit": "100m_yuan",
    "years": [2025, 2026],
    "regions": [
        {"id": "A", "population": 1_000_000, "migrants": {2025: 300_000, 2026: 330_000}, "age0_14": 200_000,
         "fiscal_capacity": 50, "prior_transfer": 30, "reform_score": 0.9, "central_share_cap": 0.6},
        {"id": "B", "population": 2_000_000, "migrants": {2025: 100_000, 2026: 90_000}, "age0_14": 380_000,
         "fiscal_capacity": 40, "prior_transfer": 60, "reform_score": 0.5, "central_share_cap": 0.8},
        {"id": "C", "population": 500_000, "migrants": {2025: 200_000, 2026: 210_000}, "age0_14": 90_000,
         "fiscal_capacity": 5, "prior_transfer": 20, "reform_score": 0.7},
    ],
    "services": {"education": {"driver": "age0_14", "unit_cost": 10000, "local_share": 0.2},
                 "health": {"driver": "population", "unit_cost": {2025: 1000, 2026: 1100}, "local_share": 0.1}},
    "budget": {"special_fund": {2025: 20, 2026: 22}, "incentive_pool": 5},
    "incentive": {"basis": "migrants", "min_score": 0.4, "flexibility": 0.2},
}

NEVER_BINDING = {"hold_harmless": {"max_cut": 1.0}}
"""A linking rule that never binds: keeps the incentive band, order and deviation rows in the LP."""

CASES = {
    "budget": {},
    "incentive_order": NEVER_BINDING,
    "min_coverage": {"min_coverage": 0.5},
    "min_coverage_soft": {"min_coverage": {"value": 0.5, "soft": True}},
    "min_coverage_by_service": {"min_coverage": {"education": 0.7, "default": 0.4}},
    "per_capita_floor": {"per_capita_floor": 0.8},
    "per_capita_floor_soft": {"per_capita_floor": {"value": 0.8, "soft": True}},
    "disparity": {"max_disparity_ratio": 3.0},
    "disparity_soft": {"max_disparity_ratio": {"value": 3.0, "soft": True}},
    "gini": {"gini_max": 0.2},
    "gini_soft": {"gini_max": {"value": 0.2, "soft": True}},
    "mean_deviation": {"mean_deviation_max": 0.2},
    "mean_deviation_soft": {"mean_deviation_max": {"value": 0.2, "soft": True}},
    "hold_harmless": {"hold_harmless": {"max_cut": 0.05}},
    "max_rise": {"hold_harmless": {"max_rise": 0.5}},
    "hold_harmless_per_capita": {"hold_harmless": {"max_cut": 0.05, "max_rise": 0.5, "basis": "per_capita"}},
    "hold_harmless_soft": {"hold_harmless": {"max_cut": 0.05, "max_rise": 0.5, "soft": True}},
    "no_reranking": {"no_reranking": True},
    "no_reranking_soft": {"no_reranking": {"soft": True}},
    "formula": {"formula": {"factors": ["ceiling", "population", "difficulty_population"]}},
    "formula_same_every_year": {"formula": {"factors": ["migrants", "regions"], "same_every_year": True}},
    "max_min_coverage": {"objective": "max_min_coverage"},
    "max_min_per_year": {"objective": "max_min_coverage", "per_year": True},
    "leximin_coverage": {"objective": "leximin_coverage", **NEVER_BINDING},
    "min_budget": {"objective": "min_budget", "min_coverage": 0.5},
    "coverage_value": {"coverage_value": {"levels": [0.3, 0.6, 1.0], "values": [3.0, 2.0, 1.0]}},
}


GROWING = {"hold_harmless_per_capita"}
"""Cases on the instance with A's residents growing by a fifth in 2026 (so the per-capita basis shows)."""

PLACES = {"education": {"capacity": "school_places", "capital_cost": 20_000, "lead_time": 1, "depreciation": 0.05,
                        "idle_cost": 500, "convert_to": {"health": {"cost": 5000, "max_share": 0.2, "lead_time": 1}}},
          "health": {"capacity": "beds", "capital_cost": 50_000}}
"""Places of MODEL-v2 §11 on both services (cases ``places*``): school places and beds per region."""
PLACE_COLUMNS = [{"school_places": 180_000, "beds": 2_000, "local_capital": 4},
                 {"school_places": 300_000, "beds": 8_000, "local_capital": 2},
                 {"school_places": 100_000, "beds": 200, "local_capital": 0.5}]
PLACE_CASES = {
    "places": {},
    "places_min_coverage": {"min_coverage": {"health": 0.05, "default": 0.3}},
    "places_max_min": {"objective": "max_min_coverage"},
    "places_coverage_value": {"coverage_value": {"levels": [0.3, 0.6, 1.0], "values": [3.0, 2.0, 1.0]}},
    "places_flows_per_capita": {"hold_harmless": {"max_cut": 0.05, "basis": "per_capita"}},
}
"""Cases with places; ``places_flows*`` also move 100,000 people from B to A in 2026."""
CASES |= PLACE_CASES


def with_places(spec: dict, case: str, folder: Path) -> dict:
    """``spec`` with the places of :data:`PLACES` (and, for ``places_flows*``, a flow of people)."""
    for name, keys in PLACES.items():
        spec["services"][name] |= copy.deepcopy(keys)
    for region, columns in zip(spec["regions"], PLACE_COLUMNS):
        region |= columns
    spec["budget"]["capital_fund"] = {2025: 3, 2026: 3}
    if case.startswith("places_flows"):
        (folder / "flows.csv").write_text("origin,destination,year,persons,age0_14\nB,A,2026,100000,30000\n",
                                          encoding="utf-8")
        spec["migration"] = {"migration_csv": "flows.csv"}
    return spec


@pytest.mark.parametrize("case", sorted(CASES))
def test_rows_match_the_golden_file(tmp_path: Path, case: str) -> None:
    spec = copy.deepcopy(dict(INSTANCE, policy={"name": case, **CASES[case]}))
    if case in GROWING:
        spec["regions"][0]["population"] = {2025: 1_000_000, 2026: 1_200_000}
    if case in PLACE_CASES:
        spec = with_places(spec, case, tmp_path)
    instance = fo.load_instance(write_instance(tmp_path, spec))
    got = dump(build(derive(instance, instance.policy), instance.policy))
    path = GOLDEN / f"{case}.lp"
    if os.environ.get("FISCAL_OPT_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    problems = differences(path.read_text(encoding="utf-8"), got)
    assert not problems, f"{len(problems)} differences from {path.name}:\n" + "\n".join(problems[:20])


def test_a_changed_coefficient_is_found() -> None:
    text = (GOLDEN / "per_capita_floor.lp").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("row per_capita_floor["))
    head, lower, upper, body = line.split(" | ")
    words = body.split()
    words[0] = repr(float(words[0]) * (1 + 1e-9))
    changed = text.replace(line, " | ".join([head, lower, upper, " ".join(words)]))
    assert changed != text
    assert len(differences(text, changed)) == 1
