"""Running the suite: command-line timings, then each case in its own worker process; JSON + Markdown.

Each case runs in a fresh ``python -m benchmarks.worker`` process, so its peak memory is its own
and every case pays the same imports (timed apart, not part of the end-to-end time). The command
line is timed as a user meets it, Python start-up included: ``fiscal-opt --help`` and
``fiscal-opt solve instances/china-2020-provinces.yaml --out …`` (the instance's own policy).

Targets (measured and reported, never asserted): 2,850 × 4 × 5 end-to-end ≤ 2.0 × HiGHS; 40,000 ×
4 × 1 end-to-end ≤ 3.0 × HiGHS with peak memory ≤ 4 GB; a 20-point warm budget sweep at 2,850 × 4 × 5
≤ 4 × one solve; the provinces solve on the command line under 3 s; ``--help`` under 0.5 s. Scenario
draws report their speed-up on two workers against one (no target).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from .cases import PROVINCES, ROOT, Case, select
from .worker import PHASES

RUNS = Path(__file__).resolve().parent / "runs"
"""Where each run writes by default: a new folder per run, so a run never replaces the committed
results in ``benchmarks/results/`` (write there with ``--out benchmarks/results`` on purpose)."""
CASE_TIMEOUT = 3600.0
"""Seconds a case may run (its reference solve included) before the suite records it as timed out."""

PACKAGES = ("fiscal-opt", "highspy", "pyomo", "numpy", "scipy", "pandas", "pydantic", "pyyaml")

TARGETS = (
    # (what, case-name prefix, ratio limit, peak MiB limit)
    ("2,850 × 4 × 5: end-to-end ≤ 2.0 × HiGHS", "r2850-y5-", 2.0, None),
    ("2,850 × 4 × 5 with places: end-to-end ≤ 2.5 × HiGHS", "r2850-y5-places", 2.5, None),
    ("40,000 × 4 × 1: end-to-end ≤ 3.0 × HiGHS, peak ≤ 4 GB", "r40000-y1-", 3.0, 4096.0),
)
SWEEP_TARGETS = (
    # (what, case name, limit on the warm sweep's seconds ÷ one solve's)
    ("20-point budget sweep, 2,850 × 4 × 5: warm ≤ 4 × one solve", "sweep-r2850-y5", 4.0),
)
CLI_TARGETS = {"solve": 3.0, "help": 0.5}


def machine() -> dict[str, Any]:
    """Cores, CPU, memory, OS, Python and package versions, the git commit, load at start."""
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    mem_gb = None
    try:
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
        mem_gb = round(mem_kb / 1024**2, 1)
    except (OSError, StopIteration):
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    import highspy

    versions["HiGHS"] = f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"
    return {"cores": os.cpu_count(), "cores_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(), "cpu": cpu, "memory_gb": mem_gb, "os": platform.platform(),
            "python": platform.python_version(), "packages": versions, "git": _git(),
            "load_average": [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None}


def _git() -> str | None:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}{' (uncommitted changes)' if dirty else ''}" if head else None


def _env() -> dict[str, str]:
    """The environment of child processes: this checkout first on the import path."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "fiscal-opt"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from fiscal_opt.cli import main; main()"]


