"""Result files are safe to open and safe to lose: no formula or script injection from region names,
nothing written outside the output folder, and a run that fails or is killed leaves either the
previous result set or none, never a mix.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import fiscal_opt as fo
import fiscal_opt.report.html
import fiscal_opt.report.write
from fiscal_opt.errors import InputError, OutputError

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "instances" / "demo-4.yaml"
CHINA = REPO / "instances" / "china-2020-provinces.yaml"
FORMATS = ["csv", "xlsx", "html", "md", "json"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

HOSTILE = {
    "Coastal": '=HYPERLINK("http://x","y")',
    "Industrial": "+cmd|' /C calc'!A0",
    "Inland": "<script>alert(1)</script>",
    "Frontier": "@SUM(1+1)*cmd|' /C calc'!A0",
    "Rustbelt": "-2+3+cmd|' /C calc'!A0",
}


def hostile_instance(folder: Path) -> Path:
    """demo-4 with hostile region names, a hostile group, a hostile instance name and a hostile id."""
    text = DEMO.read_text(encoding="utf-8")
    for plain, evil in HOSTILE.items():
        text = text.replace(f"name: {plain},", f"name: {json.dumps(evil)},")
    text = text.replace("group: West,", 'group: "=1+1",').replace('{id: "E",', '{id: "=E()",')
    text = text.replace("name: demo-4", 'name: "<script>alert(2)</script>"')
    text = text.replace("policy: ../models/equity-first.yaml", f"policy: {json.dumps(str(REPO / 'models' / 'equity-first.yaml'))}")
    path = folder / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def is_number(text: str) -> bool:
    return bool(pd.notna(pd.to_numeric(text, errors="coerce")))


@pytest.fixture(scope="module")
def hostile_result(tmp_path_factory) -> tuple[Path, Path, set[Path]]:
    """Solve the hostile instance and write every format; returns (folder, out, files outside out)."""
    folder = tmp_path_factory.mktemp("hostile")
    path = hostile_instance(folder)
    result = fo.solve(fo.load_instance(path))
    assert set(result.regions["name"]) >= set(HOSTILE.values())
    before = set(folder.rglob("*"))
    out = folder / "out"
    result.write(out, formats=FORMATS)
    outside = {p for p in folder.rglob("*") if out not in p.parents and p != out} - before
    return folder, out, outside


def test_nothing_is_written_outside_the_output_folder(hostile_result):
    folder, out, outside = hostile_result
    assert outside == set()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]   # no temporary folder left behind
    assert {p.name for p in out.iterdir()} >= {"allocations.csv", "regions.csv", "summary.json", "report.md",
                                                "report.html", "allocations.xlsx"}


def test_csv_cells_cannot_be_formulas(hostile_result):
    _, out, _ = hostile_result
    seen = set()
    for name in ("allocations.csv", "regions.csv", "metrics.csv"):
        with (out / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    assert not cell.startswith(FORMULA_START) or is_number(cell), (name, cell)
                    seen.add(cell)
    for evil in HOSTILE.values():
        if evil.startswith(FORMULA_START):
            assert "'" + evil in seen
    assert "'=1+1" in seen and "'=E()" in seen


def test_xlsx_cells_are_text_not_formulas(hostile_result):
    _, out, _ = hostile_result
    book = openpyxl.load_workbook(out / "allocations.xlsx")
    seen = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_START), (sheet.title, cell.coordinate, cell.value)
                    seen.add(cell.value)
    assert "'" + HOSTILE["Coastal"] in seen and "'=E()" in seen


def test_html_report_escapes_user_text(hostile_result):
    _, out, _ = hostile_result
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html   # the instance name in title and heading


def test_json_summary_is_plain_json(hostile_result):
    _, out, _ = hostile_result
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["instance"] == "<script>alert(2)</script>"   # JSON keeps text as written; readers escape


# ------------------------------------------------------------------------------ atomic writing


@pytest.fixture(scope="module")
def demo_result() -> fo.Result:
    return fo.solve(fo.load_instance(DEMO))


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_folder_with_other_files_is_left_untouched(demo_result, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "marker.txt").write_text("the user's own notes\n")
    with pytest.raises(InputError, match="did not write: marker.txt"):
        demo_result.write(out, formats=["csv"])
    assert snapshot(out) == {"marker.txt": hashlib.sha256(b"the user's own notes\n").hexdigest()}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_previous_result_set_is_replaced_whole(demo_result, tmp_path: Path):
    out = tmp_path / "out"
    demo_result.write(out, formats=FORMATS)
    assert (out / "report.html").exists()
    demo_result.write(out, formats=["csv"])                 # fewer formats: nothing of the old set survives
    assert "report.html" not in snapshot(out) and "allocations.xlsx" not in snapshot(out)
    assert (out / "allocations.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_the_current_folder_is_never_the_output(demo_result, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "instance.yaml").write_text("name: keep me\n")
    for out in (".", str(tmp_path), ".."):
        with pytest.raises(InputError, match="current folder"):
            demo_result.write(out, formats=["csv"])
    assert (tmp_path / "instance.yaml").read_text() == "name: keep me\n"


def test_a_failure_while_writing_leaves_the_previous_set(demo_result, tmp_path: Path, monkeypatch):
    out = tmp_path / "out"
    demo_result.write(out, formats=["csv", "md"])
    previous = snapshot(out)

    def broken(page):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fiscal_opt.report.html, "render", broken)
    with pytest.raises(OutputError, match="No space left on device"):
        demo_result.write(out, formats=["csv", "html"])
    assert snapshot(out) == previous
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failed_swap_puts_the_previous_set_back(demo_result, tmp_path: Path, monkeypatch):
    """Where the system cannot exchange two folders, the swap is two renames; a failure of the second
    puts the first back."""
    monkeypatch.setattr(fiscal_opt.report.write, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    demo_result.write(out, formats=["csv"])
    previous = snapshot(out)
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:                                 # the new set moving into place
            raise OSError(5, "Input/output error")
        real_rename(src, dst)

    monkeypatch.setattr(fiscal_opt.report.write.os, "rename", rename)
    with pytest.raises(OutputError, match="Input/output error"):
        demo_result.write(out, formats=["csv", "md"])
    assert snapshot(out) == previous
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


# ------------------------------------------------------------------------------ killed mid-run


def cli() -> list[str]:
    script = Path(sys.executable).with_name("fiscal-opt")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fiscal_opt"]


def complete_set(out: Path) -> bool:
    """A whole result set of the china run: every file there and readable to its end."""
    names = {p.name for p in out.iterdir()}
    if not {"allocations.csv", "regions.csv", "metrics.csv", "summary.json", "report.md", "report.html",
            "allocations.xlsx"} <= names:
        return False
    json.loads((out / "summary.json").read_text(encoding="utf-8"))
    with (out / "allocations.csv").open(encoding="utf-8") as handle:
        rows = sum(1 for _ in handle)
    openpyxl.load_workbook(out / "allocations.xlsx")
    return rows == 1 + 31 * 6 * 4 and (out / "report.html").read_text(encoding="utf-8").endswith("</html>\n")


def test_killing_a_run_never_leaves_a_mix(demo_result, tmp_path: Path):
    """SIGKILL `fiscal-opt solve` at random moments, several while it writes: DIR is the previous
    set, a complete new set, or absent (only where the swap is two renames); never a mix."""
    out = tmp_path / "results"
    demo_result.write(out, formats=["csv", "json", "md"])   # a known previous set (the demo, not china)
    previous = snapshot(out)
    command = [*cli(), "solve", str(CHINA), "--out", str(out), "--format", "csv,json,md,html,xlsx"]
    rng = random.Random(20240601)
    outcomes: list[str] = []
    writing: list[bool] = []
    for attempt in range(6):
        before_write = attempt < 2                          # two kills at any moment, four while writing
        leftovers = {p.name for p in tmp_path.iterdir()}
        proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = time.perf_counter()
        if before_write:
            time.sleep(rng.uniform(0.0, 3.0))
        else:                                               # wait for a new temporary folder: writing has begun
            while proc.poll() is None and time.perf_counter() - start < 60 and not any(
                    p.name.startswith(".results.") and p.name not in leftovers for p in tmp_path.iterdir()):
                time.sleep(0.001)
            writing.append(proc.poll() is None)
            time.sleep(rng.uniform(0.0, 0.7))              # writing takes about half a second
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if out.exists():
            assert out.is_dir()
            assert not [p for p in out.iterdir() if p.name.startswith(".results.")]
            state = snapshot(out)
            if state == previous:
                outcomes.append("previous")
            else:
                assert complete_set(out), f"attempt {attempt} ({outcomes}): a mix of files in {sorted(state)}"
                outcomes.append("new" if finished else "new (killed after the swap)")
                previous = state
        else:
            outcomes.append("absent")
            demo_result.write(out, formats=["csv", "json", "md"])
            previous = snapshot(out)
    for leftover in tmp_path.iterdir():                     # what killed runs left lies hidden beside DIR
        assert leftover == out or leftover.name.startswith(".results."), leftover
    assert any(writing), "no kill landed while the results were being written"
    demo_result.write(out, formats=["csv"])                  # and the next run removes it
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_markdown_report_escapes_user_text(hostile_result):
    _, out, _ = hostile_result
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;script&gt;alert(2)" in text


def test_csv_writer_writes_what_pandas_writes(tmp_path):
    from fiscal_opt.report.write import write_csv

    frame = pd.DataFrame({"region": ["A", "=B", None, "x,y"], "year": [2020, 2021, 2022, 2023],
                          "value": [0.1, 1e-12, float("nan"), 123456789.125], "flag": [True, False, True, False]})
    write_csv(frame, tmp_path / "ours.csv")
    expected = frame.assign(region=["A", "'=B", None, "x,y"])
    expected.to_csv(tmp_path / "pandas.csv", index=False, lineterminator="\n")
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    assert pd.read_csv(tmp_path / "ours.csv")["value"].tolist()[:2] == [0.1, 1e-12]
