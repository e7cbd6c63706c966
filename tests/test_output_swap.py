"""No lost files: a result folder is replaced only while it holds fiscal-opt's own unchanged files,
a run killed at any step of the swap leaves the previous set or the new one (the next run cleans
up and puts a moved-aside set back), and two writers at once both succeed, one after the other.

Kills are real (SIGKILL) in a forked child that has the demo result in memory; the step is chosen
by wrapping the function the swap calls there.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import fiscal_opt as fo
import fiscal_opt.report.xlsx
import fiscal_opt.report.write as write
from fiscal_opt.errors import InputError

REPO = Path(__file__).resolve().parents[1]
OLD = ["csv", "json"]                      # the previous set in these tests
NEW = ["csv", "json", "xlsx"]             # the new one: it has a file the previous set lacks


@pytest.fixture(scope="module")
def result() -> fo.Result:
    return fo.solve(fo.load_instance(REPO / "instances" / "demo-4.yaml"))


TIMED = {"summary.json", ".fiscal-opt-results"}
"""Files that hold the run's timings (the manifest holds summary.json's digest): their names count,
not their bytes."""


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (by relative path) and its SHA-256 (``timed`` for :data:`TIMED`)."""
    return {str(p.relative_to(folder)): "timed" if p.name in TIMED else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def beside(out: Path) -> list[str]:
    """What lies beside ``out`` in its folder (its temporaries and lock file included)."""
    return sorted(p.name for p in out.parent.iterdir() if p != out)


def in_child(action: Callable[[], None]) -> int:
    """Run ``action`` in a forked child; returns the signal that ended it (negative) or its exit code."""
    pid = os.fork()
    if pid == 0:
        try:
            action()
            os._exit(0)
        except BaseException:
            os._exit(1)
    deadline = time.monotonic() + 120
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the child hung")
        time.sleep(0.005)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


# ------------------------------------------------------------------------------ files the program did not write


@pytest.mark.parametrize("plant", ["notes.txt", "analysis/draft.md", ".~lock.allocations.xlsx#"])
def test_a_file_planted_in_a_result_folder_is_kept_and_named(result, tmp_path: Path, plant: str):
    out = result.write(tmp_path / "out", formats=OLD)
    (out / plant).parent.mkdir(exist_ok=True)
    (out / plant).write_text("the user's own work\n")
    before = snapshot(out)
    with pytest.raises(InputError, match=f"did not write: {plant.split('/')[0]}"):
        result.write(out, formats=NEW)
    assert snapshot(out) == before and (out / plant).read_text() == "the user's own work\n"
    assert beside(out) == []


def test_a_result_file_changed_since_it_was_written_is_kept(result, tmp_path: Path):
    out = result.write(tmp_path / "out", formats=["csv", "xlsx"])
    (out / "allocations.xlsx").write_bytes(b"an edited workbook")
    with pytest.raises(InputError, match=r"allocations.xlsx \(changed since fiscal-opt wrote it\)"):
        result.write(out, formats=NEW)
    assert (out / "allocations.xlsx").read_bytes() == b"an edited workbook"


def test_many_foreign_files_are_counted(result, tmp_path: Path):
    out = result.write(tmp_path / "out", formats=OLD)
    for i in range(12):
        (out / f"note{i:02}.txt").write_text("x")
    with pytest.raises(InputError, match=r"note00.txt, .*note09.txt and 2 more"):
        result.write(out, formats=NEW)


def test_an_unchanged_result_folder_is_replaced_and_its_manifest_lists_every_file(result, tmp_path: Path):
    out = result.write(tmp_path / "out", formats=OLD)
    (out / "summary.json").unlink()                              # deleting one of ours is fine
    result.write(out, formats=NEW)
    manifest = json.loads((out / write.MARKER).read_text(encoding="utf-8"))
    files = {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in snapshot(out)
             if name != write.MARKER}
    assert manifest["files"] == files and set(files) == {"allocations.csv", "regions.csv", "metrics.csv",
                                                          "summary.json", "allocations.xlsx"}
    assert beside(out) == []


def test_a_folder_from_before_the_manifest_is_replaced_only_with_result_names(result, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / write.MARKER).write_text("Written by fiscal-opt; a later run may replace this folder.\n")
    (out / "report.md").write_text("old report\n")
    result.write(out, formats=OLD)
    assert "report.md" not in snapshot(out)
    (out / write.MARKER).write_text("Written by fiscal-opt; a later run may replace this folder.\n")
    (out / "mine.txt").write_text("x")
    with pytest.raises(InputError, match="did not write: mine.txt"):
        result.write(out, formats=OLD)


def test_a_folder_from_before_the_manifest_may_hold_its_chart_images(result, tmp_path: Path):
    out = tmp_path / "out"
    (out / "charts").mkdir(parents=True)
    (out / write.MARKER).write_text("Written by fiscal-opt; a later run may replace this folder.\n")
    (out / "charts" / "coverage.png").write_bytes(b"\x89PNG")
    result.write(out, formats=OLD)
    assert not (out / "charts").exists()
    (out / write.MARKER).write_text("Written by fiscal-opt; a later run may replace this folder.\n")
    (out / "charts").mkdir()
    (out / "charts" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="did not write: charts"):
        result.write(out, formats=OLD)


def test_a_folder_without_the_manifest_must_be_empty(result, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("a report of the user's own\n")
    with pytest.raises(InputError, match="did not write: report.md"):
        result.write(out, formats=OLD)
    (out / "report.md").unlink()
    result.write(out, formats=OLD)
    assert "allocations.csv" in snapshot(out)


# ------------------------------------------------------------------------------ kills during the swap


def kill_at(monkeypatch, step: str) -> None:
    """Make the writer SIGKILL itself at ``step`` of the swap (run in the child only)."""
    if step.startswith("renames:"):                         # the swap as two renames
        monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    if step in ("exchange:before", "renames:between"):
        original = write._exchange if step == "exchange:before" else os.rename
        target = "_exchange" if step == "exchange:before" else "rename"

        def killing(src, dst, original=original):
            if Path(dst).name == "out" and Path(src).name.endswith(".new"):
                die()
            return original(src, dst)
        monkeypatch.setattr(write if target == "_exchange" else write.os, target, killing)
    if step in ("exchange:after", "renames:after"):
        original_remove = write._remove

        def killing_remove(path):
            if path.name.endswith((".new", ".old")) and path.is_dir() and (path / "allocations.csv").exists():
                die()                                        # the previous set, swapped out, not yet removed
            original_remove(path)
        monkeypatch.setattr(write, "_remove", killing_remove)


STEPS = {  # step: what --out holds right after the kill
    "exchange:before": "previous", "exchange:after": "new",
    "renames:between": "absent", "renames:after": "new",
}


@pytest.mark.parametrize("step", list(STEPS))
def test_a_kill_at_each_step_of_the_swap_loses_nothing_and_the_next_run_recovers(result, tmp_path: Path, step: str,
                                                                               monkeypatch):
    out = result.write(tmp_path / "out", formats=OLD)
    previous = snapshot(out)

    def killed_run():
        kill_at(monkeypatch, step)
        result.write(out, formats=NEW)

    assert in_child(killed_run) == -signal.SIGKILL
    state = "absent" if not out.exists() else "previous" if snapshot(out) == previous else "new"
    assert state == STEPS[step]
    if state == "new":
        assert set(snapshot(out)) >= {"allocations.xlsx", write.MARKER}
    temporaries = [name for name in beside(out) if name != ".out.lock"]
    assert temporaries and all(name.startswith(".out.") for name in temporaries)
    if state == "absent":                                    # the previous set waits, whole, beside out
        moved = [tmp_path / name for name in temporaries if name.endswith(".old")]
        assert len(moved) == 1 and snapshot(moved[0]) == previous

    if state == "absent":
        write.check_output(out, OLD)                         # the next run: checks pass where --out is missing
    result.write(out, formats=["csv"])                       # and the write recovers, then replaces
    assert set(snapshot(out)) == {"allocations.csv", "regions.csv", "metrics.csv", "summary.json", write.MARKER}
    assert beside(out) == []


def test_the_next_run_puts_a_moved_aside_set_back_even_when_it_fails(result, tmp_path: Path, monkeypatch):
    out = result.write(tmp_path / "out", formats=OLD)
    previous = snapshot(out)

    def killed_run():
        kill_at(monkeypatch, "renames:between")
        result.write(out, formats=NEW)

    assert in_child(killed_run) == -signal.SIGKILL and not out.exists()

    def broken(result, path):
        raise RuntimeError("a bug while writing the workbook")

    monkeypatch.setattr(fiscal_opt.report.xlsx, "write_workbook", broken)
    with pytest.raises(RuntimeError):
        result.write(out, formats=NEW)
    assert snapshot(out) == previous and beside(out) == []


def test_a_kill_before_the_first_swap_leaves_no_folder_and_nothing_beside_it_later(result, tmp_path: Path,
                                                                                  monkeypatch):
    out = tmp_path / "out"

    def killed_run():
        monkeypatch.setattr(write, "_swap", lambda tmp, out: die())
        result.write(out, formats=NEW)

    assert in_child(killed_run) == -signal.SIGKILL
    assert not out.exists() and any(name.endswith(".new") for name in beside(out))
    result.write(out, formats=OLD)
    assert beside(out) == [] and "allocations.csv" in snapshot(out)


# ------------------------------------------------------------------------------ writers at once


def test_two_writers_at_once_both_succeed_one_after_the_other(result, tmp_path: Path):
    """Pairs of children released together onto the same folder: both exit 0, the folder holds one
    whole set, and nothing is left beside it."""
    sets = {tuple(formats): snapshot(result.write(tmp_path / "one" / "out", formats=formats)) for formats in (NEW, OLD)}
    out = tmp_path / "one" / "out"                             # now the OLD set
    pairs = 50
    for _ in range(pairs):
        go_r, go_w = os.pipe()
        pids = []
        for formats in (OLD, NEW):
            pid = os.fork()
            if pid == 0:
                os.close(go_w)
                os.read(go_r, 1)
                try:
                    result.write(out, formats=formats)
                    os._exit(0)
                except BaseException:
                    os._exit(1)
            pids.append(pid)
        os.close(go_r)
        os.write(go_w, b"gg")
        os.close(go_w)
        codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
        assert codes == [0, 0]
        assert snapshot(out) in sets.values()
        assert beside(out) == []


def test_a_second_writer_waits_for_the_first_and_leaves_its_folder_alone(result, tmp_path: Path, monkeypatch):
    """The first writer stops in the middle of its files (holding the lock); the second, started
    then, must neither remove the first's folder nor swap before it: the second's set ends up."""
    out = result.write(tmp_path / "out", formats=OLD)
    paused_r, paused_w = os.pipe()
    resume_r, resume_w = os.pipe()
    first = os.fork()
    if first == 0:
        def pausing(res, path):
            os.write(paused_w, b"p")
            os.read(resume_r, 1)
        monkeypatch.setattr(fiscal_opt.report.xlsx, "write_workbook", pausing)
        try:
            result.write(out, formats=NEW)
            os._exit(0)
        except BaseException:
            os._exit(1)
    os.read(paused_r, 1)                                     # the first writer is half-way
    assert any(name.endswith(".new") for name in beside(out))
    second = os.fork()
    if second == 0:
        try:
            result.write(out, formats=["csv"])
            os._exit(0)
        except BaseException:
            os._exit(1)
    os.write(resume_w, b"r")
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in (first, second)]
    assert codes == [0, 0]
    assert "allocations.xlsx" not in snapshot(out) and "allocations.csv" in snapshot(out)   # the second's, last
    assert beside(out) == []
