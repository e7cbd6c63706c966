"""Shared fixtures: small instances written as real files, so every test goes through the loader."""

from __future__ import annotations

import copy
import os
import subprocess
import traceback
from pathlib import Path
from typing import Any

import pytest
import yaml

import fiscal_opt as fo

REPO = Path(__file__).resolve().parents[1]


def two_regions(**policy: Any) -> dict[str, Any]:
    """Two regions, one service with standard cost 100 yuan each, no local funding, budget 100.

    A has half its residents migrants (priority 1.5), B none (priority 1); fiscal capacity 100
    each, so fiscal difficulty is 0 for both.
    """
    return {
        "name": "two-regions",
        "money_unit": "yuan",
        "regions": [
            {"id": "A", "population": 100, "migrants": 50, "fiscal_capacity": 100},
            {"id": "B", "population": 100, "migrants": 0, "fiscal_capacity": 100},
        ],
        "services": {"basic": {"driver": "population", "unit_cost": 1}},
        "budget": {"special_fund": 100},
        "policy": {"name": "test", **policy},
    }


def write_instance(tmp_path: Path, spec: dict[str, Any], name: str = "instance.yaml") -> Path:
    """Write ``spec`` as YAML into ``tmp_path`` and return the path."""
    path = tmp_path / name
    path.write_text(yaml.safe_dump(copy.deepcopy(spec), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def solve_spec(tmp_path: Path):
    """Write a spec, load it through the loader and solve it."""
    def run(spec: dict[str, Any], **kwargs: Any) -> fo.Result:
        return fo.solve(fo.load_instance(write_instance(tmp_path, spec)), **kwargs)
    return run


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Run ``fiscal-opt ARGS`` in this process (typer's CliRunner) from ``cwd``, as a finished
    process: exit code, standard output and standard error. An exception escaping the command is
    a traceback a user would have seen: it fails the test."""
    from typer.testing import CliRunner

    from fiscal_opt.cli import app

    before = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args))
    finally:
        os.chdir(before)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError("the command ended in a traceback:\n" + "".join(
            traceback.format_exception(result.exception)))
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)
