"""Hostile and mistaken input files: each is refused with a specific message, never a traceback.

The corpus lives in ``tests/bad_inputs/``; ``EXPECTED.yaml`` maps every file to the substrings its
message must contain (the key path and the words that name the problem). Files named ``policy_*``
are policy files, the others instance files; a CSV with an instance's stem is its ``regions_csv``.
Accepted variants (byte-order mark, CRLF line endings, exponent numbers, …) live in
``tests/good_inputs/`` and must load and solve.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import fiscal_opt as fo
from fiscal_opt.cli import app
from fiscal_opt.errors import InputError
from fiscal_opt.io.any_file import load_any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BAD = HERE / "bad_inputs"
GOOD = HERE / "good_inputs"
EXPECTED: dict[str, list[str]] = yaml.safe_load((BAD / "EXPECTED.yaml").read_text(encoding="utf-8"))
CASES = sorted(EXPECTED)
CLI_SECONDS = 60
MEMORY_LIMIT = 1 << 30  # bytes of address space for CLI runs: an expansion bomb must not get further


def load(path: Path) -> object:
    return fo.load_policy(path) if path.name.startswith("policy_") else fo.load_instance(path)


def cli() -> list[str]:
    """The installed ``fiscal-opt`` script beside this Python, else ``python -m fiscal_opt``."""
    script = Path(sys.executable).with_name("fiscal-opt")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fiscal_opt"]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Run the command line with a time limit and a memory limit (one BLAS thread, so that the
    limit measures the program and not per-core buffers)."""
    env = os.environ | {"COLUMNS": "200", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run([*cli(), *args], cwd=cwd, capture_output=True, text=True, timeout=CLI_SECONDS,
                          preexec_fn=_limit_memory, env=env)


# ------------------------------------------------------------------------------ the manifest


def test_manifest_and_folder_agree():
    files = {p.name for p in BAD.glob("*.yaml")} - {"EXPECTED.yaml"}
    assert files - set(EXPECTED) == set(), "bad input files missing from EXPECTED.yaml"
    assert set(EXPECTED) - files == set(), "EXPECTED.yaml names files that do not exist"
    assert len(EXPECTED) >= 45
    for name, substrings in EXPECTED.items():
        assert substrings and all(isinstance(s, str) and s for s in substrings), name
    for companion in BAD.glob("*.csv"):
        assert companion.with_suffix(".yaml").name in EXPECTED, f"{companion.name} belongs to no case"
    unexpected = {p.name for p in BAD.iterdir()} - files - {"EXPECTED.yaml"} - {p.name for p in BAD.glob("*.csv")}
    assert not unexpected


# ------------------------------------------------------------------------------ the library


@pytest.mark.parametrize("name", CASES)
def test_loader_refuses_with_a_specific_message(name: str):
    path = BAD / name
    with pytest.raises(InputError) as info:
        load(path)
    message = str(info.value)
    for expected in EXPECTED[name]:
        assert expected in message, f"{expected!r} not in:\n{message}"
    assert "Traceback" not in message
    assert all(problem.file for problem in info.value.problems)
    with pytest.raises(InputError) as again:  # `fiscal-opt validate` tells instances and policies apart itself
        load_any(path)
    assert str(again.value) == message


def test_every_problem_of_a_file_is_reported_at_once():
    info = pytest.raises(InputError, fo.load_instance, BAD / "multi_problem_regions.yaml")
    assert len(info.value.problems) == 3
    assert len({p.path for p in info.value.problems}) == 3
    assert all(p.line is not None for p in info.value.problems)


def test_object_tags_are_never_run():
    marker = Path("/tmp/fiscal_opt_pwned")
    marker.unlink(missing_ok=True)
    with pytest.raises(InputError):
        fo.load_instance(BAD / "yaml_python_object_apply.yaml")
    assert not marker.exists()


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path):
    outside = tmp_path / "outside.csv"
    outside.write_text("id,population,migrants,fiscal_capacity\nA,1,0,1\n", encoding="utf-8")
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "regions.csv").symlink_to(outside)
    text = (BAD / "regions_csv_missing_file.yaml").read_text(encoding="utf-8")
    (folder / "instance.yaml").write_text(text.replace("no-such-regions.csv", "regions.csv"), encoding="utf-8")
    with pytest.raises(InputError, match="points outside the instance's folder"):
        fo.load_instance(folder / "instance.yaml")


