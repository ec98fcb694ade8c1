"""The store as third parties see it (CF attributes, plain xarray, file count) and its
extension along any param (new points equal a fresh sweep over their values)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.study.sweep.grid import make_grid
from pgweyl.study.sweep.integrity import JOURNAL
from pgweyl.study.sweep.store import (
    SHARD_POINTS,
    VARIABLE_ATTRS,
    StoreError,
    SweepStore,
    shard_shape,
)
from tests.study.sweep.conftest import child_env

xr = pytest.importorskip("xarray")

#: Cheap points (Monte Carlo only, few short runs): these tests are about the store.
CHEAP = {"runs": 40, "n_updates": 300, "method": "mc", "progress": False, "workers": 0}


def _files(path) -> int:
    return sum(len(files) for _, _, files in os.walk(path))


def test_plain_xarray_sees_the_meaning_of_every_variable(tmp_path):
    store = tmp_path / "s.zarr"
    pw.sweep("corridor", {"level": [4, 5], "theta0": [(0, 0), (1, -1)]}, store=store, **CHEAP)
    # A reader that has never heard of pgweyl: xarray alone, in a fresh interpreter.
    code = (
        "import json, sys, warnings\n"
        "warnings.simplefilter('error')\n"
        "import xarray as xr\n"
        f"ds = xr.open_zarr({str(store)!r})\n"
        "assert not [m for m in sys.modules if m.startswith('pgweyl')]\n"
        "out = {n: dict(v.attrs) for n, v in ds.variables.items()}\n"
        "out['.'] = dict(ds.attrs)\n"
        "out['.support'] = ds.support.sel(level=5).values.tolist()\n"
        "print(json.dumps(out, default=str))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env(), cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    attrs = json.loads(r.stdout)
    names = set(attrs) - {".", ".support"}
    assert {"probability", "ci_low", "ci_high", "chain", "done", "level", "theta0"} <= names
    assert "maximum" in names and "point_seed" in names
    for name in names:
        a = attrs[name]
        assert a.get("long_name") and a.get("units") == "1" and a.get("description"), name
    for end in ("ci_low", "ci_high"):
        assert attrs[end]["method"] == "Wilson score"
        assert attrs[end]["confidence_level"] == 0.95
    top = attrs["."]
    assert top["Conventions"] == "CF-1.10"
    prov = json.loads(top["provenance"])
    assert prov["pgweyl_version"] == pw.__version__ and prov["env_spec"] == "corridor"
    assert prov["settings"]["n_runs"] == CHEAP["runs"] and prov["params"]["level"] == [4, 5]
    assert attrs[".support"] == [["0", "1"], ["0", "1"]]


def test_shards_hold_many_points():
    assert shard_shape((200,)) == (200,)
    assert shard_shape((3, 5000)) == (1, SHARD_POINTS)
    assert shard_shape((40, 10, 5)) == (5, 10, 5)
    assert int(np.prod(shard_shape((33, 77, 9)))) <= SHARD_POINTS


@pytest.mark.slow  # 200 shard writes: ~15 s on a shared machine
def test_a_200_point_store_has_fewer_than_200_files(tmp_path):
    # 200 points written one at a time, as a sweep writes them (values from a direct
    # computation are not the point here: the layout on disk is).
    grid = make_grid(
        "corridor:level=4", {"lr": [0.1 * k for k in range(1, 21)], "eps": [0.01 * k for k in
        range(1, 11)]}, runs=1, n_updates=1,
    )  # fmt: skip
    assert grid.size == 200
    store = SweepStore.create(tmp_path / "s.zarr", grid, n_max=2)
    empty = _files(tmp_path / "s.zarr")
    assert (tmp_path / "s.zarr" / JOURNAL).read_text() == ""  # counted in ``empty``
    rng = np.random.default_rng(0)
    for index in grid.indices():
        p = rng.random(2)
        store.write(
            {
                "index": index,
                "n_maxima": 2,
                **{k: p for k in ("probability", "ci_low", "ci_high", "chain", "grid_error")},
                "value": np.array([0.9, 0.4]),
                "support": ["0", "1"],
                "unresolved": 0.0,
                "global_maximum": 0,
                "point_seed": grid.task(index).settings.seed,
            }
        )
    files = _files(tmp_path / "s.zarr")
    # One shard file per variable (every one stored, fill values too); the journal is
    # there, empty, from the store's creation (a store stopped before its first point is
    # whole).
    assert files < 200 and files - empty == len(VARIABLE_ATTRS)
    ds = pw.open_sweep(tmp_path / "s.zarr").load()
    assert bool(ds.done.all()) and ds.point_seed.values[3, 7] == grid.task((3, 7)).settings.seed
    assert ds.support.values[19, 9].tolist() == ["0", "1"]


@pytest.mark.slow
def test_extension_equals_a_fresh_sweep(tmp_path, monkeypatch):
    store = tmp_path / "s.zarr"
    params = {"level": [5, 6], "lr": [0.5]}
    first = pw.sweep("corridor", params, store=store, seed=4, **CHEAP).load()
    calls = []
    real = pw.study.sweep.compute.compute_point

    def counting(task, *a):
        calls.append(task.index)
        return real(task, *a)

    monkeypatch.setattr("pgweyl.study.sweep.engine.compute_point", counting)
    # Level 3 has one maximum (fewer than the stored 2); two params grow at once.
    grown = pw.sweep(
        "corridor", params, store=store, seed=4, extend={"level": [3], "lr": [1.0]}, **CHEAP
    ).load()
    assert sorted(calls) == [(0, 1), (1, 1), (2, 0), (2, 1)]  # only the new points ran
    assert grown.level.values.tolist() == [5, 6, 3] and grown.lr.values.tolist() == [0.5, 1.0]
    xr.testing.assert_equal(grown.isel(level=[0, 1], lr=[0]), first)  # attrs: the new params
    monkeypatch.undo()
    # A fresh sweep over the whole grown grid: every point the same bits, every attr too.
    fresh = pw.sweep(
        "corridor", {"level": [5, 6, 3], "lr": [0.5, 1.0]}, store=tmp_path / "f.zarr", seed=4,
        **CHEAP,
    ).load()  # fmt: skip
    xr.testing.assert_identical(grown, fresh)
    # And a fresh sweep over the new values alone, in another grid and order.
    alone = pw.sweep("corridor", {"level": [3, 6], "lr": [1.0]}, seed=4, **CHEAP)
    for name in ("probability", "ci_low", "point_seed", "unresolved"):
        np.testing.assert_array_equal(
            alone[name].sel(level=6, lr=1.0).values, grown[name].sel(level=6, lr=1.0).values
        )
    # The same command again resumes the grown store: nothing to run.
    calls.clear()
    monkeypatch.setattr("pgweyl.study.sweep.engine.compute_point", counting)
    again = pw.sweep(
        "corridor", params, store=store, seed=4, extend={"level": [3], "lr": [1.0]}, **CHEAP
    ).load()
    assert calls == []
    xr.testing.assert_identical(again, grown)


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"extend": {"gamma": [0.9]}}, pw.ArgumentError, "not a swept param"),
        ({"extend": {"level": [5]}}, pw.ArgumentError, "given twice"),
        ({"extend": {"level": [7]}, "runs": 41}, StoreError, "settings.n_runs"),
        ({"extend": {"level": [7]}, "store": "absent"}, StoreError, "nothing to extend"),
        ({"extend": {"level": [7]}, "store": None}, pw.ArgumentError, "give store"),
        ({"extend": {}}, pw.ArgumentError, "non-empty"),
    ],
)
def test_bad_extensions_are_refused(kwargs, error, fragment, tmp_path):
    store = tmp_path / "s.zarr"
    pw.sweep("corridor", {"level": [5]}, store=store, **CHEAP)
    call = {**CHEAP, "store": store, **kwargs}
    if call["store"] == "absent":
        call["store"] = tmp_path / "absent.zarr"
    with pytest.raises(error, match=fragment):
        pw.sweep("corridor", {"level": [5]}, **call)


def test_a_store_of_the_old_layout_is_not_resumed(tmp_path):
    store = tmp_path / "s.zarr"
    pw.sweep("corridor", {"level": [5]}, store=store, **CHEAP)
    meta = json.loads((store / "zarr.json").read_text())
    meta["attributes"]["pgweyl_sweep"] = 1
    (store / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(StoreError, match="layout 1"):
        pw.sweep("corridor", {"level": [5]}, store=store, **CHEAP)


@pytest.mark.slow  # three pgweyl processes: ~20 s
def test_cli_extend(tmp_path):
    store = tmp_path / "c.zarr"
    base = [sys.executable, "-m", "pgweyl", "sweep", "corridor", "--param", "level=4,5"]
    opts = ["--runs", "40", "--updates", "300", "--method", "mc", "--workers", "0"]
    opts += ["--store", str(store), "--quiet"]
    r = subprocess.run(base + opts, capture_output=True, text=True, env=child_env())
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        base + opts + ["--extend", "level=6:7", "--json"],
        capture_output=True,
        text=True,
        env=child_env(),
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["params"] == {"level": [4, 5, 6, 7]} and d["done"] == 4
    fresh = pw.sweep("corridor", {"level": [7]}, **CHEAP)
    row = d["rows"][3]
    assert row["params"] == {"level": 7}
    assert row["probability"] == fresh.probability.values[0].tolist()
    r = subprocess.run(
        base + ["--extend", "level=6", "--workers", "0"],
        capture_output=True,
        text=True,
        env=child_env(),
    )
    assert r.returncode == 2 and "give --store" in r.stderr
