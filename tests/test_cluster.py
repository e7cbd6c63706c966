"""The executors: chains run in order with their state, on this process, on local processes and on a
real Dask cluster (scheduler and worker processes on loopback), which gives the local answers draw
for draw, and loses and duplicates no draw when a worker is killed in the middle of a run."""

from __future__ import annotations

import logging
import os
import signal

import numpy as np
import pandas as pd
import pytest
import yaml

import fiscal_opt as fo
from fiscal_opt.errors import Problem
from fiscal_opt.analysis.executor import SCHEDULER_VARIABLE, DaskExecutor, LocalExecutor, make_executor
from fiscal_opt.analysis.scenarios import run_scenarios
from fiscal_opt.generate.synthetic import generate_instance, write_instance
from fiscal_opt.io.scenario import load_scenario

distributed = pytest.importorskip("distributed")


def _step(context: int, item: int, state: int | None) -> tuple[tuple[int, int, int], int]:
    """A chain step: the item, the state it was handed, a value of the context; the next state."""
    seen = -1 if state is None else state
    return (item, seen, context * item), item


CHAINS = [[1, 2, 3], [], [10], [20, 21]]
EXPECTED = [[(1, -1, 7), (2, 1, 14), (3, 2, 21)], [], [(10, -1, 70)], [(20, -1, 140), (21, 20, 147)]]


def _cluster() -> distributed.LocalCluster:
    return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=":0", silence_logs=logging.ERROR)


@pytest.fixture(scope="module")
def cluster():
    with _cluster() as running:
        yield running


@pytest.fixture(scope="module")
def counties(tmp_path_factory):
    """300 regions over 3 years under min_coverage and the floor, and a scenario of migrants and budget."""
    folder = tmp_path_factory.mktemp("cluster")
    inst = fo.load_instance(write_instance(generate_instance(300, years=3, seed=2), folder))
    (folder / "policy.yaml").write_text(yaml.safe_dump({"name": "rules", "min_coverage": 0.5,
                                                        "per_capita_floor": 0.6}), encoding="utf-8")
    (folder / "scenario.yaml").write_text(yaml.safe_dump({
        "name": "migrants", "seed": 8,
        "uncertain": {"migrants": {"distribution": "lognormal", "mean": 1.0, "sd": 0.15, "by": "region",
                                   "correlation": 0.5},
                      "budget": {"distribution": "uniform", "low": 0.97, "high": 1.1}}}), encoding="utf-8")
    return inst, fo.load_policy(folder / "policy.yaml"), load_scenario(folder / "scenario.yaml")


@pytest.mark.parametrize("workers", [1, 2])
def test_local_chains_run_in_order_with_their_state(workers):
    ticks = []
    assert LocalExecutor(workers).run(_step, 7, CHAINS, lambda: ticks.append(1)) == EXPECTED
    assert len(ticks) == 6


def test_dask_chains_run_in_order_with_their_state(cluster):
    executor = DaskExecutor(cluster.scheduler_address)
    try:
        ticks = []
        assert executor.run(_step, 7, CHAINS, lambda: ticks.append(1)) == EXPECTED
        assert len(ticks) == 6 and executor.workers == 2
    finally:
        executor.close()


def test_the_scheduler_comes_from_the_option_or_the_environment(cluster, monkeypatch):
    monkeypatch.setenv(SCHEDULER_VARIABLE, cluster.scheduler_address)
    chosen = make_executor()
    try:
        assert isinstance(chosen, DaskExecutor) and chosen.address == cluster.scheduler_address
    finally:
        chosen.close()
    assert isinstance(make_executor(workers=2), LocalExecutor)  # --workers means this machine
    monkeypatch.delenv(SCHEDULER_VARIABLE)
    assert isinstance(make_executor(), LocalExecutor) and make_executor(cell_solves=10).workers == 1
    with pytest.raises(fo.InputError, match="cannot reach the Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=1)


def _refuse(context: None, item: int, state: None) -> tuple[None, None]:
    raise fo.InputError(Problem("scenario.yaml", f"draw {item}", "is refused", 3))


@pytest.mark.parametrize("where", ["local", "dask"])
def test_an_error_in_a_task_reaches_the_caller_whole(cluster, where):
    executor = LocalExecutor(2) if where == "local" else DaskExecutor(cluster.scheduler_address)
    try:
        with pytest.raises(fo.InputError) as err:
            executor.run(_refuse, None, [[1], [2]])
    finally:
        executor.close()
    assert err.value.problems in ([Problem("scenario.yaml", "draw 1", "is refused", 3)],
                                  [Problem("scenario.yaml", "draw 2", "is refused", 3)])


def test_the_cluster_gives_the_local_answers_draw_for_draw(cluster, counties):
    inst, policy, scenario = counties
    local = run_scenarios(inst, policy, scenario, 10)
    executor = DaskExecutor(cluster.scheduler_address)
    try:
        remote = run_scenarios(inst, policy, scenario, 10, executor=executor)
    finally:
        executor.close()
    pd.testing.assert_frame_equal(remote.draws, local.draws)
    pd.testing.assert_frame_equal(remote.regions, local.regions)
    assert remote.summary == local.summary


def test_a_sweep_on_the_cluster_gives_the_local_answers(cluster, counties):
    inst, policy, _ = counties
    values = np.linspace(0.95, 1.2, 6)
    local = fo.sweep(inst, policy, "budget", values, relative=True)
    executor = DaskExecutor(cluster.scheduler_address)
    try:
        remote = fo.sweep(inst, policy, "budget", values, relative=True, executor=executor)
    finally:
        executor.close()
    assert list(remote["status"]) == list(local["status"])
    for column in ("objective", "weighted_shortfall", "gini", "budget_shadow_price"):
        assert np.allclose(remote[column].astype(float), local[column].astype(float), rtol=1e-6, atol=1e-6), column


def test_a_worker_killed_mid_run_loses_and_duplicates_no_draw(counties):
    inst, policy, scenario = counties
    draws = 40
    with _cluster() as cluster:
        executor = DaskExecutor(cluster.scheduler_address)
        try:
            pids = executor.client.run(os.getpid)
            killed: dict = {}
            done = []

            def kill_one() -> None:
                done.append(1)
                if len(done) == 4 and not killed:  # a few draws in: kill a worker that holds a running draw
                    busy = {w: keys for w, keys in executor.client.processing().items() if keys}
                    victim = sorted(busy)[0]
                    killed.update(worker=victim, keys=list(busy[victim]))
                    os.kill(pids[victim], signal.SIGKILL)

            result = run_scenarios(inst, policy, scenario, draws, executor=executor, progress=kill_one)
            after = executor.client.run(os.getpid)
        finally:
            executor.close()
    assert killed["keys"], "the killed worker held no draw"
    assert pids[killed["worker"]] not in after.values()  # that process is gone; its nanny started another
    assert len(done) == draws
    counts = result.draws.groupby("draw").size()
    assert list(counts.index) == list(range(1, draws + 1)) and (counts == len(inst.years)).all()
    local = run_scenarios(inst, policy, scenario, draws)
    pd.testing.assert_frame_equal(result.draws, local.draws)
    pd.testing.assert_frame_equal(result.regions, local.regions)
