"""The rule registry is the one place each rule is declared: everything else follows from it."""

from __future__ import annotations

import pytest

from conftest import REPO
from fiscal_opt.analysis.sweeps import PARAMETERS
from fiscal_opt.rules import RULES, parameters
from fiscal_opt.rules.policy import PolicyFile

DOC = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_rule_is_documented_as_it_declares_itself(rule) -> None:
    section = DOC.split(f"### `{rule.name}`\n", 1)
    assert len(section) == 2, f"docs/rules.md has no section for {rule.name}"
    body = section[1].split("\n### ", 1)[0]
    assert rule.description in body
    if rule.key:
        assert f"`{rule.key}`" in body
    if rule.parameter:
        assert f"`{rule.parameter}`" in body and rule.meaning in body


def test_names_are_unique_and_every_owned_key_is_in_the_policy_schema() -> None:
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    owned = [rule.key for rule in RULES if rule.setting is not None]
    assert len(set(owned)) == len(owned)
    assert set(owned) <= set(PolicyFile.model_fields)
    for rule in RULES:
        assert rule.key is None or rule.key in PolicyFile.model_fields, rule.name


def test_every_parameter_can_be_swept_and_set() -> None:
    assert set(parameters()) <= set(PARAMETERS)
    for path, rule in parameters().items():
        policy = rule.with_value(PolicyFile(), 0.5 if not rule.loosens_upward or "ratio" not in path else 2.0)
        assert rule.value(policy) == pytest.approx(0.5 if "ratio" not in path else 2.0)
        assert rule.active(policy) and not rule.active(rule.without(policy))


def test_a_value_the_schema_refuses_is_refused_when_set() -> None:
    with pytest.raises(ValueError, match="share"):
        parameters()["gini_max"].with_value(PolicyFile(), 1.5)