def time_cli(repeat: int = 3) -> dict[str, Any]:
    """Wall seconds of ``fiscal-opt --help`` and of the provinces solve, Python start-up included
    (best and median of ``repeat``)."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="fiscal-opt-bench-cli-") as tmp:
        commands = {"help": _cli() + ["--help"],
                    "solve": _cli() + ["solve", str(PROVINCES), "--out", str(Path(tmp) / "out")]}
        for name, cmd in commands.items():
            times, code = [], 0
            for _ in range(repeat):
                start = time.perf_counter()
                done = subprocess.run(cmd, capture_output=True, cwd=ROOT, env=_env(), timeout=600)
                times.append(time.perf_counter() - start)
                code = code or done.returncode
            shown = " ".join(["fiscal-opt"] + cmd[len(_cli()):]).replace(str(ROOT) + "/", "").replace(tmp, "TMP")
            out[name] = {"command": shown,
                         "best_seconds": round(min(times), 3), "median_seconds": round(statistics.median(times), 3),
                         "runs": len(times), "exit_code": code, "target_seconds": CLI_TARGETS[name]}
    return out


def run_case(case: Case, timeout: float = CASE_TIMEOUT, keep_mps: Path | None = None) -> dict[str, Any]:
    """Run one case in a fresh worker process; returns its record (``error`` set when it failed)."""
    with tempfile.TemporaryDirectory(prefix="fiscal-opt-bench-") as tmp:
        target = Path(tmp) / f"{case.name}.json"
        cmd = [sys.executable, "-m", "benchmarks.worker", case.name, "--out", str(target)]
        if keep_mps is not None:
            cmd.append("--keep-mps")
        start = time.perf_counter()
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"case": case.name, "kind": case.kind, "size": case.size, "policy": case.policy,
                    "error": f"timed out after {timeout:.0f} s"}
        if target.exists():
            record = json.loads(target.read_text(encoding="utf-8"))
            if keep_mps is not None and target.with_suffix(".mps").exists():
                keep_mps.mkdir(parents=True, exist_ok=True)
                target.with_suffix(".mps").replace(keep_mps / f"{case.name}.mps")
        else:
            record = {"case": case.name, "kind": case.kind, "size": case.size, "policy": case.policy,
                      "error": f"worker exited {done.returncode}: {done.stderr.strip()[-2000:]}"}
        record["process_seconds"] = round(time.perf_counter() - start, 3)
        return record


def targets(cases: list[dict[str, Any]], cli: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each target with the measured figure and whether it is met (``None``: not measured this run)."""
    out = []
    for what, prefix, ratio, peak in TARGETS:
        for rec in (c for c in cases if c["case"].startswith(prefix)):
            met = None if rec.get("ratio") is None else rec["ratio"] <= ratio and (
                peak is None or rec.get("peak_mb", float("inf")) <= peak)
            out.append({"target": what, "case": rec["case"], "ratio": rec.get("ratio"), "peak_mb": rec.get("peak_mb"),
                        "met": met})
    for what, name, limit in SWEEP_TARGETS:
        for rec in (c for c in cases if c["case"] == name):
            ratio = rec.get("warm_ratio")
            out.append({"target": what, "case": name, "ratio": ratio, "met": None if ratio is None else ratio <= limit})
    for name, rec in (cli or {}).items():
        out.append({"target": f"`{rec['command']}` under {rec['target_seconds']} s", "case": f"cli-{name}",
                    "seconds": rec["median_seconds"], "met": rec["exit_code"] == 0
                    and rec["median_seconds"] < rec["target_seconds"]})
    return out


