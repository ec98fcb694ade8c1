"""A real Dask LocalCluster (2 worker processes) gives the same bits as this process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pgweyl as pw
from tests.study.sweep.conftest import ROOT

distributed = pytest.importorskip("distributed")
xr = pytest.importorskip("xarray")


@pytest.fixture(scope="module")
def client():
    # Workers inherit this environment: make them import this checkout's pgweyl.
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "NUMBA_NUM_THREADS")}
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + [p for p in (saved["PYTHONPATH"] or "").split(os.pathsep) if p]
    )
    os.environ["NUMBA_NUM_THREADS"] = "1"
    try:
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster) as c,
        ):
            yield c
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_workers_import_this_pgweyl(client):
    files = client.run(lambda: __import__("pgweyl").__file__)
    assert len(files) == 2
    for f in files.values():
        assert Path(f).resolve() == (ROOT / "pgweyl" / "__init__.py").resolve()


def test_local_cluster_is_bit_identical_to_this_process(client, tiny, tmp_path):
    # Two environments with different numbers of maxima, two step sizes, a 2-D chain.
    params = {"level": [3, 6], "lr": [0.5, 1.0]}
    here = pw.sweep("corridor", params, store=tmp_path / "here.zarr", workers=0, **tiny).load()
    there = pw.sweep(
        "corridor", params, store=tmp_path / "there.zarr", client=client, **tiny
    ).load()
    xr.testing.assert_identical(here, there)
    assert here["done"].all() and here["n_maxima"].values.tolist() == [[1, 1], [2, 2]]
    # The numbers are not all equal (a broken seed or a constant would pass the above).
    p = here["probability"].sel(level=6, maximum=0).values
    assert p[0] != p[1] and 0 < p.max() < 1
    tri = {"level": [5]}
    kw = {**tiny, "runs": 50, "grid": 11}
    a = pw.sweep("triangle", tri, workers=0, **kw)
    b = pw.sweep("triangle", tri, client=client, **kw)
    xr.testing.assert_identical(a, b)
    assert a["chain"].notnull().any()


def test_default_local_cluster_of_the_sweep(tiny, monkeypatch):
    # client=None, workers=2: pw.sweep starts (and stops) its own LocalCluster.
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    params = {"level": [5, 6]}
    kw = {**tiny, "method": "mc"}
    xr.testing.assert_identical(
        pw.sweep("corridor", params, workers=2, **kw),
        pw.sweep("corridor", params, workers=0, **kw),
    )


def _diagnostics(dask_worker):
    """The worker's periodic callbacks (name → milliseconds between calls)."""
    return {name: pc.callback_time for name, pc in dask_worker.periodic_callbacks.items()}


def test_own_cluster_runs_without_dask_diagnostics(client, monkeypatch):
    # The sweep's own LocalCluster drops Dask's dashboard diagnostics (engine.QUIET_CLUSTER:
    # the statistical profiler, a 20 ms tick); a cluster made by the user keeps them, and
    # so does the user's config once the sweep's cluster is up.
    import dask

    from pgweyl.study.sweep import engine

    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    theirs = next(iter(client.run(_diagnostics).values()))
    assert "profile" in theirs and theirs["tick"] == 20  # Dask's defaults: the test can fail
    with engine._cluster(None, 1) as own:
        ours = next(iter(own.run(_diagnostics).values()))
        assert dask.config.get("distributed.worker.profile.enabled") is True
    assert "profile" not in ours and "profile-cycle" not in ours
    assert ours["tick"] == 1000 and ours["memory_monitor"] == 500
    assert "heartbeat" in ours  # the scheduler still hears from the worker
