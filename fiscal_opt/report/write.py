"""Writing result files atomically: into a temporary folder beside ``out``, then renamed into place.

A run that fails or is killed part-way leaves either the previous result set or none, never a mix.
Because the whole folder is replaced, ``out`` must be new, empty or an earlier result folder: a
folder holding other files (or the current folder) is refused rather than deleted.
User text in CSV and Excel cells is neutralised against formula injection.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import InputError, Problem

if TYPE_CHECKING:
    from ..results.result import Result
    from .content import Page

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

MARKER = ".fiscal-opt-results"
"""A hidden file in every result folder: it tells a later run that the folder may be replaced."""
RESULT_FILES = {"allocations.csv", "regions.csv", "metrics.csv", "summary.json", "report.md", "report.html",
                "allocations.xlsx", "charts", MARKER}
"""Names a result folder may hold; a folder holding only these (or the marker) may be replaced."""


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would read as a formula with an apostrophe."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col].astype(str)
            risky = text.str.startswith(FORMULA_START)
            if risky.any():
                out[col] = out[col].where(~risky, "'" + text)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as UTF-8 CSV: a header row, no index, ``\\n`` line ends, missing values blank, text
    cells neutralised. Each column becomes text in one pass (numbers in Python's shortest
    round-trip form) and the csv module quotes and joins: the same bytes as ``DataFrame.to_csv``
    in a fraction of its time (measured in docs/performance.md)."""
    safe = neutralise(frame)
    columns = [_cells(safe[name]) for name in safe.columns]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(safe.columns)
        writer.writerows(zip(*columns))


def _cells(column: pd.Series) -> list[str]:
    """A column's cells as CSV text: ``repr`` of each float (blank for NaN), ``str`` otherwise."""
    values = column.to_numpy()
    if values.dtype.kind == "f":
        text = list(map(repr, values.tolist()))
        for i in np.flatnonzero(np.isnan(values)).tolist():
            text[i] = ""
        return text
    if values.dtype.kind in "iub":
        return list(map(str, values.tolist()))
    return ["" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v) for v in values.tolist()]


def write_result(result: Result, out: Path, formats: tuple[str, ...], lang: str = "en") -> Path:
    """Write ``result`` into ``out`` in the given formats (``csv``, ``json``, ``md``, ``html``, ``xlsx``);
    the reports in ``lang`` (``en`` or ``zh``). Each writer's seconds go into ``result.timings``
    (``write_csv``, ``write_report``, ``write_xlsx``) and so into summary.json, written last."""
    from .content import build_page
    from .labels import LANGUAGES
    from .xlsx import write_workbook
    from ..results.result import FORMATS

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InputError(Problem("--format", "", f"unknown format(s) {unknown}; choose from {', '.join(FORMATS)}"))
    if lang not in LANGUAGES:
        raise InputError(Problem("--lang", "", f"unknown language {lang!r}; choose from {', '.join(LANGUAGES)}"))
    out = Path(os.path.abspath(out))  # lexically: `x/..` is the folder above, and a link stays a link
    with _atomic_folder(out) as tmp:
        if "csv" in formats:
            with _timed(result, "write_csv"):
                write_csv(result.allocations, tmp / "allocations.csv")
                write_csv(result.regions, tmp / "regions.csv")
                write_csv(result.metrics, tmp / "metrics.csv")
        if "md" in formats or "html" in formats:
            with _timed(result, "write_report"):
                _write_page(build_page(result, lang), tmp, formats)
        if "xlsx" in formats:
            with _timed(result, "write_xlsx"):
                write_workbook(result, tmp / "allocations.xlsx")
        if "json" in formats or "csv" in formats:
            summary = result.summary | {"timings": {k: round(v, 6) for k, v in result.timings.items()}}
            (tmp / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    return out


def write_pages(page: Page, out: Path) -> Path:
    """Write a report page (a compare or sweep report) into folder ``out`` atomically: report.html,
    report.md and its charts."""
    out = Path(os.path.abspath(out))
    with _atomic_folder(out) as tmp:
        _write_page(page, tmp, ("md", "html"))
    return out


def _write_page(page: Page, tmp: Path, formats: tuple[str, ...]) -> None:
    from . import html, markdown

    if "md" in formats:
        text, images = markdown.render(page)
        (tmp / "report.md").write_text(text, encoding="utf-8")
        for name, data in images.items():
            (tmp / name).parent.mkdir(exist_ok=True)
            (tmp / name).write_bytes(data)
    if "html" in formats:
        (tmp / "report.html").write_text(html.render(page), encoding="utf-8")


@contextmanager
def _timed(result: Result, name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    result.timings[name] = time.perf_counter() - start


@contextmanager
def _atomic_folder(out: Path) -> Iterator[Path]:
    """A temporary folder that replaces ``out`` when the block succeeds and vanishes when it fails."""
    tmp = _temporary_folder(out)
    try:
        yield tmp
        _replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(Problem(str(out), "", f"cannot write the results ({exc.strerror or exc})")) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_out_folder(out: Path) -> None:
    """Refuse an ``out`` whose replacement would delete something other than earlier results."""
    out = Path(os.path.abspath(out))
    if out.is_symlink() or not out.exists():
        return  # a link is replaced, not what it points to
    if not out.is_dir():
        raise InputError(Problem(str(out), "", "--out must be a folder, and this is a file"))
    if Path.cwd().resolve().is_relative_to(out.resolve()):
        raise InputError(Problem(str(out), "", "--out is the current folder or a folder above it; results replace "
                                 "the whole folder, so name a new folder for them"))
    try:
        names = {entry.name for entry in out.iterdir()}
    except OSError as exc:
        raise InputError(Problem(str(out), "", f"cannot read the output folder ({exc.strerror})")) from None
    if names and MARKER not in names and not names <= RESULT_FILES:
        others = ", ".join(sorted(names - RESULT_FILES)[:3])
        raise InputError(Problem(str(out), "", f"the folder holds files that are not fiscal_opt results ({others}); "
                                 "results replace the whole folder, so choose a new or empty folder"))


def _temporary_folder(out: Path) -> Path:
    """A new hidden folder beside ``out`` (same file system, so the final rename is atomic)."""
    check_out_folder(out)
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
        (tmp / MARKER).write_text("Written by fiscal-opt; a later run may replace this folder.\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(Problem(str(out), "", f"cannot create the output folder ({exc.strerror})")) from None
    return tmp


def _replace(tmp: Path, out: Path) -> None:
    """Swap the finished folder into place: old results move aside, new ones rename in, old ones go."""
    os.chmod(tmp, 0o755)
    if out.exists() or out.is_symlink():
        check_out_folder(out)
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        try:
            os.rename(out, old / "previous")
        except BaseException:
            old.rmdir()
            raise
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old / "previous", out)  # put the previous results back (should that fail, they stay in old)
            old.rmdir()
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out)


def write_infeasible(out: Path, error: Exception) -> Path:
    """Write ``summary.json`` with ``status: infeasible`` and the diagnosis (atomically)."""
    rules = list(getattr(error, "rules", []))
    summary = {"status": "infeasible", "diagnosis": str(error), "rules": rules,
               "repairs": list(getattr(error, "repairs", []))}
    out = Path(os.path.abspath(out))
    with _atomic_folder(out) as tmp:
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out
