"""Validate a file of any kind fiscal-opt reads (``fiscal-opt validate``): an instance, a policy or
a scenario file, told apart by their keys."""

from __future__ import annotations

from pathlib import Path

from .check import check
from .instance import Policy
from .load import load_instance, load_policy
from .scenario import load_scenario
from .yamlfile import read_yaml


def load_any(path: str | Path) -> tuple[str, tuple[str, ...]]:
    """Validate an instance, a policy or a scenario file (told apart by their keys: a scenario file
    has a ``seed``); returns which it was and the loader's notes on it. An instance is checked
    against its own policy too (:func:`fiscal_opt.io.check.check`), so that what ``solve`` would
    refuse, ``validate`` refuses."""
    path = Path(path)
    data, _ = read_yaml(path)
    keys = set(data) if isinstance(data, dict) else set()
    policy_file = isinstance(data, dict) and not ({"services", "regions", "regions_csv", "budget"} & keys)
    del data  # read again below: never hold a large file twice
    if policy_file and "seed" in keys:
        load_scenario(path)
        return "scenario", ()
    if policy_file:
        load_policy(path)
        return "policy", ()
    instance = load_instance(path)
    check(instance, instance.policy or Policy())
    return "instance", instance.notes
