"""Explaining an infeasible policy in the instance's own terms.

Two levels: :func:`presolve_check` asks every active rule for contradictions visible element by
element before any solve (a min_coverage that needs more than the central share cap allows, a
hold-harmless floor above what a region can receive, coverage needs above the budget);
:func:`diagnose_infeasible` maps HiGHS's irreducible infeasible subset back to rule names
(``rule[label]``: one name per rule, whichever of its row blocks the subset holds).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..model.build import Formulation
from ..rules import RULES
from ..rules.diagnosis import named

BOUND_RULES = {rule.bounds_of: rule.name for rule in RULES if rule.bounds_of}
"""Variable blocks whose bounds are a rule of their own (``special_fund`` → ``fund_ceiling``, …)."""


class _Engine(Protocol):
    def iis(self) -> tuple[np.ndarray, np.ndarray] | None: ...


def presolve_check(f: Formulation) -> None:
    """Raise :class:`~fiscal_opt.errors.InfeasibleError` for contradictions visible element by element."""
    for rule in f.rules:
        rule.precheck(f.params, f.policy)


def diagnose_infeasible(f: Formulation, engine: _Engine) -> list[str]:
    """The named rules in the solver's irreducible infeasible subset (every active rule if none)."""
    found = engine.iis()
    lp = f.lp
    if found is None or (len(found[0]) == 0 and len(found[1]) == 0):
        return sorted({block.rule or name for name, block in lp.row_blocks.items() if block.labels})
    rows, cols = found
    names: list[str] = []
    for name, block in lp.row_blocks.items():
        inside = rows[(rows >= block.start) & (rows < block.start + len(block.labels))] - block.start
        names += [named(block.rule or name, block.labels[i]) for i in inside]
    for name, block in lp.var_blocks.items():
        inside = cols[(cols >= block.start) & (cols < block.start + len(block.labels))] - block.start
        names += [named(BOUND_RULES.get(name, name), block.labels[i]) for i in inside]
    return names
