"""Writing result folders so that nothing is lost: not the previous results, not a user's files.

- The files go into a hidden folder beside ``out`` (``.NAME.<8 hex>.new``) that then takes
  ``out``'s place in one atomic exchange (Linux ``renameat2``); where the system has no exchange,
  two renames move the previous set aside (``.NAME.<8 hex>.old``) and the new one in, and a run
  killed between them is undone by the next run, which puts the previous set back.
- One writer at a time per folder: the lock file ``.NAME.lock`` beside ``out`` is held from the
  first file to the swap. Whatever temporaries of ``out`` the lock holder finds were left by
  killed runs, and it removes them.
- ``out`` must be new, empty, or a result folder exactly as fiscal-opt wrote it: the hidden
  manifest ``.fiscal-opt-results`` lists every file it wrote with its SHA-256, and a folder holding
  anything else (notes, an edited workbook, a subfolder) is refused with the list.
- CSV quotes every cell holding CR or LF. Text cells in CSV and Excel are neutralised against
  formula injection, at the start of the cell and after every line break in it.
- The same result gives the same bytes in every file, the workbook included (no timestamps).

POSIX only (``fcntl`` locks).
"""

from __future__ import annotations

import csv
import ctypes
import errno
import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import InputError, OutputError, Problem
from .safety import neutralise

if TYPE_CHECKING:
    from ..results.result import Result
    from .content import Page

FORMATS = ("csv", "json", "md", "html", "xlsx")
"""The result formats ``write_result`` knows."""

MARKER = ".fiscal-opt-results"
"""The manifest in every result folder: the files fiscal-opt wrote there and their SHA-256."""
LEGACY_FILES = {"allocations.csv", "regions.csv", "metrics.csv", "summary.json", "report.md", "report.html",
                "allocations.xlsx"}
