"""The LP of a formulation as text, one line per row, bound and objective coefficient, and back.

A line is ``<kind> <name>[<label>] | <lower> | <upper> | <coef> <column> <coef> <column> …`` with
``kind`` ``row`` (a constraint row), ``col`` (a column's bounds) or ``obj`` (an objective's
non-zero coefficients: ``obj <objective> | offset | | …``). Columns are named by their variable
block and label, so the text does not depend on the order in which blocks are built. Numbers are
written with ``repr`` (every digit), in the LP's internal units.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from fiscal_opt.model.build import Formulation


def _label(label: tuple) -> str:
    return ",".join(str(v) for v in label)


def _num(value: float) -> str:
    return repr(float(value))


def column_names(f: Formulation) -> list[str]:
    names = [""] * f.lp.n_cols
    for name, block in f.lp.var_blocks.items():
        for i, label in enumerate(block.labels):
            names[block.start + i] = f"{name}[{_label(label)}]"
    return names


def dump(f: Formulation) -> str:
    """The whole LP of ``f`` as sorted text lines."""
    lp = f.lp
    cols = column_names(f)
    a = lp.matrix()
    lower, upper = lp.row_bounds()
    lines = []
    for name, block in lp.row_blocks.items():
        for i, label in enumerate(block.labels):
            k = block.start + i
            part = slice(a.indptr[k], a.indptr[k + 1])
            terms = sorted(zip((cols[j] for j in a.indices[part]), a.data[part]))
            body = " ".join(f"{_num(v)} {c}" for c, v in terms)
            lines.append(f"row {name}[{_label(label)}] | {_num(lower[k])} | {_num(upper[k])} | {body}")
    col_lower, col_upper = lp.bounds()
    for j, c in enumerate(cols):
        lines.append(f"col {c} | {_num(col_lower[j])} | {_num(col_upper[j])} |")
    for name, (cost, offset) in f.objectives.items():
        nz = np.flatnonzero(cost)
        body = " ".join(f"{_num(cost[j])} {cols[j]}" for j in sorted(nz, key=lambda j: cols[j]))
        lines.append(f"obj {name} | {_num(offset)} | | {body}")
    return "\n".join(sorted(lines)) + "\n"


def parse(text: str) -> dict[str, tuple[float, float, dict[str, float]]]:
    """The lines of :func:`dump` as ``{kind name: (lower, upper, {column: coefficient})}``."""
    out = {}
    for line in text.splitlines():
        head, lower, upper, body = (part.strip() for part in line.split("|", 3))
        words = body.split()
        terms = {words[i + 1]: float(words[i]) for i in range(0, len(words), 2)}
        out[head] = (float(lower) if lower else math.nan, float(upper) if upper else math.nan, terms)
    return out


def differences(expected: str, got: str, rel: float = 1e-12) -> list[str]:
    """What differs between two dumps, at most a few lines of it (empty when they agree)."""
    a, b = parse(expected), parse(got)
    found = [f"missing: {k}" for k in sorted(set(a) - set(b))] + [f"unexpected: {k}" for k in sorted(set(b) - set(a))]
    for key in sorted(set(a) & set(b)):
        (lo1, up1, t1), (lo2, up2, t2) = a[key], b[key]
        if not (_close(lo1, lo2, rel) and _close(up1, up2, rel)):
            found.append(f"{key}: bounds {lo1!r}..{up1!r} became {lo2!r}..{up2!r}")
        if set(t1) != set(t2):
            found.append(f"{key}: columns {sorted(set(t1) ^ set(t2))} added or removed")
        else:
            found += [f"{key}: {c} {t1[c]!r} became {t2[c]!r}" for c in t1 if not _close(t1[c], t2[c], rel)]
    return found


def _close(x: float, y: float, rel: float) -> bool:
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= rel * max(abs(x), abs(y)) + 1e-300


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")
