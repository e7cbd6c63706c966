"""The fiscal_opt benchmark suite: a registry of cases swept over size, each timed phase by phase.

``python -m benchmarks [--quick] [--out DIR] [--cases NAME,...]`` (or ``fiscal-opt bench``) runs
the cases of :mod:`benchmarks.cases`, each in a fresh worker process (:mod:`benchmarks.worker`), and
writes ``results.json`` and ``results.md`` into a new folder of ``benchmarks/runs/`` (``--out`` to
choose; the committed full runs are in ``benchmarks/results/``). Each case
also writes the LP our engine hands to HiGHS as MPS and solves it with highspy alone, with the
same options: the headline figure is our end-to-end time ÷ HiGHS's solve time on that LP.
"""
