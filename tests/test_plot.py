"""Figures of pgweyl.plot: each writes a non-blank PNG and a PDF; the geometry it draws is
the alcove's; the exact curves it overlays are the value distribution's."""

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest

import pgweyl as pw
from pgweyl import plot

plt = pytest.importorskip("matplotlib.pyplot")
from matplotlib.image import imread  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def check_saved(fig, tmp_path, name):
    """save_figure writes a PNG that is not one flat colour and a PDF."""
    png, pdf = plot.save_figure(fig, tmp_path / "figs" / name)
    assert png == tmp_path / "figs" / f"{name}.png"
    assert pdf == tmp_path / "figs" / f"{name}.pdf"
    assert png.stat().st_size > 0 and pdf.stat().st_size > 0
    assert pdf.read_bytes()[:5] == b"%PDF-"
    pixels = imread(png)
    assert pixels.ndim == 3 and float(pixels.std()) > 0
    return png, pdf


# -- environments --------------------------------------------------------------------------
def corridor():
    return pw.make_env("corridor")


def rank2_envs():
    return {
        "triangle": pw.make_env("triangle"),
        "triangle-signed": pw.make_env("triangle-signed"),
        "C2": pw.AlcoveWalkEnv("C2", 6, wall_rewards=(1.0, 0.5, 0.2), gamma=0.95),
        "A2-table": pw.AlcoveWalkEnv(
            "A2", 5, start=(2, 1, 0), reward_table={(5, 1, 0): 1.0, (3, 3, 0): 0.5}
        ),
    }


@pytest.fixture(scope="module")
def chain_1d():
    return pw.chain_absorption(corridor(), 1.0, grid=201, refine=False)


@pytest.fixture(scope="module")
def chain_2d():
    return pw.chain_absorption(pw.make_env("triangle"), 1.0, grid=21, refine=False)


@pytest.fixture(scope="module")
def sweep():
    return pw.landscape.difficulty_sweep("corridor", [4, 6], n_runs=500, n_updates=20000, grid=101)


# -- save_figure and the import contract -----------------------------------------------------
@pytest.mark.parametrize("given", ["x.png", "x.pdf", "x", "x.PNG"])
def test_save_figure_writes_png_and_pdf_from_any_spelling(tmp_path, given):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    png, pdf = plot.save_figure(fig, tmp_path / "new" / "deeper" / given)
    assert (png.name, pdf.name) == ("x.png", "x.pdf")
    assert png.parent == tmp_path / "new" / "deeper"
    assert png.exists() and pdf.exists()


