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

import fiscal_opt as fo
from fiscal_opt.errors import InputError
from fiscal_opt.io.load import load_any

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
    if load_any(path) == "policy":
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
