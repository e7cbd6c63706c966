"""How the robust plan's LP grows with the draws.

``python -m benchmarks.plan_growth [--draws 10,50,200] [--regions 330] [--years 5] [--out DIR]``
builds and solves the extensive form of ``fiscal-opt plan`` (:mod:`fiscal_opt.analysis.plan`) for a
generated instance (seed 0) under the draws policy of the benchmark suite with its rules soft
(:func:`fiscal_opt.analysis.plan.bending`: with them hard, no first year fits 200 draws) and the
suite's draws scenario, each count
in a process of its own so that its peak memory is its own, and writes ``plan-growth.json`` and
``plan-growth.md`` into a new folder under ``benchmarks/runs/`` unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import resource
import tempfile
import time
from queue import Empty
from pathlib import Path
from typing import Any

from .cases import ROOT

POLICY = ROOT / "benchmarks" / "policies" / "draws.yaml"
SCENARIO = ROOT / "benchmarks" / "scenarios" / "migration.yaml"


def _measure(regions: int, years: int, draws: int, queue: Any) -> None:
    """Build and solve the plan's LP for ``draws`` draws; put its size, seconds and peak memory."""
    import fiscal_opt as fo
    from fiscal_opt.analysis.plan import bending, plan_first_year
    from fiscal_opt.analysis.scenarios import drawn_instances
    from fiscal_opt.api import formulate
    from fiscal_opt.generate.synthetic import generate_instance, write_instance
    from fiscal_opt.io.scenario import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        instance = fo.load_instance(write_instance(generate_instance(regions, years=years, seed=0), Path(tmp)))
    start = time.perf_counter()
    drawn = drawn_instances(instance, fo.load_policy(POLICY), load_scenario(SCENARIO), draws)
    soft = bending(drawn.policy)  # with its floors hard, no first year fits 200 draws of this scenario
    forms = [formulate(inst, soft) for inst in drawn.instances]
    formulated = time.perf_counter() - start
    _, size = plan_first_year(forms, 1.0, 0.9, fo.SolverOptions())
    queue.put({"draws": draws, "formulate_seconds": round(formulated, 3), **size,
               "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})


def run(draws: list[int], regions: int, years: int) -> list[dict[str, Any]]:
    """One record per count of draws, each measured in a new process."""
    context = multiprocessing.get_context("spawn")
    records = []
    for n in draws:
        queue = context.Queue()
        worker = context.Process(target=_measure, args=(regions, years, n, queue))
        worker.start()
        records.append(_result(queue, worker, n))
        worker.join()
        print(records[-1], flush=True)
    return records


def _result(queue: Any, worker: Any, draws: int) -> dict[str, Any]:
    """The worker's record, or an error once it has ended without one (it failed)."""
    while True:
        try:
            return queue.get(timeout=1.0)
        except Empty:
            if not worker.is_alive():
                raise RuntimeError(f"the measurement of {draws} draws ended with exit code {worker.exitcode} "
                                   "and no result") from None


def markdown(records: list[dict[str, Any]], regions: int, years: int, started: str) -> str:
    """The run as a Markdown table."""
    lines = [f"# The robust plan's LP against the draws — {started}", "",
             f"Generated instance, {regions:,} regions × 4 services × {years} years (seed 0), policy "
             "`benchmarks/policies/draws.yaml` with its rules soft, scenario `benchmarks/scenarios/migration.yaml`, λ = 1, α = 0.9; "
             "HiGHS with the method rule of a single solve.", "",
             "| draws | rows | columns | nonzeros | formulate s | build s | solve s | peak MiB |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['draws']:,} | {r['rows']:,} | {r['cols']:,} | {r['nnz']:,} | {r['formulate_seconds']:.2f} | "
              f"{r['build_seconds']:.2f} | {r['solve_seconds']:.2f} | {r['peak_mib']:,} |" for r in records]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", default="10,50,200", help="Comma-separated counts of draws.")
    parser.add_argument("--regions", type=int, default=330)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="Folder (default: a new one in benchmarks/runs/).")
    args = parser.parse_args()
    started = dt.datetime.now(dt.timezone.utc)
    out = args.out or ROOT / "benchmarks" / "runs" / f"{started:%Y-%m-%dT%H%M%SZ}-plan-growth"
    out.mkdir(parents=True, exist_ok=True)
    records = run([int(n) for n in args.draws.split(",")], args.regions, args.years)
    stamp = started.isoformat(timespec="seconds")
    (out / "plan-growth.json").write_text(json.dumps({"date": stamp, "regions": args.regions, "years": args.years,
                                                      "records": records}, indent=1) + "\n", encoding="utf-8")
    (out / "plan-growth.md").write_text(markdown(records, args.regions, args.years, stamp), encoding="utf-8")
    print(f"results in {out / 'plan-growth.md'}")


if __name__ == "__main__":
    main()
