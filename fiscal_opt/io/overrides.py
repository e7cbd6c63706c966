"""Overrides (``--set budget.special_fund=30000``): changes to a file's data before it is validated.

A key is a dotted path into the file as written (``budget.special_fund``, ``incentive.flexibility``,
``services.health.unit_cost``, ``regions.0.population`` or ``regions[0].population``, a year as
``budget.special_fund.2025``); a value is YAML, read as the files are (``30000``, ``0.6``,
``true``, ``{2025: 30000, 2026: 31000}``). A key that no file may hold is refused with a "did you
mean"; a key the file does not have yet is added where the file may have it. Problems with a value
set so are reported as ``--set KEY=VALUE``, not as a line of the file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InputError, Problem
from .yamlfile import Lines, Location, format_location, parse_yaml, shown

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``["a.b=1", "c=x"]`` (repeated ``--set`` options) → ``{"a.b": "1", "c": "x"}``."""
    out: dict[str, str] = {}
    problems = []
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            problems.append(Problem(f"--set {item}", "", "expected KEY=VALUE, as in --set budget.special_fund=30000"))
        elif key.strip() in out:
            problems.append(Problem(f"--set {item}", "", f"`{key.strip()}` is set twice; set it once"))
        else:
            out[key.strip()] = value.strip()
    if problems:
        raise InputError(problems)
    return out


def key_path(key: str) -> Location:
    """``regions[0].population`` or ``regions.0.population`` → ``('regions', 0, 'population')``."""
    parts: list[str | int] = []
    for segment in key.split("."):
        matches = list(_PART.finditer(segment))
        if not segment or "".join(m.group(0) for m in matches) != segment:
            raise ValueError(key)
        for match in matches:
            text = match.group(1) if match.group(1) is not None else match.group(2)
            parts.append(int(text) if re.fullmatch(r"0|[1-9][0-9]{0,17}", text) else text)
    return tuple(parts)


POLICY = "policy."
"""The prefix of an instance's override that changes its policy (``policy.min_coverage``)."""


def split_policy(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Overrides of the instance, and those of its policy file (``policy.…``)."""
    return ({k: v for k, v in overrides.items() if not k.startswith(POLICY)},
            {k: v for k, v in overrides.items() if k.startswith(POLICY)})


def _value(key: str, value: Any, option: str) -> tuple[Any, str | None]:
    """An override's value, and what YAML 1.1 would have read its text as (see :class:`Lines`)."""
    if not isinstance(value, str):
        return value, None
    try:
        data, lines = parse_yaml(value, option)
    except InputError as exc:
        raise InputError([Problem(option, key, p.message) for p in exc.problems]) from None
    return data, lines.notes.get(())


def apply(data: Any, overrides: Mapping[str, Any], allowed_keys: Callable[[Location], set[str]], lines: Lines,
          strip: str = "") -> dict[str, str]:
    """Set each override in ``data`` (in place; notes on their values go to ``lines``); returns
    the key path of each (as messages write it) → how to name it (``--set KEY=VALUE``).
    ``allowed_keys`` gives the keys a file may hold at a key path (empty where the keys are the
    user's own: services, region columns, years); ``strip`` is taken off each key first (the
    ``policy.`` of an instance's override of its policy file)."""
    named: dict[str, str] = {}
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return named  # not the keys of a file: validation says so
    for key, raw in overrides.items():
        option = f"--set {key}={raw}"
        try:
            path = key_path(key.removeprefix(strip))
        except ValueError:
            problems.append(Problem(option, "", f"`{key}` is not a key path; write it as in budget.special_fund or "
                                    "regions.0.population"))
            continue
        try:
            value, note = _value(key, raw, option)
            _set(data, path, value, allowed_keys, option, "the policy file" if strip else "the file")
        except InputError as exc:
            problems += exc.problems
            continue
        if note is not None:
            lines.notes[path] = note
        named[format_location(path)] = option
    if problems:
        raise InputError(problems)
    return named


def _set(data: Any, path: Location, value: Any, allowed_keys: Callable[[Location], set[str]], option: str,
         top: str) -> None:
    node = data
    for depth, part in enumerate(path):
        here, last = path[:depth], depth == len(path) - 1
        where = f"`{format_location(here)}`" if here else top
        if isinstance(node, list):
            if not isinstance(part, int) or part >= len(node):
                raise InputError(Problem(option, format_location(path), f"{where} is a list of {len(node)}: give "
                                         f"an index from 0 to {len(node) - 1}" if node else f"{where} is empty"))
        elif isinstance(node, dict):
            if part not in node:
                allowed = allowed_keys(here)
                if (allowed and str(part) not in allowed) or (not allowed and not last):
                    names = sorted({str(k) for k in node} | allowed)
                    close = difflib.get_close_matches(str(part), names, n=1, cutoff=0.6)
                    hint = f"; did you mean `{close[0]}`?" if close else (
                        f"; {where} has {', '.join(f'`{n}`' for n in names)}" if names and len(names) <= 12 else "")
                    raise InputError(Problem(option, format_location(path), f"unknown key `{part}` in {where}{hint}"))
                if not last:
                    node[part] = {}
        else:
            raise InputError(Problem(option, format_location(path), f"{where} is {shown(node)}, not a mapping: set "
                                     f"`{format_location(here)}` as a whole"))
        if last:
            node[part] = value
        else:
            node = node[part]


def attribute(problems: list[Problem], named: Mapping[str, str]) -> list[Problem]:
    """Problems with a value that an override set, named by the override instead of a line."""
    if not named:
        return problems
    out = []
    for problem in problems:
        option = next((o for path, o in named.items() if problem.path == path
                       or problem.path.startswith((path + ".", path + "["))), None)
        out.append(problem if option is None else Problem(option, problem.path, problem.message))
    return out