def test_links_that_loop_and_pipes_are_refused(tmp_path: Path):
    """A symbolic link loop and a named pipe (which would block a reader forever) are refused."""
    text = (BAD / "regions_csv_missing_file.yaml").read_text(encoding="utf-8")
    (tmp_path / "loop.csv").symlink_to("loop.csv")
    (tmp_path / "loop.yaml").write_text(text.replace("no-such-regions.csv", "loop.csv"), encoding="utf-8")
    with pytest.raises(InputError, match="regions_csv: 'loop.csv' cannot be followed"):
        fo.load_instance(tmp_path / "loop.yaml")
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "pipe.yaml").write_text(text.replace("no-such-regions.csv", "pipe.csv"), encoding="utf-8")
    with pytest.raises(InputError, match="'pipe.csv' is not a regular file"):
        fo.load_instance(tmp_path / "pipe.yaml")
    with pytest.raises(InputError, match="not a regular file"):
        fo.load_instance(tmp_path / "pipe.csv")
    with pytest.raises(InputError, match="this is a folder"):
        fo.load_policy(tmp_path)


# ------------------------------------------------------------------------------ the command line


def test_cli_validate_refuses_every_bad_file_in_one_run():
    paths = [str(BAD / name) for name in CASES]
    start = time.perf_counter()
    proc = run_cli("validate", *paths)
    assert time.perf_counter() - start < CLI_SECONDS
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "✓" not in proc.stdout, proc.stdout
    for path in paths:
        assert f"✗ {path}:" in proc.stderr, f"no verdict for {path}"


SOLVE_CASES = ["yaml_alias_bomb.yaml", "yaml_python_object_apply.yaml", "yaml_deep_nesting.yaml",
               "regions_csv_escapes_folder.yaml", "instance_policy_path_device.yaml", "huge_int_5000_digits.yaml",
               "csv_ragged_row_too_long.yaml", "non_utf8_gbk.yaml", "typo_key_top_level_servces.yaml"]


@pytest.mark.parametrize("name", SOLVE_CASES)
def test_cli_solve_exits_2_without_a_traceback(name: str, tmp_path: Path):
    out = tmp_path / "out"
    proc = run_cli("solve", str(BAD / name), "--out", str(out))
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "bad input" in proc.stderr
    assert EXPECTED[name][0] in proc.stderr
    assert not out.exists()


def test_cli_solve_refuses_a_bad_policy_option():
    policy = BAD / "policy_unknown_objective.yaml"
    proc = run_cli("solve", "instances/demo-4.yaml", "--policy", str(policy))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "max_happiness" in proc.stderr