def new_run_folder(started: dt.datetime, quick: bool) -> Path:
    """A folder of RUNS that did not exist before, named for the run's start (UTC) and kind."""
    stem = f"{started:%Y-%m-%dT%H%M%SZ}{'-quick' if quick else ''}"
    RUNS.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        folder = RUNS / (stem if n == 1 else f"{stem}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"{RUNS / stem}: a thousand runs started in this second")


def run_suite(quick: bool = False, out: Path | None = None, cases: list[str] | None = None,
              timeout: float = CASE_TIMEOUT, cli_repeat: int | None = None, keep_mps: bool = False,
              progress: bool = True) -> list[dict[str, Any]]:
    """Run the suite (the quick cases, the named ones, or all but the optional ones) and write
    ``results.json`` and ``results.md`` into ``out`` (default: a new folder of RUNS); returns the
    case records."""
    started = dt.datetime.now(dt.timezone.utc)
    chosen = select(quick, cases)  # an unknown case name fails here, before any folder is made
    if out is None:
        out = new_run_folder(started, quick)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    info = machine()
    cli = time_cli(cli_repeat or (1 if quick else 3))
    if progress:
        print(f"cli: help {cli['help']['median_seconds']} s, solve {cli['solve']['median_seconds']} s", flush=True)
    records: list[dict[str, Any]] = []
    for case in chosen:
        rec = run_case(case, timeout, out if keep_mps else None)
        records.append(rec)
        if progress:
            print(_progress(rec), flush=True)
        _write(out, started, quick, info, cli, records)  # after each case: a long run shows progress
    if not records:
        _write(out, started, quick, info, cli, records)
    if progress:
        print(f"results in {out / 'results.md'}", flush=True)
    return records


def _write(out: Path, started: dt.datetime, quick: bool, info: dict[str, Any], cli: dict[str, Any],
           records: list[dict[str, Any]]) -> None:
    doc = {"date": started.isoformat(timespec="seconds"), "quick": quick, "machine": info,
           "cli": cli, "phases": list(PHASES), "cases": records, "targets": targets(records, cli)}
    (out / "results.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "results.md").write_text(markdown(doc), encoding="utf-8")


def _kind(rec: dict[str, Any]) -> str:
    """A record's kind: ``solve``, ``sweep`` or ``draws`` (records of a failed start carry none)."""
    return rec.get("kind", "solve")


def _progress(rec: dict[str, Any]) -> str:
    if "error" in rec:
        return f"{rec['case']}: ERROR {rec['error'][:300]}"
    if _kind(rec) == "sweep":
        return (f"{rec['case']}: one solve {rec['one_solve_seconds']} s, {rec['points']} points cold "
                f"{rec['cold_seconds']} s, warm {rec['warm_seconds']} s (warm ratio {rec['warm_ratio']})")
    if _kind(rec) == "draws":
        return (f"{rec['case']}: {rec['draws']} draws, 1 worker {rec['seconds_1_worker']} s, 2 workers "
                f"{rec['seconds_2_workers']} s (speed-up {rec['speedup']})")
    ref = rec.get("reference", {}).get("highs_seconds")
    return (f"{rec['case']}: end-to-end {rec['end_to_end_seconds']:.2f} s, HiGHS ref {ref} s, "
            f"ratio {rec.get('ratio')}, peak {rec['peak_mb']:.0f} MiB")


def _f(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def own_ratio(rec: dict[str, Any]) -> float | None:
    """End-to-end seconds ÷ HiGHS's seconds in our own primary stage (the LP the reference solves)."""
    primary = rec["stages"][0].get("highs_seconds") if rec.get("stages") else None
    return round(rec["end_to_end_seconds"] / primary, 3) if primary else None


REPORT_PHASES = ("report", "xlsx")
"""The phases that draw the charts and pages and write the workbook: a fixed cost of a few seconds."""


def solve_ratio(rec: dict[str, Any]) -> float | None:
    """End-to-end seconds less the report phases (REPORT_PHASES) ÷ the reference HiGHS seconds: the
    ratio of the path from files to result tables, without the pages a person reads."""
    ref = rec.get("reference", {}).get("highs_seconds")
    if not ref:
        return None
    reports = sum(rec["phases"].get(p, {}).get("seconds", 0.0) for p in REPORT_PHASES)
    return round((rec["end_to_end_seconds"] - reports) / ref, 3)


def markdown(doc: dict[str, Any]) -> str:
    """The run as Markdown: headline table, phases, memory, command line, targets, machine."""
    m = doc["machine"]
    pk = m["packages"]
    lines = [f"# fiscal_opt benchmark — {doc['date']}{' (quick)' if doc['quick'] else ''}", "",
             f"Machine: {m['cores']} cores ({m['cores_available']} available), {m['cpu']}, {m['memory_gb']} GB; "
             f"{m['os']}; Python {m['python']}; HiGHS {pk.get('HiGHS')} (highspy {pk.get('highspy')}), "
             f"Pyomo {pk.get('pyomo')}, numpy {pk.get('numpy')}, scipy {pk.get('scipy')}, pandas {pk.get('pandas')}; "
             f"fiscal-opt {pk.get('fiscal-opt')} at {m['git']}; load average at start {m['load_average']}."]
    lines += _solve_lines(doc["cases"], doc["phases"])
    lines += _sweep_lines(doc["cases"]) + _draws_lines(doc["cases"])
    lines += ["", "## Command line (Python start-up included)", "", "| command | best s | median s | runs | exit |",
              "|---|---|---|---|---|"]
    for rec in doc["cli"].values():
        lines.append(f"| `{rec['command']}` | {_f(rec['best_seconds'], 3)} | {_f(rec['median_seconds'], 3)} | "
                     f"{rec['runs']} | {rec['exit_code']} |")
    lines += ["", "## Targets (measured, not asserted)", "", "| target | case | measured | met |", "|---|---|---|---|"]
    for t in doc["targets"]:
        measured = (f"{_f(t['seconds'], 3)} s" if "seconds" in t else f"ratio {_f(t['ratio'])}" +
                    (f", peak {_f(t['peak_mb'], 0)} MiB" if "peak_mb" in t else ""))
        met = {True: "yes", False: "no", None: "–"}[t["met"]]
        lines.append(f"| {t['target']} | {t['case']} | {measured} | {met} |")
    return "\n".join(lines) + "\n"


def _solve_lines(cases: list[dict[str, Any]], phases: list[str]) -> list[str]:
    """The sections of the single solves (headline table, phases, memory, stages): none when the run
    has no single solve."""
    solves = [r for r in cases if _kind(r) == "solve"]
    if not solves:
        return []
    lines = ["", "Ratio = our end-to-end time (load + validate through report writing, in-process, imports "
             "excluded) ÷ HiGHS's own run time on the identical primary LP read from MPS, same options. "
             "`our HiGHS` sums HiGHS's run time over our stages (primary, max-min second stage, tie-break). "
             "`ratio CPU` is the same ratio in CPU seconds of the process, which a shared machine disturbs less. "
             "`ratio own` divides by our own primary stage instead: HiGHS on the same LP with the same options "
             "in the same process a moment earlier, so a machine whose speed drifts between the two solves "
             "(seen on 2026-11-30 at 2,850 × 5: the same LP and iteration count, 13.7 s in our primary stage "
             "and 9.7 s in the reference minutes later) does not move it. `ratio w/o reports` leaves out the "
             "phases that draw the charts and pages and write the workbook (`report`, `xlsx`: 2-7 s "
             "at any size), so that a case whose LP takes a second is not judged by its charts.",
             "", "| case | size | policy | LP rows × cols (nnz) | algorithm | stages | end-to-end s | our HiGHS s | "
             "reference HiGHS s | ratio | ratio CPU | ratio own | ratio w/o reports | peak MiB |", "|" + "---|" * 14]
    for rec in solves:
        if "error" in rec:
            lines.append(f"| {rec['case']} | {rec.get('size', '')} | {rec.get('policy', '')} | "
                         f"error: {rec['error'][:120].replace('|', '/')} |" + " |" * 10)
            continue
        lp, ref = rec.get("lp", {}), rec.get("reference", {})
        algo = "/".join(dict.fromkeys(s.get("solver", "?") for s in rec["stages"]))
        lines.append(f"| {rec['case']} | {rec['size']} | {rec['policy']} | "
                     f"{lp.get('rows', 0):,} × {lp.get('cols', 0):,} ({lp.get('nnz', 0):,}) | {algo} | "
                     f"{len(rec['stages'])} | {_f(rec['end_to_end_seconds'])} | {_f(rec['our_highs_seconds'])} | "
                     f"{_f(ref.get('highs_seconds'))} | {_f(rec.get('ratio'))} | {_f(rec.get('ratio_cpu'))} | "
                     f"{_f(own_ratio(rec))} | {_f(solve_ratio(rec))} | {_f(rec['peak_mb'], 0)} |")
    ok = [r for r in solves if "error" not in r]
    lines += ["", "## Phases (seconds, exclusive)", "",
              "| case | " + " | ".join(phases) + " |", "|" + "---|" * (len(phases) + 1)]
    for rec in ok:
        lines.append(f"| {rec['case']} | " + " | ".join(_f(rec["phases"].get(p, {}).get("seconds"), 3)
                                                         for p in phases) + " |")
    lines += ["", "## Peak resident memory per phase (MiB)", "",
              "| case | " + " | ".join(phases) + " |", "|" + "---|" * (len(phases) + 1)]
    for rec in ok:
        lines.append(f"| {rec['case']} | " + " | ".join(_f(rec["phases"].get(p, {}).get("peak_mb"), 0)
                                                         for p in phases) + " |")
    lines += ["", "## Solver stages", "", "| case | stage | algorithm | HiGHS s | simplex it. | ipm it. | rows |",
              "|---|---|---|---|---|---|---|"]
    for rec in ok:
        for s in rec["stages"]:
            lines.append(f"| {rec['case']} | {s['stage']} | {s.get('solver', '–')} | "
                         f"{_f(s.get('highs_seconds'), 3)} | {s.get('simplex_iterations', '–')} | "
                         f"{s.get('ipm_iterations', '–')} | {s.get('rows', '–')} |")
        ref = rec.get("reference")
        if ref:
            lines.append(f"| {rec['case']} | *reference (MPS)* | {ref['solver']} | {_f(ref['highs_seconds'], 3)} | "
                         f"{ref['simplex_iterations']} | {ref['ipm_iterations']} | {rec['lp'].get('rows', '–')} |")
    return lines


def _kind_lines(cases: list[dict[str, Any]], kind: str, title: str, header: list[str],
                cells: Callable[[dict[str, Any]], list[str]]) -> list[str]:
    """A section of the records of ``kind``: ``title``, a table with columns case, size and
    ``header``, one row per record from ``cells(record)`` (an error across the row)."""
    records = [r for r in cases if _kind(r) == kind]
    if not records:
        return []
    lines = ["", f"## {title}", "", "| " + " | ".join(["case", "size", *header]) + " |", "|" + "---|" * (len(header) + 2)]
    for rec in records:
        if "error" in rec:
            lines.append(f"| {rec['case']} | {rec.get('size', '')} | error: {rec['error'][:120].replace('|', '/')} |"
                         + " |" * (len(header) - 1))
        else:
            lines.append("| " + " | ".join([rec["case"], rec["size"], *cells(rec)]) + " |")
    return lines


def _statuses(rec: dict[str, Any]) -> str:
    return ", ".join(f"{n} {s}" for s, n in rec["status"].items())


def _sweep_lines(cases: list[dict[str, Any]]) -> list[str]:
    """The sweep cases: one solve, the sweep cold, warm and warm on two workers (seconds and ÷ one solve)."""
    return _kind_lines(
        cases, "sweep", "Budget sweeps, warm against cold (seconds; ratio = ÷ one solve)",
        ["points", "one solve s", "cold s", "warm s", "warm on 2 workers s", "cold ratio", "warm ratio",
         "warm ratio CPU", "warm speed-up", "largest difference warm", "statuses"],
        lambda rec: [str(rec["points"]), _f(rec["one_solve_seconds"], 3), _f(rec["cold_seconds"], 3),
                     _f(rec["warm_seconds"], 3), _f(rec["warm_2_workers_seconds"], 3), _f(rec["cold_ratio"]),
                     _f(rec["warm_ratio"]), _f(rec["warm_ratio_cpu"]), _f(rec["warm_speedup"]),
                     f"{rec['largest_difference_warm']:.1e}", _statuses(rec)])


def _draws_lines(cases: list[dict[str, Any]]) -> list[str]:
    """The draws cases: seconds on one and on two worker processes, and their speed-up."""
    return _kind_lines(
        cases, "draws", "Scenario draws, 1 against 2 worker processes",
        ["draws", "1 worker s", "2 workers s", "speed-up", "s per draw (1 worker)", "same tables", "statuses"],
        lambda rec: [str(rec["draws"]), _f(rec["seconds_1_worker"], 3), _f(rec["seconds_2_workers"], 3),
                     _f(rec["speedup"]), _f(rec["seconds_per_draw_1_worker"], 4),
                     "yes" if rec["identical"] else "no", _statuses(rec)])
