"""User text made safe for spreadsheets: a cell (or a line inside it) that a spreadsheet would read
as a formula gets an apostrophe in front. Used by the CSV writer and the workbook."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA = re.compile(r"(?:^|(?<=[\r\n]))(?=[=+\-@\t\r])")
"""Where a spreadsheet could start reading a formula: a cell's start or a line's, before one of
FORMULA_START."""


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet could read as a formula, with an apostrophe before the formula:
    at the start of the cell and after each CR or LF in it. Each column's distinct values are
    checked once."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            codes, distinct = pd.factorize(out[col])
            text = pd.Series(np.asarray(distinct, dtype=object)).astype(str)
            risky = text.str.contains(_FORMULA).to_numpy(dtype=bool)
            if risky.any():
                safe = np.where(risky, text.str.replace(_FORMULA, "'", regex=True).to_numpy(dtype=object),
                                np.asarray(distinct, dtype=object))
                out[col] = pd.Series(safe[codes], index=out.index, dtype=object).where(codes >= 0, out[col])
    return out


def safe_text(value: object) -> object:
    """One cell's value made safe as :func:`neutralise` makes a column (other values unchanged)."""
    return _FORMULA.sub("'", value) if isinstance(value, str) else value
