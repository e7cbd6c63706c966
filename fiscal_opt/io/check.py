"""Every cross-check of an instance against a policy, in one place, before any model is built.

The loader checks each file on its own; what only the two together decide — a budget the
objective needs, the Gini rule's region limit, the prior transfer that hold-harmless compares
with — is asked of each active rule here (:meth:`~fiscal_opt.rules.base.Rule.check`), so that
``fiscal-opt validate`` and ``solve`` refuse the same inputs with the same messages.
"""

from __future__ import annotations

from ..errors import InputError, Problem
from .instance import Instance, Policy
from ..rules import active_rules


def problems(instance: Instance, policy: Policy) -> list[Problem]:
    """Every problem of ``instance`` under ``policy`` (each named once)."""
    found = [problem for rule in active_rules(policy) for problem in rule.check(instance, policy)]
    return list(dict.fromkeys(found))


def check(instance: Instance, policy: Policy) -> None:
    """Raise :class:`~fiscal_opt.errors.InputError` listing every problem of the pair, if any."""
    found = problems(instance, policy)
    if found:
        raise InputError(found)
