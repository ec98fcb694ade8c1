"""Figures from a sweep store, and the plot-sweep / sweep --plot commands."""

from __future__ import annotations

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.cli import main
from pgweyl.errors import ArgumentError
from pgweyl.study.sweep import plot_sweep
from pgweyl.study.sweep.integrity import JOURNAL

pytest.importorskip("xarray")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("fig") / "corridor.zarr"
    pw.sweep(
        "corridor",
        {"level": [4, 6, 8], "lr": [0.5, 1.0]},
        runs=150,
        n_updates=3000,
        grid=41,
        store=path,
        workers=0,
        progress=False,
    )
    return path


def test_one_line_per_hue_value(store):
    import matplotlib.pyplot as plt

    ds = pw.open_sweep(store)
    fig = plot_sweep(ds, x="level")
    ax = fig.axes[0]
    mc = [ln for ln in ax.lines if "Monte Carlo" in ln.get_label()]
    assert [ln.get_label() for ln in mc] == ["lr = 0.5: Monte Carlo", "lr = 1: Monte Carlo"]
    for line, lr in zip(mc, [0.5, 1.0]):
        np.testing.assert_array_equal(line.get_xdata(), [4, 6, 8])
        want = ds["probability"].sel(lr=lr, maximum=0).values
        np.testing.assert_array_equal(line.get_ydata(), want)
    assert len(ax.containers) == 2  # chain solver error bars, one per lr
    bars = ax.containers[1].lines[0].get_ydata()
    np.testing.assert_array_equal(bars, ds["chain"].sel(lr=1.0, maximum=0).values)
    assert len(ax.collections) >= 2  # Wilson bands
    assert ax.get_xlabel() == "level" and "global maximum" in ax.get_ylabel()
    plt.close(fig)


def test_single_line_with_value_axis_and_selection(store):
    import matplotlib.pyplot as plt

    ds = pw.open_sweep(store)
    fig = plot_sweep(ds, x="level", select={"lr": 1.0})
    assert len(fig.axes) == 2  # the value of the global maximum on a twin axis
    v = fig.axes[1].lines[0].get_ydata()
    np.testing.assert_array_equal(v, ds["value"].sel(lr=1.0, maximum=0).values)
    plt.close(fig)
    fig = plot_sweep(ds, x="lr", hue="level")
    assert sum("Monte Carlo" in ln.get_label() for ln in fig.axes[0].lines) == 3
    plt.close(fig)


def test_points_not_done_are_left_out(store, tmp_path):
    import shutil

    import matplotlib.pyplot as plt
    import xarray as xr

    copy = tmp_path / "c.zarr"
    shutil.copytree(store, copy)
    xr.Dataset({"done": (("level", "lr"), np.zeros((1, 1), dtype=bool))}).to_zarr(
        copy, region={"level": slice(1, 2), "lr": slice(0, 1)}, mode="r+"
    )
    # A point never finished has no journal line either (an interrupted sweep).
    journal = copy / JOURNAL
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("".join(ln for ln in lines if not ln.startswith("1,0 ")))
    fig = plot_sweep(pw.open_sweep(copy), x="level")
    y = [ln for ln in fig.axes[0].lines if "Monte Carlo" in ln.get_label()][0].get_ydata()
    assert np.isnan(y[1]) and np.isfinite(y[[0, 2]]).all()
    plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"x": "rule"}, "unknown or selected param"),
        ({"select": {"gamma": 1}}, "unknown param 'gamma'"),
        ({"x": "level", "hue": "level"}, "hue"),
    ],
)
def test_figure_errors(store, kwargs, fragment):
    with pytest.raises(ArgumentError, match=fragment):
        plot_sweep(pw.open_sweep(store), **kwargs)


def test_three_free_params_need_a_selection():
    ds = pw.sweep(
        "corridor",
        {"level": [5, 6], "lr": [0.5, 1.0], "n_updates": [100, 200]},
        runs=20,
        method="mc",
        workers=0,
        progress=False,
    )
    with pytest.raises(ArgumentError, match="choose them with select"):
        plot_sweep(ds)


def test_corridor_difficulty_figure_from_a_store(tmp_path, capsys):
    # The commands of docs/cluster.md, with small budgets.
    store = tmp_path / "corridor.zarr"
    argv = ["sweep", "corridor", "--param", "level=4:8:2", "--runs", "150", "--updates", "3000"]
    argv += ["--grid", "41", "--store", str(store), "--workers", "0", "--quiet"]
    assert main(argv) == 0
    assert main(["plot-sweep", str(store)]) == 0  # default: beside the store
    (tmp_path / "fig").mkdir()
    assert main(["plot-sweep", str(store), "--plot", str(tmp_path / "fig" / "d.png")]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out
    for name in ("corridor.png", "corridor.pdf", "fig/d.png", "fig/d.pdf"):
        assert (tmp_path / name).stat().st_size > 1000
    assert not list(tmp_path.glob("**/.pgweyl-*"))  # no temporary files left


def test_commands_fail_with_one_line(tmp_path, capsys):
    cases = [
        (["plot-sweep", str(tmp_path / "none.zarr")], "does not exist"),
        (["sweep", "corridor", "--param", "level=4", "--param", "level=5"], "given twice"),
        (["sweep", "corridor", "--param", "lr=nan"], "lr must be a finite"),
        (["sweep", "corridor", "--param", "level=4", "--lr", "inf"], "--lr: must be a finite"),
        (["sweep", "corridor"], "--param"),
        (["sweep", "corridor", "--param", "level=4", "--plot", "/nonexistent/x.png"], "not exist"),
        (
            ["sweep", "corridor", "--param", "level=4", "--workers", "1", "--scheduler", "x"],
            "not allowed with",
        ),
    ]
    for argv, fragment in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("pgweyl: error:"), err
        assert fragment in err[0], (fragment, err[0])
