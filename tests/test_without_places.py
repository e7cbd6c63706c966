"""Without places or flows of people an instance gives the answer it gave before them (MODEL-v2 §11:
"a service without capacity ... is exactly v1 or §10").

``tests/golden/answers.npz`` holds the special fund and incentives of every shipped instance
without places under its own policy and every policy in ``models/``, as solved by code without places
and migration (first at commit 756d27f; after the model v2 policies, by branch main at commit
add1c0b, whose answers for the ``v1-*`` copies equal 756d27f's for the old policies exactly);
every pair is solved again here and compared to 10⁻⁹. When a
shipped instance or policy changes on purpose, write the file again with
``FISCAL_OPT_UPDATE_GOLDEN=1 python -m pytest tests/test_without_places.py`` (or run this file with
``python tests/test_without_places.py``, which uses whichever ``fiscal_opt`` Python imports) and
say in the commit why the answers moved.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
ANSWERS = Path(__file__).with_name("golden") / "answers.npz"
TOLERANCE = 1e-9


def pairs() -> list[tuple[Path, Path | None]]:
    """Every shipped instance without places × (its own policy and each policy of models/)."""
    import yaml

    instances = []
    for path in sorted((REPO / "instances").glob("*.yaml")):
        services = yaml.safe_load(path.read_text(encoding="utf-8"))["services"]
        if not any("capacity" in service for service in services.values()):
            instances.append(path)
    policies: list[Path | None] = [None, *sorted((REPO / "models").glob("*.yaml"))]
    return [(i, p) for i in instances for p in policies]


def key(instance: Path, policy: Path | None) -> str:
    return f"{instance.stem}|{'own' if policy is None else policy.stem}"


def answer(instance: Path, policy: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """Special fund (R, S, T) and incentives (R, T) of the pair, money_unit."""
    import fiscal_opt as fo

    inst = fo.load_instance(instance)
    result = fo.solve(inst, fo.load_policy(policy) if policy else inst.policy)
    return result.solution.special_fund, result.solution.incentive


def write() -> None:
    arrays = {}
    for instance, policy in pairs():
        x, y = answer(instance, policy)
        arrays[key(instance, policy) + "|x"], arrays[key(instance, policy) + "|y"] = x, y
    np.savez_compressed(ANSWERS, **arrays)


@pytest.fixture(scope="module")
def stored() -> dict[str, np.ndarray]:
    if os.environ.get("FISCAL_OPT_UPDATE_GOLDEN"):
        write()
    with np.load(ANSWERS) as data:
        return dict(data)


def test_every_shipped_pair_has_a_stored_answer(stored) -> None:
    assert len(pairs()) >= 12
    missing = [key(i, p) for i, p in pairs() if key(i, p) + "|x" not in stored]
    assert not missing, f"no stored answer for {missing}: write tests/golden/answers.npz again (module docstring)"


@pytest.mark.parametrize("pair", pairs(), ids=lambda pair: key(*pair))
def test_the_answer_is_the_one_before_places(pair, stored) -> None:
    name = key(*pair)
    if name + "|x" not in stored:
        pytest.skip(f"{name}: no stored answer (the test above says so)")
    x, y = answer(*pair)
    for got, want in ((x, stored[name + "|x"]), (y, stored[name + "|y"])):
        assert got.shape == want.shape
        assert np.all(np.abs(got - want) <= TOLERANCE * np.maximum(1.0, np.abs(want))), \
            f"{name}: largest difference {np.abs(got - want).max():.3g}"


if __name__ == "__main__":
    sys.exit(write())