def test_cli_prints_markup_in_values_as_written():
    proc = run_cli("solve", str(BAD / "markup_in_value.yaml"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "(got '[/x][bold]yuan')" in proc.stderr


# ------------------------------------------------------------------------------ accepted variants


GOOD_FILES = sorted(p.name for p in GOOD.glob("*.yaml"))


@pytest.mark.parametrize("name", GOOD_FILES)
def test_accepted_variants_load_and_solve(name: str):
    path = GOOD / name
    if load_any(path)[0] == "policy":
        result = fo.solve(fo.load_instance(REPO / "instances" / "demo-4.yaml"), fo.load_policy(path))
    else:
        result = fo.solve(fo.load_instance(path))
    assert result.status == "optimal"


def test_bom_and_crlf_read_like_the_plain_file(tmp_path: Path):
    plain = tmp_path / "plain.yaml"
    plain.write_text((GOOD / "utf8_bom.yaml").read_text(encoding="utf-8-sig"), encoding="utf-8")
    reference = fo.load_instance(plain)
    for variant in ("utf8_bom.yaml", "crlf_line_endings.yaml"):
        inst = fo.load_instance(GOOD / variant)
        assert inst.regions.equals(reference.regions), variant
        assert inst.special_fund.tolist() == reference.special_fund.tolist()


def test_exponent_numbers_are_numbers():
    inst = fo.load_instance(GOOD / "scientific_notation.yaml")
    assert inst.regions["population"].iloc[0] == 1e6
    assert inst.services["health"].unit_cost == 1100.0


def test_csv_with_bom_crlf_and_quotes_reads_every_cell():
    inst = fo.load_instance(GOOD / "csv_bom_crlf.yaml")
    assert list(inst.regions["id"]) == ["A", "B"]        # the BOM is not part of the first column name
    assert inst.regions["name"].iloc[0] == "Coastal, east"


def test_good_inputs_folder_has_only_cases_and_companions():
    for path in GOOD.iterdir():
        assert path.suffix in (".yaml", ".csv"), path.name
        if path.suffix == ".csv":
            assert path.with_suffix(".yaml").exists(), path.name


def test_corpus_files_are_small():
    for path in [*BAD.iterdir(), *GOOD.iterdir()]:
        assert path.stat().st_size < 20_000, path.name


# ------------------------------------------------------------------------------ decisions, one by one


def test_yaml11_forms_are_the_text_written():
    """``010``, ``1.50``, ``0x1F``, ``true`` as ids, ``on``/``20:00`` as names, a service ``yes`` or
    ``1``, a name ``2025-01-01``: each is the text as written (YAML 1.1 would have made 8, 1.5, 31,
    True, True, 1200, True, 1 and a date of them)."""
    inst = fo.load_instance(GOOD / "yaml11_forms_as_text.yaml")
    assert inst.name == "2025-01-01"
    assert inst.region_ids == ["010", "1.50", "1.5", "0x1F", "true"]
    assert inst.regions["name"].tolist()[:2] == ["on", "20:00"]
    assert inst.regions["group"].iloc[0] == "no"
    assert list(inst.services) == ["yes", "1"]
    assert inst.regions["population"].iloc[-1] == 1_000_000 and inst.regions["migrants"].iloc[-1] == 100_000


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith(("yaml", "policy_yaml", "key_", "duplicate_yaml"))])
def test_both_yaml_parsers_give_the_same_verdict(name: str, monkeypatch: pytest.MonkeyPatch):
    """libyaml reads the files where PyYAML has it; PyYAML's own parser must say the same."""
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    with pytest.raises(InputError) as info:
        load(BAD / name)
    assert all(expected in str(info.value) for expected in EXPECTED[name]), str(info.value)


def test_numbers_far_below_any_real_figure_solve_as_zero(tmp_path: Path):
    tiny = fo.solve(fo.load_instance(GOOD / "tiny_numbers.yaml"))
    zero = tmp_path / "zero.yaml"
    zero.write_text((GOOD / "tiny_numbers.yaml").read_text(encoding="utf-8").replace("1e-300", "0"), encoding="utf-8")
    exact = fo.solve(fo.load_instance(zero))
    assert tiny.solution.objective == pytest.approx(exact.solution.objective, rel=1e-9)
    assert tiny.solution.special_fund == pytest.approx(exact.solution.special_fund, abs=1e-9)


def test_rows_of_only_commas_are_skipped_with_a_note():
    inst = fo.load_instance(GOOD / "csv_excel_trailing_commas.yaml")
    assert inst.region_ids == ["A", "B"]
    assert len(inst.notes) == 1 and "3 rows of only empty cells" in inst.notes[0]
    done = CliRunner().invoke(app, ["validate", str(GOOD / "csv_excel_trailing_commas.yaml")])
    assert done.exit_code == 0 and "3 rows of only empty cells" in done.stderr


def test_inline_cells_are_stripped_as_a_csv_strips_them(tmp_path: Path):
    text = (GOOD / "year_maps_inline.yaml").read_text(encoding="utf-8").replace("name: Coastal", 'name: "  Coastal "')
    (tmp_path / "spaces.yaml").write_text(text, encoding="utf-8")
    assert fo.load_instance(tmp_path / "spaces.yaml").regions["name"].iloc[0] == "Coastal"


