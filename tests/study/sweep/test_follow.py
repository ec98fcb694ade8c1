"""A sweep store follows one maximum by name and marks where the global maximum changes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import pgweyl as pw
from pgweyl.study import difficulty_sweep
from pgweyl.study.sweep.figure import global_changes, plot_sweep
from pgweyl.study.sweep.store import at_followed, followed
from tests.study.sweep.conftest import child_env

pytest.importorskip("xarray")

# trap_reward 0.9: V(trap) = 0.855 beats V(treasure) = 0.95^(level−3) from level 7 on.
ENV = "corridor:trap_reward=0.9"
LEVELS = [5, 6, 7, 8]
KW = {"method": "chain", "grid": 41, "progress": False}


@pytest.fixture(scope="module")
def ds():
    return pw.sweep(ENV, {"level": LEVELS}, workers=0, **KW)


def test_the_store_names_the_treasure_and_follows_it(ds):
    # Maxima are stored best first: the treasure (support "0", step 0 leads to wall 0)
    # is maximum 0 before the switch and maximum 1 after it.
    assert ds.support.values[:, 0].tolist() == ["0", "0", "1", "1"]
    assert ds.treasure.values.tolist() == [0, 0, 1, 1]
    assert followed(ds, "treasure").values.tolist() == followed(ds, "0").values.tolist()
    assert followed(ds, "global").values.tolist() == [0, 0, 0, 0]
    assert global_changes(ds, "level") == [7]
    # The same numbers by the other study (its own maxima, its own selection).
    alone = difficulty_sweep(
        "corridor", LEVELS, knobs={"trap_reward": 0.9}, follow="treasure", **KW
    )
    np.testing.assert_array_equal(at_followed(ds, "chain", followed(ds, "treasure")), alone.p_chain)
    np.testing.assert_array_equal(at_followed(ds, "value", followed(ds, "0")), alone.followed_value)


def test_an_absent_maximum_is_nan(ds):
    short = pw.sweep("corridor", {"level": [3, 4]}, workers=0, **KW)  # level 3: no trap
    idx = followed(short, "1")
    assert idx.values.tolist() == [-1, 1]
    p = at_followed(short, "chain", idx).values
    assert np.isnan(p[0]) and np.isfinite(p[1])


def test_the_figure_marks_the_change(ds):
    fig = plot_sweep(ds, follow="treasure")
    ax = fig.axes[0]
    marks = [ln for ln in ax.lines if ln.get_linestyle() == ":"]
    assert [ln.get_xdata()[0] for ln in marks] == [6.5]
    assert marks[0].get_label() == "global maximum changes"
    assert ax.get_ylabel() == "P(ends at the treasure)"
    with pytest.raises(pw.ArgumentError, match="support label"):
        plot_sweep(ds, follow="the trap")


def test_cli_follow(tmp_path):
    cmd = [sys.executable, "-m", "pgweyl", "sweep", ENV, "--param", "level=5:8"]
    cmd += ["--method", "chain", "--grid", "41", "--workers", "0", "--quiet"]
    cmd += ["--follow", "treasure", "--json", str(tmp_path / "s.json")]
    r = subprocess.run(cmd, capture_output=True, text=True, env=child_env())
    assert r.returncode == 0, r.stderr
    assert "ends at the treasure" in r.stdout
    assert "the global maximum changes at level = 7" in r.stdout
    d = json.loads((tmp_path / "s.json").read_text())
    assert d["follow"] == "treasure" and d["global_changes"] == [7]
    assert [row["followed"] for row in d["rows"]] == [0, 0, 1, 1]


def test_the_treasure_of_the_triangle_is_the_walk_to_wall_0():
    from pgweyl.study.follow import straight_exit, treasure_index

    # Start (2, 1, 0) in x1 > x2 > x3 > x1 − level: step e1 raises x1 − x3 to the level
    # (wall 0), e2 meets x1 = x2 (wall 1) at once, e3 meets x2 = x3 (wall 2).
    env = pw.make_env("triangle", level=6)
    assert [straight_exit(env, e) for e in np.eye(3, dtype=int)] == [(0,), (1,), (2,)]
    maxima = pw.local_maxima(env, basin_samples=0)
    assert maxima[treasure_index(env, maxima)].support == (0,)
