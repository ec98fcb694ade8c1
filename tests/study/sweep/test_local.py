"""Sweeps in this process (workers=0): numbers against direct calls, layout, resume."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.study.sweep import compute
from pgweyl.study.sweep.grid import make_grid, point_seed
from pgweyl.study.sweep.integrity import JOURNAL
from pgweyl.study.sweep.store import StoreError, SweepStore
from tests.study.sweep.conftest import child_env

xr = pytest.importorskip("xarray")


def _seed(seed, values):
    return point_seed(seed, values)  # checked against SHA-256 by hand in test_grid


def test_a_point_equals_direct_calls(tiny):
    ds = pw.sweep("corridor", {"level": [5, 7], "lr": [0.5, 1.0]}, workers=0, seed=11, **tiny)
    # Point (level=7, lr=0.5) is index (1, 0): its own seed, its own env, computed directly.
    env = pw.make_env("corridor", level=7)
    maxima = pw.local_maxima(env, basin_samples=0)
    mc = pw.convergence_probabilities(
        env,
        np.zeros(2),
        0.5,
        tiny["n_updates"],
        tiny["runs"],
        seed=_seed(11, {"level": 7, "lr": 0.5}),
        maxima=maxima,
        progress=False,
    )
    chain = pw.chain_absorption(env, 0.5, grid=tiny["grid"], maxima=maxima, refine=True)
    point = ds.sel(level=7, lr=0.5)
    order = np.argsort([-m.value for m in maxima], kind="stable")
    assert point["n_maxima"].item() == len(maxima) == 2
    assert [s for s in point["support"].values] == [
        ",".join(map(str, maxima[j].support)) for j in order
    ]
    np.testing.assert_array_equal(point["value"].values, [maxima[j].value for j in order])
    np.testing.assert_array_equal(point["probability"].values, mc.probabilities[order])
    np.testing.assert_array_equal(point["ci_low"].values, mc.ci_low[order])
    np.testing.assert_array_equal(point["ci_high"].values, mc.ci_high[order])
    assert point["unresolved"].item() == mc.unresolved
    np.testing.assert_array_equal(point["chain"].values, chain.at(np.zeros(2), env)[order])
    np.testing.assert_array_equal(
        point["grid_error"].values, chain.grid_error(np.zeros(2), env)[order]
    )
    assert point["point_seed"].item() == _seed(11, {"level": 7, "lr": 0.5})
    assert point["global_maximum"].item() == 0 and bool(point["done"])
    # Different points have different streams: the other lr at the same level differs.
    assert ds.sel(level=7, lr=1.0)["point_seed"].item() != point["point_seed"].item()


def test_theta0_param_and_its_labels(tiny):
    ds = pw.sweep(
        "corridor:level=6", {"theta0": [(0, 0), (1.5, -0.5)]}, workers=0, method="chain", **tiny
    )
    assert list(ds.theta0.values) == ["0.0,0.0", "1.5,-0.5"]
    env = pw.make_env("corridor", level=6)
    maxima = pw.local_maxima(env, basin_samples=0)
    chain = pw.chain_absorption(env, 1.0, grid=tiny["grid"], maxima=maxima, refine=True)
    got = ds["chain"].sel(theta0="1.5,-0.5").values
    np.testing.assert_array_equal(got, chain.at(np.array([1.5, -0.5]), env))
    assert got[0] > ds["chain"].sel(theta0="0.0,0.0").values[0]  # tilted towards maximum 0
    assert np.isnan(ds["probability"].values).all()  # method chain: no Monte Carlo


def test_maxima_are_padded_and_labelled_by_value(tiny, tmp_path):
    # corridor level 3 (trap_distance 2): one maximum; level 6: treasure and trap.
    ds = pw.sweep(
        "corridor", {"level": [3, 6]}, store=tmp_path / "s.zarr", workers=0, method="mc", **tiny
    )
    assert ds.sizes["maximum"] == 2 and ds["n_maxima"].values.tolist() == [1, 2]
    assert np.isnan(ds["probability"].sel(level=3, maximum=1).item())
    assert np.isnan(ds["value"].sel(level=3, maximum=1).item())
    assert ds["support"].sel(level=3).values.tolist() == ["0", ""]
    v = ds["value"].sel(level=6).values
    assert v[0] > v[1]  # best first
    assert np.isnan(ds["chain"].values).all()  # method mc
    attrs = ds.attrs
    assert attrs["env_spec"] == "corridor" and attrs["rule"] == "vanilla"
    assert json.loads(attrs["params"]) == {"level": [3, 6]}
    settings = json.loads(attrs["settings"])
    assert settings["n_runs"] == tiny["runs"] and settings["n_updates"] == tiny["n_updates"]
    assert attrs["pgweyl_version"] == pw.__version__
    versions = json.loads(attrs["versions"])
    assert {"pgweyl", "numpy", "numba", "dask", "xarray", "zarr"} <= set(versions)


def _reset(path, points):
    """Mark some points as not done and wipe their data, as an interrupted sweep would."""
    names = ("probability", "chain", "value", "unresolved")
    for index in points:
        region = {"level": slice(index[0], index[0] + 1), "lr": slice(index[1], index[1] + 1)}
        ds = xr.Dataset(
            {
                **{n: (("level", "lr", "maximum"), np.full((1, 1, 2), np.nan)) for n in names[:3]},
                "unresolved": (("level", "lr"), np.full((1, 1), np.nan)),
                "done": (("level", "lr"), np.zeros((1, 1), dtype=bool)),
            }
        )
        ds.to_zarr(path, region={**region, "maximum": slice(0, 2)}, mode="r+")
    # Nor has an interrupted sweep written their journal lines.
    journal = Path(path) / JOURNAL
    drop = tuple(f"{i},{j} " for i, j in points)
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("".join(ln for ln in lines if not ln.startswith(drop)))


def test_resume_computes_only_missing_points(tiny, tmp_path, monkeypatch):
    params = {"level": [5, 6], "lr": [0.5, 1.0]}
    full = pw.sweep("corridor", params, store=tmp_path / "a.zarr", workers=0, **tiny).load()
    shutil.copytree(tmp_path / "a.zarr", tmp_path / "b.zarr")
    _reset(str(tmp_path / "b.zarr"), [(0, 1), (1, 0)])
    partial = pw.open_sweep(tmp_path / "b.zarr").load()
    assert partial["done"].values.tolist() == [[True, False], [False, True]]
    assert np.isnan(partial["probability"].values[0, 1]).all()
    calls = []
    real = compute.compute_point

    def counting(task, *a):
        calls.append(task.index)
        return real(task, *a)

    monkeypatch.setattr("pgweyl.study.sweep.engine.compute_point", counting)
    resumed = pw.sweep("corridor", params, store=tmp_path / "b.zarr", workers=0, **tiny).load()
    assert sorted(calls) == [(0, 1), (1, 0)]
    xr.testing.assert_identical(resumed, full)
    calls.clear()
    again = pw.sweep("corridor", params, store=tmp_path / "b.zarr", workers=0, **tiny).load()
    assert calls == []  # everything done: nothing runs, no cluster starts
    xr.testing.assert_identical(again, full)


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"runs": 300}, "settings.n_runs = 200, this sweep has 300"),
        ({"seed": 1}, "settings.seed"),
        ({"lr": 0.5}, "settings.lr"),
        ({"params": {"level": [5, 7]}}, "params.level"),
        ({"params": {"level": [5], "lr": [1.0]}}, "params.lr"),
        ({"env_spec": "corridor:trap_distance=3"}, "env.knobs.trap_distance"),
    ],
)
def test_resume_with_other_settings_is_refused(change, fragment, tiny, tmp_path):
    store = tmp_path / "s.zarr"
    pw.sweep("corridor", {"level": [5]}, store=store, workers=0, method="mc", **tiny)
    kwargs = {"env_spec": "corridor", "params": {"level": [5]}, **tiny, "method": "mc"}
    kwargs.update(change)
    with pytest.raises(StoreError, match=fragment.replace(".", r"\.")):
        pw.sweep(store=store, client="tcp://127.0.0.1:9", **kwargs)


def test_in_memory_equals_store_and_progress_lines(tiny, tmp_path, capsys):
    params = {"level": [5, 6]}
    kw = {**tiny, "progress": "lines", "method": "mc"}
    mem = pw.sweep("corridor", params, workers=0, **kw)
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 2 and lines[0].startswith("[1/2] level=5: 2 maxima, P(global) MC")
    disk = pw.sweep("corridor", params, store=tmp_path / "s.zarr", workers=0, **kw).load()
    xr.testing.assert_identical(mem, disk)
    capsys.readouterr()
    pw.sweep("corridor", {"level": [7]}, workers=0, **{**kw, "progress": False})
    assert capsys.readouterr().err == ""


def test_open_sweep_errors(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        pw.open_sweep(tmp_path / "none.zarr")
    (tmp_path / "x.zarr").mkdir()
    with pytest.raises(StoreError, match="not a pgweyl sweep store"):
        pw.open_sweep(tmp_path / "x.zarr")


def test_a_store_too_small_for_a_point_is_refused(tiny, tmp_path):
    grid = make_grid("corridor", {"level": [6]}, runs=10, n_updates=10)
    store = SweepStore.create(tmp_path / "s.zarr", grid, n_max=1)
    result = {"index": (0,), "n_maxima": 2, "support": ["0", "1"]}
    with pytest.raises(StoreError, match="room for 1"):
        store.write(result)


def test_import_pgweyl_stays_light_and_sweep_is_a_plain_function():
    code = (
        "import sys, pgweyl as pw\n"
        "heavy = [m for m in ('dask', 'distributed', 'xarray', 'zarr') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "import pgweyl.study.sweep.grid, pgweyl.cli.sweep\n"
        "heavy = [m for m in ('dask', 'distributed', 'xarray', 'zarr') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "import types, pgweyl.study.sweep as s\n"
        "assert type(pw.sweep) is types.FunctionType and pw.sweep is s.sweep\n"
        "assert pw.open_sweep is s.open_sweep\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env()
    )
    assert r.returncode == 0, r.stderr


def test_workers_with_other_versions_are_reported(tiny, monkeypatch):
    monkeypatch.setattr(
        "pgweyl.study.sweep.engine.numeric_versions",
        lambda: {"pgweyl": "0.0.0", "numpy": np.__version__, "numba": "0"},
    )
    with pytest.warns(RuntimeWarning, match=r"other versions \(pgweyl .* \(here 0\.0\.0\)"):
        pw.sweep("corridor", {"level": [5, 6]}, workers=0, method="mc", **tiny)
