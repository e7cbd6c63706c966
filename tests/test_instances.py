"""Every instance in instances/ solves under its own policy and under every policy in models/,
and the written files pass the independent rule checker."""

from __future__ import annotations

from pathlib import Path

import pytest

import fiscal_opt as fo
from checker import check_written_result
from conftest import REPO

INSTANCES = sorted((REPO / "instances").glob("*.yaml"))
POLICIES = sorted((REPO / "models").glob("*.yaml"))


def test_there_is_something_to_check():
    assert len(INSTANCES) >= 2 and len(POLICIES) >= 5


@pytest.mark.parametrize("policy_path", [None, *POLICIES], ids=lambda p: "own" if p is None else p.stem)
@pytest.mark.parametrize("instance_path", INSTANCES, ids=lambda p: p.stem)
def test_instance_solves_and_every_rule_holds_in_the_files(instance_path: Path, policy_path: Path | None,
                                                         tmp_path: Path):
    instance = fo.load_instance(instance_path)
    policy = fo.load_policy(policy_path) if policy_path else instance.policy
    result = fo.solve(instance, policy)
    assert result.status == "optimal"
    result.write(tmp_path / "out", formats=["csv", "json"])
    residuals = check_written_result(instance, policy or fo.Policy(), tmp_path / "out")
    assert residuals["fund_ceiling"] <= 1e-9


def test_same_input_writes_identical_files(tmp_path: Path):
    instance = fo.load_instance(REPO / "instances" / "china-2020-provinces.yaml")
    for run in ("a", "b"):
        fo.solve(instance).write(tmp_path / run, formats=["csv", "json", "md", "html", "xlsx"])
    charts = sorted(p.name for p in (tmp_path / "a" / "charts").iterdir())
    assert set(charts) - {"province_map.png"} == {"coverage.png", "groups.png", "lorenz.png", "need.png",
                                                  "shadow_price.png", "transfer_per_head.png"}
    for name in ("allocations.csv", "regions.csv", "metrics.csv", "report.md", "report.html", "allocations.xlsx",
                 *(f"charts/{c}" for c in charts)):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    import json
    a, b = (json.loads((tmp_path / r / "summary.json").read_text()) for r in "ab")
    a.pop("timings"), b.pop("timings")
    assert a == b


def test_actual_transfers_are_carried_beside_the_optimum():
    import pandas as pd

    inst = fo.load_instance(REPO / "instances" / "china-2020-provinces.yaml")
    regions = fo.solve(inst).regions.set_index(["region", "year"])
    raw = pd.read_csv(REPO / "instances" / "data" / "china-2020-provinces.csv", dtype={"id": str})
    given = raw[raw["actual_transfer"].notna()].set_index(["id", "year"])["actual_transfer"]
    assert len(given) == 62  # 2020 and 2021 executed, 31 provinces each
    assert regions.loc[given.index, "actual_transfer"].tolist() == given.tolist()
    assert regions["actual_transfer"].isna().sum() == len(regions) - 62
