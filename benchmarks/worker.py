"""One benchmark case in a fresh process: ``python -m benchmarks.worker CASE --out FILE.json``.

The case runs the library's own pipeline (``load_instance`` → ``fiscal_opt.solve`` → result tables →
``Result.write`` → reports) under a :class:`~benchmarks.probe.Probe` that times each phase and its
peak memory. Right after the hand-off, the LP our engine passed to HiGHS is written as MPS (outside
the timed phases); when the case is done, a fresh ``highspy.Highs`` with the engine's options
reads that file and solves it alone: the reference time of the case.

Sweep cases (:func:`run_sweep_case`) time a budget sweep cold, warm and warm on two worker
processes against one solve; draws cases (:func:`run_draws_case`) time scenario draws on one and on
two workers.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from .cases import CASES, PROVINCES, SCENARIO, SEED, Case
from .probe import Probe

ENGINE = "highs"
PHASES = ("load", "derive", "build", "handoff", "solve", "stages", "extract", "verify", "tables", "write", "report",
          "xlsx")
"""Phases in pipeline order. ``stages`` is the glue between HiGHS calls (objective changes, held
rows); ``verify`` the baseline and the independent rule check of ``fiscal_opt.solve``; ``tables``
the result tables; ``write`` the CSV and JSON files; ``report`` the Markdown and HTML reports (charts
included) and the terminal table; ``xlsx`` the analyst's workbook."""


def cache_dir() -> Path:
    """Where generated instances are kept between runs: a temp folder keyed by the generator's code,
    so a changed generator never serves a stale instance."""
    import fiscal_opt.generate.calibration
    import fiscal_opt.generate.synthetic

    digest = hashlib.sha256()
    for module in (fiscal_opt.generate.synthetic, fiscal_opt.generate.calibration):
        digest.update(Path(module.__file__).read_bytes())
    for data in sorted(Path(fiscal_opt.generate.synthetic.__file__).parent.joinpath("data").glob("*")):
        digest.update(data.read_bytes())
    return Path(tempfile.gettempdir()) / "fiscal-opt-bench" / f"instances-{digest.hexdigest()[:12]}"


def instance_path(case: Case) -> Path:
    """The case's instance file, generating it into :func:`cache_dir` on first use."""
    if case.regions is None:
        return PROVINCES
    from fiscal_opt.generate.places import with_places
    from fiscal_opt.generate.synthetic import default_name, generate_instance, write_instance

    folder = cache_dir()
    suffix = "-places" if case.places else ""
    path = folder / f"{default_name(case.regions, case.years, SEED)}-{case.services}s{suffix}.yaml"
    if not path.exists():
        tmp = Path(tempfile.mkdtemp(prefix=".gen.", dir=_mkdir(folder)))
        generated = generate_instance(case.regions, years=case.years, seed=SEED, services=case.services)
        written = write_instance(with_places(generated, seed=SEED) if case.places else generated, tmp,
                                 name=path.stem)
        for file in tmp.iterdir():
            if file != written:
                file.replace(folder / file.name)
        written.replace(path)  # the YAML last: its presence means the CSV is complete
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def _mkdir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class _Recorder:
    """What the probe's hooks see: the hand-off (LP size, options, MPS file) and each HiGHS run."""

    def __init__(self, mps: Path):
        self.mps = mps
        self.lp: dict[str, int] = {}
        self.options: Any = None
        self.runs: list[dict[str, Any]] = []
        self._clock = 0.0

    def handed_off(self, engine: Any, _args: tuple) -> None:
        h = getattr(engine, "h", None)
        if h is None or self.options is not None:
            return
        self.lp = {"rows": int(h.getNumRow()), "cols": int(h.getNumCol()), "nnz": int(h.getNumNz())}
        self.options = h.getOptions()
        self._clock = h.getRunTime()
        h.writeModel(str(self.mps))

    def ran(self, status: Any, args: tuple) -> None:
        engine = args[0]
        run: dict[str, Any] = {"status": str(status)}
        h = getattr(engine, "h", None)
        if h is not None:
            info = h.getInfo()
            clock = h.getRunTime()
            run |= {"highs_seconds": round(clock - self._clock if clock >= self._clock else clock, 6),
                    "simplex_iterations": int(info.simplex_iteration_count),
                    "ipm_iterations": int(info.ipm_iteration_count),
                    "crossover_iterations": int(info.crossover_iteration_count),
                    "objective_lp": float(info.objective_function_value),
                    "solver": _option(h, "solver"),
                    "rows": int(h.getNumRow()), "nnz": int(h.getNumNz())}
            self._clock = clock
        self.runs.append(run)


def _option(h: Any, name: str) -> str:
    value = h.getOptionValue(name)
    return str(value[-1] if isinstance(value, tuple) else value)  # highspy ≥ 1.12 returns (status, value)


