"""What every rule declares, in one place: the base class of the rule registry.

A rule (MODEL.md §5) is one module of :mod:`fiscal_opt.rules` holding one subclass of
:class:`Rule`. The class says, once, everything the rest of the program needs to know about it:

- its one name (``name``: the LP rows, diagnostics, residuals, binding labels, reports), the
  policy key that switches it on and the schema of that key (``key``, ``setting``), its numeric
  parameter (``parameter``, a dotted path such as ``hold_harmless.max_cut``: what sweeps vary and
  repairs relax), its scope and a one-line description for the docs;
- ``check``: input cross-checks against the instance (before any model is built);
- ``precheck``: contradictions visible element by element (an infeasibility explained before a
  solve);
- ``build``: its rows, in bulk, into the LP being built (:class:`~fiscal_opt.model.build.Formulation`);
- ``residual``: its largest relative violation, recomputed in numpy from an allocation
  (:class:`Outcome`), for :mod:`fiscal_opt.solver.verify`;
- ``loosest`` and ``meaning``: what :mod:`fiscal_opt.solver.repair` needs to find the nearest
  feasible value of its parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from pydantic import ValidationError

from ..errors import Problem
from ..model.capacity import covered
from .settings import Level

if TYPE_CHECKING:
    from ..io.instance import Instance, Policy
    from ..model.build import Formulation
    from ..model.capacity import CapacityPlan
    from ..model.params import Params


def relative(violation: np.ndarray | float, size: np.ndarray | float) -> float:
    """The largest of ``violation / |size|`` (0 where the violation is negative)."""
    v = np.maximum(np.asarray(violation, dtype=float), 0.0) / np.maximum(np.abs(np.asarray(size, dtype=float)), 1e-12)
    return float(v.max()) if v.size else 0.0


def money_scale(p: Params) -> float:
    """A typical cell's money (money_unit): the mean positive fund ceiling (else standard cost), the
    LP's unit of money. Residuals of places and capital are measured against at least this, so that
    the solver's rounding of amounts near 0 (10⁻⁹ of a cell) is not taken for a violation."""
    for values in (p.ceiling, p.standard_cost):
        positive = values[values > 0]
        if positive.size:
            return float(positive.mean())
    return 1.0


def persons_scale(p: Params) -> float:
    """A typical region's residents (persons), the LP's unit of persons (see :func:`money_scale`)."""
    return float(p.population.mean()) if p.population.size else 1.0


BINDING_TOLERANCE = 1e-7
"""A row or column within this (relative to its size, at least 1, LP units) of a bound binds."""