def _instance_text(regions: str, years: str = "", services: str = "  basic: {driver: population, unit_cost: 1}\n") -> str:
    return (f"name: limits\nmoney_unit: yuan\n{years}{regions}\nservices:\n{services}budget:\n  special_fund: 1\n")


def test_limits_that_small_files_reach(tmp_path: Path):
    """More services than MAX_SERVICES, more region-years than MAX_REGION_YEARS, a CSV cell longer
    than the csv module reads: each is exit 2 with its limit named."""
    from fiscal_opt.io.schema import MAX_REGION_YEARS, MAX_SERVICES, MAX_YEARS

    row = "{id: A, population: 1, migrants: 0, fiscal_capacity: 1}"
    many = "".join(f"  s{i}: {{driver: population, unit_cost: 1}}\n" for i in range(MAX_SERVICES + 1))
    (tmp_path / "services.yaml").write_text(_instance_text(f"regions: [{row}]", services=many), encoding="utf-8")
    with pytest.raises(InputError, match=f"services: lists 1,001 services; an instance has at most {MAX_SERVICES:,}"):
        fo.load_instance(tmp_path / "services.yaml")
    regions = MAX_REGION_YEARS // MAX_YEARS + 1
    (tmp_path / "many.csv").write_text("id,population,migrants,fiscal_capacity\n"
                                       + "".join(f"R{i},1,0,1\n" for i in range(regions)), encoding="utf-8")
    years = "years: [" + ", ".join(str(2000 + i) for i in range(MAX_YEARS)) + "]\n"
    (tmp_path / "many.yaml").write_text(_instance_text("regions_csv: many.csv", years), encoding="utf-8")
    with pytest.raises(InputError, match=f"{regions:,} regions × {MAX_YEARS} years = {regions * MAX_YEARS:,} "
                                         f"region-years; an instance has at most {MAX_REGION_YEARS:,}"):
        fo.load_instance(tmp_path / "many.yaml")
    (tmp_path / "long.csv").write_text("id,name,population,migrants,fiscal_capacity\nA," + "x" * 200_000 + ",1,0,1\n",
                                       encoding="utf-8")
    (tmp_path / "long.yaml").write_text(_instance_text("regions_csv: long.csv"), encoding="utf-8")
    with pytest.raises(InputError, match="long.csv:2: not a readable CSV file: a cell is longer than 131,072"):
        fo.load_instance(tmp_path / "long.yaml")


def test_a_csv_of_too_many_rows_is_refused_while_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Millions of tiny rows (50 MB of ``A,1,0,1``) stop at MAX_ROWS, shown here with a limit of 10."""
    from fiscal_opt.io import csvfile

    monkeypatch.setattr(csvfile, "MAX_ROWS", 10)
    (tmp_path / "rows.csv").write_text("id,population,migrants,fiscal_capacity\n" + "A,1,0,1\n" * 11, encoding="utf-8")
    (tmp_path / "rows.yaml").write_text(_instance_text("regions_csv: rows.csv"), encoding="utf-8")
    with pytest.raises(InputError, match="rows.csv:12: the file has more than 10 rows; an instance has at most "
                                         "1,000,000 regions × years"):
        fo.load_instance(tmp_path / "rows.yaml")


# ------------------------------------------------------------------------------ command-line options


@pytest.mark.parametrize("args, expected", [
    (["solve", "instances/demo-4.yaml", "--format", ","], "--format: no format given"),
    (["solve", "instances/demo-4.yaml", "--format", "csv,pdf"], "--format: unknown format(s) ['pdf']"),
    (["sweep", "instances/demo-4.yaml", "--budget", "-100:100:50"], "--budget: a budget cannot be negative; the range "
                                                                   "'-100:100:50' starts at -100"),
    (["sweep", "instances/demo-4.yaml", "--budget", "-10%:100%:50%"], "starts at -10%"),
    (["generate", "--regions", "10000000000", "--out", "unused"], "10,000,000,000 regions × 1 years"),
    (["generate", "--regions", "5", "--years", "201", "--out", "unused"], "years must be at most 200"),
])
def test_cli_options_out_of_range_are_bad_input(args: list[str], expected: str, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path):
    monkeypatch.chdir(REPO)
    done = CliRunner().invoke(app, [a if a != "unused" else str(tmp_path / "out") for a in args])
    assert done.exit_code == 2, done.output
    assert expected in " ".join(done.stderr.split()), done.stderr
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------ large inputs, within memory


def _write_regions_csv(path: Path, rows: int) -> None:
    """A regions CSV of ``rows`` rows × 12 columns (about 88 bytes a row), written in bulk."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    population = rng.integers(10_000, 2_000_000, rows)
    pd.DataFrame({"id": [f"R{i:07d}" for i in range(rows)], "name": [f"Region {i}" for i in range(rows)],
                  "group": [f"G{i % 7}" for i in range(rows)], "population": population,
                  "migrants": population // 10, "fiscal_capacity": np.round(population / 1e5, 3),
                  "age0_14": population // 6, "age65plus": population // 8,
                  "reform_score": np.round(rng.random(rows), 4), "central_share_cap": 0.6,
                  "cost_index": np.round(rng.uniform(0.8, 1.2, rows), 6),
                  "prior_transfer": np.round(population / 1e6, 6)}).to_csv(path, index=False)


