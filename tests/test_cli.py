"""The command line end to end: exit codes 0 / 2 / 3, files written, messages instead of tracebacks.

In-process (typer's CliRunner) but for two smoke tests that start the installed command as a user does.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

from conftest import REPO, two_regions, write_instance
from conftest import cli as run


def _installed(*args: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("fiscal-opt")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "fiscal_opt"]
    return subprocess.run([*command, *args], cwd=REPO, capture_output=True, text=True, timeout=300)


def test_smoke_the_installed_command_solves_the_flagship(tmp_path: Path):
    proc = _installed("solve", "instances/china-2020-provinces.yaml", "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    assert "Guangdong" in proc.stdout and (tmp_path / "o" / "summary.json").exists()


def test_smoke_the_installed_command_refuses_bad_input_without_a_traceback(tmp_path: Path):
    proc = _installed("solve", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "missing.yaml" in proc.stderr


def test_solve_demo_writes_the_contract_files(tmp_path: Path):
    out = tmp_path / "out"
    proc = run("solve", "instances/demo-4.yaml", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Coastal" in proc.stdout            # the short table names the regions
    alloc = pd.read_csv(out / "allocations.csv")
    assert list(alloc.columns[:11]) == ["region", "year", "service", "standard_cost", "local_funding", "gap",
                                        "ceiling", "special_fund", "shortfall", "coverage_before", "coverage_after"]
    regions = pd.read_csv(out / "regions.csv")
    for col in ["region", "name", "group", "year", "special_fund", "incentive", "transfer", "transfer_per_capita",
                "transfer_per_migrant", "resources_per_capita_before", "resources_per_capita_after", "priority",
                "baseline_special_fund", "baseline_incentive"]:
        assert col in regions.columns
    summary = json.loads((out / "summary.json").read_text())
    for key in ["status", "objective", "objective_name", "money_unit", "years", "budget", "budget_used",
                "budget_shadow_price", "metrics", "solver", "timings", "input_sha256"]:
        assert key in summary
    assert summary["status"] == "optimal"
    assert set(summary["metrics"]["2025"]) == {"before", "baseline", "optimum"}
    report = (out / "report.md").read_text()
    assert report.startswith("# Allocation report: demo-4 under policy equity-first")
    assert all((out / image).is_file() for image in re.findall(r"\]\((charts/[a-z_]+\.png)\)", report))
    assert "charts/lorenz.png" in report


def test_policy_option_overrides_the_instance_policy(tmp_path: Path):
    proc = run("solve", "instances/demo-4.yaml", "--policy", "models/efficiency.yaml", "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["objective_name"] == "weighted_shortfall"


def test_validate_accepts_instances_policies_and_scenarios(tmp_path: Path):
    proc = run("validate", "instances/demo-4.yaml", "instances/china-2020-provinces.yaml", "models/leximin.yaml",
               *(str(p.relative_to(REPO)) for p in sorted((REPO / "instances" / "scenarios").glob("*.yaml"))))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("valid") == 5 and proc.stdout.count("valid scenario file") == 2
    bad = tmp_path / "s.yaml"
    bad.write_text("name: s\nseed: 1\nplan: {alpha: 2}\n", encoding="utf-8")
    proc = run("validate", str(bad))
    assert proc.returncode == 2 and "plan.alpha" in proc.stderr


def test_bad_key_exits_2_with_a_hint_and_no_traceback(tmp_path: Path):
    spec = two_regions()
    spec["budget"]["special_fnd"] = spec["budget"].pop("special_fund")
    path = write_instance(tmp_path, spec)
    for command in ("validate", "solve"):
        proc = run(command, str(path))
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr + proc.stdout
        assert "budget.special_fnd" in proc.stderr and "did you mean `special_fund`" in proc.stderr


def test_a_rule_the_instance_cannot_support_names_the_instance_file(tmp_path: Path):
    path = write_instance(tmp_path, two_regions(hold_harmless={"max_cut": 0.1}))  # no prior_transfer column
    proc = run("solve", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{path}: regions: hold_harmless needs last year's transfer" in proc.stderr


def test_every_error_of_a_file_is_reported_at_once(tmp_path: Path):
    spec = two_regions()
    spec["regions"][0]["population"] = -5
    spec["regions"][1]["fiscal_capacity"] = "lots"
    spec["services"]["basic"]["unit_cots"] = 3
    proc = run("validate", str(write_instance(tmp_path, spec)))
    assert proc.returncode == 2
    assert "services.basic.unit_cots" in proc.stderr
    spec["services"]["basic"].pop("unit_cots")
    proc = run("validate", str(write_instance(tmp_path, spec)))
    assert "regions[0].population" in proc.stderr and "regions[1].fiscal_capacity" in proc.stderr
    assert ":" in proc.stderr.split("regions[0].population")[0]   # file:line before the key path


def test_infeasible_exits_3_and_writes_the_diagnosis(tmp_path: Path):
    path = write_instance(tmp_path, two_regions(min_coverage=0.9))
    proc = run("solve", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert "min_coverage" in proc.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "infeasible" and "budget" in summary["rules"]


def test_help_lists_the_commands():
    proc = run("--help")
    assert proc.returncode == 0
    for command in ("solve", "validate", "generate", "bench", "scenarios", "plan"):
        assert command in proc.stdout
    # each command's line is its docstring's first paragraph on one line, however the docstring wraps
    from fiscal_opt.cli import app

    for command in app.registered_commands:
        assert command.short_help and "\n" not in command.short_help
        assert command.short_help.split()[:3] == (command.callback.__doc__ or "").split()[:3]


def test_compare_and_explain_commands(tmp_path: Path):
    proc = run("compare", "instances/demo-4.yaml", "--policy", "models/efficiency.yaml", "--policy",
               "models/leximin.yaml", "--out", str(tmp_path / "cmp.csv"))
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "cmp.csv")
    assert list(table["policy"]) == ["efficiency", "leximin", "formula baseline"]
    # leximin raises the worst coverage at least as high as the efficiency policy does
    assert table.loc[1, "min_coverage"] >= table.loc[0, "min_coverage"] - 1e-9
    proc = run("explain", "instances/demo-4.yaml", "--region", "E")
    assert proc.returncode == 0 and "Rustbelt" in proc.stdout and "binding rules" in proc.stdout
    proc = run("explain", "instances/demo-4.yaml", "--region", "nowhere")
    assert proc.returncode == 2 and "no region 'nowhere'" in proc.stderr and "Traceback" not in proc.stderr