"""What a folder written before the manifest (its marker holds no file list) may hold, besides
``charts/`` with the PNG images of ``report.md``."""
_MANIFEST_NOTE = "Written by fiscal-opt; a later run may replace this folder while it holds only these files."
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class _RowsEndingInLF:
    """The file a ``csv.writer(lineterminator="\\r\\n")`` writes to. That writer quotes every cell
    holding a character of its line terminator, so CR as well as LF (with ``"\\n"`` alone a bare CR
    goes out unquoted and readers split the row there); each row arrives in one ``write`` call
    (``writerow`` returns that call's value), and its closing CR LF becomes LF."""

    def __init__(self, handle: io.TextIOBase):
        self._write = handle.write

    def write(self, row: str) -> int:
        return self._write(row[:-2] + "\n")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as UTF-8 CSV: a header row, no index, ``\\n`` line ends, missing values blank, text
    cells neutralised, cells holding CR or LF quoted. Each column becomes text in one pass (numbers
    in Python's shortest round-trip form) and the csv module quotes and joins: the same bytes as
    ``DataFrame.to_csv`` (apart from the quoted CR) in a fraction of its time (docs/performance.md)."""
    safe = neutralise(frame)
    columns = [_cells(safe[name]) for name in safe.columns]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(_RowsEndingInLF(handle), lineterminator="\r\n")
        writer.writerow(safe.columns)
        writer.writerows(zip(*columns))


def write_records(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as a UTF-8 JSON list of row objects (column: value), missing values ``null``,
    numbers as CSV writes them (shortest round-trip form)."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    _write_json([{k: v.item() if isinstance(v, np.generic) else v for k, v in row.items()} for row in rows], path)


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


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """The formats asked for, each once, in order; an input error for none or an unknown one."""

    chosen = tuple(dict.fromkeys(formats))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        found = f"unknown format(s) {unknown}" if unknown else "no format given"
        raise InputError(Problem("--format", "", f"{found}; choose one or more of {', '.join(FORMATS)}"))
    return chosen


def check_output(out: Path, formats: Iterable[str]) -> tuple[str, ...]:
    """Everything about ``out`` and ``formats`` that can fail before solving: the formats, a folder
    that would not be replaced, a place that cannot be written (:class:`OutputError`). Returns the
    formats as :func:`check_formats` does."""
    chosen = check_formats(formats)
    check_out_folder(out)
    out = Path(os.path.abspath(out))
    folder = out.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(str(out), "create the result folder", OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)))
    if not os.access(folder, os.W_OK | os.X_OK):
        code = errno.EROFS if os.statvfs(folder).f_flag & os.ST_RDONLY else errno.EACCES
        raise OutputError(str(out), f"create the result folder in {folder}", OSError(code, os.strerror(code)))
    return chosen


def write_result(result: Result, out: Path, formats: Iterable[str], lang: str = "en") -> Path:
    """Write ``result`` into ``out`` in the given formats (``csv``, ``json``, ``md``, ``html``, ``xlsx``);
    the reports in ``lang`` (``en`` or ``zh``). Each writer's seconds go into ``result.timings``
    (``write_csv``, ``write_report``, ``write_xlsx``) and so into summary.json, written last."""
    from .content import build_page
    from .labels import LANGUAGES
    from .xlsx import write_workbook

    formats = check_formats(formats)
    if lang not in LANGUAGES:
        raise InputError(Problem("--lang", "", f"unknown language {lang!r}; choose from {', '.join(LANGUAGES)}"))
    out = Path(os.path.abspath(out))  # lexically: `x/..` is the folder above, and a link stays a link
    with _result_folder(out) as tmp:
        if "csv" in formats:
            with _timed(result, "write_csv"):
                write_csv(result.allocations, tmp / "allocations.csv")
                write_csv(result.regions, tmp / "regions.csv")
                write_csv(result.metrics, tmp / "metrics.csv")
                if not result.places.empty:
                    write_csv(result.places, tmp / "capacity.csv")
        if "md" in formats or "html" in formats:
            with _timed(result, "write_report"):
                _write_page(build_page(result, lang), tmp, formats)
        if "xlsx" in formats:
            with _timed(result, "write_xlsx"):
                write_workbook(result, tmp / "allocations.xlsx")
        if "json" in formats or "csv" in formats:
            _write_json(result.summary | {"timings": {k: round(v, 6) for k, v in result.timings.items()}},
                        tmp / "summary.json")
    return out


def write_folder(out: Path, tables: dict[str, pd.DataFrame], documents: dict[str, dict]) -> Path:
    """Write each table as CSV (:func:`write_csv`) and each document as JSON into folder ``out``,
    by file name, as safely as results (manifest, lock, one swap; the same content, the same bytes)."""
    out = Path(os.path.abspath(out))
    with _result_folder(out) as tmp:
        for name, table in tables.items():
            write_csv(table, tmp / name)
        for name, doc in documents.items():
            _write_json(doc, tmp / name)
    return out


def write_pages(page: Page, out: Path) -> Path:
    """Write a report page (a compare or sweep report) into folder ``out`` as safely as results:
    report.html, report.md and its charts."""
    out = Path(os.path.abspath(out))
    with _result_folder(out) as tmp:
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


def write_infeasible(out: Path, error: Exception) -> Path:
    """Write ``summary.json`` with ``status: infeasible`` and the diagnosis (as safely as results)."""
    summary = {"status": "infeasible", "diagnosis": str(error), "rules": list(getattr(error, "rules", [])),
               "repairs": list(getattr(error, "repairs", []))}
    out = Path(os.path.abspath(out))
    with _result_folder(out) as tmp:
        _write_json(summary, tmp / "summary.json")
    return out


def _write_json(doc: dict | list, path: Path) -> None:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def check_out_folder(out: Path) -> None:
    """Refuse an ``out`` whose replacement would delete anything but fiscal-opt's own, unchanged files."""
    out = Path(os.path.abspath(out))
    if out.is_symlink() or not out.exists():
        return  # a link is replaced, not what it points to
    if not out.is_dir():
        raise InputError(Problem(str(out), "", "--out must be a folder, and this is a file"))
    if Path.cwd().resolve().is_relative_to(out.resolve()):
        raise InputError(Problem(str(out), "", "--out is the current folder or a folder above it; results replace "
                                 "the whole folder, so name a new folder for them"))
    try:
        names = sorted(entry.name for entry in out.iterdir())
        foreign, changed = _not_ours(out, names)
    except OSError as exc:
        raise OutputError(str(out), "read the output folder", exc) from None
    if foreign or changed:
        listed = [*(f"{n} (changed since fiscal-opt wrote it)" for n in changed), *foreign]
        shown = ", ".join(listed[:10]) + (f" and {len(listed) - 10} more" if len(listed) > 10 else "")
        raise InputError(Problem(str(out), "", f"the folder holds files fiscal-opt did not write: {shown}; results "
                                 "replace the whole folder, so move those files or choose a new or empty folder"))


def _not_ours(out: Path, names: list[str]) -> tuple[list[str], list[str]]:
    """Of the entries ``names`` of ``out``: those fiscal-opt did not write, and its files changed since."""
    if not names:
        return [], []
    if MARKER not in names:
        return names, []
    try:
        listed = json.loads((out / MARKER).read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError):  # the plain marker of a version before the manifest
        return [n for n in names if n not in LEGACY_FILES | {MARKER} and not _legacy_charts(out / n)], []
    inside = [p.relative_to(out).as_posix() for n in names if n != MARKER and (out / n).is_dir()
              and not (out / n).is_symlink() for p in sorted((out / n).rglob("*")) if not p.is_dir()]
    entries = [n for n in names if n != MARKER and not ((out / n).is_dir() and not (out / n).is_symlink())] + inside
    foreign = [n for n in entries if n not in listed]
    changed = [n for n in entries if n in listed and not _same_file(out / n, listed[n])]
    return foreign, changed


def _legacy_charts(path: Path) -> bool:
    """Whether ``path`` is the ``charts/`` folder of a version before the manifest: PNG files only."""
    return (path.name == "charts" and path.is_dir() and not path.is_symlink()
            and all(p.is_file() and not p.is_symlink() and p.suffix == ".png" for p in path.iterdir()))


def _same_file(path: Path, sha256: object) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest() == sha256


def _seal(folder: Path) -> None:
    """Write the manifest: every file now in ``folder`` (chart images in ``charts/`` included, by
    their path in the folder) and its SHA-256, in name order."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with open(path, "rb") as handle:
            files[path.relative_to(folder).as_posix()] = hashlib.file_digest(handle, "sha256").hexdigest()
    _write_json({"note": _MANIFEST_NOTE, "files": files}, folder / MARKER)


@contextmanager
def _result_folder(out: Path) -> Iterator[Path]:
    """A new hidden folder to write into, which replaces ``out`` when the block succeeds and vanishes
    when it fails; file-system failures become :class:`OutputError`."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with _locked(out):
            _recover(out)
            tmp = _temporary_name(out, "new")
            tmp.mkdir()
            try:
                yield tmp
                _seal(tmp)
                check_out_folder(out)  # again under the lock: what is there now is what gets replaced
                _swap(tmp, out)
            except BaseException:
                _remove(tmp)
                raise
    except OSError as exc:
        raise OutputError(str(out), "write the results", exc) from None


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold the lock of ``out``: an exclusive ``flock`` on ``.NAME.lock`` beside it, which the kernel
    releases if the process dies. The file is removed on release; a waiter that then finds its
    file gone or replaced takes the lock anew."""
    path = out.parent / f".{out.name}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.path.samestat(os.stat(path), os.fstat(fd)):
                break
        except FileNotFoundError:
            pass  # removed by the holder just before it released the lock
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def _temporary_name(out: Path, kind: str) -> Path:
    """A free name ``.NAME.<8 hex>.KIND`` beside ``out``: only ``out``'s own temporaries match it
    (the fixed length of the rest gives back exactly NAME)."""
    while True:
        path = out.parent / f".{out.name}.{secrets.token_hex(4)}.{kind}"
        if not (path.exists() or path.is_symlink()):
            return path


def _temporaries(out: Path) -> list[Path]:
    """``out``'s temporaries: folders being written (``new``) and previous sets moved aside (``old``)."""
    pattern = re.compile(re.escape(f".{out.name}.") + r"[0-9a-f]{8}\.(new|old)")
    return sorted(out.parent / e.name for e in os.scandir(out.parent) if pattern.fullmatch(e.name))


def _recover(out: Path) -> None:
    """Undo what killed runs left (call under the lock, so no live writer owns a temporary): a
    previous set moved aside goes back where ``out`` is missing; every other temporary goes."""
    left = _temporaries(out)
    moved = [p for p in left if p.name.endswith(".old")]
    if moved and not (out.exists() or out.is_symlink()):
        os.rename(moved[-1], out)
        left.remove(moved[-1])
    for path in left:
        _remove(path)


def _swap(tmp: Path, out: Path) -> None:
    """Put the finished folder ``tmp`` at ``out``; whatever was at ``out`` is removed."""
    if not (out.exists() or out.is_symlink()):
        os.rename(tmp, out)
    elif _exchange(tmp, out):
        _remove(tmp)  # it now holds the previous set
    else:
        old = _temporary_name(out, "old")
        os.rename(out, old)
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old, out)  # should this fail too, the next run puts the previous set back
            raise
        _remove(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap the two paths atomically (``renameat2(RENAME_EXCHANGE)``); False where the C library or
    the file system has no such call."""
    rename = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if rename is None:
        return False
    rename.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if rename(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _remove(path: Path) -> None:
    """Delete a temporary (a link or file is unlinked, a folder removed with its contents); a failure
    leaves it for the next run to remove."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)
