"""Writing result files atomically: into a temporary folder beside ``out``, then renamed into place.

A run that fails or is killed part-way leaves either the previous result set or none, never a mix.
User text in CSV and Excel cells is neutralised against formula injection.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .errors import InputError, Problem

if TYPE_CHECKING:
    from .results import Result

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def _csv(frame: pd.DataFrame, path: Path) -> None:
    neutralise(frame).to_csv(path, index=False, lineterminator="\n")


def write_result(result: Result, out: Path, formats: tuple[str, ...]) -> Path:
    """Write ``result`` into ``out`` in the given formats (``csv``, ``json``, ``md``, ``html``, ``xlsx``)."""
    from .report import html_report, markdown_report
    from .results import FORMATS

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InputError(Problem("--format", "", f"unknown format(s) {unknown}; choose from {', '.join(FORMATS)}"))
    out = Path(out)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except OSError as exc:
        raise InputError(Problem(str(out), "", f"cannot create the output folder ({exc.strerror})")) from None
    try:
        if "csv" in formats:
            _csv(result.allocations, tmp / "allocations.csv")
            _csv(result.regions, tmp / "regions.csv")
            _csv(result.metrics, tmp / "metrics.csv")
        if "json" in formats or "csv" in formats:
            (tmp / "summary.json").write_text(json.dumps(result.summary, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
        if "md" in formats:
            (tmp / "report.md").write_text(markdown_report(result), encoding="utf-8")
        if "html" in formats:
            (tmp / "report.html").write_text(html_report(result), encoding="utf-8")
        if "xlsx" in formats:
            with pd.ExcelWriter(tmp / "allocations.xlsx", engine="openpyxl") as xl:
                for sheet, frame in (("allocations", result.allocations), ("regions", result.regions),
                                     ("metrics", result.metrics)):
                    neutralise(frame).to_excel(xl, sheet_name=sheet, index=False)
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _replace(tmp: Path, out: Path) -> None:
    """Swap the finished folder into place: old results move aside, new ones rename in, old ones go."""
    os.chmod(tmp, 0o755)
    if out.exists():
        if not out.is_dir():
            raise InputError(Problem(str(out), "", "--out must be a folder, and this is a file"))
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.resolve().parent))
        os.rename(out, old / "previous")
        os.rename(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out)


def write_infeasible(out: Path, error: Exception) -> Path:
    """Write ``summary.json`` with ``status: infeasible`` and the diagnosis (atomically)."""
    rules = list(getattr(error, "rules", []))
    summary = {"status": "infeasible", "diagnosis": str(error), "rules": rules}
    out = Path(out)
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
