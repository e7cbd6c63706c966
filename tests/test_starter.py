"""``fiscal-opt new DIR --regions-csv FILE``: a ready instance and policy from a plain CSV of regions."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import fiscal_opt as fo
from fiscal_opt.cli import app
from fiscal_opt.generate.starter import COLUMNS, new_instance
from fiscal_opt.model.params import derive

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()
PLAIN = "id,population,migrants,fiscal_capacity\nA,1000000,200000,40\nB,3000000,100000,60\nC,500000,5000,5\n"


def test_a_plain_csv_gives_an_instance_that_solves(tmp_path: Path):
    (tmp_path / "regions.csv").write_text(PLAIN, encoding="utf-8")
    done = runner.invoke(app, ["new", str(tmp_path / "study"), "--regions-csv", str(tmp_path / "regions.csv")])
    assert done.exit_code == 0, done.stderr
    folder = tmp_path / "study"
    assert sorted(p.name for p in folder.iterdir()) == ["instance.yaml", "policy.yaml", "regions.csv"]
    assert (folder / "regions.csv").read_bytes() == (tmp_path / "regions.csv").read_bytes()
    text = (folder / "instance.yaml").read_text(encoding="utf-8")
    for column in ("id", "population", "migrants", "fiscal_capacity", "age0_14", "reform_score", "prior_transfer"):
        assert f"#   {column:<18} {COLUMNS[column]}" in text  # present or not, every column is explained
    inst = fo.load_instance(folder / "instance.yaml")
    assert inst.region_ids == ["A", "B", "C"] and list(inst.services) == ["health", "housing"]
    assert inst.services["health"].unit_cost == 1360 and inst.incentive_pool.tolist() == [0.0]
    assert inst.special_fund[0] == pytest.approx(0.5 * derive(inst, inst.policy).gap.sum(), rel=5e-3)  # 3 digits
    assert fo.solve(inst).status == "optimal"
    assert runner.invoke(app, ["validate", str(folder / "instance.yaml"), str(folder / "policy.yaml")]).exit_code == 0


def test_the_flagship_csv_keeps_its_years_and_local_funding(tmp_path: Path):
    csv = REPO / "instances" / "data" / "china-2020-provinces.csv"
    instance, policy = new_instance(tmp_path / "china", csv)
    inst = fo.load_instance(instance)
    assert inst.policy == fo.load_policy(policy)
    assert inst.years == (2020, 2021, 2022, 2023, 2024, 2025) and len(inst.region_ids) == 31
    assert inst.services["education"].local_funding == "local_education"
    assert inst.services["elderly"].local_share == 0.05
    assert inst.incentive_pool[0] == pytest.approx(0.05 * inst.special_fund[0], rel=1e-2)
    assert fo.solve(inst).status == "optimal"


def test_a_csv_without_required_columns_is_refused_with_the_list(tmp_path: Path):
    (tmp_path / "regions.csv").write_text("id,Population,fiscal\nA,1,1\n", encoding="utf-8")
    done = runner.invoke(app, ["new", str(tmp_path / "study"), "--regions-csv", str(tmp_path / "regions.csv")])
    assert done.exit_code == 2
    message = " ".join(done.stderr.split())
    assert "no column `population`: residents, persons (migrants included); did you mean `Population`?" in message
    assert "no column `migrants`: residents without local household registration (hukou), persons" in message
    assert "no column `fiscal_capacity`" in message
    assert "the required ones are `id`, `population`, `fiscal_capacity`, `migrants`" in message
    assert not (tmp_path / "study").exists()


def test_rows_the_loader_refuses_leave_nothing_behind(tmp_path: Path):
    (tmp_path / "regions.csv").write_text(PLAIN.replace("A,1000000", "A,-5"), encoding="utf-8")
    done = runner.invoke(app, ["new", str(tmp_path / "study"), "--regions-csv", str(tmp_path / "regions.csv")])
    assert done.exit_code == 2
    assert f"{tmp_path / 'regions.csv'}:2: row 1.population: must not be negative" in " ".join(done.stderr.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["regions.csv"]


def test_an_existing_folder_with_files_is_never_written(tmp_path: Path):
    (tmp_path / "regions.csv").write_text(PLAIN, encoding="utf-8")
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "notes.txt").write_text("mine", encoding="utf-8")
    done = runner.invoke(app, ["new", str(tmp_path / "study"), "--regions-csv", str(tmp_path / "regions.csv")])
    assert done.exit_code == 2 and "exists and is not an empty folder" in done.stderr
    assert [p.name for p in (tmp_path / "study").iterdir()] == ["notes.txt"]
    (tmp_path / "empty").mkdir()
    done = runner.invoke(app, ["new", str(tmp_path / "empty"), "--regions-csv", str(tmp_path / "regions.csv"),
                               "--money-unit", "10k_yuan"])
    assert done.exit_code == 0, done.stderr
    assert fo.load_instance(tmp_path / "empty" / "instance.yaml").money_unit == "10k_yuan"
    done = runner.invoke(app, ["new", str(tmp_path / "x"), "--regions-csv", str(tmp_path / "missing.csv")])
    assert done.exit_code == 2 and "regions CSV file not found" in done.stderr
