"""Reading a regions CSV strictly, in little memory: cells become numbers as the rows stream by.

The csv module reads the records (not pandas, so that a row with too many or too few cells, a
duplicate or unnamed column, or broken quoting is refused with its line instead of shifting the
columns silently). Rows are gathered in chunks of :data:`CHUNK_ROWS`; at the end of each chunk
every column is converted, so at most one chunk is ever held as Python strings: a 49 MB file of
560,000 rows × 12 columns validates within about 370 MB. Text columns stay text; every other column
becomes float64 (NaN where blank or not a number), and the text of each cell that is not a finite
number is kept for the message that quotes it. A column that the caller does not need as numbers
and that holds text somewhere is a label: it is read a second time, as text.
"""

from __future__ import annotations

import csv
import re
from array import array
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from .schema import MAX_REGION_YEARS
from .yamlfile import (clip, codepoints, control_character, decode_utf8, invisible_character, read_bytes,
                       same_name, shown)

CHUNK_ROWS = 32_768
"""Rows converted at a time."""
MAX_COLUMNS = 10_000
"""Columns a regions CSV may have (a header row longer than this is not a region table)."""
MAX_ROWS = 2 * MAX_REGION_YEARS
"""Rows a regions CSV may have: twice the region-years an instance may have (a row for every year
and one for each year), so that a file of millions of tiny rows is refused while it is read."""
MAX_SAME = 50
"""Rows listed one by one for one problem in one column; the rest are counted in a single line, so
that a file broken on every row gives a readable message instead of millions of lines."""

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
"""One physical line with its line break (``\\r\\n``, ``\\r`` or ``\\n``, as ``open(newline="")`` splits)."""


@dataclass
class CsvTable:
    """A regions CSV: ``columns`` in header order (object arrays of stripped text for text and
    label columns, float64 for the others), ``bad`` the text of every cell of a float column that
    is not a finite number (column → {row: text}), ``lines`` the line each row starts on, and
    ``blank_rows`` the rows of only empty cells that were skipped."""

    columns: dict[str, np.ndarray]
    bad: dict[str, dict[int, str]]
    lines: np.ndarray
    header_line: int
    blank_rows: int


