"""``python -m benchmarks [--quick] [--out DIR] [--cases NAME,...]``: run the benchmark suite."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cases import CASES
from .suite import CASE_TIMEOUT, RUNS, run_suite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Run the fiscal_opt benchmark suite.")
    parser.add_argument("--quick", action="store_true", help="only the small cases (CI's smoke run, under a minute)")
    parser.add_argument("--out", type=Path, default=None, help="folder for results.json and results.md "
                        f"(default: a new folder in {RUNS}; the committed results are in benchmarks/results/)")
    parser.add_argument("--cases", default="", help="comma-separated case names (optional ones included); "
                        f"known: {', '.join(CASES)}")
    parser.add_argument("--timeout", type=float, default=CASE_TIMEOUT, help="seconds allowed per case")
    parser.add_argument("--cli-repeat", type=int, default=None, help="runs of each timed command (default 3, 1 quick)")
    parser.add_argument("--keep-mps", action="store_true", help="keep each case's reference MPS file in --out")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.cases.split(",") if n.strip()] or None
    try:
        records = run_suite(quick=args.quick, out=args.out, cases=names, timeout=args.timeout,
                            cli_repeat=args.cli_repeat, keep_mps=args.keep_mps)
    except KeyError as exc:
        parser.error(str(exc.args[0]))
    return 1 if any("error" in r for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