def reference_solve(mps: Path, options: Any) -> dict[str, Any]:
    """Solve the MPS file with a fresh ``highspy.Highs`` and the engine's options."""
    import highspy

    from fiscal_opt.solver.highs import quiet_stdout

    with quiet_stdout():
        h = highspy.Highs()
    h.passOptions(options)
    h.setOptionValue("output_flag", False)
    start = time.perf_counter()
    h.readModel(str(mps))
    read = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    h.run()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    info = h.getInfo()
    return {"highs_seconds": round(h.getRunTime(), 6), "wall_seconds": round(wall, 6), "cpu_seconds": round(cpu, 6),
            "read_seconds": round(read, 6),
            "status": h.modelStatusToString(h.getModelStatus()), "objective_lp": float(info.objective_function_value),
            "simplex_iterations": int(info.simplex_iteration_count), "ipm_iterations": int(info.ipm_iteration_count),
            "crossover_iterations": int(info.crossover_iteration_count), "solver": _option(h, "solver"),
            "mps_bytes": mps.stat().st_size}


SWEEP_SHARES = 1.0 + 0.02 * np.arange(20)
"""The budget points of a sweep case: 100 % to 138 % of the instance's own budget, in steps of 2 %."""
AGREEMENT = ("objective", "weighted_shortfall", "min_coverage", "budget_used", "gini", "budget_shadow_price")
"""Columns on which a warm sweep is checked against the cold one."""


