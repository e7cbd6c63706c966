"""How rules name what they find in messages: ``rule[label]``, and long lists cut short."""

from __future__ import annotations

SHOWN = 12
"""At most this many offending elements are named in a message."""


def named(rule: str, label: tuple) -> str:
    """``rule[a,b,c]``: a rule's row (or a column's bound) as diagnostics name it."""
    return f"{rule}[{','.join(str(v) for v in label)}]"


def listing(items: list[str]) -> str:
    """The first :data:`SHOWN` items, and how many more there are."""
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")