LARGE_SERVICES = "  education: {driver: age0_14, unit_cost: 15000, local_share: 0.3}\n" \
                 "  health: {driver: population, unit_cost: 1100, local_share: 0.1}\n"


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The large inputs of issue 15, generated here (nothing of this size is committed)."""
    folder = tmp_path_factory.mktemp("large")
    row = "{id: A, population: 1000000, migrants: 1000, fiscal_capacity: 50, age0_14: 150000}"
    _write_regions_csv(folder / "regions.csv", 558_076)
    (folder / "csv_49mb.yaml").write_text(_instance_text("regions_csv: regions.csv", services=LARGE_SERVICES),
                                          encoding="utf-8")
    inline = "".join(f"  - {{id: R{i:06d}, name: Region number {i}, group: G{i % 7}, population: {10_000 + i * 37}, "
                     f"migrants: {1_000 + i}, fiscal_capacity: {1 + i / 1e4:.4f}, age0_14: {2_000 + i}, "
                     f"reform_score: 0.{i % 10}, central_share_cap: 0.6, cost_index: 1.0, prior_transfer: 0.5}}\n"
                     for i in range(50_000))
    (folder / "inline_50k.yaml").write_text(_instance_text("regions:\n" + inline, services=LARGE_SERVICES),
                                            encoding="utf-8")
    years = "years: [" + ", ".join(str(i) for i in range(1_000_000)) + "]\n"
    (folder / "years_million.yaml").write_text(_instance_text(f"regions: [{row}]", years), encoding="utf-8")
    (folder / "string_40mb.yaml").write_text(f"description: {'x' * 40_000_000}\n"
                                             + _instance_text(f"regions: [{row}]"), encoding="utf-8")
    (folder / "values.yaml").write_text(_instance_text(f"regions: [{row}]") + "extra: [" + "0," * 1_500_001 + "]\n",
                                        encoding="utf-8")
    return folder


@pytest.mark.parametrize("name, code, expected", [
    ("csv_49mb.yaml", 0, "valid instance file"),
    ("inline_50k.yaml", 0, "valid instance file"),
    ("years_million.yaml", 2, "years: lists 1,000,000 years; an instance has at most 200"),
    ("string_40mb.yaml", 2, "description: this text is 40,000,000 characters long; at most 1,000,000 are accepted"),
    ("values.yaml", 2, "not valid YAML: the file holds more than 1,500,000 values"),
])
def test_large_inputs_are_validated_within_1_gib(large: Path, name: str, code: int, expected: str):
    """A 49 MB regions CSV of 558,076 rows and 50,000 regions inline (11 MB) validate within 1 GiB
    of address space; a million years, a 40 MB text and 1.5 million values are refused."""
    if name == "csv_49mb.yaml":
        assert 45e6 < (large / "regions.csv").stat().st_size < 50e6
    proc = run_cli("validate", str(large / name))
    assert proc.returncode == code, proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert expected in proc.stdout + proc.stderr