def _largest_difference(a: Any, b: Any) -> float:
    """The largest difference of two sweep tables over :data:`AGREEMENT`, relative to max(1, |value|)."""
    import pandas as pd

    worst = 0.0
    for column in AGREEMENT:
        x = pd.to_numeric(a[column], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(b[column], errors="coerce").to_numpy(dtype=float)
        both = np.isfinite(x) & np.isfinite(y)
        if both.any():
            worst = max(worst, float(np.max(np.abs(x[both] - y[both]) / np.maximum(1.0, np.abs(y[both])))))
    return worst


def _timed(run: Any) -> tuple[Any, float, float]:
    """``run()``, its wall and its CPU seconds (this process's)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = run()
    return out, round(time.perf_counter() - start, 3), round(time.process_time() - cpu, 3)


def run_sweep_case(case: Case) -> dict[str, Any]:
    """One cold solve at the instance's own budget, then the :data:`SWEEP_SHARES` sweep cold, warm
    in this process, and warm on two worker processes (two runs of neighbouring points)."""
    import fiscal_opt as fo
    from fiscal_opt.analysis.executor import LocalExecutor

    inst, policy = fo.load_instance(instance_path(case)), fo.load_policy(case.policy_file)
    values = SWEEP_SHARES[:case.count]
    _, one, one_cpu = _timed(lambda: fo.solve(inst, policy, repairs=False))
    cold, cold_s, cold_cpu = _timed(lambda: fo.sweep(inst, policy, "budget", values, relative=True, warm=False))
    warm, warm_s, warm_cpu = _timed(lambda: fo.sweep(inst, policy, "budget", values, relative=True))
    two, two_s, _ = _timed(lambda: fo.sweep(inst, policy, "budget", values, relative=True,
                                            executor=LocalExecutor(2)))
    return {"points": len(values), "shares": [round(float(v), 4) for v in values],
            "one_solve_seconds": one, "one_solve_cpu_seconds": one_cpu,
            "cold_seconds": cold_s, "cold_cpu_seconds": cold_cpu, "warm_seconds": warm_s, "warm_cpu_seconds": warm_cpu,
            "warm_2_workers_seconds": two_s, "cold_ratio": round(cold_s / one, 3), "warm_ratio": round(warm_s / one, 3),
            "warm_ratio_cpu": round(warm_cpu / one_cpu, 3), "warm_2_workers_ratio": round(two_s / one, 3),
            "warm_speedup": round(cold_s / warm_s, 3),
            "largest_difference_warm": _largest_difference(warm, cold),
            "largest_difference_2_workers": _largest_difference(two, cold),
            "status": {k: int(v) for k, v in cold.drop_duplicates("value")["status"].value_counts().items()}}


def run_draws_case(case: Case) -> dict[str, Any]:
    """The case's draws of benchmarks/scenarios/migration.yaml in this process, then on two worker
    processes (their start and imports included), and whether the two give the same tables."""
    import fiscal_opt as fo
    from fiscal_opt.analysis.executor import LocalExecutor
    from fiscal_opt.analysis.scenarios import run_scenarios
    from fiscal_opt.io.scenario import load_scenario

    inst, policy = fo.load_instance(instance_path(case)), fo.load_policy(case.policy_file)
    scenario = load_scenario(SCENARIO)
    one, one_s, one_cpu = _timed(lambda: run_scenarios(inst, policy, scenario, case.count, executor=LocalExecutor(1)))
    two, two_s, _ = _timed(lambda: run_scenarios(inst, policy, scenario, case.count, executor=LocalExecutor(2)))
    return {"draws": case.count, "seconds_1_worker": one_s, "cpu_seconds_1_worker": one_cpu,
            "seconds_2_workers": two_s, "speedup": round(one_s / two_s, 3),
            "seconds_per_draw_1_worker": round(one_s / case.count, 4),
            "identical": bool(one.draws.equals(two.draws) and one.regions.equals(two.regions)),
            "status": one.summary["status"]}


def run_case(case: Case, work: Path) -> dict[str, Any]:
    """Run ``case`` in this process with the probe on; returns its record."""
    if case.kind != "solve":
        record = {"case": case.name, "kind": case.kind, "size": case.size, "regions": case.regions,
                  "years": case.years, "services": case.services, "policy": case.policy}
        try:
            record |= (run_sweep_case if case.kind == "sweep" else run_draws_case)(case)
        except Exception as exc:  # noqa: BLE001 - the suite records failures and goes on
            record["error"] = f"{type(exc).__name__}: {exc}"
            record["traceback"] = traceback.format_exc(limit=8)
        return record
    record: dict[str, Any] = {"case": case.name, "kind": case.kind, "size": case.size, "regions": case.regions,
                              "years": case.years, "services": case.services, "policy": case.policy,
                              "policy_file": case.policy_file.name, "engine": ENGINE}
    generated = time.perf_counter()
    path = instance_path(case)
    record["generate_seconds"] = round(time.perf_counter() - generated, 3)
    start = time.perf_counter()
    import fiscal_opt as fo
    import fiscal_opt.api as api
    import fiscal_opt.solver.stages as stages
    from fiscal_opt.solver.highs import DirectHighs
    from fiscal_opt.report.content import region_table
    record["import_seconds"] = round(time.perf_counter() - start, 3)
    gc.collect()

    probe = Probe()
    rec = _Recorder(work / f"{case.name}.mps")
    probe.wrap(api, "derive", "derive")
    probe.wrap(api, "build", "build")
    probe.wrap(api, "run_stages", "stages")
    probe.wrap(stages, "make_engine", "handoff", after=rec.handed_off)
    probe.wrap(stages, "_extract", "extract")
    probe.wrap(api, "solve", "verify")
    probe.wrap(DirectHighs, "run", "solve", after=rec.ran)
    wall = time.perf_counter()
    try:
        with probe.phase("load"):
            inst = fo.load_instance(path)
            policy = fo.load_policy(case.policy_file)
        result = api.solve(inst, policy)
        with probe.phase("tables"):
            _ = (result.allocations, result.regions, result.metrics, result.shadow_prices, result.summary)
        with probe.phase("write"):
            result.write(work / "result", ("csv", "json"))
        with probe.phase("report"):
            result.write(work / "report", ("md", "html"))
            region_table(result)
        with probe.phase("xlsx"):
            result.write(work / "xlsx", ("xlsx",))
    except Exception as exc:  # noqa: BLE001 - the suite records failures and goes on
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc(limit=8)
        return record
    finally:
        record["wall_seconds"] = round(time.perf_counter() - wall, 6)
        probe.restore()
    phases = probe.table()
    record["phases"] = {name: phases[name] for name in PHASES if name in phases}
    record["end_to_end_seconds"] = round(sum(p["seconds"] for p in record["phases"].values()), 6)
    record["end_to_end_cpu_seconds"] = round(sum(p["cpu_seconds"] for p in record["phases"].values()), 6)
    record["peak_mb"] = round(max(p["peak_mb"] for p in record["phases"].values()), 1)
    record["peak_per_phase"] = probe.hwm_reset
    record["status"] = result.status
    record["objective"] = result.solution.objective
    record["lp"] = rec.lp
    record["stages"] = [dict(run, stage=s["stage"]) for run, s in zip(rec.runs, result.solution.stages)]
    record["our_highs_seconds"] = round(sum(r.get("highs_seconds", 0.0) for r in rec.runs), 6)
    del result, inst
    gc.collect()
    if rec.options is not None:
        record["reference"] = reference_solve(rec.mps, rec.options)
        ref = record["reference"]["highs_seconds"]
        record["ratio"] = round(record["end_to_end_seconds"] / ref, 3) if ref > 0 else None
        ref_cpu = record["reference"]["cpu_seconds"]
        record["ratio_cpu"] = round(record["end_to_end_cpu_seconds"] / ref_cpu, 3) if ref_cpu > 0 else None
        primary = record["stages"][0].get("objective_lp") if record["stages"] else None
        if primary is not None:
            ref_obj = record["reference"]["objective_lp"]
            record["reference"]["objective_rel_diff"] = abs(primary - ref_obj) / max(1.0, abs(primary))
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker", description=__doc__)
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the case's record")
    parser.add_argument("--keep-mps", action="store_true", help="keep the reference MPS file beside the JSON")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="fiscal-opt-bench-case-"))
    try:
        record = run_case(CASES[args.case], work)
        if args.keep_mps and (work / f"{args.case}.mps").exists():
            shutil.copy(work / f"{args.case}.mps", args.out.with_suffix(".mps"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return 0 if "error" not in record else 1


if __name__ == "__main__":
    sys.exit(main())