def test_save_figure_keeps_other_dots_in_the_name(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    png, pdf = plot.save_figure(fig, str(tmp_path / "run.v2"))
    assert (png.name, pdf.name) == ("run.v2.png", "run.v2.pdf")


def test_import_does_not_load_matplotlib_and_agg_without_display():
    code = (
        "import sys, pgweyl, pgweyl.plot\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'\n"
        "fig = pgweyl.plot.alcove_figure(pgweyl.make_env('corridor'), n_walks=1)\n"
        "import matplotlib\n"
        "print(matplotlib.get_backend())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().lower() == "agg"


# -- alcove_figure -------------------------------------------------------------------------
def test_alcove_figure_corridor(tmp_path):
    env = corridor()
    fig = plot.alcove_figure(env, theta=[0.3, -0.3], n_walks=4, seed=1)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "wall 0 (r = 1)" in texts and "wall 1 (r = 0.5)" in texts
    assert fig.axes[1].get_ylabel() == "wall reward $r_j$"  # the colour bar
    check_saved(fig, tmp_path, "alcove_corridor")


@pytest.mark.parametrize("name", list(rank2_envs()))
def test_alcove_figure_rank2(tmp_path, name):
    env = rank2_envs()[name]
    fig = plot.alcove_figure(env, n_walks=3, seed=2)
    texts = [t.get_text() for t in fig.axes[0].texts]
    if env.reward_table is None:
        assert {f"wall {j} (r = {r:g})" for j, r in enumerate(env.wall_rewards)} <= set(texts)
    else:
        assert {"wall 0", "wall 1", "wall 2"} <= set(texts)
        assert fig.axes[1].get_ylabel() == "R(b) at the exit point"
    check_saved(fig, tmp_path, f"alcove_{name}")


def test_alcove_figure_reward_table_on_a1(tmp_path):
    env = pw.AlcoveWalkEnv("A1", 6, start=(2, 0), reward_table={(6, 0): 1.0, (0, 0): 0.3})
    fig = plot.alcove_figure(env, n_walks=2)
    check_saved(fig, tmp_path, "alcove_a1_table")


@pytest.mark.parametrize(
    "env",
    [
        pytest.param(lambda: pw.make_env("simplex"), id="A3"),
        pytest.param(lambda: pw.AlcoveWalkEnv("B3", 6, wall_rewards=(1, 0, 0, 0)), id="B3"),
    ],
)
def test_alcove_figure_refuses_higher_ranks(env):
    with pytest.raises(pw.ArgumentError, match="rank 1 and 2"):
        plot.alcove_figure(env())


def test_alcove_figure_refuses_a_negative_number_of_walks():
    with pytest.raises(pw.ArgumentError, match="n_walks"):
        plot.alcove_figure(corridor(), n_walks=-1)


@pytest.mark.parametrize(
    "cartan, level", [("A1", 8), ("A2", 6), ("A2", 7), ("B2", 6), ("B2", 8), ("C2", 6), ("C2", 8)]
)
def test_drawn_corners_are_the_vertices_of_the_closed_alcove(cartan, level):
    env = pw.AlcoveWalkEnv(cartan, level, wall_rewards=(1.0,) * (int(cartan[1]) + 1))
    rank = env.cartan.rank
    corners = plot._alcove_corners(env)
    assert len(corners) == rank + 1
    for c in corners:
        assert np.all(c == np.round(c))  # even levels: integer vertices
        point = c.astype(np.int64)
        assert env.alcove.is_closed(point), f"{point} is outside the closed alcove"
        assert not env.alcove.is_interior(point)
        # a vertex of a rank-r simplex lies on exactly r of its r + 1 walls
        assert len(env.alcove.walls_at(point)) == rank
    # every wall holds exactly r of the vertices (an edge in rank 2, a point in rank 1)
    on = [env.alcove.walls_at(c.astype(np.int64)) for c in corners]
    for j in range(rank + 1):
        assert sum(j in w for w in on) == rank
    # and the figure draws exactly these corners
    if rank == 2:
        fig = plot.alcove_figure(env, n_walks=1)
        (poly,) = [p for p in fig.axes[0].patches if p.get_gid() == "alcove"]
        drawn = poly.get_xy()[: rank + 1]
        assert np.allclose(drawn, plot._project(env, corners))


def test_half_integer_corners_of_odd_b2_lie_on_their_walls():
    env = pw.make_env("triangle-signed")  # B2 at level 7: (7/2, 7/2) is a vertex
    corners = plot._alcove_corners(env)
    assert plot._corner_walls(env, corners) == [(1, 2), (0, 1), (0, 2)]


def test_a2_projection_is_an_isometry_of_the_plane():
    env = pw.make_env("triangle")
    corners = plot._alcove_corners(env)
    P = plot._project(env, corners)
    # (0,0,0), (m,0,0), (m,m,0) mod (1,1,1) are an equilateral triangle of side m·√(2/3)·…
    d = [np.linalg.norm(P[i] - P[k]) for i, k in ((0, 1), (1, 2), (0, 2))]
    centred = corners - corners.mean(axis=1, keepdims=True)
    e = [np.linalg.norm(centred[i] - centred[k]) for i, k in ((0, 1), (1, 2), (0, 2))]
    assert np.allclose(d, e)
    # the projection forgets the (1,1,1) direction
    assert np.allclose(plot._project(env, corners + 5.0), P)


def test_sampled_walks_are_paths_that_stop_at_the_first_exit():
    env = pw.make_env("triangle")
    walks = plot._sample_walks(env, [0.5, 0.0, -0.5], 6, seed=3)
    again = plot._sample_walks(env, [0.5, 0.0, -0.5], 6, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(walks, again))
    steps = {tuple(s) for s in env.steps.vectors.tolist()}
    for w in walks:
        assert np.array_equal(w[0], env.start)
        assert {tuple(s) for s in np.diff(w, axis=0).tolist()} <= steps
        assert all(env.alcove.is_interior(x) for x in w[:-1])
        assert not env.alcove.is_interior(w[-1]) and env.alcove.walls_at(w[-1])


# -- value_distribution_figure -------------------------------------------------------------
def test_value_distribution_figure_overlays_the_exact_law(tmp_path):
    env = corridor()
    theta = [0.2, -0.2]
    fig = plot.value_distribution_figure(env, theta, n_episodes=4000, seed=1)
    panels = [a for a in fig.axes]
    assert len(panels) == 2  # walls 0 and 1 both have exit mass
    walls = env.value_distribution(theta).wall_probabilities(2)
    for j, a in enumerate(panels):
        (line,) = [ln for ln in a.lines if ln.get_marker() == "o"]
        # the curve is P(T = n, wall j) up to the 99.9% quantile of T
        assert abs(line.get_ydata().sum() - walls[j]) < 2e-3
        bars = sum(p.get_height() for p in a.patches)
        assert abs(bars - walls[j]) < 0.05  # Monte Carlo frequencies, 4000 episodes
    assert "V(θ) = " in fig._suptitle.get_text()
    check_saved(fig, tmp_path, "value_distribution")


def test_value_distribution_figure_on_one_axes_and_corners(tmp_path):
    env = pw.make_env("triangle-signed")
    fig, ax = plt.subplots()
    out = plot.value_distribution_figure(env, [0.5, 0.0], n_episodes=2000, ax=ax)
    assert out is fig
    check_saved(fig, tmp_path, "value_distribution_one_axes")
    with pytest.raises(pw.ArgumentError, match="one Axes per wall"):
        plot.value_distribution_figure(env, [0.5, 0.0], n_episodes=200, ax=[ax])


# -- landscape_figure ----------------------------------------------------------------------
def test_landscape_figure_1d(tmp_path):
    env = corridor()
    fig = plot.landscape_figure(env, span=5.0, resolution=31)
    ax = fig.axes[0]
    dashed = sorted(ln.get_ydata()[0] for ln in ax.lines if ln.get_linestyle() == "--")
    maxima = pw.local_maxima(env)
    assert np.allclose(dashed, sorted(m.value for m in maxima))
    check_saved(fig, tmp_path, "landscape_corridor")


def test_landscape_figure_2d_marks_the_maxima(tmp_path):
    env = pw.make_env("triangle")
    maxima = pw.local_maxima(env)
    fig = plot.landscape_figure(env, maxima=maxima, resolution=13)
    ax = fig.axes[0]
    stars = [ln for ln in ax.lines if ln.get_marker() == "*"]
    assert len(stars) == len(maxima)
    for m, star in zip(maxima, stars):
        y = np.array([star.get_xdata()[0], star.get_ydata()[0]])
        theta = np.append(y, 0.0)  # lift: (y, 0)
        assert float(m.distances(env.policy(theta))) < 0.01
    assert len(ax.collections) > 0  # streamlines
    check_saved(fig, tmp_path, "landscape_triangle")


def test_landscape_figure_refuses_dimension_three_and_softmax():
    with pytest.raises(pw.ArgumentError, match="effective dimension"):
        plot.landscape_figure(pw.make_env("simplex"), maxima=[], resolution=3)
    with pytest.raises(pw.ArgumentError, match="policy 'exp'"):
        plot.landscape_figure(pw.make_env("corridor", policy="softmax"), maxima=[])


# -- difficulty_figure ---------------------------------------------------------------------
def test_difficulty_figure(tmp_path, sweep):
    fig = plot.difficulty_figure(sweep)
    ax, ax2 = fig.axes
    assert ax.get_xlabel() == "level"
    assert "global maximum" in ax2.get_ylabel()
    assert np.allclose(ax2.lines[0].get_ydata(), sweep.global_value)
    check_saved(fig, tmp_path, "difficulty")


def test_difficulty_figure_without_chain_values(tmp_path, sweep):
    nan = np.full(len(sweep.values), np.nan)
    mc_only = dataclasses.replace(sweep, p_chain=nan, grid_error=nan)
    fig = plot.difficulty_figure(mc_only)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "Monte Carlo" in labels and not any("chain" in s for s in labels)
    check_saved(fig, tmp_path, "difficulty_mc_only")


# -- basin_figure --------------------------------------------------------------------------
def test_basin_figure_1d(tmp_path, chain_1d):
    fig = plot.basin_figure(chain_1d, env=corridor())
    lines = fig.axes[0].lines
    assert len(lines) == len(chain_1d.maxima)
    total = sum(ln.get_ydata() for ln in lines)
    assert np.allclose(total, 1.0, atol=1e-6)  # every run ends at one of the two maxima
    check_saved(fig, tmp_path, "basin_1d")


def test_basin_figure_2d(tmp_path, chain_2d):
    env = pw.make_env("triangle")
    fig = plot.basin_figure(chain_2d, env=env, index=0)
    assert fig.axes[1].get_ylabel() == "P(ends at maximum {e1})"
    check_saved(fig, tmp_path, "basin_2d")
    fig = plot.basin_figure(chain_2d, index=1)  # without env: supports by index
    assert fig.axes[1].get_ylabel() == "P(ends at maximum {s1})"
    with pytest.raises(pw.ArgumentError, match="index"):
        plot.basin_figure(chain_2d, index=2)
