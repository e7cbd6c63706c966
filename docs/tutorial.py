"""Plots and named statistics from Python: a short walk-through (run it: ``python docs/tutorial.py``).

It solves the flagship instance, asks for a few summaries the way a fiscal analyst would, draws the
report's charts as matplotlib figures and saves them as PNG files into the folder given on the
command line (default ``tutorial-plots``). The test suite runs this file as written.
"""

import sys
from pathlib import Path

import fiscal_opt as fo

REPO = Path(__file__).resolve().parents[1]

# 1. Solve: the instance brings its own policy (current practice).
inst = fo.load_instance(REPO / "instances" / "china-2020-provinces.yaml")
res = fo.solve(inst)

# 2. Named statistics, like PyPSA's n.statistics: one function per quantity, grouped by
#    "region", "group", "service" (cell statistics only), a list of these, or None (the country).
#    The index is the groupby keys, then "year" unless aggregate_years=True.
print(res.statistics.transfer(groupby="group", aggregate_years=True))          # 亿元, all years
print(res.statistics.transfer_per_capita(groupby="group").unstack("year"))    # yuan per person
print(res.statistics.coverage(groupby="service", aggregate_years=True))       # fraction of standard cost
by_group = res.statistics(groupby="group", aggregate_years=True)              # every statistic at once
print(by_group[["transfer", "formula_transfer", "vs_formula", "transfer_share"]])

# 3. Charts: res.plot.<chart>() returns a matplotlib Figure (lang="zh" for Chinese labels and names).
fig = res.plot.lorenz(year=2025)
ax = fig.axes[0]
ax.set_title("Lorenz curves, 2025")          # figures are ordinary matplotlib objects: change them freely

out = Path(sys.argv[1] if len(sys.argv) > 1 else "tutorial-plots")
out.mkdir(parents=True, exist_ok=True)
for name, figure in res.plot.all(lang="zh").items():
    figure.savefig(out / f"{name}.png", dpi=110)
print(f"charts saved in {out}")
