"""The command line and the results' destination: user text printed literally and shortened, a
destination that cannot take the results refused before solving, file-system failures with exit
code 5 and a message instead of "bad input", and the benchmark suite found in the source checkout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import fiscal_opt as fo
import fiscal_opt.cli as cli
from fiscal_opt.cli import app

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "instances" / "demo-4.yaml"
runner = CliRunner()


def demo_with(folder: Path, name: str, region_name: str) -> Path:
    spec = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    spec["name"] = name
    spec["regions"][0]["name"] = region_name
    spec["policy"] = str(REPO / "models" / "equity-first.yaml")
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def command() -> list[str]:
    script = Path(sys.executable).with_name("fiscal-opt")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fiscal_opt"]


# ------------------------------------------------------------------------------ the terminal


def test_markup_and_emoji_codes_in_user_text_print_as_written(tmp_path: Path):
    path = demo_with(tmp_path, ":warning: [bold]x[/bold]", "[b]C[/b]:ok:")
    done = runner.invoke(app, ["solve", str(path)])
    assert done.exit_code == 0, done.stderr
    assert ":warning: [bold]x[/bold]" in done.stdout and "[b]C[/b]:ok:" in done.stdout
    assert "⚠" not in done.stdout and "🆗" not in done.stdout
    done = runner.invoke(app, ["sweep", str(DEMO), "--budget", "200:100:10"])
    assert done.exit_code == 2 and "'200:100:10'" in done.stderr and "💯" not in done.stderr


def test_a_huge_name_is_shortened_and_line_breaks_are_shown_as_escapes(tmp_path: Path):
    path = demo_with(tmp_path, "x" * 100_000, "Coastal\r=cmd|' /C calc'!A0" + "y" * 100_000)
    done = runner.invoke(app, ["solve", str(path)])
    assert done.exit_code == 0, done.stderr
    assert "x" * 30 + "…" in done.stdout  # the solve printout keeps names to a table's width
    assert len(done.stdout) < 10_000
    assert "\r" not in done.stdout and "Coastal" in done.stdout


def test_a_text_of_a_million_lines_prints_as_a_thousand():
    shown = cli.escape("a\n" * 1_000_000)
    assert shown.count("\n") == cli.SHOWN_LINES and shown.endswith("… (999,001 more lines)")


def test_the_csv_row_injection_of_the_issue_stays_in_its_cell(tmp_path: Path):
    path = demo_with(tmp_path, "demo", "Coastal\r=cmd|' /C calc'!A0")
    out = tmp_path / "out"
    assert runner.invoke(app, ["solve", str(path), "--out", str(out)]).exit_code == 0
    regions = pd.read_csv(out / "regions.csv")
    assert len(regions) == 5 and regions["name"][0] == "Coastal\r'=cmd|' /C calc'!A0"


# ------------------------------------------------------------------------------ checked before solving


@pytest.mark.parametrize("formats", [",", "", " , "])
def test_no_format_is_refused_and_nothing_is_replaced(tmp_path: Path, formats: str):
    out = fo.solve(fo.load_instance(DEMO)).write(tmp_path / "out", formats=["csv"])
    before = snapshot(out)
    done = runner.invoke(app, ["solve", str(DEMO), "--out", str(out), "--format", formats])
    assert done.exit_code == 2 and "no format given" in done.stderr
    assert done.stdout == ""                                       # refused before solving
    assert snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_unknown_format_is_refused_before_solving(tmp_path: Path):
    done = runner.invoke(app, ["solve", str(DEMO), "--out", str(tmp_path / "out"), "--format", "csv,pdf"])
    assert done.exit_code == 2 and "unknown format(s) ['pdf']" in done.stderr and done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_written_exits_5_before_solving():
    """A folder the user may not write to. Root writes anywhere, so as root the run happens in a
    forked child that has become user nobody."""
    folder = Path(tempfile.mkdtemp(prefix="fiscal-opt-readonly-"))
    try:
        os.chmod(folder, 0o755)
        (folder / "locked").mkdir(mode=0o555)
        out = folder / "locked" / "deeper" / "out"
        read, written = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                if os.geteuid() == 0:
                    os.setgid(65534)
                    os.setuid(65534)
                done = runner.invoke(app, ["solve", str(DEMO), "--out", str(out)])
                os.write(written, json.dumps([done.exit_code, done.stdout, done.stderr]).encode())
            finally:
                os._exit(0)
        os.close(written)
        with os.fdopen(read) as pipe:
            code, stdout, stderr = json.loads(pipe.read())
        os.waitpid(pid, 0)
        assert code == 5, stderr
        assert stderr.startswith("cannot write:") and "Permission denied (you may not write there)" in stderr
        assert "deeper" in stderr and "Traceback" not in stderr and stdout == ""   # nothing was solved
        assert list((folder / "locked").iterdir()) == []
    finally:
        shutil.rmtree(folder)


# ------------------------------------------------------------------------------ failures while writing


def test_a_file_size_limit_exits_5_and_keeps_the_previous_set(tmp_path: Path):
    out = fo.solve(fo.load_instance(DEMO)).write(tmp_path / "out", formats=["csv"])
    before = snapshot(out)
    limit = 5000                                                  # bytes: the CSV files fit, the workbook does not

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run([*command(), "solve", str(DEMO), "--out", str(out), "--format", "csv,xlsx"],
                          capture_output=True, text=True, cwd=REPO, timeout=300, preexec_fn=limited)
    assert done.returncode == 5, done.stderr
    assert "cannot write:" in done.stderr and "File too large" in done.stderr and "ulimit -f" in done.stderr
    assert "Traceback" not in done.stderr and "bad input" not in done.stderr
    assert snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_table_that_cannot_be_written_exits_5(tmp_path: Path):
    (tmp_path / "table.csv").mkdir()
    done = runner.invoke(app, ["compare", str(DEMO), "--policy", str(REPO / "models" / "efficiency.yaml"),
                               "--out", str(tmp_path / "table.csv")])
    assert done.exit_code == 5 and "cannot write the table: Is a directory" in done.stderr


def test_an_instance_that_cannot_be_written_exits_5(tmp_path: Path):
    (tmp_path / "file").write_text("x")
    done = runner.invoke(app, ["generate", "--regions", "3", "--out", str(tmp_path / "file" / "sub")])
    assert done.exit_code == 5 and "cannot write the instance" in done.stderr and "Not a directory" in done.stderr


def test_the_library_raises_output_error_with_its_exit_code(tmp_path: Path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(fo.OutputError, match="file/out: cannot write the results: ") as caught:
        fo.solve(fo.load_instance(DEMO)).write(tmp_path / "file" / "out")
    assert caught.value.exit_code == 5 and isinstance(caught.value, fo.FiscalOptError)


def test_the_exit_codes_are_documented():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    paragraph = " ".join(next(p for p in readme.split("\n\n") if p.startswith("Exit codes:")).split())
    assert "4 solver failure or limit; 5 the results cannot be written" in paragraph
    assert "5 the results cannot be written" in " ".join(cli.__doc__.split())


# ------------------------------------------------------------------------------ the benchmark suite


def test_bench_outside_a_source_checkout_exits_2_saying_where_the_suite_lives(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(cli, "__file__", str(tmp_path / "site-packages" / "fiscal_opt" / "cli.py"))
    done = runner.invoke(app, ["bench", "--quick"])
    assert done.exit_code == 2 and "the benchmark suite lives in the source repository" in done.stderr


def test_bench_writes_a_new_folder_by_default_never_the_committed_results(tmp_path: Path, monkeypatch):
    suite = cli._benchmark_suite()
    assert Path(suite.__file__).parent == REPO / "benchmarks"
    committed = snapshot(REPO / "benchmarks" / "results")
    monkeypatch.setattr(suite, "RUNS", tmp_path / "runs")
    timing = {"command": "fiscal-opt", "best_seconds": 0.1, "median_seconds": 0.1, "runs": 1, "exit_code": 0,
              "target_seconds": 1.0}
    monkeypatch.setattr(suite, "time_cli", lambda repeat: {"help": timing, "solve": timing})
    monkeypatch.setattr(suite, "select", lambda quick, cases: [])    # no cases: the run is only its files
    done = runner.invoke(app, ["bench", "--quick"])
    assert done.exit_code == 0, done.stderr
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.endswith("-quick") and f"results in {run / 'results.md'}" in done.stdout
    assert json.loads((run / "results.json").read_text(encoding="utf-8"))["quick"] is True
    assert snapshot(REPO / "benchmarks" / "results") == committed
    started = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)
    assert [suite.new_run_folder(started, False).name for _ in range(2)] == ["2026-12-01T100000Z",
                                                                            "2026-12-01T100000Z-2"]
