"""Robustness: every valid instance and policy ends in an answer or a diagnosis, never exit 4.

``python -m benchmarks.robustness [--quick] [--out DIR]`` sweeps the flagship and a generated
300-region instance over budgets from 5 % to 200 % of their own, under every shipped policy, and
counts the points by status: ``optimal`` (an answer, notes counted apart), ``infeasible`` (a
diagnosis) and ``solver_failure`` (the target is none). Writes ``robustness.json`` and
``robustness.md`` into a new folder under ``benchmarks/runs/`` unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from .cases import PROVINCES, ROOT

SHARES = np.round(np.arange(0.05, 2.0001, 0.05), 2)
"""Budget points of the full run: 5 % to 200 % of the instance's own, in steps of 5 %."""
QUICK_SHARES = np.array([0.05, 0.25, 0.6, 1.0, 2.0])
GENERATED = {"regions": 300, "years": 3, "seed": 11}


def _instances(quick: bool, work: Path) -> dict[str, Path]:
    from fiscal_opt.generate.synthetic import generate_instance, write_instance

    size = dict(GENERATED, years=1) if quick else GENERATED
    generated = write_instance(generate_instance(size["regions"], years=size["years"], seed=size["seed"]), work)
    return {"china-2020-provinces": PROVINCES, f"generated-{size['regions']}x{size['years']}": generated}


def run(quick: bool = False, shares: np.ndarray | None = None, policies: list[Path] | None = None) -> dict[str, Any]:
    """Sweep every instance × policy over ``shares`` of the instance's budget; the counts and rows."""
    import fiscal_opt as fo

    shares = (QUICK_SHARES if quick else SHARES) if shares is None else np.asarray(shares, dtype=float)
    policies = policies or sorted((ROOT / "models").glob("*.yaml"))
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fiscal-opt-robustness-") as tmp:
        for instance_name, path in _instances(quick, Path(tmp)).items():
            instance = fo.load_instance(path)
            for policy_path in policies:
                policy = fo.load_policy(policy_path)
                shown = shares if policy.objective != "min_budget" else shares[:1]  # min_budget ignores B
                start = time.perf_counter()
                table = fo.sweep(instance, policy, "budget", shown, relative=True)
                seconds = time.perf_counter() - start
                points = table.drop_duplicates("value")
                for row in points.itertuples(index=False):
                    records.append({"instance": instance_name, "policy": policy.name, "share": float(row.value),
                                    "status": row.status, "reason": row.reason or "",
                                    "soft_bends": row.soft_bends or ""})
                print(f"{instance_name} {policy.name}: {dict(Counter(points['status']))} in {seconds:.1f} s",
                      flush=True)
    counts = Counter(r["status"] for r in records)
    return {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "quick": quick,
            "points": len(records), "counts": dict(counts), "records": records}


def markdown(doc: dict[str, Any]) -> str:
    lines = [f"# Robustness run of {doc['date']}{' (quick)' if doc['quick'] else ''}", "",
             f"{doc['points']} points: " + ", ".join(f"{n} {s}" for s, n in sorted(doc["counts"].items())), "",
             "| instance | policy | points | optimal | infeasible | solver failure |", "|---|---|---|---|---|---|"]
    groups: dict[tuple[str, str], Counter] = {}
    for r in doc["records"]:
        groups.setdefault((r["instance"], r["policy"]), Counter())[r["status"]] += 1
    for (instance, policy), c in groups.items():
        lines.append(f"| {instance} | {policy} | {sum(c.values())} | {c['optimal']} | {c['infeasible']} | "
                     f"{c['solver_failure']} |")
    failures = [r for r in doc["records"] if r["status"] == "solver_failure"]
    if failures:
        lines += ["", "## Solver failures", ""] + [f"- {r['instance']} {r['policy']} at {r['share']:.0%}: "
                                                   f"{r['reason']}" for r in failures]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.robustness", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 budget points and a one-year generated instance")
    parser.add_argument("--out", type=Path, default=None, help="folder for robustness.json and robustness.md")
    args = parser.parse_args(argv)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or ROOT / "benchmarks" / "runs" / f"robustness-{stamp}{'-quick' if args.quick else ''}"
    out.mkdir(parents=True, exist_ok=True)
    doc = run(quick=args.quick)
    (out / "robustness.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "robustness.md").write_text(markdown(doc), encoding="utf-8")
    print(f"{doc['points']} points: {doc['counts']}; results in {out}")
    return 1 if doc["counts"].get("solver_failure") else 0


if __name__ == "__main__":
    sys.exit(main())
