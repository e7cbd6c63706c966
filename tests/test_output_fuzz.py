"""Line breaks and link syntax in every text field, through every writer: CSV rows stay rows, no
line of a cell starts a formula, Markdown gets no link, image or extra cell, and the same result
gives the same bytes (the workbook included)."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import fiscal_opt as fo
from fiscal_opt.report.markdown import escape as _cell
from fiscal_opt.report.safety import FORMULA_START, neutralise
from fiscal_opt.report.write import write_csv
from fiscal_opt.report.xlsx import FIXED_TIME, ZIP_TIME

REPO = Path(__file__).resolve().parents[1]
FORMATS = ["csv", "json", "md", "html", "xlsx"]
BREAKS = ["\r", "\n", "\r\n", "\n\r"]
PAYLOADS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1)", "\t=1", "[click](javascript:alert(1))",
            "![](http://attacker.example/x.png)", "| x | y |", "# heading", "<script>alert(1)</script>",
            '"quoted", comma']
CASES = [f"Coastal{b}{p}" for b in BREAKS for p in PAYLOADS] + [f"{b}{p}" for b in BREAKS for p in PAYLOADS]
"""88 texts: each payload after each kind of line break, inside a text and at its start."""
LINE = re.compile(r"\r\n|\r|\n")


def hostile(text: str) -> dict:
    """demo-4 with ``text`` in every text field: instance, policy, region ids, names, groups, services."""
    spec = yaml.safe_load((REPO / "instances" / "demo-4.yaml").read_bytes().decode("utf-8"))
    policy = yaml.safe_load((REPO / "models" / "equity-first.yaml").read_bytes().decode("utf-8"))
    spec["name"], policy["name"], spec["policy"] = text, text, policy
    for region in spec["regions"]:
        region["id"] += text
        region["name"] += text
        region["group"] += text
    spec["services"] = {name + text: service for name, service in spec["services"].items()}
    return spec


def physical_lines_are_safe(raw: str) -> None:
    """Split where any reader could (CR, LF): no piece starts a formula, quoted or not."""
    for line in LINE.split(raw):
        assert not line.startswith(FORMULA_START), repr(line)


def cells_are_safe(cell: str) -> None:
    for line in LINE.split(cell):
        assert not line.startswith(FORMULA_START) or pd.notna(pd.to_numeric(line, errors="coerce")), repr(cell)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> list[tuple[str, fo.Result, Path]]:
    folder = tmp_path_factory.mktemp("fuzz")
    runs = []
    for i, text in enumerate(CASES):
        path = folder / f"case{i}.yaml"
        path.write_text(yaml.safe_dump(hostile(text), allow_unicode=True, sort_keys=False), encoding="utf-8")
        result = fo.solve(fo.load_instance(path))
        assert result.instance.name == text and set(result.regions["name"]) == {
            n + text for n in ("Coastal", "Industrial", "Inland", "Frontier", "Rustbelt")}
        # the pages (charts drawn, about a second each) for one kind of line break, every file else
        formats = FORMATS if BREAKS[i // len(PAYLOADS) % len(BREAKS)] == "\r\n" else ["csv", "json", "xlsx"]
        runs.append((text, result, result.write(folder / f"out{i}", formats=formats)))
    return runs


def test_csv_rows_stay_rows_and_no_line_starts_a_formula(written):
    for text, result, out in written:
        for name, frame in (("allocations", result.allocations), ("regions", result.regions),
                            ("metrics", result.metrics)):
            raw = (out / f"{name}.csv").read_bytes().decode("utf-8")
            physical_lines_are_safe(raw)
            rows = list(csv.reader(io.StringIO(raw, newline="")))
            assert len(rows) == 1 + len(frame), (name, text)
            assert len(pd.read_csv(out / f"{name}.csv")) == len(frame), (name, text)
            for row in rows[1:]:
                assert len(row) == len(frame.columns)
                for cell in row:
                    cells_are_safe(cell)
            if name == "regions":   # the text survives whole, neutralised
                assert [r[1] for r in rows[1:]] == neutralise(frame)["name"].tolist()


def test_xlsx_cells_are_text_and_no_line_starts_a_formula(written):
    for text, result, out in written:
        book = openpyxl.load_workbook(out / "allocations.xlsx")
        for sheet in book.worksheets:
            if sheet.title != "summary":  # one header row, then one row per row of the table
                assert sheet.max_row == 1 + len(getattr(result, sheet.title))
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (text, sheet.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        cells_are_safe(cell.value)


def test_json_keeps_the_text_as_written(written):
    for text, _, out in written:
        summary = json.loads((out / "summary.json").read_bytes().decode("utf-8"))
        assert summary["instance"] == text and summary["policy"] == text


def test_markdown_has_no_link_image_line_break_or_extra_cell(written):
    for text, result, out in (run for run in written if (run[2] / "report.md").exists()):
        md = (out / "report.md").read_bytes().decode("utf-8")
        assert "\r" not in md
        ours = re.compile(r"^!\[[^\[\]]*\]\(charts/[a-z_]+\.png\)$", re.M)  # the charts' own images
        assert not re.search(r"(?<!\\)\[", ours.sub("", md)), text  # no other unescaped bracket: no link
        assert "<script" not in md
        lines = md.split("\n")
        assert sum(1 for line in lines if line.startswith("# ")) == 1   # the title; "# heading" stays inside it
        table = [line for line in lines if line.startswith("| ") and "Industrial" in line]
        assert len(table) == 1, text                                   # each region on one line of its table
        header = next(line for line in lines if line.startswith("| region"))
        cells = re.compile(r"(?<!\\)\|")
        assert len(cells.findall(table[0])) == len(cells.findall(header)), (text, table[0])


def test_html_escapes_every_name(written):
    for text, _, out in (run for run in written if (run[2] / "report.html").exists()):
        page = (out / "report.html").read_bytes().decode("utf-8")
        assert "<script" not in page.lower()
        for piece in LINE.split("Industrial" + text):     # pandas shows a line break in a cell as "\\r" or "\\n"
            assert html.escape(piece, quote=False) in page


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab,\"'=+-@\t\r\n [](|#!\\")), max_size=12),
                min_size=1, max_size=6))
def test_any_text_round_trips_through_the_csv_writer(tmp_path_factory, texts):
    frame = pd.DataFrame({"text": texts, "n": range(len(texts))})
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    write_csv(frame, path)
    raw = path.read_bytes().decode("utf-8")
    physical_lines_are_safe(raw)
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert rows[0] == ["text", "n"] and len(rows) == 1 + len(texts)
    assert [r[0] for r in rows[1:]] == neutralise(frame)["text"].tolist()
    for original, cell in zip(texts, (r[0] for r in rows[1:])):
        assert cell.replace("'", "") == original.replace("'", "")   # only apostrophes are added


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab[]()!|\\\r\n<>&:")), max_size=20))
def test_any_text_is_one_markdown_cell_without_links(text):
    cell = _cell(text)
    assert not LINE.search(cell)
    bare = re.sub(r"\\[^\w\s]", "", cell)                      # drop each escaped character
    assert not re.search(r"[\[\]|\\]", bare), cell               # nothing left that Markdown reads


def test_the_same_result_gives_the_same_bytes(written, tmp_path: Path):
    text, result, out = next(run for run in written if (run[2] / "report.html").exists())
    again = result.write(tmp_path / "again", formats=FORMATS)
    def digest(folder: Path) -> dict[str, str]:
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in ("summary.json", ".fiscal-opt-results")}
    assert digest(out) == digest(again)  # summary.json and the manifest differ by the run's timings
    with zipfile.ZipFile(out / "allocations.xlsx") as book:     # nothing in the workbook says when it was written
        assert {info.date_time for info in book.infolist()} == {ZIP_TIME}
        core = book.read("docProps/core.xml").decode()
    assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core) == [FIXED_TIME.isoformat() + "Z"] * 2