def numbers(texts: list[str] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stripped cells as float64 (NaN where blank or not a number) and the positions of the cells
    that are not blank and not a finite number."""
    cells = np.asarray(texts, dtype=object)
    blank = cells == ""
    values = pd.to_numeric(pd.Series(cells, dtype=object).mask(blank), errors="coerce").to_numpy(dtype=float,
                                                                                                    copy=True)
    bad = np.flatnonzero(~np.isfinite(values) & ~blank)
    values[bad] = np.nan
    return values, bad


class _Records:
    """The non-blank records of a CSV text with the line each starts on; counts the rows of only
    empty cells (``,,,``) it skips."""

    def __init__(self, text: str, shown_as: str):
        self.shown_as = shown_as
        self.reader = csv.reader((m.group() for m in _LINE.finditer(text)), strict=True)
        self.blank_rows = 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        last = 0
        try:
            for cells in self.reader:
                line, last = last + 1, self.reader.line_num
                if (cells and cells[0].strip()) or any(cell.strip() for cell in cells):
                    yield line, cells
                elif len(cells) > 1:
                    self.blank_rows += 1
        except csv.Error as exc:
            what = str(exc)
            if what.startswith("field larger than field limit"):
                what = f"a cell is longer than {csv.field_size_limit():,} characters"
            raise InputError(Problem(self.shown_as, "", f"not a readable CSV file: {what}",
                                     self.reader.line_num)) from None


def _check_text(raw: bytes, shown_as: str) -> str:
    if b"\x00" in raw:
        line = raw[:raw.index(b"\x00")].count(b"\n") + 1
        raise InputError(Problem(shown_as, "", "the file holds NUL bytes: it is not a text CSV file; "
                                 "save it as CSV (UTF-8)", line))
    text = decode_utf8(raw, shown_as)
    bad = control_character(text)
    if bad is not None:
        raise InputError(Problem(shown_as, "", f"the control character U+{ord(text[bad]):04X} (column "
                                 f"{bad - text.rfind(chr(10), 0, bad)}) is not allowed in a regions CSV file",
                                 text.count("\n", 0, bad) + 1))
    return text


def read_csv(path: Path, shown_as: str, text_columns: Collection[str], number_columns: Collection[str],
             digest: Any) -> CsvTable:
    """Read a regions CSV (bytes hashed into ``digest``); ``text_columns`` are read as text,
    ``number_columns`` as numbers whatever they hold, any other column as numbers unless it holds
    text (a label). Rows of only empty cells are skipped. Raises :class:`InputError` for broken
    files: NUL bytes, control characters, unreadable quoting, header problems, ragged rows."""
    raw = read_bytes(path, shown_as, "regions CSV file")
    digest.update(raw)
    text = _check_text(raw, shown_as)
    del raw
    records = _Records(text, shown_as)
    rows = iter(records)
    first = next(rows, None)
    if first is None:
        raise InputError(Problem(shown_as, "", "the file is empty; expected a header row and one row per region"))
    header_line, cells = first
    header = [cell.strip() for cell in cells]
    if len(header) > MAX_COLUMNS:
        raise InputError(Problem(shown_as, "", f"the header row has {len(header):,} columns; a regions CSV has at "
                                 f"most {MAX_COLUMNS:,}", header_line))
    problems = header_problems(header, shown_as, header_line)
    texts = set(text_columns)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in header}
    bad: dict[str, dict[int, str]] = {name: {} for name in header if name not in texts}
    lines = array("l")
    chunk: list[list[str]] = []
    ragged: list[tuple[int, int]] = []
    ragged_count = 0

    def flush() -> None:
        offset = len(lines) - len(chunk)
        for name, cells in zip(header, zip(*chunk)):
            column = [cell.strip() for cell in cells]
            if name in texts:
                parts[name].append(np.array(column, dtype=object))
            else:
                values, wrong = numbers(column)
                parts[name].append(values)
                bad[name].update((offset + int(i), column[i]) for i in wrong)
        chunk.clear()

    for line, cells in rows:
        if len(cells) != len(header):
            ragged_count += 1
            if len(ragged) < MAX_SAME:
                ragged.append((line, len(cells)))
            continue
        if problems or ragged_count:
            continue  # the file is refused: keep reading only to report every ragged row
        chunk.append(cells)
        lines.append(line)
        if len(lines) > MAX_ROWS:
            raise InputError(Problem(shown_as, "", f"the file has more than {MAX_ROWS:,} rows; an instance has at "
                                     f"most {MAX_REGION_YEARS:,} regions × years", line))
        if len(chunk) == CHUNK_ROWS:
            flush()
    problems += [Problem(shown_as, "", f"this row has {count} cells but the header row has {len(header)} "
                         "columns", line) for line, count in ragged]
    if ragged_count > MAX_SAME:
        problems.append(Problem(shown_as, "", f"… and {ragged_count - MAX_SAME:,} more rows whose number of cells "
                                "differs from the header row"))
    if problems:
        raise InputError(problems)
    flush()
    columns = {name: np.concatenate(parts[name]) if parts[name] else np.array([], dtype=object if name in texts
                                                                                   else float)
               for name in header}
    labels = [name for name in header if name not in texts and name not in number_columns and bad[name]]
    if labels:
        columns |= _text_columns(text, shown_as, header, labels)
        for name in labels:
            del bad[name]
    return CsvTable(columns, bad, np.array(lines, dtype=np.int64), header_line, records.blank_rows)


def _text_columns(text: str, shown_as: str, header: list[str], names: list[str]) -> dict[str, np.ndarray]:
    """The columns ``names`` read again, as text."""
    where = [header.index(name) for name in names]
    out: list[list[str]] = [[] for _ in names]
    rows = iter(_Records(text, shown_as))
    next(rows)
    for _, cells in rows:
        for column, j in zip(out, where):
            column.append(cells[j].strip())
    return {name: np.array(column, dtype=object) for name, column in zip(names, out)}


def header_problems(header: list[str], shown_as: str, line: int) -> list[Problem]:
    """Problems of a header row: one column that should be several, unnamed and duplicate (also in
    two Unicode forms) names, invisible characters in a name."""
    problems = []
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        problems.append(Problem(shown_as, "", f"the header row is one column {shown(header[0])}: separate the "
                                "columns with commas", line))
    first: dict[str, int] = {}
    for j, name in enumerate(header):
        key = same_name(name)
        invisible = invisible_character(name)
        if name == "":
            problems.append(Problem(shown_as, "", f"column {j + 1} has no name in the header row", line))
        elif invisible is not None:
            problems.append(Problem(shown_as, "", f"column {j + 1} {shown(name)} holds the invisible character "
                                    f"U+{ord(name[invisible]):04X}; remove it", line))
        elif key in first:
            other = header[first[key]]
            alike = "" if other == name else (f", written in two Unicode forms ({codepoints(other)} and "
                                              f"{codepoints(name)})")
            problems.append(Problem(shown_as, "", f"column `{clip(name)}` appears twice in the header row "
                                    f"(columns {first[key] + 1} and {j + 1}{alike}); keep one", line))
        else:
            first[key] = j
    return problems[:MAX_SAME]
