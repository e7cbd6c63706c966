"""A constraint of your own, in Pyomo algebra: Rustbelt (region E of the demo) must get at least
200 亿元 of special fund, whatever the efficiency policy would give it.

Run from the repository's root: ``python docs/examples/pyomo_user_constraint.py``.
"""

import pyomo.environ as pyo

import fiscal_opt as fo

instance = fo.load_instance("instances/demo-4.yaml")
policy = fo.load_policy("models/efficiency.yaml")
free = fo.solve(instance, policy)

m = fo.to_pyomo(instance, policy)  # variables in the instance's money_unit (亿元 here)
m.rustbelt_floor = pyo.Constraint(
    expr=sum(m.special_fund[region, service, year] for region, service, year in m.special_fund if region == "E")
    >= 200)
bound = fo.solve(instance, policy, model=m)  # HiGHS through Pyomo; any Pyomo solver with options=
# fo.SolverOptions(solver="glpk"), for example

for name, result in (("efficiency", free), ("with the Rustbelt floor", bound)):
    special = result.regions.set_index("region")["special_fund"]
    print(f"{name:24s} E gets {special['E']:7.2f}; weighted shortfall {result.solution.objective:,.2f} 亿元")
print(f"the floor costs {bound.solution.objective - free.solution.objective:,.2f} 亿元 of weighted shortfall")