def at_bound(value: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Where ``value`` sits at its finite ``lower`` or ``upper`` bound (within the tolerance)."""
    scale = np.maximum(1.0, np.abs(value))
    return (np.isfinite(lower) & (np.abs(value - lower) <= BINDING_TOLERANCE * scale)) | \
        (np.isfinite(upper) & (np.abs(value - upper) <= BINDING_TOLERANCE * scale))


@dataclass(eq=False)
class Outcome:
    """An allocation in the instance's terms, with the quantities rules are written in.

    ``x`` special fund (R, S, T) and ``y`` incentives (R, T), money_unit; ``budget`` the special
    fund per year it is judged against (the instance's, or what a ``min_budget`` answer spent);
    ``plan`` what it does with places (MODEL-v2 §11; ``None`` without places, or when the allocation
    comes without a plan of places).
    """

    params: Params
    x: np.ndarray
    y: np.ndarray
    budget: np.ndarray | None
    plan: CapacityPlan | None = None

    @cached_property
    def covered(self) -> np.ndarray:
        """Money of each cell's standard cost covered (R, S, T), money_unit: L + x, or for a service
        with places c·κ·q, the standard cost of the people served (MODEL-v2 §11)."""
        return covered(self.params, self.x, None if self.plan is None else self.plan.served)

    @cached_property
    def transfer(self) -> np.ndarray:
        """X_rt = Σ_s x_rst + y_rt (R, T), money_unit."""
        return self.x.sum(axis=1) + self.y

    @cached_property
    def resources(self) -> np.ndarray:
        """Q_rt = F_rt + X_rt (R, T), money_unit."""
        return self.params.fiscal_capacity + self.transfer

    @cached_property
    def per_capita(self) -> np.ndarray:
        """u_rt = Q_rt / P_rt (R, T), money_unit per person."""
        return self.resources / self.params.population

    @cached_property
    def national_per_capita(self) -> np.ndarray:
        """ū_t = Σ_r Q_rt / Σ_r P_rt (T,), money_unit per person."""
        return self.resources.sum(axis=0) / self.params.population.sum(axis=0)

    @cached_property
    def previous_transfer(self) -> np.ndarray | None:
        """X_r,t−1 (R, T), with X_r,0 the prior transfer; ``None`` without ``prior_transfer``."""
        prior = self.params.prior_transfer
        return None if prior is None else np.column_stack([prior, self.transfer[:, :-1]])


BISECTION_STEPS = 14
"""Bisection steps of a repair: the parameter is found to within (range)/2¹⁴."""


@dataclass(frozen=True)
class Repair:
    """Changing ``rule`` (a policy parameter's path, or ``budget``) from ``current`` to
    ``feasible``, alone, restores feasibility; ``meaning`` says what that value is."""

    rule: str
    current: float | list[float]
    feasible: float | list[float]
    meaning: str

    def as_dict(self) -> dict:
        return {"rule": self.rule, "current": self.current, "nearest_feasible": self.feasible, "meaning": self.meaning}


class Probe(Protocol):
    """What a repair may ask: the instance's parameters, whether a variant policy is feasible, and the
    least a variable block can sum to."""

    params: Params

    def feasible(self, policy: Policy) -> Outcome | None:
        """The allocation of ``policy`` on the instance, or ``None`` if it is infeasible."""

    def least(self, policy: Policy, params: Params, block: str) -> np.ndarray | None:
        """The values of variable block ``block`` (instance units, in its label order) in an
        allocation of ``policy`` on ``params`` that makes their sum least, or ``None`` if infeasible."""


class Rule:
    """A rule of the policy (MODEL.md §5): subclass it in a module of its own (see module docstring).

    Class attributes:

    ``name``            one name everywhere (LP block, diagnostics, residuals, reports).
    ``key``             the policy key that switches the rule on, or ``None`` for rules that are
                        always on (budget, incentive pool, fund ceilings, …).
    ``setting``         the pydantic type of ``key`` when this rule owns the key (declared once;
                        rules sharing a key, such as ``max_rise`` in ``hold_harmless``, leave it
                        ``None``).
    ``parameter``       dotted path of the rule's numeric parameter in the policy, or ``None``.
    ``loosens_upward``  ``True`` when a larger parameter is a looser rule (a ratio, a cap),
                        ``False`` when a smaller one is (a coverage level, a floor).
    ``scope``           what one row is about: ``year``, ``region-year``, ``cell``
                        (region × service × year) or ``bounds`` (variable bounds, no rows).
    ``links_incentives`` whether its rows hold the incentive y next to the special fund (only such
                        rules let incentives move away from the formula).
    ``binding_rows``    the row block whose rows at a bound mark the region-years it binds.
    ``bounds_of``       the variable block whose bounds are this rule (no rows of its own).
    ``description``     one line for docs/rules.md.
    ``meaning``         what the nearest feasible value of ``parameter`` means (repairs).
    """

    name: str = ""
    key: str | None = None
    setting: Any = None
    parameter: str | None = None
    loosens_upward: bool = True
    scope: str = "year"
    links_incentives: bool = False
    always_on: bool = False
    """A rule of the model itself (the budget's cells, places), on whatever the policy says."""
    binding_rows: str | None = None
    bounds_of: str | None = None
    description: str = ""
    meaning: str = ""

    def __repr__(self) -> str:
        return f"<rule {self.name}>"

    # --- the policy side -------------------------------------------------------------------------

    def setting_of(self, policy: Policy) -> Any:
        """The value of the rule's policy key (``None`` when the policy leaves it out)."""
        return getattr(policy, self.key) if self.key else None

    def value(self, policy: Policy) -> float | None:
        """The rule's parameter in ``policy``, or ``None`` when the rule is off."""
        if self.parameter is None:
            return None
        node: Any = policy
        for part in self.parameter.split("."):
            node = getattr(node, part, None)
            if node is None:
                return None
        return float(node.value if isinstance(node, Level) else node)

    def active(self, policy: Policy) -> bool:
        """Whether ``policy`` switches the rule on (always, for a rule with :attr:`always_on`)."""
        return self.always_on or self.value(policy) is not None

    def soft(self, policy: Policy) -> bool:
        """Whether the rule may bend (``soft: true`` on its setting)."""
        return bool(getattr(self.setting_of(policy), "soft", False))

    def with_value(self, policy: Policy, value: float | None) -> Policy:
        """``policy`` with the rule's parameter set to ``value`` (``None``: the rule off), validated
        like a file; raises ``ValueError`` with the schema's message when the value is refused."""
        assert self.parameter is not None
        data = policy.model_dump()
        head, *rest = self.parameter.split(".")
        if rest:
            data[head] = dict(data.get(head) or {}) | {rest[0]: value}
        elif value is None:
            data[head] = None
        else:
            data[head] = dict(data.get(head) or {}) | {"value": value}
        try:
            return type(policy).model_validate(data)
        except ValidationError as exc:
            raise ValueError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None

    def without(self, policy: Policy) -> Policy:
        """``policy`` with this rule switched off (its other settings kept)."""
        return self.with_value(policy, None)

    # --- what the rule does ----------------------------------------------------------------------

    def check(self, instance: Instance, policy: Policy) -> list[Problem]:
        """Input problems of ``instance`` under ``policy`` that make the rule impossible to build."""
        return []

    def precheck(self, p: Params, policy: Policy) -> None:
        """Raise :class:`~fiscal_opt.errors.InfeasibleError` for contradictions visible cell by cell."""

    def build(self, f: Formulation) -> None:
        """Add the rule's rows (and any variables of its own) to the LP being built."""

    def report(self, f: Formulation, values: np.ndarray) -> dict | None:
        """What the rule's own variables came to in the LP solution ``values``, for the result
        (``None``: nothing to report; the formula rule reports its weights)."""
        return None

    def residual(self, p: Params, policy: Policy, o: Outcome) -> float | None:
        """The rule's largest violation by ``o``, relative to the quantities involved (0: it holds;
        ``None``: the rule does not apply to this instance)."""
        raise NotImplementedError

    def binding(self, f: Formulation, values: np.ndarray, activity: np.ndarray) -> np.ndarray | None:
        """(R, T) mask of the region-years where the rule holds with equality in the LP solution
        ``values`` (row ``activity``), or ``None`` when the rule marks none. By default: the rows
        of :attr:`binding_rows` that sit at one of their bounds."""
        block = f.lp.row_blocks.get(self.binding_rows or "")
        if block is None or block.region is None or not block.labels:
            return None
        lower, upper = f.lp.row_bounds()
        rows = block.rows
        at = at_bound(activity[rows], lower[rows], upper[rows])
        mark = np.zeros(f.params.shape[::2], dtype=bool)
        mark[block.region[at], block.year[at]] = True
        return mark

    def loosest(self, p: Params, policy: Policy, o: Outcome) -> float:
        """A parameter value that ``o`` (found without the rule) satisfies: one end of the repair's
        bisection. Rules that loosen downwards end at 0."""
        return 0.0

    def repair(self, policy: Policy, probe: Probe) -> Repair | None:
        """The nearest feasible value of the parameter with every other rule kept: bisection between
        the current value and :meth:`loosest` of the allocation found without the rule. ``None``
        for a soft rule (it already bends) or when dropping the rule alone does not help."""
        current = self.value(policy)
        if current is None or self.parameter is None or self.soft(policy):
            return None
        relaxed = probe.feasible(self.without(policy))
        if relaxed is None:
            return None
        bad, good = current, self.loosest(probe.params, policy, relaxed)
        for _ in range(BISECTION_STEPS):
            mid = (bad + good) / 2
            if probe.feasible(self.with_value(policy, mid)) is not None:
                good = mid
            else:
                bad = mid
        return Repair(self.parameter, current, round(good, 6), self.meaning)

