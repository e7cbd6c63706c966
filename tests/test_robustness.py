"""Every valid instance and policy ends in an answer or a diagnosis (benchmarks/robustness.py, quick)."""

from __future__ import annotations

from benchmarks.robustness import markdown, run
from conftest import REPO


def test_no_point_of_the_quick_robustness_grid_is_a_solver_failure() -> None:
    doc = run(quick=True)
    policies = sorted((REPO / "models").glob("*.yaml"))
    budgets = sum(1 if "min_budget" in p.read_text(encoding="utf-8") else 5 for p in policies)
    assert doc["points"] == 2 * budgets  # 2 instances × (5 budgets per policy, min_budget once)
    assert doc["counts"].get("solver_failure", 0) == 0, markdown(doc)
    assert doc["counts"]["optimal"] > 0
    for record in doc["records"]:
        if record["status"] == "infeasible":
            assert record["reason"], record  # a diagnosis, not an empty row
